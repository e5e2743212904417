//! Request refusals and their one mapping to HTTP.

use bytes::Bytes;
use http::{header, Response, StatusCode};

/// Why a request to the Engine.IO path was refused, with the codes JavaScript clients know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Code 0 `Transport unknown`: the transport is missing, unknown or not enabled.
    UnknownTransport,
    /// Code 1 `Session ID unknown`: the `sid` names no open session.
    UnknownSid,
    /// Code 2 `Bad handshake method`: a handshake that is not a GET (an `OPTIONS` without CORS too).
    BadHandshakeMethod,
    /// Code 3 `Bad request`: transport or protocol differing from the session's, a WebSocket
    /// transport without an Upgrade, JSONP, a polling request after the upgrade...
    BadRequest,
    /// Code 4 `Forbidden`: refused by `allowRequest` or `origins`; the message may be custom.
    Forbidden(Option<String>),
    /// Code 5 `Unsupported protocol version`: `EIO` missing, not `4`, or `3` when not allowed.
    UnsupportedProtocolVersion,
    /// Ours, code 4 `Too many sessions` with HTTP `503`: a handshake past
    /// [`EngineConfig::max_sessions`](crate::EngineConfig::max_sessions).
    TooManySessions,
}

impl RequestError {
    /// The numeric code sent to the client.
    pub fn code(&self) -> u8 {
        match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest => 3,
            RequestError::Forbidden(_) | RequestError::TooManySessions => 4,
            RequestError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        match self {
            RequestError::UnknownTransport => "Transport unknown",
            RequestError::UnknownSid => "Session ID unknown",
            RequestError::BadHandshakeMethod => "Bad handshake method",
            RequestError::BadRequest => "Bad request",
            RequestError::Forbidden(Some(m)) => m,
            RequestError::Forbidden(None) => "Forbidden",
            RequestError::UnsupportedProtocolVersion => "Unsupported protocol version",
            RequestError::TooManySessions => "Too many sessions",
        }
    }

    /// The HTTP answer for a polling request: 400 (403 for code 4) with a JSON body.
    pub(crate) fn polling_response(&self) -> Response<Bytes> {
        let status = match self {
            RequestError::Forbidden(_) => StatusCode::FORBIDDEN,
            RequestError::TooManySessions => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = serde_json::json!({ "code": self.code(), "message": self.message() });
        let body = Bytes::from(body.to_string());
        let mut res = Response::new(body);
        *res.status_mut() = status;
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        res
    }

    /// The HTTP answer for a refused WebSocket handshake: 400 (503 past `max_sessions`), the
    /// message as text, before any `101`.
    pub(crate) fn websocket_response(&self) -> Response<Bytes> {
        let mut res = Response::new(Bytes::from(self.message().to_owned()));
        *res.status_mut() = match self {
            RequestError::TooManySessions => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/html"),
        );
        res
    }
}

/// `408` for a POST body that did not arrive within `body_timeout`; the connection is closed.
pub(crate) fn body_timeout_response() -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = StatusCode::REQUEST_TIMEOUT;
    res.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    res
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "engine.io request refused: code {} ({})",
            self.code(),
            self.message()
        )
    }
}

impl std::error::Error for RequestError {}

/// Why a message could not be queued on a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closed or closing; the message was dropped.
    #[error("engine.io session is closed")]
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_json_shape() {
        let res = RequestError::UnsupportedProtocolVersion.polling_response();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.body().as_ref(),
            br#"{"code":5,"message":"Unsupported protocol version"}"#
        );
        let res = RequestError::Forbidden(None).polling_response();
        assert_eq!(res.status(), 403);
        let res = RequestError::Forbidden(Some("nope".into())).websocket_response();
        assert_eq!(res.status(), 400);
        assert_eq!(res.body().as_ref(), b"nope");
    }
}
