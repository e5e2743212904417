//! `perMessageDeflate`: RFC 7692 compression of WebSocket messages, built on `flate2` under and
//! beside tokio-tungstenite (which has no extension support and fails any frame with RSV1 set).
//!
//! - Negotiation: the first `permessage-deflate` offer we can honour is accepted with
//!   `server_no_context_takeover; client_no_context_takeover`, so that no compression state
//!   outlives a message (RFC 7692 §7.1.1): an idle session keeps no zlib window, and each
//!   inbound message inflates from a fresh state. Offers asking for `server_max_window_bits`
//!   below 15 are declined (the deflater always uses a 32 KiB window).
//! - Inbound: [`WsIo`] sits between the connection and tungstenite. It parses the client's
//!   frames; a compressed message's frames are unmasked, inflated (at most
//!   `maxHttpBufferSize` bytes per message, so a small frame cannot inflate to gigabytes) and
//!   handed on as ordinary frames with RSV1 cleared and an all-zero mask. Everything else passes
//!   through untouched, for tungstenite to accept or refuse.
//! - Outbound: messages of `threshold` bytes or more are deflated with a per-thread compressor
//!   reset for each message and sent as raw frames with RSV1 set.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use http::{header, HeaderMap, HeaderValue};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Node's `perMessageDeflate` option: RFC 7692 compression on WebSocket connections whose client
/// offers it. Off by default, as in Node; set
/// [`EngineConfig::per_message_deflate`](crate::EngineConfig::per_message_deflate) to enable it.
///
/// Messages from the client inflate to at most `maxHttpBufferSize` bytes; past that the
/// connection is closed with 1009 and the session with `transport error`. Compression state is
/// per message (no context takeover), so it costs nothing on idle connections; the price is a
/// lower ratio on streams of small similar messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerMessageDeflate {
    /// `threshold`: the smallest message the server compresses, in bytes. Default 1024.
    pub threshold: usize,
}

impl Default for PerMessageDeflate {
    fn default() -> Self {
        PerMessageDeflate { threshold: 1024 }
    }
}

impl PerMessageDeflate {
    /// Options with this threshold.
    pub fn with_threshold(threshold: usize) -> Self {
        PerMessageDeflate { threshold }
    }
}

/// The `Sec-WebSocket-Extensions` answer if the client offers a `permessage-deflate` we accept.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<HeaderValue> {
    for value in headers.get_all(header::SEC_WEBSOCKET_EXTENSIONS) {
        let Ok(value) = value.to_str() else { continue };
        for offer in value.split(',') {
            if acceptable(offer) {
                return Some(HeaderValue::from_static(
                    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                ));
            }
        }
    }
    None
}

fn acceptable(offer: &str) -> bool {
    let mut parts = offer.split(';').map(str::trim);
    if !parts
        .next()
        .is_some_and(|n| n.eq_ignore_ascii_case("permessage-deflate"))
    {
        return false;
    }
    let mut seen: [bool; 4] = [false; 4];
    for param in parts {
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (param, None),
        };
        let bits = |v: Option<&str>| {
            v.and_then(|v| v.parse::<u8>().ok())
                .filter(|b| (8..=15).contains(b))
        };
        let slot = match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" if value.is_none() => 0,
            "client_no_context_takeover" if value.is_none() => 1,
            // We inflate with a full window, so any client window is fine.
            "client_max_window_bits" if value.is_none() || bits(value).is_some() => 2,
            "server_max_window_bits" if bits(value) == Some(15) => 3,
            _ => return false,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return false;
        }
    }
    true
}

/// Why an inbound compressed message was refused (inside the `io::Error` tungstenite reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InflateError {
    /// The message inflates past `maxHttpBufferSize`: close 1009.
    #[error("compressed message inflates past maxHttpBufferSize")]
    TooLarge,
    /// The compressed data is not valid deflate: close 1007.
    #[error("invalid compressed data")]
    Corrupt,
}

impl InflateError {
    fn io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// The inflate error inside a tungstenite error, if that is what it is.
    pub(crate) fn from_ws(e: &tokio_tungstenite::tungstenite::Error) -> Option<InflateError> {
        match e {
            tokio_tungstenite::tungstenite::Error::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<InflateError>())
                .copied(),
            _ => None,
        }
    }
}

/// The connection under tungstenite: the upgraded stream itself, or, when permessage-deflate was
/// negotiated, the stream with the inflating reader described in the module docs.
#[derive(Debug)]
pub(crate) struct WsIo<S> {
    inner: S,
    inflate: Option<Box<Inflater>>,
}

impl<S> WsIo<S> {
    pub(crate) fn new(inner: S, inflate_limit: Option<usize>) -> Self {
        WsIo {
            inner,
            inflate: inflate_limit.map(|limit| Box::new(Inflater::new(limit))),
        }
    }
}

#[derive(Debug)]
enum FrameState {
    /// Waiting for a complete frame header.
    Header,
    /// Copying this many more payload bytes unchanged.
    Pass(u64),
    /// Waiting for the whole payload of a compressed frame.
    Compressed {
        fin: bool,
        opcode: u8,
        len: usize,
        mask: [u8; 4],
    },
}

struct Inflater {
    limit: usize,
    /// Bytes from the peer not yet processed.
    raw: Vec<u8>,
    /// Processed bytes not yet read by tungstenite, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    state: FrameState,
    /// The compressed message being received: its inflater and the bytes inflated so far.
    message: Option<(Decompress, usize)>,
    eof: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("state", &self.state)
            .field("in_message", &self.message.is_some())
            .finish_non_exhaustive()
    }
}

const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

impl Inflater {
    fn new(limit: usize) -> Self {
        Inflater {
            limit,
            raw: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            state: FrameState::Header,
            message: None,
            eof: false,
        }
    }

    /// Moves what it can from `raw` to `out`. `Ok(false)`: more input needed.
    fn process(&mut self) -> Result<bool, InflateError> {
        match self.state {
            FrameState::Header => {
                let Some((header_len, fin, rsv, opcode, masked, len, mask)) =
                    parse_header(&self.raw)
                else {
                    return Ok(false);
                };
                let first_compressed = matches!(opcode, 1 | 2) && rsv == 0b100 && masked;
                let continued = opcode == 0 && rsv == 0 && masked && self.message.is_some();
                if matches!(opcode, 1 | 2) {
                    // A new message ends any compressed one (tungstenite refuses the interleaving
                    // itself).
                    self.message = None;
                }
                let fits = len <= self.limit as u64;
                if (first_compressed || continued) && fits {
                    if first_compressed {
                        self.message = Some((Decompress::new(false), 0));
                    }
                    self.raw.drain(..header_len);
                    self.state = FrameState::Compressed {
                        fin,
                        opcode,
                        len: len as usize,
                        mask,
                    };
                } else {
                    self.out.extend_from_slice(&self.raw[..header_len]);
                    self.raw.drain(..header_len);
                    self.state = FrameState::Pass(len);
                }
                Ok(true)
            }
            FrameState::Pass(remaining) => {
                if remaining == 0 {
                    self.state = FrameState::Header;
                    return Ok(true);
                }
                let n = (self.raw.len() as u64).min(remaining) as usize;
                if n == 0 {
                    return Ok(false);
                }
                self.out.extend_from_slice(&self.raw[..n]);
                self.raw.drain(..n);
                self.state = FrameState::Pass(remaining - n as u64);
                Ok(true)
            }
            FrameState::Compressed {
                fin,
                opcode,
                len,
                mask,
            } => {
                if self.raw.len() < len {
                    return Ok(false);
                }
                let mut payload: Vec<u8> = self.raw.drain(..len).collect();
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= mask[i % 4];
                }
                let Some((d, total)) = self.message.as_mut() else {
                    return Err(InflateError::Corrupt);
                };
                let budget = self.limit.saturating_sub(*total);
                let mut inflated = Vec::new();
                inflate_into(d, &payload, budget, &mut inflated)?;
                if fin {
                    inflate_into(d, &TRAILER, budget, &mut inflated)?;
                }
                *total += inflated.len();
                if fin {
                    self.message = None;
                }
                put_header(&mut self.out, fin, opcode, inflated.len());
                self.out.extend_from_slice(&inflated);
                self.state = FrameState::Header;
                Ok(true)
            }
        }
    }
}

/// Inflates `input` onto `out`, failing once `out` would pass `budget` bytes.
fn inflate_into(
    d: &mut Decompress,
    mut input: &[u8],
    budget: usize,
    out: &mut Vec<u8>,
) -> Result<(), InflateError> {
    loop {
        if out.len() > budget {
            return Err(InflateError::TooLarge);
        }
        let room = (budget + 1 - out.len()).clamp(1, 64 * 1024);
        out.reserve(room);
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(input, out, FlushDecompress::Sync)
            .map_err(|_| InflateError::Corrupt)?;
        let consumed = (d.total_in() - in_before) as usize;
        let produced = d.total_out() - out_before;
        input = input.get(consumed..).unwrap_or(&[]);
        if out.len() > budget {
            return Err(InflateError::TooLarge);
        }
        let drained = out.len() < out.capacity();
        if status == Status::StreamEnd
            || (input.is_empty() && drained)
            || (consumed == 0 && produced == 0)
        {
            return Ok(());
        }
    }
}

/// A complete frame header at the start of `buf`: (length of the header, FIN, RSV bits, opcode,
/// masked, payload length, mask key).
#[allow(clippy::type_complexity)]
fn parse_header(buf: &[u8]) -> Option<(usize, bool, u8, u8, bool, u64, [u8; 4])> {
    let (&b0, rest) = buf.split_first()?;
    let &b1 = rest.first()?;
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    let mut mask = [0u8; 4];
    if masked {
        mask = buf.get(at..at + 4)?.try_into().ok()?;
        at += 4;
    }
    Some((
        at,
        b0 & 0x80 != 0,
        (b0 >> 4) & 0x7,
        b0 & 0x0f,
        masked,
        len,
        mask,
    ))
}

/// A masked (all-zero key) client frame header, as tungstenite's server side requires.
fn put_header(out: &mut Vec<u8>, fin: bool, opcode: u8, len: usize) {
    out.push(if fin { 0x80 } else { 0 } | opcode);
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if let Ok(len16) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend_from_slice(&len16.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
}

impl<S: AsyncRead + Unpin> AsyncRead for WsIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(inf) = this.inflate.as_mut() else {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        };
        loop {
            if inf.out_pos < inf.out.len() {
                let n = buf.remaining().min(inf.out.len() - inf.out_pos);
                buf.put_slice(&inf.out[inf.out_pos..inf.out_pos + n]);
                inf.out_pos += n;
                if inf.out_pos == inf.out.len() {
                    inf.out_pos = 0;
                    if inf.out.capacity() > 64 * 1024 {
                        inf.out = Vec::new();
                    } else {
                        inf.out.clear();
                    }
                }
                return Poll::Ready(Ok(()));
            }
            if inf.process().map_err(InflateError::io)? {
                continue;
            }
            if inf.eof {
                return Poll::Ready(Ok(()));
            }
            if inf.raw.is_empty() && inf.raw.capacity() > 64 * 1024 {
                inf.raw = Vec::new();
            }
            let mut chunk = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                inf.eof = true;
            } else {
                inf.raw.extend_from_slice(rb.filled());
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WsIo<S> {
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

/// Runs the inflating reader of a permessage-deflate connection over `input`, delivered in
/// pieces of `chunk` bytes as a socket would deliver it, with `limit` as `maxHttpBufferSize`:
/// the frames it hands on to tungstenite, or `None` when it refuses the compressed data (too
/// large once inflated, or corrupt). For the fuzz target `fuzz/fuzz_targets/eio_deflate.rs`;
/// not part of the supported API.
#[doc(hidden)]
pub fn fuzz_inflate(input: &[u8], chunk: usize, limit: usize) -> Option<Vec<u8>> {
    let mut inf = Inflater::new(limit);
    let mut handed_on = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        inf.raw.extend_from_slice(piece);
        while inf.process().ok()? {}
        handed_on.append(&mut inf.out);
    }
    Some(handed_on)
}

thread_local! {
    static DEFLATER: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// Deflates one message for a frame with RSV1 set: raw deflate, sync-flushed, without the
/// trailing `00 00 ff ff` (RFC 7692 §7.2.1). `None` if the compressor fails.
pub(crate) fn deflate_message(data: &[u8]) -> Option<Vec<u8>> {
    DEFLATER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let c = slot.get_or_insert_with(|| Compress::new(Compression::default(), false));
        c.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut input = data;
        loop {
            out.reserve((input.len() / 2).max(1024));
            let before = c.total_in();
            c.compress_vec(input, &mut out, FlushCompress::Sync).ok()?;
            let consumed = (c.total_in() - before) as usize;
            input = input.get(consumed..).unwrap_or(&[]);
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        }
        Some(out)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn offer(s: &str) -> Option<HeaderValue> {
        let mut h = HeaderMap::new();
        h.insert(header::SEC_WEBSOCKET_EXTENSIONS, s.parse().unwrap());
        negotiate(&h)
    }

    #[test]
    fn negotiation() {
        assert!(offer("permessage-deflate").is_some());
        assert!(offer("permessage-deflate; client_max_window_bits").is_some());
        assert!(
            offer("permessage-deflate; client_max_window_bits=10; server_no_context_takeover")
                .is_some()
        );
        assert!(offer("permessage-deflate; server_max_window_bits=10").is_none());
        assert!(
            offer("permessage-deflate; server_max_window_bits=10, permessage-deflate").is_some()
        );
        assert!(offer("permessage-deflate; client_max_window_bits=16").is_none());
        assert!(offer("permessage-deflate; __proto__").is_none());
        assert!(offer("permessage-deflate; constructor=1").is_none());
        assert!(offer(
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
        )
        .is_none());
        assert!(offer("x-webkit-deflate-frame").is_none());
        assert!(negotiate(&HeaderMap::new()).is_none());
    }

    fn client_frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1u8, 2, 3, 4];
        let mut out = vec![(if fin { 0x80 } else { 0 }) | (if rsv1 { 0x40 } else { 0 }) | opcode];
        let len = payload.len();
        if len < 126 {
            out.push(0x80 | len as u8);
        } else if len < 65536 {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    /// Feeds `input` through the inflating reader and decodes its output frames as
    /// (fin, opcode, unmasked payload).
    async fn run(limit: usize, input: Vec<u8>) -> Result<Vec<(bool, u8, Vec<u8>)>, io::Error> {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        a.write_all(&input).await.unwrap();
        drop(a);
        let mut io = WsIo::new(b, Some(limit));
        let mut out = Vec::new();
        io.read_to_end(&mut out).await?;
        let mut frames = Vec::new();
        let mut rest = &out[..];
        while let Some((hl, fin, rsv, op, masked, len, mask)) = parse_header(rest) {
            assert_eq!(rsv, 0);
            assert!(masked);
            let payload: Vec<u8> = rest[hl..hl + len as usize]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            frames.push((fin, op, payload));
            rest = &rest[hl + len as usize..];
        }
        assert!(rest.is_empty());
        Ok(frames)
    }

    #[tokio::test]
    async fn inflates_single_and_fragmented() {
        let text = "4hello hello hello hello".repeat(50);
        let z = deflate_message(text.as_bytes()).unwrap();
        assert!(z.len() < text.len() / 4);
        let mut input = client_frame(true, true, 1, &z);
        // Uncompressed frames and control frames pass through.
        input.extend(client_frame(true, false, 2, b"\x04abc"));
        input.extend(client_frame(true, false, 9, b"ping"));
        // A compressed message in three fragments, with a ping in the middle.
        let (p1, p2) = z.split_at(z.len() / 2);
        input.extend(client_frame(false, true, 1, p1));
        input.extend(client_frame(true, false, 9, b""));
        input.extend(client_frame(false, false, 0, p2));
        input.extend(client_frame(true, false, 0, b""));
        let frames = run(1_000_000, input).await.unwrap();
        assert_eq!(frames[0], (true, 1, text.as_bytes().to_vec()));
        assert_eq!(frames[1], (true, 2, b"\x04abc".to_vec()));
        assert_eq!(frames[2], (true, 9, b"ping".to_vec()));
        let joined: Vec<u8> = frames[3..]
            .iter()
            .filter(|f| f.1 != 9)
            .flat_map(|f| f.2.clone())
            .collect();
        assert_eq!(joined, text.as_bytes());
        assert!(frames.last().unwrap().0);
    }

    #[tokio::test]
    async fn bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 20 << 20];
        let z = deflate_message(&zeros).unwrap();
        assert!(z.len() < 100 * 1024, "{}", z.len());
        let err = run(1_000_000, client_frame(true, true, 2, &z))
            .await
            .unwrap_err();
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<InflateError>());
        assert_eq!(inner, Some(&InflateError::TooLarge));
        // Split into fragments, the limit is per message.
        let half = 600_000;
        let a = deflate_message(&zeros[..half]).unwrap();
        let mut input = client_frame(false, true, 2, &a);
        input.extend(client_frame(true, false, 0, &a));
        assert!(run(1_000_000, input).await.is_err());
    }

    #[tokio::test]
    async fn garbage_is_corrupt() {
        let err = run(1000, client_frame(true, true, 1, &[0xff; 40]))
            .await
            .unwrap_err();
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<InflateError>());
        assert_eq!(inner, Some(&InflateError::Corrupt));
    }

    /// Random frame sequences (any bits, lengths, masks, truncations, valid and invalid deflate
    /// data) never panic the reader, and nothing it hands on is larger than the input allows.
    #[tokio::test]
    async fn random_input_never_panics() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let valid = deflate_message(&[b'a'; 3000]).unwrap();
        for _ in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..(next() % 6) {
                let r = next();
                let payload: Vec<u8> = match r % 4 {
                    0 => valid.clone(),
                    1 => valid[..(next() as usize % valid.len())].to_vec(),
                    2 => (0..(next() % 300)).map(|_| next() as u8).collect(),
                    _ => Vec::new(),
                };
                let fin = r & 0x10 != 0;
                let rsv1 = r & 0x20 != 0;
                let opcode = [0u8, 1, 2, 8, 9, 3][(r >> 8) as usize % 6];
                let mut frame = client_frame(fin, rsv1, opcode, &payload);
                if r & 0x40 != 0 {
                    frame[1] &= 0x7f;
                }
                if r & 0x80 != 0 {
                    let cut = next() as usize % frame.len().max(1);
                    frame.truncate(cut);
                }
                input.extend(frame);
            }
            if next() % 8 == 0 {
                input.extend((0..(next() % 64)).map(|_| next() as u8));
            }
            let len = input.len();
            if let Ok(frames) = run_lenient(2000, input).await {
                // At most the limit inflated per message (six at most), plus what passed through.
                assert!(frames <= 6 * (2000 + 14) + len, "{frames} from {len}");
            }
        }
    }

    /// As [`run`], without decoding the output: its length.
    async fn run_lenient(limit: usize, input: Vec<u8>) -> Result<usize, io::Error> {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        a.write_all(&input).await?;
        drop(a);
        let mut io = WsIo::new(b, Some(limit));
        let mut out = Vec::new();
        io.read_to_end(&mut out).await?;
        Ok(out.len())
    }

    #[tokio::test]
    async fn passthrough_when_not_negotiated() {
        let (mut a, b) = tokio::io::duplex(1024);
        let input = client_frame(true, true, 1, b"not deflate");
        a.write_all(&input).await.unwrap();
        drop(a);
        let mut io = WsIo::new(b, None);
        let mut out = Vec::new();
        io.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, input);
    }
}
