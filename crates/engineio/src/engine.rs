//! The engine: the session table and the dispatch of requests on the Engine.IO path.

use std::sync::Arc;

use bytes::Bytes;
use engineio_protocol::{OpenPacket, Packet, ProtocolVersion, Sid};
use http::request::Parts;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};

use crate::config::{EngineConfig, TransportKind};
use crate::error::RequestError;
use crate::hooks::{ConnectionError, ErrorContext, Forbidden};
use crate::request::{EngineQuery, StoredRequest};
use crate::session::{Handler, SessionContext, SessionInner, Socket, Transport};
use crate::transport::{polling, websocket};

/// `upgrades` of the open packet for a session on `transport`.
fn upgrades(c: &EngineConfig, transport: TransportKind) -> Vec<String> {
    if transport == TransportKind::Polling
        && c.allow_upgrades
        && c.transport_enabled(TransportKind::Websocket)
    {
        vec!["websocket".to_owned()]
    } else {
        Vec::new()
    }
}

/// An Engine.IO server: a cheap-clone handle on its sessions and options.
///
/// Serve it with [`Engine::layer`] / [`Engine::service`] in a hyper or axum app, or with
/// [`serve`](crate::serve) on its own.
///
/// ```no_run
/// use engineio::{Engine, EngineConfig, Handler, Message, Socket, CloseReason};
///
/// struct Echo;
/// impl Handler for Echo {
///     fn on_connect(&self, _: Socket) {}
///     fn on_message(&self, s: &Socket, m: Message) { let _ = s.send(m); }
///     fn on_close(&self, _: &Socket, _: CloseReason) {}
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let engine = Engine::new(EngineConfig::default(), Echo);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let server = engineio::serve(listener, engine.service(engineio::NotFound));
/// server.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    ctx: Arc<SessionContext>,
    /// `path + "/"`: what a request's path starts with when it is for this engine.
    prefix: Arc<str>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.ctx.config.path)
            .field("clients", &self.clients_count())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with these options, telling `handler` about its sessions.
    pub fn new(config: EngineConfig, handler: impl Handler) -> Self {
        Self::with_handler(config, Arc::new(handler))
    }

    /// As [`Engine::new`], with a shared handler.
    pub fn with_handler(config: EngineConfig, handler: Arc<dyn Handler>) -> Self {
        let prefix = config.match_prefix().into();
        Engine {
            ctx: Arc::new(SessionContext::new(config, handler)),
            prefix,
        }
    }

    /// The options.
    pub fn config(&self) -> &EngineConfig {
        &self.ctx.config
    }

    /// How many sessions are open (Node's `clientsCount`).
    pub fn clients_count(&self) -> usize {
        self.ctx.table().len()
    }

    /// Adds an observer of every session from now on: opens, upgrades, closes and message
    /// counts (Node's `io.engine.on("connection")` with the raw socket's events), for
    /// metrics and the Admin UI. See [`Observer`](crate::Observer).
    pub fn observe(&self, observer: Arc<dyn crate::Observer>) {
        self.ctx.observers.add(observer);
    }

    /// A session by id.
    pub fn socket(&self, sid: &Sid) -> Option<Socket> {
        self.ctx.get(sid).map(Socket)
    }

    /// Every open session.
    pub fn sockets(&self) -> Vec<Socket> {
        self.ctx.table().values().cloned().map(Socket).collect()
    }

    /// Whether a request is for this engine (its path is under `path + "/"`).
    pub fn matches<B>(&self, req: &Request<B>) -> bool {
        req.uri().path().starts_with(&*self.prefix)
    }

    /// Closes every session gracefully: each gets what is queued, then its close packet; waiting
    /// polls are answered. The handler sees `forced close`.
    pub fn close(&self) {
        for socket in self.sockets() {
            socket
                .0
                .close_inner(engineio_protocol::CloseReason::ForcedClose, true, true);
        }
    }

    /// Handles one request on the Engine.IO path.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Bytes>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (mut parts, body) = req.into_parts();
        // Node runs the `cors` middleware before any check: a preflight ends there, and every
        // other answer (errors included) carries its headers.
        let cors = match &self.ctx.config.cors {
            Some(cors) => {
                let preflight = parts.method == Method::OPTIONS;
                let headers = cors.headers(&parts.headers, preflight).await;
                if preflight {
                    let mut res = Response::new(Bytes::new());
                    *res.status_mut() = StatusCode::NO_CONTENT;
                    res.headers_mut()
                        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
                    crate::cors::merge(res.headers_mut(), &headers);
                    return res;
                }
                Some(headers)
            }
            None => None,
        };
        let mut res = self.dispatch(&mut parts, body).await;
        if let Some(cors) = &cors {
            crate::cors::merge(res.headers_mut(), cors);
        }
        res
    }

    async fn dispatch<B>(&self, parts: &mut Parts, body: B) -> Response<Bytes>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let config = &self.ctx.config;
        let query = parts.uri.query().unwrap_or("").to_owned();
        let q = EngineQuery::parse(&query);
        let is_ws_upgrade = websocket::is_upgrade_request(&parts.headers);
        let checked = match self.check(parts, &q, is_ws_upgrade) {
            Ok(c) => c,
            Err(refusal) => return self.refuse(parts, refusal, is_ws_upgrade),
        };
        match checked {
            Checked::Handshake(transport) => {
                if let Err(refusal) = self.gate(parts).await {
                    return self.refuse(parts, refusal, is_ws_upgrade);
                }
                let version = match q.eio.and_then(ProtocolVersion::from_query) {
                    Some(ProtocolVersion::V4) => ProtocolVersion::V4,
                    Some(ProtocolVersion::V3) if config.allow_eio3 => ProtocolVersion::V3,
                    _ => {
                        let context = ErrorContext::UnsupportedProtocolVersion {
                            protocol: q.eio.map(str::to_owned),
                        };
                        let refusal = (RequestError::UnsupportedProtocolVersion, context);
                        return self.refuse(parts, refusal, is_ws_upgrade);
                    }
                };
                let (mut res, sid) = match self.handshake(parts, version, transport, q.b64) {
                    Ok(answer) => answer,
                    Err(refusal) => return self.refuse(parts, refusal, is_ws_upgrade),
                };
                if is_success(&res) {
                    if transport == TransportKind::Polling {
                        if let Some(cookie) = &config.cookie {
                            if let Ok(v) = HeaderValue::from_str(&cookie.serialize(sid.as_str())) {
                                res.headers_mut().append(header::SET_COOKIE, v);
                            }
                        }
                        res = self.compress(parts, res).await;
                    }
                    if let Some(hook) = &config.initial_headers {
                        (hook.0)(res.headers_mut(), parts);
                    }
                    if let Some(hook) = &config.headers {
                        (hook.0)(res.headers_mut(), parts);
                    }
                }
                res
            }
            Checked::Existing(session) => {
                let res = if is_ws_upgrade {
                    match websocket::upgrade(session, parts, q.b64) {
                        Ok(res) => res,
                        Err(refusal) => return self.refuse(parts, refusal, is_ws_upgrade),
                    }
                } else if parts.method == Method::GET {
                    let res = polling::get(session).await;
                    self.compress(parts, res).await
                } else if parts.method == Method::POST {
                    polling::post(session, &parts.headers, body).await
                } else {
                    let context = ErrorContext::BadMethod {
                        method: parts.method.as_str().to_owned(),
                    };
                    return self.refuse(parts, (RequestError::BadRequest, context), false);
                };
                let mut res = res;
                if is_success(&res) {
                    if let Some(hook) = &config.headers {
                        (hook.0)(res.headers_mut(), parts);
                    }
                }
                res
            }
        }
    }

    /// A refusal: logged, told to `connection_error`, answered as its transport expects.
    fn refuse(
        &self,
        parts: &Parts,
        (error, context): (RequestError, ErrorContext),
        is_ws_upgrade: bool,
    ) -> Response<Bytes> {
        tracing::debug!(target: "engineio::request", code = error.code(), message = error.message(), ?context, uri = %parts.uri, "refused");
        if let Some(hook) = &self.ctx.config.connection_error {
            (hook.0)(&ConnectionError {
                request: parts,
                code: error.code(),
                message: error.message(),
                context,
            });
        }
        if is_ws_upgrade {
            error.websocket_response()
        } else {
            error.polling_response()
        }
    }

    /// `origins`, then `allowRequest` (code 4), on a handshake.
    async fn gate(&self, parts: &Parts) -> Result<(), (RequestError, ErrorContext)> {
        let config = &self.ctx.config;
        // A predicate that panics refuses the handshake (logged); it never unwinds into the
        // connection's task.
        if !config.origins.is_any()
            && !guarded_predicate("origins", || config.origins.allows(&parts.headers))
                .await
                .unwrap_or(false)
        {
            let origin = parts
                .headers
                .get(header::ORIGIN)
                .or_else(|| parts.headers.get(header::REFERER))
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Err((
                RequestError::Forbidden(None),
                ErrorContext::OriginRefused { origin },
            ));
        }
        if let Some(allow) = &config.allow_request {
            let verdict = guarded_predicate("allow_request", || (allow.0)(parts))
                .await
                .unwrap_or_else(|| Err(Forbidden::default()));
            if let Err(refusal) = verdict {
                let message = refusal.into_message();
                return Err((
                    RequestError::Forbidden(message.clone()),
                    ErrorContext::Forbidden { message },
                ));
            }
        }
        Ok(())
    }

    /// Gzip or deflate of a polling payload, when enabled, large enough and accepted.
    async fn compress(&self, parts: &Parts, mut res: Response<Bytes>) -> Response<Bytes> {
        let Some(opts) = self.ctx.config.http_compression else {
            return res;
        };
        if res.extensions().get::<polling::Uncompressed>().is_some() {
            return res;
        }
        if res.status() != StatusCode::OK || res.body().len() < opts.threshold {
            return res;
        }
        let Some(encoding) = crate::compress::negotiate(&parts.headers) else {
            return res;
        };
        let body = res.body().clone();
        // Large payloads compress off the I/O threads.
        let compressed = if body.len() > 64 * 1024 {
            tokio::task::spawn_blocking(move || {
                crate::compress::compress(encoding, opts.level, &body)
            })
            .await
            .ok()
            .flatten()
        } else {
            crate::compress::compress(encoding, opts.level, &body)
        };
        if let Some(compressed) = compressed {
            *res.body_mut() = Bytes::from(compressed);
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, encoding.header_value());
            res.headers_mut().remove(header::CONTENT_LENGTH);
        }
        res
    }

    /// Node's `verify`, in its order, up to (not including) `allowRequest`.
    fn check(
        &self,
        parts: &Parts,
        q: &EngineQuery<'_>,
        is_ws_upgrade: bool,
    ) -> Result<Checked, (RequestError, ErrorContext)> {
        let config = &self.ctx.config;
        let transport = q
            .transport
            .and_then(TransportKind::from_query)
            .filter(|t| config.transport_enabled(*t))
            .ok_or_else(|| {
                let transport = q.transport.map(str::to_owned);
                (
                    RequestError::UnknownTransport,
                    ErrorContext::UnknownTransport { transport },
                )
            })?;
        // Node's `checkInvalidHeaderChar`. Unreachable through hyper's HTTP/1 parser, which
        // refuses such heads itself, but another front end may pass them.
        if let Some(origin) = parts.headers.get(header::ORIGIN) {
            let invalid = origin
                .as_bytes()
                .iter()
                .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f);
            if invalid {
                return Err((RequestError::BadRequest, ErrorContext::InvalidOrigin));
            }
        }
        if q.jsonp {
            return Err((RequestError::BadRequest, ErrorContext::Jsonp));
        }
        if let Some(sid) = q.sid {
            let session = sid
                .parse::<Sid>()
                .ok()
                .and_then(|sid| self.ctx.get(&sid))
                .ok_or_else(|| {
                    let context = ErrorContext::UnknownSid {
                        sid: sid.chars().take(64).collect(),
                    };
                    (RequestError::UnknownSid, context)
                })?;
            let current = match session.lock().transport {
                Transport::Polling { .. } => TransportKind::Polling,
                Transport::Websocket => TransportKind::Websocket,
            };
            let upgrade = is_ws_upgrade
                && transport == TransportKind::Websocket
                && current == TransportKind::Polling;
            if upgrade {
                if !config.allow_upgrades {
                    return Err((RequestError::BadRequest, ErrorContext::UpgradesDisabled));
                }
            } else if transport != current
                || is_ws_upgrade != (transport == TransportKind::Websocket)
            {
                // A second WebSocket for an upgraded session is let through: `ws::upgrade`
                // accepts and closes it at once, as Node does.
                if !(is_ws_upgrade && current == TransportKind::Websocket) {
                    let context = if transport != current {
                        ErrorContext::TransportMismatch {
                            transport: transport.as_str(),
                            previous_transport: current.as_str(),
                        }
                    } else {
                        ErrorContext::TransportHandshakeError
                    };
                    return Err((RequestError::BadRequest, context));
                }
            }
            let version = q.eio.and_then(ProtocolVersion::from_query);
            if version != Some(session.version) {
                let context = ErrorContext::ProtocolMismatch {
                    protocol: q.eio.map(|e| e.chars().take(16).collect()),
                    previous_protocol: session.version.as_u8(),
                };
                return Err((RequestError::BadRequest, context));
            }
            return Ok(Checked::Existing(session));
        }
        if parts.method != Method::GET {
            let context = ErrorContext::BadHandshakeMethod {
                method: parts.method.as_str().to_owned(),
            };
            return Err((RequestError::BadHandshakeMethod, context));
        }
        if (transport == TransportKind::Websocket) != is_ws_upgrade {
            return Err((
                RequestError::BadRequest,
                ErrorContext::TransportHandshakeError,
            ));
        }
        Ok(Checked::Handshake(transport))
    }

    fn handshake(
        &self,
        parts: &mut Parts,
        version: ProtocolVersion,
        transport: TransportKind,
        b64: bool,
    ) -> Result<(Response<Bytes>, Sid), (RequestError, ErrorContext)> {
        let limit = self.ctx.config.max_sessions;
        if self.ctx.table().len() >= limit {
            return Err((
                RequestError::TooManySessions,
                ErrorContext::TooManySessions { limit },
            ));
        }
        let sid = Sid::generate();
        let request = StoredRequest::from_parts(parts, self.ctx.config.trust_proxy);
        let ctx = &self.ctx;
        let open = OpenPacket {
            sid: sid.as_str().to_owned(),
            upgrades: upgrades(&ctx.config, transport),
            ping_interval: ctx.config.ping_interval.as_millis() as u64,
            ping_timeout: ctx.config.ping_timeout.as_millis() as u64,
            max_payload: ctx.config.max_http_buffer_size as u64,
        };
        let mut first = vec![open.to_packet()];
        if let Some(initial) = &ctx.config.initial_packet {
            first.push(Packet::Message(initial.clone()));
        }
        let state_transport = match transport {
            TransportKind::Polling => Transport::Polling {
                get: None,
                post_active: false,
            },
            TransportKind::Websocket => Transport::Websocket,
        };
        let session = Arc::new(SessionInner::new(
            sid,
            version,
            request,
            ctx.clone(),
            state_transport,
            b64,
        ));
        tracing::debug!(target: "engineio::session", session = %sid, transport = transport.as_str(), protocol = version as u8, "handshake");
        match transport {
            TransportKind::Polling => {
                ctx.table().insert(sid, session.clone());
                let response = polling::payload_response(&session, &first, b64);
                crate::driver::spawn(session.clone(), None);
                session.connected();
                Ok((response, sid))
            }
            TransportKind::Websocket => {
                let res = websocket::handshake(session, parts, first)?;
                Ok((res, sid))
            }
        }
    }
}

/// Runs a user predicate (`origins`, `allow_request`) to its answer; `None` (logged at
/// `error`) when it panicked.
async fn guarded_predicate<F, Fut, R>(name: &str, make: F) -> Option<R>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = R>,
{
    use futures_util::FutureExt;
    use std::panic::AssertUnwindSafe;
    let outcome = match std::panic::catch_unwind(AssertUnwindSafe(make)) {
        Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    match outcome {
        Ok(r) => Some(r),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(not a string)");
            tracing::error!(target: "engineio::request", predicate = name, panic = message, "predicate panicked; handshake refused");
            None
        }
    }
}

/// A `200` or a `101`: the answers the `headers` hooks see.
fn is_success(res: &Response<Bytes>) -> bool {
    matches!(
        res.status(),
        StatusCode::OK | StatusCode::SWITCHING_PROTOCOLS
    )
}

enum Checked {
    Handshake(TransportKind),
    Existing(Arc<SessionInner>),
}
