//! Namespaces: a name, its sockets and rooms, its middleware and handlers, its adapter.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};

use serde::Serialize;
use socketio_protocol::{Packet, Payload, ProtocolRevision};
use tokio::sync::mpsc;

use crate::adapter::recovery::SessionStore;
use crate::adapter::{
    Adapter, AdapterFactory, BroadcastOptions, ClusterPacket, ClusterRequest, ClusterResponse,
    LocalNamespace, NamespaceHandle,
};
use crate::args::{payload_to_args, Args};
use crate::config::ConnectionStateRecovery;
use crate::error::{BroadcastAckError, EmitError, MiddlewareError};
use crate::guard::{self, Site};
use crate::rooms::{RoomEvent, RoomLimits, Rooms};
use crate::socket::{DisconnectReason, Socket};
use crate::state::AppState;
use crate::wire::{Truncated, Wire};
use crate::{AnyValue, Room};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type MiddlewareFn = Arc<dyn Fn(Socket) -> BoxFuture<Result<(), MiddlewareError>> + Send + Sync>;
type ConnectionFn = Arc<dyn Fn(Socket) + Send + Sync>;
type DataChangeFn = Arc<dyn Fn(&Socket) + Send + Sync>;
type RoomEventFn = Arc<dyn Fn(&RoomEvent) + Send + Sync>;
type ServerEventFn = Arc<dyn Fn(Args, ServerAck) + Send + Sync>;

#[derive(Default)]
struct Listeners {
    middleware: Vec<MiddlewareFn>,
    connection: Vec<ConnectionFn>,
    room_events: Vec<RoomEventFn>,
    data_change: Vec<DataChangeFn>,
    server_events: HashMap<String, Vec<ServerEventFn>>,
}

pub(crate) struct NamespaceInner {
    name: String,
    sockets: RwLock<HashMap<Arc<str>, Socket>>,
    listeners: RwLock<Listeners>,
    pub(crate) rooms: Rooms,
    adapter: RwLock<Arc<dyn Adapter>>,
    /// `connectionStateRecovery`, as the server was configured.
    recovery_config: Option<ConnectionStateRecovery>,
    /// Its store, when recovery is on and the adapter keeps sessions.
    recovery: RwLock<Option<Arc<Recovery>>>,
    /// Clients between resolving this namespace and joining it (or being refused).
    connecting: AtomicUsize,
    /// Ack ids, shared by the sockets of the namespace as in Node, so one broadcast with acks
    /// uses one id for all its recipients.
    ack_ids: AtomicU64,
    /// Set on a dynamic parent: its children, owned by the registry.
    children: OnceLock<Weak<ChildList>>,
    /// The server's shared app state.
    state: AppState,
    /// Set once a socket here has an outgoing-event listener ([`Socket::on_any_outgoing`]):
    /// broadcasts then tell each recipient's listeners (Node's `onAnyOutgoing`).
    outgoing_taps: AtomicBool,
}

/// Connection state recovery in one namespace: the adapter's store, and the gate that keeps a
/// recovering socket's catch-up and its joining apart from broadcasts in flight.
pub(crate) struct Recovery {
    pub(crate) store: Arc<dyn SessionStore>,
    /// Read by a broadcast while it records its packet and delivers it; written while a
    /// recovered socket takes what was recorded since its restore and joins its rooms, so
    /// that every packet reaches it exactly once: replayed, or delivered live.
    gate: RwLock<()>,
    pub(crate) skip_middlewares: bool,
}

impl Recovery {
    pub(crate) fn read_gate(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write_gate(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an event about to go out to `opts`: its offset is appended to `payload`.
    pub(crate) fn stamp(&self, payload: &mut Payload, opts: &BroadcastOptions) {
        let mut packet = ClusterPacket {
            data: std::mem::take(&mut payload.data),
            attachments: std::mem::take(&mut payload.attachments),
        };
        self.store.record(&mut packet, opts);
        payload.data = packet.data;
        payload.attachments = packet.attachments;
    }
}

fn make_recovery(
    adapter: &dyn Adapter,
    config: Option<&ConnectionStateRecovery>,
) -> Option<Arc<Recovery>> {
    let config = config?;
    let store = adapter.session_store(config)?;
    Some(Arc::new(Recovery {
        store,
        gate: RwLock::new(()),
        skip_middlewares: config.skip_middlewares,
    }))
}

/// The children of a dynamic parent namespace, in creation order.
pub(crate) type ChildList = RwLock<Vec<Namespace>>;

/// A namespace (Node's `io.of(name)`): a cheap-clone handle.
///
/// ```no_run
/// # fn f(io: socketio::Server) {
/// let chat = io.of("/chat");
/// chat.middleware(|socket| async move {
///     match socket.handshake().auth.get("token") {
///         Some(_) => Ok(()),
///         None => Err(socketio::MiddlewareError::new("not authorized")),
///     }
/// });
/// chat.on_connection(|socket| {
///     let _ = socket.emit("welcome", &"hi");
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NamespaceInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.0.name)
            .finish_non_exhaustive()
    }
}

impl LocalNamespace for NamespaceInner {
    fn apply_remote(
        self: Arc<Self>,
        request: ClusterRequest,
        reply: mpsc::UnboundedSender<ClusterResponse>,
    ) {
        Namespace(self).apply_remote(request, reply);
    }
}

impl Namespace {
    pub(crate) fn new(
        name: String,
        factory: &dyn AdapterFactory,
        limits: RoomLimits,
        recovery: Option<ConnectionStateRecovery>,
        state: &AppState,
    ) -> Self {
        Namespace(Arc::new_cyclic(|weak: &Weak<NamespaceInner>| {
            let handle: Weak<dyn LocalNamespace> = weak.clone();
            let adapter = factory.create(NamespaceHandle::new(handle, &name));
            NamespaceInner {
                name,
                sockets: RwLock::new(HashMap::new()),
                listeners: RwLock::new(Listeners::default()),
                rooms: Rooms::new(limits),
                recovery: RwLock::new(make_recovery(adapter.as_ref(), recovery.as_ref())),
                recovery_config: recovery,
                adapter: RwLock::new(adapter),
                connecting: AtomicUsize::new(0),
                ack_ids: AtomicU64::new(0),
                children: OnceLock::new(),
                state: state.clone(),
                outgoing_taps: AtomicBool::new(false),
            }
        }))
    }

    /// The name, such as `/` or `/chat`.
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// assert_eq!(io.of("/chat").name(), "/chat");
    /// ```
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// A clone of the server's shared value of type `T` ([`Server::set_state`](crate::Server::set_state)).
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.state.get()
    }

    /// This namespace's adapter.
    pub fn adapter(&self) -> Arc<dyn Adapter> {
        self.0
            .adapter
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_adapter(&self, factory: &dyn AdapterFactory) {
        let weak: Weak<dyn LocalNamespace> = Arc::downgrade(&self.0) as Weak<NamespaceInner>;
        let adapter = factory.create(NamespaceHandle::new(weak, &self.0.name));
        *self.0.recovery.write().unwrap_or_else(|e| e.into_inner()) =
            make_recovery(adapter.as_ref(), self.0.recovery_config.as_ref());
        *self.0.adapter.write().unwrap_or_else(|e| e.into_inner()) = adapter;
    }

    /// What this namespace's connection state recovery store holds (sessions, packets kept
    /// for replay, their bytes); `None` when recovery is off here (not configured, or the
    /// adapter keeps no sessions) or the store does not tell.
    pub fn recovery_usage(&self) -> Option<crate::adapter::recovery::StoreUsage> {
        self.recovery()?.store.usage()
    }

    /// Connection state recovery here, when it is on and the adapter keeps sessions.
    pub(crate) fn recovery(&self) -> Option<Arc<Recovery>> {
        self.0.recovery_config?;
        self.0
            .recovery
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes this namespace a dynamic parent of `children`.
    pub(crate) fn set_children(&self, children: Weak<ChildList>) {
        let _ = self.0.children.set(children);
    }

    /// The children made so far if this is a dynamic parent, `None` for any other namespace.
    pub(crate) fn children(&self) -> Option<Vec<Namespace>> {
        let children = self.0.children.get()?;
        Some(
            children
                .upgrade()
                .map(|c| c.read().unwrap_or_else(|e| e.into_inner()).clone())
                .unwrap_or_default(),
        )
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.0.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    fn listeners(&self) -> std::sync::RwLockReadGuard<'_, Listeners> {
        self.0.listeners.read().unwrap_or_else(|e| e.into_inner())
    }

    fn listeners_mut(&self) -> std::sync::RwLockWriteGuard<'_, Listeners> {
        self.0.listeners.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an async middleware (Node's `namespace.use`), run in order for every client
    /// joining this namespace, before it is connected. An `Err` refuses the client with
    /// CONNECT_ERROR; the connection stays open.
    #[doc(alias = "use")]
    pub fn middleware<F, Fut>(&self, f: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), MiddlewareError>> + Send + 'static,
    {
        let f: MiddlewareFn = Arc::new(move |s| Box::pin(f(s)));
        self.listeners_mut().middleware.push(f);
    }

    /// Adds a connection handler (Node's `connection`/`connect` event).
    #[doc(alias = "connect")]
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// io.of("/chat").on_connection(|socket| {
    ///     let _ = socket.emit("welcome", socket.id());
    /// });
    /// ```
    pub fn on_connection<F>(&self, f: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        self.listeners_mut().connection.push(Arc::new(f));
    }

    /// As [`Namespace::on_connection`], run before the handlers added so far (Node's
    /// `prependListener("connection")`): instrumentation that must see a socket before the
    /// app's handlers act on it.
    pub fn prepend_connection<F>(&self, f: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        self.listeners_mut().connection.insert(0, Arc::new(f));
    }

    /// A listener called after every [`Socket::set_data`] here (what Node's Admin UI learns
    /// by wrapping `socket.data` in a `Proxy`).
    pub fn on_data_change<F>(&self, f: F)
    where
        F: Fn(&Socket) + Send + Sync + 'static,
    {
        self.listeners_mut().data_change.push(Arc::new(f));
    }

    /// Tells the [`Namespace::on_data_change`] listeners.
    pub(crate) fn data_changed(&self, socket: &Socket) {
        let listeners = {
            let l = self.listeners();
            if l.data_change.is_empty() {
                return;
            }
            l.data_change.clone()
        };
        let site = Site {
            nsp: self.name(),
            socket: socket.id(),
            what: "data change",
        };
        for f in listeners {
            guard::call(site, || f(socket));
        }
    }

    /// A socket here has outgoing-event listeners from now on.
    pub(crate) fn tap_outgoing(&self) {
        self.0.outgoing_taps.store(true, Ordering::Release);
    }

    /// A listener for membership changes (Node's adapter events `create-room`, `delete-room`,
    /// `join-room`, `leave-room`), for presence.
    pub fn on_room_event<F>(&self, f: F)
    where
        F: Fn(&RoomEvent) + Send + Sync + 'static,
    {
        self.listeners_mut().room_events.push(Arc::new(f));
    }

    /// A listener for events other nodes send with [`Namespace::server_side_emit`] (Node's
    /// `io.on(event)` for server-side events). Answer with the [`ServerAck`] when the sender
    /// asked for acks.
    pub fn on_server_event<F>(&self, event: impl Into<String>, f: F)
    where
        F: Fn(Args, ServerAck) + Send + Sync + 'static,
    {
        self.listeners_mut()
            .server_events
            .entry(event.into())
            .or_default()
            .push(Arc::new(f));
    }

    /// A dynamic child gets its parent's middleware and connection handlers as they are now.
    pub(crate) fn inherit(&self, parent: &Namespace) {
        let (middleware, connection) = {
            let p = parent.listeners();
            (p.middleware.clone(), p.connection.clone())
        };
        let mut l = self.listeners_mut();
        l.middleware.extend(middleware);
        l.connection.extend(connection);
    }

    /// A client resolved this namespace and is about to join it.
    pub(crate) fn begin_connect(&self) {
        self.0.connecting.fetch_add(1, Ordering::AcqRel);
    }

    /// That client joined, or was refused, or went away.
    pub(crate) fn end_connect(&self) {
        self.0.connecting.fetch_sub(1, Ordering::AcqRel);
    }

    /// No socket, and no client on its way in: a dynamic child may be removed.
    pub(crate) fn is_idle(&self) -> bool {
        self.0.connecting.load(Ordering::Acquire) == 0 && self.is_empty()
    }

    pub(crate) fn has_middleware(&self) -> bool {
        !self.listeners().middleware.is_empty()
    }

    /// The middleware chain for `socket`; `None` when one panicked (logged).
    pub(crate) async fn run_middleware(
        &self,
        socket: &Socket,
    ) -> Option<Result<(), MiddlewareError>> {
        let chain = self.listeners().middleware.clone();
        let site = socket.site("middleware");
        for m in chain {
            let fut = guard::call(site, || m(socket.clone()))?;
            if let Err(e) = guard::call_async(site, fut).await? {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// The connection handlers for `socket`; false when one panicked (logged).
    pub(crate) fn run_connection_handlers(&self, socket: &Socket) -> bool {
        let handlers = self.listeners().connection.clone();
        let site = socket.site("connection");
        handlers
            .iter()
            .all(|h| guard::call(site, || h(socket.clone())).is_some())
    }

    /// Tells the room listeners; false when one panicked (logged; the others still ran).
    pub(crate) fn room_events(&self, events: Vec<RoomEvent>) -> bool {
        if events.is_empty() {
            return true;
        }
        let listeners = self.listeners().room_events.clone();
        let site = Site {
            nsp: self.name(),
            socket: "",
            what: "room listener",
        };
        let mut ok = true;
        for e in &events {
            for l in &listeners {
                ok &= guard::call(site, || l(e)).is_some();
            }
        }
        ok
    }

    /// Adds a connected socket; false when a room listener panicked.
    pub(crate) fn add(&self, socket: &Socket) -> bool {
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id_arc().clone(), socket.clone());
        // The own-id room is always within the limits: a socket is in no other room yet.
        if let Ok(events) = self
            .0
            .rooms
            .add_all(socket.id_arc(), &[Room::from(socket.id_arc().clone())])
        {
            return self.room_events(events);
        }
        true
    }

    /// Adds a recovered socket to the namespace and to `rooms`, telling no listener: the
    /// caller holds the recovery gate, and tells them after ([`Namespace::room_events`]).
    pub(crate) fn add_quiet(&self, socket: &Socket, rooms: &[Room]) -> Vec<RoomEvent> {
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id_arc().clone(), socket.clone());
        let mut all = Vec::with_capacity(rooms.len() + 1);
        all.push(Room::from(socket.id_arc().clone()));
        all.extend(rooms.iter().filter(|r| ***r != *socket.id()).cloned());
        match self.0.rooms.add_all(socket.id_arc(), &all) {
            Ok(events) => events,
            // Past the room limits (lowered since): the own room alone.
            Err(_) => self
                .0
                .rooms
                .add_all(socket.id_arc(), &all[..1])
                .unwrap_or_default(),
        }
    }

    /// Removes a socket from the namespace and its rooms; false when a room listener panicked.
    pub(crate) fn remove(&self, socket: &Socket) -> bool {
        let events = self.0.rooms.del_all(socket.id_arc());
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(socket.id());
        self.room_events(events)
    }

    /// A connected socket of this node by id.
    pub fn get_socket(&self, id: &str) -> Option<Socket> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every connected socket of this namespace on this node (Node's `namespace.sockets`).
    pub fn sockets(&self) -> Vec<Socket> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The connected sockets of this node by id (the seed's `namespace.connected`).
    ///
    /// ```no_run
    /// # fn f(io: socketio::Server) {
    /// for (id, socket) in io.of("/chat").connected() {
    ///     println!("{id}: {:?}", socket.rooms());
    /// }
    /// # }
    /// ```
    pub fn connected(&self) -> HashMap<Arc<str>, Socket> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The number of connected sockets on this node.
    pub fn len(&self) -> usize {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether no socket is connected on this node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every room with a socket of this node.
    pub fn rooms(&self) -> Vec<Room> {
        self.0.rooms.all_rooms()
    }

    /// Sends `event` to the listeners of this namespace on the *other* nodes (Node's
    /// `serverSideEmit`); never delivered here. `connect`, `connection` and `new_namespace`
    /// are refused.
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let packet = server_packet(event, data)?;
        self.adapter()
            .publish(ClusterRequest::ServerSideEmit {
                packet,
                with_ack: false,
            })
            .map_err(|e| EmitError::Adapter(e.to_string()))?;
        Ok(())
    }

    /// As [`Namespace::server_side_emit`], collecting one answer per other node (its first
    /// ack argument); fails with the partial answers after 5 s. With no other node it
    /// answers `[]` at once.
    pub async fn server_side_emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<AnyValue>, BroadcastAckError> {
        let packet = server_packet(event, data).map_err(BroadcastAckError::Emit)?;
        let adapter = self.adapter();
        let expected = adapter.count_servers().await.saturating_sub(1);
        if expected == 0 {
            return Ok(Vec::new());
        }
        let mut rx = self
            .adapter()
            .publish(ClusterRequest::ServerSideEmit {
                packet,
                with_ack: true,
            })
            .map_err(|e| BroadcastAckError::Emit(EmitError::Adapter(e.to_string())))?;
        let mut responses = Vec::new();
        let collect = async {
            while responses.len() < expected {
                match rx.recv().await {
                    Some(ClusterResponse::ServerSideEmit(p)) => responses.push(cluster_any(p)),
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let done = tokio::time::timeout(crate::adapter::DEFAULT_REQUEST_TIMEOUT, collect)
            .await
            .is_ok();
        if done && responses.len() >= expected {
            Ok(responses)
        } else {
            Err(BroadcastAckError::Timeout { responses })
        }
    }

    /// The local sockets matching `opts`.
    pub(crate) fn local_targets(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        if opts.rooms.is_empty() && opts.except.is_empty() {
            // Everyone (`io.emit`): no room lookups at all.
            return self.sockets();
        }
        let ids = self.0.rooms.sockets(&opts.rooms, &opts.except);
        let sockets = self.0.sockets.read().unwrap_or_else(|e| e.into_inner());
        ids.iter()
            .filter_map(|id| sockets.get(id).cloned())
            .collect()
    }

    /// Emits `packet` to the local sockets matching `opts`, encoded once per wire format (the
    /// protocol 5 one is the server's parser's).
    /// Returns the sockets reached.
    pub(crate) fn broadcast_local(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        mut before_send: impl FnMut(&Socket),
    ) -> usize {
        let mut v5: Option<Wire> = None;
        let mut v4: Option<Wire> = None;
        // Recipients reached per protocol revision (5, then 4).
        let mut reached = [0usize; 2];
        let compress = opts.flags.compress != Some(false);
        // Outgoing-event listeners hear broadcasts too, per recipient, as in Node.
        let tapped = self.0.outgoing_taps.load(Ordering::Acquire);
        let mut tap_args: Option<(String, Args)> = None;
        for socket in self.local_targets(opts) {
            let client = &socket.0.client;
            if opts.flags.volatile && !client.conn.is_writable() {
                continue;
            }
            let format = client.format;
            let (encoded, count) = match client.rev {
                ProtocolRevision::V5 => (
                    v5.get_or_insert_with(|| Wire::encode(packet, format)),
                    &mut reached[0],
                ),
                ProtocolRevision::V4 => (
                    v4.get_or_insert_with(|| Wire::encode(packet, format)),
                    &mut reached[1],
                ),
            };
            before_send(&socket);
            if client.send_wire(encoded, compress).is_ok() {
                *count += 1;
                if tapped {
                    socket.notify_outgoing(packet, &mut tap_args);
                }
            }
        }
        let total = reached[0] + reached[1];
        let flags = &opts.flags;
        tracing::debug!(
            target: "socketio::broadcast",
            nsp = %self.name(),
            rooms = ?opts.rooms,
            except = ?opts.except,
            local = flags.local,
            volatile = flags.volatile,
            compress = ?flags.compress,
            timeout_ms = ?flags.timeout,
            reached = total,
            "broadcast"
        );
        // Once per wire form, not per recipient: each was encoded once.
        for (wire, protocol, count) in [(&v5, 5u8, reached[0]), (&v4, 4, reached[1])] {
            if let Some(wire) = wire {
                tracing::trace!(
                    target: "socketio::packet",
                    nsp = %self.name(),
                    protocol,
                    wire = %Truncated(wire.text()),
                    attachments = %wire.attachments(),
                    reached = count,
                    "broadcast sent"
                );
            }
        }
        total
    }

    /// Applies a request from another node to the local sockets.
    pub(crate) fn apply_remote(
        &self,
        request: ClusterRequest,
        reply: mpsc::UnboundedSender<ClusterResponse>,
    ) {
        match request {
            ClusterRequest::Broadcast {
                packet,
                opts,
                with_ack,
            } => {
                let ClusterPacket { data, attachments } = packet;
                let payload = Payload::with_attachments(data, attachments);
                if !with_ack {
                    let packet = Packet::event(self.name(), payload, None);
                    self.broadcast_local(&packet, &opts, |_| {});
                    return;
                }
                let id = self.next_ack_id();
                let packet = Packet::event(self.name(), payload, Some(id));
                let targets = self.local_targets(&opts);
                let _ = reply.send(ClusterResponse::BroadcastClientCount(targets.len()));
                // The origin stops waiting after the broadcast's timeout: so do the recipients
                // here (as Node's per-socket ack timer), and a silent client keeps no waiter.
                if let (Some(ms), Ok(runtime)) =
                    (opts.flags.timeout, tokio::runtime::Handle::try_current())
                {
                    let recipients = targets.clone();
                    runtime.spawn(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                        for socket in recipients {
                            socket.forget_ack(id);
                        }
                    });
                }
                for socket in &targets {
                    let reply = reply.clone();
                    socket.register_ack(
                        id,
                        Box::new(move |args| {
                            if let Some(args) = args {
                                let first = args.0.into_iter().next().unwrap_or_default();
                                let _ = reply.send(ClusterResponse::BroadcastAck(ClusterPacket {
                                    data: first.value,
                                    attachments: first.attachments,
                                }));
                            }
                        }),
                    );
                }
                let opts = BroadcastOptions {
                    rooms: targets
                        .iter()
                        .map(|s| Room::from(s.id_arc().clone()))
                        .collect(),
                    except: Vec::new(),
                    flags: opts.flags,
                };
                self.broadcast_local(&packet, &opts, |_| {});
            }
            ClusterRequest::SocketsJoin { opts, rooms } => {
                for s in self.local_targets(&opts) {
                    let _ = s.join_all(rooms.iter().cloned());
                }
            }
            ClusterRequest::SocketsLeave { opts, rooms } => {
                for s in self.local_targets(&opts) {
                    for r in &rooms {
                        s.leave(r);
                    }
                }
            }
            ClusterRequest::DisconnectSockets { opts, close } => {
                for s in self.local_targets(&opts) {
                    s.disconnect(close);
                }
            }
            ClusterRequest::FetchSockets { opts } => {
                let sockets = self
                    .local_targets(&opts)
                    .iter()
                    .map(Socket::socket_data)
                    .collect();
                let _ = reply.send(ClusterResponse::FetchSockets(sockets));
            }
            ClusterRequest::ServerSideEmit { packet, with_ack } => {
                let args =
                    payload_to_args(Payload::with_attachments(packet.data, packet.attachments));
                let Some(event) = args
                    .0
                    .first()
                    .and_then(|a| a.value.as_str().map(str::to_owned))
                else {
                    return;
                };
                let rest = Args(args.0.into_iter().skip(1).collect());
                let listeners = self
                    .listeners()
                    .server_events
                    .get(&event)
                    .cloned()
                    .unwrap_or_default();
                let ack = ServerAck {
                    reply: with_ack.then(|| Arc::new(std::sync::Mutex::new(Some(reply)))),
                };
                let site = Site {
                    nsp: self.name(),
                    socket: "",
                    what: &event,
                };
                for l in listeners {
                    // No connection to close: the panic is logged, the other listeners run.
                    guard::call(site, || l(rest.clone(), ack.clone()));
                }
            }
        }
    }

    pub(crate) fn disconnect_all_local(&self, reason: DisconnectReason) {
        for socket in self.sockets() {
            socket.on_close(reason);
        }
    }
}

fn server_packet<T: Serialize + ?Sized>(event: &str, data: &T) -> Result<ClusterPacket, EmitError> {
    if matches!(event, "connect" | "connection" | "new_namespace") {
        return Err(EmitError::ReservedEvent(event.to_owned()));
    }
    let payload = crate::args::to_payload(Some(event), data)?;
    Ok(ClusterPacket {
        data: payload.data,
        attachments: payload.attachments,
    })
}

pub(crate) fn cluster_any(p: ClusterPacket) -> AnyValue {
    AnyValue::from_parts(p.data.clone(), &p.attachments).unwrap_or_else(|_| AnyValue::new(p.data))
}

/// Answers a server-side event from another node: single use; only the first argument
/// reaches the sender, as in Node.
#[derive(Clone)]
pub struct ServerAck {
    reply: Option<Arc<std::sync::Mutex<Option<mpsc::UnboundedSender<ClusterResponse>>>>>,
}

impl std::fmt::Debug for ServerAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAck")
            .field("requested", &self.reply.is_some())
            .finish()
    }
}

impl ServerAck {
    /// Whether the sender waits for an answer.
    pub fn is_requested(&self) -> bool {
        self.reply.is_some()
    }

    /// Sends the answer (its first argument is what the sender gets).
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        let Some(slot) = &self.reply else {
            return Ok(());
        };
        let Some(reply) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Ok(());
        };
        let payload = crate::args::to_payload(None, data)?;
        let args = payload_to_args(payload);
        let first = args.0.into_iter().next().unwrap_or_default();
        let _ = reply.send(ClusterResponse::ServerSideEmit(ClusterPacket {
            data: first.value,
            attachments: first.attachments,
        }));
        Ok(())
    }
}
