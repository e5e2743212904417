//! One Engine.IO session: its state, its outbound queue, the public [`Socket`] handle, the
//! [`Handler`] it reports to, and its heartbeat deadlines.
//!
//! The session's state sits behind one short-held mutex. The layers above act on it: the task
//! per session (`driver`) runs the timers and reads the WebSocket, senders write WebSocket
//! frames themselves through the connection's writer (`conn`), and polling requests and the
//! probe of an upgrade touch the state directly. What a session needs of its engine (options,
//! handler, the session table) comes down as a [`SessionContext`]; nothing here names a layer
//! above.

mod context;
mod flusher;
mod handler;
pub(crate) mod observer;
mod socket;
mod timers;
mod wakeup;

pub(crate) use context::SessionContext;
pub use handler::{Handler, Message};
pub use observer::Observer;
pub use socket::Socket;

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use engineio_protocol::{CloseReason, Packet, ProtocolVersion, Reply, Sid};
use tokio::sync::oneshot;

use crate::conn::{Flushed, Framing, WsConn, WsWriter};
use crate::error::SendError;
use crate::request::StoredRequest;

pub(crate) enum Transport {
    Polling {
        /// The GET waiting for packets.
        get: Option<oneshot::Sender<Polled>>,
        /// A POST body is being read.
        post_active: bool,
    },
    Websocket,
}

pub(crate) struct State {
    pub(crate) proto: engineio_protocol::Session,
    pub(crate) transport: Transport,
    pub(crate) queue: VecDeque<Queued>,
    pub(crate) queued_bytes: usize,
    /// Set once: the reason the session closed (the handler has been or is being told).
    pub(crate) closed: Option<CloseReason>,
    /// Removed from the session table; the driver exits.
    pub(crate) finished: bool,
    /// Sends the probing WebSocket to the driver once the upgrade completes.
    pub(crate) upgrade_tx: Option<oneshot::Sender<WsConn>>,
    /// Aborts a running probe (upgrade timeout, session close).
    pub(crate) probe_abort: Option<oneshot::Sender<()>>,
    /// A WebSocket is probing or has completed the upgrade.
    pub(crate) upgrading: bool,
    /// The probing WebSocket answered `3probe`: polls are released with a noop from now on.
    pub(crate) probed: bool,
    /// The close was graceful: what is queued, then the close packet, is still being delivered.
    pub(crate) graceful_close: bool,
    /// Binary as base64 on polling (`b64` on the handshake request).
    pub(crate) polling_b64: bool,
    /// Binary as base64 on the WebSocket (`b64` on the WebSocket request).
    pub(crate) ws_b64: bool,
}

/// A packet waiting for a transport, with its compression wish: `compress(false)` packets keep
/// it until they are framed, on polling (see [`Polled`]) or on the WebSocket after an upgrade
/// (no permessage-deflate for their frames).
pub(crate) struct Queued {
    pub(crate) packet: Packet,
    pub(crate) compress: bool,
}

impl From<Packet> for Queued {
    fn from(packet: Packet) -> Self {
        Queued {
            packet,
            compress: true,
        }
    }
}

/// A polling payload and whether HTTP compression may apply to it (not when every packet was
/// sent `compress(false)`).
pub(crate) struct Polled {
    pub(crate) packets: Vec<Packet>,
    pub(crate) compress: bool,
}

impl From<Vec<Packet>> for Polled {
    fn from(packets: Vec<Packet>) -> Self {
        Polled {
            packets,
            compress: true,
        }
    }
}

/// The right to hand the handler messages of one session (see [`SessionInner::turn`]).
pub(crate) struct Turn<'a>(#[allow(dead_code)] MutexGuard<'a, ()>);

/// The session's WebSocket write side, set once the session is on it.
pub(crate) struct WsOut {
    pub(crate) writer: Arc<WsWriter>,
    pub(crate) framing: Framing,
}

/// A callback for the upgrade event.
pub(crate) type UpgradeFn = Box<dyn FnOnce(&Socket) + Send>;

pub(crate) struct SessionInner {
    pub(crate) sid: Sid,
    pub(crate) version: ProtocolVersion,
    pub(crate) request: StoredRequest,
    pub(crate) ctx: Arc<SessionContext>,
    state: Mutex<State>,
    /// Where senders write once the session is on its WebSocket (set by the driver, under the
    /// state's lock); `queue` then only holds what came before, until the driver moves it.
    pub(crate) ws_out: OnceLock<WsOut>,
    /// Wakes the driver: queue or timers changed, or the session closed.
    pub(crate) notify: wakeup::Wakeup,
    /// The layer above's per-session value; cleared when the session closes so that no cycle
    /// outlives it.
    pub(crate) data: Mutex<Option<Arc<dyn Any + Send + Sync>>>,
    /// Called once the session has moved to the WebSocket (Node's `socket.on("upgrade")`).
    pub(crate) on_upgrade: Mutex<Vec<UpgradeFn>>,
    /// Held while the handler takes a message: a POST still delivering when the upgrade
    /// completes, and the WebSocket's reader, take turns, so the handler's calls for one
    /// session come one at a time, as [`Handler`] promises.
    delivery: Mutex<()>,
}

/// Bytes a packet occupies in the outbound bound (its payload; framing is small and bounded).
pub(crate) fn packet_cost(p: &Packet) -> usize {
    1 + match p {
        Packet::Open(s)
        | Packet::Ping(s)
        | Packet::Pong(s)
        | Packet::Message(s)
        | Packet::MessageFramed(s) => s.len(),
        Packet::Binary(b) => b.len(),
        _ => 0,
    }
}

impl SessionInner {
    pub(crate) fn new(
        sid: Sid,
        version: ProtocolVersion,
        request: StoredRequest,
        ctx: Arc<SessionContext>,
        transport: Transport,
        b64: bool,
    ) -> Self {
        let proto = engineio_protocol::Session::new(version, ctx.config.timing(), Instant::now());
        SessionInner {
            sid,
            version,
            request,
            ctx,
            state: Mutex::new(State {
                proto,
                transport,
                queue: VecDeque::new(),
                queued_bytes: 0,
                closed: None,
                finished: false,
                upgrade_tx: None,
                probe_abort: None,
                upgrading: false,
                probed: false,
                graceful_close: false,
                polling_b64: b64,
                ws_b64: b64,
            }),
            ws_out: OnceLock::new(),
            notify: wakeup::Wakeup::default(),
            data: Mutex::new(None),
            on_upgrade: Mutex::new(Vec::new()),
            delivery: Mutex::new(()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug of ours; the state stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn socket(self: &Arc<Self>) -> Socket {
        Socket(self.clone())
    }

    /// Queues packets and wakes whichever transport can take them.
    pub(crate) fn enqueue(
        self: &Arc<Self>,
        packets: impl IntoIterator<Item = Packet>,
    ) -> Result<(), SendError> {
        self.enqueue_with(packets, true)
    }

    /// As [`SessionInner::enqueue`]; `compress` false: no permessage-deflate for these frames,
    /// and no HTTP compression for a polling payload made only of such packets (Node's
    /// `send(data, {compress: false})`). Packets queued before the session is on its WebSocket
    /// keep the wish until the driver frames them there.
    pub(crate) fn enqueue_with(
        self: &Arc<Self>,
        packets: impl IntoIterator<Item = Packet>,
        compress: bool,
    ) -> Result<(), SendError> {
        let mut st = self.lock();
        if st.closed.is_some() {
            return Err(SendError::Closed);
        }
        let observed = self.ctx.observers.any();
        let (mut count, mut bytes) = (0usize, 0usize);
        let packets = packets.into_iter().inspect(|p| {
            if observed {
                if let Some(n) = observer::message_len(p) {
                    count += 1;
                    bytes += n;
                }
            }
        });
        if st.queue.is_empty() {
            if let Some(out) = self.ws_out.get() {
                let mut w = out.writer.lock();
                // The writer's lock keeps the order from here; the session's is not needed
                // for the write itself.
                drop(st);
                let framing = if compress {
                    out.framing
                } else {
                    Framing {
                        deflate_threshold: None,
                        ..out.framing
                    }
                };
                let mut flushed = w.send(packets, framing);
                let over_limit = w.pending_bytes() > self.ctx.config.max_buffer_size;
                drop(w);
                if flushed == Flushed::Deferred && !over_limit && !self.ctx.flusher.defer(self) {
                    // No runtime to flush on: write now.
                    flushed = out.writer.lock().flush_deferred();
                }
                self.after_direct_write(flushed, over_limit);
                self.ctx.observers.messages_out(count, bytes);
                return Ok(());
            }
        }
        for packet in packets {
            st.queued_bytes += packet_cost(&packet);
            st.queue.push_back(Queued { packet, compress });
        }
        let over_limit = if st.queued_bytes > self.ctx.config.max_buffer_size {
            true
        } else {
            self.flush_locked(&mut st);
            false
        };
        drop(st);
        self.ctx.observers.messages_out(count, bytes);
        if over_limit {
            tracing::debug!(target: "engineio::session", session = %self.sid, "outbound buffer over max_buffer_size");
            self.close(CloseReason::TransportError, false);
        }
        Ok(())
    }

    /// The session's flusher writes what senders deferred (see `flusher`).
    pub(crate) fn flush_deferred(self: &Arc<Self>) {
        if let Some(out) = self.ws_out.get() {
            let flushed = out.writer.lock().flush_deferred();
            self.after_direct_write(flushed, false);
        }
    }

    /// After a sender wrote to the WebSocket itself: wakes the driver for what the socket did
    /// not take (or for the error), and closes a session whose peer does not read.
    fn after_direct_write(self: &Arc<Self>, flushed: Flushed, over_limit: bool) {
        if over_limit {
            tracing::debug!(target: "engineio::session", session = %self.sid, "outbound buffer over max_buffer_size");
            self.close(CloseReason::TransportError, false);
        } else if matches!(flushed, Flushed::Blocked | Flushed::Failed) {
            self.notify.notify_one();
        }
    }

    /// Hands the queue to a waiting GET, or wakes the driver for the WebSocket.
    pub(crate) fn flush_locked(&self, st: &mut State) {
        if st.queue.is_empty() {
            return;
        }
        match &mut st.transport {
            Transport::Polling { get, .. } => {
                if let Some(tx) = get.take() {
                    let wishes: Vec<bool> = st.queue.iter().map(|q| q.compress).collect();
                    if let Err(polled) = tx.send(Self::drain_polled(st)) {
                        // The GET went away (client gone mid-poll): keep the packets for the next.
                        for (packet, compress) in polled.packets.into_iter().zip(wishes).rev() {
                            st.queued_bytes += packet_cost(&packet);
                            st.queue.push_front(Queued { packet, compress });
                        }
                    }
                }
            }
            Transport::Websocket => self.notify.notify_one(),
        }
    }

    /// Takes everything queued, each packet with its compression wish (the WebSocket driver).
    pub(crate) fn drain_queue(st: &mut State) -> VecDeque<Queued> {
        st.queued_bytes = 0;
        std::mem::take(&mut st.queue)
    }

    /// Takes everything queued as one polling payload, compressible unless every packet was
    /// sent `compress(false)`.
    pub(crate) fn drain_polled(st: &mut State) -> Polled {
        let queued = Self::drain_queue(st);
        Polled {
            compress: queued.iter().any(|q| q.compress),
            packets: queued.into_iter().map(|q| q.packet).collect(),
        }
    }

    /// Answers a pending GET with a noop (upgrade probe, client close).
    pub(crate) fn release_get_with_noop(st: &mut State) {
        if let Transport::Polling { get, .. } = &mut st.transport {
            if let Some(tx) = get.take() {
                let _ = tx.send(vec![Packet::Noop].into());
            }
        }
    }

    /// The turn to hand messages to the handler, for a caller delivering several in a row (a
    /// POST's payload): held across them, so that a WebSocket upgraded meanwhile delivers its
    /// own only after them, in the client's order.
    pub(crate) fn turn(&self) -> Turn<'_> {
        Turn(self.delivery.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Handles a packet from the client. Returns the state machine's reply for the caller to act
    /// on the probe cases; the common ones are handled here. `wake_driver`: the caller is not
    /// the session's driver, which must recompute its timers (a pong re-arms the ping).
    /// `turn`: the caller holds the delivery turn already ([`SessionInner::turn`]).
    pub(crate) fn on_packet(
        self: &Arc<Self>,
        packet: Packet,
        on_probe: bool,
        wake_driver: bool,
        turn: Option<&Turn<'_>>,
    ) -> Option<Reply> {
        tracing::trace!(target: "engineio::packet", session = %self.sid, ?packet, on_probe, "received");
        let reply = {
            let mut st = self.lock();
            if st.closed.is_some() {
                return None;
            }
            st.proto.handle_packet(&packet, on_probe, Instant::now())
        };
        if let Ok(Reply::SendPong(data)) = &reply {
            // Closed meanwhile: no pong is owed.
            let _ = self.enqueue([Packet::Pong(data.clone())]);
        }
        if wake_driver {
            // Timers may have moved (a pong re-arms the ping): let the driver recompute.
            self.notify.notify_one();
        }
        match reply {
            Ok(Reply::Deliver) => {
                if let Some(n) = observer::message_len(&packet) {
                    self.ctx
                        .observers
                        .each("on_message_in", |o| o.on_message_in(n));
                }
                let message = match packet {
                    Packet::Message(t) => Message::Text(t),
                    Packet::Binary(b) => Message::Binary(b),
                    _ => return None,
                };
                let socket = self.socket();
                let own_turn = turn.is_none().then(|| self.turn());
                let delivered = self.guarded("on_message", || {
                    self.ctx.handler.on_message(&socket, message)
                });
                drop(own_turn);
                if !delivered {
                    self.close(CloseReason::TransportError, false);
                }
                None
            }
            Ok(Reply::Close(reason)) | Err(reason) => {
                self.close(reason, false);
                None
            }
            Ok(Reply::None) | Ok(Reply::SendPong(_)) => None,
            Ok(other) => Some(other),
        }
    }

    /// Closes the session once. `graceful`: deliver what is queued and a close packet first.
    pub(crate) fn close(self: &Arc<Self>, reason: CloseReason, graceful: bool) {
        self.close_inner(reason, graceful, false);
    }

    /// As [`SessionInner::close`]; `close_packet_on_ws` also sends the close packet over a
    /// WebSocket (our graceful shutdown). Node's `socket.close()` sends it on polling only,
    /// and clients expect nothing but the close frame on a WebSocket.
    pub(crate) fn close_inner(
        self: &Arc<Self>,
        reason: CloseReason,
        graceful: bool,
        close_packet_on_ws: bool,
    ) {
        let finished = {
            let mut st = self.lock();
            if st.closed.is_some() {
                return;
            }
            st.closed = Some(reason);
            if let Some(abort) = st.probe_abort.take() {
                let _ = abort.send(());
            }
            st.upgrade_tx = None;
            st.graceful_close = graceful;
            let on_ws = matches!(st.transport, Transport::Websocket);
            if graceful && (!on_ws || close_packet_on_ws) {
                st.queue.push_back(Packet::Close.into());
            }
            if !graceful {
                // Nothing queued will be sent: free it now, not when the last handle goes.
                st.queue = VecDeque::new();
                st.queued_bytes = 0;
            }
            match &mut st.transport {
                Transport::Polling { get, .. } => {
                    if let Some(tx) = get.take() {
                        // Node: a client's own close releases the GET with a noop; any other
                        // end answers it with the close packet so the client sees a clean close.
                        let polled = if graceful {
                            Self::drain_polled(&mut st)
                        } else if reason == CloseReason::TransportClose {
                            vec![Packet::Noop].into()
                        } else {
                            vec![Packet::Close].into()
                        };
                        let _ = tx.send(polled);
                        st.finished = true;
                    } else if !graceful {
                        st.finished = true;
                    }
                    // Graceful with no GET waiting: the next GET takes the close packet; the
                    // driver finishes the session if none comes within the ping timeout.
                }
                Transport::Websocket => {}
            }
            st.finished
        };
        tracing::debug!(target: "engineio::session", session = %self.sid, reason = %reason, "closed");
        self.notify.notify_one();
        if finished {
            self.ctx.remove(&self.sid);
        }
        // Whatever the handler does, the session's own cleanup below completes.
        let socket = self.socket();
        self.ctx
            .observers
            .each("on_close", |o| o.on_close(&socket, reason));
        self.guarded("on_close", || self.ctx.handler.on_close(&socket, reason));
        self.data.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.on_upgrade
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Tells the handler a session opened; a panic there closes the session.
    pub(crate) fn connected(self: &Arc<Self>) {
        let socket = self.socket();
        self.ctx.observers.each("on_open", |o| o.on_open(&socket));
        if !self.guarded("on_connect", || self.ctx.handler.on_connect(socket)) {
            self.close(CloseReason::TransportError, false);
        }
    }

    /// Runs a [`Handler`] method: false (logged at `error`) when it panicked. The panic stops
    /// here: it never unwinds into the session's task or a request, so only this session
    /// pays for it.
    fn guarded(&self, method: &str, f: impl FnOnce()) -> bool {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(()) => true,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(not a string)");
                tracing::error!(target: "engineio::session", session = %self.sid, method, panic = message, "handler panicked; closing the session");
                false
            }
        }
    }

    /// Marks the session finished and removes it from the table (the driver's exit).
    pub(crate) fn finish(&self) {
        let first = {
            let mut st = self.lock();
            let first = !st.finished;
            st.finished = true;
            first
        };
        if first {
            self.ctx.remove(&self.sid);
        }
    }
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        tracing::trace!(target: "engineio::session", session = %self.sid, "freed");
    }
}
