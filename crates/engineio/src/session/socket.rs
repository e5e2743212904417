//! The public handle on one session, [`Socket`].

use std::any::Any;
use std::sync::Arc;

use engineio_protocol::{CloseReason, Packet, ProtocolVersion, Sid};

use super::handler::Message;
use super::{SessionInner, Transport};
use crate::config::TransportKind;
use crate::error::SendError;
use crate::request::HandshakeRequest;

/// A cheap-clone handle on one Engine.IO session.
///
/// Handed to [`Handler`](crate::Handler) callbacks; keep clones to send later. Sending on a
/// closed session returns [`SendError::Closed`].
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SessionInner>);

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("sid", &self.0.sid)
            .field("protocol", &self.0.version)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Socket {}

impl Socket {
    /// The session id (`sid`).
    pub fn id(&self) -> Sid {
        self.0.sid
    }

    /// The Engine.IO protocol revision the client speaks.
    pub fn protocol(&self) -> ProtocolVersion {
        self.0.version
    }

    /// The transport in use now (polling until an upgrade completes).
    pub fn transport(&self) -> TransportKind {
        match self.0.lock().transport {
            Transport::Polling { .. } => TransportKind::Polling,
            Transport::Websocket => TransportKind::Websocket,
        }
    }

    /// The handshake request: headers, URL, remote address, time.
    ///
    /// The session keeps the request's URI and headers packed in one allocation; the first
    /// call builds this from them (once), so sessions that never ask hold no `HeaderMap`.
    pub fn request(&self) -> &HandshakeRequest {
        self.0.request.get()
    }

    /// Whether the session is still open.
    pub fn is_connected(&self) -> bool {
        self.0.lock().closed.is_none()
    }

    /// Whether a message sent now would go out at once: a poll is waiting (polling), or
    /// nothing is waiting for the socket to take it (WebSocket: frames queued a moment ago for
    /// the next coalesced write do not count, a write the socket has not taken does).
    /// Socket.IO's `volatile` drops messages for sockets that are not.
    pub fn is_writable(&self) -> bool {
        let st = self.0.lock();
        if st.closed.is_some() {
            return false;
        }
        match &st.transport {
            Transport::Polling { get, .. } => get.as_ref().is_some_and(|g| !g.is_closed()),
            Transport::Websocket => {
                st.queue.is_empty()
                    && self
                        .0
                        .ws_out
                        .get()
                        .map_or(true, |o| o.writer.lock().keeping_up())
            }
        }
    }

    /// Queues one message.
    pub fn send(&self, message: Message) -> Result<(), SendError> {
        self.send_packets(std::iter::once(message_packet(message)))
    }

    /// Queues several messages as one unit: no other sender's message comes between them, and
    /// the transport is woken once. Socket.IO uses it for a packet and its binary attachments.
    pub fn send_many(&self, messages: impl IntoIterator<Item = Message>) -> Result<(), SendError> {
        self.send_packets(messages.into_iter().map(message_packet))
    }

    /// Queues raw Engine.IO packets.
    pub fn send_packets(&self, packets: impl IntoIterator<Item = Packet>) -> Result<(), SendError> {
        self.0.enqueue(packets)
    }

    /// As [`Socket::send_packets`], asking for no compression (Node's `send(data, {compress:
    /// false})`): no permessage-deflate for these WebSocket frames, and no HTTP compression for
    /// a polling payload made only of such packets.
    pub fn send_packets_uncompressed(
        &self,
        packets: impl IntoIterator<Item = Packet>,
    ) -> Result<(), SendError> {
        self.0.enqueue_with(packets, false)
    }

    /// Closes the session from the server side: what is queued is delivered, then the close
    /// packet. The handler sees reason `forced close`.
    pub fn close(&self) {
        self.0.close(CloseReason::ForcedClose, true);
    }

    /// Attaches the layer above's value to this session (Socket.IO keeps its connection state
    /// here). Dropped when the session closes, after [`Handler::on_close`](crate::Handler::on_close).
    pub fn set_data(&self, data: Arc<dyn Any + Send + Sync>) {
        *self.0.data.lock().unwrap_or_else(|e| e.into_inner()) = Some(data);
    }

    /// The value set by [`Socket::set_data`], if it is a `T`.
    pub fn data<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let slot = self.0.data.lock().unwrap_or_else(|e| e.into_inner());
        slot.clone().and_then(|d| d.downcast::<T>().ok())
    }

    /// Runs `f` once the session has upgraded from polling to WebSocket (Node's
    /// `socket.conn.on("upgrade")`); never for a session that opened on WebSocket or does not
    /// upgrade.
    ///
    /// ```no_run
    /// # fn f(socket: engineio::Socket) {
    /// socket.on_upgrade(|s| println!("{} now on {:?}", s.id(), s.transport()));
    /// # }
    /// ```
    pub fn on_upgrade(&self, f: impl FnOnce(&Socket) + Send + 'static) {
        self.0
            .on_upgrade
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
    }

    /// Closes the session at once with `reason`, without a close packet.
    pub fn close_with(&self, reason: CloseReason) {
        self.0.close(reason, false);
    }
}

fn message_packet(message: Message) -> Packet {
    match message {
        Message::Text(t) => Packet::Message(t),
        Message::Binary(b) => Packet::Binary(b),
    }
}
