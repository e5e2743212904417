//! An Engine.IO server (protocols 3 and 4) on tokio and hyper 1: HTTP long-polling, WebSocket,
//! and the upgrade between them, as a tower [`Service`](tower_service::Service).
//!
//! Engine.IO is the transport under Socket.IO; most apps use the `socketio` crate instead.
//!
//! # Quick start
//! ```no_run
//! use engineio::{CloseReason, Engine, EngineConfig, Handler, Message, Socket};
//!
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_connect(&self, _socket: Socket) {}
//!     fn on_message(&self, socket: &Socket, message: Message) {
//!         let _ = socket.send(message);
//!     }
//!     fn on_close(&self, _socket: &Socket, _reason: CloseReason) {}
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let engine = Engine::new(EngineConfig::default(), Echo);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     let server = engineio::serve(listener, engine.service(engineio::NotFound));
//!     tokio::signal::ctrl_c().await?;
//!     engine.close();
//!     server.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! # Compatibility
//! | protocol | clients | enable |
//! |---|---|---|
//! | 4 (`EIO=4`) | engine.io-client 4.x–6.x, socket.io-client 3.x–4.x, python-engineio 4.x | always |
//! | 3 (`EIO=3`) | engine.io-client 1.x–3.x, socket.io-client 1.x–2.x | [`EngineConfig::allow_eio3`] |
//!
//! # Production options
//! | concern | option (Node name) | default |
//! |---|---|---|
//! | which sites may open sessions (both transports) | [`EngineConfig::origins`] (socket.io 2.x `origins`) | `*:*`: **set a list** |
//! | per-handshake check (auth, rate limit) | [`EngineConfigBuilder::allow_request`] (`allowRequest`) | none |
//! | browsers on another origin (polling) | [`EngineConfig::cors`] (`cors`) | off |
//! | cookie-sticky load balancers | [`EngineConfig::cookie`] (`cookie`) | off |
//! | polling gzip/deflate | [`EngineConfig::http_compression`] (`httpCompression`) | on, 1 KiB |
//! | WebSocket compression (RFC 7692) | [`EngineConfig::per_message_deflate`] (`perMessageDeflate`) | off |
//! | response headers, refusals | [`EngineConfig::initial_headers`], [`EngineConfig::headers`], [`EngineConfig::connection_error`] | none |
//! | slow or dead clients | [`EngineConfig::max_buffer_size`], the heartbeat | 16 MiB |
//! | bodies, payloads | [`EngineConfig::max_http_buffer_size`], [`EngineConfig::max_payload_packets`], [`EngineConfig::body_timeout`] | 1 MB, 10,000, 30 s |
//! | open sessions (handshake floods) | [`EngineConfig::max_sessions`] (ours) | 100,000 |
//! | connections, request heads | [`ServeConfig`] with [`serve_with`] | unbounded connections; 30 s, 64 KiB, 100 headers |
//!
//! Every check on a request runs in Node's order: transport (code 0), session id (1), the
//! session's transport and protocol (3), then for a handshake the method (2) and the
//! WebSocket/upgrade match (3), `origins` and `allow_request` (4), and the protocol (5).
//!
//! # Cargo features
//! - `http2` (default): the standalone server ([`serve`], [`serve_with`]) speaks HTTP/2 beside
//!   HTTP/1.1 on the same port. Without it, HTTP/1.1 only, and `h2` is not built. Mounted as a
//!   tower service in an app's own server, the app's server decides.
//!
//! # Logging
//! `tracing` targets under `engineio`: `RUST_LOG=engineio=debug` shows handshakes, upgrades and
//! closes with their reasons (Node's `DEBUG=engine*`), `trace` shows packets.
//!
//! # Layout
//! Layers from the bottom up; a module names only modules of its own layer or earlier ones,
//! never in a cycle (a check in `examples/tests/module_layers.rs` fails on any):
//! 1. leaves: [`config`] (options), [`error`] (refusals and their HTTP mapping), `hooks` (the
//!    request hooks), `origins` and `cors` (who may connect, what browsers are told),
//!    `compress` (polling gzip/deflate), `request` (the handshake request), `deflate`
//!    (permessage-deflate under tungstenite);
//! 2. `conn`: one WebSocket connection and its bytes, the reader and the writer; who writes
//!    the WebSocket bytes is answered there, and it knows nothing of sessions;
//! 3. `session`: the session state, [`Socket`], [`Message`], [`Handler`], the heartbeat
//!    deadlines, and the `SessionContext` (options, handler, session table) an engine passes
//!    down;
//! 4. `driver`: the task per session (timers, the WebSocket's reads and pending writes);
//! 5. `transport`: polling, and the WebSocket handshake, upgrade and probe;
//! 6. `engine`: the checks, the dispatch of a request, the handshake;
//! 7. `service`, `serve`: tower integration and the standalone server.
//!
//! No cycle remains.

// Leaves: options, errors, hooks and the request-level helpers.
mod compress;
pub mod config;
mod cors;
mod deflate;
pub mod error;
mod hooks;
mod origins;
mod request;
// One WebSocket connection and its bytes.
mod conn;
// One session: state, handle, handler, timers.
mod session;
// The task per session.
mod driver;
// Polling and WebSocket.
mod transport;
// Checks, dispatch, handshake; then tower and the standalone server.
mod engine;
mod serve;
mod service;

pub use compress::{preferred_encoding, HttpCompression, MAX_ACCEPT_ENCODING};
pub use config::{
    CookieOptions, EngineConfig, EngineConfigBuilder, SameSite, ServeConfig, ServeConfigBuilder,
    TransportKind,
};
pub use cors::{CorsOptions, CorsOptionsBuilder, CorsOrigin};
#[doc(hidden)]
pub use deflate::fuzz_inflate;
pub use deflate::PerMessageDeflate;
pub use engine::Engine;
pub use engineio_protocol::{CloseReason, Packet, ProtocolVersion, Sid, Str};
pub use error::{RequestError, SendError};
pub use hooks::{
    AllowRequest, BoxFuture, ConnectionError, ConnectionErrorHook, ErrorContext, Forbidden,
    HeadersHook,
};
/// The `http` crate, whose types the hooks take.
pub use http;
pub use origins::Origins;
pub use request::{parse_query, HandshakeRequest, RemoteAddr};
pub use serve::{serve, serve_with, ServerHandle};
pub use service::{EngineBody, EngineLayer, EngineService, NotFound};
pub use session::{Handler, Message, Observer, Socket};
