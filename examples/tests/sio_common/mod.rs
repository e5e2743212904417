//! Helpers shared by the Socket.IO integration tests: the fixture (our `conformance` example
//! in-process, or any server named by `SIO_FIXTURE_URL`, such as the Node reference in
//! `tests/reference/socketio-server.js`), raw Socket.IO-over-Engine.IO clients for WebSocket and
//! long-polling with a frame queue, a tiny HTTP/1.1 client, a lenient Socket.IO packet parser for
//! assertions, and a runner for the Node and Python client scripts in `tests/clients/`.
//!
//! Every wait here is bounded: a test that would hang fails with a message instead.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

/// The heartbeat of the fixture (ours and the Node reference alike).
pub const PING_INTERVAL: Duration = Duration::from_millis(300);
/// See [`PING_INTERVAL`].
pub const PING_TIMEOUT: Duration = Duration::from_millis(200);
/// `connectTimeout` of the fixture.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// `maxHttpBufferSize` of the fixture.
pub const MAX_PAYLOAD: u64 = 1_000_000;
/// How long one wait for a frame or a response may take before the test fails.
pub const STEP: Duration = Duration::from_secs(5);
/// How long a test waits to show that something does *not* arrive.
pub const QUIET: Duration = Duration::from_millis(400);

/// Runs a test body with an overall deadline, so that no test can hang the suite.
pub async fn with_timeout<F: Future<Output = ()>>(limit: Duration, body: F) {
    if timeout(limit, body).await.is_err() {
        panic!("test did not finish within {limit:?}");
    }
}

/// True when the tests run against an external server (`SIO_FIXTURE_URL`), such as the Node
/// reference in `tests/reference/socketio-server.js`. Tests of behaviour where ours deliberately
/// differs from Node return early then.
pub fn is_node_reference() -> bool {
    std::env::var_os("SIO_FIXTURE_URL").is_some()
}

/// Returns `true` (and says so on stderr) when running against the Node reference, for tests
/// of behaviour that only our server has.
pub fn skip_on_reference(why: &str) -> bool {
    if is_node_reference() {
        eprintln!("skipped against the Node reference: {why}");
        return true;
    }
    false
}

type StopFn = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A running Socket.IO conformance fixture to test against.
pub struct Fixture {
    base: String,
    addr: SocketAddr,
    stop: Option<StopFn>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("base", &self.base).finish()
    }
}

/// Starts the fixture: the server at `SIO_FIXTURE_URL` if set, else our `conformance` example
/// in-process on `127.0.0.1:0` (Socket.IO at `/socket.io/`, Engine.IO at `/engine.io/`).
pub async fn fixture() -> Fixture {
    if let Ok(url) = std::env::var("SIO_FIXTURE_URL") {
        let base = url.trim_end_matches('/').to_owned();
        let host = base
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("SIO_FIXTURE_URL must be http://HOST:PORT, got {url}"));
        let addr = tokio::net::lookup_host(host)
            .await
            .unwrap_or_else(|e| panic!("cannot resolve {host}: {e}"))
            .next()
            .unwrap_or_else(|| panic!("{host} resolves to nothing"));
        return Fixture {
            base,
            addr,
            stop: None,
        };
    }
    let server = examples::conformance::start(examples::conformance::Options::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start the conformance fixture: {e}"));
    let addr = server.local_addr();
    let stop: StopFn = Box::new(move || Box::pin(server.shutdown()));
    Fixture {
        base: format!("http://{addr}"),
        addr,
        stop: Some(stop),
    }
}

impl Fixture {
    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The server's socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `/socket.io/?{query}`.
    pub fn path(&self, query: &str) -> String {
        format!("/socket.io/?{query}")
    }

    /// True when this fixture is our server in-process, so that the test can shut it down.
    pub fn can_shutdown(&self) -> bool {
        self.stop.is_some()
    }

    /// Gracefully shuts our in-process server down. Panics on an external fixture: guard with
    /// [`Fixture::can_shutdown`].
    pub async fn shutdown(&mut self) {
        let stop = self
            .stop
            .take()
            .unwrap_or_else(|| panic!("an external fixture cannot be shut down by the test"));
        stop().await;
    }

    /// `GET /socket.io/?{query}`.
    pub async fn get(&self, query: &str) -> Response {
        self.request("GET", &self.path(query), b"").await
    }

    /// `POST /socket.io/?{query}` with a `text/plain;charset=UTF-8` body.
    pub async fn post(&self, query: &str, body: &[u8]) -> Response {
        self.request("POST", &self.path(query), body).await
    }

    /// Any request on a new connection; panics on an I/O error or after [`STEP`].
    pub async fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        match timeout(STEP, http(self.addr, method, path, body)).await {
            Ok(Ok(res)) => res,
            Ok(Err(e)) => panic!("{method} {path}: {e}"),
            Err(_) => panic!("{method} {path}: no response within {STEP:?}"),
        }
    }

    /// Opens a raw WebSocket session (`EIO=4&transport=websocket{extra}`) and reads its open
    /// packet.
    pub async fn ws(&self) -> SioWs {
        self.ws_with("").await
    }

    /// [`Fixture::ws`] with `extra` (such as `&token=x`) appended to the query.
    pub async fn ws_with(&self, extra: &str) -> SioWs {
        let mut ws = SioWs::connect(
            self.addr,
            &self.path(&format!("EIO=4&transport=websocket{extra}")),
        )
        .await
        .unwrap_or_else(|e| panic!("WebSocket: {e}"));
        let open = ws.recv_text().await;
        ws.handshake = parse_open(&open);
        ws
    }

    /// A raw WebSocket session that has joined `/` (its `auth` event read), answering pings
    /// by itself.
    pub async fn ws_joined(&self) -> SioWs {
        let mut ws = self.ws().await;
        ws.set_auto_pong(true);
        ws.join("/", None).await;
        ws
    }

    /// Opens a raw long-polling session (`EIO=4&transport=polling`).
    pub async fn polling(&self) -> SioPolling<'_> {
        let res = self.get("EIO=4&transport=polling").await;
        assert_eq!(res.status, 200, "handshake: {res:?}");
        let handshake = parse_open(&res.text());
        let sid = handshake["sid"]
            .as_str()
            .unwrap_or_else(|| panic!("no sid in {handshake}"))
            .to_owned();
        SioPolling {
            fx: self,
            sid,
            handshake,
            queue: std::collections::VecDeque::new(),
            auto_pong: false,
        }
    }

    /// Shows that the server still serves others: a fresh WebSocket client joins `/` and gets
    /// its `message-back`.
    pub async fn assert_still_serving(&self) {
        let mut ws = self.ws_joined().await;
        ws.assert_echo("still serving").await;
        ws.close().await;
    }
}

#[path = "../support/open.rs"]
mod open;
pub use open::parse_open;

// ---------------------------------------------------------------------------------------------
// Socket.IO packets (a lenient parser for assertions; the codec is tested on its own)

/// A Socket.IO packet as seen on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct SioPacket {
    /// 0 CONNECT .. 6 BINARY_ACK.
    pub kind: u8,
    /// The attachment count of a binary packet.
    pub attachments: Option<usize>,
    /// The namespace (`/` when absent).
    pub nsp: String,
    /// The ack id.
    pub id: Option<u64>,
    /// The JSON payload.
    pub data: Option<Value>,
}

/// Parses a Socket.IO packet carried in an Engine.IO message (`4...`); panics if malformed.
pub fn parse_message(frame: &str) -> SioPacket {
    let body = frame
        .strip_prefix('4')
        .unwrap_or_else(|| panic!("not an Engine.IO message: {frame:?}"));
    parse_packet(body).unwrap_or_else(|e| panic!("bad Socket.IO packet {frame:?}: {e}"))
}

/// Parses a Socket.IO packet (without the Engine.IO `4`).
pub fn parse_packet(s: &str) -> Result<SioPacket, String> {
    let mut rest = s;
    let kind = rest
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .ok_or("no type digit")?;
    rest = &rest[1..];
    let kind = u8::try_from(kind).map_err(|_| "type")?;
    let mut attachments = None;
    if kind == 5 || kind == 6 {
        let (n, after) = rest.split_once('-').ok_or("no attachment count")?;
        attachments = Some(
            n.parse()
                .map_err(|_| format!("bad attachment count {n:?}"))?,
        );
        rest = after;
    }
    let mut nsp = "/".to_owned();
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        nsp = rest[..end].to_owned();
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        Some(rest[..digits].parse().map_err(|_| "bad ack id")?)
    } else {
        None
    };
    rest = &rest[digits..];
    let data = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str(rest).map_err(|e| format!("bad JSON: {e}"))?)
    };
    Ok(SioPacket {
        kind,
        attachments,
        nsp,
        id,
        data,
    })
}

/// `{"_placeholder":true,"num":i}` for `i` in `0..n`, comma-separated.
pub fn placeholders(n: usize) -> String {
    (0..n)
        .map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#))
        .collect::<Vec<_>>()
        .join(",")
}

/// The namespace prefix of a packet: empty for `/`, else `/nsp,`.
pub fn nsp_prefix(nsp: &str) -> String {
    if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    }
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket client with a frame queue

/// A frame read from a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A close frame, with its code and reason if any.
    Close(Option<(u16, String)>),
    /// The connection ended (or failed) without a close frame.
    Ended(String),
}

impl Frame {
    /// True for [`Frame::Close`] and [`Frame::Ended`].
    pub fn is_close(&self) -> bool {
        matches!(self, Frame::Close(_) | Frame::Ended(_))
    }
}

type WsSink = SplitSink<WebSocketStream<TcpStream>, Message>;

/// A raw Socket.IO client over an Engine.IO WebSocket. A reader task queues every frame, so
/// that frames the server writes together are never lost (the official suite's helper reads
/// one frame per `await` and loses them). Engine.IO pings are queued like any frame unless
/// [`SioWs::set_auto_pong`] is on, in which case the reader answers them itself.
pub struct SioWs {
    sink: Arc<tokio::sync::Mutex<WsSink>>,
    frames: mpsc::UnboundedReceiver<Frame>,
    auto_pong: Arc<AtomicBool>,
    filter_foreign: Arc<AtomicBool>,
    /// The open packet (empty for a WebSocket opened by [`SioWs::connect`] until read).
    pub handshake: Value,
    reader: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for SioWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SioWs")
            .field("handshake", &self.handshake)
            .finish()
    }
}

impl Drop for SioWs {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Broadcast frames other tests may cause when they share one external server (the Node
/// reference): a raw client joined to `/` would see them between its own frames.
fn is_foreign_broadcast(text: &str) -> bool {
    text.starts_with(r#"42["msg","#) || text.starts_with(r#"42["peer-disconnected","#)
}

impl SioWs {
    /// Opens a WebSocket to `path` (the open packet is left in the queue).
    pub async fn connect(addr: SocketAddr, path: &str) -> Result<SioWs, String> {
        Self::connect_with(addr, path, &[]).await
    }

    /// As [`SioWs::connect`], with extra request headers (an `Origin`, say).
    pub async fn connect_with(
        addr: SocketAddr,
        path: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<SioWs, String> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let tcp = timeout(STEP, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut request = format!("ws://{addr}{path}")
            .into_client_request()
            .map_err(|e| e.to_string())?;
        for (name, value) in headers {
            let value =
                tungstenite::http::HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            request.headers_mut().insert(*name, value);
        }
        let stream = match timeout(STEP, tokio_tungstenite::client_async(request, tcp)).await {
            Err(_) => return Err("handshake timed out".into()),
            Ok(Err(tungstenite::Error::Http(res))) => {
                return Err(format!("refused with HTTP {}", res.status()))
            }
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok((stream, _))) => stream,
        };
        let (sink, mut read) = stream.split();
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let auto_pong = Arc::new(AtomicBool::new(false));
        let (tx, frames) = mpsc::unbounded_channel();
        let filter_foreign = Arc::new(AtomicBool::new(is_node_reference()));
        let reader = {
            let sink = sink.clone();
            let auto_pong = auto_pong.clone();
            let filter_foreign = filter_foreign.clone();
            tokio::spawn(async move {
                loop {
                    let frame = match read.next().await {
                        None => Frame::Ended("end of stream".into()),
                        Some(Err(e)) => Frame::Ended(e.to_string()),
                        Some(Ok(Message::Text(t))) => {
                            let t = t.as_str();
                            if t == "2" && auto_pong.load(Ordering::SeqCst) {
                                let _ = sink.lock().await.send(Message::text("3")).await;
                                continue;
                            }
                            if filter_foreign.load(Ordering::SeqCst) && is_foreign_broadcast(t) {
                                continue;
                            }
                            Frame::Text(t.to_owned())
                        }
                        Some(Ok(Message::Binary(b))) => Frame::Binary(b.to_vec()),
                        Some(Ok(Message::Close(c))) => Frame::Close(
                            c.map(|c| (u16::from(c.code), c.reason.as_str().to_owned())),
                        ),
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {
                            continue
                        }
                    };
                    let end = frame.is_close();
                    if tx.send(frame).is_err() || end {
                        return;
                    }
                }
            })
        };
        Ok(SioWs {
            sink,
            frames,
            auto_pong,
            filter_foreign,
            handshake: Value::Null,
            reader,
        })
    }

    /// When on, Engine.IO pings are answered by the reader and never queued.
    pub fn set_auto_pong(&self, on: bool) {
        self.auto_pong.store(on, Ordering::SeqCst);
    }

    /// Keeps `msg` and `peer-disconnected` events, which are otherwise dropped against an
    /// external server (other tests' broadcasts reach every client there): for tests of those
    /// events, which then tell theirs apart by content.
    pub fn keep_broadcasts(&self) {
        self.filter_foreign.store(false, Ordering::SeqCst);
    }

    /// The next frame, or `None` if none arrives within `within`.
    pub async fn recv_within(&mut self, within: Duration) -> Option<Frame> {
        match timeout(within, self.frames.recv()).await {
            Err(_) => None,
            Ok(Some(f)) => Some(f),
            // The reader stopped after queueing the closing frame, which was already read.
            Ok(None) => Some(Frame::Ended("reader stopped".into())),
        }
    }

    /// The next frame; panics if none arrives within [`STEP`].
    pub async fn recv(&mut self) -> Frame {
        self.recv_within(STEP)
            .await
            .unwrap_or_else(|| panic!("no WebSocket frame within {STEP:?}"))
    }

    /// The next frame, which must be text.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame that is not an Engine.IO ping (pings are answered).
    pub async fn recv_data(&mut self) -> Frame {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            match self.recv().await {
                Frame::Text(t) if t == "2" => self.send_text("3").await,
                other => return other,
            }
        }
        panic!("only pings within {STEP:?}");
    }

    /// The next non-ping frame, which must be text.
    pub async fn recv_data_text(&mut self) -> String {
        match self.recv_data().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next `n` frames that are not pings (as the official suite's `waitForPackets`).
    pub async fn recv_packets(&mut self, n: usize) -> Vec<Frame> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            out.push(self.recv_data().await);
        }
        out
    }

    /// Asserts that no frame other than pings arrives within `within`.
    pub async fn assert_silent(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv_within(left).await {
                None => return,
                Some(Frame::Text(t)) if t == "2" => self.send_text("3").await,
                Some(other) => panic!("expected nothing within {within:?}, got {other:?}"),
            }
        }
    }

    /// Reads until the server closes the connection (close frame or end) within `within`;
    /// returns the frames seen before (pings excluded and answered) and the closing frame.
    pub async fn wait_closed(&mut self, within: Duration) -> (Vec<Frame>, Frame) {
        let deadline = Instant::now() + within;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv_within(left).await {
                None => panic!("WebSocket still open after {within:?}; frames: {before:?}"),
                Some(f) if f.is_close() => return (before, f),
                Some(Frame::Text(t)) if t == "2" => {
                    let _ = self.try_send(Message::text("3")).await;
                }
                Some(f) => before.push(f),
            }
        }
    }

    /// Asserts that the server closes the connection within `within` without sending any
    /// Socket.IO packet first.
    pub async fn assert_closed(&mut self, within: Duration) {
        let (before, _) = self.wait_closed(within).await;
        assert!(before.is_empty(), "frames before the close: {before:?}");
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send(Message::text(text)).await;
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) {
        self.send(Message::binary(data.to_vec())).await;
    }

    /// Sends a message; panics on failure.
    pub async fn send(&mut self, msg: Message) {
        let mut sink = self.sink.lock().await;
        match timeout(STEP, sink.send(msg)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("WebSocket send failed: {e}"),
            Err(_) => panic!("WebSocket send blocked for {STEP:?}"),
        }
    }

    /// Sends a message; returns whether it was written.
    pub async fn try_send(&mut self, msg: Message) -> bool {
        let mut sink = self.sink.lock().await;
        matches!(timeout(STEP, sink.send(msg)).await, Ok(Ok(())))
    }

    /// Sends `40{nsp,}{auth}` and reads the CONNECT reply and the fixture's greeting (`auth`
    /// on `/` and `/custom`, `welcome` on `/restricted`). Returns the socket id.
    pub async fn join(&mut self, nsp: &str, auth: Option<&Value>) -> String {
        let auth = auth.map(Value::to_string).unwrap_or_default();
        self.send_text(&format!("40{}{auth}", nsp_prefix(nsp)))
            .await;
        let reply = self.recv_data_text().await;
        let packet = parse_message(&reply);
        assert_eq!(
            (packet.kind, packet.nsp.as_str()),
            (0, nsp),
            "CONNECT reply {reply:?}"
        );
        let sid = packet
            .data
            .as_ref()
            .and_then(|d| d["sid"].as_str())
            .unwrap_or_else(|| panic!("no sid in {reply:?}"))
            .to_owned();
        let greeting = self.recv_data_text().await;
        let packet = parse_message(&greeting);
        assert_eq!(
            (packet.kind, packet.nsp.as_str()),
            (2, nsp),
            "greeting {greeting:?}"
        );
        sid
    }

    /// Sends `42["message",{text}]` on `/` and asserts `42["message-back",{text}]` comes back.
    pub async fn assert_echo(&mut self, text: &str) {
        let arg = Value::from(text);
        self.send_text(&format!(r#"42["message",{arg}]"#)).await;
        assert_eq!(
            self.recv_data().await,
            Frame::Text(format!(r#"42["message-back",{arg}]"#))
        );
    }

    /// Closes the WebSocket from our side (best effort, bounded).
    pub async fn close(self) {
        let mut sink = self.sink.lock().await;
        let _ = timeout(Duration::from_secs(1), sink.close()).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Raw long-polling client

/// A raw Socket.IO client over an Engine.IO long-polling session, with a packet queue.
#[derive(Debug)]
pub struct SioPolling<'a> {
    fx: &'a Fixture,
    /// The Engine.IO session id.
    pub sid: String,
    /// The open packet.
    pub handshake: Value,
    queue: std::collections::VecDeque<Frame>,
    auto_pong: bool,
}

impl SioPolling<'_> {
    /// The query of requests on this session.
    pub fn query(&self) -> String {
        format!("EIO=4&transport=polling&sid={}", self.sid)
    }

    /// When on, pings received by [`SioPolling::recv`] are answered and not returned.
    pub fn set_auto_pong(&mut self, on: bool) {
        self.auto_pong = on;
    }

    /// POSTs packets as one payload (binary ones as `b<base64>`); asserts `200 ok`.
    pub async fn send(&self, packets: &[Frame]) {
        let body: Vec<String> = packets
            .iter()
            .map(|p| match p {
                Frame::Text(t) => t.clone(),
                Frame::Binary(b) => {
                    format!("b{}", base64::engine::general_purpose::STANDARD.encode(b))
                }
                other => panic!("cannot POST {other:?}"),
            })
            .collect();
        let res = self
            .fx
            .post(&self.query(), body.join("\x1e").as_bytes())
            .await;
        assert_eq!(
            (res.status, res.body.as_slice()),
            (200, &b"ok"[..]),
            "POST: {res:?}"
        );
    }

    /// POSTs text packets.
    pub async fn send_text(&self, packets: &[&str]) {
        let frames: Vec<Frame> = packets
            .iter()
            .map(|p| Frame::Text((*p).to_owned()))
            .collect();
        self.send(&frames).await;
    }

    /// One GET; returns its packets, or `None` for a 400 (the session is gone).
    pub async fn poll(&self) -> Option<Vec<Frame>> {
        let res = self.fx.get(&self.query()).await;
        if res.status == 400 {
            return None;
        }
        assert_eq!(res.status, 200, "poll: {res:?}");
        let text = res.text();
        Some(
            text.split('\x1e')
                .map(|p| match p.strip_prefix('b') {
                    Some(b64) => Frame::Binary(
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .unwrap_or_else(|e| panic!("bad base64 packet {p:?}: {e}")),
                    ),
                    None => Frame::Text(p.to_owned()),
                })
                .collect(),
        )
    }

    /// The next packet (polling as needed; pings answered when auto-pong is on); panics if the
    /// session ends or nothing comes within [`STEP`].
    pub async fn recv(&mut self) -> Frame {
        let deadline = Instant::now() + STEP;
        loop {
            while let Some(f) = self.queue.pop_front() {
                if self.auto_pong && f == Frame::Text("2".into()) {
                    self.send_text(&["3"]).await;
                    continue;
                }
                return f;
            }
            assert!(Instant::now() < deadline, "no packet within {STEP:?}");
            match self.poll().await {
                Some(frames) => self.queue.extend(frames),
                None => panic!("session {} is gone", self.sid),
            }
        }
    }

    /// The next packet, which must be text.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected a text packet, got {other:?}"),
        }
    }

    /// Sends `40{nsp,}` and reads the CONNECT reply and the greeting event; returns the id.
    pub async fn join(&mut self, nsp: &str) -> String {
        self.send_text(&[&format!("40{}", nsp_prefix(nsp))]).await;
        let reply = self.recv_text().await;
        let packet = parse_message(&reply);
        assert_eq!(
            (packet.kind, packet.nsp.as_str()),
            (0, nsp),
            "CONNECT reply {reply:?}"
        );
        let greeting = parse_message(&self.recv_text().await);
        assert_eq!((greeting.kind, greeting.nsp.as_str()), (2, nsp));
        packet
            .data
            .as_ref()
            .and_then(|d| d["sid"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// Polls (answering nothing) until the session ends, within `within`: a GET answered with
    /// 400, or a payload ending in a close packet (`1`), possibly after noops (`6`). Returns
    /// the other packets seen on the way.
    pub async fn wait_closed(&mut self, within: Duration) -> Vec<Frame> {
        let deadline = Instant::now() + within;
        let mut seen: Vec<Frame> = self.queue.drain(..).collect();
        loop {
            assert!(
                Instant::now() < deadline,
                "session {} still open after {within:?}; packets: {seen:?}",
                self.sid
            );
            match self.poll().await {
                None => break,
                Some(frames) => {
                    let closed = frames.iter().any(|f| f == &Frame::Text("1".into()));
                    seen.extend(frames.into_iter().filter(
                        |f| !matches!(f, Frame::Text(t) if t == "1" || t == "6" || t == "2"),
                    ));
                    if closed {
                        break;
                    }
                }
            }
        }
        seen
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1

/// An HTTP response as received.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lowercased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes (de-chunked).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = String::from_utf8_lossy(&self.body)
            .chars()
            .take(300)
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &shown)
            .finish()
    }
}

impl Response {
    /// The body as UTF-8 (panics otherwise).
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone())
            .unwrap_or_else(|_| panic!("body is not UTF-8: {:?}", self.body))
    }
}

/// One request over a new connection with `Connection: close`; the response is read to the
/// end of the connection.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if method != "GET" || !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::other(m.to_owned());
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| bad("bad chunk"))?;
            let size = String::from_utf8_lossy(&rest[..line_end]);
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(rest.get(..size).ok_or_else(|| bad("short chunk"))?);
            rest = rest.get(size + 2..).ok_or_else(|| bad("short chunk"))?;
        }
        body = out;
    } else if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        body.truncate(len);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------------------------
// Node and Python client scripts

#[path = "../support/clients.rs"]
mod clients;
#[allow(unused_imports)] // not every test crate runs client scripts
pub use clients::*;

// ---------------------------------------------------------------------------------------------
// A client that stops reading

/// A WebSocket client joined to `/` that never reads again (nor answers pings): the server's
/// writes to it back up into the TCP buffers, as with a slow consumer.
pub struct StalledWs {
    stream: WebSocketStream<TcpStream>,
}

impl std::fmt::Debug for StalledWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StalledWs").finish()
    }
}

impl StalledWs {
    /// Opens a WebSocket session, joins `/` (reading the reply and the `auth` event), then
    /// stops reading.
    pub async fn open(fx: &Fixture) -> StalledWs {
        // A small receive buffer (which also turns off its autotuning), so that a few hundred
        // kB the client does not read fill the path and the server's writes to it block.
        let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("{e}"));
        socket
            .set_recv_buffer_size(4096)
            .unwrap_or_else(|e| panic!("{e}"));
        let tcp = socket
            .connect(fx.addr())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!("ws://{}{}", fx.addr(), fx.path("EIO=4&transport=websocket"));
        let (mut stream, _) = timeout(STEP, tokio_tungstenite::client_async(url, tcp))
            .await
            .unwrap_or_else(|_| panic!("handshake timed out"))
            .unwrap_or_else(|e| panic!("WebSocket: {e}"));
        parse_open(&stalled_next_text(&mut stream).await);
        timeout(STEP, stream.send(Message::text("40")))
            .await
            .unwrap_or_else(|_| panic!("send timed out"))
            .unwrap_or_else(|e| panic!("send: {e}"));
        assert_eq!(parse_message(&stalled_next_text(&mut stream).await).kind, 0);
        assert_eq!(parse_message(&stalled_next_text(&mut stream).await).kind, 2);
        StalledWs { stream }
    }

    /// Sends a text frame without reading anything.
    pub async fn send_text(&mut self, text: &str) -> bool {
        matches!(
            timeout(STEP, self.stream.send(Message::text(text))).await,
            Ok(Ok(()))
        )
    }
}

/// The next text frame other than a ping, during a [`StalledWs`]'s setup.
async fn stalled_next_text(stream: &mut WebSocketStream<TcpStream>) -> String {
    loop {
        match timeout(STEP, stream.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.as_str() != "2" => return t.as_str().to_owned(),
            Ok(Some(Ok(_))) => {}
            other => panic!("stalled client setup: {other:?}"),
        }
    }
}
