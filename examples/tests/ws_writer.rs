//! The WebSocket write path: senders write frames themselves, the driver finishes what the
//! socket did not take, and tungstenite's own frames (pongs, the close reply) share the one
//! ordered queue. Each test drives a real client against the in-process echo engine.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use engineio::{CloseReason, EngineConfig, ServeConfig};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const LIMIT: Duration = Duration::from_secs(60);

/// The conformance fixture's options with a heartbeat that stays out of the way.
fn config() -> EngineConfig {
    let mut c = conformance_engine_config();
    c.ping_interval = Duration::from_secs(20);
    c.ping_timeout = Duration::from_secs(20);
    c
}

/// A WebSocket-only session: the client stream and the server's socket for it.
async fn open(
    fx: &Fixture,
    engine: &engineio::Engine,
) -> (WebSocketStream<TcpStream>, engineio::Socket) {
    let tcp = TcpStream::connect(fx.addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", fx.addr());
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let open = match timeout(STEP, ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
        other => panic!("open packet: {other:?}"),
    };
    let sid = parse_open(&open)["sid"].as_str().unwrap().to_owned();
    let socket = engine
        .sockets()
        .into_iter()
        .find(|s| s.id().as_str() == sid)
        .unwrap();
    (ws, socket)
}

/// The next data or pong frame, skipping nothing else silently.
async fn next(ws: &mut WebSocketStream<TcpStream>) -> Message {
    match timeout(STEP, ws.next()).await {
        Ok(Some(Ok(m))) => m,
        other => panic!("next frame: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pong_to_a_websocket_ping_follows_what_was_sent_before_it() {
    with_timeout(LIMIT, async {
        let (fx, engine, _h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut ws, socket) = open(&fx, &engine).await;
        for i in 0..2000 {
            socket.send(format!("m{i}").into()).unwrap();
        }
        ws.send(Message::Ping(b"p1".to_vec().into())).await.unwrap();
        for i in 0..2000 {
            match next(&mut ws).await {
                Message::Text(t) => assert_eq!(t.as_str(), format!("4m{i}")),
                other => panic!("message {i}: {other:?}"),
            }
        }
        // The ping was read after the 2000 messages were queued: its pong comes after them.
        match next(&mut ws).await {
            Message::Pong(p) => assert_eq!(&p[..], b"p1"),
            other => panic!("pong: {other:?}"),
        }
        // And the session still echoes.
        ws.send(Message::text("4after")).await.unwrap();
        match next(&mut ws).await {
            Message::Text(t) => assert_eq!(t.as_str(), "4after"),
            other => panic!("echo: {other:?}"),
        }
        fx.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_messages_written_in_parts_arrive_whole_and_in_order() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut ws, socket) = open(&fx, &engine).await;
        // 8 MiB in all (under max_buffer_size, 16 MiB), from two senders at once, more than
        // the socket takes: much of it waits in the session's queue for the driver, while small
        // messages keep coming.
        let big = |i: usize| -> String {
            let fill = char::from(b'a' + (i % 26) as u8);
            format!("big{i}:{}", fill.to_string().repeat(1 << 18))
        };
        let s2 = socket.clone();
        let sender = tokio::spawn(async move {
            for i in 0..32 {
                s2.send(big(i).into()).unwrap();
                tokio::task::yield_now().await;
            }
        });
        for i in 0..32 {
            socket.send(format!("small{i}").into()).unwrap();
            tokio::task::yield_now().await;
        }
        sender.await.unwrap();
        socket.send("end".into()).unwrap();
        let (mut bigs, mut smalls) = (0usize, 0usize);
        loop {
            // Read slowly at first so that writes stay partial for a while.
            if bigs < 4 {
                sleep(Duration::from_millis(20)).await;
            }
            let t = match next(&mut ws).await {
                Message::Text(t) => t,
                other => panic!("frame: {other:?}"),
            };
            let t = t.as_str();
            if t == "4end" {
                break;
            }
            if let Some(rest) = t.strip_prefix("4big") {
                let (i, body) = rest.split_once(':').unwrap();
                let i: usize = i.parse().unwrap();
                assert_eq!(i, bigs, "big messages in order");
                assert_eq!(format!("4{}", big(i)), t, "big message {i} whole");
                bigs += 1;
                assert_eq!(body.len(), 1 << 18);
            } else {
                assert_eq!(t, format!("4small{smalls}"), "small messages in order");
                smalls += 1;
            }
        }
        assert_eq!((bigs, smalls), (32, 32));
        assert!(h.closes().is_empty(), "{:?}", h.closes());
        fx.shutdown().await;
    })
    .await;
}

/// One masked client frame.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_from_a_client_that_never_reads_closes_only_its_session() {
    with_timeout(LIMIT, async {
        let mut c = config();
        c.max_buffer_size = 256 * 1024;
        let (fx, _engine, h) = engine_fixture_with(c, ServeConfig::default()).await;
        let by = bystander(fx.addr()).await;
        let (mut tcp, res) =
            raw_ws_handshake(fx.addr(), "/engine.io/?EIO=4&transport=websocket", &[])
                .await
                .unwrap();
        assert_eq!(res.status, 101);
        // Pings with the largest control payload, never reading a pong: once the kernel's
        // buffers are full the pongs queue in the session, past max_buffer_size.
        let ping = client_frame(0x9, &[b'x'; 125]);
        let batch: Vec<u8> = ping
            .iter()
            .copied()
            .cycle()
            .take(ping.len() * 256)
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut sent = 0usize;
        while Instant::now() < deadline && sent < 400_000 {
            match timeout(Duration::from_secs(2), tcp.write_all(&batch)).await {
                Ok(Ok(())) => sent += 256,
                // Reset by the server, or it stopped reading: either way it let go.
                _ => break,
            }
            if h.closes().contains(&CloseReason::TransportError) {
                break;
            }
        }
        eventually(Duration::from_secs(10), "flooding session closed", || {
            h.closes().contains(&CloseReason::TransportError)
        })
        .await;
        assert!(by.finish().await > 0);
        fx.assert_still_serving().await;
        fx.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_close_frame_is_answered_and_the_session_ends() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut ws, socket) = open(&fx, &engine).await;
        socket.send("before".into()).unwrap();
        ws.send(Message::Close(None)).await.unwrap();
        let mut got = Vec::new();
        loop {
            match timeout(STEP, ws.next()).await {
                Ok(Some(Ok(m))) => got.push(m),
                Ok(Some(Err(_))) | Ok(None) => break,
                Err(_) => panic!("no close reply: {got:?}"),
            }
        }
        assert!(
            matches!(got.first(), Some(Message::Text(t)) if t.as_str() == "4before"),
            "{got:?}"
        );
        assert!(matches!(got.last(), Some(Message::Close(_))), "{got:?}");
        eventually(Duration::from_secs(5), "session gone", || {
            engine.clients_count() == 0
        })
        .await;
        assert_eq!(h.closes(), vec![CloseReason::TransportClose]);
        fx.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_from_a_thread_outside_the_runtime_arrive_in_order() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut ws, socket) = open(&fx, &engine).await;
        // A plain thread writes to the socket itself (no tokio context there), enough that
        // some of it waits for the driver.
        let thread = std::thread::spawn(move || {
            for i in 0..3000 {
                socket
                    .send(format!("t{i}:{}", "x".repeat(1000)).into())
                    .unwrap();
            }
        });
        for i in 0..3000 {
            match next(&mut ws).await {
                Message::Text(t) => {
                    assert!(t.as_str().starts_with(&format!("4t{i}:")), "message {i}");
                    assert_eq!(t.len(), format!("4t{i}:").len() + 1000);
                }
                other => panic!("message {i}: {other:?}"),
            }
        }
        thread.join().unwrap();
        assert!(h.closes().is_empty(), "{:?}", h.closes());
        fx.shutdown().await;
    })
    .await;
}

/// Many tasks on both workers send to the same two sessions at once, as overlapping
/// broadcasts do: their frames are written together (see `session::flusher`), and every
/// message still arrives once, each sender's in the order it sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_senders_on_both_workers_deliver_everything_in_order() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut a, sa) = open(&fx, &engine).await;
        let (mut b, sb) = open(&fx, &engine).await;
        const TASKS: usize = 8;
        const EACH: usize = 300;
        let mut senders = Vec::new();
        for t in 0..TASKS {
            let (sa, sb) = (sa.clone(), sb.clone());
            senders.push(tokio::spawn(async move {
                for i in 0..EACH {
                    sa.send(format!("{t}:{i}").into()).unwrap();
                    sb.send(format!("{t}:{i}").into()).unwrap();
                    if i % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            }));
        }
        for ws in [&mut a, &mut b] {
            let mut next_of = [0usize; TASKS];
            for _ in 0..TASKS * EACH {
                let text = match next(ws).await {
                    Message::Text(t) => t.to_string(),
                    other => panic!("frame: {other:?}"),
                };
                let (t, i) = text
                    .strip_prefix('4')
                    .and_then(|r| r.split_once(':'))
                    .unwrap();
                let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
                assert_eq!(i, next_of[t], "sender {t}: {text}");
                next_of[t] += 1;
            }
            assert_eq!(next_of, [EACH; TASKS]);
        }
        for s in senders {
            s.await.unwrap();
        }
        assert!(h.closes().is_empty(), "{:?}", h.closes());
        fx.shutdown().await;
    })
    .await;
}

/// A message sent just before an abrupt close (no close packet) is still written: the
/// deferred write goes out before the close decides what to drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_right_before_an_abrupt_close_is_delivered() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        let (mut ws, socket) = open(&fx, &engine).await;
        socket.send("last".into()).unwrap();
        socket.close_with(CloseReason::ForcedClose);
        match next(&mut ws).await {
            Message::Text(t) => assert_eq!(t.as_str(), "4last"),
            other => panic!("frame: {other:?}"),
        }
        let deadline = Instant::now() + STEP;
        while h.closes().is_empty() && Instant::now() < deadline {
            sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(h.closes().len(), 1, "{:?}", h.closes());
        fx.shutdown().await;
    })
    .await;
}
