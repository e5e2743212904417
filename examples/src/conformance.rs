//! The conformance fixture: a bare Engine.IO echo at `/engine.io/` and the Socket.IO fixture
//! at `/socket.io/` on one port, with the heartbeat the official test suites expect.

use std::net::SocketAddr;
use std::time::Duration;

use engineio::{CloseReason, Engine, EngineConfig, Handler, Message, ServerHandle, Socket};
use socketio::{AckSender, Args, MiddlewareError, ServerConfig};

/// Options of the fixture.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// `pingInterval`, 300 ms by default.
    pub ping_interval: Duration,
    /// `pingTimeout`, 200 ms by default.
    pub ping_timeout: Duration,
    /// A Redis URL: the Socket.IO server then shares its namespaces with the other nodes on
    /// that Redis through [`socketio_redis::RedisAdapter`] (the cluster benchmark). `None`: the
    /// in-memory adapter.
    pub redis: Option<String>,
    /// The Socket.IO packet codec, [`socketio::Parser::Text`] by default.
    pub parser: socketio::Parser,
    /// Connection state recovery, off by default (the benchmark's cost of offsets).
    pub recovery: Option<socketio::ConnectionStateRecovery>,
    /// permessage-deflate on WebSocket connections (for the clients that offer it), off by
    /// default (the benchmark's fan-out with compression).
    pub deflate: Option<engineio::PerMessageDeflate>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            redis: None,
            parser: socketio::Parser::Text,
            recovery: None,
            deflate: None,
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
    io: socketio::Server,
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

    /// The Socket.IO server at `/socket.io/`.
    pub fn io(&self) -> &socketio::Server {
        &self.io
    }

    /// Graceful shutdown: every session gets its close packet, then the listener is freed.
    pub async fn shutdown(self) {
        self.engine.close();
        self.io.close().await;
        self.server.shutdown().await;
    }
}

/// Engine.IO options of the fixture.
pub fn engine_config(options: &Options) -> EngineConfig {
    let mut config = EngineConfig::builder()
        .ping_interval(options.ping_interval)
        .ping_timeout(options.ping_timeout)
        .max_http_buffer_size(1_000_000)
        .allow_eio3(true)
        .cors(engineio::CorsOptions::default())
        .build();
    config.per_message_deflate = options.deflate;
    config
}

/// The Socket.IO server of the fixture, with its handlers (SIO-1 §3, SIO-2 §6).
///
/// # Errors
///
/// A Redis URL in `options` that does not parse.
pub fn socketio_server(options: &Options) -> std::io::Result<socketio::Server> {
    let mut engine = engine_config(options);
    engine.path = "/socket.io".to_owned();
    let mut config = ServerConfig::builder()
        .engine(engine)
        .path("/socket.io")
        .connect_timeout(Duration::from_millis(1000))
        .parser(options.parser)
        .build();
    config.connection_state_recovery = options.recovery;
    let io = socketio::Server::with_config(config);
    if let Some(url) = &options.redis {
        let adapter = socketio_redis::RedisAdapter::new(url)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        io.set_adapter(adapter);
    }

    let main = io.clone();
    io.on_connection(move |socket| {
        common(&socket);
        socket.on("message-with-ack", |_s, args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
        socket.on("echo", |_s, args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
        socket.on("server-ack", |socket, args: Args, _ack| {
            tokio::spawn(async move {
                if let Ok(values) = socket
                    .emit_with_ack_args("server-ack-request", &args, None)
                    .await
                {
                    let _ = socket.emit("server-ack-response", &values);
                }
            });
        });
        socket.on("force-disconnect", |socket, _: Args, _ack| {
            socket.disconnect(false)
        });
        socket.on("join", |socket, (room,): (String,), ack: AckSender| {
            let _ = socket.join(room.as_str());
            let _ = ack.send(&room);
        });
        let io = main.clone();
        socket.on(
            "to-room",
            move |_s, (room, payload): (String, socketio::AnyValue), _ack| {
                let _ = io
                    .to(room.as_str())
                    .emit("room-message", &(room.as_str(), payload));
            },
        );
        let io = main.clone();
        socket.on(
            "broadcast",
            move |_s, (payload,): (socketio::AnyValue,), _ack| {
                let _ = io.emit("msg", &payload);
            },
        );
        let io = main.clone();
        socket.on_disconnect(move |socket, _reason| {
            let _ = io
                .to("disconnect-watchers")
                .emit("peer-disconnected", socket.id());
        });
    });

    io.of("/custom").on_connection(|socket| common(&socket));

    let restricted = io.of("/restricted");
    restricted.middleware(|socket| async move {
        let hs = socket.handshake();
        let by_auth = hs.auth.get("token").and_then(|t| t.as_str()) == Some("s3cret");
        let by_query = hs.query.get("token").map(String::as_str) == Some("s3cret");
        if by_auth || by_query {
            Ok(())
        } else {
            Err(MiddlewareError::new("not authorized"))
        }
    });
    restricted.on_connection(|socket| {
        let _ = socket.emit("welcome", &"restricted");
    });
    Ok(io)
}

/// Handlers shared by `/` and `/custom`.
fn common(socket: &socketio::Socket) {
    let _ = socket.emit("auth", socket.auth());
    socket.on("message", |socket, args: Args, _ack| {
        let _ = socket.emit("message-back", &args);
    });
}

/// Starts the fixture.
pub async fn start(options: Options) -> std::io::Result<Fixture> {
    let engine = Engine::new(engine_config(&options), Echo);
    let io = socketio_server(&options)?;
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let server = engineio::serve(listener, engine.service(io.service(engineio::NotFound)));
    Ok(Fixture {
        engine,
        io,
        server,
        addr,
    })
}
