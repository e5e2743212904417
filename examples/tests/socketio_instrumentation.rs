//! The seams instrumentation (the Admin UI, metrics) builds on, driven over raw WebSocket:
//! engine observers (opens, upgrades, closes, message counts; added before the engine exists
//! too), `prepend_connection` before the app's handlers (dynamic children included),
//! outgoing-event listeners hearing broadcasts once per recipient with binary kept,
//! `on_data_change`, data tags that other nodes and `fetch_sockets` see but `data()` does not,
//! and namespace lookups that never create one.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sio_common::{with_timeout, SioWs};
use socketio::Server;

type Log = Arc<Mutex<Vec<String>>>;

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn ws(addr: std::net::SocketAddr, nsp: &str) -> (SioWs, String) {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    ws.set_auto_pong(true);
    let _open = ws.recv_text().await;
    // The servers here send no greeting (`SioWs::join` expects one).
    let prefix = if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    };
    ws.send_text(&format!("40{prefix}")).await;
    let reply = ws.recv_data_text().await;
    let packet = sio_common::parse_message(&reply);
    assert_eq!(packet.kind, 0, "CONNECT reply {reply:?}");
    let sid = packet.data.as_ref().unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    (ws, sid)
}

#[derive(Default)]
struct Counts {
    opens: AtomicUsize,
    closes: AtomicUsize,
    messages_in: AtomicUsize,
    bytes_in: AtomicUsize,
    messages_out: AtomicUsize,
    bytes_out: AtomicUsize,
}

impl engineio::Observer for Counts {
    fn on_open(&self, _: &engineio::Socket) {
        self.opens.fetch_add(1, Ordering::SeqCst);
    }
    fn on_close(&self, _: &engineio::Socket, _: engineio::CloseReason) {
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
    fn on_message_in(&self, bytes: usize) {
        self.messages_in.fetch_add(1, Ordering::SeqCst);
        self.bytes_in.fetch_add(bytes, Ordering::SeqCst);
    }
    fn on_messages_out(&self, count: usize, bytes: usize) {
        self.messages_out.fetch_add(count, Ordering::SeqCst);
        self.bytes_out.fetch_add(bytes, Ordering::SeqCst);
    }
}

/// A panicking observer: the session goes on.
struct Panics;
impl engineio::Observer for Panics {
    fn on_message_in(&self, _: usize) {
        panic!("observer bug");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_observers_count_sessions_and_messages() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let counts = Arc::new(Counts::default());
        // Before the engine exists: it waits for it, and does not attach the server.
        io.observe_engine(counts.clone());
        assert!(io.engine_if_attached().is_none());
        io.set_path("/socket.io").unwrap();
        io.observe_engine(Arc::new(Panics));
        io.on_connection(|socket| {
            socket.on("echo", |socket, text: String, _ack| {
                let _ = socket.emit("echo", &text);
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let (mut a, _) = ws(addr, "/").await;
        a.send_text(r#"42["echo","hello"]"#).await;
        assert_eq!(a.recv_data_text().await, r#"42["echo","hello"]"#);
        wait_until("counts", || counts.messages_out.load(Ordering::SeqCst) >= 2).await;
        assert_eq!(counts.opens.load(Ordering::SeqCst), 1);
        // In: the CONNECT and the event, as payload bytes.
        assert_eq!(counts.messages_in.load(Ordering::SeqCst), 2);
        assert_eq!(
            counts.bytes_in.load(Ordering::SeqCst),
            "0".len() + r#"2["echo","hello"]"#.len()
        );
        // Out: the CONNECT reply and the echo (the open packet and pings are not messages).
        assert_eq!(counts.messages_out.load(Ordering::SeqCst), 2);
        assert!(counts.bytes_out.load(Ordering::SeqCst) > r#"2["echo","hello"]"#.len());
        a.close().await;
        wait_until("close", || counts.closes.load(Ordering::SeqCst) == 1).await;
        // An observer added now, with the engine running, sees the next session.
        let late = Arc::new(Counts::default());
        io.observe_engine(late.clone());
        let (_b, _) = ws(addr, "/").await;
        wait_until("late open", || late.opens.load(Ordering::SeqCst) == 1).await;
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepended_connection_listeners_run_first_also_in_dynamic_children() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let log: Log = Arc::default();
        let l = log.clone();
        io.on_connection(move |s| l.lock().unwrap().push(format!("app {}", s.ns().name())));
        let parent = io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap());
        let l = log.clone();
        parent.on_connection(move |s| l.lock().unwrap().push(format!("app {}", s.ns().name())));
        let l = log.clone();
        io.of("/").prepend_connection(move |s| {
            l.lock().unwrap().push(format!("first {}", s.ns().name()))
        });
        let l = log.clone();
        io.on_new_namespace(move |ns| {
            let l = l.clone();
            ns.prepend_connection(move |s| {
                l.lock().unwrap().push(format!("first {}", s.ns().name()))
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let (_a, _) = ws(addr, "/").await;
        let (_b, _) = ws(addr, "/dyn-7").await;
        wait_until("4 entries", || log.lock().unwrap().len() >= 4).await;
        assert_eq!(
            *log.lock().unwrap(),
            ["first /", "app /", "first /dyn-7", "app /dyn-7"]
        );
        // Lookups never create a namespace.
        assert!(io.namespace("/nope").is_none());
        let mut names: Vec<String> = io
            .namespaces()
            .iter()
            .map(|n| n.name().to_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["/", "/dyn-7"]);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_listeners_hear_broadcasts_per_recipient() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let log: Log = Arc::default();
        let l = log.clone();
        io.on_connection(move |socket| {
            let _ = socket.join("room");
            let l = l.clone();
            socket.on_any_outgoing(move |s, event, args| {
                let args = serde_json::to_value(args).unwrap();
                l.lock().unwrap().push(format!("{} {event} {args}", s.id()));
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let (mut a, sa) = ws(addr, "/").await;
        let (mut b, sb) = ws(addr, "/").await;
        io.to("room")
            .emit("news", &("x", bytes::Bytes::from_static(&[1, 2])))
            .unwrap();
        let _ = a.recv_packets(2).await;
        let _ = b.recv_packets(2).await;
        io.to("room")
            .except(sb.as_str())
            .emit("only-a", &1)
            .unwrap();
        let _ = a.recv_data_text().await;
        wait_until("3 entries", || log.lock().unwrap().len() >= 3).await;
        let mut got = log.lock().unwrap().clone();
        got.sort();
        let mut want = vec![
            format!(r#"{sa} news ["x",[1,2]]"#),
            format!(r#"{sb} news ["x",[1,2]]"#),
            format!("{sa} only-a [1]"),
        ];
        want.sort();
        // Once per recipient; the excluded socket hears nothing of `only-a`; the bytes are
        // the listener's (serde_json writes them as numbers here).
        assert_eq!(got, want);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_changes_and_tags() {
    with_timeout(Duration::from_secs(20), async {
        let io = Server::new();
        let changes: Log = Arc::default();
        let c = changes.clone();
        io.of("/").on_data_change(move |s| {
            c.lock().unwrap().push(s.data_value().to_string());
        });
        io.on_connection(|socket| {
            socket.set_data_tag(
                "_admin",
                json!({"clientId": "abc", "transport": "websocket"}),
            );
            socket.on("name", |socket, name: String, _ack| {
                let _ = socket.set_data(&json!({ "name": name }));
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let (mut a, _) = ws(addr, "/").await;
        a.send_text(r#"42["name","ann"]"#).await;
        wait_until("a data change", || !changes.lock().unwrap().is_empty()).await;
        assert_eq!(changes.lock().unwrap()[0], r#"{"name":"ann"}"#);
        let sockets = io.fetch_sockets().await.unwrap();
        assert_eq!(sockets.len(), 1);
        // Others see the tags beside the data; the socket's own data has none.
        assert_eq!(
            sockets[0].data_value(),
            json!({"name": "ann", "_admin": {"clientId": "abc", "transport": "websocket"}})
        );
        assert_eq!(sockets[0].data::<Value>(), Some(json!({"name": "ann"})));
        io.close().await;
    })
    .await;
}
