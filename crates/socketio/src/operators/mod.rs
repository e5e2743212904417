//! Broadcast operators: `to`/`in`, `except`, `local`, `volatile`, `compress`, `timeout`, and
//! the operations they target: emit (with acks), fetch sockets, join/leave, disconnect; the
//! remote socket a fetch returns, and the per-socket emitter (`emitter`).

mod constructors;
mod emitter;

pub use emitter::SocketEmitter;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_protocol::{Packet, RESERVED_EVENTS};
use tokio::sync::mpsc;

use crate::adapter::{
    BroadcastOptions, ClusterPacket, ClusterRequest, ClusterResponse, SocketData,
    DEFAULT_REQUEST_TIMEOUT,
};
use crate::args::to_payload;
use crate::error::{BroadcastAckError, EmitError};
use crate::namespace::{cluster_any, Namespace};
use crate::socket::Socket;
use crate::{AnyValue, Handshake, IntoRoom, Room};

/// A broadcast being built: chain `to`, `except`, flags... then an operation.
///
/// ```no_run
/// # async fn f(io: socketio::Server) {
/// // Everyone in "a" or "b" but those in "muted", each once.
/// let _ = io.to("a").to("b").except("muted").emit("news", &"hello");
/// // Acks from everyone in "a", within 2 s.
/// let answers = io.to("a").timeout(std::time::Duration::from_secs(2)).emit_with_ack("poll", &()).await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BroadcastOperator {
    ns: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace) -> Self {
        BroadcastOperator {
            ns,
            opts: BroadcastOptions::default(),
        }
    }

    /// Adds `room` to the targets (union with the rooms already named).
    pub fn to(mut self, room: impl IntoRoom) -> Self {
        self.opts.rooms.push(room.into_room());
        self
    }

    /// Adds several rooms to the targets.
    pub fn to_all(mut self, rooms: impl IntoIterator<Item = impl IntoRoom>) -> Self {
        self.opts
            .rooms
            .extend(rooms.into_iter().map(IntoRoom::into_room));
        self
    }

    /// Synonym of [`BroadcastOperator::to`] (Node's `in`).
    pub fn within(self, room: impl IntoRoom) -> Self {
        self.to(room)
    }

    /// Excludes the sockets in `room` (a socket id excludes that socket).
    pub fn except(mut self, room: impl IntoRoom) -> Self {
        self.opts.except.push(room.into_room());
        self
    }

    /// This node only: nothing is published to other nodes. On a dynamic parent namespace,
    /// every operation then applies to the local sockets of each child, fetches included.
    pub fn local(mut self) -> Self {
        self.opts.flags.local = true;
        self
    }

    /// Dropped for each recipient whose transport cannot take it now (between polls, or while
    /// a WebSocket write is in flight); what is sent is never reordered.
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = true;
        self
    }

    /// The compression wish for the WebSocket frames (used when per-message deflate is on).
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = Some(compress);
        self
    }

    /// Bounds the answers: needed for [`TimeoutOperator::emit_with_ack`], and the wait of
    /// [`BroadcastOperator::fetch_sockets`] (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> TimeoutOperator {
        self.opts.flags.timeout = Some(timeout.as_millis() as u64);
        TimeoutOperator { op: self, timeout }
    }

    /// The children of a dynamic parent, for a `local` operation on it. A parent has no
    /// sockets of its own, and its adapter (which fans out to the children) is a cluster path
    /// that `local` skips: such an operation is applied to each child's local sockets here,
    /// as a request from another node would be, and never leaves this node.
    fn local_children(&self) -> Option<Vec<Namespace>> {
        if self.opts.flags.local {
            self.ns.children()
        } else {
            None
        }
    }

    /// The local sockets targeted: this namespace's, or for a `local` operation on a dynamic
    /// parent, each child's.
    fn local_targets(&self) -> Vec<Socket> {
        match self.local_children() {
            Some(children) => children
                .iter()
                .flat_map(|c| c.local_targets(&self.opts))
                .collect(),
            None => self.ns.local_targets(&self.opts),
        }
    }

    fn publish(
        &self,
        request: ClusterRequest,
    ) -> Result<Option<mpsc::UnboundedReceiver<ClusterResponse>>, EmitError> {
        if self.opts.flags.local {
            return Ok(None);
        }
        self.ns
            .adapter()
            .publish(request)
            .map(Some)
            .map_err(|e| EmitError::Adapter(e.to_string()))
    }

    /// Emits `event` to every target (every node unless `local`), encoding the packet once per
    /// wire form.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let mut payload = to_payload(Some(event), data)?;
        // With connection state recovery, an event without ack and not volatile is kept with
        // an offset as its last argument (Node's `SessionAwareAdapter.broadcast`).
        let keep = !self.opts.flags.volatile;
        if let Some(children) = self.local_children() {
            for child in children {
                let mut payload = payload.clone();
                let recovery = keep.then(|| child.recovery()).flatten();
                let _gate = recovery.as_ref().map(|r| r.read_gate());
                if let Some(r) = &recovery {
                    r.stamp(&mut payload, &self.opts);
                }
                let packet = Packet::event(child.name(), payload, None);
                child.broadcast_local(&packet, &self.opts, |_| {});
            }
            return Ok(());
        }
        let recovery = keep.then(|| self.ns.recovery()).flatten();
        let _gate = recovery.as_ref().map(|r| r.read_gate());
        if let Some(r) = &recovery {
            r.stamp(&mut payload, &self.opts);
        }
        let packet = Packet::event(self.ns.name(), payload, None);
        self.ns.broadcast_local(&packet, &self.opts, |_| {});
        if !self.opts.flags.local && self.ns.adapter().publishes_broadcasts() {
            let Some(p) = packet.payload() else {
                return Ok(());
            };
            self.publish(ClusterRequest::Broadcast {
                packet: ClusterPacket {
                    data: p.data.clone(),
                    attachments: p.attachments.clone(),
                },
                opts: self.opts.clone(),
                with_ack: false,
            })?;
        }
        Ok(())
    }

    /// Describes the targeted sockets on every node (Node's `fetchSockets`), waiting at most
    /// 5 s for the other nodes (see [`BroadcastOperator::timeout`]).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, BroadcastAckError> {
        self.fetch_sockets_within(DEFAULT_REQUEST_TIMEOUT).await
    }

    /// As [`BroadcastOperator::fetch_sockets`], but a node that does not answer within
    /// `timeout` is left out instead of failing the whole fetch: the sockets of every node that
    /// answered, and how many nodes did not (a node that went away is counted until the
    /// adapter's server count catches up). For dashboards, where most of the list beats none.
    pub async fn fetch_sockets_partial(
        &self,
        timeout: Duration,
    ) -> Result<(Vec<RemoteSocket>, usize), EmitError> {
        self.fetch_available(timeout).await
    }

    async fn fetch_sockets_within(
        &self,
        timeout: Duration,
    ) -> Result<Vec<RemoteSocket>, BroadcastAckError> {
        let (out, missing) = self.fetch_available(timeout).await?;
        if missing > 0 {
            return Err(BroadcastAckError::Timeout {
                responses: Vec::new(),
            });
        }
        Ok(out)
    }

    /// The targeted sockets of this node and of the nodes that answered within `timeout`, and
    /// how many nodes did not answer.
    async fn fetch_available(
        &self,
        timeout: Duration,
    ) -> Result<(Vec<RemoteSocket>, usize), EmitError> {
        let mut out: Vec<RemoteSocket> = self
            .local_targets()
            .into_iter()
            .map(RemoteSocket::Local)
            .collect();
        let expected = if self.opts.flags.local {
            0
        } else {
            let adapter = self.ns.adapter();
            adapter.count_servers().await.saturating_sub(1)
        };
        if expected == 0 {
            return Ok((out, 0));
        }
        let Some(mut rx) = self.publish(ClusterRequest::FetchSockets {
            opts: self.opts.clone(),
        })?
        else {
            return Ok((out, 0));
        };
        let mut answered = 0;
        let collect = async {
            while answered < expected {
                match rx.recv().await {
                    Some(ClusterResponse::FetchSockets(sockets)) => {
                        answered += 1;
                        out.extend(sockets.into_iter().map(|data| {
                            RemoteSocket::Remote(Box::new(RemoteSocketData {
                                data,
                                ns: self.ns.clone(),
                            }))
                        }));
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let _ = tokio::time::timeout(timeout, collect).await;
        Ok((out, expected.saturating_sub(answered)))
    }

    /// The ids of the targeted sockets on every node (the seed's `clients(cb)`).
    pub async fn clients(&self) -> Vec<String> {
        match self.fetch_sockets().await {
            Ok(sockets) => sockets.iter().map(|s| s.id().to_owned()).collect(),
            Err(_) => self
                .local_targets()
                .iter()
                .map(|s| s.id().to_owned())
                .collect(),
        }
    }

    /// Makes the targeted sockets join `rooms`, on every node (Node's `socketsJoin`).
    pub fn sockets_join(
        &self,
        rooms: impl IntoIterator<Item = impl IntoRoom>,
    ) -> Result<(), EmitError> {
        let rooms: Vec<Room> = rooms.into_iter().map(IntoRoom::into_room).collect();
        for s in self.local_targets() {
            let _ = s.join_all(rooms.iter().cloned());
        }
        self.publish(ClusterRequest::SocketsJoin {
            opts: self.opts.clone(),
            rooms,
        })?;
        Ok(())
    }

    /// Makes the targeted sockets leave `rooms`, on every node (Node's `socketsLeave`).
    pub fn sockets_leave(
        &self,
        rooms: impl IntoIterator<Item = impl IntoRoom>,
    ) -> Result<(), EmitError> {
        let rooms: Vec<Room> = rooms.into_iter().map(IntoRoom::into_room).collect();
        for s in self.local_targets() {
            for r in &rooms {
                s.leave(r);
            }
        }
        self.publish(ClusterRequest::SocketsLeave {
            opts: self.opts.clone(),
            rooms,
        })?;
        Ok(())
    }

    /// Disconnects the targeted sockets, on every node (Node's `disconnectSockets`); `close`
    /// closes their whole connections.
    pub fn disconnect_sockets(&self, close: bool) -> Result<(), EmitError> {
        for s in self.local_targets() {
            s.disconnect(close);
        }
        self.publish(ClusterRequest::DisconnectSockets {
            opts: self.opts.clone(),
            close,
        })?;
        Ok(())
    }
}

/// Removes a broadcast's ack waiter from each of its recipients when dropped.
struct ForgetAcks {
    sockets: Vec<Socket>,
    id: u64,
}

impl Drop for ForgetAcks {
    fn drop(&mut self) {
        for socket in &self.sockets {
            socket.forget_ack(self.id);
        }
    }
}

/// A broadcast with a bound on its answers; see [`BroadcastOperator::timeout`].
#[derive(Debug, Clone)]
pub struct TimeoutOperator {
    op: BroadcastOperator,
    timeout: Duration,
}

impl TimeoutOperator {
    /// Emits `event` with one ack id shared by every recipient, on every node, and collects
    /// each recipient's first ack argument in arrival order. Resolves when all answered;
    /// fails with `operation has timed out` and the partial answers otherwise.
    pub async fn emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<AnyValue>, BroadcastAckError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()).into());
        }
        let ns = &self.op.ns;
        let opts = &self.op.opts;
        let payload = to_payload(Some(event), data)?;
        let (tx, mut rx) = mpsc::unbounded_channel::<AnyValue>();
        let id = ns.next_ack_id();
        let packet = Packet::event(ns.name(), payload, Some(id));
        // When this ends (every answer in, the timeout, or the future dropped), no recipient
        // keeps a waiter for a client that never answers.
        let mut waiting = ForgetAcks {
            sockets: Vec::new(),
            id,
        };
        let mut expected = ns.broadcast_local(&packet, opts, |socket: &Socket| {
            let tx = tx.clone();
            waiting.sockets.push(socket.clone());
            socket.register_ack(
                id,
                Box::new(move |args| {
                    if let Some(args) = args {
                        let _ = tx.send(args.0.into_iter().next().unwrap_or_default());
                    }
                }),
            );
        });
        let request = || {
            let p = packet.payload().cloned().unwrap_or_default();
            ClusterRequest::Broadcast {
                packet: ClusterPacket {
                    data: p.data,
                    attachments: p.attachments,
                },
                opts: opts.clone(),
                with_ack: true,
            }
        };
        let (servers, mut remote) = if let Some(children) = self.op.local_children() {
            // Each child answers as a node would: its client count, then its clients' acks
            // (with ack ids of its own).
            let (child_tx, child_rx) = mpsc::unbounded_channel();
            for child in &children {
                child.apply_remote(request(), child_tx.clone());
            }
            (children.len(), Some(child_rx))
        } else {
            let servers = if opts.flags.local {
                0
            } else {
                let adapter = ns.adapter();
                adapter.count_servers().await.saturating_sub(1)
            };
            // Published whenever the adapter publishes broadcasts, so that nodes it has not
            // counted yet still deliver it; only the counted ones are waited for.
            let remote =
                if servers > 0 || (!opts.flags.local && ns.adapter().publishes_broadcasts()) {
                    self.op.publish(request())?
                } else {
                    None
                };
            (servers, remote)
        };
        drop(tx);
        let mut responses = Vec::new();
        let mut counts = 0;
        let mut local_open = true;
        let collect = async {
            loop {
                if counts >= servers && responses.len() >= expected {
                    return;
                }
                if !local_open && remote.is_none() {
                    return;
                }
                tokio::select! {
                    local = rx.recv(), if local_open => match local {
                        Some(v) => responses.push(v),
                        None => local_open = false,
                    },
                    r = async { remote.as_mut().expect("guarded").recv().await }, if remote.is_some() => match r {
                        Some(ClusterResponse::BroadcastClientCount(n)) => {
                            counts += 1;
                            expected += n;
                        }
                        Some(ClusterResponse::BroadcastAck(p)) => responses.push(cluster_any(p)),
                        Some(_) => {}
                        None => remote = None,
                    },
                }
            }
        };
        let _ = tokio::time::timeout(self.timeout, collect).await;
        if counts >= servers && responses.len() >= expected {
            Ok(responses)
        } else {
            Err(BroadcastAckError::Timeout { responses })
        }
    }

    /// [`BroadcastOperator::fetch_sockets`] waiting at most this timeout.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, BroadcastAckError> {
        self.op.fetch_sockets_within(self.timeout).await
    }
}

/// A socket returned by `fetch_sockets`: on this node or another.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RemoteSocket {
    /// A socket of this node.
    Local(Socket),
    /// A socket of another node.
    Remote(Box<RemoteSocketData>),
}

/// What another node told of one of its sockets, and where to send operations on it.
#[derive(Debug, Clone)]
pub struct RemoteSocketData {
    data: SocketData,
    ns: Namespace,
}

impl RemoteSocket {
    /// The socket id.
    pub fn id(&self) -> &str {
        match self {
            RemoteSocket::Local(s) => s.id(),
            RemoteSocket::Remote(r) => &r.data.id,
        }
    }

    /// Its handshake.
    pub fn handshake(&self) -> Handshake {
        match self {
            RemoteSocket::Local(s) => s.handshake().clone(),
            RemoteSocket::Remote(r) => r.data.handshake.clone(),
        }
    }

    /// Its rooms.
    pub fn rooms(&self) -> Vec<Room> {
        match self {
            RemoteSocket::Local(s) => s.rooms(),
            RemoteSocket::Remote(r) => r.data.rooms.clone(),
        }
    }

    /// Its user data as `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        match self {
            RemoteSocket::Local(s) => s.data(),
            RemoteSocket::Remote(r) => serde_json::from_value(r.data.data.clone()).ok(),
        }
    }

    /// Its user data as JSON, with the tags of [`Socket::set_data_tag`] as other nodes see
    /// them (for a socket of a Node server: its `socket.data`).
    pub fn data_value(&self) -> serde_json::Value {
        match self {
            RemoteSocket::Local(s) => s.tagged_data(),
            RemoteSocket::Remote(r) => r.data.data.clone(),
        }
    }

    /// The namespace it is in, on whichever node.
    pub fn namespace(&self) -> &Namespace {
        match self {
            RemoteSocket::Local(s) => s.ns(),
            RemoteSocket::Remote(r) => &r.ns,
        }
    }

    fn only_me(&self) -> BroadcastOperator {
        let ns = match self {
            RemoteSocket::Local(s) => s.ns().clone(),
            RemoteSocket::Remote(r) => r.ns.clone(),
        };
        BroadcastOperator::new(ns).to(self.id())
    }

    /// Emits to this socket, wherever it is.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        match self {
            RemoteSocket::Local(s) => s.emit(event, data),
            RemoteSocket::Remote(_) => self.only_me().emit(event, data),
        }
    }

    /// Emits with an ack and waits at most `timeout` for this socket's one answer (its first
    /// argument).
    pub async fn emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<AnyValue, BroadcastAckError> {
        let mut answers = self
            .only_me()
            .timeout(timeout)
            .emit_with_ack(event, data)
            .await?;
        answers.pop().ok_or(BroadcastAckError::Timeout {
            responses: Vec::new(),
        })
    }

    /// Makes this socket join `room`.
    pub fn join(&self, room: impl IntoRoom) -> Result<(), EmitError> {
        self.only_me().sockets_join([room.into_room()])
    }

    /// Makes this socket leave `room`.
    pub fn leave(&self, room: impl IntoRoom) -> Result<(), EmitError> {
        self.only_me().sockets_leave([room.into_room()])
    }

    /// Disconnects this socket (`close`: its whole connection).
    pub fn disconnect(&self, close: bool) -> Result<(), EmitError> {
        match self {
            RemoteSocket::Local(s) => {
                s.disconnect(close);
                Ok(())
            }
            RemoteSocket::Remote(_) => self.only_me().disconnect_sockets(close),
        }
    }
}
