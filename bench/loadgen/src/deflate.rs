//! permessage-deflate (RFC 7692) on the receiving side, for `--deflate`.
//!
//! tungstenite 0.28 refuses frames with RSV1 set, so the clients' socket sits behind
//! [`Wire`]: once the HTTP `101` has gone by, it reads the server's frames itself, inflates
//! every compressed message (RSV1 on its first frame, fragments joined) and hands tungstenite
//! the same message as one plain frame; everything else (uncompressed messages, control
//! frames) goes through byte for byte. The clients' own frames are never compressed (RSV1
//! clear, which RFC 7692 allows).
//!
//! Both sides negotiate no context takeover, so each message inflates on its own: one
//! decompressor per thread (the load generator runs on one), reset before every message,
//! its output bounded by [`MAX_MESSAGE`].

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{ready, Context, Poll};

use flate2::{Decompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The client's offer.
pub(crate) const OFFER: &str =
    "permessage-deflate; client_no_context_takeover; server_no_context_takeover";

/// The largest message a client accepts, compressed or inflated (tungstenite's limit too).
pub(crate) const MAX_MESSAGE: usize = 1 << 20;

/// The 4 bytes a sender strips from the end of every compressed message (RFC 7692 §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Compressed messages received, by every client.
pub(crate) static COMPRESSED_FRAMES: AtomicU64 = AtomicU64::new(0);
/// Their bytes on the wire (payloads).
pub(crate) static COMPRESSED_BYTES: AtomicU64 = AtomicU64::new(0);
/// Their bytes once inflated.
pub(crate) static INFLATED_BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Inflates one compressed message payload (the tail appended here) with `d`, reset first;
/// an error when it is corrupt, truncated, or inflates to more than `max` bytes.
pub(crate) fn inflate_with(d: &mut Decompress, data: &[u8], max: usize) -> Result<Vec<u8>, String> {
    d.reset(false);
    let mut input = Vec::with_capacity(data.len() + TAIL.len());
    input.extend_from_slice(data);
    input.extend_from_slice(&TAIL);
    let mut out: Vec<u8> = Vec::with_capacity((4 * data.len()).clamp(256, max + 1));
    let mut pos = 0;
    loop {
        if out.len() == out.capacity() {
            // room for one byte past the bound, to tell "exactly max" from "more"
            let room = (max + 1).saturating_sub(out.len());
            if room == 0 {
                return Err(format!("inflated message over {max} bytes"));
            }
            out.reserve_exact(room.min(out.capacity().max(1024)));
        }
        let (in0, out0) = (d.total_in(), out.len());
        let status = d
            .decompress_vec(&input[pos..], &mut out, FlushDecompress::None)
            .map_err(|e| format!("inflate: {e}"))?;
        let consumed = (d.total_in() - in0) as usize;
        pos += consumed;
        if out.len() > max {
            return Err(format!("inflated message over {max} bytes"));
        }
        let output_bound = out.len() == out.capacity();
        match status {
            Status::StreamEnd => break,
            _ if pos == input.len() && !output_bound => break,
            _ if consumed == 0 && out.len() == out0 && !output_bound => {
                return Err("inflate: truncated message".to_owned())
            }
            _ => {}
        }
    }
    Ok(out)
}

/// [`inflate_with`] on this thread's decompressor.
fn inflate(data: &[u8], max: usize) -> Result<Vec<u8>, String> {
    INFLATER.with(|d| inflate_with(&mut d.borrow_mut(), data, max))
}

/// A client's TCP stream, with compressed messages inflated when `--deflate` is on.
#[derive(Debug)]
pub(crate) struct Wire {
    inner: TcpStream,
    inflating: Option<Box<Inflating>>,
}

#[derive(Debug, Default)]
struct Inflating {
    /// Past the HTTP response head: frames from here on.
    frames: bool,
    /// Bytes read, not yet looked at.
    input: Vec<u8>,
    /// Bytes for tungstenite, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    /// The compressed message being joined: its opcode and payload so far.
    partial: Option<(u8, Vec<u8>)>,
}

impl Wire {
    /// `stream` as it is, or (`deflate`) inflating what the server compresses.
    pub(crate) fn new(inner: TcpStream, deflate: bool) -> Wire {
        Wire {
            inner,
            inflating: deflate.then(Box::default),
        }
    }
}

impl Inflating {
    /// Moves whatever `input` holds in full (the response head, whole frames) to `out`.
    fn process(&mut self) -> io::Result<()> {
        let bad = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
        if !self.frames {
            let Some(i) = self.input.windows(4).position(|w| w == b"\r\n\r\n") else {
                if self.input.len() > 16 << 10 {
                    return Err(bad("handshake response head over 16 KiB".to_owned()));
                }
                return Ok(());
            };
            self.out.extend(self.input.drain(..i + 4));
            self.frames = true;
        }
        let mut at = 0;
        while let Some((head, len)) = frame_header(&self.input[at..]) {
            if len > MAX_MESSAGE as u64 {
                return Err(bad(format!("frame of {len} bytes")));
            }
            let len = len as usize;
            let Some(frame) = self.input.get(at..at + head + len) else {
                break;
            };
            let (b0, b1) = (frame[0], frame[1]);
            let (fin, rsv1, opcode) = (b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x0f);
            if b1 & 0x80 != 0 {
                // a masked server frame is a protocol error tungstenite reports; pass it on
                self.out.extend_from_slice(frame);
                at += head + len;
                continue;
            }
            let compressed_start = opcode != 0 && opcode < 8 && rsv1;
            if compressed_start || (opcode == 0 && self.partial.is_some()) {
                let (op, mut data) = match self.partial.take() {
                    Some(p) if opcode == 0 => p,
                    Some(_) => return Err(bad("new message inside a fragmented one".to_owned())),
                    None => (opcode, Vec::new()),
                };
                data.extend_from_slice(&frame[head..]);
                if data.len() > MAX_MESSAGE {
                    return Err(bad(format!("compressed message over {MAX_MESSAGE} bytes")));
                }
                if fin {
                    let inflated = inflate(&data, MAX_MESSAGE).map_err(bad)?;
                    COMPRESSED_FRAMES.fetch_add(1, Ordering::Relaxed);
                    COMPRESSED_BYTES.fetch_add(data.len() as u64, Ordering::Relaxed);
                    INFLATED_BYTES.fetch_add(inflated.len() as u64, Ordering::Relaxed);
                    write_frame(&mut self.out, op, &inflated);
                } else {
                    self.partial = Some((op, data));
                }
            } else {
                // uncompressed data, its fragments, and control frames (between fragments too)
                self.out.extend_from_slice(frame);
            }
            at += head + len;
        }
        self.input.drain(..at);
        Ok(())
    }
}

/// The header length and payload length of the frame starting `b`, once its header is in.
fn frame_header(b: &[u8]) -> Option<(usize, u64)> {
    let b1 = *b.get(1)?;
    let mask = if b1 & 0x80 != 0 { 4 } else { 0 };
    let (ext, len) = match b1 & 0x7f {
        126 => (
            2,
            u64::from(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?)),
        ),
        127 => (8, u64::from_be_bytes(b.get(2..10)?.try_into().ok()?)),
        n => (0, u64::from(n)),
    };
    let head = 2 + ext + mask;
    (b.len() >= head).then_some((head, len))
}

/// A final unmasked frame of `opcode` carrying `payload`.
fn write_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(st) = this.inflating.as_deref_mut() else {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        };
        loop {
            if st.out_pos < st.out.len() {
                let n = buf.remaining().min(st.out.len() - st.out_pos);
                buf.put_slice(&st.out[st.out_pos..st.out_pos + n]);
                st.out_pos += n;
                if st.out_pos == st.out.len() {
                    st.out.clear();
                    st.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            st.input.extend_from_slice(rb.filled());
            st.process()?;
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::{frame_header, inflate_with, write_frame, Inflating, TAIL};
    use flate2::{Compress, Compression, Decompress, FlushCompress};

    /// What a server sends: raw deflate, sync-flushed, the 4-byte tail stripped.
    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Sync)
            .expect("compress");
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - TAIL.len());
        out
    }

    #[test]
    fn inflate_round_trip() {
        let text = "42[\"msg\",\"0000000000000042 lorem ipsum dolor sit amet\"]".repeat(40);
        let mut d = Decompress::new(false);
        let z = deflate(text.as_bytes());
        assert!(z.len() < text.len() / 4);
        assert_eq!(
            inflate_with(&mut d, &z, 1 << 20).as_deref(),
            Ok(text.as_bytes())
        );
        // the same decompressor, reset: a second message inflates on its own
        let z2 = deflate(b"second");
        assert_eq!(
            inflate_with(&mut d, &z2, 1 << 20).as_deref(),
            Ok(&b"second"[..])
        );
        assert!(inflate_with(&mut d, b"\xff\xff\xff", 1 << 20).is_err());
    }

    #[test]
    fn inflate_is_bounded() {
        let big = vec![b'x'; 100_000];
        let z = deflate(&big);
        let mut d = Decompress::new(false);
        assert!(inflate_with(&mut d, &z, 99_999).is_err());
        assert_eq!(
            inflate_with(&mut d, &z, 100_000).map(|v| v.len()),
            Ok(100_000)
        );
    }

    #[test]
    fn compressed_frames_become_plain_ones() {
        let text = b"42[\"msg\",\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]";
        let z = deflate(text);
        let mut st = Inflating::default();
        st.input
            .extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
        // a compressed text message in two fragments, a ping between them, then a plain one
        let (a, b) = z.split_at(z.len() / 2);
        st.input.extend_from_slice(&[0x41, a.len() as u8]);
        st.input.extend_from_slice(a);
        st.input.extend_from_slice(&[0x89, 0]);
        st.input.extend_from_slice(&[0x80, b.len() as u8]);
        st.input.extend_from_slice(b);
        st.input.extend_from_slice(&[0x81, 1, b'2', 0x81]);
        st.process().expect("process");
        let mut want = b"HTTP/1.1 101 Switching Protocols\r\n\r\n".to_vec();
        want.extend_from_slice(&[0x89, 0]);
        write_frame(&mut want, 1, text);
        want.extend_from_slice(&[0x81, 1, b'2']);
        assert_eq!(st.out, want);
        // the start of the next frame waits for the rest
        assert_eq!(st.input, [0x81]);
        assert_eq!(frame_header(&[0x81, 126, 1, 0]), Some((4, 256)));
    }
}
