//! HTTP long-polling: GET waits for packets, POST delivers them.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use engineio_protocol::{
    decode_payload, encode_payload, CloseReason, Packet, PayloadKind, ProtocolVersion,
};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::oneshot;

use crate::error::RequestError;
use crate::session::{Polled, SessionInner, State, Transport};

/// A `200` whose body is the payload of `packets`.
pub(crate) fn payload_response(
    session: &SessionInner,
    packets: &[Packet],
    b64: bool,
) -> Response<Bytes> {
    tracing::trace!(target: "engineio::packet", session = %session.sid, ?packets, "sent (polling)");
    let mut buf = BytesMut::new();
    let kind = encode_payload(packets, session.version, !b64, &mut buf);
    let mut res = Response::new(buf.freeze());
    let content_type = match kind {
        PayloadKind::Binary => "application/octet-stream",
        PayloadKind::Text => "text/plain; charset=UTF-8",
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = status;
    res
}

enum GetStart {
    Ready(Polled, bool),
    Wait(oneshot::Receiver<Polled>, bool),
    Refuse(Response<Bytes>),
    Overlap,
}

/// A GET: answered at once when packets are queued, else when the next ones are.
pub(crate) async fn get(session: Arc<SessionInner>) -> Response<Bytes> {
    // A deadline the driver has not handled yet (it may wake late) still applies.
    session.on_timers();
    let start = {
        let mut st = session.lock();
        start_get(&session, &mut st)
    };
    let (polled, b64) = match start {
        GetStart::Refuse(res) => return res,
        GetStart::Overlap => {
            session.close(CloseReason::TransportError, false);
            return empty(StatusCode::BAD_REQUEST);
        }
        GetStart::Ready(polled, b64) => (polled, b64),
        GetStart::Wait(mut rx, b64) => {
            // A poll is bounded by the heartbeat: protocol 4 pings release it within
            // pingInterval; protocol 3 has no server pings, and a silent client's session dies
            // (answering this GET with the close packet) after pingInterval + pingTimeout; the
            // extra pingTimeout keeps this bound from racing that close.
            let c = &session.ctx.config;
            let wait = c.ping_interval + c.ping_timeout * 2;
            let mut waiting = WaitingGet(Some(&session));
            let polled = match tokio::time::timeout(wait, &mut rx).await {
                Ok(Ok(polled)) => polled,
                Ok(Err(_)) => vec![Packet::Close].into(),
                Err(_) => {
                    if let Transport::Polling { get, .. } = &mut session.lock().transport {
                        get.take();
                    }
                    rx.try_recv().unwrap_or_else(|_| vec![Packet::Noop].into())
                }
            };
            waiting.0 = None;
            (polled, b64)
        }
    };
    let mut res = payload_response(&session, &polled.packets, b64);
    if !polled.compress {
        res.extensions_mut().insert(Uncompressed);
    }
    res
}

/// A GET waiting for packets. Dropped while still waiting, its request is gone (the client's
/// connection closed: a killed tab or process, a network cut), and so is the session, as in
/// Node ("poll connection closed prematurely", a `transport error`), instead of lingering in
/// its rooms until the heartbeat gives up on it.
struct WaitingGet<'a>(Option<&'a Arc<SessionInner>>);

impl Drop for WaitingGet<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.0.take() {
            tracing::debug!(target: "engineio::session", session = %session.sid, "poll connection closed prematurely");
            session.close(CloseReason::TransportError, false);
        }
    }
}

/// On a polling answer whose packets were all sent `compress(false)`: the engine skips HTTP
/// compression for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Uncompressed;

fn start_get(session: &SessionInner, st: &mut State) -> GetStart {
    if st.finished {
        return GetStart::Refuse(RequestError::UnknownSid.polling_response());
    }
    let b64 = st.polling_b64;
    let Transport::Polling { get, .. } = &mut st.transport else {
        return GetStart::Refuse(RequestError::BadRequest.polling_response());
    };
    if let Some(previous) = get.take() {
        if !previous.is_closed() {
            // Two GETs at once: Node answers the first with a close packet and drops the session.
            let _ = previous.send(vec![Packet::Close].into());
            return GetStart::Overlap;
        }
    }
    if !st.queue.is_empty() {
        let polled = SessionInner::drain_polled(st);
        if st.closed.is_some() {
            // The close packet of a graceful close went out with this poll.
            st.finished = true;
            session.ctx.remove(&session.sid);
        }
        return GetStart::Ready(polled, b64);
    }
    if st.closed.is_some() {
        return GetStart::Refuse(RequestError::UnknownSid.polling_response());
    }
    if st.upgrading && st.probed {
        // Node releases polls with a noop while an upgrade is being completed, so the client
        // can pause polling and send `5`.
        return GetStart::Ready(vec![Packet::Noop].into(), b64);
    }
    let (tx, rx) = oneshot::channel();
    if let Transport::Polling { get, .. } = &mut st.transport {
        *get = Some(tx);
    }
    GetStart::Wait(rx, b64)
}

/// Clears `post_active` however the POST ends (the client may drop the request mid-body).
struct PostGuard<'a>(&'a SessionInner);

impl Drop for PostGuard<'_> {
    fn drop(&mut self) {
        if let Transport::Polling { post_active, .. } = &mut self.0.lock().transport {
            *post_active = false;
        }
    }
}

/// A POST: its payload's packets are handled in order, then `ok`.
pub(crate) async fn post<B>(
    session: Arc<SessionInner>,
    headers: &HeaderMap,
    body: B,
) -> Response<Bytes>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    {
        let mut st = session.lock();
        if st.finished || st.closed.is_some() {
            return RequestError::UnknownSid.polling_response();
        }
        match &mut st.transport {
            Transport::Websocket => return RequestError::BadRequest.polling_response(),
            Transport::Polling { post_active, .. } => {
                if *post_active {
                    drop(st);
                    session.close(CloseReason::TransportError, false);
                    return empty(StatusCode::BAD_REQUEST);
                }
                *post_active = true;
            }
        }
    }
    let _guard = PostGuard(&session);

    let binary = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .eq_ignore_ascii_case(b"application/octet-stream")
    });
    if binary && session.version == ProtocolVersion::V4 {
        session.close(CloseReason::TransportError, false);
        return empty(StatusCode::BAD_REQUEST);
    }
    let limit = session.ctx.config.max_http_buffer_size;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    // Bytes are counted as they arrive, so at most `limit` is ever read.
    let collect = http_body_util::Limited::new(body, limit).collect();
    let collected = match tokio::time::timeout(session.ctx.config.body_timeout, collect).await {
        Ok(collected) => collected,
        Err(_) => {
            tracing::debug!(target: "engineio::request", session = %session.sid, "POST body timed out");
            return crate::error::body_timeout_response();
        }
    };
    let body = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.is::<http_body_util::LengthLimitError>() {
                return too_large();
            }
            tracing::debug!(target: "engineio::request", session = %session.sid, error = %e, "POST body failed");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    let kind = if binary {
        PayloadKind::Binary
    } else {
        PayloadKind::Text
    };
    let max_packets = session.ctx.config.max_payload_packets;
    // The whole payload in one turn: a WebSocket upgraded meanwhile waits for it.
    let turn = session.turn();
    for packet in decode_payload(body, session.version, kind, max_packets) {
        match packet {
            Ok(packet) => {
                session.on_packet(packet, false, true, Some(&turn));
            }
            Err(e) => {
                tracing::debug!(target: "engineio::session", session = %session.sid, error = %e, "malformed payload");
                session.close(CloseReason::ParseError, false);
                break;
            }
        }
    }
    drop(turn);
    let mut res = Response::new(Bytes::from_static(b"ok"));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    res
}

/// 413 for a body over `maxHttpBufferSize`; the connection is closed since the rest of the body
/// is not read. The session survives.
fn too_large() -> Response<Bytes> {
    let mut res = empty(StatusCode::PAYLOAD_TOO_LARGE);
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
