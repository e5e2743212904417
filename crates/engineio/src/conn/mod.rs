//! One WebSocket connection and its bytes, knowing nothing of sessions.
//!
//! Who writes the WebSocket bytes: whoever sends. A sender (a handler's `emit`, a broadcast
//! looping over its recipients, the heartbeat) frames its packets and appends them to the
//! connection's [`WsWriter`]; when nothing was waiting there, the session hands the connection
//! to its engine's flusher (`session::flusher`), which writes everything queued by then in one
//! vectored write, once the tasks ready to run have run. What the socket does not take stays in the
//! writer, and the session's task finishes it ([`WsConn`]'s `poll_event`) when the socket is
//! writable. tungstenite keeps the read side (frame parsing, masking, UTF-8, fragments, control
//! frames); its own writes (pongs, the reply to a close) go through [`WsRead`] into the same
//! queue, so every byte leaves in order. Details in `writer`.

mod writer;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use engineio_protocol::{CloseReason, Packet, ProtocolVersion, Str};
use futures_util::{Sink, Stream};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::WebSocketStream;

use crate::deflate::WsIo;

pub(crate) use writer::{Flushed, Framing, WsRead, WsWriter};

/// The read side of a WebSocket, under tungstenite.
pub(crate) type WsStream = WebSocketStream<WsRead>;

/// A place under [`ServeConfig::max_connections`](crate::ServeConfig::max_connections), held as
/// long as the connection lives (a request extension, taken by the WebSocket the connection
/// becomes).
#[derive(Debug, Clone)]
pub(crate) struct ConnSlot(#[allow(dead_code)] pub(crate) Arc<OwnedSemaphorePermit>);

/// What a WebSocket connection may hold, from the engine's options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    /// Largest message (and frame) read, and largest inflated message (`maxHttpBufferSize`).
    pub(crate) max_message: usize,
    /// Most bytes tungstenite's own writes may queue (`max_buffer_size`).
    pub(crate) max_buffered: usize,
}

/// A WebSocket with what the session's task needs to read and write it.
pub(crate) struct WsConn {
    /// The read side, under tungstenite.
    pub(crate) stream: WsStream,
    /// The write side, shared with every sender of the session.
    pub(crate) writer: Arc<WsWriter>,
    /// permessage-deflate was negotiated: messages of this many bytes or more are compressed.
    pub(crate) deflate_threshold: Option<usize>,
    /// The connection's place under `max_connections`, if [`serve_with`](crate::serve_with)
    /// gave it one.
    _slot: Option<ConnSlot>,
}

/// The next thing that happens on a connection.
pub(crate) enum WsEvent {
    /// Everything queued was written.
    Written,
    /// A write failed: the connection is gone.
    WriteFailed(std::io::Error),
    /// A frame was read (`None`: the stream ended).
    Frame(Option<Result<WsMessage, tungstenite::Error>>),
}

fn ws_config(limits: ConnLimits) -> WebSocketConfig {
    let mut c = WebSocketConfig::default();
    // A small read buffer keeps an idle connection cheap (every connection holds one): 512 bytes
    // take a typical event in one read, and a large message is read 512 bytes per call into a
    // buffer reserved at its full length. (1 KiB cost 530 bytes more per idle connection.)
    // Nothing is written through tungstenite's write buffer: see `writer`.
    c.read_buffer_size = 512;
    c.write_buffer_size = 0;
    c.max_message_size = Some(limits.max_message);
    c.max_frame_size = Some(limits.max_message);
    c
}

impl WsConn {
    /// Completes the HTTP upgrade and wraps the connection.
    pub(crate) async fn accept(
        on_upgrade: OnUpgrade,
        deflate_threshold: Option<usize>,
        slot: Option<ConnSlot>,
        limits: ConnLimits,
    ) -> Result<WsConn, hyper::Error> {
        let upgraded = on_upgrade.await?;
        let inflate_limit = deflate_threshold.map(|_| limits.max_message);
        let io = WsIo::new(TokioIo::new(upgraded), inflate_limit);
        let writer = Arc::new(WsWriter::new(io));
        let read = WsRead::new(writer.clone(), limits.max_buffered);
        let stream =
            WebSocketStream::from_raw_socket(read, Role::Server, Some(ws_config(limits))).await;
        Ok(WsConn {
            stream,
            writer,
            deflate_threshold,
            _slot: slot,
        })
    }

    /// Sends a close frame after what is queued, within `within`, then lets the connection go.
    pub(crate) async fn close(&mut self, code: Option<u16>, within: Duration) {
        self.writer.lock().push_close(code);
        self.writer.finish(Instant::now() + within).await;
    }

    /// Sends tungstenite's reply to the peer's close frame, briefly, then lets go.
    pub(crate) async fn answer_close(&mut self) {
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_flush(cx)).await;
        self.writer
            .finish(Instant::now() + Duration::from_secs(1))
            .await;
    }

    /// The next thing that happens on the socket: a frame read, or the queued writes done or
    /// failed. Reading comes first because a read can queue a write (tungstenite's pong to a
    /// ping).
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<WsEvent> {
        let frame = Pin::new(&mut self.stream).poll_next(cx);
        if self.writer.lock().busy() {
            match self.writer.poll_drain(cx) {
                Poll::Ready(Err(e)) => return Poll::Ready(WsEvent::WriteFailed(e)),
                Poll::Ready(Ok(())) if frame.is_pending() => return Poll::Ready(WsEvent::Written),
                _ => {}
            }
        }
        frame.map(WsEvent::Frame)
    }
}

/// Maps a WebSocket message to an Engine.IO packet of protocol `version`: `None` for control
/// frames.
pub(crate) fn decode_for(
    version: ProtocolVersion,
    msg: WsMessage,
) -> Option<Result<Packet, engineio_protocol::DecodeError>> {
    match msg {
        WsMessage::Text(t) => {
            let text = Str::try_from(Bytes::from(t)).ok()?;
            Some(engineio_protocol::decode_text_frame(text, version))
        }
        WsMessage::Binary(b) => Some(engineio_protocol::decode_binary_frame(b, version)),
        _ => None,
    }
}

/// Why a WebSocket read failed, as a close reason.
///
/// The connection ending without a close frame (a killed tab or process, a cut network, a
/// reset) is `transport close`, as in Node, where `ws` reports such an end as a close (code
/// 1006) and engine.io names it so; a frame that breaks the protocol is `transport error`.
pub(crate) fn read_error_reason(e: &tungstenite::Error) -> CloseReason {
    use std::io::ErrorKind;
    use tungstenite::error::ProtocolError;
    match e {
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed
        | tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            CloseReason::TransportClose
        }
        tungstenite::Error::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) =>
        {
            CloseReason::TransportClose
        }
        _ => CloseReason::TransportError,
    }
}
