//! Acknowledgements: the responder a handler receives, and the pending acks of a socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use socketio_protocol::{Packet, Payload};

use super::Socket;
use crate::args::{payload_to_args, to_payload, Args};
use crate::error::EmitError;

/// Answers one event's acknowledgement (the client's callback).
///
/// Single use: every handler of the event gets a clone, and only the first [`AckSender::send`]
/// goes out, as in Node.
///
/// ```no_run
/// # fn f(socket: socketio::Socket) {
/// socket.on("echo", |_socket, args: socketio::Args, ack: socketio::AckSender| {
///     let _ = ack.send(&args);
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct AckSender {
    inner: Option<Arc<AckTarget>>,
}

struct AckTarget {
    socket: Socket,
    id: u64,
    sent: AtomicBool,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender")
            .field("id", &self.inner.as_ref().map(|t| t.id))
            .finish()
    }
}

impl AckSender {
    pub(crate) fn new(socket: &Socket, id: Option<u64>) -> Self {
        AckSender {
            inner: id.map(|id| {
                Arc::new(AckTarget {
                    socket: socket.clone(),
                    id,
                    sent: AtomicBool::new(false),
                })
            }),
        }
    }

    /// Whether the client asked for an acknowledgement.
    pub fn is_requested(&self) -> bool {
        self.inner.is_some()
    }

    /// Sends the acknowledgement: one value is one argument whatever its type (`&[1, 2, 3]`
    /// is one array, as Node's `ack([1, 2, 3])`), a tuple is spread into its arguments, `()`
    /// is none; see [`Socket::emit`]. Does nothing when no ack was asked for or one was sent.
    pub fn send<T: Serialize + ?Sized>(self, data: &T) -> Result<(), EmitError> {
        let Some(target) = self.inner else {
            return Ok(());
        };
        if target.sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let payload = to_payload(None, data)?;
        let packet = Packet::ack(target.socket.ns_name(), payload, target.id);
        target.socket.send_packet(&packet)
    }
}

/// What to do with an ack: called with the answer, or `None` when the socket goes away.
pub(crate) type AckWaiter = Box<dyn FnOnce(Option<Args>) + Send>;

/// The acks a socket waits for, by id (ids come from the namespace's counter, as in Node, so
/// one broadcast can share one id across its recipients).
#[derive(Default)]
pub(crate) struct PendingAcks {
    waiting: Mutex<HashMap<u64, AckWaiter>>,
}

impl PendingAcks {
    pub(crate) fn register(&self, id: u64, waiter: AckWaiter) {
        self.lock().insert(id, waiter);
    }

    pub(crate) fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Delivers an ACK; an id nobody waits for is ignored.
    pub(crate) fn resolve(&self, id: u64, payload: Payload) {
        let Some(waiter) = self.lock().remove(&id) else {
            tracing::debug!(target: "socketio::socket", id, "ack for no pending id ignored");
            return;
        };
        waiter(Some(payload_to_args(payload)));
    }

    /// Fails every pending ack (the socket disconnected).
    pub(crate) fn clear(&self) {
        let waiting: Vec<AckWaiter> = self.lock().drain().map(|(_, w)| w).collect();
        for w in waiting {
            w(None);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, AckWaiter>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}
