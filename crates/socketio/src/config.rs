//! Server options, named after Node's `socket.io` options.

use std::path::PathBuf;
use std::time::Duration;

use engineio::EngineConfig;

/// `connectionStateRecovery`: off unless set ([`ServerConfig::connection_state_recovery`](crate::ServerConfig::connection_state_recovery)).
///
/// ```
/// use std::time::Duration;
/// use socketio::ConnectionStateRecovery;
/// let recovery = ConnectionStateRecovery {
///     max_disconnection_duration: Duration::from_secs(30),
///     ..ConnectionStateRecovery::default()
/// };
/// let config = socketio::ServerConfig::builder()
///     .connection_state_recovery(recovery)
///     .build();
/// assert!(config.connection_state_recovery.is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionStateRecovery {
    /// `maxDisconnectionDuration`, default 2 minutes: how long a session and the packets
    /// that may be replayed to it are kept.
    pub max_disconnection_duration: Duration,
    /// `skipMiddlewares`, default true: a recovered socket does not run the namespace's
    /// middleware again.
    pub skip_middlewares: bool,
    /// Ours: the most bytes of kept packets per namespace (their JSON size plus their binary
    /// attachments), default 64 MiB. Past it the oldest go first; a client whose offset is
    /// older than the oldest kept packet gets a fresh session. Node bounds by time only.
    pub max_buffered_bytes: usize,
    /// Ours: the most sessions kept per namespace, default 100,000. Past it the sessions
    /// that disconnected first go first. Node bounds by time only.
    pub max_sessions: usize,
}

impl Default for ConnectionStateRecovery {
    fn default() -> Self {
        ConnectionStateRecovery {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_buffered_bytes: 64 << 20,
            max_sessions: 100_000,
        }
    }
}

/// Socket.IO server options.
///
/// ```
/// use std::time::Duration;
/// let config = socketio::ServerConfig::builder()
///     .connect_timeout(Duration::from_secs(10))
///     .ping_interval(Duration::from_secs(5))
///     .build();
/// assert_eq!(config.path(), "/socket.io");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `connectTimeout`: default 45 s. A connection that joins no namespace in this time is
    /// closed. Cleared at the first join and never re-armed.
    pub connect_timeout: Duration,
    /// Ours: how long a binary packet may wait for its attachments before the connection is
    /// dropped (`forced close`). Default 10 s. Node has no bound.
    pub attachments_timeout: Duration,
    /// The Engine.IO options (`pingInterval`, `maxHttpBufferSize`, `allowEIO3`...); its `path`
    /// is the Socket.IO `path`, default `/socket.io`.
    pub engine: EngineConfig,
    /// Ours: bounds on rooms per socket (default 10,000) and room-name length (default 1,024
    /// bytes); a `join` past them is refused. Node has none.
    pub room_limits: crate::RoomLimits,
    /// `serveClient`: default true. Serve the `socket.io-client` bundle at `<path>/socket.io.js`
    /// (also `.min.js`, `.msgpack.min.js`, `.esm.min.js` and the `.map` files) from
    /// [`client_dir`](Self::client_dir).
    pub serve_client: bool,
    /// Ours: the folder of the `socket.io-client` npm package whose `dist/` is served (it holds
    /// `package.json`, whose version is the `ETag`). Default: the `SOCKETIO_CLIENT_DIR`
    /// environment variable when set; else `node_modules/socket.io-client` under the working
    /// directory when it holds the bundle (`npm install socket.io-client@4.8.4` in the app's
    /// directory); else this repository's `.cache/socket.io-client/package`, which its
    /// `scripts/fetch-client.sh` fills. Node serves its own copy.
    pub client_dir: PathBuf,
    /// `cleanupEmptyChildNamespaces`: default false. Remove a dynamic child namespace (see
    /// [`Server::of_regex`](crate::Server::of_regex)) when its last socket leaves (ours: also
    /// when the client that made it was refused and it has no socket).
    pub cleanup_empty_child_namespaces: bool,
    /// Ours: the most namespaces one connection may join (or be joining) at once; a CONNECT
    /// past it gets CONNECT_ERROR `{"message":"Too many namespaces"}` and leaves no state.
    /// Default 1,000. Node has none.
    pub max_namespaces_per_connection: usize,
    /// `connectionStateRecovery`: default off (`None`). With it, a client that reconnects
    /// within the window after a dropped connection gets back its socket id, rooms, data and
    /// the packets it missed; see [`ConnectionStateRecovery`](ConnectionStateRecovery)
    /// and the guide.
    pub connection_state_recovery: Option<ConnectionStateRecovery>,
    /// `parser`: the Socket.IO packet codec, default [`Parser::Text`]. Every client of the
    /// server must use the same one (as in Node); see [`Parser`].
    pub parser: Parser,
}

/// The Socket.IO packet codec of a server (Node's `parser` option).
///
/// | | Node | client |
/// |---|---|---|
/// | [`Text`](Self::Text) | the default `socket.io-parser` | every client, by default |
/// | [`MsgPack`](Self::MsgPack) | `parser: require("socket.io-msgpack-parser")` | socket.io-client 3.x/4.x with `parser` from the npm package `socket.io-msgpack-parser` 3.x, or the bundle `<path>/socket.io.msgpack.min.js` we serve |
///
/// With [`MsgPack`](Self::MsgPack), every packet travels as one binary Engine.IO message
/// holding a MessagePack map, binary data inline (no attachments); a text message from a
/// client is a protocol error and closes its connection, as a text client talking to a Node
/// msgpack server fails. Handlers see the same values either way (`bytes::Bytes` for binary);
/// what MessagePack has and JSON lacks is mapped as `socketio_protocol::decode_msgpack`
/// documents. It applies to protocol 5 connections: protocol 4 clients
/// ([`allow_eio3`](ServerConfigBuilder::allow_eio3)) keep the text codec, since
/// `socket.io-msgpack-parser` 2.x is not supported. The cluster adapters' wire formats do not
/// depend on it: nodes with different parsers share a cluster.
///
/// ```
/// use socketio::{Parser, ServerConfig};
/// let config = ServerConfig::builder().parser(Parser::MsgPack).build();
/// assert_eq!(config.parser, Parser::MsgPack);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Parser {
    /// The text codec of `socket.io-parser`: JSON, binary as attachments.
    #[default]
    Text,
    /// The codec of `socket.io-msgpack-parser` 3.x.
    MsgPack,
}

/// Where the served client bundle is looked for when no `client_dir` is set.
pub(crate) fn default_client_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SOCKETIO_CLIENT_DIR") {
        return PathBuf::from(dir);
    }
    let installed = PathBuf::from("node_modules/socket.io-client");
    if installed.join("dist/socket.io.min.js").is_file() {
        return installed;
    }
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.cache/socket.io-client/package"
    ))
}

impl Default for ServerConfig {
    fn default() -> Self {
        let mut engine = EngineConfig::default();
        engine.path = "/socket.io".to_owned();
        ServerConfig {
            connect_timeout: Duration::from_secs(45),
            attachments_timeout: Duration::from_secs(10),
            engine,
            room_limits: crate::RoomLimits::default(),
            serve_client: true,
            client_dir: default_client_dir(),
            cleanup_empty_child_namespaces: false,
            max_namespaces_per_connection: 1000,
            connection_state_recovery: None,
            parser: Parser::Text,
        }
    }
}

impl ServerConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder(ServerConfig::default())
    }

    /// `path`: where the server answers, default `/socket.io`.
    pub fn path(&self) -> &str {
        &self.engine.path
    }
}

/// Builder for [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder(ServerConfig);

impl ServerConfigBuilder {
    /// `path`, default `/socket.io`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.0.engine.path = path.into();
        self
    }

    /// `connectTimeout`, default 45 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.0.connect_timeout = d;
        self
    }

    /// The Engine.IO options; their `path` is replaced by this builder's.
    pub fn engine(mut self, engine: EngineConfig) -> Self {
        let path = std::mem::take(&mut self.0.engine.path);
        self.0.engine = engine;
        self.0.engine.path = path;
        self
    }

    /// See [`ServerConfig::attachments_timeout`].
    pub fn attachments_timeout(mut self, d: Duration) -> Self {
        self.0.attachments_timeout = d;
        self
    }

    /// `pingInterval`, default 25 s.
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.0.engine.ping_interval = d;
        self
    }

    /// `pingTimeout`, default 20 s.
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.0.engine.ping_timeout = d;
        self
    }

    /// `maxHttpBufferSize`, default 1,000,000 bytes.
    pub fn max_http_buffer_size(mut self, n: usize) -> Self {
        self.0.engine.max_http_buffer_size = n;
        self
    }

    /// `allowEIO3`, default false: accept socket.io-client 2.x.
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.0.engine.allow_eio3 = allow;
        self
    }

    /// Room limits; see [`ServerConfig::room_limits`].
    pub fn room_limits(mut self, limits: crate::RoomLimits) -> Self {
        self.0.room_limits = limits;
        self
    }

    /// socket.io 2.x `origins`, default every origin; see
    /// [`EngineConfig::origins`](engineio::EngineConfig::origins).
    pub fn origins(mut self, origins: engineio::Origins) -> Self {
        self.0.engine.origins = origins;
        self
    }

    /// `serveClient`, default true; see [`ServerConfig::serve_client`].
    pub fn serve_client(mut self, serve: bool) -> Self {
        self.0.serve_client = serve;
        self
    }

    /// Where the client bundle is; see [`ServerConfig::client_dir`].
    pub fn client_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.0.client_dir = dir.into();
        self
    }

    /// `cleanupEmptyChildNamespaces`, default false; see
    /// [`ServerConfig::cleanup_empty_child_namespaces`].
    pub fn cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.0.cleanup_empty_child_namespaces = cleanup;
        self
    }

    /// See [`ServerConfig::max_namespaces_per_connection`].
    pub fn max_namespaces_per_connection(mut self, max: usize) -> Self {
        self.0.max_namespaces_per_connection = max;
        self
    }

    /// `connectionStateRecovery`, default off; see
    /// [`ServerConfig::connection_state_recovery`].
    pub fn connection_state_recovery(mut self, recovery: ConnectionStateRecovery) -> Self {
        self.0.connection_state_recovery = Some(recovery);
        self
    }

    /// `parser`, default [`Parser::Text`]; see [`Parser`].
    pub fn parser(mut self, parser: Parser) -> Self {
        self.0.parser = parser;
        self
    }

    /// The finished options.
    pub fn build(self) -> ServerConfig {
        self.0
    }
}
