//! The server handle: namespaces, the Engine.IO layer under them, and how to serve them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use engineio::{Engine, EngineLayer, EngineService, ServerHandle};
use serde::Serialize;

use crate::adapter::{AdapterFactory, LocalAdapter};
use crate::client::Bridge;
use crate::config::ServerConfig;
use crate::error::{EmitError, MiddlewareError};
use crate::namespace::Namespace;
use crate::operators::BroadcastOperator;
use crate::socket::{DisconnectReason, Socket};
use crate::Room;

pub(crate) struct ServerInner {
    pub(crate) config: ServerConfig,
    adapter: RwLock<Arc<dyn AdapterFactory>>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    engine: std::sync::OnceLock<Engine>,
    listener: Mutex<Option<ServerHandle>>,
}

impl ServerInner {
    pub(crate) fn namespace_for(&self, name: &str) -> Option<Namespace> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }
}

/// A Socket.IO server: a cheap-clone handle.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let io = socketio::Server::new();
///     io.on_connection(|socket| {
///         socket.on("ping", |socket, args: socketio::Args, ack: socketio::AckSender| {
///             let _ = ack.send(&args);
///             let _ = socket.emit("pong", &());
///         });
///     });
///     io.listen("127.0.0.1:3000").await?;
///     tokio::signal::ctrl_c().await?;
///     io.close().await;
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct Server(pub(crate) Arc<ServerInner>);

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("path", &self.0.config.path())
            .finish_non_exhaustive()
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server with the default options.
    pub fn new() -> Self {
        Self::with_config(ServerConfig::default())
    }

    /// A server with these options.
    pub fn with_config(config: ServerConfig) -> Self {
        let engine_config = config.engine.clone();
        let inner = Arc::new(ServerInner {
            config,
            adapter: RwLock::new(Arc::new(LocalAdapter)),
            namespaces: RwLock::new(HashMap::new()),
            engine: std::sync::OnceLock::new(),
            listener: Mutex::new(None),
        });
        let bridge = Bridge {
            server: Arc::downgrade(&inner),
        };
        let _ = inner
            .engine
            .set(Engine::with_handler(engine_config, Arc::new(bridge)));
        let server = Server(inner);
        server.of("/");
        server
    }

    /// The options.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The Engine.IO server under this one (Node's `io.engine`).
    pub fn engine(&self) -> &Engine {
        // Set in `with_config`, before the handle exists.
        self.0.engine.get().expect("engine is set at construction")
    }

    /// The namespace `name`, created if needed (`"chat"` is `/chat`).
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        if let Some(ns) = self.0.namespace_for(&name) {
            return ns;
        }
        let mut map = self.0.namespaces.write().unwrap_or_else(|e| e.into_inner());
        map.entry(name.clone())
            .or_insert_with(|| {
                tracing::debug!(target: "socketio::namespace", %name, "created");
                let factory = self
                    .0
                    .adapter
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                Namespace::new(name, factory.as_ref(), self.0.config.room_limits)
            })
            .clone()
    }

    /// Sets the adapter (Node's `io.adapter(v)`): every namespace, existing and future, gets
    /// one from `factory`. The default is [`LocalAdapter`] (one node).
    pub fn set_adapter(&self, factory: impl AdapterFactory) {
        let factory: Arc<dyn AdapterFactory> = Arc::new(factory);
        *self.0.adapter.write().unwrap_or_else(|e| e.into_inner()) = factory.clone();
        for ns in self.namespaces() {
            ns.set_adapter(factory.as_ref());
        }
    }

    fn namespaces(&self) -> Vec<Namespace> {
        self.0
            .namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The main namespace `/` (Node's `io.sockets`).
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// Middleware of `/` (Node's `io.use`).
    #[doc(alias = "use")]
    pub fn middleware<F, Fut>(&self, f: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), MiddlewareError>> + Send + 'static,
    {
        self.sockets().middleware(f)
    }

    /// Connection handler of `/` (Node's `io.on("connection")`).
    pub fn on_connection<F>(&self, f: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        self.sockets().on_connection(f)
    }

    /// Emits to every socket of `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.sockets().emit(event, data)
    }

    /// A broadcast to the sockets of `/` in `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// Synonym of [`Server::to`] (Node's `in`).
    pub fn within(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket of `/` but those in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().except(room)
    }

    /// An operator targeting every socket of `/`: chain `to`, `except`, flags...
    pub fn broadcast(&self) -> BroadcastOperator {
        self.sockets().broadcast()
    }

    /// `/` on this node only (Node's `io.local`).
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// Every socket of `/` bounded by `timeout` (for `emit_with_ack`, `fetch_sockets`).
    pub fn timeout(&self, timeout: std::time::Duration) -> crate::TimeoutOperator {
        self.broadcast().timeout(timeout)
    }

    /// The sockets of `/` on every node (Node's `io.fetchSockets()`).
    ///
    /// ```no_run
    /// # async fn f(io: socketio::Server) -> Result<(), socketio::BroadcastAckError> {
    /// for socket in io.within("room1").fetch_sockets().await? {
    ///     println!("{} is in {:?}", socket.id(), socket.rooms());
    ///     let _ = socket.emit("hello", &());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn fetch_sockets(
        &self,
    ) -> Result<Vec<crate::RemoteSocket>, crate::BroadcastAckError> {
        self.broadcast().fetch_sockets().await
    }

    /// Every socket of `/`, on every node, joins `rooms` (Node's `io.socketsJoin`).
    pub fn sockets_join(
        &self,
        rooms: impl IntoIterator<Item = impl Into<Room>>,
    ) -> Result<(), EmitError> {
        self.broadcast().sockets_join(rooms)
    }

    /// Every socket of `/`, on every node, leaves `rooms` (Node's `io.socketsLeave`).
    pub fn sockets_leave(
        &self,
        rooms: impl IntoIterator<Item = impl Into<Room>>,
    ) -> Result<(), EmitError> {
        self.broadcast().sockets_leave(rooms)
    }

    /// Every socket of `/`, on every node, disconnects (Node's `io.disconnectSockets`).
    pub fn disconnect_sockets(&self, close: bool) -> Result<(), EmitError> {
        self.broadcast().disconnect_sockets(close)
    }

    /// Sends an event to the other nodes' listeners of `/` (Node's `io.serverSideEmit`).
    ///
    /// ```no_run
    /// # async fn f(io: socketio::Server) {
    /// io.sockets().on_server_event("cache-invalidate", |args, _ack| {
    ///     let key: Option<String> = args.first();
    ///     println!("invalidate {key:?}");
    /// });
    /// let _ = io.server_side_emit("cache-invalidate", &"user:42");
    /// # }
    /// ```
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.sockets().server_side_emit(event, data)
    }

    /// As [`Server::server_side_emit`], with one answer per other node (5 s bound).
    pub async fn server_side_emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<crate::AnyValue>, crate::BroadcastAckError> {
        self.sockets().server_side_emit_with_ack(event, data).await
    }

    /// The ids of the sockets of `/` on every node (the seed's `io.clients(cb)`).
    pub async fn clients(&self) -> Vec<String> {
        self.sockets().clients().await
    }

    /// This server as a tower layer: requests under `path` are Socket.IO, the rest go on.
    pub fn layer(&self) -> EngineLayer {
        self.engine().layer()
    }

    /// This server in front of `inner`.
    pub fn service<S>(&self, inner: S) -> EngineService<S> {
        self.engine().service(inner)
    }

    /// Serves on `addr` on its own (Node's `new Server(3000)` / `io.listen`); other paths get
    /// 404. Returns once the port is bound.
    #[doc(alias = "attach")]
    pub async fn listen(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let handle = engineio::serve(listener, self.service(engineio::NotFound));
        tracing::debug!(target: "socketio::server", addr = %local, "listening");
        let previous = self
            .0
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(handle);
        if let Some(previous) = previous {
            previous.shutdown().await;
        }
        Ok(local)
    }

    /// Closes the server: every socket disconnects with `server shutting down`, every
    /// connection gets its close packet, and the listener (if [`Server::listen`] started one)
    /// is freed.
    pub async fn close(&self) {
        for ns in self.namespaces() {
            ns.disconnect_all_local(DisconnectReason::ServerShuttingDown);
        }
        self.engine().close();
        // Let polling clients between two polls collect their close packet before the
        // listener goes (bounded).
        let grace = self
            .0
            .config
            .engine
            .ping_timeout
            .min(std::time::Duration::from_secs(2));
        let deadline = tokio::time::Instant::now() + grace;
        while self.engine().clients_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let handle = self
            .0
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle {
            handle.shutdown().await;
        }
    }
}
