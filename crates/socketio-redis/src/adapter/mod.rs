//! The Redis adapter: [`RedisAdapter`], an [`AdapterFactory`] for [`socketio::Server`], over
//! the wire layer below it.
//!
//! One [`RedisAdapter`] per server: its two connections serve every namespace, and each
//! namespace gets its own adapter instance with its own node uid (as in Node).

mod bus;
mod convert;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use serde_json::Value;
use socketio::{
    Adapter, AdapterError, AdapterFactory, BroadcastOptions as SioOptions, ClusterPacket,
    ClusterRequest, ClusterResponse, NamespaceHandle, Responses, Room as SioRoom,
};
use socketio_protocol::Payload;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch, Notify};
use tracing::{debug, warn};

use crate::channel::{ChannelKind, Channels, DEFAULT_PREFIX};
use crate::id::{generate_request_id, generate_uid};
use crate::limits::DecodeLimits;
use crate::payload::buffers_to_json;
use crate::room::Room;
use crate::wire::{
    decode_broadcast_with, decode_request_with, decode_response_with, encode_broadcast, PacketRef,
    RemoteSocket, Request, RequestRef, Response, ResponseRef, Target,
};
use bus::{Outgoing, Subscription};
use convert::{flags_of, options_from_wire, remote_socket, rooms_of, socket_data};

/// The longest this node forwards the client acks of another node's broadcast.
/// How long a call waits for a fresh node count before it goes on with the last one (the
/// publisher's command timeout, and a little).
const COUNT_TIMEOUT: Duration = Duration::from_millis(2500);
const MAX_REMOTE_ACK_WAIT: Duration = Duration::from_secs(600);

/// How a [`RedisAdapter`] behaves; [`Default`] is Node's `createAdapter(pub, sub)` with its
/// default options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisAdapterConfig {
    /// The channel prefix (Node's `key`). Default `socket.io`.
    pub prefix: String,
    /// How long a request waiting on other nodes (fetch sockets, server-side emit with acks)
    /// is kept before its answers stop being collected (Node's `requestsTimeout`). Default
    /// 5 s. Broadcasts with acks use their own `timeout`.
    pub requests_timeout: Duration,
    /// How often the node count (`PUBSUB NUMSUB` of each request channel) is refreshed in
    /// the background, for [`Adapter::server_count`]. Calls that wait on other nodes (fetch
    /// sockets, broadcasts and server-side emits with acks) ask Redis afresh first, as Node's
    /// adapter does, and broadcasts do not need the count at all. Default 60 s.
    pub server_count_interval: Duration,
    /// The most messages waiting to be published; past it new ones are dropped (and logged).
    /// Default 4096.
    pub publish_queue: usize,
    /// Bounds on every message read from Redis.
    pub limits: DecodeLimits,
}

impl Default for RedisAdapterConfig {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            requests_timeout: socketio::DEFAULT_REQUEST_TIMEOUT,
            server_count_interval: Duration::from_secs(60),
            publish_queue: 4096,
            limits: DecodeLimits::default(),
        }
    }
}

impl RedisAdapterConfig {
    /// Sets [`prefix`](Self::prefix).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`requests_timeout`](Self::requests_timeout).
    pub fn with_requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Sets [`server_count_interval`](Self::server_count_interval).
    pub fn with_server_count_interval(mut self, interval: Duration) -> Self {
        self.server_count_interval = interval;
        self
    }

    /// Sets [`publish_queue`](Self::publish_queue) (at least 1).
    pub fn with_publish_queue(mut self, len: usize) -> Self {
        self.publish_queue = len.max(1);
        self
    }

    /// Sets [`limits`](Self::limits).
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Why a [`RedisAdapter`] could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisAdapterError {
    /// The Redis URL is not valid.
    #[error("invalid Redis URL: {0}")]
    Url(#[source] redis::RedisError),
    /// Not called from within a Tokio runtime (the adapter spawns its tasks on it).
    #[error("the Redis adapter must be created inside a Tokio runtime")]
    NoRuntime,
}

/// The Redis adapter factory, wire-compatible with `@socket.io/redis-adapter` 8.x in classic
/// mode: give it to [`Server::set_adapter`](socketio::Server::set_adapter).
///
/// Creating it connects nothing synchronously: its tasks connect in the background and keep
/// reconnecting, so a server starts while Redis is down. Cheap to clone; one per server.
#[derive(Clone)]
pub struct RedisAdapter(Arc<Shared>);

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("prefix", &self.0.config.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisAdapter {
    /// An adapter for the Redis at `url` (`redis://host:port/db`), with the default
    /// [`RedisAdapterConfig`]. Must be called inside a Tokio runtime.
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        Self::with_config(url, RedisAdapterConfig::default())
    }

    /// An adapter for the Redis at `url` with `config`. Must be called inside a Tokio runtime.
    pub fn with_config(url: &str, config: RedisAdapterConfig) -> Result<Self, RedisAdapterError> {
        let client = redis::Client::open(url).map_err(RedisAdapterError::Url)?;
        let runtime = Handle::try_current().map_err(|_| RedisAdapterError::NoRuntime)?;
        let (publish, queue) = mpsc::channel(config.publish_queue.max(1));
        let (control, control_rx) = mpsc::unbounded_channel();
        let count_every = config.server_count_interval;
        let shared = Arc::new(Shared {
            config,
            runtime: runtime.clone(),
            publish,
            control,
            refresh: Arc::new(Notify::new()),
            counted: watch::channel(0).0,
            registry: Mutex::new(HashMap::new()),
            overflow: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&shared);
        runtime.spawn(bus::publisher(
            client.clone(),
            queue,
            weak.clone(),
            count_every,
        ));
        runtime.spawn(bus::subscriber(client, control_rx, weak));
        Ok(Self(shared))
    }
}

impl AdapterFactory for RedisAdapter {
    fn create(&self, handle: NamespaceHandle) -> Arc<dyn Adapter> {
        let adapter = Arc::new_cyclic(|me| NsAdapter {
            me: me.clone(),
            shared: self.0.clone(),
            uid: generate_uid(),
            handle,
            channels: OnceLock::new(),
            server_count: AtomicUsize::new(1),
            pending: Mutex::new(HashMap::new()),
        });
        adapter.register();
        adapter
    }
}

/// What the factory, its namespaces' adapters and its tasks share.
pub(crate) struct Shared {
    config: RedisAdapterConfig,
    runtime: Handle,
    publish: mpsc::Sender<Outgoing>,
    control: mpsc::UnboundedSender<Subscription>,
    /// Asks the publisher for a node count now (a namespace subscribed, a request).
    refresh: Arc<Notify>,
    /// Bumped by the publisher after each count it asked for, answered or not.
    pub(crate) counted: watch::Sender<u64>,
    /// Each namespace's adapter, by name.
    registry: Mutex<HashMap<String, Weak<NsAdapter>>>,
    /// Messages dropped because the publish queue was full.
    overflow: AtomicU64,
}

impl Shared {
    fn adapter(&self, nsp: &str) -> Option<Arc<NsAdapter>> {
        lock(&self.registry).get(nsp).and_then(Weak::upgrade)
    }

    fn adapters(&self) -> Vec<Arc<NsAdapter>> {
        let mut registry = lock(&self.registry);
        registry.retain(|_, a| a.strong_count() > 0);
        registry.values().filter_map(Weak::upgrade).collect()
    }

    /// Queues a message; drops it (logged) when the queue is full.
    fn send(&self, channel: String, payload: Vec<u8>) {
        match self.publish.try_send(Outgoing { channel, payload }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let dropped = self.overflow.fetch_add(1, Ordering::Relaxed) + 1;
                // The first, then every 1024th: a slow Redis must not flood the log too.
                if dropped % 1024 == 1 {
                    warn!(
                        dropped,
                        "redis adapter: publish queue full, messages dropped"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request of this node waiting for answers.
struct Pending {
    tx: mpsc::UnboundedSender<ClusterResponse>,
    kind: PendingKind,
    /// Nodes still to answer (for a broadcast: with their client count).
    nodes_left: usize,
    /// Client acks still expected (broadcasts with acks).
    acks_left: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Fetch,
    ServerSideEmit,
    Broadcast,
}

/// One namespace's adapter.
struct NsAdapter {
    /// Itself, for the tasks it spawns from `&self`.
    me: Weak<NsAdapter>,
    shared: Arc<Shared>,
    /// This node's uid for this namespace.
    uid: String,
    handle: NamespaceHandle,
    /// Known once the namespace is.
    channels: OnceLock<Channels>,
    /// The last `PUBSUB NUMSUB` of the request channel (this node included), at least 1.
    server_count: AtomicUsize,
    pending: Mutex<HashMap<String, Pending>>,
}

impl NsAdapter {
    /// Learns the namespace's channels and subscribes them, once.
    fn register(&self) {
        if self.channels.get().is_some() {
            return;
        }
        let nsp = self.handle.name().to_owned();
        let mut first = false;
        let channels = self.channels.get_or_init(|| {
            first = true;
            Channels::new(&self.shared.config.prefix, &nsp)
        });
        if first {
            lock(&self.shared.registry).insert(nsp.clone(), self.me.clone());
            let _ = self.shared.control.send(Subscription {
                nsp,
                channels: vec![
                    channels.request().to_owned(),
                    channels.response().to_owned(),
                    channels.specific_response(&self.uid),
                ],
                pattern: channels.broadcast_pattern(),
            });
        }
    }

    fn channels(&self) -> Option<&Channels> {
        if self.channels.get().is_none() {
            self.register();
        }
        self.channels.get()
    }

    fn request_channel(&self) -> String {
        self.channels
            .get()
            .map(|c| c.request().to_owned())
            .unwrap_or_default()
    }

    fn set_server_count(&self, n: usize) {
        self.server_count.store(n.max(1), Ordering::Relaxed);
    }

    fn peers(&self) -> usize {
        self.server_count().saturating_sub(1)
    }

    /// Registers a request waiting for `nodes` answers, dropped after `timeout` (which ends
    /// its response stream).
    fn expect(
        self: &Arc<Self>,
        kind: PendingKind,
        nodes: usize,
        timeout: Duration,
    ) -> (String, Responses) {
        let (tx, rx) = mpsc::unbounded_channel();
        let request_id = generate_request_id();
        lock(&self.pending).insert(
            request_id.clone(),
            Pending {
                tx,
                kind,
                nodes_left: nodes,
                acks_left: 0,
            },
        );
        let weak = Arc::downgrade(self);
        let id = request_id.clone();
        self.shared.runtime.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(a) = weak.upgrade() {
                lock(&a.pending).remove(&id);
            }
        });
        (request_id, rx)
    }

    fn send_request(
        &self,
        channels: &Channels,
        request: &RequestRef<'_>,
    ) -> Result<(), AdapterError> {
        let mut out = Vec::new();
        request
            .encode(&mut out)
            .map_err(|e| AdapterError::Transport(e.to_string()))?;
        self.shared.send(channels.request().to_owned(), out);
        Ok(())
    }

    fn send_response(&self, response: &ResponseRef<'_>) {
        let Some(channels) = self.channels.get() else {
            return;
        };
        let mut out = Vec::new();
        match response.encode(&mut out) {
            Ok(()) => self.shared.send(channels.response().to_owned(), out),
            Err(e) => debug!(error = %e, "redis adapter: response not encodable"),
        }
    }

    /// A message heard on one of this namespace's channels.
    fn on_message(self: &Arc<Self>, channel: &str, payload: &[u8]) {
        let Some(channels) = self.channels.get() else {
            return;
        };
        match channels.classify(channel) {
            Some(ChannelKind::Broadcast(_)) => self.on_broadcast(payload),
            Some(ChannelKind::Request) => self.on_request(payload),
            Some(ChannelKind::Response) => self.on_response(payload),
            None => {}
        }
    }

    fn on_broadcast(&self, payload: &[u8]) {
        let broadcast = match decode_broadcast_with(payload, &self.shared.config.limits) {
            Ok(b) => b,
            Err(e) => {
                debug!(error = %e, "redis adapter: malformed broadcast ignored");
                return;
            }
        };
        if broadcast.uid == self.uid || Some(broadcast.packet.nsp.as_str()) != self.nsp() {
            return;
        }
        let Payload { data, attachments } = broadcast.packet.payload;
        self.apply(ClusterRequest::Broadcast {
            packet: ClusterPacket { data, attachments },
            opts: options_from_wire(broadcast.opts),
            with_ack: false,
        });
    }

    fn nsp(&self) -> Option<&str> {
        self.channels.get().map(Channels::nsp)
    }

    /// Applies a request with no answer.
    fn apply(&self, request: ClusterRequest) {
        let (tx, _rx) = mpsc::unbounded_channel();
        self.handle.apply_remote(request, tx);
    }

    /// Applies a request and hands its answers to `forward` until the namespace has sent all
    /// it will, or `within` has passed.
    fn apply_then<F>(self: &Arc<Self>, request: ClusterRequest, within: Duration, mut forward: F)
    where
        F: FnMut(&NsAdapter, ClusterResponse) -> bool + Send + 'static,
    {
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.handle.apply_remote(request, tx);
        let this = self.clone();
        self.shared.runtime.spawn(async move {
            let answers = async {
                while let Some(response) = rx.recv().await {
                    if !forward(&this, response) {
                        return;
                    }
                }
            };
            let _ = tokio::time::timeout(within, answers).await;
        });
    }

    /// Answers with the local sockets matching `opts`, described by `reply`.
    fn answer_fetch<F>(self: &Arc<Self>, opts: SioOptions, reply: F)
    where
        F: FnOnce(&NsAdapter, Vec<RemoteSocket>) + Send + 'static,
    {
        let mut reply = Some(reply);
        self.apply_then(
            ClusterRequest::FetchSockets { opts },
            self.shared.config.requests_timeout,
            move |this, response| {
                if let ClusterResponse::FetchSockets(sockets) = response {
                    if let Some(reply) = reply.take() {
                        reply(this, sockets.into_iter().map(remote_socket).collect());
                    }
                    return false;
                }
                true
            },
        );
    }

    fn on_request(self: &Arc<Self>, payload: &[u8]) {
        let request = match decode_request_with(payload, &self.shared.config.limits) {
            Ok(r) => r,
            Err(e) => {
                debug!(error = %e, "redis adapter: malformed request ignored");
                return;
            }
        };
        // This node applied its own requests when it made them.
        if request.uid() == Some(self.uid.as_str()) {
            return;
        }
        if request
            .request_id()
            .is_some_and(|id| lock(&self.pending).contains_key(id))
        {
            return;
        }
        let by_rooms = |rooms: Vec<String>| SioOptions {
            rooms: rooms.into_iter().map(SioRoom::from).collect(),
            ..SioOptions::default()
        };
        let rooms_of = |rooms: Vec<String>| rooms.into_iter().map(SioRoom::from).collect();
        match request {
            Request::Sockets {
                request_id, rooms, ..
            } => self.answer_fetch(by_rooms(rooms), move |this, sockets| {
                let ids: Vec<&str> = sockets.iter().map(|s| s.id.as_str()).collect();
                this.send_response(&ResponseRef::Sockets {
                    request_id: &request_id,
                    sockets: &ids,
                });
            }),
            Request::AllRooms { request_id, .. } => {
                // Every room with a member is some socket's room.
                self.answer_fetch(SioOptions::default(), move |this, sockets| {
                    let mut rooms: Vec<&str> = sockets
                        .iter()
                        .flat_map(|s| s.rooms.iter().map(String::as_str))
                        .collect();
                    rooms.sort_unstable();
                    rooms.dedup();
                    let rooms: Vec<Room<'_>> = rooms.into_iter().map(Room::Name).collect();
                    this.send_response(&ResponseRef::AllRooms {
                        request_id: &request_id,
                        rooms: &rooms,
                    });
                });
            }
            Request::SocketsJoin { opts, rooms, .. } => self.apply(ClusterRequest::SocketsJoin {
                opts: options_from_wire(opts),
                rooms: rooms_of(rooms),
            }),
            Request::SocketsLeave { opts, rooms, .. } => self.apply(ClusterRequest::SocketsLeave {
                opts: options_from_wire(opts),
                rooms: rooms_of(rooms),
            }),
            Request::DisconnectSockets { opts, close, .. } => {
                self.apply(ClusterRequest::DisconnectSockets {
                    opts: options_from_wire(opts),
                    close,
                })
            }
            Request::RemoteJoin {
                request_id,
                sid,
                room,
                ..
            } => self.legacy(
                request_id,
                sid,
                ClusterRequest::SocketsJoin {
                    opts: SioOptions::default(),
                    rooms: vec![SioRoom::from(room)],
                },
            ),
            Request::RemoteLeave {
                request_id,
                sid,
                room,
                ..
            } => self.legacy(
                request_id,
                sid,
                ClusterRequest::SocketsLeave {
                    opts: SioOptions::default(),
                    rooms: vec![SioRoom::from(room)],
                },
            ),
            Request::RemoteDisconnect {
                request_id,
                sid,
                close,
                ..
            } => self.legacy(
                request_id,
                sid,
                ClusterRequest::DisconnectSockets {
                    opts: SioOptions::default(),
                    close,
                },
            ),
            Request::FetchSockets {
                request_id, opts, ..
            } => self.answer_fetch(options_from_wire(opts), move |this, sockets| {
                this.send_response(&ResponseRef::FetchSockets {
                    request_id: &request_id,
                    sockets: &sockets,
                });
            }),
            Request::ServerSideEmit {
                request_id, data, ..
            } => {
                let Payload { data, attachments } = data;
                let request = ClusterRequest::ServerSideEmit {
                    packet: ClusterPacket { data, attachments },
                    with_ack: request_id.is_some(),
                };
                let Some(request_id) = request_id else {
                    self.apply(request);
                    return;
                };
                self.apply_then(
                    request,
                    self.shared.config.requests_timeout,
                    move |this, r| {
                        if let ClusterResponse::ServerSideEmit(p) = r {
                            let data =
                                buffers_to_json(&Payload::with_attachments(p.data, p.attachments));
                            this.send_response(&ResponseRef::ServerSideEmit {
                                request_id: &request_id,
                                data: Some(&data),
                            });
                            return false;
                        }
                        true
                    },
                );
            }
            Request::Broadcast {
                request_id,
                packet,
                opts,
                ..
            } => {
                if Some(packet.nsp.as_str()) != self.nsp() {
                    return;
                }
                // The requester's ack timeout, bounded: the answers of a peer asking for
                // days would keep their task that long.
                let within = opts
                    .flags
                    .timeout
                    .map_or(self.shared.config.requests_timeout, Duration::from_millis)
                    .min(MAX_REMOTE_ACK_WAIT);
                let Payload { data, attachments } = packet.payload;
                let request = ClusterRequest::Broadcast {
                    packet: ClusterPacket { data, attachments },
                    opts: options_from_wire(opts),
                    with_ack: true,
                };
                self.apply_then(request, within, move |this, r| {
                    match r {
                        ClusterResponse::BroadcastClientCount(n) => {
                            this.send_response(&ResponseRef::BroadcastClientCount {
                                request_id: &request_id,
                                client_count: n as u64,
                            })
                        }
                        ClusterResponse::BroadcastAck(p) => {
                            this.send_response(&ResponseRef::BroadcastAck {
                                request_id: &request_id,
                                value: &p.data,
                                attachments: &p.attachments,
                            })
                        }
                        _ => {}
                    }
                    true
                });
            }
        }
    }

    /// A legacy single-socket request (adapter ≤ 7.x): acts and answers only when the socket
    /// is here.
    fn legacy(
        self: &Arc<Self>,
        request_id: Option<String>,
        sid: String,
        mut request: ClusterRequest,
    ) {
        let only = vec![SioRoom::from(sid)];
        match &mut request {
            ClusterRequest::SocketsJoin { opts, .. }
            | ClusterRequest::SocketsLeave { opts, .. }
            | ClusterRequest::DisconnectSockets { opts, .. } => opts.rooms.clone_from(&only),
            _ => {}
        }
        let opts = SioOptions {
            rooms: only,
            ..SioOptions::default()
        };
        self.answer_fetch(opts, move |this, sockets| {
            if sockets.is_empty() {
                return;
            }
            this.apply(request);
            if let Some(request_id) = request_id {
                this.send_response(&ResponseRef::Done {
                    request_id: &request_id,
                });
            }
        });
    }

    fn on_response(&self, payload: &[u8]) {
        let response = match decode_response_with(payload, &self.shared.config.limits) {
            Ok(r) => r,
            Err(e) => {
                debug!(error = %e, "redis adapter: malformed response ignored");
                return;
            }
        };
        let mut pending = lock(&self.pending);
        let Some(p) = pending.get_mut(response.request_id()) else {
            return;
        };
        let request_id = response.request_id().to_owned();
        match (response, p.kind) {
            (Response::Reply(reply), PendingKind::Fetch) => {
                let sockets = reply.into_remote_sockets().unwrap_or_else(|e| {
                    debug!(error = %e, "redis adapter: malformed fetchSockets reply");
                    Vec::new()
                });
                let _ = p.tx.send(ClusterResponse::FetchSockets(
                    sockets.into_iter().map(socket_data).collect(),
                ));
                p.nodes_left = p.nodes_left.saturating_sub(1);
            }
            (Response::ServerSideEmit { data, .. }, PendingKind::ServerSideEmit) => {
                let _ = p.tx.send(ClusterResponse::ServerSideEmit(ClusterPacket {
                    data: data.unwrap_or(Value::Null),
                    attachments: Vec::new(),
                }));
                p.nodes_left = p.nodes_left.saturating_sub(1);
            }
            (Response::BroadcastClientCount { client_count, .. }, PendingKind::Broadcast) => {
                let _ = p.tx.send(ClusterResponse::BroadcastClientCount(
                    usize::try_from(client_count).unwrap_or(usize::MAX),
                ));
                p.nodes_left = p.nodes_left.saturating_sub(1);
                p.acks_left = p.acks_left.saturating_add(client_count);
            }
            (Response::BroadcastAck { packet, .. }, PendingKind::Broadcast) => {
                let Payload { data, attachments } = packet;
                let _ = p.tx.send(ClusterResponse::BroadcastAck(ClusterPacket {
                    data,
                    attachments,
                }));
                p.acks_left = p.acks_left.saturating_sub(1);
            }
            _ => {
                debug!("redis adapter: response of the wrong kind ignored");
                return;
            }
        }
        if p.nodes_left == 0 && p.acks_left == 0 {
            // Every node answered all it will: ends the stream.
            pending.remove(&request_id);
        }
    }
}

impl Adapter for NsAdapter {
    fn server_count(&self) -> usize {
        self.server_count.load(Ordering::Relaxed).max(1)
    }

    /// Always, as Node's adapter: the node count is refreshed only every
    /// [`server_count_interval`](RedisAdapterConfig::server_count_interval), and a node that
    /// has just joined (or this one, before its first count) must not miss broadcasts
    /// meanwhile. Publishing with nobody else subscribed costs one `PUBLISH`.
    fn publishes_broadcasts(&self) -> bool {
        true
    }

    /// A fresh `PUBSUB NUMSUB` (at most one in flight for all namespaces), or the last count
    /// when Redis does not answer in time.
    fn count_servers(&self) -> Pin<Box<dyn Future<Output = usize> + Send + '_>> {
        Box::pin(async move {
            let mut counted = self.shared.counted.subscribe();
            counted.borrow_and_update();
            self.shared.refresh.notify_one();
            let _ = tokio::time::timeout(COUNT_TIMEOUT, counted.changed()).await;
            self.server_count()
        })
    }

    fn publish(&self, request: ClusterRequest) -> Result<Responses, AdapterError> {
        match self.me.upgrade() {
            Some(this) => this.publish_request(request),
            None => Ok(mpsc::unbounded_channel().1),
        }
    }
}

impl NsAdapter {
    fn publish_request(
        self: &Arc<Self>,
        request: ClusterRequest,
    ) -> Result<Responses, AdapterError> {
        let Some(channels) = self.channels() else {
            let (_tx, rx) = mpsc::unbounded_channel();
            return Ok(rx);
        };
        let nsp = channels.nsp();
        let uid = self.uid.as_str();
        let none = || mpsc::unbounded_channel().1;
        let encode_err = |e: crate::EncodeError| AdapterError::Transport(e.to_string());
        match request {
            ClusterRequest::Broadcast {
                packet,
                opts,
                with_ack,
            } => {
                if opts.flags.local {
                    return Ok(none());
                }
                let rooms = rooms_of(&opts.rooms);
                let except = rooms_of(&opts.except);
                let packet_ref = PacketRef {
                    nsp,
                    data: &packet.data,
                    attachments: &packet.attachments,
                    id: None,
                };
                let target = Target::new(&rooms, &except);
                if !with_ack {
                    let mut out = Vec::new();
                    encode_broadcast(
                        &mut out,
                        uid,
                        &packet_ref,
                        target,
                        &flags_of(&opts.flags, None),
                    )
                    .map_err(encode_err)?;
                    self.shared
                        .send(channels.broadcast_for(&rooms).into_owned(), out);
                    return Ok(none());
                }
                let timeout = opts
                    .flags
                    .timeout
                    .map_or(self.shared.config.requests_timeout, Duration::from_millis);
                let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
                let (request_id, rx) = self.expect(PendingKind::Broadcast, self.peers(), timeout);
                let flags = flags_of(&opts.flags, Some(millis));
                self.send_request(
                    channels,
                    &RequestRef::Broadcast {
                        uid,
                        request_id: &request_id,
                        packet: packet_ref,
                        target,
                        flags: &flags,
                    },
                )?;
                Ok(rx)
            }
            ClusterRequest::SocketsJoin { opts, rooms } => {
                let (target_rooms, except) = (rooms_of(&opts.rooms), rooms_of(&opts.except));
                self.send_request(
                    channels,
                    &RequestRef::SocketsJoin {
                        uid: Some(uid),
                        target: Target::new(&target_rooms, &except),
                        rooms: &rooms_of(&rooms),
                    },
                )?;
                Ok(none())
            }
            ClusterRequest::SocketsLeave { opts, rooms } => {
                let (target_rooms, except) = (rooms_of(&opts.rooms), rooms_of(&opts.except));
                self.send_request(
                    channels,
                    &RequestRef::SocketsLeave {
                        uid: Some(uid),
                        target: Target::new(&target_rooms, &except),
                        rooms: &rooms_of(&rooms),
                    },
                )?;
                Ok(none())
            }
            ClusterRequest::DisconnectSockets { opts, close } => {
                let (rooms, except) = (rooms_of(&opts.rooms), rooms_of(&opts.except));
                self.send_request(
                    channels,
                    &RequestRef::DisconnectSockets {
                        uid: Some(uid),
                        target: Target::new(&rooms, &except),
                        close,
                    },
                )?;
                Ok(none())
            }
            ClusterRequest::FetchSockets { opts } => {
                let peers = self.peers();
                if peers == 0 {
                    return Ok(none());
                }
                let (rooms, except) = (rooms_of(&opts.rooms), rooms_of(&opts.except));
                let (request_id, rx) = self.expect(
                    PendingKind::Fetch,
                    peers,
                    self.shared.config.requests_timeout,
                );
                self.send_request(
                    channels,
                    &RequestRef::FetchSockets {
                        uid,
                        request_id: &request_id,
                        target: Target::new(&rooms, &except),
                    },
                )?;
                Ok(rx)
            }
            ClusterRequest::ServerSideEmit { packet, with_ack } => {
                let data =
                    buffers_to_json(&Payload::with_attachments(packet.data, packet.attachments));
                let peers = self.peers();
                let (request_id, rx) = if with_ack && peers > 0 {
                    let (id, rx) = self.expect(
                        PendingKind::ServerSideEmit,
                        peers,
                        self.shared.config.requests_timeout,
                    );
                    (Some(id), rx)
                } else {
                    (None, none())
                };
                self.send_request(
                    channels,
                    &RequestRef::ServerSideEmit {
                        uid,
                        request_id: request_id.as_deref(),
                        data: &data,
                    },
                )?;
                Ok(rx)
            }
            _ => Err(AdapterError::Unsupported("this cluster request")),
        }
    }
}
