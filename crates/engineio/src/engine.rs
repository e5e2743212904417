//! The engine: the session table and the dispatch of requests on the Engine.IO path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use engineio_protocol::{OpenPacket, Packet, ProtocolVersion, Sid};
use http::{Method, Request, Response};

use crate::config::{EngineConfig, TransportKind};
use crate::error::RequestError;
use crate::handler::Handler;
use crate::request::{EngineQuery, HandshakeRequest};
use crate::socket::{SessionInner, Socket, Transport};

pub(crate) struct Shared {
    pub(crate) config: EngineConfig,
    pub(crate) prefix: String,
    pub(crate) handler: Arc<dyn Handler>,
    sessions: Mutex<HashMap<Sid, Arc<SessionInner>>>,
}

impl Shared {
    pub(crate) fn get(&self, sid: &Sid) -> Option<Arc<SessionInner>> {
        self.table().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        self.table().remove(sid);
    }

    pub(crate) fn table(&self) -> std::sync::MutexGuard<'_, HashMap<Sid, Arc<SessionInner>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `upgrades` of the open packet for a session on `transport`.
    fn upgrades(&self, transport: TransportKind) -> Vec<String> {
        let c = &self.config;
        if transport == TransportKind::Polling
            && c.allow_upgrades
            && c.transport_enabled(TransportKind::Websocket)
        {
            vec!["websocket".to_owned()]
        } else {
            Vec::new()
        }
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
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.shared.config.path)
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
        let prefix = config.match_prefix();
        Engine {
            shared: Arc::new(Shared {
                config,
                prefix,
                handler,
                sessions: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The options.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// How many sessions are open (Node's `clientsCount`).
    pub fn clients_count(&self) -> usize {
        self.shared.table().len()
    }

    /// A session by id.
    pub fn socket(&self, sid: &Sid) -> Option<Socket> {
        self.shared.get(sid).map(Socket)
    }

    /// Every open session.
    pub fn sockets(&self) -> Vec<Socket> {
        self.shared.table().values().cloned().map(Socket).collect()
    }

    /// Whether a request is for this engine (its path is under `path + "/"`).
    pub fn matches<B>(&self, req: &Request<B>) -> bool {
        req.uri().path().starts_with(&self.shared.prefix)
    }

    /// Closes every session gracefully: each gets what is queued, then its close packet; waiting
    /// polls are answered. The handler sees `forced close`.
    pub fn close(&self) {
        for socket in self.sockets() {
            socket.0.close_inner(engineio_protocol::CloseReason::ForcedClose, true, true);
        }
    }

    /// Handles one request on the Engine.IO path.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Bytes>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let query = req.uri().query().unwrap_or("").to_owned();
        let q = EngineQuery::parse(&query);
        let is_ws_upgrade = crate::ws::is_upgrade_request(&req);
        match self.check(&req, &q, is_ws_upgrade) {
            Err(e) => {
                tracing::debug!(target: "engineio::request", code = e.code(), message = e.message(), uri = %req.uri(), "refused");
                if is_ws_upgrade {
                    e.websocket_response()
                } else {
                    e.polling_response()
                }
            }
            Ok(Checked::Handshake(version, transport)) => {
                self.handshake(req, version, transport, q.b64).await
            }
            Ok(Checked::Existing(session)) => {
                if is_ws_upgrade {
                    crate::ws::upgrade(session, req, q.b64)
                } else if req.method() == Method::GET {
                    crate::polling::get(session).await
                } else {
                    crate::polling::post(session, req).await
                }
            }
        }
    }

    /// Node's `verify`, in its order.
    fn check<B>(
        &self,
        req: &Request<B>,
        q: &EngineQuery<'_>,
        is_ws_upgrade: bool,
    ) -> Result<Checked, RequestError> {
        let config = &self.shared.config;
        let transport = q
            .transport
            .and_then(TransportKind::from_query)
            .filter(|t| config.transport_enabled(*t))
            .ok_or(RequestError::UnknownTransport)?;
        if q.jsonp {
            return Err(RequestError::BadRequest);
        }
        if let Some(sid) = q.sid {
            let session = sid
                .parse::<Sid>()
                .ok()
                .and_then(|sid| self.shared.get(&sid))
                .ok_or(RequestError::UnknownSid)?;
            let same_version = q.eio.and_then(ProtocolVersion::from_query) == Some(session.version);
            if !same_version {
                return Err(RequestError::BadRequest);
            }
            let current = match session.lock().transport {
                Transport::Polling { .. } => TransportKind::Polling,
                Transport::Websocket => TransportKind::Websocket,
            };
            let upgrade = is_ws_upgrade
                && transport == TransportKind::Websocket
                && current == TransportKind::Polling;
            if upgrade {
                if !config.allow_upgrades {
                    return Err(RequestError::BadRequest);
                }
            } else if transport != current
                || is_ws_upgrade != (transport == TransportKind::Websocket)
            {
                // A second WebSocket for an upgraded session is let through: `ws::upgrade`
                // accepts and closes it at once, as Node does.
                if !(is_ws_upgrade && current == TransportKind::Websocket) {
                    return Err(RequestError::BadRequest);
                }
            }
            return Ok(Checked::Existing(session));
        }
        if req.method() != Method::GET {
            return Err(RequestError::BadHandshakeMethod);
        }
        if transport == TransportKind::Websocket && !is_ws_upgrade {
            return Err(RequestError::BadRequest);
        }
        if transport == TransportKind::Polling && is_ws_upgrade {
            return Err(RequestError::BadRequest);
        }
        let version = match q.eio.and_then(ProtocolVersion::from_query) {
            Some(ProtocolVersion::V4) => ProtocolVersion::V4,
            Some(ProtocolVersion::V3) if config.allow_eio3 => ProtocolVersion::V3,
            _ => return Err(RequestError::UnsupportedProtocolVersion),
        };
        Ok(Checked::Handshake(version, transport))
    }

    async fn handshake<B>(
        &self,
        req: Request<B>,
        version: ProtocolVersion,
        transport: TransportKind,
        b64: bool,
    ) -> Response<Bytes> {
        let (parts, _body) = req.into_parts();
        let sid = Sid::generate();
        let request = HandshakeRequest::from_parts(&parts);
        let shared = &self.shared;
        let open = OpenPacket {
            sid: sid.as_str().to_owned(),
            upgrades: shared.upgrades(transport),
            ping_interval: shared.config.ping_interval.as_millis() as u64,
            ping_timeout: shared.config.ping_timeout.as_millis() as u64,
            max_payload: shared.config.max_http_buffer_size as u64,
        };
        let mut first = vec![open.to_packet()];
        if let Some(initial) = &shared.config.initial_packet {
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
            shared.clone(),
            state_transport,
            b64,
        ));
        tracing::debug!(target: "engineio::session", %sid, transport = transport.as_str(), protocol = version as u8, "handshake");
        match transport {
            TransportKind::Polling => {
                shared.table().insert(sid, session.clone());
                let response = crate::polling::payload_response(&session, &first, b64);
                crate::driver::spawn(session.clone(), None);
                shared.handler.on_connect(session.socket());
                response
            }
            TransportKind::Websocket => {
                let req = Request::from_parts(parts, ());
                crate::ws::handshake(session, req, first)
            }
        }
    }
}

enum Checked {
    Handshake(ProtocolVersion, TransportKind),
    Existing(Arc<SessionInner>),
}
