//! Shared by the `redis_*` tests: a private `redis-server` per test on a free loopback port,
//! and Rust nodes running the Redis interop fixture on it.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::time::Duration;

use socketio::Server;
use socketio_redis::{RedisAdapter, RedisAdapterConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::{sleep, Instant};

/// The raw Socket.IO client and the client-script runner of the other integration tests.
#[path = "../sio_common/mod.rs"]
pub mod sio_common;

/// A `redis-server` of this test, killed (by its pid) when dropped.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
}

/// Whether `redis-server` can be run; the tests print a notice and pass when not
/// (`scripts/test.sh` installs it).
pub fn redis_available() -> bool {
    let found = std::process::Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("redis-server not found: skipped (scripts/setup-redis.sh installs it)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port, without persistence, and waits until it
    /// answers PING.
    pub async fn start() -> Self {
        let port = free_port();
        let mut server = Self { port, child: None };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// (Re)starts it on the same port.
    pub async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run redis-server: {e}"));
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if self
                .command(&["PING"])
                .await
                .is_some_and(|r| r.starts_with("+PONG"))
            {
                return;
            }
            assert!(
                Instant::now() < until,
                "redis-server on {} never answered",
                self.port
            );
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills it (SIGKILL, by pid) and waits for it to exit.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        }
    }

    /// Sends one command in RESP; the raw reply, `None` when Redis cannot be reached.
    pub async fn command(&self, args: &[&str]) -> Option<String> {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.command_bytes(&bytes).await
    }

    /// As [`RedisServer::command`], with binary arguments.
    pub async fn command_bytes(&self, args: &[&[u8]]) -> Option<String> {
        let io = async {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.ok()?;
            let mut out = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
            stream.write_all(&out).await.ok()?;
            let mut reply = Vec::new();
            let mut buf = vec![0u8; 4096];
            loop {
                let n = stream.read(&mut buf).await.ok()?;
                if n == 0 {
                    return None;
                }
                reply.extend_from_slice(&buf[..n]);
                if complete(&reply) {
                    return Some(String::from_utf8_lossy(&reply).into_owned());
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), io)
            .await
            .ok()
            .flatten()
    }

    /// A raw connection subscribed to `channel` that never reads or answers; unsubscribed
    /// when dropped.
    pub async fn subscribe(&self, channel: &str) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap_or_else(|e| panic!("connect to redis: {e}"));
        let cmd = format!(
            "*2\r\n$9\r\nSUBSCRIBE\r\n${}\r\n{channel}\r\n",
            channel.len()
        );
        stream
            .write_all(cmd.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("SUBSCRIBE: {e}"));
        stream
    }

    /// `PUBSUB NUMSUB channel`, `None` when Redis cannot be reached.
    pub async fn numsub(&self, channel: &str) -> Option<i64> {
        let reply = self.command(&["PUBSUB", "NUMSUB", channel]).await?;
        // *2\r\n$N\r\n<channel>\r\n:<count>\r\n
        reply
            .lines()
            .find_map(|l| l.strip_prefix(':'))
            .and_then(|n| n.trim().parse().ok())
    }
}

/// Whether `reply` holds a whole RESP reply, for the replies these tests read: a bulk string
/// of its announced length, a NUMSUB array, or one line (status, integer, error).
fn complete(reply: &[u8]) -> bool {
    let Some(end) = reply.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    if reply[0] == b'*' {
        // PUBSUB NUMSUB: `*2 $len channel :count`, whole once the count's line is.
        return reply.ends_with(b"\r\n")
            && reply[..reply.len() - 2]
                .rsplit(|&b| b == b'\n')
                .next()
                .is_some_and(|last| last.starts_with(b":"));
    }
    if reply[0] != b'$' {
        return true;
    }
    let len: usize = match std::str::from_utf8(&reply[1..end])
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(len) => len,
        None => return true,
    };
    reply.len() >= end + 2 + len + 2
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// A Rust node: a `Server` with the Redis adapter and the interop fixture, on a free port.
pub struct RustNode {
    pub io: Server,
    pub addr: SocketAddr,
}

impl RustNode {
    pub async fn start(redis_url: &str) -> Self {
        Self::start_counting_every(redis_url, Duration::from_millis(200)).await
    }

    /// A node whose `PUBSUB NUMSUB` count is refreshed every `interval`.
    pub async fn start_counting_every(redis_url: &str, interval: Duration) -> Self {
        let config = RedisAdapterConfig::default().with_server_count_interval(interval);
        let adapter =
            RedisAdapter::with_config(redis_url, config).unwrap_or_else(|e| panic!("adapter: {e}"));
        let io = Server::new();
        io.set_adapter(adapter);
        examples::redis_fixture::install(&io);
        let addr = io
            .listen(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("listen: {e}"));
        Self { io, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn server_count(&self) -> usize {
        self.io.of("/").adapter().server_count()
    }
}

/// Waits (bounded) until every node counts `n` nodes.
pub async fn wait_server_count(nodes: &[&RustNode], n: usize) {
    let until = Instant::now() + Duration::from_secs(30);
    while nodes.iter().any(|node| node.server_count() != n) {
        assert!(
            Instant::now() < until,
            "server counts never reached {n}: {:?}",
            nodes
                .iter()
                .map(|node| node.server_count())
                .collect::<Vec<_>>()
        );
        sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until `PUBSUB NUMSUB` of `channel` is `n`.
pub async fn wait_numsub(redis: &RedisServer, channel: &str, n: i64) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let got = redis.numsub(channel).await;
        if got == Some(n) {
            return;
        }
        assert!(
            Instant::now() < until,
            "NUMSUB {channel} stayed {got:?}, not {n}"
        );
        sleep(Duration::from_millis(50)).await;
    }
}
