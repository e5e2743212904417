//! Emit modifiers on one socket (Node's `socket.compress(v)`, `socket.volatile`): an emit to
//! this socket alone, or, chained with `to`/`broadcast`, a broadcast carrying the same flags.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::BroadcastOperator;
use crate::error::{AckError, EmitError};
use crate::socket::Socket;
use crate::IntoRoom;

/// An emit to one socket with modifiers; see [`Socket::compress`] and [`Socket::volatile`].
///
/// ```no_run
/// # fn f(socket: socketio::Socket) {
/// // This socket only, never compressed.
/// let _ = socket.compress(false).emit("frame", &bytes::Bytes::from_static(&[1, 2, 3]));
/// // Dropped if the client cannot take it right now.
/// let _ = socket.volatile().emit("position", &(12, 34));
/// // The same flags on a broadcast from this socket.
/// let _ = socket.volatile().to("room1").emit("position", &(12, 34));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SocketEmitter {
    socket: Socket,
    volatile: bool,
    compress: Option<bool>,
}

impl SocketEmitter {
    pub(crate) fn new(socket: Socket) -> Self {
        SocketEmitter {
            socket,
            volatile: false,
            compress: None,
        }
    }

    /// The compression wish (Node's `compress(v)`, default true): with per-message deflate or
    /// HTTP compression on, `false` asks for this emit to go uncompressed.
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = Some(compress);
        self
    }

    /// Drops the emit when the client's transport cannot take it now (between polls, or while
    /// a WebSocket write is in flight).
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Whether the compression wish is set to `false`.
    pub fn is_uncompressed(&self) -> bool {
        self.compress == Some(false)
    }

    /// Emits to this socket. A volatile emit the transport cannot take now is dropped and
    /// counts as sent.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        if self.volatile && !self.socket.conn().is_writable() {
            tracing::trace!(target: "socketio::socket", socket = %self.socket.id(), %event, "volatile emit dropped");
            return Ok(());
        }
        self.socket
            .emit_flagged(event, data, !self.is_uncompressed(), self.volatile)
    }

    /// [`Socket::emit_with_ack`] with these modifiers.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.socket.emit_with_ack(event, data).await
    }

    /// [`Socket::timeout`]'s bounded ack with these modifiers.
    pub async fn emit_with_ack_timeout<T, R>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.socket
            .timeout(timeout)
            .emit_with_ack(event, data)
            .await
    }

    fn flags(&self, mut op: BroadcastOperator) -> BroadcastOperator {
        if self.volatile {
            op = op.volatile();
        }
        if let Some(c) = self.compress {
            op = op.compress(c);
        }
        op
    }

    /// A broadcast to `room` from this socket (everyone in it but this socket), with these
    /// modifiers.
    pub fn to(self, room: impl IntoRoom) -> BroadcastOperator {
        let op = self.socket.to(room);
        self.flags(op)
    }

    /// Synonym of [`SocketEmitter::to`] (Node's `in`).
    pub fn within(self, room: impl IntoRoom) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket of the namespace but this one, with these modifiers.
    pub fn broadcast(self) -> BroadcastOperator {
        let op = self.socket.broadcast();
        self.flags(op)
    }
}
