//! Helpers of the SIO-3 tests: servers of our own on `127.0.0.1:0`, and the scripted client
//! `tests/clients/sio3_client.js` (socket.io-client 2.x or 4.x) driven step by step.
//!
//! Needs `#[path = "sio_common/mod.rs"] mod sio_common;` in the same test crate.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};

use crate::sio_common::{ClientProcess, STEP};

/// The scripts' own deadline.
pub const SCRIPT_LIMIT: Duration = Duration::from_secs(20);
/// A test's overall deadline.
pub const LIMIT: Duration = Duration::from_secs(40);

/// Which socket.io-client runs a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// socket.io-client 2.5 (Socket.IO protocol 4 over Engine.IO 3).
    V2,
    /// socket.io-client 4.8 (protocol 5 over Engine.IO 4).
    V4,
}

impl Client {
    pub fn name(self) -> &'static str {
        match self {
            Client::V2 => "v2",
            Client::V4 => "v4",
        }
    }
}

/// A server of our own listening on a free port; closed when dropped is not possible
/// (async), so tests call [`Served::close`].
#[derive(Debug)]
pub struct Served {
    pub io: socketio::Server,
    pub addr: SocketAddr,
}

impl Served {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn close(self) {
        self.io.close().await;
    }
}

/// Listens with `io` on `127.0.0.1:0`.
pub async fn serve(io: socketio::Server) -> Served {
    let addr = io
        .listen("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("listen: {e}"));
    Served { io, addr }
}

/// Options like the conformance fixture's: protocol 3 on, a fast heartbeat.
pub fn fast_config() -> socketio::ServerConfigBuilder {
    let engine = engineio::EngineConfig::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .allow_eio3(true)
        .build();
    socketio::ServerConfig::builder()
        .engine(engine)
        .connect_timeout(Duration::from_millis(1000))
}

/// The script's config for these steps.
pub fn script_config(url: &str, client: Client, mode: &str, steps: Value) -> Value {
    json!({
        "url": url,
        "client": client.name(),
        "mode": mode,
        "timeoutMs": SCRIPT_LIMIT.as_millis() as u64,
        "stepMs": STEP.as_millis() as u64,
        "steps": steps,
    })
}

/// Starts the scripted client; read its `STEP` lines with [`ClientProcess::expect`].
pub fn spawn(url: &str, client: Client, mode: &str, steps: Value) -> ClientProcess {
    ClientProcess::node("sio3_client.js", &script_config(url, client, mode, steps))
}

/// Runs the scripted client to its end; panics unless every step passed. Returns the
/// per-step results.
pub async fn run(url: &str, client: Client, mode: &str, steps: Value) -> Vec<Value> {
    let mut p = spawn(url, client, mode, steps);
    let result = p.result(SCRIPT_LIMIT + Duration::from_secs(5)).await;
    result["results"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no results in {result}"))
}

/// The result of the first step with this op (and socket).
pub fn step<'a>(results: &'a [Value], op: &str, s: &str) -> &'a Value {
    results
        .iter()
        .find(|r| r["op"] == op && r["s"] == s)
        .unwrap_or_else(|| panic!("no {op} step for {s} in {results:?}"))
}

/// Every result of steps with this op (and socket), in order.
pub fn steps<'a>(results: &'a [Value], op: &str, s: &str) -> Vec<&'a Value> {
    results
        .iter()
        .filter(|r| r["op"] == op && r["s"] == s)
        .collect()
}

/// `{"$bin": bytes}` as the script writes binary values.
pub fn bin(bytes: &[u8]) -> Value {
    json!({ "$bin": bytes })
}

/// An HTTP response: status, lowercased headers, body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `method path` with these extra headers over a new connection (`Connection: close`), the
/// response read to the end; a `Content-Length` body only (no chunked decoding).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(STEP, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no response within {STEP:?}"))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        if let Ok(len) = len.parse::<usize>() {
            body.truncate(len);
        }
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// Whether headless Chromium is installed (`scripts/setup-browser.sh`); says so when not.
pub fn chromium_available() -> bool {
    let there = std::path::Path::new("/usr/bin/chromium").exists();
    if !there {
        eprintln!("notice: /usr/bin/chromium is missing (run scripts/setup-browser.sh); browser test skipped");
    }
    there
}

/// Loads `url` in headless Chromium (`tests/browser/sio3_browser.js`) and returns what the
/// page put in `window.result`.
pub async fn run_browser(url: &str) -> Value {
    let config = json!({ "url": url, "timeoutMs": SCRIPT_LIMIT.as_millis() as u64 });
    ClientProcess::node("../browser/sio3_browser.js", &config)
        .result(SCRIPT_LIMIT + Duration::from_secs(10))
        .await
}
