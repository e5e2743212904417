//! The one task per session: heartbeat timers always, and the WebSocket once the session is on it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use engineio_protocol::{Action, CloseReason, Packet, Str};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::socket::{SessionInner, Transport};
use crate::ws::{decode_for, encode_for, read_error_reason, WsStream};

/// Starts the driver of a new polling session.
pub(crate) fn spawn(session: Arc<SessionInner>, ws: Option<WsStream>) {
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
    Upgraded(Option<Box<WsStream>>),
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    Timer,
}

pub(crate) async fn run(
    session: Arc<SessionInner>,
    mut ws: Option<WsStream>,
    mut upgrade_rx: Option<oneshot::Receiver<WsStream>>,
) {
    let config = &session.shared.config;
    // How long a session closed gracefully waits for a GET to take its close packet.
    let mut close_deadline: Option<Instant> = None;
    loop {
        let (outgoing, b64, mut deadline, closed, finished) = {
            let mut st = session.lock();
            let outgoing = if ws.is_some() && matches!(st.transport, Transport::Websocket) {
                SessionInner::drain_queue(&mut st)
            } else {
                Vec::new()
            };
            st.writing = !outgoing.is_empty();
            (
                outgoing,
                st.ws_b64,
                st.proto.poll_timeout(),
                st.closed.is_some(),
                st.finished,
            )
        };
        if let Some(socket) = ws.as_mut() {
            if !outgoing.is_empty() {
                tracing::trace!(target: "engineio::packet", sid = %session.sid, packets = ?outgoing, "sent (websocket)");
                let written = write_all(&session, socket, &outgoing, b64).await;
                session.lock().writing = false;
                if let Err(reason) = written {
                    session.close(reason, false);
                    break;
                }
            }
            if closed {
                let _ = socket.close(None).await;
                break;
            }
        }
        if finished {
            break;
        }
        if closed {
            // Graceful close on polling with no GET waiting.
            let at = *close_deadline.get_or_insert_with(|| Instant::now() + config.ping_timeout);
            deadline = Some(at);
        }
        let wake = tokio::select! {
            _ = session.notify.notified() => Wake::Notified,
            r = async { upgrade_rx.as_mut().expect("guarded").await }, if upgrade_rx.is_some() => {
                Wake::Upgraded(r.ok().map(Box::new))
            }
            m = async { ws.as_mut().map(|w| w.next()).expect("guarded").await }, if ws.is_some() => Wake::Frame(m),
            _ = sleep_until(deadline), if deadline.is_some() => Wake::Timer,
        };
        match wake {
            Wake::Notified => {}
            Wake::Upgraded(socket) => {
                upgrade_rx = None;
                if let Some(socket) = socket {
                    ws = Some(*socket);
                }
            }
            Wake::Frame(Some(Ok(msg))) => {
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
            Wake::Frame(Some(Err(e))) => {
                tracing::debug!(target: "engineio::session", sid = %session.sid, error = %e, "websocket read failed");
                session.close(read_error_reason(&e), false);
            }
            Wake::Frame(None) => session.close(CloseReason::TransportClose, false),
            Wake::Timer => {
                if closed {
                    if close_deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    continue;
                }
                on_timers(&session);
            }
        }
    }
    session.finish();
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

fn on_timers(session: &Arc<SessionInner>) {
    loop {
        let action = session.lock().proto.handle_timeout(Instant::now());
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

/// Writes packets as one batch: each is fed, then one flush. A peer that does not read within
/// the heartbeat's window is dropped rather than stalling this session's timers forever.
async fn write_all(
    session: &SessionInner,
    socket: &mut WsStream,
    packets: &[Packet],
    b64: bool,
) -> Result<(), CloseReason> {
    let c = &session.shared.config;
    let window: Duration = c.ping_interval + c.ping_timeout;
    let write = async {
        for p in packets {
            socket.feed(encode_for(session, p, b64)).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(window, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(read_error_reason(&e)),
        Err(_) => Err(CloseReason::TransportError),
    }
}
