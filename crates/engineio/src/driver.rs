//! The one task per session: heartbeat timers always, and the WebSocket once the session is on it.
//!
//! Senders write to the WebSocket themselves (`conn`); the driver reads it, finishes
//! the writes the socket did not take at once, and runs the timers, all polled side by side in
//! one `select!`, so a peer that stops reading (a write that cannot progress) still gets its
//! heartbeat checked and its session closed; nothing here ever waits on another session.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use engineio_protocol::CloseReason;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::conn::{decode_for, read_error_reason, Framing, WsConn, WsEvent};
use crate::deflate::InflateError;
use crate::session::{SessionInner, Transport, WsOut};

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

enum Wake {
    Notified,
    Upgraded(Option<Box<WsConn>>),
    Ws(WsEvent),
    Timer,
}

/// The driver of `session`, on `ws`, or on the WebSocket `upgrade_rx` brings.
///
/// A function returning an `async move` block, not an `async fn`: an `async fn` moves its
/// arguments into locals of its body, and its future then keeps room for the WebSocket twice
/// (as argument and as local: 1048 bytes against 696 measured), in every idle connection.
#[allow(clippy::manual_async_fn)] // on purpose: see above
pub(crate) fn run(
    session: Arc<SessionInner>,
    mut ws: Option<WsConn>,
    mut upgrade_rx: Option<oneshot::Receiver<WsConn>>,
) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let config = &session.ctx.config;
        // The peer sent its close frame (tungstenite has queued the reply).
        let mut peer_closed = false;
        // How long a session closed gracefully may take to deliver its close packet.
        let mut close_deadline: Option<Instant> = None;
        // One timer for the session's life, moved only when the deadline moves: a fresh `Sleep`
        // per wake-up would register and deregister a timer for every message written.
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        // The timer is set (at `timer.deadline()`).
        let mut armed = false;
        loop {
            let (mut deadline, closed, graceful, finished) = {
                let mut st = session.lock();
                if let Some(conn) = ws.as_ref() {
                    if matches!(st.transport, Transport::Websocket)
                        && session.ws_out.get().is_none()
                    {
                        // Senders write to the WebSocket themselves from now on; what was queued
                        // before goes first.
                        let framing = Framing {
                            version: session.version,
                            b64: st.ws_b64,
                            deflate_threshold: conn.deflate_threshold,
                        };
                        let _ = session.ws_out.set(WsOut {
                            writer: conn.writer.clone(),
                            framing,
                        });
                    }
                    if let Some(out) = session.ws_out.get().filter(|_| !st.queue.is_empty()) {
                        let queued = SessionInner::drain_queue(&mut st);
                        let mut w = out.writer.lock();
                        let plain = Framing {
                            deflate_threshold: None,
                            ..out.framing
                        };
                        for q in &queued {
                            tracing::trace!(target: "engineio::packet", session = %session.sid, packet = ?q.packet, compress = q.compress, "sent (websocket)");
                            w.push_packet(&q.packet, if q.compress { out.framing } else { plain });
                        }
                    }
                }
                (
                    st.proto.poll_timeout(),
                    st.closed.is_some(),
                    st.graceful_close,
                    st.finished,
                )
            };
            let (writing, failure, blocked_since) = match ws.as_ref() {
                Some(conn) => {
                    let mut w = conn.writer.lock();
                    if closed {
                        // What senders deferred goes before the close decides what to drop.
                        let _ = w.flush_deferred();
                    }
                    (w.busy(), w.take_failure(), w.blocked_since())
                }
                None => (false, None, None),
            };
            if let Some(e) = failure {
                tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "websocket write failed");
                session.close(CloseReason::TransportError, false);
                continue;
            }
            if closed {
                if let Some(conn) = ws.as_mut() {
                    if !graceful {
                        if peer_closed {
                            // Our reply to its close frame, briefly: tungstenite hands it to the
                            // queue when flushed.
                            // (Boxed, as every rare wait here: the driver's own future stays
                            // small, and every idle connection holds one.)
                            Box::pin(conn.answer_close()).await;
                        } else if writing {
                            // A peer that is not reading gets no close frame; its queue goes at once.
                            conn.writer.release();
                        } else {
                            Box::pin(conn.close(None, Duration::from_secs(1))).await;
                        }
                        break;
                    }
                    if !writing {
                        // Everything, the close packet last, is written.
                        Box::pin(conn.close(None, config.ping_timeout)).await;
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
                let at =
                    *close_deadline.get_or_insert_with(|| Instant::now() + config.ping_timeout);
                deadline = Some(at);
            }
            if let Some(since) = blocked_since {
                let at = since + write_window(config);
                deadline = Some(deadline.map_or(at, |d| d.min(at)));
            }
            let armed_at = armed.then(|| timer.deadline().into_std());
            if deadline != armed_at {
                if let Some(at) = deadline {
                    timer.as_mut().reset(at.into());
                }
                armed = deadline.is_some();
            }
            let wake = tokio::select! {
                _ = poll_fn(|cx| session.notify.poll(cx)) => Wake::Notified,
                r = async { upgrade_rx.as_mut().expect("guarded").await }, if upgrade_rx.is_some() => {
                    Wake::Upgraded(r.ok().map(Box::new))
                }
                e = poll_fn(|cx| ws.as_mut().map_or(Poll::Pending, |c| c.poll_event(cx))), if ws.is_some() => Wake::Ws(e),
                _ = &mut timer, if armed => Wake::Timer,
            };
            match wake {
                Wake::Notified | Wake::Ws(WsEvent::Written) => {}
                Wake::Upgraded(conn) => {
                    upgrade_rx = None;
                    ws = conn.map(|c| *c);
                }
                Wake::Ws(WsEvent::WriteFailed(e)) => {
                    tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "websocket write failed");
                    session.close(CloseReason::TransportError, false);
                }
                Wake::Ws(WsEvent::Frame(Some(Ok(msg)))) => {
                    if let WsMessage::Close(_) = msg {
                        peer_closed = true;
                        session.close(CloseReason::TransportClose, false);
                        continue;
                    }
                    match decode_for(session.version, msg) {
                        Some(Ok(packet)) => {
                            session.on_packet(packet, false, false, None);
                        }
                        Some(Err(e)) => {
                            tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "malformed frame");
                            session.close(CloseReason::ParseError, false);
                        }
                        None => {}
                    }
                }
                Wake::Ws(WsEvent::Frame(Some(Err(e)))) => {
                    tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "websocket read failed");
                    if let (Some(conn), Some(inflate)) = (ws.as_mut(), InflateError::from_ws(&e)) {
                        let code = match inflate {
                            InflateError::TooLarge => CloseCode::Size,
                            InflateError::Corrupt => CloseCode::Invalid,
                        };
                        if conn.writer.lock().busy() {
                            conn.writer.release();
                        } else {
                            Box::pin(conn.close(Some(code.into()), Duration::from_secs(1))).await;
                        }
                    }
                    session.close(read_error_reason(&e), false);
                }
                Wake::Ws(WsEvent::Frame(None)) => {
                    peer_closed = true;
                    session.close(CloseReason::TransportClose, false);
                }
                Wake::Timer => {
                    // Fired: re-arm on the next pass even if the deadline comes out the same.
                    armed = false;
                    let now = Instant::now();
                    if closed {
                        if close_deadline.is_some_and(|d| now >= d) {
                            break;
                        }
                        continue;
                    }
                    // Read again rather than kept across the wait: every idle connection's
                    // driver future would hold it.
                    let blocked_since = ws.as_ref().and_then(|c| c.writer.lock().blocked_since());
                    if blocked_since.is_some_and(|s| now >= s + write_window(config)) {
                        tracing::debug!(target: "engineio::session", session = %session.sid, "websocket write made no progress");
                        session.close(CloseReason::TransportError, false);
                        continue;
                    }
                    session.on_timers();
                }
            }
        }
        if let Some(conn) = ws.as_ref() {
            conn.writer.release();
        }
        session.finish();
    }
}

/// A write that makes no progress for a whole heartbeat window is a dead peer.
fn write_window(config: &crate::EngineConfig) -> Duration {
    config.ping_interval + config.ping_timeout
}

#[cfg(test)]
mod tests {
    /// Every idle connection holds one driver future in its task (tokio rounds a task to 128
    /// bytes; at 648 bytes the task is 768): a change that makes it grow should be a choice.
    #[test]
    fn the_driver_future_stays_small() {
        fn size_of_future<A, B, C, F>(_: impl Fn(A, B, C) -> F) -> usize {
            std::mem::size_of::<F>()
        }
        let size = size_of_future(super::run);
        assert!(size <= 656, "the driver's future is {size} bytes");
    }
}
