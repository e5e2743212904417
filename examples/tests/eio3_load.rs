//! Slow and dead clients under load, with the server in a child process so that its resident
//! memory can be read from `/proc` and its file descriptors are its own:
//!
//! - a WebSocket client that never reads while the server sends it 100 MB: the server's RSS
//!   stays under a bound, that session closes (`transport error`, past `max_buffer_size`), and
//!   100 other clients keep their round trips;
//! - 10,000 concurrent handshakes that never complete (request heads cut short, polling
//!   sessions never polled again, WebSockets that never send a frame): all reclaimed, RSS back
//!   near its baseline.
//!
//! The child is this test binary itself, running the ignored `child_server` test with
//! `EIO3_CHILD` set.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use engineio::{CloseReason, EngineConfig, Handler, Message, ServeConfig, Socket};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdin, Command};
use tokio::time::{sleep, timeout, Instant};

// ---- the child ------------------------------------------------------------------------------

/// Echoes; on `flood`, sends 100 messages of 1 MiB (one every millisecond) until the session
/// refuses them; reports closes on stdout.
struct Flood;

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

impl Handler for Flood {
    fn on_connect(&self, _socket: Socket) {}

    fn on_message(&self, socket: &Socket, message: Message) {
        if message == Message::from("flood") {
            let socket = socket.clone();
            tokio::spawn(async move {
                let mut sent = 0;
                for i in 0..100u8 {
                    // A fresh megabyte each time, as distinct messages would be.
                    let chunk = String::from(char::from(b'a' + i % 26)).repeat(1 << 20);
                    if socket.send(Message::from(chunk)).is_err() {
                        break;
                    }
                    sent += 1;
                    sleep(Duration::from_millis(1)).await;
                }
                say(format!("FLOOD {sent}"));
            });
        } else {
            let _ = socket.send(message);
        }
    }

    fn on_close(&self, socket: &Socket, reason: CloseReason) {
        if socket
            .request()
            .uri
            .query()
            .unwrap_or("")
            .contains("flood=1")
        {
            say(format!("CLOSE {reason}"));
        }
    }
}

/// Counts the engine's `handshake` and `freed` session events: every session object made is
/// dropped again, not merely removed from the table.
static HANDSHAKES: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

struct CountSessions;

struct MessageOf(Option<String>);

impl tracing::field::Visit for MessageOf {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountSessions {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut m = MessageOf(None);
        event.record(&mut m);
        match m.0.as_deref() {
            Some("handshake") => HANDSHAKES.fetch_add(1, Ordering::Relaxed),
            Some("freed") => FREED.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

#[test]
#[ignore = "run by the load tests as their server process"]
fn child_server() {
    let Ok(kind) = std::env::var("EIO3_CHILD") else {
        return;
    };
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::Layer;
        let filter = tracing_subscriber::EnvFilter::new("engineio::session=trace");
        let subscriber = tracing_subscriber::registry().with(CountSessions.with_filter(filter));
        tracing::subscriber::set_global_default(subscriber).unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (config, serve) = match kind.as_str() {
            "handshakes" => (
                EngineConfig::builder()
                    .ping_interval(Duration::from_millis(4000))
                    .ping_timeout(Duration::from_millis(4000))
                    .build(),
                ServeConfig::builder()
                    .header_read_timeout(Duration::from_secs(8))
                    .build(),
            ),
            _ => (EngineConfig::default(), ServeConfig::default()),
        };
        let engine = engineio::Engine::new(config, Flood);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = engineio::serve_with(listener, engine.service(engineio::NotFound), serve);
        say(format!("PORT {port}"));
        // Commands on stdin (read on a thread: no async stdin here); its end stops the server.
        let (tx, mut commands) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = commands.recv().await {
            if line == "count" {
                say(format!(
                    "COUNT {} {} {}",
                    engine.clients_count(),
                    HANDSHAKES.load(Ordering::Relaxed),
                    FREED.load(Ordering::Relaxed)
                ));
            }
        }
        engine.close();
        server.shutdown().await;
    });
}

// ---- the parent -----------------------------------------------------------------------------

struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    addr: std::net::SocketAddr,
}

impl Server {
    async fn start(kind: &str) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_server",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("EIO3_CHILD", kind)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let port = loop {
            let line = timeout(Duration::from_secs(20), lines.recv())
                .await
                .expect("child server did not start")
                .expect("child server ended");
            // libtest may have written `test child_server ... ` on that line first.
            if let Some((_, p)) = line.split_once("PORT ") {
                break p.trim().parse::<u16>().unwrap();
            }
        };
        Server {
            child,
            stdin,
            lines,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id().unwrap())
    }

    /// The next stdout line starting with `prefix`, within `within`.
    async fn expect(&mut self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, self.lines.recv()).await {
                Ok(Some(line)) if line.contains(prefix) => {
                    let at = line.find(prefix).unwrap_or(0);
                    return line[at..].to_owned();
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("child ended before {prefix:?}"),
                Err(_) => panic!("no {prefix:?} from the child within {within:?}"),
            }
        }
    }

    /// (open sessions, sessions made, sessions dropped) in the child.
    async fn counts(&mut self) -> (usize, usize, usize) {
        self.stdin.write_all(b"count\n").await.unwrap();
        let line = self.expect("COUNT ", Duration::from_secs(10)).await;
        let n: Vec<usize> = line["COUNT ".len()..]
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        (n[0], n[1], n[2])
    }

    async fn sessions(&mut self) -> usize {
        self.counts().await.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_reading_client_bounded_while_others_are_served() {
    with_timeout(Duration::from_secs(60), async {
        let mut server = Server::start("flood").await;
        let addr = server.addr;
        // 100 well-behaved clients, warmed up.
        let mut clients = Vec::new();
        for _ in 0..100 {
            let mut ws = Ws::connect(addr, "/engine.io/?EIO=4&transport=websocket")
                .await
                .unwrap();
            let _open = ws.recv_text().await;
            ws.send_text("4warm").await;
            assert_eq!(ws.recv_data().await, WsFrame::Text("4warm".into()));
            clients.push(ws);
        }
        sleep(Duration::from_millis(200)).await;
        let base = server.rss_kib();

        // The client that never reads: a tiny receive buffer, and no read ever.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stuck = socket.connect(addr).await.unwrap();
        stuck
            .write_all(
                b"GET /engine.io/?EIO=4&transport=websocket&flood=1 HTTP/1.1\r\nHost: x\r\n\
                  Upgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            )
            .await
            .unwrap();
        stuck
            .write_all(&raw_ws_frame(true, 0, 1, true, b"4flood"))
            .await
            .unwrap();
        let flood_start = Instant::now();

        // Round trips of the others while the flood runs, and the server's RSS meanwhile.
        let mut peak = base;
        let mut worst = Duration::ZERO;
        let mut rounds = 0;
        let mut closed_at = None;
        while flood_start.elapsed() < Duration::from_secs(4) || closed_at.is_none() {
            assert!(
                flood_start.elapsed() < Duration::from_secs(20),
                "flood never closed"
            );
            let t = Instant::now();
            for (i, ws) in clients.iter_mut().enumerate() {
                let text = format!("4round {rounds} client {i}");
                ws.send_text(&text).await;
                let got = timeout(Duration::from_secs(2), ws.recv_data())
                    .await
                    .unwrap_or_else(|_| panic!("client {i} starved in round {rounds}"));
                assert_eq!(got, WsFrame::Text(text));
            }
            worst = worst.max(t.elapsed());
            rounds += 1;
            peak = peak.max(server.rss_kib());
            if closed_at.is_none() {
                if let Ok(Some(line)) = timeout(Duration::from_millis(1), server.lines.recv()).await
                {
                    if let Some((_, reason)) = line.split_once("CLOSE ") {
                        assert_eq!(reason, "transport error", "{line}");
                        closed_at = Some(flood_start.elapsed());
                    }
                }
            }
        }
        let sent = server.expect("FLOOD ", Duration::from_secs(5)).await;
        sleep(Duration::from_millis(300)).await;
        let after = server.rss_kib();
        println!(
            "never-reading client: RSS base {base} KiB, peak {peak} KiB (+{} KiB), after close \
             {after} KiB; {sent} of 100 MiB queued before the session closed at {:?}; \
             {rounds} rounds of 100 round trips, slowest round {worst:?}",
            peak - base,
            closed_at.unwrap()
        );
        // 16 MiB of queue and write in flight, a frame being written, allocator slack.
        assert!(peak - base < 48 * 1024, "RSS grew {} KiB", peak - base);
        assert!(closed_at.unwrap() < Duration::from_secs(10));
        drop(stuck);
    })
    .await;
}

/// One round of 10,000 handshakes that never complete.
struct Round {
    opened: Duration,
    sessions_at_peak: usize,
    peak: u64,
    reclaimed: Duration,
    after: u64,
    left_open: usize,
    /// Sessions made and dropped so far (all rounds).
    made: usize,
    dropped: usize,
}

async fn never_completing_round(server: &mut Server) -> Round {
    let addr = server.addr;
    let held = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(10_000)));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..50 {
        let held = held.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..200 {
                let stream = match (worker * 200 + i) % 10 {
                    0..=3 => cut_head(addr).await,
                    4..=6 => unpolled_session(addr).await,
                    _ => silent_websocket(addr).await,
                };
                held.lock().await.push(stream);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let opened = start.elapsed();
    let sessions_at_peak = server.sessions().await;
    let peak = server.rss_kib();
    // Reclaimed: heads by the header read timeout (8 s), sessions by the heartbeat (8 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = server.sessions().await;
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{n} sessions left");
        sleep(Duration::from_millis(200)).await;
    }
    // Every connection is dropped by the server: reading each gives its end.
    let mut held = std::mem::take(&mut *held.lock().await);
    let mut left_open = 0;
    for s in held.iter_mut() {
        let mut buf = [0u8; 4096];
        let ended = loop {
            match timeout(Duration::from_secs(2), s.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => break true,
                Ok(Ok(_)) => continue,
                Err(_) => break false,
            }
        };
        left_open += usize::from(!ended);
    }
    let reclaimed = start.elapsed();
    drop(held);
    sleep(Duration::from_millis(500)).await;
    let (_, made, dropped) = server.counts().await;
    Round {
        made,
        dropped,
        opened,
        sessions_at_peak,
        peak,
        reclaimed,
        after: server.rss_kib(),
        left_open,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_handshakes_that_never_complete_are_reclaimed() {
    with_timeout(Duration::from_secs(120), async {
        let mut server = Server::start("handshakes").await;
        warm(server.addr).await;
        let base = server.rss_kib();
        let rounds = [
            never_completing_round(&mut server).await,
            never_completing_round(&mut server).await,
        ];
        for (i, r) in rounds.iter().enumerate() {
            println!(
                "round {i}: 10,000 handshakes never completed, opened in {:?} ({} sessions), \
                 all reclaimed and every connection closed by the server at {:?}; sessions \
                 made {} dropped {}; RSS base {base} KiB, peak {} KiB, after {} KiB (+{} KiB \
                 over base)",
                r.opened,
                r.sessions_at_peak,
                r.reclaimed,
                r.made,
                r.dropped,
                r.peak,
                r.after,
                r.after.saturating_sub(base)
            );
            assert_eq!(r.left_open, 0, "connections the server never closed");
            assert!(r.sessions_at_peak >= 5000, "{}", r.sessions_at_peak);
            // Every session object made was dropped, not just removed from the table.
            assert_eq!(r.made, r.dropped, "sessions never freed");
        }
        // RSS does not fall back to the baseline: glibc keeps freed memory in its heaps (it
        // trims only the top of a heap, and these are fragmented). What must not happen is
        // accumulation per connection: the second round reuses most of what the first left,
        // where a leak would add as much again.
        let first = rounds[0].after.saturating_sub(base);
        let second = rounds[1].after.saturating_sub(rounds[0].after);
        assert!(
            second < first / 2,
            "RSS grew {first} KiB in round 0 and {second} KiB more in round 1"
        );
    })
    .await;
}

async fn warm(addr: std::net::SocketAddr) {
    let mut v = Vec::new();
    for _ in 0..20 {
        v.push(unpolled_session(addr).await);
        v.push(silent_websocket(addr).await);
    }
    drop(v);
    sleep(Duration::from_millis(200)).await;
}

/// A request head that never ends.
async fn cut_head(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    s
}

/// A polling handshake whose session is never polled.
async fn unpolled_session(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let res = read_response(&mut s, "GET").await.unwrap();
    assert_eq!(res.status, 200);
    s
}

/// A WebSocket session whose client never sends (nor reads) a frame.
async fn silent_websocket(addr: std::net::SocketAddr) -> TcpStream {
    let (s, res) = raw_ws_handshake(addr, "/engine.io/?EIO=4&transport=websocket", &[])
        .await
        .unwrap();
    assert_eq!(res.status, 101);
    s
}
