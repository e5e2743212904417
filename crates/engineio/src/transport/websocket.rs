//! WebSocket: the handshake (decided before any `101`), a session opened on it, and the upgrade
//! of a polling session (the probe).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use engineio_protocol::{Packet, Reply, Str};
use futures_util::StreamExt;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite;

use crate::conn::{decode_for, ConnLimits, ConnSlot, Framing, WsConn};
use crate::error::RequestError;
use crate::hooks::ErrorContext;
use crate::session::{SessionInner, Transport};

type Refusal = (RequestError, ErrorContext);

fn bad_handshake() -> Refusal {
    (
        RequestError::BadRequest,
        ErrorContext::TransportHandshakeError,
    )
}

/// `Upgrade: websocket` (any case) on the request.
pub(crate) fn is_upgrade_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// The `101` for a valid RFC 6455 handshake (with permessage-deflate when enabled and offered,
/// then `Some(threshold)`), or `None`.
fn accept_response(
    session: &SessionInner,
    parts: &Parts,
) -> Option<(Response<Bytes>, Option<usize>)> {
    let h = &parts.headers;
    let version_ok = h
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let connection_ok = h.get_all(header::CONNECTION).iter().any(|v| {
        v.to_str()
            .map(|s| {
                s.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
            .unwrap_or(false)
    });
    let key = h.get(header::SEC_WEBSOCKET_KEY)?;
    // RFC 6455 §4.2.1: the key is 16 bytes, base64 (24 characters).
    let key_ok = key.len() == 24
        && key
            .as_bytes()
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if !version_ok || !connection_ok || !key_ok || parts.method != http::Method::GET {
        return None;
    }
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let rh = res.headers_mut();
    rh.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    rh.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    rh.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).ok()?,
    );
    let deflate = session.ctx.config.per_message_deflate.and_then(|opts| {
        let answer = crate::deflate::negotiate(h)?;
        rh.insert(header::SEC_WEBSOCKET_EXTENSIONS, answer);
        Some(opts.threshold)
    });
    Some((res, deflate))
}

/// Completes the upgrade to a WebSocket for `session`; `None` (logged) when it failed.
async fn accept(
    session: &SessionInner,
    on_upgrade: OnUpgrade,
    deflate_threshold: Option<usize>,
    slot: Option<ConnSlot>,
) -> Option<WsConn> {
    let limits = ConnLimits {
        max_message: session.ctx.config.max_http_buffer_size,
        max_buffered: session.ctx.config.max_buffer_size,
    };
    match WsConn::accept(on_upgrade, deflate_threshold, slot, limits).await {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "websocket upgrade failed");
            None
        }
    }
}

/// A WebSocket-only handshake: the session starts on the WebSocket.
pub(crate) fn handshake(
    session: Arc<SessionInner>,
    parts: &mut Parts,
    first: Vec<Packet>,
) -> Result<Response<Bytes>, Refusal> {
    let (res, deflate) = accept_response(&session, parts).ok_or_else(bad_handshake)?;
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or_else(bad_handshake)?;
    let slot = parts.extensions.remove::<ConnSlot>();
    tokio::spawn(async move {
        let Some(ws) = Box::pin(accept(&session, on_upgrade, deflate, slot)).await else {
            return;
        };
        session.ctx.table().insert(session.sid, session.clone());
        {
            let mut st = session.lock();
            for p in first {
                st.queue.push_back(p.into());
            }
        }
        session.connected();
        // A task of its own: this one would keep room for its own copy of the WebSocket and
        // the accept beside the driver, for the connection's life.
        tokio::spawn(crate::driver::run(session, Some(ws), None));
    });
    Ok(res)
}

/// A WebSocket for an existing polling session: the upgrade probe.
pub(crate) fn upgrade(
    session: Arc<SessionInner>,
    parts: &mut Parts,
    b64: bool,
) -> Result<Response<Bytes>, Refusal> {
    let (res, deflate) = accept_response(&session, parts).ok_or_else(bad_handshake)?;
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or_else(bad_handshake)?;
    let slot = parts.extensions.remove::<ConnSlot>();
    let probe = {
        let mut st = session.lock();
        let available = !st.upgrading
            && st.closed.is_none()
            && matches!(st.transport, Transport::Polling { .. });
        if available {
            st.upgrading = true;
            st.ws_b64 = b64;
            let (tx, rx) = oneshot::channel();
            st.probe_abort = Some(tx);
            Some(rx)
        } else {
            None
        }
    };
    tokio::spawn(async move {
        let Some(mut ws) = accept(&session, on_upgrade, deflate, slot).await else {
            if probe.is_some() {
                abort_probe(&session);
            }
            return;
        };
        match probe {
            Some(abort) => run_probe(session, ws, abort).await,
            None => {
                // A second WebSocket for a session already upgraded (or probing): Node accepts
                // and closes it at once; a 400 here would crash clients with no error handler.
                ws.close(None, Duration::from_secs(1)).await;
            }
        }
    });
    Ok(res)
}

fn abort_probe(session: &SessionInner) {
    let mut st = session.lock();
    if !matches!(st.transport, Transport::Websocket) {
        st.upgrading = false;
        st.probed = false;
    }
    st.probe_abort = None;
}

async fn run_probe(session: Arc<SessionInner>, mut conn: WsConn, mut abort: oneshot::Receiver<()>) {
    session.lock().proto.upgrade_started(Instant::now());
    session.notify.notify_one();
    tracing::debug!(target: "engineio::session", session = %session.sid, "upgrade probe started");
    loop {
        let msg = tokio::select! {
            _ = &mut abort => {
                tracing::debug!(target: "engineio::session", session = %session.sid, "upgrade aborted");
                conn.close(None, Duration::from_secs(1)).await;
                return;
            }
            msg = conn.stream.next() => msg,
        };
        // tungstenite's pong to a WebSocket ping, if any.
        let _ = conn.writer.lock().flush_now();
        let packet = match msg.map(|m| m.map(|m| decode_for(session.version, m))) {
            Some(Ok(Some(Ok(packet)))) => packet,
            Some(Ok(None)) => continue,
            _ => {
                abort_probe(&session);
                conn.close(None, Duration::from_secs(1)).await;
                return;
            }
        };
        match session.on_packet(packet, true, true, None) {
            Some(Reply::SendProbePong) => {
                let framing = Framing {
                    version: session.version,
                    b64: false,
                    deflate_threshold: None,
                };
                conn.writer
                    .lock()
                    .push_packet(&Packet::Pong(Str::from("probe")), framing);
                let deadline = Instant::now() + session.ctx.config.upgrade_timeout;
                if !conn.writer.drain_until(deadline).await {
                    abort_probe(&session);
                    return;
                }
                let mut st = session.lock();
                st.probed = true;
                SessionInner::release_get_with_noop(&mut st);
            }
            Some(Reply::UpgradeComplete) => {
                let closed = session.lock().closed.is_some();
                if closed {
                    // Closed meanwhile: the upgrade does nothing. (A close from here on finds
                    // no `upgrade_tx`, and the connection is dropped below.)
                    conn.close(None, Duration::from_secs(1)).await;
                    return;
                }
                let tx = {
                    let mut st = session.lock();
                    SessionInner::release_get_with_noop(&mut st);
                    st.transport = Transport::Websocket;
                    st.probe_abort = None;
                    st.upgrade_tx.take()
                };
                tracing::debug!(target: "engineio::session", session = %session.sid, "upgraded to websocket");
                let callbacks = std::mem::take(
                    &mut *session.on_upgrade.lock().unwrap_or_else(|e| e.into_inner()),
                );
                let socket = session.socket();
                session
                    .ctx
                    .observers
                    .each("on_upgrade", |o| o.on_upgrade(&socket));
                for f in callbacks {
                    f(&socket);
                }
                if let Some(tx) = tx {
                    let _ = tx.send(conn);
                }
                session.notify.notify_one();
                return;
            }
            Some(Reply::UpgradeAborted) => {
                abort_probe(&session);
                conn.close(None, Duration::from_secs(1)).await;
                return;
            }
            _ => {
                if !session.lock().upgrading {
                    conn.close(None, Duration::from_secs(1)).await;
                    return;
                }
            }
        }
    }
}
