//! A client: one Engine.IO connection multiplexing sockets of several namespaces, and the
//! bridge that makes one of each Engine.IO session.
//!
//! A client knows the server it belongs to only as a [`ClientHost`]: the limits a new client
//! starts with, and where a CONNECT's namespace name leads (the registry answers).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use engineio::Message;
use serde_json::Value;
use socketio_protocol::{Decoder, DecoderLimits, Packet, PacketData, Payload, ProtocolRevision};

use crate::adapter::recovery::RecoveredSession;
use crate::error::EmitError;
use crate::guard::{self, Site};
use crate::namespace::{Namespace, Recovery};
use crate::socket::{DisconnectReason, Socket, SocketRecovery};
use crate::wire::{framed_text, msgpack, Format, Truncated, Wire};

/// The options a client runs with, read from the server when its session opens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientLimits {
    /// `connectTimeout`: a client that joins no namespace in time is closed.
    pub(crate) connect_timeout: Duration,
    /// How long a binary packet may wait for its attachments.
    pub(crate) attachments_timeout: Duration,
    /// `maxHttpBufferSize`: the most attachment bytes of one packet.
    pub(crate) max_http_buffer_size: usize,
    /// How many namespaces one connection may join.
    pub(crate) max_namespaces: usize,
    /// The server's packet codec.
    pub(crate) parser: crate::config::Parser,
}

/// What a CONNECT's namespace name resolves to.
pub(crate) enum Resolved {
    /// An existing namespace, or a child created just now.
    Found(Namespace),
    /// No namespace by that name and no parent matching it.
    Missing,
    /// An async predicate is deciding.
    Pending(Pin<Box<dyn Future<Output = Option<Namespace>> + Send>>),
}

/// What a client needs of the server it belongs to.
pub(crate) trait ClientHost: Send + Sync + 'static {
    /// The limits of a client whose session opens now.
    fn client_limits(&self) -> ClientLimits;
    /// The namespace a client joining `name` with `auth` gets.
    fn resolve(&self, name: &str, auth: &Value) -> Resolved;
    /// A connect attempt to `ns` ended without leaving a socket there (refused, or the
    /// connection went): a dynamic child may be left empty.
    fn after_refusal(&self, ns: &Namespace);
}

pub(crate) struct Client {
    pub(crate) conn: engineio::Socket,
    pub(crate) rev: ProtocolRevision,
    /// The codec of this connection: one per server and revision.
    pub(crate) format: Format,
    host: Weak<dyn ClientHost>,
    /// Of its [`ClientLimits`], what it reads after it is made (the rest sized its decoder
    /// and its connect timer).
    attachments_timeout: Duration,
    max_namespaces: usize,
    decoder: Mutex<Decoder>,
    state: Mutex<ClientState>,
}

#[derive(Default)]
struct ClientState {
    sockets: ByNsp<Socket>,
    /// Namespaces whose middleware is running.
    connecting: ByNsp<()>,
    connect_timer: Option<tokio::task::AbortHandle>,
    /// Running while a binary packet waits for its attachments.
    attachments_timer: Option<tokio::task::AbortHandle>,
    /// The connection closed (every socket has left, and none may join now).
    closed: Option<DisconnectReason>,
}

/// What a connection keeps per namespace: a list, not a hash table. A connection joins a
/// handful of namespaces at most (`max_namespaces` bounds it), a scan of them costs less than a
/// hash, and a table would hold about 150 bytes per connection from its first entry on, and
/// keep them after its last is gone.
#[derive(Debug)]
struct ByNsp<V>(Vec<(String, V)>);

impl<V> Default for ByNsp<V> {
    fn default() -> Self {
        ByNsp(Vec::new())
    }
}

impl<V: Clone> ByNsp<V> {
    fn position(&self, nsp: &str) -> Option<usize> {
        self.0.iter().position(|(n, _)| n == nsp)
    }

    fn contains(&self, nsp: &str) -> bool {
        self.position(nsp).is_some()
    }

    fn get(&self, nsp: &str) -> Option<&V> {
        self.position(nsp).map(|i| &self.0[i].1)
    }

    /// Sets `nsp`'s value; room for one entry at a time, as most connections have one.
    fn insert(&mut self, nsp: String, value: V) {
        match self.position(&nsp) {
            Some(i) => self.0[i].1 = value,
            None => {
                self.0.reserve_exact(1);
                self.0.push((nsp, value));
            }
        }
    }

    /// Removes `nsp`; the last entry gone, the list gives its memory back.
    fn remove(&mut self, nsp: &str) -> Option<V> {
        let i = self.position(nsp)?;
        let (_, value) = self.0.swap_remove(i);
        if self.0.is_empty() {
            self.0 = Vec::new();
        }
        Some(value)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn values(&self) -> Vec<V> {
        self.0.iter().map(|(_, v)| v.clone()).collect()
    }

    fn drain(&mut self) -> Vec<V> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }
}

/// The multiplexed connection under a socket (Node's `socket.client`).
#[derive(Clone)]
pub struct ClientRef(pub(crate) Arc<Client>);

impl std::fmt::Debug for ClientRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.0.conn.id())
            .finish_non_exhaustive()
    }
}

impl ClientRef {
    /// The Engine.IO connection (Node's `client.conn`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let conn = socket.client().conn().clone();
    /// println!("{} over {}", conn.id(), conn.transport().as_str());
    /// # }
    /// ```
    pub fn conn(&self) -> &engineio::Socket {
        &self.0.conn
    }

    /// The request that opened it (Node's `client.request`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let client = socket.client();
    /// let cookie = client.request().headers.get("cookie");
    /// # let _ = cookie;
    /// # }
    /// ```
    pub fn request(&self) -> &engineio::HandshakeRequest {
        self.0.conn.request()
    }
}

impl Client {
    fn state(&self) -> MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn send(&self, packet: &Packet) -> Result<(), EmitError> {
        self.send_with(packet, true)
    }

    /// Sends one packet; `compress` false: Node's `compress(false)` (no permessage-deflate, no
    /// HTTP compression for a payload of such packets alone).
    pub(crate) fn send_with(&self, packet: &Packet, compress: bool) -> Result<(), EmitError> {
        // One recipient, one Engine.IO message (no attachments, or msgpack): sent without a
        // `Wire`.
        let one = match self.format {
            Format::Text(rev) if packet.attachments().is_empty() => {
                let text = framed_text(packet, rev);
                tracing::trace!(
                    target: "socketio::packet",
                    session = %self.conn.id(),
                    nsp = %packet.nsp,
                    wire = %Truncated(&text),
                    "sent"
                );
                engineio::Packet::MessageFramed(text)
            }
            Format::MsgPack => {
                let data = msgpack(packet);
                tracing::trace!(
                    target: "socketio::packet",
                    session = %self.conn.id(),
                    nsp = %packet.nsp,
                    msgpack_bytes = data.len(),
                    "sent"
                );
                engineio::Packet::Binary(data)
            }
            Format::Text(_) => {
                let wire = Wire::encode(packet, self.format);
                tracing::trace!(
                    target: "socketio::packet",
                    session = %self.conn.id(),
                    nsp = %packet.nsp,
                    wire = %Truncated(wire.text()),
                    attachments = %wire.attachments(),
                    "sent"
                );
                return self.send_wire(&wire, compress);
            }
        };
        let one = std::iter::once(one);
        let sent = if compress {
            self.conn.send_packets(one)
        } else {
            self.conn.send_packets_uncompressed(one)
        };
        sent.map_err(|_| EmitError::Disconnected)
    }

    pub(crate) fn send_wire(&self, wire: &Wire, compress: bool) -> Result<(), EmitError> {
        let packets = wire.packets().iter().cloned();
        let sent = if compress {
            self.conn.send_packets(packets)
        } else {
            self.conn.send_packets_uncompressed(packets)
        };
        sent.map_err(|_| EmitError::Disconnected)
    }

    pub(crate) fn remove(&self, nsp: &str) {
        self.state().sockets.remove(nsp);
    }

    /// Every socket leaves with `41`, then the connection closes.
    pub(crate) fn disconnect_all(&self) {
        let sockets: Vec<Socket> = self.state().sockets.values();
        for s in sockets {
            s.disconnect(false);
        }
        self.conn.close();
    }

    /// User code of this connection panicked: every socket leaves (`forced server close`),
    /// then the connection closes. Other connections are not touched.
    pub(crate) fn abort(&self) {
        self.close_all(DisconnectReason::ForcedServerClose);
        self.conn.close();
    }

    fn close_all(&self, reason: DisconnectReason) {
        let sockets: Vec<Socket> = {
            let mut st = self.state();
            st.closed.get_or_insert(reason);
            st.sockets.drain()
        };
        for s in sockets {
            s.on_close(reason);
        }
    }

    /// Closes the connection for a protocol violation (decode error, invalid state).
    fn violation(&self, what: &dyn std::fmt::Display) {
        tracing::debug!(target: "socketio::client", session = %self.conn.id(), %what, "closing the connection");
        self.close_all(DisconnectReason::ForcedClose);
        self.conn.close();
    }

    fn on_text(self: &Arc<Self>, text: &str) {
        if self.format == Format::MsgPack {
            return self.violation(&"text message on a msgpack connection");
        }
        let decoded = self
            .decoder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .decode_text(text);
        self.on_decoded(decoded);
    }

    fn on_binary(self: &Arc<Self>, data: bytes::Bytes) {
        let mut decoder = self.decoder.lock().unwrap_or_else(|e| e.into_inner());
        let decoded = match self.format {
            Format::MsgPack => socketio_protocol::decode_msgpack(&data, decoder.limits()).map(Some),
            Format::Text(_) => decoder.decode_binary(data),
        };
        drop(decoder);
        self.on_decoded(decoded);
    }

    fn on_decoded(
        self: &Arc<Self>,
        decoded: Result<Option<Packet>, socketio_protocol::DecodeError>,
    ) {
        match decoded {
            Ok(Some(packet)) => {
                if let Some(timer) = self.state().attachments_timer.take() {
                    timer.abort();
                }
                self.on_packet(packet)
            }
            Ok(None) => self.await_attachments(),
            Err(e) => self.violation(&e),
        }
    }

    /// Attachments that never arrive: the connection is dropped after `attachments_timeout`.
    fn await_attachments(self: &Arc<Self>) {
        let mut st = self.state();
        if st.attachments_timer.is_some() {
            return;
        }
        let timeout = self.attachments_timeout;
        let weak = Arc::downgrade(self);
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(client) = weak.upgrade() {
                let pending = client
                    .decoder
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_pending();
                if pending {
                    client.violation(&"binary attachments did not arrive in time");
                }
            }
        });
        st.attachments_timer = Some(timer.abort_handle());
    }

    fn on_packet(self: &Arc<Self>, packet: Packet) {
        tracing::trace!(target: "socketio::packet", session = %self.conn.id(), ?packet, "received");
        let Packet { nsp, query, data } = packet;
        match data {
            PacketData::Connect(auth) => {
                let busy = {
                    let st = self.state();
                    st.sockets.contains(&nsp) || st.connecting.contains(&nsp)
                };
                if busy {
                    self.violation(&"CONNECT for a namespace already joined");
                    return;
                }
                let auth = match self.rev {
                    ProtocolRevision::V5 => {
                        auth.unwrap_or_else(|| Value::Object(Default::default()))
                    }
                    ProtocolRevision::V4 => query_object(query.as_deref()),
                };
                self.connect(nsp, auth);
            }
            PacketData::ConnectError(_) => self.violation(&"CONNECT_ERROR from a client"),
            data => {
                let socket = self.state().sockets.get(&nsp).cloned();
                match socket {
                    Some(socket) => socket.on_packet(data),
                    None => self.violation(&format_args!("packet for namespace {nsp} not joined")),
                }
            }
        }
    }

    /// Joins `nsp`: namespace lookup (exact, else a dynamic parent's match), middleware, then
    /// CONNECT and the connection handlers.
    pub(crate) fn connect(self: &Arc<Self>, nsp: String, auth: Value) {
        let Some(host) = self.host.upgrade() else {
            return;
        };
        let joined = {
            let st = self.state();
            st.sockets.len() + st.connecting.len()
        };
        if joined >= self.max_namespaces {
            tracing::debug!(target: "socketio::namespace", session = %self.conn.id(), %nsp, "too many namespaces");
            let error = serde_json::json!({ "message": "Too many namespaces" });
            let _ = self.send(&Packet::connect_error(nsp, error));
            return;
        }
        match host.resolve(&nsp, &auth) {
            Resolved::Found(ns) => self.connect_to(ns, nsp, auth),
            Resolved::Missing => self.invalid_namespace(nsp),
            Resolved::Pending(lookup) => {
                self.state().connecting.insert(nsp.clone(), ());
                let client = self.clone();
                tokio::spawn(async move {
                    let site = Site {
                        nsp: &nsp,
                        socket: "",
                        what: "namespace predicate",
                    };
                    match guard::call_async(site, lookup).await {
                        Some(Some(ns)) => client.connect_to(ns, nsp, auth),
                        Some(None) => {
                            client.state().connecting.remove(&nsp);
                            client.invalid_namespace(nsp);
                        }
                        None => client.abort(),
                    }
                });
            }
        }
    }

    fn invalid_namespace(&self, nsp: String) {
        tracing::debug!(target: "socketio::namespace", session = %self.conn.id(), %nsp, "invalid namespace");
        let error = serde_json::json!({ "message": "Invalid namespace" });
        let _ = self.send(&Packet::connect_error(nsp, error));
    }

    fn connect_to(self: &Arc<Self>, ns: Namespace, nsp: String, auth: Value) {
        // The namespace counts this client as joining (taken by `resolve`) until the attempt
        // ends, so an empty dynamic child is not removed under it.
        let joining = Joining(ns.clone());
        let recovery = match self.rev {
            ProtocolRevision::V5 => ns.recovery(),
            ProtocolRevision::V4 => None,
        };
        let Some(recovery) = recovery else {
            return self.connect_socket(ns, nsp, auth, None, joining);
        };
        // A 4.x client that had a session sends it back: `{pid, offset}` (both strings).
        let claim = match (auth.get("pid"), auth.get("offset")) {
            (Some(Value::String(pid)), Some(Value::String(offset))) => {
                Some((pid.clone(), offset.clone()))
            }
            _ => None,
        };
        let Some((pid, offset)) = claim else {
            return self.connect_socket(ns, nsp, auth, Some((recovery, None)), joining);
        };
        self.state().connecting.insert(nsp.clone(), ());
        let client = self.clone();
        tokio::spawn(async move {
            let site = Site {
                nsp: &nsp,
                socket: "",
                what: "session restore",
            };
            let restore = recovery.store.restore(&pid, &offset);
            let Some(restored) = guard::call_async(site, restore).await else {
                client.state().connecting.remove(&nsp);
                client.attempt_ended(joining);
                return client.abort();
            };
            client.state().connecting.remove(&nsp);
            if restored.is_none() {
                tracing::debug!(target: "socketio::namespace", session = %client.conn.id(), %nsp, "session not recovered: a fresh one");
            }
            client.connect_socket(ns, nsp, auth, Some((recovery, restored)), joining);
        });
    }

    /// Makes the socket (fresh, or taking over a restored session), runs the middleware
    /// unless a recovery skips it, then joins.
    fn connect_socket(
        self: &Arc<Self>,
        ns: Namespace,
        nsp: String,
        auth: Value,
        recovery: Option<(Arc<Recovery>, Option<RecoveredSession>)>,
        joining: Joining,
    ) {
        let fresh_id = || -> Arc<str> {
            match self.rev {
                ProtocolRevision::V5 => Arc::from(engineio::Sid::generate().as_str()),
                ProtocolRevision::V4 if nsp == "/" => Arc::from(self.conn.id().as_str()),
                ProtocolRevision::V4 => Arc::from(format!("{nsp}#{}", self.conn.id()).as_str()),
            }
        };
        let (socket, replay) = match recovery {
            None => (
                Socket::new(
                    fresh_id(),
                    ns.clone(),
                    self.clone(),
                    auth,
                    None,
                    Value::Null,
                ),
                None,
            ),
            Some((recovery, None)) => {
                let info = SocketRecovery {
                    pid: engineio::Sid::generate().as_str().into(),
                    joined_at: recovery.store.position(),
                    recovered: false,
                };
                let socket = Socket::new(
                    fresh_id(),
                    ns.clone(),
                    self.clone(),
                    auth,
                    Some(info),
                    Value::Null,
                );
                (socket, None)
            }
            Some((recovery, Some(mut restored))) => {
                let session = &mut restored.session;
                tracing::debug!(target: "socketio::namespace", socket = %session.sid, session = %self.conn.id(), %nsp, missed = restored.missed.len(), "connection state recovered");
                let info = SocketRecovery {
                    pid: session.pid.as_str().into(),
                    joined_at: session.joined_at.clone(),
                    recovered: true,
                };
                let data = std::mem::take(&mut session.data);
                let socket = Socket::new(
                    Arc::from(session.sid.as_str()),
                    ns.clone(),
                    self.clone(),
                    auth,
                    Some(info),
                    data,
                );
                let skip = recovery.skip_middlewares;
                (socket, Some((recovery, restored, skip)))
            }
        };
        let skip_middleware = replay.as_ref().is_some_and(|(_, _, skip)| *skip);
        let replay = replay.map(|(recovery, restored, _)| (recovery, restored));
        if skip_middleware || !ns.has_middleware() {
            self.finish_connect(socket, replay);
            self.attempt_ended(joining);
            return;
        }
        self.state().connecting.insert(nsp.clone(), ());
        let client = self.clone();
        tokio::spawn(async move {
            let result = ns.run_middleware(&socket).await;
            client.state().connecting.remove(&nsp);
            match result {
                None => {
                    client.attempt_ended(joining);
                    client.abort();
                }
                Some(Ok(())) => {
                    client.finish_connect(socket, replay);
                    client.attempt_ended(joining);
                }
                Some(Err(e)) => {
                    tracing::debug!(target: "socketio::namespace", session = %client.conn.id(), %nsp, error = %e, "refused by middleware");
                    if let Some((recovery, restored)) = replay {
                        // Refused, not recovered: the session stays for a later try, as in
                        // Node (whose restore leaves it in place).
                        recovery.store.persist(restored.session);
                    }
                    client.attempt_ended(joining);
                    let payload = match client.rev {
                        ProtocolRevision::V5 => {
                            let mut m = serde_json::Map::new();
                            m.insert("message".into(), Value::String(e.message().to_owned()));
                            if let Some(data) = e.data() {
                                m.insert("data".into(), data.clone());
                            }
                            Value::Object(m)
                        }
                        ProtocolRevision::V4 => e
                            .data()
                            .cloned()
                            .unwrap_or_else(|| Value::String(e.message().to_owned())),
                    };
                    let _ = client.send(&Packet::connect_error(nsp, payload));
                }
            }
        });
    }

    /// A connect attempt ended (joined, refused, or the connection went): a dynamic child it
    /// leaves empty goes when cleanup is on.
    fn attempt_ended(&self, joining: Joining) {
        let ns = joining.0.clone();
        drop(joining);
        if ns.is_idle() {
            if let Some(host) = self.host.upgrade() {
                host.after_refusal(&ns);
            }
        }
    }

    fn finish_connect(
        self: &Arc<Self>,
        socket: Socket,
        replay: Option<(Arc<Recovery>, RecoveredSession)>,
    ) {
        if !self.conn.is_connected() {
            if let Some((recovery, restored)) = replay {
                // Gone again before it joined: the session stays for the next try.
                let mut session = restored.session;
                session.data = socket.data_value();
                recovery.store.persist(session);
            }
            return;
        }
        let nsp = socket.ns_name().to_owned();
        let _opening = socket.begin_open();
        let listeners_ok = match replay {
            None => socket.ns().add(&socket),
            Some((recovery, restored)) => {
                let RecoveredSession {
                    session,
                    mut missed,
                    through,
                } = restored;
                let events = {
                    // No broadcast is between recording and delivering now: what was recorded
                    // since the restore is caught up here, and what comes after finds the
                    // socket in its rooms.
                    let _gate = recovery.write_gate();
                    missed.extend(recovery.store.catch_up(&through, &session.rooms));
                    // Before the CONNECT reply, as Node sends them: the client holds them
                    // until it is connected, then gives them to its listeners in order.
                    for p in missed {
                        let payload = Payload::with_attachments(p.data, p.attachments);
                        let _ = self.send(&Packet::event(nsp.clone(), payload, None));
                    }
                    socket.ns().add_quiet(&socket, &session.rooms)
                };
                socket.ns().room_events(events)
            }
        };
        // The connection may have closed meanwhile (on another worker): then `close_all` has
        // run, and this socket leaves at once instead of staying in its namespace.
        let closed = {
            let mut st = self.state();
            st.connecting.remove(&nsp);
            match st.closed {
                Some(reason) => Some(reason),
                None => {
                    st.sockets.insert(nsp.clone(), socket.clone());
                    if let Some(timer) = st.connect_timer.take() {
                        timer.abort();
                    }
                    None
                }
            }
        };
        if let Some(reason) = closed {
            socket.on_close(reason);
            return;
        }
        if !listeners_ok {
            return self.abort();
        }
        let reply = match self.rev {
            ProtocolRevision::V5 => {
                let data = match socket.pid() {
                    Some(pid) => serde_json::json!({ "sid": socket.id(), "pid": pid }),
                    None => serde_json::json!({ "sid": socket.id() }),
                };
                Packet::connect(nsp.clone(), Some(data))
            }
            ProtocolRevision::V4 => Packet::connect(nsp.clone(), None),
        };
        let _ = self.send(&reply);
        tracing::debug!(target: "socketio::namespace", socket = %socket.id(), session = %self.conn.id(), %nsp, "connected");
        if !socket.ns().run_connection_handlers(&socket) {
            return self.abort();
        }
        socket.open();
    }
}

/// One client counted as joining a namespace ([`Namespace::begin_connect`]) until dropped.
struct Joining(Namespace);

impl Drop for Joining {
    fn drop(&mut self) {
        self.0.end_connect();
    }
}

/// Protocol 4 CONNECT query → the `auth` object: string values, the last of repeated keys,
/// `+` as space. As Node's `querystring` (`maxKeys` 1000), only the first 1,000 `&`-separated
/// pieces count, which bounds the work on a huge query.
fn query_object(query: Option<&str>) -> Value {
    const MAX_KEYS: usize = 1000;
    let query = query.unwrap_or("");
    let query = match query.match_indices('&').nth(MAX_KEYS - 1) {
        Some((end, _)) => &query[..end],
        None => query,
    };
    let mut map = serde_json::Map::new();
    for (k, v) in engineio::parse_query(query) {
        map.insert(k, Value::String(v));
    }
    Value::Object(map)
}

/// Bridges Engine.IO sessions to Socket.IO clients.
pub(crate) struct Bridge {
    host: Weak<dyn ClientHost>,
}

impl Bridge {
    pub(crate) fn new(host: Weak<dyn ClientHost>) -> Self {
        Bridge { host }
    }
}

impl engineio::Handler for Bridge {
    fn on_connect(&self, conn: engineio::Socket) {
        let Some(host) = self.host.upgrade() else {
            conn.close();
            return;
        };
        let limits = host.client_limits();
        let rev = match conn.protocol() {
            engineio::ProtocolVersion::V3 => ProtocolRevision::V4,
            _ => ProtocolRevision::V5,
        };
        let client = Arc::new(Client {
            conn: conn.clone(),
            rev,
            format: Format::new(limits.parser, rev),
            host: self.host.clone(),
            attachments_timeout: limits.attachments_timeout,
            max_namespaces: limits.max_namespaces,
            decoder: Mutex::new(Decoder::new(
                rev,
                DecoderLimits::default().with_max_attachment_bytes(limits.max_http_buffer_size),
            )),
            state: Mutex::new(ClientState::default()),
        });
        conn.set_data(client.clone());
        // `connectTimeout` (Node's `Client#setup`), for both protocols: a protocol 4 client
        // whose `/` middleware never answers, and which joins nothing else, goes too.
        let timeout = limits.connect_timeout;
        let weak = Arc::downgrade(&client);
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(client) = weak.upgrade() {
                if client.state().sockets.is_empty() {
                    tracing::debug!(target: "socketio::client", session = %client.conn.id(), "no namespace joined in time");
                    client.conn.close();
                }
            }
        });
        client.state().connect_timer = Some(timer.abort_handle());
        // Protocol 4 clients are in `/` as soon as the session opens.
        if rev == ProtocolRevision::V4 {
            client.connect("/".to_owned(), Value::Object(Default::default()));
        }
    }

    fn on_message(&self, conn: &engineio::Socket, message: Message) {
        let Some(client) = conn.data::<Client>() else {
            return;
        };
        match message {
            Message::Text(text) => client.on_text(&text),
            Message::Binary(data) => client.on_binary(data),
        }
    }

    fn on_close(&self, conn: &engineio::Socket, reason: engineio::CloseReason) {
        let Some(client) = conn.data::<Client>() else {
            return;
        };
        {
            let mut st = client.state();
            for timer in [st.connect_timer.take(), st.attachments_timer.take()]
                .into_iter()
                .flatten()
            {
                timer.abort();
            }
        }
        client.close_all(reason.into());
    }
}
