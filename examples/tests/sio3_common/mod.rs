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
