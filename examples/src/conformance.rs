//! The conformance fixture: a bare Engine.IO echo at `/engine.io/` (and, with SIO-1, the
//! Socket.IO fixture at `/socket.io/`) on one port, with the heartbeat the official test suites
//! expect.

use std::net::SocketAddr;
use std::time::Duration;

use engineio::{CloseReason, Engine, EngineConfig, Handler, Message, ServerHandle, Socket};

/// Options of the fixture.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// `pingInterval`, 300 ms by default.
    pub ping_interval: Duration,
    /// `pingTimeout`, 200 ms by default.
    pub ping_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
        }
    }
}

/// Sends every message, text or binary, back to its own session.
#[derive(Debug)]
struct Echo;

impl Handler for Echo {
    fn on_connect(&self, _socket: Socket) {}

    fn on_message(&self, socket: &Socket, message: Message) {
        let _ = socket.send(message);
    }

    fn on_close(&self, _socket: &Socket, _reason: CloseReason) {}
}

/// The running fixture.
#[derive(Debug)]
pub struct Fixture {
    engine: Engine,
    server: ServerHandle,
    addr: SocketAddr,
}

impl Fixture {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Engine.IO server at `/engine.io/`.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Graceful shutdown: every session gets its close packet, then the listener is freed.
    pub async fn shutdown(self) {
        self.engine.close();
        self.server.shutdown().await;
    }
}

/// Engine.IO options of the fixture.
pub fn engine_config(options: &Options) -> EngineConfig {
    EngineConfig::builder()
        .ping_interval(options.ping_interval)
        .ping_timeout(options.ping_timeout)
        .max_http_buffer_size(1_000_000)
        .allow_eio3(true)
        .build()
}

/// Starts the fixture.
pub async fn start(options: Options) -> std::io::Result<Fixture> {
    let engine = Engine::new(engine_config(&options), Echo);
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let server = engineio::serve(listener, engine.service(engineio::NotFound));
    Ok(Fixture {
        engine,
        server,
        addr,
    })
}
