//! The one task per session: heartbeat timers always, and the WebSocket once the session is on it.
//!
//! Reading, writing and the timers of a WebSocket session are polled side by side in one
//! `select!`, so a peer that stops reading (a write that cannot progress) still gets its
//! heartbeat checked and its session closed; nothing here ever waits on another session.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use engineio_protocol::{Action, CloseReason, Packet, Str};
use futures_util::{Sink, Stream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

use crate::deflate::InflateError;
use crate::socket::{packet_cost, SessionInner, Transport};
use crate::ws::{decode_for, encode_for, read_error_reason, WsStream};

/// A WebSocket with what the driver needs to write to it.
pub(crate) struct WsConn {
    pub(crate) stream: WsStream,
    /// permessage-deflate was negotiated: messages of this many bytes or more are compressed.
    pub(crate) deflate_threshold: Option<usize>,
    /// The connection's place under `max_connections`, if [`serve_with`](crate::serve_with)
    /// gave it one.
    pub(crate) _slot: Option<crate::serve::ConnSlot>,
}

/// Starts the driver of a new polling session.
pub(crate) fn spawn(session: Arc<SessionInner>, ws: Option<WsConn>) {
    let upgrade_rx = if ws.is_none() {
        let (tx, rx) = oneshot::channel();
        session.lock().upgrade_tx = Some(tx);
        Some(rx)
    } else {
        None
    };
    tokio::spawn(run(session, ws, upgrade_rx));
}

/// The WebSocket of a session and its write in progress.
struct Ws {
    conn: WsConn,
    /// Encoded messages not yet handed to the socket.
    pending: VecDeque<WsMessage>,
    /// Messages were handed to the socket and not flushed yet.
    unflushed: bool,
    /// When the batch being written was taken from the queue.
    write_started: Option<Instant>,
}

impl Ws {
    fn writing(&self) -> bool {
        !self.pending.is_empty() || self.unflushed
    }

    /// Progress on the batch: `Ready(Ok)` once it is all written and flushed.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), tungstenite::Error>> {
        let stream = &mut self.conn.stream;
        while let Some(msg) = self.pending.pop_front() {
            match Pin::new(&mut *stream).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.pending.push_front(msg);
                    return Poll::Pending;
                }
            }
            Pin::new(&mut *stream).start_send(msg)?;
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut *stream).poll_flush(cx))?;
            self.unflushed = false;
        }
        // An idle connection keeps no batch buffer.
        self.pending = VecDeque::new();
        Poll::Ready(Ok(()))
    }

    /// The next thing that happens on the socket: the batch done or failed, or a frame read.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<WsEvent> {
        if self.writing() {
            if let Poll::Ready(r) = self.poll_write(cx) {
                return Poll::Ready(WsEvent::Written(r));
            }
        }
        Pin::new(&mut self.conn.stream)
            .poll_next(cx)
            .map(WsEvent::Frame)
    }
}

enum WsEvent {
    Written(Result<(), tungstenite::Error>),
    Frame(Option<Result<WsMessage, tungstenite::Error>>),
}

enum Wake {
    Notified,
    Upgraded(Option<Box<WsConn>>),
    Ws(WsEvent),
    Timer,
}

pub(crate) async fn run(
    session: Arc<SessionInner>,
    ws: Option<WsConn>,
    mut upgrade_rx: Option<oneshot::Receiver<WsConn>>,
) {
    let config = &session.shared.config;
    // A write that makes no progress for a whole heartbeat window is a dead peer.
    let write_window: Duration = config.ping_interval + config.ping_timeout;
    let mut ws = ws.map(|conn| Ws {
        conn,
        pending: VecDeque::new(),
        unflushed: false,
        write_started: None,
    });
    // How long a session closed gracefully may take to deliver its close packet.
    let mut close_deadline: Option<Instant> = None;
    // One timer for the session's life, moved only when the deadline moves: a fresh `Sleep`
    // per wake-up would register and deregister a timer for every message written.
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    loop {
        let (mut deadline, closed, graceful, finished) = {
            let mut st = session.lock();
            if let Some(w) = ws.as_mut() {
                let on_ws = matches!(st.transport, Transport::Websocket);
                if on_ws && !w.writing() && !st.queue.is_empty() {
                    let packets = SessionInner::drain_queue(&mut st);
                    tracing::trace!(target: "engineio::packet", sid = %session.sid, ?packets, "sent (websocket)");
                    st.inflight_bytes = packets.iter().map(packet_cost).sum();
                    let b64 = st.ws_b64;
                    let threshold = w.conn.deflate_threshold;
                    w.pending.extend(
                        packets
                            .iter()
                            .map(|p| encode_for(&session, p, b64, threshold)),
                    );
                    w.write_started = Some(Instant::now());
                }
                st.writing = w.writing();
            }
            (
                st.proto.poll_timeout(),
                st.closed.is_some(),
                st.graceful_close,
                st.finished,
            )
        };
        if closed {
            if let Some(w) = ws.as_mut() {
                if !graceful {
                    // Free the batch at once; a peer that is not reading gets no close frame.
                    let stuck = w.writing();
                    w.pending.clear();
                    if !stuck {
                        Box::pin(close_socket(w, None, Duration::from_secs(1))).await;
                    }
                    break;
                }
                if !w.writing() {
                    // Everything, the close packet last, is written.
                    Box::pin(close_socket(w, None, config.ping_timeout)).await;
                    break;
                }
            }
        }
        if finished && ws.is_none() {
            break;
        }
        if closed {
            // Graceful close: on polling, waiting for a GET to take the close packet; on a
            // WebSocket, for the writes to finish.
            let at = *close_deadline.get_or_insert_with(|| Instant::now() + config.ping_timeout);
            deadline = Some(at);
        }
        if let Some(started) = ws.as_ref().and_then(|w| w.write_started) {
            let at = started + write_window;
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        if deadline != armed {
            if let Some(at) = deadline {
                timer.as_mut().reset(at.into());
            }
            armed = deadline;
        }
        let wake = tokio::select! {
            _ = session.notify.notified() => Wake::Notified,
            r = async { upgrade_rx.as_mut().expect("guarded").await }, if upgrade_rx.is_some() => {
                Wake::Upgraded(r.ok().map(Box::new))
            }
            e = poll_fn(|cx| ws.as_mut().map_or(Poll::Pending, |w| w.poll_event(cx))), if ws.is_some() => Wake::Ws(e),
            _ = &mut timer, if armed.is_some() => Wake::Timer,
        };
        match wake {
            Wake::Notified => {}
            Wake::Upgraded(conn) => {
                upgrade_rx = None;
                if let Some(conn) = conn {
                    ws = Some(Ws {
                        conn: *conn,
                        pending: VecDeque::new(),
                        unflushed: false,
                        write_started: None,
                    });
                }
            }
            Wake::Ws(WsEvent::Written(Ok(()))) => {
                let mut st = session.lock();
                st.inflight_bytes = 0;
                st.writing = false;
                if let Some(w) = ws.as_mut() {
                    w.write_started = None;
                }
            }
            Wake::Ws(WsEvent::Written(Err(e))) => {
                tracing::debug!(target: "engineio::session", sid = %session.sid, error = %e, "websocket write failed");
                session.close(read_error_reason(&e), false);
            }
            Wake::Ws(WsEvent::Frame(Some(Ok(msg)))) => {
                if let WsMessage::Close(_) = msg {
                    session.close(CloseReason::TransportClose, false);
                    continue;
                }
                match decode_for(&session, msg) {
                    Some(Ok(packet)) => {
                        session.on_packet(packet, false);
                    }
                    Some(Err(e)) => {
                        tracing::debug!(target: "engineio::session", sid = %session.sid, error = %e, "malformed frame");
                        session.close(CloseReason::ParseError, false);
                    }
                    None => {}
                }
            }
            Wake::Ws(WsEvent::Frame(Some(Err(e)))) => {
                tracing::debug!(target: "engineio::session", sid = %session.sid, error = %e, "websocket read failed");
                if let (Some(w), Some(inflate)) = (ws.as_mut(), InflateError::from_ws(&e)) {
                    let code = match inflate {
                        InflateError::TooLarge => CloseCode::Size,
                        InflateError::Corrupt => CloseCode::Invalid,
                    };
                    let frame = CloseFrame {
                        code,
                        reason: "".into(),
                    };
                    w.pending.clear();
                    Box::pin(close_socket(w, Some(frame), Duration::from_secs(1))).await;
                }
                session.close(read_error_reason(&e), false);
            }
            Wake::Ws(WsEvent::Frame(None)) => session.close(CloseReason::TransportClose, false),
            Wake::Timer => {
                // Fired: re-arm on the next pass even if the deadline comes out the same.
                armed = None;
                let now = Instant::now();
                if closed {
                    if close_deadline.is_some_and(|d| now >= d) {
                        break;
                    }
                    continue;
                }
                if ws
                    .as_ref()
                    .and_then(|w| w.write_started)
                    .is_some_and(|s| now >= s + write_window)
                {
                    tracing::debug!(target: "engineio::session", sid = %session.sid, "websocket write made no progress");
                    session.close(CloseReason::TransportError, false);
                    continue;
                }
                on_timers(&session);
            }
        }
    }
    {
        let mut st = session.lock();
        st.inflight_bytes = 0;
        st.writing = false;
    }
    session.finish();
}

/// Sends a close frame (after what is buffered) and waits for it to go out, within `within`.
async fn close_socket(w: &mut Ws, frame: Option<CloseFrame>, within: Duration) {
    let _ = tokio::time::timeout(within, w.conn.stream.close(frame)).await;
}

/// Runs every heartbeat or upgrade deadline that has passed. Each runs at its scheduled time,
/// not at the (possibly late) time this is called, so a late wake-up never stretches the
/// heartbeat; polling requests call it too, so a session past its deadline is never served.
pub(crate) fn on_timers(session: &Arc<SessionInner>) {
    let now = Instant::now();
    loop {
        let action = {
            let mut st = session.lock();
            match st.proto.poll_timeout() {
                Some(due) if due <= now => st.proto.handle_timeout(due),
                _ => None,
            }
        };
        match action {
            Some(Action::SendPing) => {
                let _ = session.enqueue([Packet::Ping(Str::default())]);
            }
            Some(Action::Close(reason)) => {
                session.close(reason, false);
                return;
            }
            Some(Action::UpgradeTimedOut) => {
                let mut st = session.lock();
                if let Some(abort) = st.probe_abort.take() {
                    let _ = abort.send(());
                }
                if !matches!(st.transport, Transport::Websocket) {
                    st.upgrading = false;
                    st.probed = false;
                }
            }
            None => return,
        }
    }
}
