//! The server handle: namespaces, the Engine.IO layer under them, and how to serve them.

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock, Weak};

use engineio::{Engine, ServerHandle};
use serde::Serialize;
use serde_json::Value;

use crate::adapter::AdapterFactory;
use crate::bundle::ClientFiles;
use crate::client::{Bridge, ClientHost, ClientLimits, Resolved};
use crate::config::ServerConfig;
use crate::error::{BroadcastAckError, ConfigError, EmitError, MiddlewareError};
use crate::namespace::Namespace;
use crate::operators::{BroadcastOperator, RemoteSocket, TimeoutOperator};
use crate::registry::{Matcher, Registry};
use crate::socket::{DisconnectReason, Socket};
use crate::{AnyValue, IntoRoom};

pub(crate) struct ServerInner {
    settings: RwLock<Settings>,
    registry: Arc<Registry>,
    engine: std::sync::OnceLock<Engine>,
    client_files: std::sync::OnceLock<Arc<ClientFiles>>,
    listener: Mutex<Option<ServerHandle>>,
    /// Engine observers added before the engine was built ([`Server::observe_engine`]).
    pending_observers: Mutex<Vec<Arc<dyn engineio::Observer>>>,
    has_pending_observers: std::sync::atomic::AtomicBool,
    /// When the server was made ([`Server::uptime`]).
    started: std::time::Instant,
}

/// The options, editable until the server is attached (its engine built or bound).
struct Settings {
    config: ServerConfig,
    attached: bool,
}

impl ServerInner {
    fn settings(&self) -> std::sync::RwLockReadGuard<'_, Settings> {
        self.settings.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientHost for ServerInner {
    fn client_limits(&self) -> ClientLimits {
        let settings = self.settings();
        let config = &settings.config;
        ClientLimits {
            connect_timeout: config.connect_timeout,
            attachments_timeout: config.attachments_timeout,
            max_http_buffer_size: config.engine.max_http_buffer_size,
            max_namespaces: config.max_namespaces_per_connection,
            parser: config.parser,
        }
    }

    fn resolve(&self, name: &str, auth: &Value) -> Resolved {
        self.registry.resolve(name, auth)
    }

    fn after_refusal(&self, ns: &Namespace) {
        self.registry.after_refusal(ns);
    }
}

/// A [`Server`] handle that does not keep it alive ([`Server::downgrade`]).
#[derive(Clone, Debug)]
pub struct WeakServer(std::sync::Weak<ServerInner>);

impl WeakServer {
    /// The server, while any [`Server`] handle to it is left.
    pub fn upgrade(&self) -> Option<Server> {
        self.0.upgrade().map(Server)
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
            .field("path", &self.path())
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
    ///
    /// ```
    /// // Node: `var io = require('socket.io')();`
    /// let io = socketio::Server::new();
    /// assert_eq!(io.path(), "/socket.io");
    /// ```
    pub fn new() -> Self {
        Self::with_config(ServerConfig::default())
    }

    /// A server with these options (Node's `new Server(opts)`): the Socket.IO options and,
    /// in [`ServerConfig::engine`], the Engine.IO ones, passed through to the engine.
    ///
    /// ```
    /// use std::time::Duration;
    /// let io = socketio::Server::with_config(
    ///     socketio::ServerConfig::builder()
    ///         .path("/realtime")
    ///         .serve_client(false)
    ///         .ping_interval(Duration::from_secs(10))
    ///         .build(),
    /// );
    /// assert_eq!(io.path(), "/realtime");
    /// assert!(!io.serve_client());
    /// assert_eq!(io.engine().config().ping_interval, Duration::from_secs(10));
    /// ```
    pub fn with_config(config: ServerConfig) -> Self {
        let registry = Arc::new(Registry::new(
            config.room_limits,
            config.connection_state_recovery,
            config.cleanup_empty_child_namespaces,
        ));
        let inner = Arc::new(ServerInner {
            settings: RwLock::new(Settings {
                config,
                attached: false,
            }),
            registry,
            engine: std::sync::OnceLock::new(),
            client_files: std::sync::OnceLock::new(),
            listener: Mutex::new(None),
            pending_observers: Mutex::new(Vec::new()),
            has_pending_observers: std::sync::atomic::AtomicBool::new(false),
            started: std::time::Instant::now(),
        });
        let server = Server(inner);
        server.of("/");
        server
    }

    /// The options as they are now.
    pub fn config(&self) -> ServerConfig {
        self.0.settings().config.clone()
    }

    /// The Engine.IO server under this one (Node's `io.engine`). The first call attaches the
    /// server: it builds the engine from the options (or returns the one given to
    /// [`Server::bind`]), after which the path and the Engine.IO options are fixed.
    pub fn engine(&self) -> &Engine {
        let engine = self.0.engine.get_or_init(|| {
            let config = self.attach_settings();
            Engine::with_handler(config.engine, self.engine_handler())
        });
        if self
            .0
            .has_pending_observers
            .load(std::sync::atomic::Ordering::Acquire)
        {
            self.hand_observers(engine);
        }
        engine
    }

    /// Adds an observer of every Engine.IO session (see [`engineio::Observer`]): opens,
    /// upgrades, closes, message counts. Unlike [`Server::engine`] it does not attach the
    /// server: before the engine is built, the observer waits for it.
    pub fn observe_engine(&self, observer: Arc<dyn engineio::Observer>) {
        self.0
            .pending_observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
        self.0
            .has_pending_observers
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(engine) = self.0.engine.get() {
            self.hand_observers(engine);
        }
    }

    /// Gives the engine the observers waiting for it.
    fn hand_observers(&self, engine: &Engine) {
        let pending = {
            let mut list = self
                .0
                .pending_observers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            self.0
                .has_pending_observers
                .store(false, std::sync::atomic::Ordering::Release);
            std::mem::take(&mut *list)
        };
        for observer in pending {
            engine.observe(observer);
        }
    }

    /// A handle that does not keep the server alive, for tasks and callbacks that the
    /// server itself holds (a periodic report, a namespace's handler).
    pub fn downgrade(&self) -> WeakServer {
        WeakServer(Arc::downgrade(&self.0))
    }

    /// The Engine.IO server if it is built already; unlike [`Server::engine`], this never
    /// attaches the server.
    pub fn engine_if_attached(&self) -> Option<&Engine> {
        self.0.engine.get()
    }

    /// The namespace named exactly `name` (`/chat`) if it exists; unlike [`Server::of`], it
    /// never creates one.
    pub fn namespace(&self, name: &str) -> Option<Namespace> {
        self.0.registry.get(name)
    }

    /// How long ago this server was made (Node's admin UI reports the process's uptime).
    pub fn uptime(&self) -> std::time::Duration {
        self.0.started.elapsed()
    }

    /// Every namespace, static and dynamic children (Node's `io._nsps`), in no set order;
    /// dynamic parents are not in it.
    pub fn namespaces(&self) -> Vec<Namespace> {
        self.0.registry.namespaces()
    }

    /// Marks the server attached and returns the options it is attached with.
    fn attach_settings(&self) -> ServerConfig {
        let mut settings = self.0.settings.write().unwrap_or_else(|e| e.into_inner());
        settings.attached = true;
        settings.config.clone()
    }

    /// Edits the options while the server is not attached yet.
    fn edit_settings(&self, edit: impl FnOnce(&mut ServerConfig)) -> Result<(), ConfigError> {
        let mut settings = self.0.settings.write().unwrap_or_else(|e| e.into_inner());
        if settings.attached {
            return Err(ConfigError::Attached);
        }
        edit(&mut settings.config);
        Ok(())
    }

    /// The Engine.IO handler that turns sessions into Socket.IO clients, for an engine built
    /// by hand (Node's `io.bind(engine)`, advanced): build it with
    /// `engineio::Engine::with_handler(config, io.engine_handler())`, then [`Server::bind`] it.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// let mut config = engineio::EngineConfig::default();
    /// config.path = "/socket.io".to_owned();
    /// let engine = engineio::Engine::with_handler(config, io.engine_handler());
    /// io.bind(engine.clone()).unwrap();
    /// assert_eq!(io.engine().config().path, engine.config().path);
    /// ```
    pub fn engine_handler(&self) -> Arc<dyn engineio::Handler> {
        Arc::new(self.bridge())
    }

    /// Serves this server over `engine`, an Engine.IO server built by hand (Node's
    /// `io.bind(engine)`, advanced). Its handler must hand sessions to this server: build it
    /// with [`Server::engine_handler`], or forward each session with
    /// [`Server::on_engine_connection`]. Fails once the server is attached.
    pub fn bind(&self, engine: Engine) -> Result<(), ConfigError> {
        let mut settings = self.0.settings.write().unwrap_or_else(|e| e.into_inner());
        if settings.attached {
            return Err(ConfigError::Attached);
        }
        settings.attached = true;
        settings.config.engine = engine.config().clone();
        let set = self.0.engine.set(engine);
        drop(settings);
        set.map_err(|_| ConfigError::Attached)?;
        if let Some(engine) = self.0.engine.get() {
            self.hand_observers(engine);
        }
        Ok(())
    }

    /// Makes a Socket.IO client of a raw Engine.IO session (Node's `io.onconnection(conn)`,
    /// advanced): for an engine whose own [`Handler`](engineio::Handler) receives the session
    /// first. Forward its messages and close to [`Server::engine_handler`]'s handler.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use engineio::{CloseReason, Handler, Message, Socket};
    ///
    /// /// Logs sessions, then hands them to Socket.IO.
    /// struct Logged { io: socketio::Server, sio: Arc<dyn Handler> }
    /// impl Handler for Logged {
    ///     fn on_connect(&self, conn: Socket) {
    ///         println!("session {}", conn.id());
    ///         self.io.on_engine_connection(conn);
    ///     }
    ///     fn on_message(&self, conn: &Socket, m: Message) { self.sio.on_message(conn, m) }
    ///     fn on_close(&self, conn: &Socket, r: CloseReason) { self.sio.on_close(conn, r) }
    /// }
    ///
    /// let io = socketio::Server::new();
    /// let handler = Logged { io: io.clone(), sio: io.engine_handler() };
    /// let mut config = engineio::EngineConfig::default();
    /// config.path = "/socket.io".to_owned();
    /// io.bind(engineio::Engine::new(config, handler)).unwrap();
    /// ```
    #[doc(alias = "onconnection")]
    pub fn on_engine_connection(&self, conn: engineio::Socket) {
        engineio::Handler::on_connect(&self.bridge(), conn);
    }

    /// `serveClient`: whether the client bundle is served (default true).
    pub fn serve_client(&self) -> bool {
        self.0.settings().config.serve_client
    }

    /// Sets `serveClient` (Node's `io.serveClient(v)`): takes effect on the next request,
    /// attached or not.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.set_serve_client(false);
    /// assert!(!io.serve_client());
    /// ```
    pub fn set_serve_client(&self, serve: bool) {
        self.0
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .config
            .serve_client = serve;
    }

    /// `path`: where the server answers (default `/socket.io`).
    pub fn path(&self) -> String {
        match self.0.engine.get() {
            Some(engine) => engine.config().path.clone(),
            None => self.0.settings().config.path().to_owned(),
        }
    }

    /// Sets `path` (Node's `io.path(v)`); fails once the server is attached, where Node's has
    /// no effect.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.set_path("/realtime").unwrap();
    /// assert_eq!(io.path(), "/realtime");
    /// let _layer = io.layer(); // attached: the path is fixed now
    /// assert!(io.set_path("/other").is_err());
    /// ```
    pub fn set_path(&self, path: impl Into<String>) -> Result<(), ConfigError> {
        let path = path.into();
        self.edit_settings(|c| c.engine.path = path)
    }

    /// Edits the Engine.IO options before the server is attached (Node passes its options
    /// through to `engine.io`); fails once attached.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.set_engine_options(|engine| engine.allow_eio3 = true).unwrap();
    /// assert!(io.engine().config().allow_eio3);
    /// ```
    pub fn set_engine_options(
        &self,
        edit: impl FnOnce(&mut engineio::EngineConfig),
    ) -> Result<(), ConfigError> {
        self.edit_settings(|c| edit(&mut c.engine))
    }

    /// `origins`: the page origins allowed to open a session (Node 2.x's `io.origins()`),
    /// default every origin (`*:*`).
    pub fn origins(&self) -> engineio::Origins {
        match self.0.engine.get() {
            Some(engine) => engine.config().origins.clone(),
            None => self.0.settings().config.engine.origins.clone(),
        }
    }

    /// Sets `origins` (Node 2.x's `io.origins(v)` and `io.origins(fn)`): a list of exact
    /// entries, or an async predicate given the `Origin` (else the `Referer`, else `*`). A
    /// refused handshake gets polling `403` or WebSocket `400`. Checked by the engine on every
    /// handshake, so fixed once the server is attached (Node reads it per request); fails then.
    ///
    /// ```
    /// use engineio::Origins;
    /// let io = socketio::Server::new();
    /// io.set_origins(Origins::list(["https://example.com:443", "localhost:*"])).unwrap();
    /// // Or decide per origin, as `io.origins((origin, callback) => ...)`:
    /// io.set_origins(Origins::predicate(|origin: String| async move {
    ///     origin.ends_with(".example.com")
    /// }))
    /// .unwrap();
    /// let _current = io.origins();
    /// ```
    pub fn set_origins(&self, origins: engineio::Origins) -> Result<(), ConfigError> {
        self.edit_settings(|c| c.engine.origins = origins)
    }

    /// The Engine.IO handler of this server: sessions become its clients.
    fn bridge(&self) -> Bridge {
        let host: Weak<dyn ClientHost> = Arc::downgrade(&self.0) as Weak<ServerInner>;
        Bridge::new(host)
    }

    /// The adapter factory (Node's `io.adapter()`).
    pub fn adapter(&self) -> Arc<dyn AdapterFactory> {
        self.0.registry.adapter()
    }

    /// The served client bundle, loaded when the server is attached.
    pub(crate) fn client_files(&self) -> Arc<ClientFiles> {
        self.0
            .client_files
            .get_or_init(|| {
                let config = self.0.settings().config.clone();
                Arc::new(ClientFiles::open(&config.client_dir, config.serve_client))
            })
            .clone()
    }

    /// The namespace `name`, created if needed (`"chat"` is `/chat`).
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// let chat = io.of("chat");
    /// assert_eq!(chat.name(), "/chat");
    /// ```
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        self.0.registry.of(name)
    }

    /// A listener for every namespace created from now on, static (`io.of(name)`) or a dynamic
    /// parent's child (Node's `io.on("new_namespace", fn)`). It runs before the namespace
    /// takes its first client, so it may add middleware and handlers.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.on_new_namespace(|ns| {
    ///     println!("namespace {} created", ns.name());
    ///     ns.on_connection(|socket| {
    ///         let _ = socket.emit("welcome", &());
    ///     });
    /// });
    /// let _chat = io.of("/chat");
    /// ```
    #[doc(alias = "new_namespace")]
    pub fn on_new_namespace<F>(&self, f: F)
    where
        F: Fn(&Namespace) + Send + Sync + 'static,
    {
        self.0.registry.on_created(Arc::new(f));
    }

    /// Gives the server a shared value of type `T` (a database pool, the app's config, a
    /// history store), one per type, reachable from every namespace and socket with
    /// [`Socket::state`] and [`Namespace::state`](crate::Namespace::state): no clone to
    /// capture in every handler. Returns the value of that type it replaces. Wrap what is
    /// costly to clone, or must be shared mutably, in an `Arc`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Clone, Default)]
    /// struct History(Arc<Mutex<Vec<String>>>);
    ///
    /// let io = socketio::Server::new();
    /// io.set_state(History::default());
    /// io.on_connection(|socket| {
    ///     socket.on("chat", |socket, text: String, _ack| {
    ///         if let Some(History(h)) = socket.state::<History>() {
    ///             h.lock().unwrap().push(text.clone());
    ///         }
    ///         let _ = socket.broadcast().emit("chat", &text);
    ///     });
    /// });
    /// assert!(io.state::<History>().is_some());
    /// ```
    pub fn set_state<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.0.registry.state.insert(value)
    }

    /// A clone of the shared value of type `T` given with [`Server::set_state`].
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.registry.state.get()
    }

    /// Sets the adapter (Node's `io.adapter(v)`): every namespace, existing and future, gets
    /// one from `factory`. The default is [`LocalAdapter`](crate::LocalAdapter) (one node). Dynamic parent
    /// namespaces keep their own, which reaches their children.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.set_adapter(socketio::LocalAdapter);
    /// let _factory = io.adapter();
    /// ```
    pub fn set_adapter(&self, factory: impl AdapterFactory) {
        self.0.registry.set_adapter(Arc::new(factory));
    }

    /// The main namespace `/` (Node's `io.sockets`).
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// assert_eq!(io.sockets().name(), "/");
    /// let _ = io.sockets().emit("an event sent to all connected clients", &());
    /// ```
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// Middleware of `/` (Node's `io.use`).
    #[doc(alias = "use")]
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.middleware(|socket| {
    ///     let has_cookie = socket.request().headers.contains_key("cookie");
    ///     async move {
    ///         if has_cookie {
    ///             Ok(())
    ///         } else {
    ///             Err(socketio::MiddlewareError::new("Authentication error"))
    ///         }
    ///     }
    /// });
    /// ```
    pub fn middleware<F, Fut>(&self, f: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), MiddlewareError>> + Send + 'static,
    {
        self.sockets().middleware(f)
    }

    /// Connection handler of `/` (Node's `io.on("connection")`).
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.on_connection(|socket| {
    ///     socket.on("event", |_socket, _data: socketio::Args, _ack| {});
    ///     socket.on_disconnect(|_socket, _reason| {});
    /// });
    /// ```
    pub fn on_connection<F>(&self, f: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        self.sockets().on_connection(f)
    }

    /// Emits to every socket of `/`.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.emit("an event sent to all connected clients", &serde_json::json!({"some": "data"}))
    ///     .unwrap();
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.sockets().emit(event, data)
    }

    /// A broadcast to the sockets of `/` in `room`.
    pub fn to(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// Synonym of [`Server::to`] (Node's `in`).
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// let _ = io.within("general").emit("news", &"hello");
    /// ```
    pub fn within(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket of `/` but those in `room`.
    pub fn except(&self, room: impl IntoRoom) -> BroadcastOperator {
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
    pub fn timeout(&self, timeout: std::time::Duration) -> TimeoutOperator {
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
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, BroadcastAckError> {
        self.broadcast().fetch_sockets().await
    }

    /// Every socket of `/`, on every node, joins `rooms` (Node's `io.socketsJoin`).
    pub fn sockets_join(
        &self,
        rooms: impl IntoIterator<Item = impl IntoRoom>,
    ) -> Result<(), EmitError> {
        self.broadcast().sockets_join(rooms)
    }

    /// Every socket of `/`, on every node, leaves `rooms` (Node's `io.socketsLeave`).
    pub fn sockets_leave(
        &self,
        rooms: impl IntoIterator<Item = impl IntoRoom>,
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
    ) -> Result<Vec<AnyValue>, BroadcastAckError> {
        self.sockets().server_side_emit_with_ack(event, data).await
    }

    /// The ids of the sockets of `/` on every node (the seed's `io.clients(cb)`).
    ///
    /// ```no_run
    /// # async fn f(io: socketio::Server) {
    /// let clients = io.clients().await; // e.g. ["PZDoMHjiu8PYfRiKAAAF", "Anw2LatarvGVVXEIAAAD"]
    /// # }
    /// ```
    pub async fn clients(&self) -> Vec<String> {
        self.sockets().clients().await
    }

    /// Closes the server: every socket disconnects with `server shutting down`, every
    /// connection gets its close packet, and the listener (if [`Server::listen`] started one)
    /// is freed.
    ///
    /// ```no_run
    /// # async fn f() -> std::io::Result<()> {
    /// let io = socketio::Server::new();
    /// let addr = io.listen("127.0.0.1:3030").await?;
    /// io.close().await; // the port is free again
    /// let _listener = tokio::net::TcpListener::bind(addr).await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        for ns in self.0.registry.namespaces() {
            ns.disconnect_all_local(DisconnectReason::ServerShuttingDown);
        }
        self.engine().close();
        // Let polling clients between two polls collect their close packet before the
        // listener goes (bounded).
        let grace = self
            .engine()
            .config()
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

/// Dynamic namespaces (Node's `io.of(regex)` and `io.of(fn)`).
impl Server {
    /// A parent namespace for every name matching `regex` (Node's `io.of(/regex/)`).
    ///
    /// A client connecting to a matching name that does not exist yet creates that child
    /// namespace, which gets the parent's middleware and connection handlers as they are
    /// then (register them before clients come). Parents are tried in the order they were
    /// made; the first match wins. The parent's `emit`, `to(...)`, `sockets_join` and
    /// `disconnect_sockets` reach every child; its `fetch_sockets` is an error. The parent's
    /// own name is `/_0`, `/_1`... as in Node.
    ///
    /// ```no_run
    /// # fn f(io: socketio::Server) {
    /// let workspaces = io.of_regex(regex::Regex::new(r"^/workspace-\d+$").unwrap());
    /// workspaces.on_connection(|socket| {
    ///     // `socket.ns()` is the child, such as `/workspace-42`.
    ///     let _ = socket.emit("hello", socket.ns().name());
    /// });
    /// // Every socket of every workspace.
    /// let _ = workspaces.emit("announcement", &"maintenance at noon");
    /// # }
    /// ```
    #[doc(alias = "of")]
    pub fn of_regex(&self, regex: regex::Regex) -> Namespace {
        self.0.registry.add_parent(Matcher::Regex(regex))
    }

    /// A parent namespace for every name that `allowed(name, auth)` accepts (Node's
    /// `io.of((name, auth, next) => ...)`). `auth` is the CONNECT's auth payload (for
    /// socket.io-client 2.x, its namespace query). Otherwise as [`Server::of_regex`].
    ///
    /// ```no_run
    /// # fn f(io: socketio::Server) {
    /// let rooms = io.of_fn(|name, auth| async move {
    ///     name.starts_with("/room-") && auth.get("token").is_some()
    /// });
    /// rooms.on_connection(|socket| {
    ///     let _ = socket.emit("joined", socket.ns().name());
    /// });
    /// # }
    /// ```
    #[doc(alias = "of")]
    pub fn of_fn<F, Fut>(&self, allowed: F) -> Namespace
    where
        F: Fn(String, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.0
            .registry
            .add_parent(Matcher::Predicate(Arc::new(move |name, auth| {
                Box::pin(allowed(name, auth))
            })))
    }

    /// The children a parent namespace made so far (empty for any other namespace).
    pub fn children_of(&self, parent: &Namespace) -> Vec<Namespace> {
        self.0.registry.children_of(parent)
    }
}

impl Server {
    /// Puts the standalone listener in place, returning the one it replaces.
    pub(crate) fn replace_listener(&self, handle: ServerHandle) -> Option<ServerHandle> {
        self.0
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(handle)
    }
}
