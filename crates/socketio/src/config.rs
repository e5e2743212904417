//! Server options, named after Node's `socket.io` options.

use std::time::Duration;

use engineio::EngineConfig;

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
    /// The Engine.IO options (`pingInterval`, `maxHttpBufferSize`, `allowEIO3`...); its `path`
    /// is the Socket.IO `path`, default `/socket.io`.
    pub engine: EngineConfig,
    /// Ours: bounds on rooms per socket (default 10,000) and room-name length (default 1,024
    /// bytes); a `join` past them is refused. Node has none.
    pub room_limits: crate::RoomLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let mut engine = EngineConfig::default();
        engine.path = "/socket.io".to_owned();
        ServerConfig {
            connect_timeout: Duration::from_secs(45),
            engine,
            room_limits: crate::RoomLimits::default(),
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

    /// The finished options.
    pub fn build(self) -> ServerConfig {
        self.0
    }
}
