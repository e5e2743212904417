//! Server options, named after Node's `engine.io` options, and the standalone server's.

use std::future::Future;
use std::time::Duration;

use engineio_protocol::Str;
use http::request::Parts;
use http::HeaderMap;

use crate::compress::HttpCompression;
use crate::cors::CorsOptions;
use crate::deflate::PerMessageDeflate;
use crate::hooks::{AllowRequest, ConnectionError, ConnectionErrorHook, Forbidden, HeadersHook};
use crate::origins::Origins;

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
    /// Ours: the slow-client policy. The most bytes queued for one session and not yet
    /// written to its transport (the packets waiting for a poll, or being written to the
    /// WebSocket). Default 16 MiB. A send that takes a session past it closes the session at
    /// once with `transport error` and frees its queue; the sender gets `Ok` for that send and
    /// [`SendError::Closed`](crate::SendError::Closed) after. No session ever waits on another:
    /// each writes from its own task. A protocol 4 client that stops reading a WebSocket is
    /// also caught by the heartbeat (its pong never comes: `ping timeout`); a protocol 3 client
    /// pings the server itself, so only this bound and the write deadline (`pingInterval +
    /// pingTimeout` without progress: `transport error`) catch one that pings but never reads.
    pub max_buffer_size: usize,
    /// Ours: the largest number of packets accepted in one polling POST body; more is a `parse
    /// error`. Default 10,000.
    pub max_payload_packets: usize,
    /// Ours: the most Engine.IO sessions open at once. Past it a handshake is refused with
    /// `503` (code 4, `Too many sessions`) and [`EngineConfig::connection_error`] is told; open
    /// sessions are not touched. A session lives at least `pingInterval + pingTimeout`, and one
    /// keep-alive connection can open handshakes in a loop, so this is what bounds the memory a
    /// handshake flood can take (a few KB a session: about 300 MB at the default). Default
    /// 100,000. Rate limits per client belong in
    /// [`allow_request`](EngineConfigBuilder::allow_request).
    pub max_sessions: usize,
    /// Ours (Express's `trust proxy`): behind a reverse proxy that sets them, take a
    /// handshake's client address from the first `X-Forwarded-For` entry and `secure` from
    /// `X-Forwarded-Proto: https` (see [`HandshakeRequest`](crate::HandshakeRequest)). Off by
    /// default: a client reaching the server directly could claim any address. Without a proxy
    /// the address comes from [`RemoteAddr`](crate::RemoteAddr), which
    /// [`serve`](crate::serve) inserts; an axum or hyper app inserts it from its own accept
    /// loop (e.g. from axum's `ConnectInfo`).
    pub trust_proxy: bool,
    /// Ours: how long a polling POST body may take to arrive in full, from the request head.
    /// Default 30 s. Past it the POST gets `408` and its connection is closed; the session
    /// survives (its heartbeat decides).
    pub body_timeout: Duration,
    /// socket.io 2.x `origins`: which page origins may open a session, over either transport.
    /// Default `*:*` ([`Origins::any`]), as socket.io 2.4.1+; set a list in production. A
    /// refusal is code 4 `Forbidden` (polling 403, WebSocket 400).
    pub origins: Origins,
    /// `allowRequest`: an async check of every handshake (polling and WebSocket; not the
    /// requests of an open session, nor its upgrade), after `origins`. Default none. See
    /// [`EngineConfigBuilder::allow_request`].
    pub allow_request: Option<AllowRequest>,
    /// `cors`: CORS headers with the npm `cors` middleware's semantics, applied before any
    /// check. Default **none** (off), as engine.io 4+: an `OPTIONS` request then gets 400 code 2.
    pub cors: Option<CorsOptions>,
    /// `cookie`: a cookie holding the sid on the polling handshake response, for cookie-sticky
    /// load balancers. Default none (off). Never set on a WebSocket-only handshake, as Node.
    pub cookie: Option<CookieOptions>,
    /// `httpCompression`: gzip/deflate of polling payloads. Default on, threshold 1024 bytes;
    /// `None` turns it off.
    pub http_compression: Option<HttpCompression>,
    /// `perMessageDeflate`: RFC 7692 on WebSocket connections. Default none (off), as Node.
    pub per_message_deflate: Option<PerMessageDeflate>,
    /// The `initial_headers` event of Node's `io.engine`: edits the headers of every handshake
    /// response (polling `200` and WebSocket `101` of a request without `sid`). Default none.
    pub initial_headers: Option<HeadersHook>,
    /// The `headers` event: edits the headers of every polling `200` and every WebSocket `101`
    /// (handshakes included, after `initial_headers`); not of error answers. Default none.
    pub headers: Option<HeadersHook>,
    /// The `connection_error` event: told of every request refused by the checks, `origins`,
    /// `allow_request` or the protocol check. Default none.
    pub connection_error: Option<ConnectionErrorHook>,
}

/// `SameSite` of the [`cookie`](EngineConfig::cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax` (the default).
    Lax,
    /// `SameSite=None` (browsers require `secure` with it).
    None,
}

/// Node's `cookie` option: the sticky-session cookie set on the polling handshake response, its
/// value the sid. Fields as the `cookie` package's `serialize` options.
///
/// ```
/// let config = engineio::EngineConfig::builder()
///     .cookie(engineio::CookieOptions::default())
///     .build();
/// assert_eq!(config.cookie.map(|c| c.name), Some("io".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieOptions {
    /// `name`: default `io`.
    pub name: String,
    /// `path`: default `/`; `None` leaves it out (and, as Node, also `HttpOnly`'s default).
    pub path: Option<String>,
    /// `httpOnly`: default true.
    pub http_only: bool,
    /// `sameSite`: default `Lax`; `None` leaves the attribute out.
    pub same_site: Option<SameSite>,
    /// `secure`: default false.
    pub secure: bool,
    /// `domain`: default none.
    pub domain: Option<String>,
    /// `maxAge`, in whole seconds: default none (a session cookie).
    pub max_age: Option<Duration>,
}

impl Default for CookieOptions {
    fn default() -> Self {
        CookieOptions {
            name: "io".to_owned(),
            path: Some("/".to_owned()),
            http_only: true,
            same_site: Some(SameSite::Lax),
            secure: false,
            domain: None,
            max_age: None,
        }
    }
}

impl CookieOptions {
    /// The `Set-Cookie` value for this sid, attributes in the `cookie` package's order.
    pub(crate) fn serialize(&self, sid: &str) -> String {
        let mut s = format!("{}={}", self.name, sid);
        if let Some(age) = self.max_age {
            s.push_str(&format!("; Max-Age={}", age.as_secs()));
        }
        if let Some(domain) = &self.domain {
            s.push_str(&format!("; Domain={domain}"));
        }
        if let Some(path) = &self.path {
            s.push_str(&format!("; Path={path}"));
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if self.secure {
            s.push_str("; Secure");
        }
        match self.same_site {
            Some(SameSite::Strict) => s.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => s.push_str("; SameSite=Lax"),
            Some(SameSite::None) => s.push_str("; SameSite=None"),
            None => {}
        }
        s
    }
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
            max_sessions: 100_000,
            trust_proxy: false,
            body_timeout: Duration::from_secs(30),
            origins: Origins::any(),
            allow_request: None,
            cors: None,
            cookie: None,
            http_compression: Some(HttpCompression::default()),
            per_message_deflate: None,
            initial_headers: None,
            headers: None,
            connection_error: None,
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
        /// See [`EngineConfig::max_sessions`].
        max_sessions: usize,
        /// See [`EngineConfig::trust_proxy`].
        trust_proxy: bool,
        /// See [`EngineConfig::body_timeout`].
        body_timeout: Duration,
        /// See [`EngineConfig::origins`].
        origins: Origins,
        /// See [`EngineConfig::http_compression`].
        http_compression: Option<HttpCompression>,
        /// See [`EngineConfig::per_message_deflate`].
        per_message_deflate: Option<PerMessageDeflate>,
    }

    /// Turns CORS on with these options. See [`EngineConfig::cors`].
    pub fn cors(mut self, cors: CorsOptions) -> Self {
        self.0.cors = Some(cors);
        self
    }

    /// Turns the sticky-session cookie on. See [`EngineConfig::cookie`].
    pub fn cookie(mut self, cookie: CookieOptions) -> Self {
        self.0.cookie = Some(cookie);
        self
    }

    /// Node's `allowRequest`: `check` sees the head of every handshake request (polling and
    /// WebSocket) and returns a future of its decision; a [`Forbidden`] refusal gets polling
    /// `403 {"code":4,"message":...}` or WebSocket `400` with the message as text, before any
    /// `101`. Runs after `origins` and before the protocol check; a slow check holds only its
    /// own request. See [`EngineConfig::allow_request`].
    ///
    /// ```
    /// use engineio::{EngineConfig, Forbidden};
    /// let config = EngineConfig::builder()
    ///     .allow_request(|req| {
    ///         let token = req.headers.get("x-token").cloned();
    ///         async move {
    ///             match token {
    ///                 Some(t) if t == "s3cret" => Ok(()),
    ///                 _ => Err(Forbidden::with_message("no token")),
    ///             }
    ///         }
    ///     })
    ///     .build();
    /// # let _ = config;
    /// ```
    pub fn allow_request<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(&Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Forbidden>> + Send + 'static,
    {
        self.0.allow_request = Some(AllowRequest::new(check));
        self
    }

    /// See [`EngineConfig::initial_headers`].
    pub fn initial_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut HeaderMap, &Parts) + Send + Sync + 'static,
    {
        self.0.initial_headers = Some(HeadersHook::new(hook));
        self
    }

    /// See [`EngineConfig::headers`].
    pub fn headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut HeaderMap, &Parts) + Send + Sync + 'static,
    {
        self.0.headers = Some(HeadersHook::new(hook));
        self
    }

    /// See [`EngineConfig::connection_error`].
    pub fn connection_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&ConnectionError<'_>) + Send + Sync + 'static,
    {
        self.0.connection_error = Some(ConnectionErrorHook::new(hook));
        self
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

/// Options of the standalone server ([`serve_with`](crate::serve_with)): the bounds on what a
/// connection may cost before the engine sees a request.
///
/// ```
/// let options = engineio::ServeConfig::builder().max_connections(Some(10_000)).build();
/// assert_eq!(options.max_headers, 100);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// The most HTTP connections open at once (WebSockets included). Default none (unbounded).
    /// Past it a new connection gets `503 Service Unavailable` and is closed.
    pub max_connections: Option<usize>,
    /// How long a request head may take to arrive (hyper's `header_read_timeout`), for every
    /// request of a keep-alive connection. Default 30 s: a client that opens a connection and
    /// never completes its head is dropped then.
    pub header_read_timeout: Duration,
    /// The largest request head in bytes (hyper's `max_buf_size`, at least 8192). Default
    /// 64 KiB; past it hyper answers `431`.
    pub max_header_bytes: usize,
    /// The most header fields in a request head (hyper's `max_headers`). Default 100, hyper's;
    /// past it hyper answers `431`.
    pub max_headers: usize,
    /// HTTP/2 (the `http2` feature; unused without it): the largest decoded header list
    /// (`SETTINGS_MAX_HEADER_LIST_SIZE`). Default 64 KiB.
    pub http2_max_header_list_size: u32,
    /// HTTP/2 (the `http2` feature; unused without it): the most concurrent streams per
    /// connection. Default 200.
    pub http2_max_concurrent_streams: u32,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_connections: None,
            header_read_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            http2_max_header_list_size: 64 * 1024,
            http2_max_concurrent_streams: 200,
        }
    }
}

impl ServeConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ServeConfigBuilder {
        ServeConfigBuilder(ServeConfig::default())
    }
}

/// Builder for [`ServeConfig`].
#[derive(Debug, Clone)]
pub struct ServeConfigBuilder(ServeConfig);

impl ServeConfigBuilder {
    setters! {
        /// See [`ServeConfig::max_connections`].
        max_connections: Option<usize>,
        /// See [`ServeConfig::header_read_timeout`].
        header_read_timeout: Duration,
        /// See [`ServeConfig::max_header_bytes`].
        max_header_bytes: usize,
        /// See [`ServeConfig::max_headers`].
        max_headers: usize,
        /// See [`ServeConfig::http2_max_header_list_size`].
        http2_max_header_list_size: u32,
        /// See [`ServeConfig::http2_max_concurrent_streams`].
        http2_max_concurrent_streams: u32,
    }

    /// The finished options.
    pub fn build(self) -> ServeConfig {
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

    #[test]
    fn cookie_like_node() {
        let c = CookieOptions::default();
        assert_eq!(c.serialize("abc"), "io=abc; Path=/; HttpOnly; SameSite=Lax");
        let c = CookieOptions {
            name: "sticky".into(),
            path: None,
            http_only: false,
            same_site: Some(SameSite::None),
            secure: true,
            domain: Some("example.com".into()),
            max_age: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            c.serialize("x"),
            "sticky=x; Max-Age=60; Domain=example.com; Secure; SameSite=None"
        );
    }
}
