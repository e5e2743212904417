//! How a [`Server`] is served: the tower [`SocketIoLayer`] and [`SocketIoService`] (the client
//! bundle, then the Engine.IO routing under the path, then the app's own service), and the
//! `layer`/`service`/`attach`/`listen` methods that make them.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use engineio::{EngineBody, EngineService};
use http::{Request, Response};

use crate::bundle::{ClientFiles, FILES};
use crate::server::Server;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A tower [`Layer`](tower_layer::Layer) serving a Socket.IO [`Server`] in front of an inner
/// service: the client bundle, then the Engine.IO routing under the path, then the inner
/// service for everything else. Made by [`Server::layer`].
#[derive(Debug, Clone)]
pub struct SocketIoLayer {
    io: Server,
}

impl SocketIoLayer {
    pub(crate) fn new(io: Server) -> Self {
        SocketIoLayer { io }
    }
}

impl<S> tower_layer::Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.io.service(inner)
    }
}

/// The tower [`Service`](tower_service::Service) made by [`SocketIoLayer`] and
/// [`Server::service`].
#[derive(Clone)]
pub struct SocketIoService<S> {
    io: Server,
    files: Arc<ClientFiles>,
    prefix: Arc<str>,
    inner: EngineService<S>,
}

impl<S> std::fmt::Debug for SocketIoService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoService")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl<S> SocketIoService<S> {
    pub(crate) fn new(io: Server, inner: EngineService<S>) -> Self {
        let path = io.engine().config().path.clone();
        let mut prefix = String::from("/");
        prefix.push_str(path.trim_matches('/'));
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        let files = io.client_files();
        SocketIoService {
            io,
            files,
            prefix: prefix.into(),
            inner,
        }
    }

    /// The bundle file a request is for, if it is one. Any method, as Node's `attachServe`,
    /// which matches on the URL alone.
    fn client_file<B>(&self, req: &Request<B>) -> Option<&'static str> {
        let name = req.uri().path().strip_prefix(&*self.prefix)?;
        let name = FILES.iter().find(|f| **f == name)?;
        self.io.serve_client().then_some(*name)
    }
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for SocketIoService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ReqBody: http_body::Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<EngineBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        match self.client_file(&req) {
            Some(name) => {
                let files = self.files.clone();
                let (parts, _body) = req.into_parts();
                Box::pin(async move { Ok(files.respond(name, parts).await.map(EngineBody::full)) })
            }
            None => self.inner.call(req),
        }
    }
}

impl Server {
    /// This server as a tower layer (Node's `io.attach(httpServer)`): the client bundle and the
    /// requests under `path` are Socket.IO's, the rest go on. Attaches the server.
    ///
    /// ```no_run
    /// use tower_layer::Layer;
    /// # async fn f() -> std::io::Result<()> {
    /// let io = socketio::Server::new();
    /// // In axum: `Router::new().route(...).layer(io.layer())`.
    /// let service = io.layer().layer(engineio::NotFound);
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// let server = engineio::serve(listener, service);
    /// # server.shutdown().await; Ok(())
    /// # }
    /// ```
    #[doc(alias = "attach")]
    pub fn layer(&self) -> SocketIoLayer {
        self.engine();
        SocketIoLayer::new(self.clone())
    }

    /// This server in front of `inner` (Node's `io.attach(httpServer)`); see
    /// [`Server::layer`].
    pub fn service<S>(&self, inner: S) -> SocketIoService<S> {
        SocketIoService::new(self.clone(), self.engine().service(inner))
    }

    /// Synonym of [`Server::service`] (Node's `io.attach(srv)`): `app` is the request handler
    /// (an axum `Router`, a hyper service...) that gets every request that is not Socket.IO's.
    pub fn attach<S>(&self, app: S) -> SocketIoService<S> {
        self.service(app)
    }

    /// Serves on `addr` on its own (Node's `new Server(3000)`, `io.attach(3000)` and
    /// `io.listen(3000)`); other paths get 404. Attaches the server; returns once the port is
    /// bound.
    ///
    /// ```no_run
    /// # async fn f() -> std::io::Result<()> {
    /// // Node: `var io = require('socket.io')(3000);` or `io.listen(3000)`.
    /// let io = socketio::Server::new();
    /// let addr = io.listen("0.0.0.0:3000").await?;
    /// println!("listening on {addr}");
    /// # Ok(()) }
    /// ```
    pub async fn listen(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let handle = engineio::serve(listener, self.service(engineio::NotFound));
        tracing::debug!(target: "socketio::server", addr = %local, "listening");
        let previous = self.replace_listener(handle);
        if let Some(previous) = previous {
            previous.shutdown().await;
        }
        Ok(local)
    }
}
