//! Connection state recovery (CSR-1) with the real socket.io-client 4.x, which implements the
//! client side: its connection is cut by a TCP proxy between it and the server (the proxy
//! drops every connection and refuses new ones for a while: a tunnel, a Wi-Fi switch), the
//! server broadcasts meanwhile, and the client reconnects by itself. And the hostile side, with
//! raw WebSocket clients: forged, stale and foreign session claims get a fresh session, and
//! the store stays bounded under a flood of them.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sio_common::{with_timeout, ClientProcess, SioWs};
use socketio::{ConnectionStateRecovery, Server, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

const LIMIT: Duration = Duration::from_secs(90);
const STEP: Duration = Duration::from_secs(15);

/// A TCP proxy in front of the server whose connections the test can cut.
struct Proxy {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let (cuts, cut_rx) = watch::channel(0u64);
        let refusing = down.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if refusing.load(Ordering::SeqCst) {
                    // The network is down: the connection ends at once.
                    continue;
                }
                let mut cut = cut_rx.clone();
                cut.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                    // Both ends dropped without a WebSocket close frame or an HTTP answer.
                });
            }
        });
        Proxy { addr, down, cuts }
    }

    /// Cuts every connection and refuses new ones until [`Proxy::up`].
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[derive(Debug)]
enum Seen {
    Connect {
        id: String,
        recovered: bool,
        rooms: Vec<String>,
        data: Value,
    },
    Disconnect {
        id: String,
        reason: String,
    },
}

struct Fixture {
    io: Server,
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    middleware_runs: Arc<AtomicUsize>,
}

/// A server with recovery on: a fresh socket joins `a` and `b`, gets data `{"name":"ada"}`
/// and a `hello` emit (so its client has an offset); every connect and disconnect is reported.
async fn server(recovery: ConnectionStateRecovery, middleware: bool) -> Fixture {
    let io = Server::with_config(
        ServerConfig::builder()
            .connection_state_recovery(recovery)
            .build(),
    );
    let middleware_runs = Arc::new(AtomicUsize::new(0));
    if middleware {
        let runs = middleware_runs.clone();
        io.middleware(move |_socket| {
            let runs = runs.clone();
            async move {
                // Real work: the CONNECT answer goes out from another task.
                tokio::time::sleep(Duration::from_millis(5)).await;
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
    }
    let (tx, seen) = mpsc::unbounded_channel();
    io.on_connection(move |socket| {
        if !socket.recovered() {
            socket.join_all(["a", "b"]).unwrap();
            socket.set_data(&json!({ "name": "ada" })).unwrap();
            socket.emit("hello", &"0").unwrap();
        }
        let mut rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
        rooms.sort();
        let _ = tx.send(Seen::Connect {
            id: socket.id().to_owned(),
            recovered: socket.recovered(),
            rooms,
            data: socket.data_value(),
        });
        let tx = tx.clone();
        socket.on_disconnect(move |s, reason| {
            let _ = tx.send(Seen::Disconnect {
                id: s.id().to_owned(),
                reason: reason.as_str().to_owned(),
            });
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    Fixture {
        io,
        addr,
        seen,
        middleware_runs,
    }
}

async fn next_seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(STEP, rx.recv())
        .await
        .expect("the server reports in time")
        .expect("the server is up")
}

/// Reads the client's lines up to its next `CONNECT`, returning the events before it too.
async fn until_connect(client: &mut ClientProcess) -> (Vec<Value>, Value) {
    let mut events = Vec::new();
    loop {
        match client.next(STEP).await {
            (tag, v) if tag == "CONNECT" => return (events, v),
            (tag, v) if tag == "EVENT" => events.push(v),
            _ => {}
        }
    }
}

async fn next_event(client: &mut ClientProcess) -> Value {
    loop {
        match client.next(STEP).await {
            (tag, v) if tag == "EVENT" => return v,
            (tag, v) if tag == "CONNECT" => panic!("a reconnect where an event was due: {v}"),
            _ => {}
        }
    }
}

/// The payload arguments of an event as the client got it: without the offset, which
/// recovery appends as the last argument (asserted to be there).
fn without_offset(event: &Value) -> (String, Vec<Value>) {
    let mut args = event["args"].as_array().cloned().unwrap();
    let offset = args.pop().expect("an offset argument");
    assert!(
        offset.as_str().is_some_and(|o| !o.is_empty()),
        "the last argument is the offset: {event}"
    );
    (event["event"].as_str().unwrap().to_owned(), args)
}

/// The whole scenario of the issue: a client in two rooms with data, its transport cut, three
/// broadcasts to its rooms and one to a room it is not in; it reconnects with the same id,
/// recovered on both sides, rooms and data intact, exactly the three missed packets in order,
/// then live traffic.
async fn recovers_after_a_cut(transports: &[&str], skip_middlewares: bool) {
    let recovery = ConnectionStateRecovery {
        skip_middlewares,
        ..ConnectionStateRecovery::default()
    };
    let mut fx = server(recovery, true).await;
    let proxy = Proxy::start(fx.addr).await;
    let mut client = ClientProcess::node(
        "sio_recover.js",
        &json!({ "url": format!("http://{}", proxy.addr), "transports": transports }),
    );
    let (_, first) = until_connect(&mut client).await;
    assert_eq!(first["recovered"], false);
    let id = first["id"].as_str().unwrap().to_owned();
    let Seen::Connect { id: server_id, .. } = next_seen(&mut fx.seen).await else {
        panic!("a connect first")
    };
    assert_eq!(server_id, id);
    let hello = next_event(&mut client).await;
    assert_eq!(
        without_offset(&hello),
        ("hello".to_owned(), vec![json!("0")])
    );
    // Upgraded before the cut (the client probes once the handshake is done), and over
    // polling, the next GET waiting: a cut between two polls is seen only by the heartbeat,
    // on Node's server as on ours.
    tokio::time::sleep(Duration::from_millis(300)).await;

    proxy.cut();
    match next_seen(&mut fx.seen).await {
        Seen::Disconnect { id: gone, reason } => {
            assert_eq!(gone, id);
            assert!(
                reason == "transport close" || reason == "transport error",
                "a cut connection: {reason}"
            );
        }
        other => panic!("expected the disconnect, got {other:?}"),
    }
    fx.io.to("a").emit("m", &1).unwrap();
    fx.io.to("b").emit("m", &2).unwrap();
    fx.io.to("c").emit("m", &"not yours").unwrap();
    fx.io.to("a").to("b").emit("m", &3).unwrap();
    proxy.up();

    let (before, again) = until_connect(&mut client).await;
    assert_eq!(again["id"], json!(id), "the same id");
    assert_eq!(again["recovered"], true);
    match next_seen(&mut fx.seen).await {
        Seen::Connect {
            id: back,
            recovered,
            rooms,
            data,
        } => {
            assert_eq!(back, id);
            assert!(recovered);
            let mut expected = vec!["a".to_owned(), "b".to_owned(), id.clone()];
            expected.sort();
            assert_eq!(rooms, expected);
            assert_eq!(data, json!({ "name": "ada" }));
        }
        other => panic!("expected the recovered connect, got {other:?}"),
    }
    // The missed packets reach the client's listeners before its `connect` (Node sends them
    // ahead of the CONNECT reply): exactly the three, in order.
    let missed: Vec<_> = before.iter().map(without_offset).collect();
    assert_eq!(
        missed,
        [1, 2, 3].map(|n| ("m".to_owned(), vec![json!(n)])).to_vec(),
        "{before:?}"
    );
    fx.io.emit("live", &4).unwrap();
    let live = next_event(&mut client).await;
    assert_eq!(without_offset(&live), ("live".to_owned(), vec![json!(4)]));
    let runs = fx.middleware_runs.load(Ordering::SeqCst);
    assert_eq!(
        runs,
        if skip_middlewares { 1 } else { 2 },
        "middleware runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_over_websocket() {
    with_timeout(LIMIT, recovers_after_a_cut(&["websocket"], true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_over_polling() {
    with_timeout(LIMIT, recovers_after_a_cut(&["polling"], true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_an_upgrade_with_the_middleware_run_again() {
    with_timeout(
        LIMIT,
        recovers_after_a_cut(&["polling", "websocket"], false),
    )
    .await;
}

/// Reconnecting after the window: a fresh session, not recovered, nothing replayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_window_a_fresh_session() {
    with_timeout(LIMIT, async {
        let recovery = ConnectionStateRecovery {
            max_disconnection_duration: Duration::from_millis(300),
            ..ConnectionStateRecovery::default()
        };
        let mut fx = server(recovery, false).await;
        let proxy = Proxy::start(fx.addr).await;
        let mut client = ClientProcess::node(
            "sio_recover.js",
            &json!({ "url": format!("http://{}", proxy.addr), "transports": ["websocket"] }),
        );
        let (_, first) = until_connect(&mut client).await;
        let id = first["id"].as_str().unwrap().to_owned();
        next_event(&mut client).await;
        next_seen(&mut fx.seen).await;
        proxy.cut();
        assert!(matches!(
            next_seen(&mut fx.seen).await,
            Seen::Disconnect { .. }
        ));
        fx.io.to("a").emit("m", &1).unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        proxy.up();
        let (before, again) = until_connect(&mut client).await;
        assert_ne!(again["id"], json!(id), "a new id");
        assert_eq!(again["recovered"], false);
        assert!(before.is_empty(), "nothing replayed: {before:?}");
        match next_seen(&mut fx.seen).await {
            Seen::Connect { recovered, .. } => assert!(!recovered),
            other => panic!("{other:?}"),
        }
        // The fresh socket's own welcome, nothing older.
        let hello = next_event(&mut client).await;
        assert_eq!(without_offset(&hello).0, "hello");
    })
    .await;
}

/// A raw client's CONNECT to `/` with `auth`: the reply's data (`{sid, pid}`).
async fn raw_connect(addr: SocketAddr, auth: &Value) -> (SioWs, Value) {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let open = ws.recv_text().await;
    assert!(open.starts_with('0'), "{open}");
    ws.send_text(&format!("40{auth}")).await;
    loop {
        let text = ws.recv_text().await;
        if let Some(json) = text.strip_prefix("40") {
            return (ws, serde_json::from_str(json).unwrap());
        }
    }
}

/// A forged or stale pid, an offset that does not exist, an offset from another client's
/// session, a huge offset, a pid of the wrong type: each a fresh session and no error, and a
/// real session survives them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_claims_get_fresh_sessions() {
    with_timeout(LIMIT, async {
        let mut fx = server(ConnectionStateRecovery::default(), false).await;
        // Two real sessions: one in `a` and `b` (as every fresh socket), one also in `x`.
        let (mut mine, me) = raw_connect(fx.addr, &json!({})).await;
        let (mut other, them) = raw_connect(fx.addr, &json!({})).await;
        for ws in [&mut mine, &mut other] {
            let hello = ws.recv_text().await;
            assert!(hello.starts_with(r#"42["hello","0","#), "{hello}");
        }
        let pid = me["pid"].as_str().unwrap().to_owned();
        let sid = me["sid"].as_str().unwrap().to_owned();
        assert_ne!(pid, sid, "the pid is private, never the id");
        assert_eq!(pid.len(), 20);
        fx.io
            .of("/")
            .get_socket(them["sid"].as_str().unwrap())
            .unwrap()
            .join("x")
            .unwrap();
        fx.io.to("x").emit("only-x", &1).unwrap();
        let theirs = other.recv_text().await;
        let foreign_offset: Value = serde_json::from_str(&theirs[2..]).unwrap();
        let foreign_offset = foreign_offset[2].as_str().unwrap().to_owned();
        fx.io.to("a").emit("m", &1).unwrap();
        let mine_text = mine.recv_text().await;
        let my_offset: Value = serde_json::from_str(&mine_text[2..]).unwrap();
        let my_offset = my_offset[2].as_str().unwrap().to_owned();
        drop(mine);
        while !matches!(next_seen(&mut fx.seen).await, Seen::Disconnect { ref id, .. } if *id == sid)
        {}

        let claims = [
            json!({ "pid": "AAAAAAAAAAAAAAAAAAAA", "offset": my_offset }),
            json!({ "pid": pid, "offset": "does-not-exist" }),
            json!({ "pid": pid, "offset": foreign_offset }),
            json!({ "pid": pid, "offset": "9".repeat(100_000) }),
            json!({ "pid": 12, "offset": my_offset }),
            json!({ "pid": pid, "offset": 3 }),
            json!({ "pid": pid }),
        ];
        for claim in &claims {
            let (ws, reply) = raw_connect(fx.addr, claim).await;
            assert_ne!(reply["sid"], json!(sid), "{claim}: not recovered");
            assert!(reply["pid"].is_string(), "{claim}: a fresh session");
            drop(ws);
        }
        // The real claim, after all those: recovered.
        let (mut back, reply) = raw_connect(fx.addr, &json!({ "pid": pid, "offset": my_offset })).await;
        assert_eq!(reply["sid"], json!(sid));
        assert_eq!(reply["pid"], json!(pid));
        fx.io.to("a").emit("after", &2).unwrap();
        let next = back.recv_text().await;
        assert!(next.starts_with(r#"42["after",2,"#), "{next}");
        // Taken once: the same claim again is a fresh session.
        let (_again, reply) = raw_connect(fx.addr, &json!({ "pid": pid, "offset": my_offset })).await;
        assert_ne!(reply["sid"], json!(sid));
    })
    .await;
}

/// A namespace disconnect, by either side, keeps nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_disconnect_keeps_nothing() {
    with_timeout(LIMIT, async {
        let mut fx = server(ConnectionStateRecovery::default(), false).await;
        for by_client in [true, false] {
            let (mut ws, me) = raw_connect(fx.addr, &json!({})).await;
            let hello = ws.recv_text().await;
            let args: Value = serde_json::from_str(&hello[2..]).unwrap();
            let offset = args[2].as_str().unwrap().to_owned();
            let sid = me["sid"].as_str().unwrap().to_owned();
            next_seen(&mut fx.seen).await;
            if by_client {
                ws.send_text("41").await;
            } else {
                fx.io.of("/").get_socket(&sid).unwrap().disconnect(false);
            }
            match next_seen(&mut fx.seen).await {
                Seen::Disconnect { reason, .. } => {
                    assert!(reason.contains("namespace"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
            drop(ws);
            let (ws, reply) =
                raw_connect(fx.addr, &json!({ "pid": me["pid"], "offset": offset })).await;
            assert_ne!(reply["sid"], json!(sid), "by client: {by_client}");
            assert!(matches!(
                next_seen(&mut fx.seen).await,
                Seen::Connect {
                    recovered: false,
                    ..
                }
            ));
            drop(ws);
            assert!(matches!(
                next_seen(&mut fx.seen).await,
                Seen::Disconnect { .. }
            ));
        }
    })
    .await;
}

/// 10,000 reconnects with random pids: each a fresh session, and the session store and the
/// replay buffer stay within their bounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_claims_stays_bounded() {
    with_timeout(Duration::from_secs(120), async {
        let recovery = ConnectionStateRecovery {
            max_sessions: 500,
            max_buffered_bytes: 64 * 1024,
            ..ConnectionStateRecovery::default()
        };
        let io = Server::with_config(
            ServerConfig::builder()
                .connection_state_recovery(recovery)
                .build(),
        );
        let recovered = Arc::new(AtomicUsize::new(0));
        let count = recovered.clone();
        let everyone = io.clone();
        io.on_connection(move |socket| {
            if socket.recovered() {
                count.fetch_add(1, Ordering::SeqCst);
            }
            // Every connection also broadcasts: the replay buffer fills.
            everyone.emit("joined", &socket.id()).unwrap();
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|worker| {
                tokio::spawn(async move {
                    for i in 0..2_500 {
                        let pid = format!("{worker:02}{i:018}");
                        let (ws, reply) =
                            raw_connect(addr, &json!({ "pid": pid, "offset": "1" })).await;
                        assert_ne!(reply["pid"], json!(pid));
                        // Dropped without a DISCONNECT: a session kept for each.
                        drop(ws);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(recovered.load(Ordering::SeqCst), 0);
        let usage = io.of("/").recovery_usage().expect("recovery is on");
        assert!(usage.sessions <= 500, "{usage:?}");
        assert!(usage.sessions >= 400, "the sessions were kept: {usage:?}");
        assert!(usage.bytes <= 64 * 1024, "{usage:?}");
        assert!(usage.packets > 0, "{usage:?}");
        // Still serving.
        let (_ws, reply) = raw_connect(addr, &json!({})).await;
        assert!(reply["sid"].is_string());
    })
    .await;
}
