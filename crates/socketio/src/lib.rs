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
//! | clusters | [`Adapter`], [`AdapterFactory`] | adapters |
//! | served client bundle | [`ServerConfig::serve_client`] (`scripts/fetch-client.sh` installs it) | `serveClient` |
//! | hyper, axum | [`Server::layer`], [`Server::attach`], [`Server::listen`] | `attach(httpServer)` |
//!
//! `docs/API.md` maps every item of the socket.io 2.x server API to this crate.
//!
//! # The client bundle
//! With `serve_client` on (the default), `GET /socket.io/socket.io.js` (and `.min.js`,
//! `.msgpack.min.js`, `.esm.min.js`, their `.map`s) serves socket.io-client 4.8.4 from
//! [`ServerConfig::client_dir`]. It is not part of this crate: run `bash
//! scripts/fetch-client.sh` once (it fills `.cache/socket.io-client/package`), or point
//! `SOCKETIO_CLIENT_DIR` at an unpacked `socket.io-client` package. Without it the server logs a
//! warning naming that command when attached, and answers the bundle's URLs with a 404 that
//! names it too.
//!
//! # Logging
//! `tracing` targets under `socketio`: `RUST_LOG=socketio=debug` shows namespace creation,
//! connects, refusals and disconnects with their reasons (Node's `DEBUG=socket.io*`); `trace`
//! the packets. Add `engineio=debug` for the transport underneath (Node's `DEBUG=engine*`).
//!
//! # Layout
//! - `server`: the [`Server`] handle; `namespace`: [`Namespace`]; `socket`: [`Socket`].
//! - `client`: one Engine.IO connection multiplexing sockets; the bridge from `engineio`.
//! - `adapter`: rooms ([`Adapter`], [`LocalAdapter`]); `operators`: broadcasts.
//! - `dynamic`: parent namespaces and their children; `emitter`: per-socket emit flags.
//! - `static_files`: the client bundle and the tower layer ([`SocketIoLayer`]) in front of the
//!   Engine.IO routing.
//! - `args`, `ack`: event arguments and acknowledgements; `handshake`, `config`, `error`.

mod ack;
mod adapter;
mod args;
mod client;
mod config;
mod dynamic;
mod emitter;
mod error;
mod handshake;
mod namespace;
mod operators;
mod rooms;
mod server;
mod socket;
mod static_files;

pub use ack::AckSender;
pub use adapter::{
    Adapter, AdapterError, AdapterFactory, BroadcastFlags, BroadcastOptions, ClusterPacket,
    ClusterRequest, ClusterResponse, LocalAdapter, NamespaceHandle, Responses, SocketData,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use args::Args;
pub use client::ClientRef;
pub use config::{ServerConfig, ServerConfigBuilder};
pub use emitter::SocketEmitter;
pub use error::{AckError, ConfigError, EmitError, MiddlewareError};
pub use handshake::Handshake;
pub use namespace::{Namespace, ServerAck};
pub use operators::{
    BroadcastAckError, BroadcastOperator, RemoteSocket, RemoteSocketData, TimeoutOperator,
};
pub use rooms::{JoinError, RoomEvent, RoomLimits};
pub use server::Server;
pub use socket::{DisconnectReason, Socket, TimeoutSocket};
pub use socketio_protocol::AnyValue;
pub use static_files::{SocketIoLayer, SocketIoService};

/// A room name. Every socket is in the room named by its own id.
pub type Room = std::sync::Arc<str>;
