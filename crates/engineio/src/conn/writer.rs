//! The write side of a session's WebSocket: frames are written by whoever sends them.
//!
//! tungstenite keeps the read side (frame parsing, masking, UTF-8, fragments, control frames).
//! Writing goes around it: a sender (a handler's `emit`, a broadcast looping over its
//! recipients, the heartbeat) frames its packets itself and appends them to the connection's
//! [`WsWriter`]. When nothing was waiting there before, the write is owed
//! ([`Flushed::Deferred`]): the session's flusher (`session::flusher`) writes it a moment later,
//! together with whatever other senders queued meanwhile, in one vectored write, without
//! waking the session's driver task. A broadcast's payload is a shared `Bytes` and the
//! WebSocket header is built on the stack, so a delivery costs one lock and its share of one
//! vectored write: no copy, no allocation, no task wake-up per recipient.
//!
//! Only what the socket does not take at once stays queued (as slices of the shared buffers),
//! and the driver finishes it when the socket becomes writable. Every byte goes through the one
//! queue, in order: tungstenite's own writes (pongs to WebSocket pings, the reply to a close)
//! pass through [`WsRead`], which appends them here instead of writing to the socket.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use engineio_protocol::{encode_frame, Frame, Packet, ProtocolVersion};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::deflate::WsIo;

/// The connection under the WebSocket.
pub(crate) type RawIo = WsIo<TokioIo<Upgraded>>;

/// Most slices handed to one vectored write.
const MAX_SLICES: usize = 64;

/// Opcodes (RFC 6455 §5.2).
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;

/// One frame to write: its header (and any leading bytes of the payload that are not in the
/// shared body, such as Engine.IO's packet type) and its body.
///
/// 48 bytes: every connection keeps room for four in its queue.
struct Chunk {
    /// A server frame's header is at most 10 bytes, and a prefix at most 4.
    head: [u8; 14],
    head_len: u8,
    body: Bytes,
}

impl Chunk {
    fn len(&self) -> usize {
        self.head_len as usize + self.body.len()
    }

    /// A final, unmasked server frame: `prefix` then `body` as its payload.
    fn frame(opcode: u8, rsv1: bool, prefix: &[u8], body: Bytes) -> Chunk {
        debug_assert!(prefix.len() <= 4);
        let len = prefix.len() + body.len();
        let mut head = [0u8; 14];
        head[0] = 0x80 | if rsv1 { 0x40 } else { 0 } | opcode;
        let mut at = if len < 126 {
            head[1] = len as u8;
            2
        } else if len <= 0xffff {
            head[1] = 126;
            head[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        } else {
            head[1] = 127;
            head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        head[at..at + prefix.len()].copy_from_slice(prefix);
        at += prefix.len();
        Chunk {
            head,
            head_len: at as u8,
            body,
        }
    }

    /// Bytes written by tungstenite (already framed).
    fn raw(body: Bytes) -> Chunk {
        Chunk {
            head: [0; 14],
            head_len: 0,
            body,
        }
    }
}

/// How a session frames its packets on the WebSocket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framing {
    pub(crate) version: ProtocolVersion,
    /// Binary as base64 text (`b64` on the WebSocket request).
    pub(crate) b64: bool,
    /// permessage-deflate was negotiated: messages of this many bytes or more are compressed.
    pub(crate) deflate_threshold: Option<usize>,
}

/// What a write attempt left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Everything queued is on the socket.
    Done,
    /// Queued behind a write that is already owed (the driver's, or a deferred flush's):
    /// nothing to do.
    Queued,
    /// Queued while nothing was waiting: the sender owes the write
    /// ([`Writer::flush_deferred`], now or from the session's flusher).
    Deferred,
    /// The socket is full: the driver must finish the write.
    Blocked,
    /// The connection failed (the error is kept for the driver).
    Failed,
}

/// A session's WebSocket connection and what is waiting to be written to it. The connection
/// lives here, behind the lock that orders writes; [`WsRead`] takes the same lock to read.
pub(crate) struct WsWriter {
    inner: Mutex<Writer>,
}

pub(crate) struct Writer {
    io: Option<RawIo>,
    pending: VecDeque<Chunk>,
    /// Bytes of `pending[0]` already written.
    written: usize,
    /// Bytes in `pending`, less `written`.
    pending_bytes: usize,
    /// Everything was written but a flush is still due.
    unflushed: bool,
    /// Frames were queued while nothing was waiting, and the session's flusher owes their
    /// write (see `session::flusher`); cleared by whoever writes first.
    deferred: bool,
    /// Since when something has been waiting for the socket.
    blocked_since: Option<Instant>,
    /// The first write error; nothing is written after it.
    failed: Option<io::Error>,
}

impl WsWriter {
    pub(crate) fn new(io: RawIo) -> WsWriter {
        WsWriter {
            inner: Mutex::new(Writer {
                io: Some(io),
                pending: VecDeque::new(),
                written: 0,
                pending_bytes: 0,
                unflushed: false,
                deferred: false,
                blocked_since: None,
                failed: None,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding this lock would be a bug of ours; the queue stays consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes what is queued with the driver's waker: `Ready(Ok)` once all is written and
    /// flushed.
    pub(crate) fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut w = self.lock();
        // The driver writes from here on, with its waker: a deferred flush has nothing to do.
        w.deferred = false;
        match w.poll_flush_all(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                let kind = e.kind();
                w.fail(e);
                Poll::Ready(Err(kind.into()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes what is queued, waiting at most until `deadline`; true if all went out.
    pub(crate) async fn drain_until(&self, deadline: Instant) -> bool {
        let drain = std::future::poll_fn(|cx| self.poll_drain(cx));
        matches!(
            tokio::time::timeout_at(deadline.into(), drain).await,
            Ok(Ok(()))
        )
    }

    /// Writes what is queued, closes the write side (TCP FIN) and lets the connection go, all
    /// by `deadline`.
    pub(crate) async fn finish(&self, deadline: Instant) {
        self.drain_until(deadline).await;
        self.shutdown(deadline).await;
    }

    /// Closes the write side (TCP FIN), waiting at most until `deadline`, and lets the
    /// connection go.
    async fn shutdown(&self, deadline: Instant) {
        let shut = std::future::poll_fn(|cx| {
            let mut w = self.lock();
            match w.io.as_mut() {
                Some(io) => Pin::new(io).poll_shutdown(cx),
                None => Poll::Ready(Ok(())),
            }
        });
        let _ = tokio::time::timeout_at(deadline.into(), shut).await;
        self.release();
    }

    /// Drops the connection and everything queued.
    pub(crate) fn release(&self) {
        let mut w = self.lock();
        w.io = None;
        w.clear();
    }
}

impl Writer {
    /// Frames packets and queues them (the sender's path). `Deferred` when nothing was
    /// waiting before them: the caller owes their write, through the session's flusher or by
    /// [`Writer::flush_deferred`] at once. When something was, whoever is writing that (the
    /// driver finishing a write the socket did not take, or a deferred flush to come) takes
    /// these with it: writing here could replace the driver's waker with a no-op one.
    pub(crate) fn send(
        &mut self,
        packets: impl IntoIterator<Item = Packet>,
        framing: Framing,
    ) -> Flushed {
        let idle = !self.busy();
        for p in packets {
            self.push_packet(&p, framing);
        }
        if self.failed.is_some() {
            Flushed::Failed
        } else if idle && !self.pending.is_empty() {
            self.deferred = true;
            Flushed::Deferred
        } else {
            Flushed::Queued
        }
    }

    /// Writes what a sender queued and deferred ([`Flushed::Deferred`]), unless the driver
    /// has taken over the write meanwhile (`Queued`: nothing to do).
    pub(crate) fn flush_deferred(&mut self) -> Flushed {
        if !std::mem::take(&mut self.deferred) {
            return Flushed::Queued;
        }
        self.flush_now()
    }

    /// Frames one packet and queues it.
    pub(crate) fn push_packet(&mut self, packet: &Packet, framing: Framing) {
        let chunk = frame_packet(packet, framing);
        self.push(chunk);
    }

    /// Queues a close frame (with `code`, or none).
    pub(crate) fn push_close(&mut self, code: Option<u16>) {
        let chunk = match code {
            Some(code) => Chunk::frame(OP_CLOSE, false, &code.to_be_bytes(), Bytes::new()),
            None => Chunk::frame(OP_CLOSE, false, &[], Bytes::new()),
        };
        self.push(chunk);
    }

    fn push(&mut self, chunk: Chunk) {
        if self.failed.is_some() || self.io.is_none() {
            return;
        }
        self.pending_bytes += chunk.len();
        self.pending.push_back(chunk);
    }

    /// Bytes queued and not yet written.
    pub(crate) fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Something is waiting for the socket (queued bytes or a flush).
    pub(crate) fn busy(&self) -> bool {
        !self.pending.is_empty() || self.unflushed
    }

    /// Nothing is waiting for the socket but what was queued for the next deferred flush:
    /// the peer keeps up (see [`Socket::is_writable`](crate::Socket::is_writable)).
    pub(crate) fn keeping_up(&self) -> bool {
        !self.busy() || self.deferred
    }

    pub(crate) fn blocked_since(&self) -> Option<Instant> {
        self.blocked_since
    }

    /// The write error, once, for the driver to close the session with.
    pub(crate) fn take_failure(&mut self) -> Option<io::Error> {
        self.failed.take().inspect(|_| {
            // Keep refusing writes after the error was taken.
            self.io = None;
        })
    }

    /// Writes what it can now, without waiting: the sender's path. `Blocked` means the rest
    /// waits for the driver, which must be woken.
    pub(crate) fn flush_now(&mut self) -> Flushed {
        if self.failed.is_some() {
            return Flushed::Failed;
        }
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        // Outside tokio's cooperative budget: a broadcast writes to every recipient from one
        // task's poll, and once the budget ran out each write would report `Pending` and hand
        // the rest to the recipient's driver for nothing. Each write here is non-blocking.
        let mut attempt =
            tokio::task::coop::unconstrained(std::future::poll_fn(|cx| self.poll_flush_all(cx)));
        match Pin::new(&mut attempt).poll(&mut cx) {
            Poll::Ready(Ok(())) => Flushed::Done,
            Poll::Ready(Err(e)) => {
                self.fail(e);
                Flushed::Failed
            }
            Poll::Pending => Flushed::Blocked,
        }
    }

    fn fail(&mut self, e: io::Error) {
        self.clear();
        if self.failed.is_none() && self.io.is_some() {
            self.failed = Some(e);
        }
    }

    fn clear(&mut self) {
        self.pending = VecDeque::new();
        self.written = 0;
        self.pending_bytes = 0;
        self.unflushed = false;
        self.deferred = false;
        self.blocked_since = None;
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = self.io.as_mut() else {
            self.clear();
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        let mut io = Pin::new(io);
        while !self.pending.is_empty() {
            let mut storage;
            let mut n = 0;
            let mut skip = self.written;
            // Most writes are one whole frame (a delivery): two slices, without filling in the
            // whole array.
            let single = match (self.pending.len(), self.pending.front()) {
                (1, Some(chunk)) if skip == 0 => Some([
                    IoSlice::new(&chunk.head[..chunk.head_len as usize]),
                    IoSlice::new(&chunk.body),
                ]),
                _ => None,
            };
            let slices: &[IoSlice<'_>] = match &single {
                Some(two) => two,
                None => {
                    storage = [IoSlice::new(&[]); MAX_SLICES];
                    'fill: for chunk in &self.pending {
                        for part in [&chunk.head[..chunk.head_len as usize], &chunk.body[..]] {
                            if skip >= part.len() {
                                skip -= part.len();
                                continue;
                            }
                            storage[n] = IoSlice::new(&part[skip..]);
                            skip = 0;
                            n += 1;
                            if n == MAX_SLICES {
                                break 'fill;
                            }
                        }
                    }
                    &storage[..n]
                }
            };
            let wrote = match io.as_mut().poll_write_vectored(cx, slices) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(wrote)) => wrote,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.blocked_since.get_or_insert_with(Instant::now);
                    return Poll::Pending;
                }
            };
            self.unflushed = true;
            self.pending_bytes -= wrote;
            let mut left = self.written + wrote;
            while let Some(first) = self.pending.front() {
                if left < first.len() {
                    break;
                }
                left -= first.len();
                self.pending.pop_front();
            }
            self.written = left;
        }
        if self.unflushed {
            match io.poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.blocked_since.get_or_insert_with(Instant::now);
                    return Poll::Pending;
                }
            }
        }
        self.blocked_since = None;
        if self.pending.capacity() > 16 {
            // A burst's queue is not kept by an idle connection. (Four frames' room, 224
            // bytes, is: freeing it after every write made a broadcast to 1000 allocate and
            // free 1000 queues, past the allocator's per-thread cache, +23% instructions per
            // delivery under callgrind.)
            self.pending = VecDeque::new();
        }
        Poll::Ready(Ok(()))
    }
}

/// One packet as a WebSocket frame, sharing the packet's payload.
fn frame_packet(packet: &Packet, framing: Framing) -> Chunk {
    let Framing {
        version,
        b64,
        deflate_threshold,
    } = framing;
    let (opcode, prefix, body): (u8, &[u8], Bytes) = match (packet, version, b64) {
        (Packet::MessageFramed(text), _, _) => (OP_TEXT, b"", text.clone().into_bytes()),
        (Packet::Message(text), _, _) => (OP_TEXT, b"4", text.clone().into_bytes()),
        (Packet::Binary(data), ProtocolVersion::V4, false) => (OP_BINARY, b"", data.clone()),
        (Packet::Binary(data), ProtocolVersion::V3, false) => (OP_BINARY, &[4u8], data.clone()),
        _ => match encode_frame(packet, version, b64) {
            Frame::Text(s) => (OP_TEXT, b"", s.into_bytes()),
            Frame::Binary(b) => (OP_BINARY, b"", b),
        },
    };
    if let Some(threshold) = deflate_threshold {
        if prefix.len() + body.len() >= threshold {
            if let Some(z) = deflated(prefix, &body) {
                return Chunk::frame(opcode, true, b"", z);
            }
        }
    }
    Chunk::frame(opcode, false, prefix, body)
}

/// The last message deflated on this thread: its prefix, its payload (held, so that no other
/// payload can take its address while it is here), and the compressed bytes.
struct LastDeflated {
    prefix: [u8; 6],
    prefix_len: u8,
    body: Bytes,
    deflated: Bytes,
}

thread_local! {
    static LAST_DEFLATED: std::cell::RefCell<Option<LastDeflated>> =
        const { std::cell::RefCell::new(None) };
}

/// `prefix` then `body` deflated (permessage-deflate without context takeover: the output
/// depends on the input alone). A broadcast frames one shared payload for each of its
/// recipients in a row, on one thread: it is compressed for the first and the compressed
/// bytes are shared with the rest. Same address, length and prefix is the same message,
/// because `Bytes` never changes and the held copy keeps the address taken.
fn deflated(prefix: &[u8], body: &Bytes) -> Option<Bytes> {
    LAST_DEFLATED.with(|cell| {
        let mut last = cell.borrow_mut();
        if let Some(l) = last.as_ref() {
            if l.body.as_ptr() == body.as_ptr()
                && l.body.len() == body.len()
                && &l.prefix[..l.prefix_len as usize] == prefix
            {
                return Some(l.deflated.clone());
            }
        }
        let mut whole = Vec::with_capacity(prefix.len() + body.len());
        whole.extend_from_slice(prefix);
        whole.extend_from_slice(body);
        let deflated = Bytes::from(crate::deflate::deflate_message(&whole)?);
        let mut kept = [0u8; 6];
        kept[..prefix.len()].copy_from_slice(prefix);
        *last = Some(LastDeflated {
            prefix: kept,
            prefix_len: prefix.len() as u8,
            body: body.clone(),
            deflated: deflated.clone(),
        });
        Some(deflated)
    })
}

/// The read side given to tungstenite. Its writes (pongs, the close reply) are appended to the
/// session's [`WsWriter`] in order with everything else, never written around it.
pub(crate) struct WsRead {
    writer: std::sync::Arc<WsWriter>,
    /// Most bytes tungstenite may leave queued (a client sending pings and never reading).
    limit: usize,
}

impl WsRead {
    pub(crate) fn new(writer: std::sync::Arc<WsWriter>, limit: usize) -> Self {
        WsRead { writer, limit }
    }
}

impl AsyncRead for WsRead {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut w = self.writer.lock();
        match w.io.as_mut() {
            Some(io) => Pin::new(io).poll_read(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncWrite for WsRead {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut w = self.writer.lock();
        if w.pending_bytes() + buf.len() > self.limit {
            return Poll::Ready(Err(io::Error::other(
                "outbound buffer over max_buffer_size",
            )));
        }
        w.push(Chunk::raw(Bytes::copy_from_slice(buf)));
        // The driver, which is the one reading, writes it out on its next turn.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_frame_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Chunk>(), 48);
    }

    fn bytes_of(c: &Chunk) -> Vec<u8> {
        let mut v = c.head[..c.head_len as usize].to_vec();
        v.extend_from_slice(&c.body);
        v
    }

    fn v4() -> Framing {
        Framing {
            version: ProtocolVersion::V4,
            b64: false,
            deflate_threshold: None,
        }
    }

    #[test]
    fn frames_messages_without_copying_the_payload() {
        let text = engineio_protocol::Str::from("hello");
        let c = frame_packet(&Packet::Message(text.clone()), v4());
        assert_eq!(bytes_of(&c), b"\x81\x064hello");
        assert_eq!(c.body.as_ptr(), text.as_bytes().as_ptr());

        let framed = engineio_protocol::Str::from("42[\"msg\"]");
        let c = frame_packet(&Packet::MessageFramed(framed.clone()), v4());
        assert_eq!(bytes_of(&c), b"\x81\x0942[\"msg\"]");
        assert_eq!(c.body.as_ptr(), framed.as_bytes().as_ptr());

        let bin = Bytes::from_static(&[1, 2, 3]);
        let c = frame_packet(&Packet::Binary(bin.clone()), v4());
        assert_eq!(bytes_of(&c), [0x82, 3, 1, 2, 3]);
        let v3 = Framing {
            version: ProtocolVersion::V3,
            ..v4()
        };
        let c = frame_packet(&Packet::Binary(bin.clone()), v3);
        assert_eq!(bytes_of(&c), [0x82, 4, 4, 1, 2, 3]);
        let b64 = Framing { b64: true, ..v4() };
        let c = frame_packet(&Packet::Binary(bin), b64);
        assert_eq!(bytes_of(&c), b"\x81\x05bAQID");
        let c = frame_packet(&Packet::Ping(Default::default()), v4());
        assert_eq!(bytes_of(&c), b"\x81\x012");
    }

    #[test]
    fn frame_lengths_use_the_extended_forms() {
        for (len, head) in [(125usize, 2usize), (126, 4), (65_535, 4), (65_536, 10)] {
            let body = Bytes::from(vec![b'a'; len - 1]);
            let c = Chunk::frame(OP_TEXT, false, b"4", body);
            assert_eq!(c.len(), head + len, "payload {len}");
            let wire = bytes_of(&c);
            let declared = match head {
                2 => wire[1] as usize,
                4 => u16::from_be_bytes([wire[2], wire[3]]) as usize,
                _ => u64::from_be_bytes(wire[2..10].try_into().expect("8 bytes")) as usize,
            };
            assert_eq!(declared, len);
            assert_eq!(wire[head], b'4');
        }
    }

    #[test]
    fn close_frames() {
        let mut c = Chunk::frame(OP_CLOSE, false, &1009u16.to_be_bytes(), Bytes::new());
        assert_eq!(bytes_of(&c), [0x88, 2, 0x03, 0xf1]);
        c = Chunk::frame(OP_CLOSE, false, &[], Bytes::new());
        assert_eq!(bytes_of(&c), [0x88, 0]);
    }

    #[test]
    fn deflated_frames_set_rsv1() {
        let framing = Framing {
            deflate_threshold: Some(8),
            ..v4()
        };
        let c = frame_packet(&Packet::Message("a".repeat(100).into()), framing);
        assert_eq!(c.head[0], 0xC1);
        assert!(c.len() < 50);
        let c = frame_packet(&Packet::Message("abc".into()), framing);
        assert_eq!(c.head[0], 0x81);
    }

    #[test]
    fn a_shared_payload_is_deflated_once_and_other_payloads_are_not_confused() {
        let framing = Framing {
            deflate_threshold: Some(8),
            ..v4()
        };
        let text = engineio_protocol::Str::from("b".repeat(300));
        let first = frame_packet(&Packet::Message(text.clone()), framing);
        let second = frame_packet(&Packet::Message(text.clone()), framing);
        // The same compressed bytes, shared, not compressed again.
        assert_eq!(first.body.as_ptr(), second.body.as_ptr());
        // The same payload with another prefix (a framed message has none) is another message.
        let framed = frame_packet(&Packet::MessageFramed(text.clone()), framing);
        assert_ne!(bytes_of(&framed), bytes_of(&first));
        // Equal content in another allocation compresses to equal bytes.
        let copy = engineio_protocol::Str::from("b".repeat(300));
        let third = frame_packet(&Packet::Message(copy), framing);
        assert_eq!(bytes_of(&third), bytes_of(&first));
        // Another payload of the same length is compressed for itself.
        let other = frame_packet(&Packet::Message("c".repeat(300).into()), framing);
        assert_ne!(bytes_of(&other), bytes_of(&first));
        let mut z = flate2::Decompress::new(false);
        let mut out = Vec::with_capacity(400);
        let mut input = other.body.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        z.decompress_vec(&input, &mut out, flate2::FlushDecompress::Sync)
            .expect("inflates");
        assert_eq!(out, format!("4{}", "c".repeat(300)).into_bytes());
    }
}
