//! The socket API's semantics, driven over raw WebSocket: several handlers per event, `off`,
//! catch-all handlers in and out, per-packet middleware, reserved names, wrong argument shapes,
//! single-use acks, `disconnecting` with rooms readable, disconnect reasons, and arrival order.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sio_common::{with_timeout, SioWs};
use socketio::{AckSender, Args, DisconnectReason, EmitError, Server};

type Log = Arc<Mutex<Vec<String>>>;

async fn start(
    setup: impl Fn(socketio::Socket, Log) + Send + Sync + 'static,
) -> (Server, SocketAddr, Log) {
    let io = Server::new();
    let log: Log = Arc::default();
    let l = log.clone();
    io.on_connection(move |socket| {
        setup(socket.clone(), l.clone());
        let _ = socket.emit("hello", &());
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, log)
}

async fn client(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    ws.set_auto_pong(true);
    let _open = ws.recv_text().await;
    ws.join("/", None).await;
    ws
}

/// Polls `cond` until it holds; fails the test with `what` after `within`.
async fn wait_until(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `log` holds `n` entries (see [`wait_until`]).
async fn wait_for_entries(log: &Log, n: usize) {
    wait_until(&format!("{n} log entries"), Duration::from_secs(5), || {
        log.lock().unwrap().len() >= n
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_any_and_off() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            let l = log.clone();
            socket.on("ev", move |_s, n: u32, _ack| {
                l.lock().unwrap().push(format!("first {n}"))
            });
            let l = log.clone();
            socket.on("ev", move |_s, n: u32, _ack| {
                l.lock().unwrap().push(format!("second {n}"))
            });
            let l = log.clone();
            socket.on_any(move |_s, event, args| {
                l.lock()
                    .unwrap()
                    .push(format!("any {event} {}", args.len()))
            });
            let l = log.clone();
            socket.prepend_any(move |_s, event, _args| {
                l.lock().unwrap().push(format!("prepended {event}"))
            });
            let l = log.clone();
            socket.on("stop", move |socket, _: Args, _ack| {
                socket.off("ev");
                socket.off_any();
                l.lock().unwrap().push("stopped".into());
                socket.on("sync", |_s, _: Args, ack: AckSender| {
                    let _ = ack.send(&());
                });
            });
        })
        .await;
        let mut ws = client(addr).await;
        ws.send_text(r#"42["ev",1]"#).await;
        ws.send_text(r#"42["stop"]"#).await;
        ws.send_text(r#"42["ev",2]"#).await;
        // The events of one socket are handled in order: once `sync` is answered, `ev 2` has
        // been dispatched (to nobody, which is what is checked).
        ws.send_text(r#"421["sync"]"#).await;
        assert_eq!(ws.recv_data_text().await, "431[]");
        assert_eq!(
            *log.lock().unwrap(),
            [
                "prepended ev",
                "any ev 1",
                "first 1",
                "second 1",
                "prepended stop",
                "any stop 0",
                "stopped"
            ]
        );
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_argument_shape_skips_the_handler_and_keeps_the_connection() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            let l = log.clone();
            socket.on("typed", move |_s, (a, b): (String, u32), _ack| {
                l.lock().unwrap().push(format!("{a}{b}"))
            });
            socket.on("echo", |_s, args: Args, ack: AckSender| {
                let _ = ack.send(&args);
            });
        })
        .await;
        let mut ws = client(addr).await;
        ws.send_text(r#"42["typed",1,"x"]"#).await;
        ws.send_text(r#"42["typed","ok",7]"#).await;
        ws.send_text(r#"421["echo","alive"]"#).await;
        assert_eq!(ws.recv_data_text().await, r#"431["alive"]"#);
        assert_eq!(*log.lock().unwrap(), ["ok7"]);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packet_middleware_error_goes_to_the_error_handlers_and_sends_nothing() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            socket.use_packet(|_s, event, _args| {
                if event == "forbidden" {
                    Err("not allowed".to_owned())
                } else {
                    Ok(())
                }
            });
            let l = log.clone();
            socket.on_error(move |_s, e| l.lock().unwrap().push(format!("error {e}")));
            let l = log.clone();
            socket.on("forbidden", move |_s, _: Args, _ack| {
                l.lock().unwrap().push("ran".into())
            });
            socket.on("echo", |_s, args: Args, ack: AckSender| {
                let _ = ack.send(&args);
            });
        })
        .await;
        let mut ws = client(addr).await;
        ws.send_text(r#"425["forbidden"]"#).await;
        ws.send_text(r#"426["echo",1]"#).await;
        assert_eq!(ws.recv_data_text().await, "436[1]");
        assert_eq!(*log.lock().unwrap(), ["error not allowed"]);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_are_single_use_and_outgoing_any_sees_emits() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            socket.on("q", |_s, _: Args, ack: AckSender| {
                let _ = ack.clone().send(&"first");
                let _ = ack.send(&"second");
            });
            socket.on("q", |_s, _: Args, ack: AckSender| {
                let _ = ack.send(&"other handler");
            });
            let l = log.clone();
            socket.on_any_outgoing(move |_s, event, args| {
                l.lock()
                    .unwrap()
                    .push(format!("out {event} {}", args.len()))
            });
            assert!(matches!(
                socket.emit("disconnect", &()),
                Err(EmitError::ReservedEvent(_))
            ));
        })
        .await;
        let mut ws = client(addr).await;
        ws.send_text(r#"429["q"]"#).await;
        assert_eq!(ws.recv_data_text().await, r#"439["first"]"#);
        // A second answer would follow the first at once: a short bounded wait after it.
        ws.assert_silent(Duration::from_millis(200)).await;
        assert_eq!(*log.lock().unwrap(), ["out hello 0"]);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_reasons_and_rooms_while_disconnecting() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            let _ = socket.join("lobby");
            let l = log.clone();
            socket.on_disconnecting(move |s, reason| {
                let mut rooms: Vec<String> = s.rooms().iter().map(|r| r.to_string()).collect();
                rooms.retain(|r| r == "lobby");
                l.lock()
                    .unwrap()
                    .push(format!("disconnecting {reason} {rooms:?}"));
            });
            let l = log.clone();
            socket.on_disconnect(move |s, reason| {
                l.lock()
                    .unwrap()
                    .push(format!("disconnect {reason} {}", s.rooms().len()));
            });
            socket.on("kick", |s, _: Args, _ack| s.disconnect(false));
        })
        .await;
        let mut a = client(addr).await;
        a.send_text("41").await;
        wait_for_entries(&log, 2).await;
        let mut b = client(addr).await;
        b.send_text(r#"42["kick"]"#).await;
        assert_eq!(b.recv_data_text().await, "41");
        wait_for_entries(&log, 4).await;
        let c = client(addr).await;
        c.close().await;
        wait_for_entries(&log, 6).await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                r#"disconnecting client namespace disconnect ["lobby"]"#,
                "disconnect client namespace disconnect 0",
                r#"disconnecting server namespace disconnect ["lobby"]"#,
                "disconnect server namespace disconnect 0",
                r#"disconnecting transport close ["lobby"]"#,
                "disconnect transport close 0",
            ]
        );
        // After `41` on its only namespace the session stays open (no connect timeout).
        a.send_text("40").await;
        wait_until("c's session removed", Duration::from_secs(5), || {
            io.engine().clients_count() == 2
        })
        .await;
        let _ = DisconnectReason::ServerShuttingDown;
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_socket_arrive_in_order() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            let l = log.clone();
            socket.on("n", move |_s, n: u32, _ack| {
                l.lock().unwrap().push(n.to_string())
            });
        })
        .await;
        let mut ws = client(addr).await;
        for n in 0..500 {
            ws.send_text(&format!(r#"42["n",{n}]"#)).await;
        }
        wait_for_entries(&log, 500).await;
        let got: Vec<String> = log.lock().unwrap().clone();
        let want: Vec<String> = (0..500).map(|n| n.to_string()).collect();
        assert_eq!(got, want);
        let _ = json!(null);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conn_upgrade_event_fires_when_polling_moves_to_websocket() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, log) = start(|socket, log| {
            let l = log.clone();
            socket.conn().on_upgrade(move |conn| {
                l.lock()
                    .unwrap()
                    .push(format!("upgraded {:?}", conn.transport()))
            });
        })
        .await;
        let res = sio_common::http(addr, "GET", "/socket.io/?EIO=4&transport=polling", b"")
            .await
            .unwrap();
        let sid = sio_common::parse_open(&res.text())["sid"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        sio_common::http(addr, "POST", &path, b"40").await.unwrap();
        // The `hello` the connection handler emits after registering `on_upgrade`: connecting
        // is done, and connecting alone must not have fired the upgrade event (nothing can
        // fire it later but the upgrade below, so no wait is needed for this negative check).
        let mut polled = String::new();
        while !polled.contains(r#"42["hello"]"#) {
            let res = tokio::time::timeout(
                Duration::from_secs(5),
                sio_common::http(addr, "GET", &path, b""),
            )
            .await
            .expect("timed out polling for the connection's hello")
            .unwrap();
            polled.push_str(&res.text());
        }
        assert!(log.lock().unwrap().is_empty());
        let mut ws = SioWs::connect(
            addr,
            &format!("/socket.io/?EIO=4&transport=websocket&sid={sid}"),
        )
        .await
        .unwrap();
        ws.send_text("2probe").await;
        assert_eq!(ws.recv_text().await, "3probe");
        ws.send_text("5").await;
        wait_for_entries(&log, 1).await;
        assert_eq!(*log.lock().unwrap(), ["upgraded Websocket"]);
        io.close().await;
    })
    .await;
}

/// A user that is not serializable (it holds a handle), as a middleware would attach it.
#[derive(Clone)]
struct User {
    name: String,
    visits: Arc<Mutex<u32>>,
}

/// Typed per-socket state: attached by an async middleware from the handshake's auth, read
/// by the connection handler, an event handler (by clone and by reference) and the
/// disconnect handler; separate from the serializable `data` other nodes see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_carry_typed_state_from_middleware_to_handlers() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let log: Log = Arc::default();
        io.middleware(|socket| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let Some(name) = socket.auth()["token"].as_str().map(str::to_owned) else {
                return Err("no token".into());
            };
            let user = User {
                name,
                visits: Arc::default(),
            };
            assert!(socket.extensions().insert(user).is_none());
            Ok(())
        });
        let l = log.clone();
        io.on_connection(move |socket| {
            let name = socket.extensions().with(|u: &User| u.name.clone());
            l.lock().unwrap().push(format!("connected {name:?}"));
            socket.on("visit", |socket, (): (), ack: AckSender| {
                let user: User = socket.extensions().get().unwrap();
                *user.visits.lock().unwrap() += 1;
                let visits = socket
                    .extensions()
                    .with(|u: &User| *u.visits.lock().unwrap());
                let _ = ack.send(&(user.name, visits));
            });
            let l = l.clone();
            socket.on_disconnect(move |socket, _reason| {
                let had = socket.extensions().contains::<User>();
                let removed = socket.extensions().remove::<User>().map(|u| u.name);
                l.lock()
                    .unwrap()
                    .push(format!("gone {had} {removed:?} {:?}", socket.data_value()));
            });
            // the greeting `SioWs::join` waits for
            let _ = socket.emit("hello", &());
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();

        let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        ws.join("/", Some(&json!({"token": "ada"}))).await;
        for n in 1..=2 {
            ws.send_text(&format!("42{n}[\"visit\"]")).await;
            assert_eq!(
                ws.recv_data_text().await,
                format!("43{n}[\"ada\",{n}]"),
                "visit {n}"
            );
        }
        ws.send_text("41").await;
        wait_for_entries(&log, 2).await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                r#"connected Some("ada")"#.to_owned(),
                r#"gone true Some("ada") Null"#.to_owned()
            ]
        );
        io.close().await;
    })
    .await;
}

/// Shared app state: given once to the server (after a namespace exists, and before a
/// dynamic child is made), read by a middleware, a handler on `/` and one on the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_state_reaches_every_namespace_and_handler() {
    #[derive(Clone, Default)]
    struct Hits(Arc<std::sync::atomic::AtomicUsize>);

    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let on_connect = |socket: socketio::Socket| {
            socket.on("hit", |socket, (): (), ack: AckSender| {
                let Hits(hits) = socket.state::<Hits>().unwrap();
                let n = hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let _ = ack.send(&n);
            });
            let _ = socket.emit("hello", &());
        };
        io.on_connection(on_connect);
        io.of_regex(regex::Regex::new(r"^/room-\d+$").unwrap())
            .on_connection(on_connect);
        assert!(io.set_state(Hits::default()).is_none());
        io.middleware(|socket| async move {
            match socket.state::<Hits>() {
                Some(_) => Ok(()),
                None => Err("no state".into()),
            }
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();

        let mut ws = client(addr).await;
        ws.send_text("421[\"hit\"]").await;
        assert_eq!(ws.recv_data_text().await, "431[1]");
        ws.join("/room-7", None).await;
        ws.send_text("42/room-7,2[\"hit\"]").await;
        assert_eq!(ws.recv_data_text().await, "43/room-7,2[2]");
        let Hits(hits) = io.state::<Hits>().unwrap();
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
        io.close().await;
    })
    .await;
}
