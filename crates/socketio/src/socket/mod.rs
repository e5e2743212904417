//! A socket: one client's connection to one namespace.

mod ack;

pub use ack::AckSender;
pub(crate) use ack::{AckWaiter, PendingAcks};

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use socketio_protocol::{Packet, PacketData, Payload, RESERVED_EVENTS};

use crate::args::{to_payload, Args, Binding};
use crate::client::Client;
use crate::error::{AckError, EmitError};
use crate::guard::{self, Site};
use crate::handshake::Handshake;
use crate::namespace::Namespace;

/// Why a socket disconnected, with Node's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// `transport error`: the connection broke the protocol (a malformed WebSocket frame),
    /// failed while the server wrote to it, or fell too far behind reading.
    TransportError,
    /// `transport close`: the connection ended from the client's side, with a close frame
    /// or without one (a killed tab or process, a network cut, a TCP reset), as in Node.
    TransportClose,
    /// `forced close`: the connection was closed for a decode error or an invalid state, or
    /// from the server's side.
    ForcedClose,
    /// `ping timeout`: the heartbeat stopped.
    PingTimeout,
    /// `parse error`: the client sent bytes Engine.IO could not decode.
    ParseError,
    /// `server shutting down`: [`Server::close`](crate::Server::close).
    ServerShuttingDown,
    /// `forced server close`: the server closed the connection (`disconnect(true)`, or user
    /// code of the connection panicked: see [`Socket::on`]).
    ForcedServerClose,
    /// `client namespace disconnect`: the client left the namespace (`socket.disconnect()`).
    ClientNamespaceDisconnect,
    /// `server namespace disconnect`: [`Socket::disconnect`] on the server.
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// Node's name of the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }
}

impl DisconnectReason {
    /// Whether a socket that left for this reason keeps its session for connection state
    /// recovery: a dropped or closed connection (`transport error`, `transport close`,
    /// `forced close`, `ping timeout`, `server shutting down`, `forced server close`), not a
    /// namespace disconnect by either side, nor a `parse error` (as Node).
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            DisconnectReason::TransportError
                | DisconnectReason::TransportClose
                | DisconnectReason::ForcedClose
                | DisconnectReason::PingTimeout
                | DisconnectReason::ServerShuttingDown
                | DisconnectReason::ForcedServerClose
        )
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<engineio::CloseReason> for DisconnectReason {
    fn from(r: engineio::CloseReason) -> Self {
        match r {
            engineio::CloseReason::TransportClose => DisconnectReason::TransportClose,
            engineio::CloseReason::TransportError => DisconnectReason::TransportError,
            engineio::CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            engineio::CloseReason::ParseError => DisconnectReason::ParseError,
            _ => DisconnectReason::ForcedClose,
        }
    }
}

/// An event handler, called with the event's name (kept once, in the handler list), its
/// arguments and attachments.
type EventFn = Arc<dyn Fn(&Socket, &str, Vec<Value>, &[Bytes], AckSender) + Send + Sync>;
type AnyFn = Arc<dyn Fn(Socket, &str, &Args) + Send + Sync>;
type PacketMiddlewareFn = Arc<dyn Fn(Socket, &str, &Args) -> Result<(), String> + Send + Sync>;
type ErrorFn = Arc<dyn Fn(Socket, &str) + Send + Sync>;
type DisconnectFn = Arc<dyn Fn(Socket, DisconnectReason) + Send + Sync>;

/// One handler a socket holds.
enum Handler {
    /// For one event.
    Event(Box<str>, EventFn),
    Any(AnyFn),
    AnyOutgoing(AnyFn),
    Middleware(PacketMiddlewareFn),
    Error(ErrorFn),
    Disconnecting(DisconnectFn),
    Disconnect(DisconnectFn),
}

/// Every handler of a socket, of every kind, in registration order. One list, not a map nor
/// a list per kind: a socket has a handful, a scan of them costs less than a hash, and seven
/// lists took 168 bytes per socket before the first handler.
#[derive(Default)]
struct Handlers(Vec<Handler>);

/// What an incoming event runs ([`Handlers::for_event`]).
#[derive(Default)]
struct ForEvent {
    middleware: Vec<PacketMiddlewareFn>,
    any: Vec<AnyFn>,
    first: Option<EventFn>,
    more: Vec<EventFn>,
}

impl Handlers {
    fn push(&mut self, handler: Handler) {
        self.0.push(handler);
    }

    /// Clones of the handlers `pick` takes, in order (no allocation when there are none).
    fn cloned<T: Clone>(&self, pick: impl Fn(&Handler) -> Option<&T>) -> Vec<T> {
        self.0.iter().filter_map(pick).cloned().collect()
    }

    /// What an incoming `event` runs, in one pass: the per-packet middleware, the catch-all
    /// handlers, and the event's own handlers (the first apart: most events have one).
    fn for_event(&self, event: &str) -> ForEvent {
        let mut found = ForEvent::default();
        for h in &self.0 {
            match h {
                Handler::Middleware(f) => found.middleware.push(f.clone()),
                Handler::Any(f) => found.any.push(f.clone()),
                Handler::Event(name, f) if **name == *event => match found.first {
                    None => found.first = Some(f.clone()),
                    Some(_) => found.more.push(f.clone()),
                },
                _ => {}
            }
        }
        found
    }

    fn any_outgoing(&self) -> Vec<AnyFn> {
        self.cloned(|h| match h {
            Handler::AnyOutgoing(f) => Some(f),
            _ => None,
        })
    }

    fn error(&self) -> Vec<ErrorFn> {
        self.cloned(|h| match h {
            Handler::Error(f) => Some(f),
            _ => None,
        })
    }

    fn has_error(&self) -> bool {
        self.0.iter().any(|h| matches!(h, Handler::Error(_)))
    }

    fn disconnecting(&self) -> Vec<DisconnectFn> {
        self.cloned(|h| match h {
            Handler::Disconnecting(f) => Some(f),
            _ => None,
        })
    }

    /// Removes the `disconnect` handlers and returns them, in order.
    fn take_disconnect(&mut self) -> Vec<DisconnectFn> {
        let mut taken = Vec::new();
        self.0.retain(|h| match h {
            Handler::Disconnect(f) => {
                taken.push(f.clone());
                false
            }
            _ => true,
        });
        taken
    }

    fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

pub(crate) struct SocketInner {
    id: Arc<str>,
    ns: Namespace,
    pub(crate) client: Arc<Client>,
    /// Built on first use from the connection's request: most sockets never read it.
    /// Boxed: an empty cell is one word, where the handshake is about 200 bytes.
    handshake: std::sync::OnceLock<Box<Handshake>>,
    auth: Value,
    data: Mutex<Value>,
    /// Typed per-socket state ([`Socket::extensions`]), never serialized.
    extensions: RwLock<http::Extensions>,
    handlers: Mutex<Handlers>,
    acks: PendingAcks,
    connected: AtomicBool,
    /// [`NEW`], [`OPENING`] (connected, the connection handlers about to run or running) or
    /// [`OPEN`] (they have run: packets go to the handlers as they come).
    phase: AtomicU8,
    /// Packets that came before [`OPEN`], in order, and a close from another thread during
    /// [`OPENING`]: dispatched once the handlers have run.
    held: Mutex<Vec<Held>>,
    /// With connection state recovery on: the private session id and where it started.
    recovery: Option<Box<SocketRecovery>>,
}

/// The tags of [`Socket::set_data_tag`], kept in the socket's extensions.
#[derive(Clone, Default)]
struct DataTags(serde_json::Map<String, Value>);

/// A socket's part in connection state recovery.
#[derive(Debug)]
pub(crate) struct SocketRecovery {
    /// The private session id (`pid`), never its public id.
    pub(crate) pid: Box<str>,
    /// The store's position when the session's first socket connected.
    pub(crate) joined_at: Option<String>,
    /// This socket took over a kept session.
    pub(crate) recovered: bool,
}

/// One client's connection to one namespace: a cheap-clone handle.
///
/// ```no_run
/// # fn f(io: socketio::Server) {
/// io.of("/").on_connection(|socket| {
///     socket.on("chat", |socket, (room, text): (String, String), _ack| {
///         let _ = socket.to(room).emit("chat", &text);
///     });
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.0.id)
            .field("nsp", &self.0.ns.name())
            .finish_non_exhaustive()
    }
}

/// A socket's typed state ([`Socket::extensions`]): one value per type.
pub struct SocketExtensions<'a>(&'a RwLock<http::Extensions>);

impl std::fmt::Debug for SocketExtensions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketExtensions").finish_non_exhaustive()
    }
}

impl SocketExtensions<'_> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, http::Extensions> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, http::Extensions> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `value`, returning the value of that type it replaces.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.write().insert(value)
    }

    /// A clone of the value of type `T` (wrap what is costly to clone in an `Arc`).
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.read().get::<T>().cloned()
    }

    /// Calls `f` with the value of type `T`, without cloning it.
    pub fn with<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.read().get::<T>().map(f)
    }

    /// Takes the value of type `T` out.
    pub fn remove<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.write().remove::<T>()
    }

    /// Whether there is a value of type `T`.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.read().get::<T>().is_some()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Socket {}

impl Socket {
    pub(crate) fn new(
        id: Arc<str>,
        ns: Namespace,
        client: Arc<Client>,
        auth: Value,
        recovery: Option<SocketRecovery>,
        data: Value,
    ) -> Self {
        Socket(Arc::new(SocketInner {
            id,
            ns,
            client,
            handshake: std::sync::OnceLock::new(),
            auth,
            data: Mutex::new(data),
            recovery: recovery.map(Box::new),
            handlers: Mutex::new(Handlers::default()),
            acks: PendingAcks::default(),
            connected: AtomicBool::new(false),
            phase: AtomicU8::new(NEW),
            held: Mutex::new(Vec::new()),
            extensions: RwLock::new(http::Extensions::new()),
        }))
    }

    fn handlers(&self) -> MutexGuard<'_, Handlers> {
        self.0.handlers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The socket id: 20 random characters per namespace connection (protocol 5); the
    /// Engine.IO id on `/` and `/nsp#sid` elsewhere (protocol 4).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// println!("{} joined", socket.id());
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn id_arc(&self) -> &Arc<str> {
        &self.0.id
    }

    /// The namespace.
    pub fn ns(&self) -> &Namespace {
        &self.0.ns
    }

    pub(crate) fn ns_name(&self) -> &str {
        self.0.ns.name()
    }

    /// The handshake details (Node's `socket.handshake`).
    pub fn handshake(&self) -> &Handshake {
        self.0.handshake.get_or_init(|| {
            Box::new(Handshake::new(
                self.0.client.conn.request(),
                self.0.auth.clone(),
            ))
        })
    }

    /// The auth payload of the CONNECT packet (`{}` when none; the namespace query for
    /// socket.io-client 2.x): `handshake().auth` without building the whole handshake.
    pub fn auth(&self) -> &Value {
        &self.0.auth
    }

    /// The request that opened the connection (Node's `socket.request`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let agent = socket.request().headers.get("user-agent");
    /// let cookie = socket.request().headers.get("cookie");
    /// # let _ = (agent, cookie);
    /// # }
    /// ```
    pub fn request(&self) -> &engineio::HandshakeRequest {
        self.0.client.conn.request()
    }

    /// The Engine.IO connection under this socket (Node's `socket.conn`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// println!("over {}", socket.conn().transport().as_str());
    /// # }
    /// ```
    pub fn conn(&self) -> &engineio::Socket {
        &self.0.client.conn
    }

    /// The multiplexed connection this socket rides (Node's `socket.client`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let client = socket.client();
    /// println!("session {} from {:?}", client.conn().id(), client.request().remote_addr);
    /// # }
    /// ```
    pub fn client(&self) -> crate::client::ClientRef {
        crate::client::ClientRef(self.0.client.clone())
    }

    /// Typed per-socket state, by type: the authenticated user, a database handle, anything
    /// `Send + Sync + 'static`, kept as it is (no serialization) and seen only on this node.
    /// [`set_data`](Self::set_data) is the serializable part other nodes see (Node's
    /// `socket.data`, in `fetch_sockets`). A middleware may attach both before the connection
    /// handlers run.
    ///
    /// ```
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct User { name: String }
    ///
    /// let io = socketio::Server::new();
    /// io.middleware(|socket| async move {
    ///     socket.extensions().insert(User { name: "ada".into() });
    ///     Ok(())
    /// });
    /// io.on_connection(|socket| {
    ///     socket.on("whoami", |socket, (): (), ack| {
    ///         let name = socket.extensions().with(|u: &User| u.name.clone());
    ///         let _ = ack.send(&name);
    ///     });
    /// });
    /// ```
    pub fn extensions(&self) -> SocketExtensions<'_> {
        SocketExtensions(&self.0.extensions)
    }

    /// A clone of the server's shared value of type `T`
    /// ([`Server::set_state`](crate::Server::set_state)); per-socket values are in
    /// [`extensions`](Self::extensions).
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.ns.state()
    }

    /// Stores per-socket user data. It must be serializable: the cluster operations
    /// (`fetch_sockets`) ship it to other nodes.
    pub fn set_data<T: Serialize>(&self, data: &T) -> Result<(), EmitError> {
        let value = serde_json::to_value(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
        *self.0.data.lock().unwrap_or_else(|e| e.into_inner()) = value;
        self.0.ns.data_changed(self);
        Ok(())
    }

    /// Sets `key` to `value` in what other nodes and [`fetch_sockets`](crate::Server::fetch_sockets)
    /// see of this socket's data, without changing [`Socket::data`]: how instrumentation
    /// tags a socket for the whole cluster (the Admin UI's `data._admin`, as Node keeps it).
    /// The data is shown as an object with the tags added to its fields.
    pub fn set_data_tag(&self, key: &str, value: Value) {
        let mut ext = self.0.extensions.write().unwrap_or_else(|e| e.into_inner());
        match ext.get_mut::<DataTags>() {
            Some(tags) => {
                tags.0.insert(key.to_owned(), value);
            }
            None => {
                let mut tags = serde_json::Map::new();
                tags.insert(key.to_owned(), value);
                ext.insert(DataTags(tags));
            }
        }
    }

    /// The data with the tags of [`Socket::set_data_tag`], as other nodes see it.
    pub(crate) fn tagged_data(&self) -> Value {
        let data = self.data_value();
        let ext = self.0.extensions.read().unwrap_or_else(|e| e.into_inner());
        let Some(DataTags(tags)) = ext.get::<DataTags>() else {
            return data;
        };
        let mut object = match data {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            // Not an object: nowhere to put the tags.
            other => return other,
        };
        for (k, v) in tags {
            object.insert(k.clone(), v.clone());
        }
        Value::Object(object)
    }

    /// The per-socket user data as `T`, or `None` when unset or of another shape.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        let value = self
            .0
            .data
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        serde_json::from_value(value).ok()
    }

    /// The raw per-socket user data.
    pub fn data_value(&self) -> Value {
        self.0
            .data
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// Whether this socket took over the session of one that dropped (Node's
    /// `socket.recovered`): same id, rooms and data, and the packets it missed were sent
    /// before anything else. Always false without
    /// [`connection_state_recovery`](crate::ServerConfig::connection_state_recovery).
    pub fn recovered(&self) -> bool {
        self.0.recovery.as_ref().is_some_and(|r| r.recovered)
    }

    /// The private session id given to the client with recovery on.
    pub(crate) fn pid(&self) -> Option<&str> {
        self.0.recovery.as_deref().map(|r| &*r.pid)
    }

    /// Whether the socket is disconnected.
    pub fn disconnected(&self) -> bool {
        !self.connected()
    }

    /// Marks the socket connected, its connection handlers about to run on this thread: until
    /// [`Socket::open`] (or the guard's drop), packets are held, and a close that comes from
    /// another thread (the transport closing on another worker, `disconnect` from another
    /// task) waits for the handlers, so the `on_disconnect` they register sees it, as it
    /// always does in Node, where nothing runs between a connection handler's lines.
    pub(crate) fn begin_open(&self) -> Opening {
        self.0.connected.store(true, Ordering::Release);
        self.0.phase.store(OPENING, Ordering::Release);
        let me = Arc::as_ptr(&self.0) as usize;
        Opening {
            socket: self.clone(),
            outer: OPENING_HERE.with(|c| c.replace(me)),
        }
    }

    /// This thread is the one opening this socket (running its connection handlers).
    fn opening_here(&self) -> bool {
        let me = Arc::as_ptr(&self.0) as usize;
        OPENING_HERE.with(|c| c.get() == me)
    }

    /// Registers a handler for `event`, its arguments bound to `T` as Node binds them to a
    /// function's parameters: a handler runs whatever the number of arguments, a missing one
    /// being `undefined` (`None` here) and an extra one ignored. How each type binds (the
    /// event name is not an argument):
    ///
    /// | `T` | binds | given `("a", "b", "c")` | given `("a")` | given `()` |
    /// |---|---|---|---|---|
    /// | `(A, B)`, a tuple struct | argument 1 to `A`, 2 to `B`; extra ones ignored; a missing one is `null`, which an `Option` reads as `None` | `("a", "b")` | `(String, Option<String>)`: `("a", None)`; `(String, String)`: a mismatch | `(Option<A>, Option<B>)` only |
    /// | `()`, a unit struct | nothing; any arguments are ignored | `()` | `()` | `()` |
    /// | `String`, numbers, `bool`, `Option<T>`, maps, enums, a newtype of these | the first argument; the others ignored; none is `null` | `"a"` | `"a"` | `Option<T>`: `None` |
    /// | a struct | the first argument when it is an object (the others ignored), else the list read as a sequence (serde's struct-from-array) | from the list | the object, or from the one array | a mismatch |
    /// | `Vec<T>`, `[T; N]` | the whole list; when that does not fit and the one argument is an array, that array | `["a","b","c"]` | `["a"]` | `Vec<T>`: `[]` |
    /// | [`Args`], `Vec<`[`AnyValue`](crate::AnyValue)`>` | the whole list, raw, binary kept ([`Args::get`] reads one) | 3 arguments | 1 | 0 |
    /// | `serde_json::Value`, [`AnyValue`](crate::AnyValue), untagged enums | the whole list as an array; when that does not fit and there is one argument, that argument | `["a","b","c"]` | `["a"]` | `[]` |
    /// | `Result<U, `[`BindError`](crate::BindError)`>` | as `U` binds, in `Ok`; arguments that do not fit `U` are an `Err` (what arrived, serde's reason) and the handler still runs | as `U` | as `U` | as `U`, or `Err` |
    ///
    /// The shape of `T` is learnt once, here; binding an event costs one deserialization of its
    /// arguments (at most one more for the struct, sequence and `Value` rows when one argument
    /// came). Any other `Result` (`Result<A, String>`) keeps serde's meaning, an externally
    /// tagged enum read from the first argument (`{"Ok": ...}`).
    ///
    /// Arguments that do not fit a handler that does not take `Result<_, BindError>` (a
    /// `String` handler given `42`) skip it, and the client's ack is not answered: a `warn`
    /// (target `socketio::socket`, with the namespace, socket id and event) says what arrived
    /// in JSON terms, never its content, and serde's reason, e.g. ``event "m": integer 42:
    /// invalid type: integer `42`, expected a string; the handler did not run``, and the
    /// [`Socket::on_error`] handlers get the same message without its last clause. Take `Result<U, BindError>` to see the mismatch and
    /// answer the ack yourself, or [`Args`] to take any input.
    ///
    /// ```
    /// # fn f(socket: socketio::Socket) {
    /// // Node: socket.on("chat", (room, text, ack) => ...)
    /// socket.on("chat", |_s, (room, text): (String, Option<String>), ack| {
    ///     let _ = ack.send(&(room, text.unwrap_or_default()));
    /// });
    /// // Node: socket.on("ping", (ack) => ack()): no arguments, or any.
    /// socket.on("ping", |_s, (): (), ack| {
    ///     let _ = ack.send(&());
    /// });
    /// // Node: socket.on("nick", (name) => ...): the first argument.
    /// socket.on("nick", |_s, name: String, _ack| println!("{name}"));
    /// // Node: socket.on("raw", (...args) => ...)
    /// socket.on("raw", |_s, args: socketio::Args, _ack| {
    ///     let first: Option<u32> = args.get(0);
    ///     println!("{} arguments, first {first:?}", args.len());
    /// });
    /// // A mismatch answered: the client's ack gets an error rather than nothing.
    /// socket.on("age", |_s, age: Result<u8, socketio::BindError>, ack| match age {
    ///     Ok(age) => { let _ = ack.send(&age); }
    ///     Err(e) => { let _ = ack.send(&serde_json::json!({ "error": e.to_string() })); }
    /// });
    /// // Mismatches no handler takes (and packet middleware refusals).
    /// socket.on_error(|s, message| eprintln!("{}: {message}", s.id()));
    /// # }
    /// ```
    ///
    /// Several handlers per event run in registration order.
    /// Handlers of one socket run one at a time in arrival order; spawn a task for slow work.
    /// Events that arrive before the connection handlers have run wait for them, so a handler
    /// registered there sees the client's first event.
    ///
    /// # Panics in user code
    /// A panic in a handler (of an event, any-event or packet middleware, `error`, an
    /// [`on_async`](Socket::on_async) task), a connection handler, a namespace middleware, a
    /// dynamic namespace's predicate, a `disconnecting`/`disconnect` handler or a room
    /// listener is caught and logged at `error` (target `socketio::socket`, with the
    /// namespace, socket id and callback or event name, never the payload), and costs that
    /// client's connection only: every socket of it disconnects with
    /// [`DisconnectReason::ForcedServerClose`] (its disconnect handlers run once, it leaves
    /// every room), and the Engine.IO session and its TCP connection close. A panic in a
    /// disconnect handler does not stop the socket's cleanup. A server-side event listener
    /// ([`Namespace::on_server_event`](crate::Namespace::on_server_event)) has no connection:
    /// its panic is logged and the other listeners run. Every other connection is served as
    /// before. (Node's server, by contrast, exits on an uncaught exception in a handler.)
    pub fn on<T, F>(&self, event: impl Into<String>, handler: F)
    where
        T: DeserializeOwned + 'static,
        F: Fn(Socket, T, AckSender) + Send + Sync + 'static,
    {
        let event = event.into();
        let binding = Binding::of::<T>();
        let f: EventFn = Arc::new(move |socket, name, args, attachments, ack| {
            match binding.bind::<T>(args, attachments) {
                Ok(data) => handler(socket.clone(), data, ack),
                Err(e) => {
                    tracing::warn!(
                        target: "socketio::socket",
                        nsp = socket.ns_name(),
                        socket = socket.id(),
                        event = %name,
                        arrived = %e.arrived(),
                        error = %e.reason(),
                        "event {name:?}: {e}; the handler did not run"
                    );
                    if socket.has_error_handlers() {
                        socket.report_error(&format!("event {name:?}: {e}"));
                    }
                }
            }
        });
        self.handlers()
            .push(Handler::Event(event.into_boxed_str(), f));
    }

    /// As [`Socket::on`], for an async handler: each event runs in its own task, so events of
    /// one socket may complete out of order.
    pub fn on_async<T, F, Fut>(&self, event: impl Into<String>, handler: F)
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Socket, T, AckSender) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let event = event.into();
        let name: Arc<str> = Arc::from(event.as_str());
        self.on(event, move |socket, data: T, ack| {
            let fut = handler(socket.clone(), data, ack);
            let name = name.clone();
            tokio::spawn(async move {
                if guard::call_async(socket.site(&name), fut).await.is_none() {
                    socket.0.client.abort();
                }
            });
        });
    }

    /// Removes every handler of `event`.
    pub fn off(&self, event: &str) {
        self.handlers()
            .0
            .retain(|h| !matches!(h, Handler::Event(name, _) if &**name == event));
    }

    /// A handler called for every incoming event, before the event's own handlers.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(Socket, &str, &Args) + Send + Sync + 'static,
    {
        self.handlers().push(Handler::Any(Arc::new(handler)));
    }

    /// As [`Socket::on_any`], placed before the others.
    pub fn prepend_any<F>(&self, handler: F)
    where
        F: Fn(Socket, &str, &Args) + Send + Sync + 'static,
    {
        self.handlers().0.insert(0, Handler::Any(Arc::new(handler)));
    }

    /// Removes every catch-all handler.
    pub fn off_any(&self) {
        self.handlers().0.retain(|h| !matches!(h, Handler::Any(_)));
    }

    /// A handler called for every outgoing event of this socket (Node's `onAnyOutgoing`):
    /// its own emits, and every broadcast that reaches it. Acks are not events.
    pub fn on_any_outgoing<F>(&self, handler: F)
    where
        F: Fn(Socket, &str, &Args) + Send + Sync + 'static,
    {
        self.handlers()
            .push(Handler::AnyOutgoing(Arc::new(handler)));
        self.0.ns.tap_outgoing();
    }

    /// Tells this socket's outgoing-event listeners of a broadcast event it was sent;
    /// `args` caches the event's name and arguments for the other recipients.
    pub(crate) fn notify_outgoing(&self, packet: &Packet, args: &mut Option<(String, Args)>) {
        let outgoing = {
            let outgoing = self.handlers().any_outgoing();
            if outgoing.is_empty() {
                return;
            }
            outgoing
        };
        let socketio_protocol::PacketData::Event { payload, .. } = &packet.data else {
            return;
        };
        if args.is_none() {
            let Some(name) = payload.event_name().map(|e| e.into_owned()) else {
                return;
            };
            let mut all = payload_args(payload);
            if !all.0.is_empty() {
                all.0.remove(0);
            }
            *args = Some((name, all));
        }
        let Some((name, all)) = args.as_ref() else {
            return;
        };
        let site = self.site("outgoing");
        for f in outgoing {
            guard::call(site, || f(self.clone(), name, all));
        }
    }

    /// A per-packet middleware (Node's `socket.use`): runs before the handlers of every
    /// incoming event; an `Err` stops the event and is passed to the [`Socket::on_error`]
    /// handlers. Nothing is sent to the client.
    pub fn use_packet<F>(&self, middleware: F)
    where
        F: Fn(Socket, &str, &Args) -> Result<(), String> + Send + Sync + 'static,
    {
        self.handlers()
            .push(Handler::Middleware(Arc::new(middleware)));
    }

    /// A handler for the socket's `error` event: the refusals of per-packet middleware
    /// ([`Socket::use_packet`]), and the arguments of an event that did not fit a handler
    /// that does not take them as a `Result` (see [`Socket::on`]), as
    /// ``event "m": integer 42: invalid type: integer `42`, expected a string``.
    pub fn on_error<F>(&self, handler: F)
    where
        F: Fn(Socket, &str) + Send + Sync + 'static,
    {
        self.handlers().push(Handler::Error(Arc::new(handler)));
    }

    /// A handler called when the socket is about to disconnect; its rooms are still readable.
    pub fn on_disconnecting<F>(&self, handler: F)
    where
        F: Fn(Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.handlers()
            .push(Handler::Disconnecting(Arc::new(handler)));
    }

    /// A handler called when the socket has disconnected.
    ///
    /// Registered by a connection handler, it sees every disconnect, as in Node: a
    /// disconnect that comes from elsewhere while the connection handlers run (the
    /// connection closing, read on another worker; `disconnect` from another task) waits
    /// until they have returned. One the connection handler causes itself (its own
    /// [`Socket::disconnect`]) happens at once, and reaches only the handlers registered
    /// before it.
    pub fn on_disconnect<F>(&self, handler: F)
    where
        F: Fn(Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.handlers().push(Handler::Disconnect(Arc::new(handler)));
    }

    /// Emits `event` to this client. One value is one argument, whatever its Rust type (an
    /// array, a slice, a `Vec`, a struct), as in Node's `emit(event, value)`; several
    /// arguments are a tuple (or an [`Args`]), and `()` is none. `bytes::Bytes` anywhere goes
    /// as binary. The same rule holds for [`AckSender::send`], the broadcast operators and the
    /// Redis emitter.
    ///
    /// | `data` | the client's handler gets | Node |
    /// |---|---|---|
    /// | `&"hi"`, `&42`, a struct, a `serde_json::Value` | one argument | `emit("m", value)` |
    /// | `&[1, 2, 3]`, `&vec![1, 2, 3]`, `&v[..]` | one argument, `[1, 2, 3]` | `emit("m", [1, 2, 3])` |
    /// | `&(1, "a")` | two arguments, `1` and `"a"` | `emit("m", 1, "a")` |
    /// | `&([1, 2],)` | one argument, `[1, 2]` | `emit("m", [1, 2])` |
    /// | `&()` | no argument | `emit("m")` |
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.emit("an event", &serde_json::json!({"some": "data"}));
    /// let _ = socket.emit("scores", &[1, 2, 3]); // one argument, an array
    /// let _ = socket.emit("move", &(3, 4)); // two arguments
    /// // Binary anywhere, as Node's `Buffer`.
    /// let _ = socket.emit("file", &("name.bin", bytes::Bytes::from_static(&[1, 2, 3])));
    /// # }
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emit_with(event, data, true)
    }

    /// [`Socket::emit`] with a compression wish (`false`: [`Socket::compress`]`(false)`).
    pub(crate) fn emit_with<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        compress: bool,
    ) -> Result<(), EmitError> {
        self.emit_flagged(event, data, compress, false)
    }

    /// [`Socket::emit_with`], `volatile` telling whether it may be dropped: with connection
    /// state recovery on, an emit that is not is kept with an offset, as Node sends it through
    /// the adapter to the socket's own room.
    pub(crate) fn emit_flagged<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        compress: bool,
        volatile: bool,
    ) -> Result<(), EmitError> {
        let mut packet = self.event_packet(event, data, None)?;
        if !self.connected() {
            return Err(EmitError::Disconnected);
        }
        if !volatile && self.0.recovery.is_some() {
            if let (Some(r), PacketData::Event { payload, .. }) =
                (self.0.ns.recovery(), &mut packet.data)
            {
                let opts = crate::adapter::BroadcastOptions {
                    rooms: vec![crate::Room::from(self.0.id.clone())],
                    ..Default::default()
                };
                r.stamp(payload, &opts);
            }
        }
        self.0.client.send_with(&packet, compress)
    }

    /// Emits `event` and waits for the client's acknowledgement; resolves to its first
    /// argument. Without [`Socket::timeout`] it waits until the socket disconnects.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.emit_with_ack_timeout(event, data, None).await
    }

    /// Bounds the next acknowledgement: `socket.timeout(d).emit_with_ack(...)` fails with
    /// `operation has timed out` when no answer comes within `d`.
    pub fn timeout(&self, timeout: Duration) -> TimeoutSocket<'_> {
        TimeoutSocket {
            socket: self,
            timeout,
        }
    }

    pub(crate) async fn emit_with_ack_timeout<T, R>(
        &self,
        event: &str,
        data: &T,
        timeout: Option<Duration>,
    ) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let args = self.emit_with_ack_args(event, data, timeout).await?;
        let first = args.0.into_iter().next().unwrap_or_default();
        socketio_protocol::from_value(first.value, &first.attachments)
            .map_err(|e| AckError::Deserialize(e.to_string()))
    }

    /// Emits `event` and waits for every argument of the acknowledgement.
    pub async fn emit_with_ack_args<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        timeout: Option<Duration>,
    ) -> Result<Args, AckError> {
        let id = self.0.ns.next_ack_id();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.register_ack(
            id,
            Box::new(move |args| {
                if let Some(args) = args {
                    let _ = tx.send(args);
                }
            }),
        );
        // However this ends (an answer, an error, a timeout, or the future dropped by its
        // caller), the waiter does not outlive it.
        let _forget = ForgetAck {
            acks: &self.0.acks,
            id,
        };
        let packet = self.event_packet(event, data, Some(id))?;
        self.send_packet(&packet)?;
        let answer = match timeout {
            Some(d) => tokio::time::timeout(d, rx)
                .await
                .map_err(|_| AckError::Timeout)?,
            None => rx.await,
        };
        answer.map_err(|_| AckError::Disconnected)
    }

    pub(crate) fn register_ack(&self, id: u64, waiter: AckWaiter) {
        self.0.acks.register(id, waiter);
    }

    /// Drops the waiter of ack `id`, if it is still there.
    pub(crate) fn forget_ack(&self, id: u64) {
        self.0.acks.forget(id);
    }

    /// What other nodes see of this socket (`fetch_sockets`).
    pub(crate) fn socket_data(&self) -> crate::adapter::SocketData {
        crate::adapter::SocketData {
            id: self.id().to_owned(),
            handshake: self.handshake().clone(),
            rooms: self.rooms(),
            data: self.tagged_data(),
        }
    }

    fn event_packet<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        ack: Option<u64>,
    ) -> Result<Packet, EmitError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let payload = to_payload(Some(event), data)?;
        let outgoing = self.handlers().any_outgoing();
        if !outgoing.is_empty() {
            let mut args = payload_args(&payload);
            // The event name is not an argument.
            if !args.0.is_empty() {
                args.0.remove(0);
            }
            for f in outgoing {
                f(self.clone(), event, &args);
            }
        }
        Ok(Packet::event(self.ns_name(), payload, ack))
    }

    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), EmitError> {
        if !self.connected() && !matches!(packet.data, PacketData::Connect(_)) {
            return Err(EmitError::Disconnected);
        }
        self.0.client.send(packet)
    }

    /// Disconnects this socket from its namespace (`41` to the client, reason `server
    /// namespace disconnect`). With `close`, every namespace of the connection is left and the
    /// connection itself is closed.
    pub fn disconnect(&self, close: bool) {
        if close {
            self.0.client.disconnect_all();
        } else if self.connected() {
            let _ = self.send_packet(&Packet::disconnect(self.ns_name()));
            self.on_close(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    /// Joins `room` (Node's `socket.join`). Refused past the namespace's room limits
    /// ([`RoomLimits`](crate::RoomLimits)).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// if let Err(e) = socket.join("room 237") {
    ///     eprintln!("not joined: {e}"); // Node's `join(room, fn)` error
    /// }
    /// # }
    /// ```
    pub fn join(&self, room: impl crate::IntoRoom) -> Result<(), crate::JoinError> {
        self.join_all([room.into_room()])
    }

    /// Joins several rooms, all or none.
    pub fn join_all(
        &self,
        rooms: impl IntoIterator<Item = impl crate::IntoRoom>,
    ) -> Result<(), crate::JoinError> {
        if !self.connected() {
            // A socket that has left keeps no room entry (a handler still holding it).
            return Ok(());
        }
        let rooms: Vec<crate::Room> = rooms.into_iter().map(crate::IntoRoom::into_room).collect();
        let events = self.0.ns.0.rooms.add_all(self.id_arc(), &rooms)?;
        if !self.0.ns.room_events(events) {
            self.0.client.abort();
        }
        // Left meanwhile (on another worker): its rooms were removed before this join.
        if !self.connected() {
            let events = self.0.ns.0.rooms.del_all(self.id_arc());
            self.0.ns.room_events(events);
        }
        Ok(())
    }

    /// Leaves `room` (any room type [`join`](Socket::join) takes).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket, name: String) {
    /// socket.leave("room 237");
    /// socket.leave(&name);
    /// socket.leave(name);
    /// # }
    /// ```
    pub fn leave(&self, room: impl crate::IntoRoom) {
        let room = room.into_room();
        let events = self.0.ns.0.rooms.del(self.id_arc(), &room);
        if !self.0.ns.room_events(events) {
            self.0.client.abort();
        }
    }

    /// The rooms this socket is in; always holds its own id while connected.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.join("room 237");
    /// assert!(socket.rooms().iter().any(|r| &**r == "room 237"));
    /// assert!(socket.rooms().iter().any(|r| &**r == socket.id()));
    /// # }
    /// ```
    pub fn rooms(&self) -> Vec<crate::Room> {
        self.0.ns.0.rooms.socket_rooms(self.id())
    }

    /// Handles a packet for this socket's namespace (CONNECT is the client's business).
    ///
    /// Until the connection handlers have run ([`Socket::open`]), packets are held: a client
    /// that emits as soon as it is connected must find the handlers those register (with an
    /// async middleware, its CONNECT answer goes out from the middleware's task, and its next
    /// packet may be read on another worker meanwhile).
    pub(crate) fn on_packet(&self, data: PacketData) {
        if self.0.phase.load(Ordering::Acquire) != OPEN {
            let mut held = self.0.held.lock().unwrap_or_else(|e| e.into_inner());
            // Checked again under the lock: `open` sets it while holding it.
            if self.0.phase.load(Ordering::Acquire) != OPEN {
                held.push(Held::Packet(data));
                return;
            }
        }
        self.dispatch(data);
    }

    /// The connection handlers have run: dispatches what was held, in order, then lets packets
    /// through. Packets that come while the held ones are dispatched queue behind them.
    pub(crate) fn open(&self) {
        // The connection handlers have registered what most sockets keep for life: the lists
        // give back what their growth left over (a socket with five events would otherwise
        // hold room for eight).
        self.handlers().shrink_to_fit();
        loop {
            let batch = {
                let mut held = self.0.held.lock().unwrap_or_else(|e| e.into_inner());
                if held.is_empty() {
                    self.0.phase.store(OPEN, Ordering::Release);
                    *held = Vec::new();
                    return;
                }
                std::mem::take(&mut *held)
            };
            for item in batch {
                match item {
                    Held::Packet(data) => self.dispatch(data),
                    Held::Close(reason) => self.on_close(reason),
                }
            }
        }
    }

    /// Opening ended without [`Socket::open`] (a connection handler panicked, the connection
    /// went): held packets are dropped, a held close runs.
    fn abandon_opening(&self) {
        let held = {
            let mut held = self.0.held.lock().unwrap_or_else(|e| e.into_inner());
            if self.0.phase.load(Ordering::Acquire) == OPEN {
                return;
            }
            self.0.phase.store(OPEN, Ordering::Release);
            std::mem::take(&mut *held)
        };
        for item in held {
            if let Held::Close(reason) = item {
                self.on_close(reason);
            }
        }
    }

    fn dispatch(&self, data: PacketData) {
        match data {
            PacketData::Event { payload, ack } => self.on_event(payload, ack),
            PacketData::Ack { payload, ack } => self.0.acks.resolve(ack, payload),
            PacketData::Disconnect => self.on_close(DisconnectReason::ClientNamespaceDisconnect),
            PacketData::Connect(_) | PacketData::ConnectError(_) => {}
        }
    }

    fn on_event(&self, payload: Payload, ack: Option<u64>) {
        let Payload { data, attachments } = payload;
        let Value::Array(mut values) = data else {
            return;
        };
        // The name is the first element, taken out of the arguments as it is (no copy).
        let event = match values.first() {
            Some(Value::String(_)) => match values.remove(0) {
                Value::String(name) => name,
                _ => return,
            },
            Some(Value::Number(n)) => {
                let name = n.to_string();
                values.remove(0);
                name
            }
            _ => return,
        };
        tracing::trace!(target: "socketio::packet", socket = %self.id(), %event, "event");
        // Cloned out of the lock; a lone handler without a list.
        let ForEvent {
            middleware,
            any,
            first,
            more,
        } = self.handlers().for_event(&event);
        let site = self.site(&event);
        if !middleware.is_empty() || !any.is_empty() {
            let args = payload_args(&Payload::with_attachments(
                Value::Array(values.clone()),
                attachments.clone(),
            ));
            for f in any {
                if guard::call(site, || f(self.clone(), &event, &args)).is_none() {
                    return self.0.client.abort();
                }
            }
            for m in middleware {
                let Some(result) = guard::call(site, || m(self.clone(), &event, &args)) else {
                    return self.0.client.abort();
                };
                if let Err(e) = result {
                    if guard::call(site, || self.report_error(&e)).is_none() {
                        return self.0.client.abort();
                    }
                    return;
                }
            }
        }
        let ack = AckSender::new(self, ack);
        let last = more.len();
        for (i, h) in first.iter().chain(more.iter()).enumerate() {
            let args = if i == last {
                std::mem::take(&mut values)
            } else {
                values.clone()
            };
            let ack = ack.clone();
            if guard::call(site, || h(self, &event, args, &attachments, ack)).is_none() {
                return self.0.client.abort();
            }
        }
    }

    fn has_error_handlers(&self) -> bool {
        self.handlers().has_error()
    }

    /// Calls the `error` handlers with `message` (a panic in one propagates: the caller runs
    /// this inside its guard).
    fn report_error(&self, message: &str) {
        let error = self.handlers().error();
        for f in error {
            f(self.clone(), message);
        }
    }

    /// Where this socket's user code runs, for the panic log.
    pub(crate) fn site<'a>(&'a self, what: &'a str) -> Site<'a> {
        Site {
            nsp: self.ns_name(),
            socket: self.id(),
            what,
        }
    }

    /// The socket leaves: `disconnecting` handlers (rooms readable), rooms left, pending acks
    /// failed, `disconnect` handlers. Once.
    pub(crate) fn on_close(&self, reason: DisconnectReason) {
        if self.0.phase.load(Ordering::Acquire) == OPENING && !self.opening_here() {
            let mut held = self.0.held.lock().unwrap_or_else(|e| e.into_inner());
            // Checked again under the lock: `open` leaves OPENING while holding it.
            if self.0.phase.load(Ordering::Acquire) == OPENING {
                if !held.iter().any(|h| matches!(h, Held::Close(_))) {
                    held.push(Held::Close(reason));
                }
                return;
            }
        }
        if !self.0.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(target: "socketio::socket", socket = %self.id(), nsp = %self.ns_name(), %reason, "disconnect");
        // A panic in a handler here still lets the socket leave everything; the connection
        // closes after.
        let mut panicked = false;
        let disconnecting = self.handlers().disconnecting();
        for f in disconnecting {
            panicked |=
                guard::call(self.site("disconnecting"), || f(self.clone(), reason)).is_none();
        }
        if let (Some(info), true) = (&self.0.recovery, reason.is_recoverable()) {
            if let Some(r) = self.0.ns.recovery() {
                r.store.persist(crate::adapter::recovery::PersistedSession {
                    sid: self.id().to_owned(),
                    pid: info.pid.to_string(),
                    rooms: self.rooms(),
                    data: self.data_value(),
                    joined_at: info.joined_at.clone(),
                });
            }
        }
        panicked |= !self.0.ns.remove(self);
        self.0.client.remove(self.ns_name());
        self.0.acks.clear();
        let disconnect = self.handlers().take_disconnect();
        for f in disconnect {
            panicked |= guard::call(self.site("disconnect"), || f(self.clone(), reason)).is_none();
        }
        // Handlers may hold clones of this socket: drop them so nothing outlives it.
        *self.handlers() = Handlers::default();
        if panicked {
            self.0.client.abort();
        }
    }
}

/// [`SocketInner::phase`]: made, not yet connected.
const NEW: u8 = 0;
/// [`SocketInner::phase`]: connected, the connection handlers to run or running.
const OPENING: u8 = 1;
/// [`SocketInner::phase`]: the connection handlers have run.
const OPEN: u8 = 2;

thread_local! {
    /// The socket whose connection handlers this thread is running (its address), if any:
    /// a close from these handlers runs at once, as in Node.
    static OPENING_HERE: Cell<usize> = const { Cell::new(0) };
}

/// What came for a socket before its connection handlers had run.
enum Held {
    Packet(PacketData),
    Close(DisconnectReason),
}

/// A socket being opened on this thread ([`Socket::begin_open`]). Dropped without
/// [`Socket::open`] (a connection handler panicked, the connection closed first), the socket
/// opens anyway, held packets dropped, so a close held meanwhile still runs.
pub(crate) struct Opening {
    socket: Socket,
    outer: usize,
}

impl Drop for Opening {
    fn drop(&mut self) {
        OPENING_HERE.with(|c| c.set(self.outer));
        self.socket.abandon_opening();
    }
}

/// Removes a pending ack when dropped (a no-op once it has been answered).
struct ForgetAck<'a> {
    acks: &'a PendingAcks,
    id: u64,
}

impl Drop for ForgetAck<'_> {
    fn drop(&mut self) {
        self.acks.forget(self.id);
    }
}

/// The args of a payload as [`Args`] (binary kept).
fn payload_args(payload: &Payload) -> Args {
    Args(
        payload
            .elements()
            .iter()
            .map(|v| {
                socketio_protocol::AnyValue::from_parts(v.clone(), &payload.attachments)
                    .unwrap_or_else(|_| socketio_protocol::AnyValue::new(v.clone()))
            })
            .collect(),
    )
}

/// A socket with a bound on its next acknowledgement; see [`Socket::timeout`].
#[derive(Debug)]
pub struct TimeoutSocket<'a> {
    socket: &'a Socket,
    timeout: Duration,
}

impl TimeoutSocket<'_> {
    /// [`Socket::emit_with_ack`] failing with [`AckError::Timeout`] after the bound.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.socket
            .emit_with_ack_timeout(event, data, Some(self.timeout))
            .await
    }

    /// [`Socket::emit_with_ack_args`] with the bound.
    pub async fn emit_with_ack_args<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Args, AckError> {
        self.socket
            .emit_with_ack_args(event, data, Some(self.timeout))
            .await
    }
}
