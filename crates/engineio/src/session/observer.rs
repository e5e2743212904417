//! Observers of every session of an engine: Node's `io.engine.on("connection")` with the raw
//! socket's `packet`, `packetCreate`, `upgrade` and `close` events, for instrumentation
//! (metrics, the Socket.IO Admin UI).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use engineio_protocol::{CloseReason, Packet};

use super::socket::Socket;

/// Watches the life of every session of an engine, registered with
/// [`Engine::observe`](crate::Engine::observe).
///
/// The methods run on the I/O path, for every session and message: keep them cheap (count,
/// then report from a task) and never block. A panic in one is caught and logged; the
/// session goes on. Every method has an empty default.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// #[derive(Default)]
/// struct Bytes { received: AtomicUsize, sent: AtomicUsize }
///
/// impl engineio::Observer for Bytes {
///     fn on_message_in(&self, bytes: usize) {
///         self.received.fetch_add(bytes, Ordering::Relaxed);
///     }
///     fn on_messages_out(&self, _count: usize, bytes: usize) {
///         self.sent.fetch_add(bytes, Ordering::Relaxed);
///     }
/// }
///
/// struct Quiet;
/// impl engineio::Handler for Quiet {
///     fn on_connect(&self, _: engineio::Socket) {}
///     fn on_message(&self, _: &engineio::Socket, _: engineio::Message) {}
///     fn on_close(&self, _: &engineio::Socket, _: engineio::CloseReason) {}
/// }
///
/// let engine = engineio::Engine::new(engineio::EngineConfig::default(), Quiet);
/// engine.observe(Arc::new(Bytes::default()));
/// ```
pub trait Observer: Send + Sync + 'static {
    /// A session opened, on [`Socket::transport`] (before the handler hears of it).
    fn on_open(&self, socket: &Socket) {
        let _ = socket;
    }
    /// A session moved from long-polling to WebSocket.
    fn on_upgrade(&self, socket: &Socket) {
        let _ = socket;
    }
    /// A session closed, once per session.
    fn on_close(&self, socket: &Socket, reason: CloseReason) {
        let _ = (socket, reason);
    }
    /// A client's message arrived: `bytes` of text or binary payload (Node's `packet` event
    /// for packets with data; pings, pongs and other control packets are not counted).
    fn on_message_in(&self, bytes: usize) {
        let _ = bytes;
    }
    /// `count` messages were queued for a client, `bytes` of payload together (Node's
    /// `packetCreate` for packets with data).
    fn on_messages_out(&self, count: usize, bytes: usize) {
        let _ = (count, bytes);
    }
}

/// The observers of one engine; free to check when there are none.
pub(crate) struct Observers {
    any: AtomicBool,
    /// Replaced whole on `add` (rare), so that a call per message clones one `Arc`, not the
    /// list.
    list: RwLock<Arc<[Arc<dyn Observer>]>>,
}

impl Default for Observers {
    fn default() -> Self {
        Observers {
            any: AtomicBool::new(false),
            list: RwLock::new(Arc::from(Vec::new())),
        }
    }
}

impl Observers {
    pub(crate) fn add(&self, observer: Arc<dyn Observer>) {
        let mut list = self.list.write().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<Arc<dyn Observer>> = list.iter().cloned().collect();
        next.push(observer);
        *list = next.into();
        self.any.store(true, Ordering::Release);
    }

    /// Whether any observer is registered (one atomic load).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// Calls `f` for each observer, a panic caught and logged.
    pub(crate) fn each(&self, what: &'static str, f: impl Fn(&dyn Observer)) {
        if !self.any() {
            return;
        }
        let list = self.list.read().unwrap_or_else(|e| e.into_inner()).clone();
        for o in list.iter() {
            let call = std::panic::AssertUnwindSafe(|| f(o.as_ref()));
            if std::panic::catch_unwind(call).is_err() {
                tracing::error!(target: "engineio::session", hook = what, "an engine observer panicked");
            }
        }
    }

    /// Reports messages queued for a client (nothing when none).
    pub(crate) fn messages_out(&self, count: usize, bytes: usize) {
        if count > 0 {
            self.each("on_messages_out", |o| o.on_messages_out(count, bytes));
        }
    }
}

/// The payload length of a message packet, `None` for control packets.
pub(crate) fn message_len(p: &Packet) -> Option<usize> {
    match p {
        Packet::Message(s) => Some(s.len()),
        // Framed: the text starts with the packet type.
        Packet::MessageFramed(s) => Some(s.len().saturating_sub(1)),
        Packet::Binary(b) => Some(b.len()),
        _ => None,
    }
}
