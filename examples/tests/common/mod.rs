//! Helpers shared by the Engine.IO integration tests: the fixture (our `conformance` example
//! in-process, or any server named by `EIO_FIXTURE_URL`), a small HTTP/1.1 client that shows
//! exact bytes, a WebSocket frame queue, Engine.IO payload codecs for assertions, and a runner
//! for the Node and Python client scripts in `tests/clients/`.
//!
//! Every wait here is bounded: a test that would hang fails with a message instead.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

/// The heartbeat of the fixture (ours and the Node reference alike).
pub const PING_INTERVAL: Duration = Duration::from_millis(300);
/// See [`PING_INTERVAL`].
pub const PING_TIMEOUT: Duration = Duration::from_millis(200);
/// `maxHttpBufferSize` of the fixture.
pub const MAX_PAYLOAD: usize = 1_000_000;
/// How long one wait for a frame or a response may take before the test fails.
pub const STEP: Duration = Duration::from_secs(5);

/// Runs a test body with an overall deadline, so that no test can hang the suite.
pub async fn with_timeout<F: Future<Output = ()>>(limit: Duration, body: F) {
    if timeout(limit, body).await.is_err() {
        panic!("test did not finish within {limit:?}");
    }
}

/// True when the tests run against an external server (`EIO_FIXTURE_URL`), such as the Node
/// reference in `tests/reference/engineio-server.js`. Tests of behaviour where ours deliberately
/// differs from Node return early then.
pub fn is_node_reference() -> bool {
    std::env::var_os("EIO_FIXTURE_URL").is_some()
}

type StopFn = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A running Engine.IO echo server to test against.
pub struct Fixture {
    base: String,
    addr: SocketAddr,
    stop: Mutex<Option<StopFn>>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("base", &self.base).finish()
    }
}

/// Starts the fixture: the server at `EIO_FIXTURE_URL` if set, else our `conformance` example
/// in-process on `127.0.0.1:0` (pingInterval 300 ms, pingTimeout 200 ms, echo at `/engine.io/`).
pub async fn engineio_fixture() -> Fixture {
    if let Ok(url) = std::env::var("EIO_FIXTURE_URL") {
        let base = url.trim_end_matches('/').to_owned();
        let host = base
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("EIO_FIXTURE_URL must be http://HOST:PORT, got {url}"));
        let addr = tokio::net::lookup_host(host)
            .await
            .unwrap_or_else(|e| panic!("cannot resolve {host}: {e}"))
            .next()
            .unwrap_or_else(|| panic!("{host} resolves to nothing"));
        return Fixture {
            base,
            addr,
            stop: Mutex::new(None),
        };
    }
    start_in_process().await
}

async fn start_in_process() -> Fixture {
    let server = examples::conformance::start(examples::conformance::Options::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start the conformance fixture: {e}"));
    let addr = server.local_addr();
    let stop: StopFn = Box::new(move || Box::pin(server.shutdown()));
    Fixture {
        base: format!("http://{addr}"),
        addr,
        stop: Mutex::new(Some(stop)),
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

    /// `/engine.io/?{query}`.
    pub fn path(&self, query: &str) -> String {
        format!("/engine.io/?{query}")
    }

    /// `http://HOST:PORT/engine.io/?{query}`.
    pub fn url(&self, query: &str) -> String {
        format!("{}{}", self.base, self.path(query))
    }

    /// `ws://HOST:PORT/engine.io/?{query}`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}{}", self.addr, self.path(query))
    }

    /// True when this fixture is our server in-process, so that the test can shut it down.
    pub fn can_shutdown(&self) -> bool {
        self.stop.lock().is_ok_and(|s| s.is_some())
    }

    /// Gracefully shuts our in-process server down (every session gets its close packet).
    /// Panics on an external fixture: guard with [`Fixture::can_shutdown`].
    pub async fn shutdown(&self) {
        let stop = self
            .stop
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_else(|| panic!("no in-process server to shut down"));
        stop().await;
    }

    /// Sends a request to the fixture; panics on an I/O error.
    pub async fn send(&self, req: Request) -> Response {
        let desc = format!("{} {}", req.method, req.path);
        match self.try_send(req).await {
            Ok(res) => res,
            Err(e) => panic!("{desc}: {e}"),
        }
    }

    /// Sends a request to the fixture over a new connection.
    pub async fn try_send(&self, req: Request) -> std::io::Result<Response> {
        timeout(STEP, send(self.addr, &req))
            .await
            .map_err(|_| std::io::Error::other("no response in time"))?
    }

    /// `GET /engine.io/?{query}`.
    pub async fn get(&self, query: &str) -> Response {
        self.send(Request::get(self.path(query))).await
    }

    /// `POST /engine.io/?{query}` with a `text/plain;charset=UTF-8` body, as browsers send it.
    pub async fn post(&self, query: &str, body: impl Into<Vec<u8>>) -> Response {
        self.send(Request::post(self.path(query), body).header("Content-Type", TEXT_PLAIN))
            .await
    }

    /// Opens a polling session with protocol `eio` (3 or 4) and returns it.
    pub async fn open_polling(&self, eio: u8) -> Polling<'_> {
        self.open_polling_with(eio, "").await
    }

    /// Opens a polling session with `extra` (such as `&b64=1`) appended to the query of every
    /// request on it.
    pub async fn open_polling_with(&self, eio: u8, extra: &str) -> Polling<'_> {
        let res = self
            .get(&format!("EIO={eio}&transport=polling{extra}"))
            .await;
        assert_eq!(res.status, 200, "handshake: {res:?}");
        let text = res.text();
        let open = match eio {
            4 => text.clone(),
            _ => {
                let packets = decode_v3_payload(&text)
                    .unwrap_or_else(|e| panic!("bad v3 handshake payload {text:?}: {e}"));
                packets
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| panic!("empty v3 handshake payload"))
            }
        };
        let handshake = parse_open(&open);
        let sid = handshake["sid"]
            .as_str()
            .unwrap_or_else(|| panic!("no sid in {open}"))
            .to_owned();
        Polling {
            fx: self,
            sid,
            eio,
            extra: extra.to_owned(),
            handshake,
        }
    }

    /// Opens a WebSocket to `/engine.io/?{query}`; panics if the server refuses it.
    pub async fn ws(&self, query: &str) -> Ws {
        match Ws::connect(self.addr, &self.path(query)).await {
            Ok(ws) => ws,
            Err(e) => panic!("WebSocket {query}: {e:?}"),
        }
    }

    /// Opens a WebSocket-only session with protocol `eio`; returns it with its open packet.
    pub async fn open_ws(&self, eio: u8) -> (Ws, Value) {
        let mut ws = self.ws(&format!("EIO={eio}&transport=websocket")).await;
        let open = ws.recv_text().await;
        let handshake = parse_open(&open);
        (ws, handshake)
    }

    /// Shows that the server still serves other clients: a fresh polling session and a fresh
    /// WebSocket session each echo a message.
    pub async fn assert_still_serving(&self) {
        let session = self.open_polling(4).await;
        session.echo("still polling").await;
        session.close().await;

        let (mut ws, _) = self.open_ws(4).await;
        ws.send_text("4still websocket").await;
        assert_eq!(
            ws.recv_data().await,
            WsFrame::Text("4still websocket".into())
        );
        ws.close().await;
    }
}

#[path = "../support/open.rs"]
mod open;
pub use open::parse_open;

/// A polling session opened by a test.
#[derive(Debug)]
pub struct Polling<'a> {
    fx: &'a Fixture,
    /// The session id.
    pub sid: String,
    /// The protocol version (3 or 4).
    pub eio: u8,
    extra: String,
    /// The parsed open packet.
    pub handshake: Value,
}

impl Polling<'_> {
    /// The query of requests on this session (`EIO=..&transport=polling&sid=..`).
    pub fn query(&self) -> String {
        format!(
            "EIO={}&transport=polling&sid={}{}",
            self.eio, self.sid, self.extra
        )
    }

    /// The request path of this session, with `extra` appended to the query.
    pub fn path(&self, extra: &str) -> String {
        self.fx.path(&format!("{}{extra}", self.query()))
    }

    /// A GET on this session.
    pub async fn get(&self) -> Response {
        self.fx.get(&self.query()).await
    }

    /// A text POST on this session.
    pub async fn post(&self, body: impl Into<Vec<u8>>) -> Response {
        self.fx.post(&self.query(), body).await
    }

    /// POSTs packets as one text payload of this session's protocol; asserts `200 ok`.
    pub async fn send(&self, packets: &[&str]) {
        let res = self.post(encode_payload(self.eio, packets)).await;
        res.assert_ok();
    }

    /// GETs one payload and splits it into packets.
    pub async fn poll(&self) -> Vec<String> {
        let res = self.get().await;
        assert_eq!(res.status, 200, "poll: {res:?}");
        decode_payload(self.eio, &res.text())
    }

    /// Polls until packets other than server pings arrive (protocol 4), answering the pings,
    /// and returns those packets. Bounded by [`STEP`].
    pub async fn recv_data(&self) -> Vec<String> {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            let packets = self.poll().await;
            if self.eio == 3 {
                return packets;
            }
            let pings = packets.iter().filter(|p| p.as_str() == "2").count();
            for _ in 0..pings {
                self.send(&["3"]).await;
            }
            let data: Vec<String> = packets.into_iter().filter(|p| p != "2").collect();
            if !data.is_empty() {
                return data;
            }
        }
        panic!("no data on session {} within {STEP:?}", self.sid);
    }

    /// Sends `4{text}` and asserts it comes back.
    pub async fn echo(&self, text: &str) {
        let packet = format!("4{text}");
        self.send(&[&packet]).await;
        assert_eq!(self.recv_data().await, [packet]);
    }

    /// Closes the session from the client side (POST `1`).
    pub async fn close(&self) {
        self.send(&["1"]).await;
    }

    /// Asserts that the session no longer exists: a GET gets 400 `Session ID unknown`.
    pub async fn assert_gone(&self) {
        let res = self.get().await;
        res.assert_error(1, "Session ID unknown");
    }

    /// Waits (bounded) until the session is gone: a GET gets 400 code 1. Pending GETs that
    /// return packets meanwhile are fine; pings are not answered.
    pub async fn wait_gone(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let res = self.get().await;
            if res.status == 400 {
                res.assert_error(1, "Session ID unknown");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "session {} still alive after {within:?}",
                self.sid
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1

/// The `Content-Type` browsers use for a string body.
pub const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// An HTTP request, written byte for byte as given (plus `Host`, `Content-Length` when there is
/// a body or the method is POST, and `Connection: close` unless a `Connection` header is given).
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A GET.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path, Vec::new())
    }

    /// A POST with that body (no `Content-Type` unless added).
    pub fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self::new("POST", path, body.into())
    }

    /// Any method.
    pub fn new(method: &str, path: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            method: method.to_owned(),
            path: path.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The request head (request line and headers, with the blank line).
    pub fn head(&self, addr: SocketAddr) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\nHost: {addr}\r\n", self.method, self.path);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let has_length = self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
        if !has_length && (!self.body.is_empty() || self.method != "GET") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        let has_connection = self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("connection"));
        if !has_connection {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

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
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 (panics otherwise).
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone())
            .unwrap_or_else(|_| panic!("body is not UTF-8: {:?}", self.body))
    }

    /// The body as JSON (panics otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {self:?}"))
    }

    /// Asserts an Engine.IO polling error: 400 (403 for code 4), `application/json`,
    /// `{"code":N,"message":"..."}`.
    pub fn assert_error(&self, code: u64, message: &str) {
        let status = if code == 4 { 403 } else { 400 };
        assert_eq!(self.status, status, "{self:?}");
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "content-type: {self:?}");
        assert_eq!(
            self.json(),
            serde_json::json!({"code": code, "message": message}),
            "{self:?}"
        );
    }

    /// Asserts `200`, `text/html`, body `ok` (the answer to a POST).
    pub fn assert_ok(&self) {
        assert_eq!(
            (self.status, self.body.as_slice()),
            (200, &b"ok"[..]),
            "{self:?}"
        );
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("text/html"), "content-type: {self:?}");
    }
}

/// Sends one request over a new connection and reads the response.
pub async fn send(addr: SocketAddr, req: &Request) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut bytes = req.head(addr);
    bytes.extend_from_slice(&req.body);
    stream.write_all(&bytes).await?;
    read_response(&mut stream, &req.method).await
}

/// Reads one response from `stream`: the head, then a body by `Content-Length`, chunked, or to
/// the end of the connection.
pub async fn read_response<S>(stream: &mut S, method: &str) -> std::io::Result<Response>
where
    S: tokio::io::AsyncRead + Unpin,
{
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other("response head too long"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed before a response head ({} bytes read)",
                    buf.len()
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut rest = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let no_body = method == "HEAD" || status == 204 || status == 304 || status / 100 == 1;
    let body = if no_body {
        Vec::new()
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(stream, rest).await?
    } else if let Some(len) = get("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| std::io::Error::other("bad content-length"))?;
        while rest.len() < len {
            let mut chunk = vec![0u8; (len - rest.len()).min(64 * 1024)];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "body shorter than content-length",
                ));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else {
        stream.read_to_end(&mut rest).await?;
        rest
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

async fn read_chunked<S>(stream: &mut S, mut buf: Vec<u8>) -> std::io::Result<Vec<u8>>
where
    S: tokio::io::AsyncRead + Unpin,
{
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf, b"\r\n") {
                break i;
            }
            fill(stream, &mut buf).await?;
        };
        let size_str = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| std::io::Error::other(format!("bad chunk size {size_str:?}")))?;
        buf.drain(..line_end + 2);
        while buf.len() < size + 2 {
            fill(stream, &mut buf).await?;
        }
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

async fn fill<S>(stream: &mut S, buf: &mut Vec<u8>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + Unpin,
{
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed inside a chunked body",
        ));
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/// A frame read from a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A close frame, with its code and reason if any.
    Close(Option<(u16, String)>),
    /// The connection ended (or failed) without a close frame.
    Ended(String),
}

/// A refused WebSocket handshake.
#[derive(Debug)]
pub enum WsRefused {
    /// The server answered with this HTTP status and body instead of `101`.
    Http(u16, Option<String>, Vec<u8>),
    /// Any other failure.
    Other(String),
}

/// A client WebSocket whose frames queue up until read: none is lost between two reads, unlike
/// the official suite's `waitFor(socket, "message")`.
pub struct Ws {
    stream: WebSocketStream<TcpStream>,
}

impl std::fmt::Debug for Ws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ws")
    }
}

impl Ws {
    /// Connects to `ws://{addr}{path}`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Result<Ws, WsRefused> {
        let tcp = timeout(STEP, TcpStream::connect(addr))
            .await
            .map_err(|_| WsRefused::Other("connect timed out".into()))?
            .map_err(|e| WsRefused::Other(e.to_string()))?;
        tcp.set_nodelay(true)
            .map_err(|e| WsRefused::Other(e.to_string()))?;
        let url = format!("ws://{addr}{path}");
        match timeout(STEP, tokio_tungstenite::client_async(url, tcp)).await {
            Err(_) => Err(WsRefused::Other("handshake timed out".into())),
            Ok(Ok((stream, _))) => Ok(Ws { stream }),
            Ok(Err(tungstenite::Error::Http(res))) => {
                let ct = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Err(WsRefused::Http(
                    res.status().as_u16(),
                    ct,
                    res.body().clone().unwrap_or_default(),
                ))
            }
            Ok(Err(e)) => Err(WsRefused::Other(e.to_string())),
        }
    }

    /// The next frame, or `None` if none arrives within `within`. WebSocket pings are answered
    /// by tungstenite and not shown.
    pub async fn recv_within(&mut self, within: Duration) -> Option<WsFrame> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = timeout(left, self.stream.next()).await.ok()?;
            return Some(match next {
                None => WsFrame::Ended("end of stream".into()),
                Some(Err(e)) => WsFrame::Ended(e.to_string()),
                Some(Ok(Message::Text(t))) => WsFrame::Text(t.as_str().to_owned()),
                Some(Ok(Message::Binary(b))) => WsFrame::Binary(b.to_vec()),
                Some(Ok(Message::Close(c))) => {
                    WsFrame::Close(c.map(|c| (u16::from(c.code), c.reason.as_str().to_owned())))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            });
        }
    }

    /// The next frame; panics if none arrives within [`STEP`].
    pub async fn recv(&mut self) -> WsFrame {
        self.recv_within(STEP)
            .await
            .unwrap_or_else(|| panic!("no WebSocket frame within {STEP:?}"))
    }

    /// The next frame, which must be text.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            WsFrame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame that is not an Engine.IO ping (`2`); pings are answered with `3`.
    pub async fn recv_data(&mut self) -> WsFrame {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            match self.recv().await {
                WsFrame::Text(t) if t == "2" => self.send_text("3").await,
                other => return other,
            }
        }
        panic!("only pings within {STEP:?}");
    }

    /// Reads until the server closes the connection (close frame or end), within `within`;
    /// returns the frames seen before, then the closing frame. Pings are not answered.
    pub async fn wait_closed(&mut self, within: Duration) -> (Vec<WsFrame>, WsFrame) {
        let deadline = Instant::now() + within;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv_within(left).await {
                None => panic!("WebSocket still open after {within:?}; frames: {before:?}"),
                Some(f @ (WsFrame::Close(_) | WsFrame::Ended(_))) => return (before, f),
                Some(f) => before.push(f),
            }
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send(Message::text(text)).await;
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) {
        self.send(Message::binary(data.to_vec())).await;
    }

    /// Sends a text frame with arbitrary (possibly invalid UTF-8) bytes.
    pub async fn send_raw_text(&mut self, bytes: &[u8]) {
        let frame = RawFrame::message(bytes.to_vec(), OpCode::Data(Data::Text), true);
        self.send(Message::Frame(frame)).await;
    }

    /// Sends a message; panics on failure.
    pub async fn send(&mut self, msg: Message) {
        if let Err(e) = timeout(STEP, self.stream.send(msg))
            .await
            .map_err(|_| "timeout".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            panic!("WebSocket send failed: {e}");
        }
    }

    /// Sends a message; returns whether it was written.
    pub async fn try_send(&mut self, msg: Message) -> bool {
        matches!(timeout(STEP, self.stream.send(msg)).await, Ok(Ok(())))
    }

    /// Closes the WebSocket from our side (best effort, bounded).
    pub async fn close(mut self) {
        let _ = timeout(Duration::from_secs(1), self.stream.close(None)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Engine.IO payloads (for assertions; the server's codec is tested on its own)

/// Encodes text packets as a polling payload of protocol `eio`.
pub fn encode_payload(eio: u8, packets: &[&str]) -> String {
    match eio {
        3 => encode_v3_payload(packets),
        _ => packets.join("\x1e"),
    }
}

/// Decodes a text polling payload of protocol `eio` (panics if malformed).
pub fn decode_payload(eio: u8, payload: &str) -> Vec<String> {
    match eio {
        3 => {
            decode_v3_payload(payload).unwrap_or_else(|e| panic!("bad v3 payload {payload:?}: {e}"))
        }
        _ => decode_v4_payload(payload),
    }
}

/// Splits a protocol 4 polling payload on the record separator.
pub fn decode_v4_payload(payload: &str) -> Vec<String> {
    payload.split('\x1e').map(str::to_owned).collect()
}

/// Decodes a protocol 3 text payload (`<len>:<packet>`, length in UTF-16 code units).
pub fn decode_v3_payload(payload: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (len, after) = rest
            .split_once(':')
            .ok_or_else(|| format!("no ':' in {rest:?}"))?;
        let len: usize = len.parse().map_err(|_| format!("bad length {len:?}"))?;
        let mut units = 0;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            if units == len {
                end = i;
                break;
            }
            units += c.len_utf16();
        }
        if units < len {
            return Err(format!("record shorter than {len}"));
        }
        out.push(after[..end].to_owned());
        rest = &after[end..];
    }
    Ok(out)
}

/// Encodes protocol 3 text packets as a text payload.
pub fn encode_v3_payload(packets: &[&str]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// A record of a protocol 3 XHR2 (binary) payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Xhr2Record {
    /// A string packet (type char and data).
    Text(String),
    /// A binary message (the data after the `04` type byte).
    Binary(Vec<u8>),
}

/// Encodes a protocol 3 XHR2 payload: per record `00` (string) or `01` (binary), the length as
/// one byte per decimal digit, `FF`, then the record.
pub fn encode_xhr2(records: &[Xhr2Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let (kind, body) = match r {
            Xhr2Record::Text(t) => (0u8, t.as_bytes().to_vec()),
            Xhr2Record::Binary(b) => (1u8, [&[4u8][..], b].concat()),
        };
        out.push(kind);
        out.extend(body.len().to_string().bytes().map(|d| d - b'0'));
        out.push(0xFF);
        out.extend_from_slice(&body);
    }
    out
}

/// Decodes a protocol 3 XHR2 payload.
pub fn decode_xhr2(mut bytes: &[u8]) -> Result<Vec<Xhr2Record>, String> {
    let mut out = Vec::new();
    while let Some((&kind, rest)) = bytes.split_first() {
        let sep = rest
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or("no FF after a length")?;
        let mut len = 0usize;
        for &d in &rest[..sep] {
            if d > 9 {
                return Err(format!("bad length digit {d}"));
            }
            len = len * 10 + usize::from(d);
        }
        let body = rest
            .get(sep + 1..sep + 1 + len)
            .ok_or("record shorter than its length")?;
        out.push(match kind {
            0 => Xhr2Record::Text(String::from_utf8(body.to_vec()).map_err(|e| e.to_string())?),
            1 => match body.split_first() {
                Some((4, data)) => Xhr2Record::Binary(data.to_vec()),
                _ => return Err("binary record without type 04".into()),
            },
            k => return Err(format!("bad record kind {k}")),
        });
        bytes = &rest[sep + 1 + len..];
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Node and Python client scripts

#[path = "../support/clients.rs"]
mod clients;
#[allow(unused_imports)] // not every test crate runs client scripts
pub use clients::*;

// ---------------------------------------------------------------------------------------------
// EIO-3: custom engines, a client served during a test, raw WebSocket bytes

/// Sends every message back to its own session, and remembers close reasons.
#[derive(Debug, Default)]
pub struct EchoHandler {
    /// The reasons of the sessions closed so far, in order.
    pub closes: Mutex<Vec<engineio::CloseReason>>,
}

impl engineio::Handler for EchoHandler {
    fn on_connect(&self, _socket: engineio::Socket) {}

    fn on_message(&self, socket: &engineio::Socket, message: engineio::Message) {
        let _ = socket.send(message);
    }

    fn on_close(&self, _socket: &engineio::Socket, reason: engineio::CloseReason) {
        if let Ok(mut c) = self.closes.lock() {
            c.push(reason);
        }
    }
}

impl EchoHandler {
    /// The close reasons seen so far.
    pub fn closes(&self) -> Vec<engineio::CloseReason> {
        self.closes.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// An in-process echo engine at `/engine.io/` with these options, as a [`Fixture`], with the
/// engine and its handler.
pub async fn engine_fixture_with(
    config: engineio::EngineConfig,
    serve: engineio::ServeConfig,
) -> (Fixture, engineio::Engine, Arc<EchoHandler>) {
    let handler = Arc::new(EchoHandler::default());
    let engine = engineio::Engine::with_handler(config, handler.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let server = engineio::serve_with(listener, engine.service(engineio::NotFound), serve);
    let closing = engine.clone();
    let stop: StopFn = Box::new(move || {
        Box::pin(async move {
            closing.close();
            server.shutdown().await;
        })
    });
    let fixture = Fixture {
        base: format!("http://{addr}"),
        addr,
        stop: Mutex::new(Some(stop)),
    };
    (fixture, engine, handler)
}

/// The conformance fixture's engine options (heartbeat 300/200 ms, `allowEIO3`, CORS for any
/// origin), to start from.
pub fn conformance_engine_config() -> engineio::EngineConfig {
    examples::conformance::engine_config(&examples::conformance::Options::default())
}

/// Waits (bounded) until `cond` holds; panics with `what` otherwise.
pub async fn eventually(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        sleep(Duration::from_millis(10)).await;
    }
}

/// A well-behaved client served while a test does something hostile: in the background it
/// echoes over a WebSocket session and over a polling session, in turn, until finished.
pub struct Bystander {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Result<usize, String>>,
}

impl std::fmt::Debug for Bystander {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bystander")
    }
}

/// Starts a [`Bystander`] against the echo engine at `addr`.
pub async fn bystander(addr: SocketAddr) -> Bystander {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let mut ws = match Ws::connect(addr, "/engine.io/?EIO=4&transport=websocket").await {
        Ok(ws) => ws,
        Err(e) => panic!("bystander WebSocket: {e:?}"),
    };
    let _open = ws.recv_text().await;
    let res = send(
        addr,
        &Request::get("/engine.io/?EIO=4&transport=polling".to_owned()),
    )
    .await
    .unwrap_or_else(|e| panic!("bystander handshake: {e}"));
    let sid = parse_open(&String::from_utf8_lossy(&res.body))["sid"]
        .as_str()
        .unwrap_or_else(|| panic!("bystander: no sid"))
        .to_owned();
    let task = tokio::spawn(async move {
        let query = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
        let mut n = 0usize;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let text = format!("4bystander {n}");
            ws.send_text(&text).await;
            match timeout(STEP, ws.recv_data()).await {
                Ok(WsFrame::Text(t)) if t == text => {}
                other => return Err(format!("websocket echo {n}: {other:?}")),
            }
            let post = Request::post(query.clone(), text.clone().into_bytes())
                .header("Content-Type", TEXT_PLAIN);
            match send(addr, &post).await {
                Ok(r) if r.status == 200 => {}
                other => return Err(format!("polling post {n}: {other:?}")),
            }
            let deadline = Instant::now() + STEP;
            loop {
                let res = send(addr, &Request::get(query.clone()))
                    .await
                    .map_err(|e| format!("polling get {n}: {e}"))?;
                if res.status != 200 {
                    return Err(format!("polling get {n}: {res:?}"));
                }
                let packets = decode_v4_payload(&String::from_utf8_lossy(&res.body));
                if packets.iter().any(|p| p == "2") {
                    let pong = Request::post(query.clone(), b"3".to_vec())
                        .header("Content-Type", TEXT_PLAIN);
                    let _ = send(addr, &pong).await;
                }
                if packets.contains(&text) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("polling echo {n} missing"));
                }
            }
            n += 1;
            sleep(Duration::from_millis(5)).await;
        }
        ws.close().await;
        Ok(n)
    });
    Bystander { stop, task }
}

impl Bystander {
    /// Stops it and asserts that it was served throughout (at least one round trip each way,
    /// no failure); returns the number of round trips.
    pub async fn finish(self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        match timeout(STEP * 2, self.task).await {
            Ok(Ok(Ok(n))) => {
                assert!(n > 0, "bystander made no round trip");
                n
            }
            Ok(Ok(Err(e))) => panic!("bystander failed: {e}"),
            Ok(Err(e)) => panic!("bystander panicked: {e}"),
            Err(_) => panic!("bystander did not stop"),
        }
    }
}

/// A WebSocket handshake written by hand on a new connection: returns the stream and the
/// response (status, headers) once its head is read. `extra` headers are added as given.
pub async fn raw_ws_handshake(
    addr: SocketAddr,
    path: &str,
    extra: &[(&str, &str)],
) -> std::io::Result<(TcpStream, Response)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    // Read the head byte by byte so that no frame after it is consumed.
    let mut buf = Vec::new();
    while !buf.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if timeout(STEP, stream.read_exact(&mut b)).await.is_err() {
            return Err(std::io::Error::other("no handshake answer in time"));
        }
        buf.push(b[0]);
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other("answer head too long"));
        }
    }
    let mut cursor = &buf[..];
    let mut res = read_response(&mut cursor, "HEAD").await?;
    if res.status != 101 {
        // Read the refusal's body too.
        if let Some(len) = res
            .header("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            let mut body = vec![0u8; len];
            let _ = timeout(STEP, stream.read_exact(&mut body)).await;
            res.body = body;
        }
    }
    Ok((stream, res))
}

/// A client frame: FIN, RSV bits (`rsv` as 0b100 for RSV1), opcode, masked with a fixed key
/// unless `masked` is false.
pub fn raw_ws_frame(fin: bool, rsv: u8, opcode: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f)];
    let mask_bit = if masked { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len < 65536 {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let key = [0x12u8, 0x34, 0x56, 0x78];
    if masked {
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A frame from the server, as read by [`raw_ws_read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWsFrame {
    /// FIN.
    pub fin: bool,
    /// The RSV bits (0b100 is RSV1).
    pub rsv: u8,
    /// The opcode.
    pub opcode: u8,
    /// The payload.
    pub payload: Vec<u8>,
}

impl RawWsFrame {
    /// The close code of a close frame, if it has one.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == 8 && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// Reads one server frame within `within`: `None` on a timeout, `Some(Err)` when the connection
/// ends or fails.
pub async fn raw_ws_read(
    stream: &mut TcpStream,
    within: Duration,
) -> Option<std::io::Result<RawWsFrame>> {
    let read = async {
        let mut h = [0u8; 2];
        stream.read_exact(&mut h).await?;
        let len = match h[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                stream.read_exact(&mut b).await?;
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                stream.read_exact(&mut b).await?;
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        if len > 64 << 20 {
            return Err(std::io::Error::other("server frame over 64 MiB"));
        }
        let mut payload = vec![0u8; len as usize];
        stream.read_exact(&mut payload).await?;
        Ok(RawWsFrame {
            fin: h[0] & 0x80 != 0,
            rsv: (h[0] >> 4) & 7,
            opcode: h[0] & 0x0f,
            payload,
        })
    };
    timeout(within, read).await.ok()
}

/// Reads server frames until a close frame or the end of the connection (within `within`,
/// else panics); returns the close code, if a close frame with one came.
pub async fn raw_ws_wait_closed(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match raw_ws_read(stream, left).await {
            None => panic!("connection still open after {within:?}"),
            Some(Err(_)) => return None,
            Some(Ok(f)) if f.opcode == 8 => return f.close_code(),
            Some(Ok(_)) => {}
        }
    }
}

/// Decompresses gzip (`gzip`) or zlib (`deflate`) bytes with the system's Python.
pub fn python_decompress(encoding: &str, data: &[u8]) -> Vec<u8> {
    let program = if venv_python().exists() {
        venv_python()
    } else {
        PathBuf::from("python3")
    };
    let wbits = if encoding == "gzip" { 31 } else { 15 };
    let script = format!(
        "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read(), {wbits}))"
    );
    let mut child = std::process::Command::new(program)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python: {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        stdin
            .write_all(data)
            .unwrap_or_else(|e| panic!("python stdin: {e}"));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("python: {e}"));
    assert!(
        out.status.success(),
        "python could not decompress {encoding}"
    );
    out.stdout
}

/// The resident set size of a process, in KiB, from `/proc/{pid}/status`.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS for {pid}"))
}
