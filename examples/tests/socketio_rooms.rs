//! Rooms under load and at their bounds: 1,000 sockets joining and leaving while broadcasts
//! run (every delivery counted), the room limits, and acks for ids never sent.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sio_common::{parse_message, with_timeout, Frame, SioWs};
use socketio::{AckSender, JoinError, RoomLimits, Server, ServerConfig};

async fn server(limits: RoomLimits) -> (Server, SocketAddr) {
    let io = Server::with_config(ServerConfig::builder().room_limits(limits).build());
    io.on_connection(|socket| {
        let _ = socket.emit("hello", &());
        socket.on("join", |socket, room: String, ack: AckSender| {
            let result = socket.join(room.as_str()).map_err(|e| e.to_string());
            let _ = ack.send(&result.is_ok());
        });
        socket.on("leave", |socket, room: String, ack: AckSender| {
            socket.leave(&room);
            let _ = ack.send(&true);
        });
        socket.on("echo", |_s, args: socketio::Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr)
}

async fn client(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    ws.set_auto_pong(true);
    let open = ws.recv_text().await;
    assert!(open.starts_with('0'));
    ws.join("/", None).await;
    ws
}

/// Sends `42<id>[event, arg]` and waits for its ack, skipping other frames into `skipped`.
async fn call(ws: &mut SioWs, id: u64, event: &str, arg: &str, skipped: &mut Vec<String>) -> Value {
    ws.send_text(&format!(r#"42{id}["{event}","{arg}"]"#)).await;
    loop {
        let text = ws.recv_data_text().await;
        let p = parse_message(&text);
        if p.kind == 3 && p.id == Some(id) {
            return p.data.unwrap();
        }
        skipped.push(text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_while_broadcasting_loses_and_duplicates_nothing() {
    const CLIENTS: usize = 1000;
    const BROADCASTS: usize = 50;
    with_timeout(Duration::from_secs(120), async {
        let (io, addr) = server(RoomLimits::default()).await;
        let mut clients = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            let mut ws = client(addr).await;
            let mut skipped = Vec::new();
            assert_eq!(
                call(&mut ws, 0, "join", "stable", &mut skipped).await[0],
                true
            );
            clients.push(ws);
        }
        let done = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for (i, mut ws) in clients.into_iter().enumerate() {
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                // Churn through r0..r9 while counting the broadcasts to stable ∪ r0..r9.
                let mut seen = Vec::new();
                let mut id = 1;
                let mut skipped = Vec::new();
                for round in 0..6 {
                    let room = format!("r{}", (i + round) % 10);
                    call(&mut ws, id, "join", &room, &mut skipped).await;
                    id += 1;
                    call(&mut ws, id, "leave", &room, &mut skipped).await;
                    id += 1;
                }
                done.fetch_add(1, Ordering::SeqCst);
                let mut frames = skipped.into_iter();
                while seen.len() < BROADCASTS {
                    let text = match frames.next() {
                        Some(t) => t,
                        None => match ws.recv_data().await {
                            Frame::Text(t) => t,
                            other => panic!("{other:?}"),
                        },
                    };
                    let p = parse_message(&text);
                    let data = p.data.unwrap();
                    assert_eq!(data[0], "tick");
                    seen.push(data[1].as_u64().unwrap());
                }
                let want: Vec<u64> = (0..BROADCASTS as u64).collect();
                assert_eq!(seen, want, "client {i}: lost, duplicated or reordered");
                ws.assert_silent(Duration::from_millis(50)).await;
            }));
        }
        let mut op = io.to("stable");
        for r in 0..10 {
            op = op.to(format!("r{r}"));
        }
        for seq in 0..BROADCASTS {
            op.emit("tick", &seq).unwrap();
            if seq % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), CLIENTS);
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_past_the_room_limit_is_refused() {
    with_timeout(Duration::from_secs(30), async {
        let limits = {
            let mut l = RoomLimits::default();
            l.max_rooms_per_socket = 100;
            l.max_room_name_len = 64;
            l
        };
        let (io, addr) = server(limits).await;
        let refused = Arc::new(Mutex::new(None));
        let r = refused.clone();
        io.of("/greedy").on_connection(move |socket| {
            // A handler that tries to join 100,000 rooms stops at the bound.
            let mut first_error = None;
            for i in 0..100_000 {
                if let Err(e) = socket.join(format!("room-{i}")) {
                    first_error = Some((i, e));
                    break;
                }
            }
            *r.lock().unwrap() = first_error;
            let _ = socket.emit("rooms", &socket.rooms().len());
        });
        let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        ws.set_auto_pong(true);
        let _open = ws.recv_text().await;
        ws.send_text("40/greedy,").await;
        let _connect = ws.recv_data_text().await;
        assert_eq!(ws.recv_data_text().await, r#"42/greedy,["rooms",100]"#);
        assert_eq!(
            *refused.lock().unwrap(),
            Some((99, JoinError::TooManyRooms(100)))
        );

        let mut ws = client(addr).await;
        let mut skipped = Vec::new();
        let long = "x".repeat(65);
        assert_eq!(
            call(&mut ws, 1, "join", &long, &mut skipped).await[0],
            false
        );
        assert_eq!(
            call(&mut ws, 2, "join", &"x".repeat(64), &mut skipped).await[0],
            true
        );
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_for_ids_never_sent_are_ignored() {
    with_timeout(Duration::from_secs(30), async {
        let (io, addr) = server(RoomLimits::default()).await;
        let mut ws = client(addr).await;
        ws.send_text(r#"43999["nobody asked"]"#).await;
        ws.send_text(r#"431["nor this"]"#).await;
        let mut skipped = Vec::new();
        let echoed = call(&mut ws, 7, "echo", "still here", &mut skipped).await;
        assert_eq!(echoed, serde_json::json!(["still here"]));
        assert!(skipped.is_empty(), "{skipped:?}");
        io.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_that_never_come_close_the_connection_after_the_bound() {
    with_timeout(Duration::from_secs(30), async {
        let config = ServerConfig::builder()
            .attachments_timeout(Duration::from_millis(300))
            .build();
        let io = Server::with_config(config);
        io.on_connection(|socket| {
            let _ = socket.emit("hello", &());
            socket.on("echo", |_s, args: socketio::Args, ack: AckSender| {
                let _ = ack.send(&args);
            });
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let mut bystander = client(addr).await;
        let mut ws = client(addr).await;
        ws.send_text(r#"452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            .await;
        ws.send_binary(&[1]).await;
        let start = std::time::Instant::now();
        let (before, _) = ws.wait_closed(Duration::from_secs(3)).await;
        assert!(before.is_empty(), "{before:?}");
        assert!(
            start.elapsed() >= Duration::from_millis(250),
            "{:?}",
            start.elapsed()
        );
        let mut skipped = Vec::new();
        let echoed = call(&mut bystander, 1, "echo", "fine", &mut skipped).await;
        assert_eq!(echoed, serde_json::json!(["fine"]));
        io.close().await;
    })
    .await;
}

/// The open packet's sid of a polling handshake on `/socket.io/`.
async fn polling_session(addr: SocketAddr) -> String {
    let res = sio_common::http(addr, "GET", "/socket.io/?EIO=4&transport=polling", b"")
        .await
        .unwrap();
    let open = sio_common::parse_open(&res.text());
    let sid = open["sid"].as_str().unwrap().to_owned();
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let res = sio_common::http(addr, "POST", &path, b"40").await.unwrap();
    assert_eq!(res.status, 200);
    sid
}

async fn poll(addr: SocketAddr, sid: &str) -> String {
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    sio_common::http(addr, "GET", &path, b"")
        .await
        .unwrap()
        .text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volatile_skips_a_polling_client_between_polls_and_except_subtracts() {
    with_timeout(Duration::from_secs(30), async {
        let (io, addr) = server(RoomLimits::default()).await;
        let sid = polling_session(addr).await;
        // The CONNECT reply and the greeting.
        let first = poll(addr, &sid).await;
        assert!(first.starts_with("40{\"sid\""), "{first}");
        let mut ws = client(addr).await;
        let mut muted = client(addr).await;
        let mut skipped = Vec::new();
        call(&mut muted, 1, "join", "muted", &mut skipped).await;

        // No GET is waiting: the polling client cannot take a volatile message now.
        io.broadcast().volatile().emit("v", &1).unwrap();
        io.except("muted").emit("plain", &2).unwrap();
        assert_eq!(ws.recv_data_text().await, r#"42["v",1]"#);
        assert_eq!(ws.recv_data_text().await, r#"42["plain",2]"#);
        assert_eq!(muted.recv_data_text().await, r#"42["v",1]"#);
        muted.assert_silent(Duration::from_millis(200)).await;
        let got = poll(addr, &sid).await;
        assert_eq!(
            got, r#"42["plain",2]"#,
            "the volatile message was not dropped"
        );

        // With a GET waiting, a volatile message goes out.
        let waiting = tokio::spawn(async move { poll(addr, &sid).await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        io.to("muted")
            .except("nobody")
            .volatile()
            .emit("v", &3)
            .unwrap();
        io.broadcast().volatile().emit("v", &4).unwrap();
        assert_eq!(waiting.await.unwrap(), r#"42["v",4]"#);
        assert_eq!(muted.recv_data_text().await, r#"42["v",3]"#);
        io.close().await;
    })
    .await;
}
