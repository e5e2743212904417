//! Disconnect reasons as Node's server gives them (API-1 item 7), for a WebSocket that ends
//! in each way a real deployment sees: a client process killed, the TCP connection closed or
//! reset without a close frame (a cut network, a killed tab), a close frame, and a frame that
//! breaks the protocol; a client that stops answering (a network cut without a reset, here a
//! frozen process) and the server closing. Node (engine.io over `ws`) reports every end without a
//! close frame as `transport close` (`ws` emits `close` with code 1006), a protocol violation as
//! `transport error` (`ws` emits `error` first), a peer silent past `pingInterval +
//! pingTimeout` as `ping timeout`, and `io.close()` as `server shutting down` (the client,
//! which gets no Socket.IO DISCONNECT from Node's `io.close()`, sees `transport close`).
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use sio_common::{with_timeout, ClientProcess};
use socketio::Server;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const LIMIT: Duration = Duration::from_secs(60);

/// What a server of these tests returns: the server, its address, and `(id, reason)` for
/// every socket that disconnects.
type Reporting = (
    Server,
    SocketAddr,
    mpsc::UnboundedReceiver<(String, String)>,
);

/// A server whose sockets report `(id, reason)` when they disconnect.
async fn server() -> Reporting {
    server_with(socketio::ServerConfig::default()).await
}

/// As [`server`], with a heartbeat of 300 ms + 200 ms.
async fn fast_heartbeat_server() -> Reporting {
    let engine = engineio::EngineConfig::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .build();
    server_with(socketio::ServerConfig::builder().engine(engine).build()).await
}

async fn server_with(config: socketio::ServerConfig) -> Reporting {
    let io = Server::with_config(config);
    let (tx, rx) = mpsc::unbounded_channel();
    io.on_connection(move |socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |s, reason| {
            let _ = tx.send((s.id().to_owned(), reason.as_str().to_owned()));
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, rx)
}

/// A client that stops answering pings (its process frozen: a network cut that sends no
/// reset) is a `ping timeout`, on either transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_client_is_a_ping_timeout() {
    with_timeout(LIMIT, async {
        let (io, addr, mut rx) = fast_heartbeat_server().await;
        for transport in ["websocket", "polling"] {
            let mut client = ClientProcess::node(
                "sio_hold.js",
                &json!({ "url": format!("http://{addr}"), "transports": [transport] }),
            );
            let ready = client.expect("READY", Duration::from_secs(30)).await;
            let id = ready["id"].as_str().unwrap().to_owned();
            client.signal("STOP").await;
            // Node: "ping timeout".
            assert_eq!(reason_of(&mut rx, &id).await, "ping timeout", "{transport}");
            client.signal("CONT").await;
            client.kill().await;
        }
        io.close().await;
    })
    .await;
}

/// `io.close()`: the server's sockets disconnect with `server shutting down`, the client sees
/// `transport close`, as with Node's server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_server_is_server_shutting_down() {
    with_timeout(LIMIT, async {
        for transport in ["websocket", "polling"] {
            let (io, addr, mut rx) = server().await;
            let mut client = ClientProcess::node(
                "sio_hold.js",
                &json!({ "url": format!("http://{addr}"), "transports": [transport] }),
            );
            let ready = client.expect("READY", Duration::from_secs(30)).await;
            let id = ready["id"].as_str().unwrap().to_owned();
            io.close().await;
            // Node: "server shutting down" on the server, "transport close" on the client.
            assert_eq!(
                reason_of(&mut rx, &id).await,
                "server shutting down",
                "{transport}"
            );
            let seen = client.expect("DISCONNECT", Duration::from_secs(10)).await;
            assert_eq!(seen["reason"], "transport close", "{transport}");
            client.kill().await;
        }
    })
    .await;
}

/// The reason `id` disconnected with, waiting at most 10 s.
async fn reason_of(rx: &mut mpsc::UnboundedReceiver<(String, String)>, id: &str) -> String {
    let wait = async {
        while let Some((sid, reason)) = rx.recv().await {
            if sid == id {
                return reason;
            }
        }
        panic!("the server stopped");
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("{id} did not disconnect within 10 s"))
}

/// A raw WebSocket client joined to `/`: the stream and the socket id.
async fn joined(addr: SocketAddr) -> (WebSocketStream<TcpStream>, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "{open:?}");
    ws.send(Message::text("40")).await.unwrap();
    let connect = ws.next().await.unwrap().unwrap();
    let text = connect.to_text().unwrap().to_owned();
    let reply: serde_json::Value = serde_json::from_str(text.strip_prefix("40").unwrap()).unwrap();
    (ws, reply["sid"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_client_process_is_a_transport_close() {
    with_timeout(LIMIT, async {
        let (io, addr, mut rx) = server().await;
        let mut client = ClientProcess::node(
            "sio_hold.js",
            &json!({ "url": format!("http://{addr}"), "transports": ["websocket"] }),
        );
        let ready = client.expect("READY", Duration::from_secs(30)).await;
        let id = ready["id"].as_str().unwrap().to_owned();
        client.kill().await;
        // Node: "transport close".
        assert_eq!(reason_of(&mut rx, &id).await, "transport close");
        io.close().await;
    })
    .await;
}

/// A polling client killed while its GET waits: Node's polling transport calls that "poll
/// connection closed prematurely", a `transport error`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_polling_client_is_a_transport_error() {
    with_timeout(LIMIT, async {
        let (io, addr, mut rx) = server().await;
        let mut client = ClientProcess::node(
            "sio_hold.js",
            &json!({ "url": format!("http://{addr}"), "transports": ["polling"] }),
        );
        let ready = client.expect("READY", Duration::from_secs(30)).await;
        let id = ready["id"].as_str().unwrap().to_owned();
        // Its next GET is waiting (the client polls again as soon as one is answered).
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.kill().await;
        // Node: "transport error".
        assert_eq!(reason_of(&mut rx, &id).await, "transport error");
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_closed_or_reset_without_a_close_frame_is_a_transport_close() {
    with_timeout(LIMIT, async {
        let (io, addr, mut rx) = server().await;

        // FIN without a close frame: a network cut seen by the kernel, a half-closed proxy.
        let (mut ws, id) = joined(addr).await;
        ws.get_mut().shutdown().await.unwrap();
        // Node: "transport close".
        assert_eq!(reason_of(&mut rx, &id).await, "transport close");
        drop(ws);

        // RST: a killed tab or process with unread data, a reset by a middlebox.
        let (ws, id) = joined(addr).await;
        ws.get_ref().set_zero_linger().unwrap();
        drop(ws);
        // Node: "transport close".
        assert_eq!(reason_of(&mut rx, &id).await, "transport close");

        // A close frame: the client closing its WebSocket.
        let (mut ws, id) = joined(addr).await;
        ws.close(None).await.unwrap();
        // Node: "transport close".
        assert_eq!(reason_of(&mut rx, &id).await, "transport close");

        // A frame that breaks RFC 6455 (unmasked from a client).
        let (mut ws, id) = joined(addr).await;
        ws.get_mut()
            .write_all(&[0x81, 0x02, b'4', b'2'])
            .await
            .unwrap();
        // Node: "transport error" (ws: "MASK must be set").
        assert_eq!(reason_of(&mut rx, &id).await, "transport error");
        drop(ws);
        io.close().await;
    })
    .await;
}
