//! Cross-node operations on a two-node test adapter: two `Server`s in one process, linked by
//! channels that carry the `ClusterRequest`/`ClusterResponse` shapes a Redis adapter publishes.
//! Proves the adapter trait is cluster-ready: broadcast to a room spanning both nodes,
//! broadcast acks collected from both, `fetch_sockets` with the other node's data,
//! `sockets_join`, `disconnect_sockets`, `server_side_emit` with acks, and `local`.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sio_common::{parse_message, with_timeout, SioWs};
use socketio::{
    Adapter, AdapterError, ClusterRequest, NamespaceHandle, Responses, Server, ServerConfig,
};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);

/// The bus: each node's namespaces by (node, name).
#[derive(Default)]
struct Bus {
    nodes: Mutex<HashMap<(usize, String), NamespaceHandle>>,
    /// Every request published, for the shape assertions.
    log: Mutex<Vec<String>>,
}

struct PairAdapter {
    bus: Arc<Bus>,
    node: usize,
    nsp: String,
}

impl Adapter for PairAdapter {
    fn server_count(&self) -> usize {
        2
    }

    fn publish(&self, request: ClusterRequest) -> Result<Responses, AdapterError> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.bus
            .log
            .lock()
            .unwrap()
            .push(format!("{}:{}", self.node, kind(&request)));
        let other = self
            .bus
            .nodes
            .lock()
            .unwrap()
            .get(&(1 - self.node, self.nsp.clone()))
            .cloned();
        if let Some(other) = other {
            // Delivered later, on another task, as over a network.
            tokio::spawn(async move { other.apply_remote(request, tx) });
        }
        Ok(rx)
    }
}

fn kind(r: &ClusterRequest) -> &'static str {
    match r {
        ClusterRequest::Broadcast { with_ack: true, .. } => "broadcast-ack",
        ClusterRequest::Broadcast { .. } => "broadcast",
        ClusterRequest::SocketsJoin { .. } => "join",
        ClusterRequest::SocketsLeave { .. } => "leave",
        ClusterRequest::DisconnectSockets { .. } => "disconnect",
        ClusterRequest::FetchSockets { .. } => "fetch",
        ClusterRequest::ServerSideEmit { .. } => "server-side-emit",
        _ => "other",
    }
}

struct Cluster {
    bus: Arc<Bus>,
    nodes: Vec<(Server, SocketAddr)>,
}

async fn cluster() -> Cluster {
    let bus = Arc::new(Bus::default());
    let mut nodes = Vec::new();
    for node in 0..2 {
        let io = Server::with_config(ServerConfig::default());
        let b = bus.clone();
        io.set_adapter(move |handle: NamespaceHandle| -> Arc<dyn Adapter> {
            let nsp = handle.name().to_owned();
            b.nodes.lock().unwrap().insert((node, nsp.clone()), handle);
            Arc::new(PairAdapter {
                bus: b.clone(),
                node,
                nsp,
            })
        });
        io.on_connection(move |socket| {
            let _ = socket.set_data(&json!({ "node": node }));
            let _ = socket.emit("hello", &node);
            socket.on("join", |socket, room: String, _ack| {
                let _ = socket.join(room.as_str());
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        nodes.push((io, addr));
    }
    Cluster { bus, nodes }
}

impl Cluster {
    fn io(&self, node: usize) -> &Server {
        &self.nodes[node].0
    }

    async fn client(&self, node: usize) -> (SioWs, String) {
        let mut ws = SioWs::connect(self.nodes[node].1, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        ws.set_auto_pong(true);
        let open = ws.recv_text().await;
        assert!(open.starts_with('0'), "{open}");
        let sid = ws.join("/", None).await;
        (ws, sid)
    }

    async fn close(self) {
        for (io, _) in &self.nodes {
            io.close().await;
        }
    }
}

/// Waits until socket `sid` is in `room` on `io` (joins travel as events).
async fn until_in_room(io: &Server, room: &str) {
    for _ in 0..200 {
        if !io.to(room).local().clients().await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nobody joined {room}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_to_a_room_spanning_both_nodes() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (mut a, _) = c.client(0).await;
        let (mut b, _) = c.client(1).await;
        let (mut outsider, _) = c.client(1).await;
        a.send_text(r#"42["join","r"]"#).await;
        b.send_text(r#"42["join","r"]"#).await;
        until_in_room(c.io(0), "r").await;
        until_in_room(c.io(1), "r").await;
        c.io(0).to("r").emit("news", &"both").unwrap();
        assert_eq!(a.recv_data_text().await, r#"42["news","both"]"#);
        assert_eq!(b.recv_data_text().await, r#"42["news","both"]"#);
        outsider.assert_silent(Duration::from_millis(200)).await;
        assert!(c
            .bus
            .log
            .lock()
            .unwrap()
            .contains(&"0:broadcast".to_owned()));
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stays_on_one_node() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (mut a, _) = c.client(0).await;
        let (mut b, _) = c.client(1).await;
        c.io(0).local().emit("only-here", &()).unwrap();
        assert_eq!(a.recv_data_text().await, r#"42["only-here"]"#);
        b.assert_silent(Duration::from_millis(300)).await;
        assert!(c.bus.log.lock().unwrap().is_empty());
        c.close().await;
    })
    .await;
}

/// Answers the next event carrying an ack id with `answer`.
async fn answer_ack(ws: &mut SioWs, answer: Value) -> String {
    let text = ws.recv_data_text().await;
    let packet = parse_message(&text);
    let id = packet.id.unwrap_or_else(|| panic!("no ack id in {text}"));
    ws.send_text(&format!("43{id}[{answer}]")).await;
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_with_acks_collects_answers_from_both_nodes() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (mut a, _) = c.client(0).await;
        let (mut b, _) = c.client(1).await;
        let io = c.io(0).clone();
        let pending = tokio::spawn(async move {
            io.broadcast()
                .timeout(Duration::from_secs(5))
                .emit_with_ack("poll", &"q")
                .await
        });
        answer_ack(&mut a, json!("from-a")).await;
        answer_ack(&mut b, json!("from-b")).await;
        let mut answers: Vec<Value> = pending
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|v| v.value)
            .collect();
        answers.sort_by_key(|v| v.to_string());
        assert_eq!(answers, [json!("from-a"), json!("from-b")]);
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_with_acks_times_out_with_partial_answers() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (mut a, _) = c.client(0).await;
        let (mut b, _) = c.client(1).await;
        let io = c.io(0).clone();
        let pending = tokio::spawn(async move {
            io.broadcast()
                .timeout(Duration::from_millis(500))
                .emit_with_ack("poll", &())
                .await
        });
        answer_ack(&mut b, json!("from-b")).await;
        // `a` never answers.
        let _ = a.recv_data_text().await;
        match pending.await.unwrap() {
            Err(socketio::BroadcastAckError::Timeout { responses }) => {
                assert_eq!(responses.len(), 1);
                assert_eq!(responses[0].value, json!("from-b"));
            }
            other => panic!("{other:?}"),
        }
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_sockets_sees_the_other_nodes_data() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (_a, sid_a) = c.client(0).await;
        let (mut b, sid_b) = c.client(1).await;
        let sockets = c.io(0).sockets().broadcast().fetch_sockets().await.unwrap();
        let mut seen: Vec<(String, Option<Value>)> = sockets
            .iter()
            .map(|s| (s.id().to_owned(), s.data::<Value>()))
            .collect();
        seen.sort_by_key(|(id, _)| id.clone());
        let mut want = vec![
            (sid_a.clone(), Some(json!({"node": 0}))),
            (sid_b.clone(), Some(json!({"node": 1}))),
        ];
        want.sort_by_key(|(id, _)| id.clone());
        assert_eq!(seen, want);
        let remote = sockets.iter().find(|s| s.id() == sid_b).unwrap();
        assert!(remote.rooms().iter().any(|r| &**r == sid_b.as_str()));
        assert!(!remote.handshake().headers.is_empty());
        // A remote handle can emit to its socket and get its one ack answer.
        let remote = remote.clone();
        let pending = tokio::spawn(async move {
            remote
                .emit_with_ack("direct", &1, Duration::from_secs(5))
                .await
        });
        answer_ack(&mut b, json!("ok")).await;
        assert_eq!(pending.await.unwrap().unwrap().value, json!("ok"));
        assert_eq!(c.io(0).sockets().clients().await.len(), 2);
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_join_and_disconnect_sockets_reach_the_other_node() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let (_a, _) = c.client(0).await;
        let (mut b, _) = c.client(1).await;
        c.io(0).sockets().broadcast().sockets_join(["all"]).unwrap();
        until_in_room(c.io(1), "all").await;
        c.io(1).to("all").local().emit("joined", &()).unwrap();
        assert_eq!(b.recv_data_text().await, r#"42["joined"]"#);
        c.io(0)
            .sockets()
            .broadcast()
            .sockets_leave(["all"])
            .unwrap();
        for _ in 0..200 {
            if c.io(1).to("all").local().clients().await.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(c.io(1).to("all").local().clients().await.is_empty());
        c.io(0)
            .sockets()
            .broadcast()
            .disconnect_sockets(false)
            .unwrap();
        assert_eq!(b.recv_data_text().await, "41");
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_emit_with_acks() {
    with_timeout(LIMIT, async {
        let c = cluster().await;
        let seen_here = Arc::new(Mutex::new(0));
        let counter = seen_here.clone();
        c.io(0)
            .sockets()
            .on_server_event("ping", move |_args, _ack| *counter.lock().unwrap() += 1);
        c.io(1).sockets().on_server_event("ping", |args, ack| {
            let first: i64 = args.first().unwrap();
            let _ = ack.send(&(first + 1));
        });
        let answers = c
            .io(0)
            .sockets()
            .server_side_emit_with_ack("ping", &41)
            .await
            .unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].value, json!(42));
        assert_eq!(
            *seen_here.lock().unwrap(),
            0,
            "never delivered to the sender"
        );
        assert!(c
            .io(0)
            .sockets()
            .server_side_emit("connection", &())
            .is_err());
        c.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_emit_alone_answers_empty_at_once() {
    let io = Server::new();
    let start = std::time::Instant::now();
    let answers = io
        .sockets()
        .server_side_emit_with_ack("x", &())
        .await
        .unwrap();
    assert!(answers.is_empty());
    assert!(start.elapsed() < Duration::from_millis(100));
}
