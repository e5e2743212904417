//! The seam to the layer above (Socket.IO, or an app using Engine.IO directly).

use bytes::Bytes;
use engineio_protocol::{CloseReason, Str};

use super::socket::Socket;

/// A message from or to a client: text or binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Str),
    /// A binary message.
    Binary(Bytes),
}

/// Receives a session's life events.
///
/// Calls for one session come one at a time and in the order the client sent its packets; calls
/// for different sessions may run concurrently on different threads. They run on the I/O path,
/// so they must not block: hand long work to a task.
///
/// ```
/// use engineio::{Handler, Message, Socket, CloseReason};
///
/// /// Sends every message back to its own session.
/// struct Echo;
///
/// impl Handler for Echo {
///     fn on_connect(&self, _socket: Socket) {}
///     fn on_message(&self, socket: &Socket, message: Message) {
///         let _ = socket.send(message);
///     }
///     fn on_close(&self, _socket: &Socket, _reason: CloseReason) {}
/// }
/// ```
pub trait Handler: Send + Sync + 'static {
    /// A session opened. Messages sent now go out with the next poll (the handshake response
    /// holds only the open packet and `initial_packet`).
    fn on_connect(&self, socket: Socket);
    /// A message arrived.
    fn on_message(&self, socket: &Socket, message: Message);
    /// The session closed; called exactly once per session.
    fn on_close(&self, socket: &Socket, reason: CloseReason);
}

/// A binary blob as a [`Message`].
impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}

/// A text message.
impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(Str::from(s))
    }
}

/// A text message.
impl From<&'static str> for Message {
    fn from(s: &'static str) -> Self {
        Message::Text(Str::from(s))
    }
}
