//! Hooks on requests, as Node's `allowRequest` option and the `initial_headers`, `headers` and
//! `connection_error` events of `io.engine`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::request::Parts;
use http::HeaderMap;

/// A boxed, sendable future, as the async hooks return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A refusal by [`allow_request`](crate::EngineConfigBuilder::allow_request): the client gets
/// code 4 with this message (`Forbidden` when none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forbidden {
    message: Option<String>,
}

impl Forbidden {
    /// A refusal with the message `Forbidden`.
    pub fn new() -> Self {
        Forbidden::default()
    }

    /// A refusal with this message (sent to the client: keep secrets out of it).
    pub fn with_message(message: impl Into<String>) -> Self {
        Forbidden {
            message: Some(message.into()),
        }
    }

    /// The custom message, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    pub(crate) fn into_message(self) -> Option<String> {
        self.message
    }
}

type AllowFn = dyn Fn(&Parts) -> BoxFuture<Result<(), Forbidden>> + Send + Sync;

/// Node's `allowRequest`: decides on every handshake (see
/// [`EngineConfigBuilder::allow_request`](crate::EngineConfigBuilder::allow_request)).
#[derive(Clone)]
pub struct AllowRequest(pub(crate) Arc<AllowFn>);

impl fmt::Debug for AllowRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AllowRequest(..)")
    }
}

impl AllowRequest {
    /// Wraps a function that looks at the request head and returns a future of its decision.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(&Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Forbidden>> + Send + 'static,
    {
        AllowRequest(Arc::new(move |parts| Box::pin(f(parts))))
    }
}

type HeadersFn = dyn Fn(&mut HeaderMap, &Parts) + Send + Sync;

/// A hook that edits response headers: Node's `initial_headers` and `headers` events.
#[derive(Clone)]
pub struct HeadersHook(pub(crate) Arc<HeadersFn>);

impl fmt::Debug for HeadersHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeadersHook(..)")
    }
}

impl HeadersHook {
    /// Wraps a function given the response headers to edit and the request head.
    pub fn new<F>(f: F) -> Self
    where
        F: Fn(&mut HeaderMap, &Parts) + Send + Sync + 'static,
    {
        HeadersHook(Arc::new(f))
    }
}

type ConnectionErrorFn = dyn Fn(&ConnectionError<'_>) + Send + Sync;

/// A listener for refused requests: Node's `connection_error` event.
#[derive(Clone)]
pub struct ConnectionErrorHook(pub(crate) Arc<ConnectionErrorFn>);

impl fmt::Debug for ConnectionErrorHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectionErrorHook(..)")
    }
}

impl ConnectionErrorHook {
    /// Wraps a function called with every refusal.
    pub fn new<F>(f: F) -> Self
    where
        F: Fn(&ConnectionError<'_>) + Send + Sync + 'static,
    {
        ConnectionErrorHook(Arc::new(f))
    }
}

/// A request refused by the checks, `origins`, `allow_request` or the protocol check: Node's
/// `connection_error` event, `{req, code, message, context}`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectionError<'a> {
    /// The refused request's head.
    pub request: &'a Parts,
    /// The Engine.IO error code (0 to 5).
    pub code: u8,
    /// The message sent to the client.
    pub message: &'a str,
    /// Which check refused it, with the values Node puts in `context`.
    pub context: ErrorContext,
}

/// Which check refused a request (the `context` of Node's `connection_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorContext {
    /// Code 0: the `transport` query parameter (missing, unknown or not enabled).
    UnknownTransport {
        /// The value given, if any.
        transport: Option<String>,
    },
    /// Code 3: an `Origin` header with control characters (Node's `INVALID_ORIGIN`).
    InvalidOrigin,
    /// Code 1: no open session has this id.
    UnknownSid {
        /// The `sid` given.
        sid: String,
    },
    /// Code 3: a request of an open session on a transport other than the session's.
    TransportMismatch {
        /// The transport asked for.
        transport: &'static str,
        /// The session's transport.
        previous_transport: &'static str,
    },
    /// Code 3: a request of an open session with an `EIO` other than the session's.
    ProtocolMismatch {
        /// The `EIO` given, if any.
        protocol: Option<String>,
        /// The session's protocol.
        previous_protocol: u8,
    },
    /// Code 3: an upgrade request while upgrades are disabled (`allowUpgrades` false).
    UpgradesDisabled,
    /// Code 2: a handshake with a method other than GET (an `OPTIONS` without `cors` too).
    BadHandshakeMethod {
        /// The method.
        method: String,
    },
    /// Code 3: `transport=websocket` on a request that is not a WebSocket upgrade, or the other
    /// way round, or an invalid WebSocket handshake (Node's `TRANSPORT_HANDSHAKE_ERROR`).
    TransportHandshakeError,
    /// Code 3: a JSONP polling request (`j=`), which this server does not serve.
    Jsonp,
    /// Code 3: a method other than GET and POST on an open polling session (Node answers an
    /// empty 500).
    BadMethod {
        /// The method.
        method: String,
    },
    /// Code 4 with `503`: a handshake past `max_sessions`.
    TooManySessions {
        /// The limit.
        limit: usize,
    },
    /// Code 4: refused by `origins`.
    OriginRefused {
        /// The `Origin` (or `Referer`) header, if any.
        origin: Option<String>,
    },
    /// Code 4: refused by `allow_request`.
    Forbidden {
        /// The hook's message, if any.
        message: Option<String>,
    },
    /// Code 5: `EIO` missing, not a protocol we speak, or `3` without `allow_eio3`.
    UnsupportedProtocolVersion {
        /// The `EIO` given, if any.
        protocol: Option<String>,
    },
}
