//! The seed's three attach examples (socket.io 2.x docs), in Rust: Socket.IO on a plain hyper
//! HTTP server, in an axum app (the Express example) and in front of an app that is only a
//! request handler (the Koa example). The runnable examples `attach_http`, `attach_express`
//! and `attach_koa` call these; the tests run them on port 0.
//!
//! ```text
//! // Node                                       // Rust
//! var server = require('http').createServer();  let io = Server::new();
//! var io = require('socket.io')(server);        let service = io.attach(app);
//! io.on('connection', function (socket) {...}); io.on_connection(|socket| {...});
//! server.listen(3000);                          /* serve `service` on port 3000 */
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use socketio::{Args, Server};

/// The handlers of the seed's example: `event` and `disconnect` listeners on each socket.
pub fn handlers(io: &Server) {
    io.on_connection(|socket| {
        socket.on("event", |socket, data: Args, _ack| {
            let _ = socket.emit("event", &data);
        });
        socket.on_disconnect(|socket, reason| {
            tracing::info!(id = socket.id(), %reason, "disconnected");
        });
    });
}

/// A running example server.
#[derive(Debug)]
pub struct Running {
    /// The Socket.IO server.
    pub io: Server,
    /// Where it listens.
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Closes the Socket.IO server, then the HTTP server.
    pub async fn shutdown(self) {
        self.io.close().await;
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The plain HTTP example: a hyper server whose own handler answers `/`, with Socket.IO
/// attached (`require('socket.io')(server)`): hyper's accept loop written out, as a Node app
/// owns its `http.Server`.
pub async fn plain_http(addr: SocketAddr) -> std::io::Result<Running> {
    let io = Server::new();
    handlers(&io);
    // The app's own request handler.
    let app = tower::service_fn(|_req: http::Request<Incoming>| async {
        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
            b"plain HTTP server with Socket.IO attached\n",
        ))))
    });
    let service = io.attach(app);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(_) => continue,
                },
            };
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            });
        }
    });
    Ok(Running {
        io,
        addr,
        stop,
        task,
    })
}

/// Puts the connection's peer address where the engine looks for it.
async fn remote_addr(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
) -> axum::extract::Request {
    req.extensions_mut().insert(engineio::RemoteAddr(peer));
    req
}

/// The Express example: an axum `Router` (the Express app) with Socket.IO as a layer, served
/// by `axum::serve` (the `http.Server`).
pub async fn express(addr: SocketAddr) -> std::io::Result<Running> {
    let io = Server::new();
    handlers(&io);
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async { "axum app with Socket.IO attached\n" }),
        )
        .layer(io.layer())
        // Sessions learn the client's address (`socket.handshake().address`) from the
        // connection: axum's `ConnectInfo`, handed to the engine as `engineio::RemoteAddr`.
        .layer(axum::middleware::map_request(remote_addr));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running {
        io,
        addr,
        stop,
        task,
    })
}

/// The Koa example: the app is only a request handler (Koa's `app.callback()`: here an
/// axum `Router` turned into a plain tower service), and Socket.IO is attached to it with
/// [`Server::attach`] before it is served.
pub async fn koa(addr: SocketAddr) -> std::io::Result<Running> {
    let io = Server::new();
    handlers(&io);
    let callback = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { "request handler with Socket.IO attached\n" }),
    );
    let service = io.attach(callback);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    // `require('http').createServer(app.callback())`: a plain server for the handler.
    let server = engineio::serve(listener, service);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = stopped.await;
        server.shutdown().await;
    });
    Ok(Running {
        io,
        addr,
        stop,
        task,
    })
}
