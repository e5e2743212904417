//! Server options, named after Node's `engine.io` options.

use std::time::Duration;

use engineio_protocol::Str;

/// A transport the server may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// HTTP long-polling (`transport=polling`).
    Polling,
    /// WebSocket (`transport=websocket`).
    Websocket,
}

impl TransportKind {
    /// The name used in the `transport` query parameter and the open packet's `upgrades`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::Websocket => "websocket",
        }
    }

    pub(crate) fn from_query(s: &str) -> Option<Self> {
        match s {
            "polling" => Some(TransportKind::Polling),
            "websocket" => Some(TransportKind::Websocket),
            _ => None,
        }
    }
}

/// Engine.IO server options.
///
/// Field names are the Rust spelling of Node's `engine.io` options; each field says its default.
/// Build one with [`EngineConfig::builder`] or start from [`EngineConfig::default`].
///
/// ```
/// use std::time::Duration;
/// let config = engineio::EngineConfig::builder()
///     .ping_interval(Duration::from_secs(10))
///     .allow_eio3(true)
///     .build();
/// assert_eq!(config.path, "/engine.io");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// `path`: the URL path served, default `/engine.io`. Requests match on `path + "/"` as a prefix
    /// (Node's `addTrailingSlash`), so `/engine.iox` is not ours.
    pub path: String,
    /// `pingInterval`: default 25 s. Protocol 4: how often the server pings. Protocol 3: how often
    /// the client is told to ping.
    pub ping_interval: Duration,
    /// `pingTimeout`: default 20 s. How long a pong (protocol 4) or the next ping (protocol 3, added
    /// to `ping_interval`) may take before the session closes with `ping timeout`.
    pub ping_timeout: Duration,
    /// `upgradeTimeout`: default 10 s. How long a WebSocket probing for an upgrade may take to
    /// complete it, counted from the moment it is attached.
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize`: default 1,000,000 bytes. The largest polling POST body and the largest
    /// WebSocket message accepted; advertised to clients as `maxPayload`.
    pub max_http_buffer_size: usize,
    /// `transports`: default polling and WebSocket. A server with only WebSocket refuses polling
    /// handshakes (code 0) and advertises no upgrades.
    pub transports: Vec<TransportKind>,
    /// `allowUpgrades`: default true. Whether a polling session may upgrade to WebSocket.
    pub allow_upgrades: bool,
    /// `allowEIO3`: default **false**, as in Node. Accept protocol 3 clients (`EIO=3`:
    /// engine.io-client 3.x, socket.io-client 2.x).
    pub allow_eio3: bool,
    /// `initialPacket`: default none. A message sent right after the open packet, in the
    /// handshake response itself.
    pub initial_packet: Option<Str>,
    /// Ours: the largest number of bytes queued for one session before it is closed with
    /// `transport error` (a client that does not read). Default 16 MiB.
    pub max_buffer_size: usize,
    /// Ours: the largest number of packets accepted in one polling POST body. Default 10,000.
    pub max_payload_packets: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io".to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_http_buffer_size: 1_000_000,
            transports: vec![TransportKind::Polling, TransportKind::Websocket],
            allow_upgrades: true,
            allow_eio3: false,
            initial_packet: None,
            max_buffer_size: 16 << 20,
            max_payload_packets: 10_000,
        }
    }
}

impl EngineConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> EngineConfigBuilder {
        EngineConfigBuilder(EngineConfig::default())
    }

    /// `path` with exactly one leading and no trailing slash, plus the trailing slash used for
    /// matching.
    pub(crate) fn match_prefix(&self) -> String {
        let trimmed = self.path.trim_end_matches('/');
        let mut prefix = String::with_capacity(trimmed.len() + 2);
        if !trimmed.starts_with('/') {
            prefix.push('/');
        }
        prefix.push_str(trimmed);
        prefix.push('/');
        prefix
    }

    pub(crate) fn transport_enabled(&self, t: TransportKind) -> bool {
        self.transports.contains(&t)
    }

    pub(crate) fn timing(&self) -> engineio_protocol::Timing {
        engineio_protocol::Timing {
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            upgrade_timeout: self.upgrade_timeout,
        }
    }
}

/// Builder for [`EngineConfig`].
#[derive(Debug, Clone)]
pub struct EngineConfigBuilder(EngineConfig);

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident : $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.0.$name = value;
                self
            }
        )*
    };
}

impl EngineConfigBuilder {
    setters! {
        /// See [`EngineConfig::ping_interval`].
        ping_interval: Duration,
        /// See [`EngineConfig::ping_timeout`].
        ping_timeout: Duration,
        /// See [`EngineConfig::upgrade_timeout`].
        upgrade_timeout: Duration,
        /// See [`EngineConfig::max_http_buffer_size`].
        max_http_buffer_size: usize,
        /// See [`EngineConfig::transports`].
        transports: Vec<TransportKind>,
        /// See [`EngineConfig::allow_upgrades`].
        allow_upgrades: bool,
        /// See [`EngineConfig::allow_eio3`].
        allow_eio3: bool,
        /// See [`EngineConfig::max_buffer_size`].
        max_buffer_size: usize,
        /// See [`EngineConfig::max_payload_packets`].
        max_payload_packets: usize,
    }

    /// See [`EngineConfig::path`].
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.0.path = path.into();
        self
    }

    /// See [`EngineConfig::initial_packet`].
    pub fn initial_packet(mut self, packet: impl Into<Str>) -> Self {
        self.0.initial_packet = Some(packet.into());
        self
    }

    /// The finished options.
    pub fn build(self) -> EngineConfig {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_normalised() {
        let mut c = EngineConfig::default();
        assert_eq!(c.match_prefix(), "/engine.io/");
        c.path = "/socket.io/".into();
        assert_eq!(c.match_prefix(), "/socket.io/");
        c.path = "custom".into();
        assert_eq!(c.match_prefix(), "/custom/");
    }
}
