//! What real apps do to the server (HARDEN-2), with real socket.io-client 4.x clients
//! (`tests/clients/sio_harden.js`) on the multi-thread runtime users run (two workers):
//!
//! - a panic in user code (an event handler, a namespace middleware, a connection handler, a
//!   disconnect handler) costs that client's connection only: the socket leaves its namespace
//!   and every room, its disconnect handler runs once, its file descriptor is closed, and a
//!   bystander keeps getting acks;
//! - no first event is lost after an async middleware: 1,000 clients that emit with an ack the
//!   moment they are connected all get their ack, each event handled once and in order;
//! - `compress(false)` (`tests/clients/sio_compress.js`): with permessage-deflate and HTTP
//!   compression on, compressed and uncompressed emits reach a real client intact, and
//!   packets queued on polling keep their wish when flushed over the upgraded WebSocket;
//! - `local()` on a dynamic parent reaches its children's local sockets, and nothing else.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sio_common::{with_timeout, ClientProcess};
use socketio::{AckSender, DisconnectReason, MiddlewareError, Server};

/// Open socket file descriptors of this process: the server's listener and its connections
/// (the client script's pipes and the runtime's own descriptors are not sockets).
fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// Polls `cond` until it holds; panics with `what` after `within`.
async fn eventually(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[derive(Default)]
struct Seen {
    /// Disconnect handler calls per namespace, with their reasons.
    disconnects: Mutex<Vec<(String, DisconnectReason)>>,
}

/// A server whose namespaces panic in one place each, and `/` echoing with an ack.
async fn panicking_server() -> (Server, SocketAddr, Arc<Seen>) {
    let io = Server::new();
    let seen = Arc::new(Seen::default());
    io.on_connection(|socket| {
        socket.on("echo", |_s, text: String, ack: AckSender| {
            let _ = ack.send(&text);
        });
    });
    let record = |seen: &Arc<Seen>, socket: &socketio::Socket| {
        let seen = seen.clone();
        socket.on_disconnect(move |s, reason| {
            seen.disconnects
                .lock()
                .unwrap()
                .push((s.ns().name().to_owned(), reason));
        });
    };
    let s = seen.clone();
    io.of("/panic-event").on_connection(move |socket| {
        record(&s, &socket);
        socket.join("room-x").unwrap();
        socket.on("boom", |_s, _: socketio::Args, _ack| {
            panic!("handler panicked on purpose")
        });
    });
    let s = seen.clone();
    io.of("/panic-async").on_connection(move |socket| {
        record(&s, &socket);
        socket.join("room-x").unwrap();
        socket.on_async("boom", |_s, _: socketio::Args, _ack| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            panic!("async handler panicked on purpose")
        });
    });
    io.of("/panic-middleware").middleware(|_socket| async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if true {
            panic!("middleware panicked on purpose");
        }
        Ok::<(), MiddlewareError>(())
    });
    let s = seen.clone();
    io.of("/panic-connection").on_connection(move |socket| {
        record(&s, &socket);
        socket.join("room-x").unwrap();
        panic!("connection handler panicked on purpose");
    });
    let s = seen.clone();
    io.of("/panic-disconnect").on_connection(move |socket| {
        socket.join("room-x").unwrap();
        let s = s.clone();
        socket.on_disconnect(move |sock, reason| {
            s.disconnects
                .lock()
                .unwrap()
                .push((sock.ns().name().to_owned(), reason));
            panic!("disconnect handler panicked on purpose");
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, seen)
}

/// One victim on `nsp` (`trigger`: what it does once connected), one bystander on `/`.
async fn panic_case(nsp: &str, trigger: &str, expect_disconnects: usize) {
    let (io, addr, seen) = panicking_server().await;
    let baseline = open_sockets();
    let mut script = ClientProcess::node(
        "sio_harden.js",
        &json!({
            "url": format!("http://{addr}"),
            "scenario": "panic",
            "nsp": nsp,
            "trigger": trigger,
            "transports": ["websocket"],
            "timeoutMs": 20000,
        }),
    );
    let stage = script.expect("STAGE", Duration::from_secs(20)).await;
    assert!(stage["victimGone"].is_string(), "{stage}");

    // The victim's socket is gone from its namespace and every room, and its connection is
    // closed; the bystander's is the only one left.
    let ns = io.of(nsp);
    eventually(
        Duration::from_secs(5),
        "victim still in its namespace",
        || ns.is_empty(),
    )
    .await;
    assert!(
        !ns.rooms().iter().any(|r| &**r == "room-x"),
        "room-x kept: {:?}",
        ns.rooms()
    );
    eventually(
        Duration::from_secs(5),
        "victim's session still open",
        || io.engine().clients_count() == 1,
    )
    .await;
    // Only the bystander's connection is left: the victim's is closed.
    eventually(
        Duration::from_secs(5),
        "victim's file descriptor still open",
        || open_sockets() == baseline + 1,
    )
    .await;
    let disconnects = seen.disconnects.lock().unwrap().clone();
    assert_eq!(disconnects.len(), expect_disconnects, "{disconnects:?}");
    for (name, reason) in &disconnects {
        assert_eq!(name, nsp);
        if trigger != "leave" {
            assert_eq!(*reason, DisconnectReason::ForcedServerClose);
        }
    }
    assert_eq!(io.sockets().len(), 1, "the bystander is still connected");

    io.emit("finish", &()).unwrap();
    let result = script.result(Duration::from_secs(10)).await;
    assert_eq!(result["back"], "still here", "{result}");
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_event_handler_costs_its_connection_only() {
    with_timeout(
        Duration::from_secs(40),
        panic_case("/panic-event", "boom", 1),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_async_handler_costs_its_connection_only() {
    with_timeout(
        Duration::from_secs(40),
        panic_case("/panic-async", "boom", 1),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_middleware_costs_its_connection_only() {
    with_timeout(
        Duration::from_secs(40),
        panic_case("/panic-middleware", "none", 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_connection_handler_costs_its_connection_only() {
    with_timeout(
        Duration::from_secs(40),
        panic_case("/panic-connection", "none", 1),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_disconnect_handler_still_cleans_up() {
    with_timeout(
        Duration::from_secs(40),
        panic_case("/panic-disconnect", "leave", 1),
    )
    .await;
}

/// 1,000 clients on a namespace whose middleware awaits a timer, each emitting `hello` with an
/// ack the moment it is connected and `second` right after; the connection handler works a
/// little before registering the handlers.
async fn burst(transports: serde_json::Value, n: usize) {
    let io = Server::new();
    let events: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let handled = Arc::new(AtomicUsize::new(0));
    let slow = io.of("/slow");
    slow.middleware(|_socket| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok(())
    });
    let ev = events.clone();
    let h = handled.clone();
    slow.on_connection(move |socket| {
        // A little work before the handlers exist (a lookup, a log line...): about a
        // millisecond, longer than the client's round trip on loopback.
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(1) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        std::hint::black_box(x);
        let ev1 = ev.clone();
        let h1 = h.clone();
        socket.on("hello", move |s, n: u64, ack: AckSender| {
            ev1.lock()
                .unwrap()
                .entry(s.id().to_owned())
                .or_default()
                .push(format!("hello {n}"));
            h1.fetch_add(1, Ordering::Relaxed);
            let _ = ack.send(&n);
        });
        let ev2 = ev.clone();
        socket.on("second", move |s, n: u64, _ack| {
            ev2.lock()
                .unwrap()
                .entry(s.id().to_owned())
                .or_default()
                .push(format!("second {n}"));
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let result = ClientProcess::node(
        "sio_harden.js",
        &json!({
            "url": format!("http://{addr}"),
            "scenario": "burst",
            "nsp": "/slow",
            "n": n,
            "transports": transports,
            "timeoutMs": 50000,
        }),
    )
    .result(Duration::from_secs(55))
    .await;
    assert_eq!(result["acks"], n, "{result}");
    assert_eq!(
        handled.load(Ordering::Relaxed),
        n,
        "each hello handled once"
    );
    // `second` may still be on its way when the last ack is in (a later POST on polling).
    let complete = || {
        let events = events.lock().unwrap();
        events.len() == n && events.values().all(|seq| seq.len() >= 2)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !complete() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    {
        let events = events.lock().unwrap();
        let short: Vec<_> = events.iter().filter(|(_, seq)| seq.len() < 2).collect();
        assert!(
            events.len() == n && short.is_empty(),
            "{} sockets, {} without their second event: {:?}",
            events.len(),
            short.len(),
            short.iter().take(5).collect::<Vec<_>>()
        );
    }
    {
        let events = events.lock().unwrap();
        assert_eq!(events.len(), n, "one socket per client");
        for (id, seq) in events.iter() {
            assert_eq!(seq.len(), 2, "{id}: {seq:?}");
            let k = seq[0]
                .strip_prefix("hello ")
                .unwrap_or_else(|| panic!("{id}: {seq:?}"));
            assert_eq!(seq[1], format!("second {k}"), "{id}: in order");
        }
    }
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_first_event_is_lost_after_an_async_middleware_websocket() {
    with_timeout(Duration::from_secs(60), burst(json!(["websocket"]), 1000)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_first_event_is_lost_after_an_async_middleware_polling() {
    with_timeout(Duration::from_secs(60), burst(json!(["polling"]), 300)).await;
}

/// One HTTP/1.1 request on its own connection (`Connection: close`); the status line of the
/// answer, read within `within`.
async fn http_status(addr: SocketAddr, head: &str, within: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = tokio::time::timeout(within, async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(2).any(|w| w == b"\r\n") {
            let n = tcp.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&buf)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    })
    .await;
    answer.unwrap_or_else(|_| panic!("no answer within {within:?} to {:.120}", head))
}

/// A bystander's echo with an ack over a raw WebSocket: `421["echo","n"]` → `431["n"]`.
async fn bystander_echo(ws: &mut sio_common::SioWs, n: u32) {
    ws.send_text(&format!("42{n}[\"echo\",\"{n}\"]")).await;
    let reply = ws.recv_data_text().await;
    assert_eq!(reply, format!("43{n}[\"{n}\"]"), "bystander's ack");
}

/// Every header the server reads (and the query string) at 60 KB, just under the request-head
/// limit of `serve`: each is answered promptly, with no quadratic parse, and a bystander's echo
/// still round-trips between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_header_values_are_answered_while_a_bystander_is_served() {
    with_timeout(Duration::from_secs(60), async {
        let io = Server::new();
        io.set_engine_options(|e| {
            e.per_message_deflate = Some(engineio::PerMessageDeflate::default());
            e.origins = engineio::Origins::list(["http://example.com:80"]);
        })
        .unwrap();
        io.on_connection(|socket| {
            socket.on("echo", |_s, text: String, ack: AckSender| {
                let _ = ack.send(&text);
            });
            let _ = socket.emit("hello", &());
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let mut ws = sio_common::SioWs::connect_with(
            addr,
            "/socket.io/?EIO=4&transport=websocket",
            &[("origin", "http://example.com")],
        )
        .await
        .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        ws.join("/", None).await;

        let digits = "1".repeat(60_000);
        let ok_origin = "Origin: http://example.com\r\n";
        let polling = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
        let ws_head = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        let cases: Vec<(&str, String)> = vec![
            (
                "Accept-Encoding on the client bundle",
                format!("GET /socket.io/socket.io.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept-Encoding: gzip;q={digits}\r\n\r\n"),
            ),
            (
                "Accept-Encoding on a polling handshake",
                format!("{polling}{ok_origin}Accept-Encoding: gzip;q={digits}\r\n\r\n"),
            ),
            (
                "Cookie",
                format!("{polling}{ok_origin}Cookie: io={digits}\r\n\r\n"),
            ),
            (
                "Origin",
                format!("{polling}Origin: http://{digits}.example.com\r\n\r\n"),
            ),
            (
                "Referer",
                format!("{polling}Referer: http://example.com/{digits}\r\n\r\n"),
            ),
            (
                "Sec-WebSocket-Extensions",
                format!("{ws_head}{ok_origin}Sec-WebSocket-Extensions: permessage-deflate; x={digits}, {}\r\n\r\n",
                    "permessage-deflate; ".repeat(100)),
            ),
            (
                "the query string",
                format!("GET /socket.io/?EIO=4&transport=polling&x={digits}&{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{ok_origin}\r\n", "a=b&".repeat(2000)),
            ),
        ];
        for (i, (what, head)) in cases.iter().enumerate() {
            let started = std::time::Instant::now();
            let status = http_status(addr, head, Duration::from_secs(10)).await;
            let took = started.elapsed();
            assert!(status.starts_with("HTTP/1.1 "), "{what}: {status:?}");
            // Linear work on 60 KB is well under a millisecond; this bound only catches the
            // quadratic kind (0.6 s in release for the q-value, seconds in a debug build).
            assert!(took < Duration::from_millis(500), "{what}: answered in {took:?}");
            bystander_echo(&mut ws, i as u32).await;
        }
        io.close().await;
    })
    .await;
}

/// A user adapter factory that calls `io.of()` (to look at another namespace, say) does not
/// deadlock: factories run outside the registry's lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_factory_may_call_of() {
    let io = Server::new();
    let inner = io.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    io.set_adapter(move |_handle: socketio::NamespaceHandle| {
        c.fetch_add(1, Ordering::Relaxed);
        // An existing namespace: a lookup under the registry's lock would deadlock here.
        assert_eq!(inner.of("/").name(), "/");
        Arc::new(socketio::LocalAdapter) as Arc<dyn socketio::Adapter>
    });
    let io2 = io.clone();
    let made = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::task::spawn_blocking(move || io2.of("/new").name().to_owned()),
    )
    .await
    .expect("io.of() deadlocked with a factory calling io.of()")
    .unwrap();
    assert_eq!(made, "/new");
    // `/` again on `set_adapter`, then `/new`.
    assert!(calls.load(Ordering::Relaxed) >= 2);
}

/// What an Engine.IO handler saw: how many `on_message` calls ran at once, and the messages.
struct OverlapLog {
    running: AtomicUsize,
    most: AtomicUsize,
    messages: Mutex<Vec<String>>,
}

/// An Engine.IO handler recording into a shared [`OverlapLog`].
struct Overlap(Arc<OverlapLog>);

impl engineio::Handler for Overlap {
    fn on_connect(&self, _socket: engineio::Socket) {}
    fn on_message(&self, _socket: &engineio::Socket, message: engineio::Message) {
        let log = &self.0;
        let now = log.running.fetch_add(1, Ordering::SeqCst) + 1;
        log.most.fetch_max(now, Ordering::SeqCst);
        // Work on the I/O path; `block_in_place` hands this worker's other tasks (the
        // WebSocket's, say) to another thread meanwhile, so they could run at once with it.
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(80)));
        if let engineio::Message::Text(t) = message {
            log.messages.lock().unwrap().push(t.to_string());
        }
        log.running.fetch_sub(1, Ordering::SeqCst);
    }
    fn on_close(&self, _socket: &engineio::Socket, _reason: engineio::CloseReason) {}
}

/// A POST still delivering its packets when the WebSocket upgrade completes, and the
/// WebSocket's first message, take turns: the handler never runs twice at once for one
/// session, and sees the POST's packets first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_and_the_upgraded_websocket_do_not_deliver_at_once() {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    with_timeout(Duration::from_secs(30), async {
        let overlap = Arc::new(OverlapLog {
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            messages: Mutex::new(Vec::new()),
        });
        let engine =
            engineio::Engine::new(engineio::EngineConfig::default(), Overlap(overlap.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = engineio::serve(listener, engine.service(engineio::NotFound));

        let open = http_body(addr, "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        let sid = open
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no sid in {open:?}"))
            .to_owned();

        let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket&sid={sid}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ws.send(WsMessage::text("2probe")).await.unwrap();
        let probe = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap();
        assert_eq!(probe.unwrap().unwrap().into_text().unwrap().as_str(), "3probe");

        // Four messages, 80 ms of handler work each.
        let body = "4p1\u{1e}4p2\u{1e}4p3\u{1e}4p4";
        let post = format!(
            "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let post = tokio::spawn(async move {
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.write_all(post.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            tcp.read_to_end(&mut answer).await.unwrap();
            String::from_utf8_lossy(&answer).into_owned()
        });
        // The upgrade completes while the POST is delivering, then the WebSocket has its own.
        tokio::time::sleep(Duration::from_millis(40)).await;
        ws.send(WsMessage::text("5")).await.unwrap();
        ws.send(WsMessage::text("4ws")).await.unwrap();
        let answer = post.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        eventually(Duration::from_secs(5), "all five delivered", || {
            overlap.messages.lock().unwrap().len() == 5
        })
        .await;
        assert_eq!(overlap.most.load(Ordering::SeqCst), 1, "on_message ran twice at once");
        let messages = overlap.messages.lock().unwrap().clone();
        assert_eq!(messages, ["p1", "p2", "p3", "p4", "ws"]);
        engine.close();
        server.shutdown().await;
    })
    .await;
}

/// The body of a one-request connection's answer.
async fn http_body(addr: SocketAddr, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned()
}

/// `io.on("new_namespace")`: fired for a static namespace and for a dynamic parent's child,
/// before the child takes its first client (so its handlers are there for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_namespace_fires_for_static_and_dynamic_namespaces() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let created: Arc<Mutex<Vec<String>>> = Arc::default();
        let c = created.clone();
        io.on_new_namespace(move |ns| {
            c.lock().unwrap().push(ns.name().to_owned());
            let name = ns.name().to_owned();
            ns.on_connection(move |socket| {
                let _ = socket.emit("welcome", &name);
            });
        });
        let _chat = io.of("/chat");
        let _again = io.of("/chat");
        io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap());
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        // `join` waits for the greeting: the `welcome` the listener's handler sends.
        ws.join("/dyn-7", None).await;
        let names = created.lock().unwrap().clone();
        assert_eq!(names, ["/chat", "/dyn-7"], "once each, parents excluded");
        io.close().await;
    })
    .await;
}

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Sends `count` polling handshakes one after another on one keep-alive connection; counts
/// the answers by status.
async fn handshake_loop(addr: SocketAddr, count: usize) -> HashMap<u16, usize> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = tcp.into_split();
    let mut read = BufReader::new(read);
    let mut statuses = HashMap::new();
    let request = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    for _ in 0..count {
        write.write_all(request).await.unwrap();
        let mut status = 0u16;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(rest) = line.strip_prefix("HTTP/1.1 ") {
                status = rest[..3].parse().unwrap();
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await.unwrap();
        *statuses.entry(status).or_default() += 1;
    }
    statuses
}

/// 50,000 polling handshakes from four keep-alive connections against `max_sessions`
/// 5,000: the sessions past it are refused with 503 (and `connection_error` is told), memory
/// stays bounded, and a bystander is served throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_flood_is_bounded_by_max_sessions() {
    with_timeout(Duration::from_secs(120), async {
        let refusals = Arc::new(AtomicUsize::new(0));
        let r = refusals.clone();
        let io = Server::new();
        io.set_engine_options(|e| {
            e.max_sessions = 5_000;
            e.connection_error = Some(engineio::ConnectionErrorHook::new(move |err| {
                if err.code == 4 && err.message == "Too many sessions" {
                    r.fetch_add(1, Ordering::Relaxed);
                }
            }));
        })
        .unwrap();
        io.on_connection(|socket| {
            socket.on("echo", |_s, text: String, ack: AckSender| {
                let _ = ack.send(&text);
            });
            let _ = socket.emit("hello", &());
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        ws.join("/", None).await;
        let before = rss_kib();

        let floods: Vec<_> = (0..4)
            .map(|_| tokio::spawn(handshake_loop(addr, 12_500)))
            .collect();
        let mut echoes = 0;
        while !floods.iter().all(|f| f.is_finished()) {
            bystander_echo(&mut ws, echoes).await;
            echoes += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut statuses: HashMap<u16, usize> = HashMap::new();
        for f in floods {
            for (status, n) in f.await.unwrap() {
                *statuses.entry(status).or_default() += n;
            }
        }
        let grown_mib = rss_kib().saturating_sub(before) / 1024;
        let accepted = statuses.get(&200).copied().unwrap_or(0);
        let refused = statuses.get(&503).copied().unwrap_or(0);
        assert_eq!(accepted + refused, 50_000, "{statuses:?}");
        // The bystander holds one session; a few handshakes may race past the check.
        assert!((4_990..=5_010).contains(&accepted), "{statuses:?}");
        assert_eq!(refusals.load(Ordering::Relaxed), refused);
        assert!(grown_mib < 300, "RSS grew {grown_mib} MiB");
        assert!(echoes > 0);
        bystander_echo(&mut ws, 999_999).await;
        io.close().await;
    })
    .await;
}

/// A dynamic child left empty while another client is in its middleware is kept: the client
/// joins the registered namespace, not an orphan (cleanup of empty children on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_child_is_kept_while_a_client_is_joining_it() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::with_config(
            socketio::ServerConfig::builder()
                .cleanup_empty_child_namespaces(true)
                .build(),
        );
        let parent = io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap());
        parent.middleware(|socket| async move {
            let delay = socket.auth()["delay"].as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Ok(())
        });
        parent.on_connection(|socket| {
            let _ = socket.emit("hello", &());
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let open = || async {
            let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
                .await
                .unwrap();
            ws.set_auto_pong(true);
            let _open = ws.recv_text().await;
            ws
        };
        let mut first = open().await;
        first.join("/dyn-1", None).await;
        // The second client is in the middleware for 500 ms...
        let mut second = open().await;
        second.send_text(r#"40/dyn-1,{"delay":500}"#).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // ...while the first leaves, emptying the child.
        first.send_text("41/dyn-1,").await;
        let reply = second.recv_data_text().await;
        assert!(reply.starts_with("40/dyn-1,"), "{reply}");
        let ns = io.of("/dyn-1");
        eventually(
            Duration::from_secs(5),
            "the joined socket is in the registered child",
            || ns.len() == 1,
        )
        .await;
        assert_eq!(io.children_of(&parent).len(), 1);
        io.close().await;
    })
    .await;
}

/// A server for the `compress(false)` tests: `big` (2 KiB, past every compression threshold)
/// on the events `normal` and `plain`, the latter with `compress(false)`, to the socket and
/// through a broadcast to its own room.
async fn compress_server() -> (Server, SocketAddr) {
    let (io, addr, _plain) = compress_server_counting().await;
    (io, addr)
}

/// [`compress_server`], with the number of `plain` events handled (once its emits are made).
async fn compress_server_counting() -> (Server, SocketAddr, Arc<AtomicUsize>) {
    let plain_handled = Arc::new(AtomicUsize::new(0));
    let handled = plain_handled.clone();
    let io = Server::new();
    io.set_engine_options(|e| {
        e.per_message_deflate = Some(engineio::PerMessageDeflate::default());
    })
    .unwrap();
    let big = "x".repeat(2048);
    let io2 = io.clone();
    io.on_connection(move |socket| {
        let big = big.clone();
        let b = big.clone();
        socket.on("normal", move |s, _: socketio::Args, _ack| {
            let _ = s.emit("big", &b);
        });
        let b = big.clone();
        let io = io2.clone();
        let handled = handled.clone();
        socket.on("plain", move |s, _: socketio::Args, _ack| {
            let _ = s.compress(false).emit("big", &b);
            let _ = io.to(s.id().to_owned()).compress(false).emit("big", &b);
            handled.fetch_add(1, Ordering::SeqCst);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, plain_handled)
}

/// A WebSocket frame as the server sent it.
#[derive(Debug)]
struct RawFrame {
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

async fn read_frame(read: &mut (impl tokio::io::AsyncRead + Unpin)) -> RawFrame {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 2];
    read.read_exact(&mut head).await.unwrap();
    let mut len = u64::from(head[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        read.read_exact(&mut b).await.unwrap();
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        read.read_exact(&mut b).await.unwrap();
        len = u64::from_be_bytes(b);
    }
    let mut payload = vec![0u8; len as usize];
    read.read_exact(&mut payload).await.unwrap();
    RawFrame {
        rsv1: head[0] & 0x40 != 0,
        opcode: head[0] & 0x0f,
        payload,
    }
}

/// A masked client text frame (uncompressed).
fn client_text(text: &str) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let data = text.as_bytes();
    assert!(data.len() < 126);
    let mut frame = vec![0x81, 0x80 | data.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// `compress(false)` with permessage-deflate negotiated: that emit's frame goes without RSV1
/// (uncompressed), on the socket and through a broadcast, while a plain emit is compressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_skips_per_message_deflate() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    with_timeout(Duration::from_secs(20), async {
        let (io, addr) = compress_server().await;
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (read, mut write) = tcp.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(
                b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
                  Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                  Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
            )
            .await
            .unwrap();
        let mut head = String::new();
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.to_ascii_lowercase().contains("permessage-deflate"),
            "{head}"
        );
        let open = read_frame(&mut read).await;
        assert_eq!(open.payload.first(), Some(&b'0'), "{open:?}");
        write.write_all(&client_text("40")).await.unwrap();
        let connected = read_frame(&mut read).await;
        assert!(connected.payload.starts_with(b"40"), "{connected:?}");

        write
            .write_all(&client_text(r#"42["normal"]"#))
            .await
            .unwrap();
        let normal = read_frame(&mut read).await;
        assert_eq!(normal.opcode, 1);
        assert!(normal.rsv1, "a 2 KiB emit is compressed by default");
        assert!(
            normal.payload.len() < 1024,
            "{} bytes",
            normal.payload.len()
        );

        write
            .write_all(&client_text(r#"42["plain"]"#))
            .await
            .unwrap();
        for what in [
            "socket.compress(false).emit",
            "io.to(id).compress(false).emit",
        ] {
            let plain = read_frame(&mut read).await;
            assert_eq!(plain.opcode, 1);
            assert!(!plain.rsv1, "{what}: sent compressed");
            let text = String::from_utf8(plain.payload).unwrap();
            assert!(text.starts_with(r#"42["big","xxx"#), "{what}: {text:.40}");
        }
        io.close().await;
    })
    .await;
}

/// A Socket.IO session on raw long-polling, joined to `/`: its id and the requests of its
/// polls (`Connection: close`, one per request).
struct Polling {
    sid: String,
    /// A GET of the session, asking for gzip when made with `gzip`.
    get: String,
}

impl Polling {
    /// Opens a session at `/socket.io/`, sends `40` and reads the CONNECT reply.
    async fn join(addr: SocketAddr, gzip: bool) -> Polling {
        let open = http_body(
            addr,
            "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let sid = open
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        let accept = if gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        let get = format!(
            "GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{accept}\r\n"
        );
        let polling = Polling { sid, get };
        assert!(
            http_status(addr, &polling.post("40"), Duration::from_secs(5))
                .await
                .contains("200")
        );
        let connected = http_head_and_body(addr, &polling.get).await;
        assert!(connected.1.starts_with(b"40"), "{connected:?}");
        polling
    }

    /// A POST of `body` to the session.
    fn post(&self, body: &str) -> String {
        format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            self.sid,
            body.len()
        )
    }
}

/// On polling, a payload made only of `compress(false)` packets skips HTTP compression (Node's
/// rule); a plain one of the same size is gzipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_skips_http_compression_on_polling() {
    with_timeout(Duration::from_secs(20), async {
        let (io, addr) = compress_server().await;
        let polling = Polling::join(addr, true).await;
        let get = polling.get.clone();
        let post = |body: &str| polling.post(body);

        assert!(
            http_status(addr, &post(r#"42["normal"]"#), Duration::from_secs(5))
                .await
                .contains("200")
        );
        let (head, _) = http_head_and_body(addr, &get).await;
        assert!(
            head.to_ascii_lowercase().contains("content-encoding: gzip"),
            "{head}"
        );

        assert!(
            http_status(addr, &post(r#"42["plain"]"#), Duration::from_secs(5))
                .await
                .contains("200")
        );
        // Both `compress(false)` emits, in one payload or two.
        let (head, body) = http_head_and_body(addr, &get).await;
        assert!(
            !head.to_ascii_lowercase().contains("content-encoding"),
            "{head}"
        );
        assert!(body.starts_with(br#"42["big","xxx"#));
        io.close().await;
    })
    .await;
}

/// The head and body of a one-request connection's answer.
async fn http_head_and_body(addr: SocketAddr, request: &str) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = answer.get(split + 4..).unwrap_or(&[]).to_vec();
    (head, body)
}

/// `handshake.secure` and `handshake.address` behind a proxy: from `X-Forwarded-Proto` and
/// `X-Forwarded-For` only with `trust_proxy`; the connection's own address otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_fill_the_handshake_only_when_trusted() {
    with_timeout(Duration::from_secs(20), async {
        for trust in [false, true] {
            let io = Server::new();
            io.set_engine_options(|e| e.trust_proxy = trust).unwrap();
            let seen: Arc<Mutex<Option<(bool, String)>>> = Arc::default();
            let s = seen.clone();
            io.on_connection(move |socket| {
                let h = socket.handshake();
                *s.lock().unwrap() = Some((h.secure, h.address.clone()));
                let _ = socket.emit("hello", &());
            });
            let addr = io.listen("127.0.0.1:0").await.unwrap();
            let mut ws = sio_common::SioWs::connect_with(
                addr,
                "/socket.io/?EIO=4&transport=websocket",
                &[
                    ("x-forwarded-for", "203.0.113.7"),
                    ("x-forwarded-proto", "https"),
                ],
            )
            .await
            .unwrap();
            ws.set_auto_pong(true);
            let _open = ws.recv_text().await;
            ws.join("/", None).await;
            let (secure, address) = seen.lock().unwrap().clone().unwrap();
            if trust {
                assert!(secure);
                assert_eq!(address, "::ffff:203.0.113.7");
            } else {
                assert!(!secure);
                assert_eq!(address, "::ffff:127.0.0.1");
            }
            io.close().await;
        }
    })
    .await;
}

/// Mounted in axum (the Express example), a socket's `handshake.address` is the client's:
/// the app hands axum's `ConnectInfo` to the engine as `engineio::RemoteAddr`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_address_is_known_under_axum() {
    with_timeout(Duration::from_secs(20), async {
        let running = examples::attach::express(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let seen: Arc<Mutex<Option<String>>> = Arc::default();
        let s = seen.clone();
        running.io.on_connection(move |socket| {
            *s.lock().unwrap() = Some(socket.handshake().address.clone());
        });
        let mut ws =
            sio_common::SioWs::connect(running.addr, "/socket.io/?EIO=4&transport=websocket")
                .await
                .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        ws.send_text("40").await;
        let _connected = ws.recv_data_text().await;
        eventually(Duration::from_secs(5), "connection handler ran", || {
            seen.lock().unwrap().is_some()
        })
        .await;
        assert_eq!(seen.lock().unwrap().as_deref(), Some("::ffff:127.0.0.1"));
    })
    .await;
}

/// What `tests/clients/sio_compress.js` received: one `big` after `normal`, two after `plain`,
/// each the server's 2 KiB string exactly.
fn assert_bigs_intact(result: &serde_json::Value) {
    let big = "x".repeat(2048);
    let received = result["received"].as_array().unwrap();
    let phases: Vec<&str> = received
        .iter()
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["normal", "plain", "plain"], "{result}");
    for r in received {
        assert_eq!(
            r["text"].as_str(),
            Some(big.as_str()),
            "a `big` of phase {} arrived altered",
            r["phase"]
        );
    }
}

/// `compress(false)` with the real socket.io-client 4.x on a WebSocket with permessage-deflate
/// (`perMessageDeflate: true`): the compressed emit and the `compress(false)` ones, to the
/// socket and through a broadcast, all arrive intact (the frames themselves are checked by
/// `compress_false_skips_per_message_deflate`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_reaches_a_real_client_intact_over_websocket() {
    with_timeout(Duration::from_secs(30), async {
        let (io, addr) = compress_server().await;
        let result = ClientProcess::node(
            "sio_compress.js",
            &json!({"url": format!("http://{addr}"), "transport": "websocket"}),
        )
        .result(Duration::from_secs(20))
        .await;
        assert_eq!(result["transport"], "websocket", "{result}");
        assert!(
            result["extensions"]
                .as_str()
                .is_some_and(|e| e.contains("permessage-deflate")),
            "permessage-deflate not negotiated: {result}"
        );
        assert_bigs_intact(&result);
        io.close().await;
    })
    .await;
}

/// The same over polling, with the real client's `fetch()` transport (which asks for gzip):
/// the poll carrying the plain emit is gzipped, those carrying only `compress(false)` emits are
/// not (Node's rule), and all arrive intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_reaches_a_real_client_intact_over_polling() {
    with_timeout(Duration::from_secs(30), async {
        let (io, addr) = compress_server().await;
        let result = ClientProcess::node(
            "sio_compress.js",
            &json!({"url": format!("http://{addr}"), "transport": "polling"}),
        )
        .result(Duration::from_secs(20))
        .await;
        assert_eq!(result["transport"], "polling", "{result}");
        assert_bigs_intact(&result);
        let polls = result["polls"].as_array().unwrap();
        let (first, rest) = polls.split_first().expect("no poll carried a `big`");
        assert_eq!(first["bigs"], 1, "{result}");
        assert!(
            first["encoding"].is_string(),
            "the plain emit's poll was not compressed: {result}"
        );
        for poll in rest {
            assert!(
                poll["encoding"].is_null(),
                "a poll of `compress(false)` emits only was compressed: {result}"
            );
        }
        let plain: u64 = rest.iter().map(|p| p["bigs"].as_u64().unwrap()).sum();
        assert_eq!(plain, 2, "{result}");
        io.close().await;
    })
    .await;
}

/// Packets queued while the session is still on polling and flushed over the WebSocket once
/// the upgrade completes keep their compression wish: the `compress(false)` ones go without
/// RSV1, the plain one queued with them is compressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_survives_the_flush_after_an_upgrade() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    with_timeout(Duration::from_secs(20), async {
        let (io, addr, plain_handled) = compress_server_counting().await;
        let polling = Polling::join(addr, false).await;
        let sid = polling.sid.clone();
        let post = |body: &str| polling.post(body);

        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (read, mut write) = tcp.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(
                format!(
                    "GET /socket.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\nHost: x\r\n\
                     Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                     Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut head = String::new();
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.to_ascii_lowercase().contains("permessage-deflate"),
            "{head}"
        );
        write.write_all(&client_text("2probe")).await.unwrap();
        let probe = read_frame(&mut read).await;
        assert_eq!(probe.payload, b"3probe", "{probe:?}");

        // Still on polling (no `5` yet), with no GET waiting: the three `big` stay queued.
        assert!(http_status(
            addr,
            &post("42[\"normal\"]\u{1e}42[\"plain\"]"),
            Duration::from_secs(5)
        )
        .await
        .contains("200"));
        eventually(Duration::from_secs(5), "`plain` handled", || {
            plain_handled.load(Ordering::SeqCst) == 1
        })
        .await;
        write.write_all(&client_text("5")).await.unwrap();

        let normal = read_frame(&mut read).await;
        assert_eq!(normal.opcode, 1);
        assert!(
            normal.rsv1,
            "the plain emit queued on polling went uncompressed"
        );
        for what in [
            "socket.compress(false).emit",
            "io.to(id).compress(false).emit",
        ] {
            let plain = read_frame(&mut read).await;
            assert_eq!(plain.opcode, 1);
            assert!(!plain.rsv1, "{what}: queued on polling, flushed compressed");
            let text = String::from_utf8(plain.payload).unwrap();
            assert!(text.starts_with(r#"42["big","xxx"#), "{what}: {text:.40}");
        }
        io.close().await;
    })
    .await;
}

/// An adapter that counts what it is asked to publish, claiming a second node so that any
/// cluster operation would publish.
struct CountingAdapter(Arc<AtomicUsize>);

impl socketio::Adapter for CountingAdapter {
    fn server_count(&self) -> usize {
        2
    }

    fn publish(
        &self,
        _request: socketio::ClusterRequest,
    ) -> Result<socketio::Responses, socketio::AdapterError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(tokio::sync::mpsc::unbounded_channel().1)
    }
}

/// An adapter whose cached count says this node is alone while it really has a peer, as
/// the Redis adapter's between two `PUBSUB NUMSUB`s; `fresh` is what asking afresh answers.
struct StaleCountAdapter {
    published: Arc<std::sync::Mutex<Vec<&'static str>>>,
    publishes_broadcasts: bool,
    fresh: usize,
}

impl socketio::Adapter for StaleCountAdapter {
    fn server_count(&self) -> usize {
        1
    }

    fn publishes_broadcasts(&self) -> bool {
        self.publishes_broadcasts
    }

    fn count_servers(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + Send + '_>> {
        Box::pin(std::future::ready(self.fresh))
    }

    fn publish(
        &self,
        request: socketio::ClusterRequest,
    ) -> Result<socketio::Responses, socketio::AdapterError> {
        let kind = match request {
            socketio::ClusterRequest::Broadcast {
                with_ack: false, ..
            } => "broadcast",
            socketio::ClusterRequest::Broadcast { with_ack: true, .. } => "broadcast-ack",
            socketio::ClusterRequest::FetchSockets { .. } => "fetch",
            _ => "other",
        };
        self.published.lock().unwrap().push(kind);
        Ok(tokio::sync::mpsc::unbounded_channel().1)
    }
}

/// The operators publish a broadcast whenever the adapter says it publishes broadcasts (the
/// Redis adapter, whose count may not know a node that has just joined), not only when the
/// cached count is above one; and a call that waits on other nodes asks for a fresh count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_and_requests_follow_the_adapter_not_a_cached_count() {
    with_timeout(Duration::from_secs(20), async {
        for (publishes, fresh) in [(true, 2), (false, 1)] {
            let published = Arc::new(std::sync::Mutex::new(Vec::new()));
            let io = Server::new();
            let p = published.clone();
            io.set_adapter(move |_handle: socketio::NamespaceHandle| {
                Arc::new(StaleCountAdapter {
                    published: p.clone(),
                    publishes_broadcasts: publishes,
                    fresh,
                }) as Arc<dyn socketio::Adapter>
            });
            io.emit("news", &1).unwrap();
            io.local().emit("news", &2).unwrap();
            let fetched = io.timeout(Duration::from_millis(100)).fetch_sockets().await;
            let acked = io
                .timeout(Duration::from_millis(100))
                .emit_with_ack("ask", &3)
                .await;
            let got = published.lock().unwrap().clone();
            if publishes {
                // the fresh count (2) is waited for: no answer comes, both time out
                assert_eq!(got, ["broadcast", "fetch", "broadcast-ack"]);
                assert!(fetched.is_err() && acked.is_err());
            } else {
                // a single node: nothing leaves it, nothing is waited for
                assert!(got.is_empty(), "{got:?}");
                assert!(fetched.unwrap().is_empty());
                assert!(acked.unwrap().is_empty());
            }
        }
    })
    .await;
}

/// `local()` on a dynamic parent (Node's `io.of(/^\/dyn-\d+$/).local.emit(...)`) reaches the
/// local sockets of every child, `to(room)` narrows it to the room, a socket of an unrelated
/// namespace gets nothing; fetch, join and emit with acks reach the children's sockets too;
/// and nothing is published to other nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_on_a_dynamic_parent_reaches_its_childrens_sockets() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let published = Arc::new(AtomicUsize::new(0));
        let p = published.clone();
        io.set_adapter(move |_handle: socketio::NamespaceHandle| {
            Arc::new(CountingAdapter(p.clone())) as Arc<dyn socketio::Adapter>
        });
        let parent = io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap());
        parent.on_connection(|socket| {
            if let Some(room) = socket.auth()["room"].as_str() {
                socket.join(room.to_owned()).unwrap();
            }
            let _ = socket.emit("hello", &());
        });
        // In a room of the same name as the children's, which the parent must not reach.
        io.of("/other").on_connection(|socket| {
            socket.join("r").unwrap();
            let _ = socket.emit("hello", &());
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let open = |nsp: &'static str, auth: serde_json::Value| async move {
            let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
                .await
                .unwrap();
            ws.set_auto_pong(true);
            let _open = ws.recv_text().await;
            let sid = ws.join(nsp, Some(&auth)).await;
            (ws, sid)
        };
        let (mut a, _) = open("/dyn-1", json!({"room": "r"})).await;
        let (mut b, b_sid) = open("/dyn-2", json!({})).await;
        let (mut c, _) = open("/dyn-2", json!({"room": "r"})).await;
        let (mut other, other_sid) = open("/other", json!({})).await;
        assert_eq!(io.children_of(&parent).len(), 2);

        parent.local().emit("news", &"all").unwrap();
        assert_eq!(a.recv_data_text().await, r#"42/dyn-1,["news","all"]"#);
        assert_eq!(b.recv_data_text().await, r#"42/dyn-2,["news","all"]"#);
        assert_eq!(c.recv_data_text().await, r#"42/dyn-2,["news","all"]"#);

        parent.local().to("r").emit("news", &"room").unwrap();
        assert_eq!(a.recv_data_text().await, r#"42/dyn-1,["news","room"]"#);
        assert_eq!(c.recv_data_text().await, r#"42/dyn-2,["news","room"]"#);
        // A later emit to each of the others comes first: the broadcasts skipped them.
        io.of("/dyn-2")
            .local()
            .to(b_sid.clone())
            .emit("sync", &())
            .unwrap();
        assert_eq!(b.recv_data_text().await, r#"42/dyn-2,["sync"]"#);
        io.of("/other")
            .local()
            .to(other_sid.clone())
            .emit("sync", &())
            .unwrap();
        assert_eq!(other.recv_data_text().await, r#"42/other,["sync"]"#);

        // The other operations the operators offer, on the children's local sockets too.
        let all = parent.local().fetch_sockets().await.unwrap();
        assert_eq!(all.len(), 3);
        let in_room = parent.local().to("r").fetch_sockets().await.unwrap();
        assert_eq!(in_room.len(), 2);
        parent.local().except("r").sockets_join(["joined"]).unwrap();
        let joined = parent.local().to("joined").fetch_sockets().await.unwrap();
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].id(), b_sid);

        // With acks: each child's sockets answer, under that child's own ack ids.
        let asking = parent.clone();
        let answers = tokio::spawn(async move {
            asking
                .local()
                .timeout(Duration::from_secs(5))
                .emit_with_ack("ask", &())
                .await
        });
        for (ws, nsp, name) in [
            (&mut a, "/dyn-1", "a"),
            (&mut b, "/dyn-2", "b"),
            (&mut c, "/dyn-2", "c"),
        ] {
            let frame = ws.recv_data_text().await;
            let id = frame
                .strip_prefix(&format!("42{nsp},"))
                .and_then(|rest| rest.strip_suffix(r#"["ask"]"#))
                .unwrap_or_else(|| panic!("{name} got {frame}"))
                .to_owned();
            ws.send_text(&format!(r#"43{nsp},{id}["{name}"]"#)).await;
        }
        let mut answers: Vec<String> = answers
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|v| v.value.as_str().unwrap().to_owned())
            .collect();
        answers.sort();
        assert_eq!(answers, ["a", "b", "c"]);
        io.of("/other")
            .local()
            .to(other_sid)
            .emit("sync", &())
            .unwrap();
        assert_eq!(other.recv_data_text().await, r#"42/other,["sync"]"#);

        assert_eq!(
            published.load(Ordering::SeqCst),
            0,
            "a local operation on the parent left the node"
        );
        io.close().await;
    })
    .await;
}

/// An async middleware (so the CONNECT answer and the connection handler run on its task,
/// not the connection's), then a connection handler that blocks 30 ms (a synchronous lookup)
/// before it registers `on_disconnect`; each socket it opens is handed to the test first.
async fn slow_opening_server() -> (
    Server,
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<socketio::Socket>,
    Arc<Mutex<Vec<(String, DisconnectReason)>>>,
) {
    let io = Server::new();
    io.middleware(|_socket| async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(())
    });
    let (opened, opened_rx) = tokio::sync::mpsc::unbounded_channel();
    let seen: Arc<Mutex<Vec<(String, DisconnectReason)>>> = Arc::default();
    let s = seen.clone();
    io.on_connection(move |socket| {
        let _ = opened.send(socket.clone());
        // Blocking work, the worker handed over meanwhile (a synchronous lookup): the
        // runtime goes on, and the CONNECT answer reaches the client before this returns.
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(30)));
        let s = s.clone();
        socket.on_disconnect(move |socket, reason| {
            s.lock().unwrap().push((socket.id().to_owned(), reason));
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, opened_rx, seen)
}

/// Connects to `/` over a raw WebSocket; returns once the CONNECT answer is in.
async fn connected_ws(addr: SocketAddr) -> sio_common::SioWs {
    let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    assert!(ws.recv_text().await.starts_with('0'));
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40"));
    ws
}

/// A client whose connection drops while the connection handler still runs (on the other
/// worker): the `on_disconnect` that handler registers afterwards still runs, once, with
/// "transport close", and the socket leaves its namespace. Node can never interleave these;
/// a multi-thread runtime can, so the close waits for the handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_close_during_the_connection_handler_reaches_its_disconnect_handler() {
    with_timeout(Duration::from_secs(60), async {
        let (io, addr, mut opened, seen) = slow_opening_server().await;
        for round in 0..3 {
            let ws = connected_ws(addr).await;
            let socket = opened.recv().await.unwrap();
            drop(ws);
            eventually(
                Duration::from_secs(10),
                "the disconnect handler ran",
                || seen.lock().unwrap().len() == round + 1,
            )
            .await;
            let (id, reason) = seen.lock().unwrap()[round].clone();
            assert_eq!(id, socket.id());
            assert_eq!(reason, DisconnectReason::TransportClose);
            assert!(!socket.connected());
            eventually(Duration::from_secs(10), "the socket left /", || {
                io.of("/").sockets().is_empty()
            })
            .await;
        }
        // Once each: nothing more came.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(seen.lock().unwrap().len(), 3);
    })
    .await;
}

/// `disconnect()` from another task while the connection handler runs: the client gets its
/// DISCONNECT at once, and the handler's `on_disconnect` runs once it has registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_from_another_task_during_the_connection_handler_reaches_its_handler() {
    with_timeout(Duration::from_secs(60), async {
        let (io, addr, mut opened, seen) = slow_opening_server().await;
        for round in 0..3 {
            let mut ws = connected_ws(addr).await;
            let socket = opened.recv().await.unwrap();
            socket.disconnect(false);
            assert_eq!(ws.recv_text().await, "41");
            eventually(
                Duration::from_secs(10),
                "the disconnect handler ran",
                || seen.lock().unwrap().len() == round + 1,
            )
            .await;
            let (id, reason) = seen.lock().unwrap()[round].clone();
            assert_eq!(id, socket.id());
            assert_eq!(reason, DisconnectReason::ServerNamespaceDisconnect);
            assert!(io.of("/").get_socket(socket.id()).is_none());
        }
    })
    .await;
}

/// `disconnect()` inside the connection handler itself acts at once, as in Node: the socket
/// is disconnected on the next line, a disconnect handler registered before runs, one
/// registered after does not, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_inside_the_connection_handler_acts_at_once() {
    with_timeout(Duration::from_secs(60), async {
        let io = Server::new();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let l = log.clone();
        io.of("/bye").on_connection(move |socket| {
            let before = l.clone();
            socket.on_disconnect(move |_s, reason| {
                before.lock().unwrap().push(format!("before: {reason}"));
            });
            socket.disconnect(false);
            l.lock()
                .unwrap()
                .push(format!("connected after: {}", socket.connected()));
            let after = l.clone();
            socket.on_disconnect(move |_s, reason| {
                after.lock().unwrap().push(format!("after: {reason}"));
            });
        });
        io.on_connection(|socket| {
            socket.on("echo", |_s, text: String, ack: AckSender| {
                let _ = ack.send(&text);
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let mut ws = sio_common::SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        assert!(ws.recv_text().await.starts_with('0'));
        ws.send_text("40/bye,").await;
        assert!(ws.recv_text().await.starts_with("40/bye,"));
        assert_eq!(ws.recv_text().await, "41/bye,");
        ws.send_text("40").await;
        assert!(ws.recv_text().await.starts_with("40"));
        ws.send_text(r#"421["echo","still here"]"#).await;
        assert_eq!(ws.recv_text().await, r#"431["still here"]"#);
        assert_eq!(
            *log.lock().unwrap(),
            [
                "before: server namespace disconnect".to_owned(),
                "connected after: false".to_owned()
            ]
        );
    })
    .await;
}
