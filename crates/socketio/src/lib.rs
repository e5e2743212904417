//! A Socket.IO server for Rust.
//!
//! Namespaces, events with JSON and binary, acknowledgements both ways, middleware, rooms and
//! broadcasts, over Engine.IO long-polling and WebSocket, served standalone in one line or as
//! a tower `Layer` in hyper and axum apps.
//!
//! # Quick start
//! ```no_run
//! use socketio::{AckSender, Args, Server};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let io = Server::new();
//!     io.on_connection(|socket| {
//!         socket.on("echo", |_socket, args: Args, ack: AckSender| {
//!             let _ = ack.send(&args);
//!         });
//!         socket.on("join", |socket, room: String, _ack| {
//!             socket.join(room.as_str());
//!             let _ = socket.to(room).emit("joined", &socket.id());
//!         });
//!     });
//!     io.listen("127.0.0.1:3000").await?;
//!     tokio::signal::ctrl_c().await?;
//!     io.close().await;
//!     Ok(())
//! }
//! ```
//!
//! # Compatibility
//! | client | Socket.IO protocol | Engine.IO protocol | needs |
//! |---|---|---|---|
//! | socket.io-client 3.x, 4.x | 5 | 4 | — |
//! | python-socketio 5.x | 5 | 4 | — |
//! | socket.io-client 2.x | 4 | 3 | [`ServerConfigBuilder::allow_eio3`] |
//!
//! # Features
//! | feature | Rust | Node |
//! |---|---|---|
//! | namespaces, dynamic ones | [`Server::of`], [`Server::of_regex`], [`Server::of_fn`] | `io.of(name \| regex \| fn)` |
//! | middleware | [`Server::middleware`], [`Namespace::middleware`] | `io.use`, `nsp.use` |
//! | rooms, broadcasts | [`Socket::join`], [`Server::to`], [`BroadcastOperator`] | `join`, `to`/`in`, `except` |
//! | acks both ways, with timeouts | [`AckSender`], [`Socket::emit_with_ack`], [`TimeoutOperator`] | callbacks, `emitWithAck` |
//! | binary | `bytes::Bytes` anywhere in the data | `Buffer` |
//! | the msgpack parser | [`ServerConfig::parser`]`(`[`Parser::MsgPack`]`)` (socket.io-msgpack-parser 3.x) | `parser` |
//! | clusters | [`Adapter`], [`AdapterFactory`] | adapters |
//! | served client bundle | [`ServerConfig::serve_client`] (`npm install socket.io-client@4.8.4` provides it) | `serveClient` |
//! | hyper, axum | [`Server::layer`], [`Server::attach`], [`Server::listen`] | `attach(httpServer)` |
//!
//! `docs/API.md` maps every item of the socket.io 2.x server API to this crate.
//!
//! # The client bundle
//! With `serve_client` on (the default), `GET /socket.io/socket.io.js` (and `.min.js`,
//! `.msgpack.min.js`, `.esm.min.js`, their `.map`s) serves socket.io-client 4.8.4 from
//! [`ServerConfig::client_dir`]. It is not part of this crate: run `npm install
//! socket.io-client@4.8.4` in your app's directory (the server finds
//! `node_modules/socket.io-client` from its working directory), or point
//! `SOCKETIO_CLIENT_DIR` (or `client_dir`) at an unpacked `socket.io-client` package. In this
//! repository, `bash scripts/fetch-client.sh` fills `.cache/socket.io-client/package`, the
//! last place looked at. Without it the server logs a
//! warning naming that command when attached, and answers the bundle's URLs with a 404 that
//! names it too.
//!
//! # Cargo features
//! Both on by default:
//! - `bundle-compression`: the served client bundle in the br, gzip and deflate forms the
//!   client's `Accept-Encoding` asks for, as Node serves it (brotli and flate2). Without it,
//!   the bundle is served uncompressed.
//! - `http2`: [`Server::listen`] speaks HTTP/2 beside HTTP/1.1 (engineio's `http2`). Without
//!   it, HTTP/1.1 only. Behind an app's own hyper or axum server, that server decides.
//!
//! `default-features = false` drops both; the protocol, transports and API are the same.
//!
//! # Logging
//! `tracing` targets under `socketio`: `RUST_LOG=socketio=debug` shows namespace creation,
//! connects, refusals and disconnects with their reasons (Node's `DEBUG=socket.io*`); `trace`
//! the packets. Add `engineio=debug` for the transport underneath (Node's `DEBUG=engine*`).
//!
//! # Layout
//! Layers from the bottom up; a module names only modules of its own layer or earlier ones, never
//! in a cycle but for the one of step 3 (a check in `examples/tests/module_layers.rs` fails on
//! any other):
//! 1. leaves: `error`, `guard` (user code behind `catch_unwind`), `args` (event arguments),
//!    `handshake`, `rooms` (membership and its limits), `config`, `wire` (a packet framed once
//!    for every recipient), `bundle` (the served client files), `state` (the shared app
//!    state);
//! 2. `adapter`: the cluster contract ([`Adapter`], [`AdapterFactory`], the request and
//!    response messages, [`LocalAdapter`]); it reaches its namespace through
//!    [`NamespaceHandle`], a trait object the namespace implements, so an adapter crate
//!    depends on this contract alone;
//! 3. the object model: `client` (one Engine.IO connection multiplexing sockets, and the
//!    bridge from `engineio`), `socket` ([`Socket`], its handlers and pending acks,
//!    [`AckSender`]) and `namespace` ([`Namespace`]). This is the one cycle kept: it is
//!    Socket.IO's own object graph (a socket knows its client and its namespace, a namespace
//!    holds its sockets, a client its sockets), as in every implementation, and splitting it
//!    would only move the same calls behind traits. The client knows the server only as a
//!    `ClientHost` (its limits, and where a namespace name leads);
//! 4. `registry`: the namespaces by name, dynamic parents and their children, and the
//!    resolution of a CONNECT's name;
//! 5. `operators`: [`BroadcastOperator`], [`TimeoutOperator`], [`RemoteSocket`],
//!    [`SocketEmitter`], and the constructors on [`Namespace`] and [`Socket`] that start them;
//! 6. `server`: the [`Server`] handle;
//! 7. `service`: the tower [`SocketIoLayer`]/[`SocketIoService`] and `layer`, `service`,
//!    `attach`, `listen`.

// Leaves.
mod args;
mod bundle;
mod config;
mod error;
mod guard;
mod handshake;
mod rooms;
mod state;
mod wire;
// The cluster contract.
mod adapter;
// The object model (the one cycle).
mod client;
mod namespace;
mod socket;
// Namespaces by name, dynamic parents.
mod registry;
// Broadcasts and emit modifiers.
mod operators;
// The handle, then how it is served.
mod server;
mod service;

/// The guide: Socket.IO 4.x in Rust, for someone who knows the Node server.
#[doc = include_str!("guide.md")]
pub mod guide {}

// The README's quick start is compiled with the doc tests, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

pub use adapter::recovery::{
    MemorySessionStore, PersistedSession, RecoveredSession, SessionStore, StoreFuture, StoreUsage,
};
pub use adapter::{
    Adapter, AdapterError, AdapterFactory, BroadcastFlags, BroadcastOptions, ClusterPacket,
    ClusterRequest, ClusterResponse, LocalAdapter, NamespaceHandle, Responses, SocketData,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use args::{Args, Arrived, BindError};
pub use client::ClientRef;
pub use config::{ConnectionStateRecovery, Parser, ServerConfig, ServerConfigBuilder};
pub use error::{AckError, BroadcastAckError, ConfigError, EmitError, MiddlewareError};
pub use handshake::Handshake;
pub use namespace::{Namespace, ServerAck};
pub use operators::{
    BroadcastOperator, RemoteSocket, RemoteSocketData, SocketEmitter, TimeoutOperator,
};
pub use rooms::{JoinError, RoomEvent, RoomLimits};
pub use server::{Server, WeakServer};
pub use service::{SocketIoLayer, SocketIoService};
pub use socket::AckSender;
pub use socket::{DisconnectReason, Socket, SocketExtensions, TimeoutSocket};
pub use socketio_protocol::AnyValue;

/// A room name. Every socket is in the room named by its own id.
pub type Room = std::sync::Arc<str>;

/// What names a room where one is asked for (`to`, `except`, `join`...): `&str`, `String`,
/// `&String`, a [`Room`] or a reference to one, `Box<str>`, `Cow<str>`.
///
/// ```
/// let io = socketio::Server::new();
/// let name = String::from("lobby");
/// let _ = io.to(&name).emit("hi", &1);
/// let _ = io.to(name.clone()).except("muted").emit("hi", &2);
/// ```
pub trait IntoRoom {
    /// The room.
    fn into_room(self) -> Room;
}

impl IntoRoom for &str {
    fn into_room(self) -> Room {
        self.into()
    }
}

impl IntoRoom for String {
    fn into_room(self) -> Room {
        self.into()
    }
}

impl IntoRoom for &String {
    fn into_room(self) -> Room {
        self.as_str().into()
    }
}

impl IntoRoom for Room {
    fn into_room(self) -> Room {
        self
    }
}

impl IntoRoom for &Room {
    fn into_room(self) -> Room {
        self.clone()
    }
}

impl IntoRoom for Box<str> {
    fn into_room(self) -> Room {
        self.into()
    }
}

impl IntoRoom for std::borrow::Cow<'_, str> {
    fn into_room(self) -> Room {
        self.into()
    }
}
