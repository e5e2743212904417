//! A standalone server: an accept loop on a `TcpListener` with graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
#[cfg(feature = "http2")]
use hyper_util::{rt::TokioExecutor, server::conn::auto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::ServeConfig;
use crate::conn::ConnSlot;
use crate::request::RemoteAddr;

/// A running server started by [`serve`].
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ServerHandle {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Stops accepting, closes the listener, and waits (at most 5 s) for open HTTP connections
    /// to finish their requests. Close engines first ([`Engine::close`](crate::Engine::close)) so
    /// sessions get their close packets. A later bind to the same port succeeds.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `service` on `listener` (HTTP/1.1 and, with the `http2` feature, HTTP/2; with upgrades) until
/// [`ServerHandle::shutdown`], with the default [`ServeConfig`]. Each request carries a
/// [`RemoteAddr`] extension.
pub fn serve<S, B>(listener: TcpListener, service: S) -> ServerHandle
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    serve_with(listener, service, ServeConfig::default())
}

/// The answer to a connection past [`ServeConfig::max_connections`].
const UNAVAILABLE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// How many refused connections may be answered at once; past it they are just closed.
const MAX_REFUSING: usize = 256;

/// As [`serve`], with these bounds on connections, request heads and time.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use engineio::{Engine, EngineConfig, ServeConfig};
/// # struct H;
/// # impl engineio::Handler for H {
/// #     fn on_connect(&self, _: engineio::Socket) {}
/// #     fn on_message(&self, _: &engineio::Socket, _: engineio::Message) {}
/// #     fn on_close(&self, _: &engineio::Socket, _: engineio::CloseReason) {}
/// # }
/// let engine = Engine::new(EngineConfig::default(), H);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let options = ServeConfig::builder().max_connections(Some(50_000)).build();
/// let server = engineio::serve_with(listener, engine.service(engineio::NotFound), options);
/// # server.shutdown().await; Ok(()) }
/// ```
pub fn serve_with<S, B>(listener: TcpListener, service: S, options: ServeConfig) -> ServerHandle
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let local_addr = listener.local_addr().ok();
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        // HTTP/1.1 and, with the `http2` feature (a default), HTTP/2 on the same port.
        #[cfg(feature = "http2")]
        let (graceful, builder) = {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .max_buf_size(options.max_header_bytes.max(8192))
                .max_headers(options.max_headers)
                .header_read_timeout(Some(options.header_read_timeout))
                .timer(hyper_util::rt::TokioTimer::new());
            builder
                .http2()
                .max_header_list_size(options.http2_max_header_list_size)
                .max_concurrent_streams(options.http2_max_concurrent_streams)
                .timer(hyper_util::rt::TokioTimer::new());
            (
                hyper_util::server::graceful::GracefulShutdown::new(),
                builder,
            )
        };
        #[cfg(not(feature = "http2"))]
        let (graceful, builder) = {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .max_buf_size(options.max_header_bytes.max(8192))
                .max_headers(options.max_headers)
                .header_read_timeout(Some(options.header_read_timeout))
                .timer(hyper_util::rt::TokioTimer::new());
            (http1_only::Graceful::new(), builder)
        };
        let slots = options.max_connections.map(|n| Arc::new(Semaphore::new(n)));
        let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
        loop {
            let (stream, remote) = tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::debug!(target: "engineio::serve", error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let permit = match &slots {
                None => None,
                Some(slots) => match slots.clone().try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        tracing::debug!(target: "engineio::serve", %remote, "connection refused: max_connections");
                        if let Ok(slot) = refusing.clone().try_acquire_owned() {
                            tokio::spawn(refuse(stream, slot));
                        }
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let svc = service.clone();
            // The slot is held by the connection and by a WebSocket made of it, which outlives
            // the HTTP connection's task.
            let slot = permit.map(|p| ConnSlot(Arc::new(p)));
            let request_slot = slot.clone();
            let hyper_svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(RemoteAddr(remote));
                if let Some(slot) = &request_slot {
                    req.extensions_mut().insert(slot.clone());
                }
                svc.clone().oneshot(req)
            });
            #[cfg(feature = "http2")]
            let conn = graceful.watch(
                builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), hyper_svc)
                    .into_owned(),
            );
            #[cfg(not(feature = "http2"))]
            let conn = graceful.watch(
                builder
                    .serve_connection(TokioIo::new(stream), hyper_svc)
                    .with_upgrades(),
            );
            tokio::spawn(async move {
                let _ = conn.await;
                drop(slot);
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    });
    ServerHandle {
        local_addr,
        stop,
        task,
    }
}

/// Graceful shutdown of HTTP/1.1 connections with upgrades, which hyper-util's
/// `GracefulShutdown` watches only through its HTTP/1-and-2 server (the `http2` feature).
#[cfg(not(feature = "http2"))]
mod http1_only {
    use std::future::Future;

    use hyper::server::conn::http1::UpgradeableConnection;
    use tokio::sync::{mpsc, watch};

    /// Tells every watched connection to finish its request in flight and close, then waits
    /// for them.
    pub(super) struct Graceful {
        stop: watch::Sender<bool>,
        live: mpsc::Sender<()>,
        done: mpsc::Receiver<()>,
    }

    impl Graceful {
        pub(super) fn new() -> Self {
            let (live, done) = mpsc::channel(1);
            Graceful {
                stop: watch::channel(false).0,
                live,
                done,
            }
        }

        /// `conn`, closed gracefully once [`Graceful::shutdown`] is called.
        pub(super) fn watch<I, S, B>(
            &self,
            conn: UpgradeableConnection<I, S>,
        ) -> impl Future<Output = hyper::Result<()>> + Send + 'static
        where
            I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
            S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B> + Send + 'static,
            S::Future: Send,
            S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
            B: http_body::Body + Send + 'static,
            B::Data: Send,
            B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        {
            let mut stop = self.stop.subscribe();
            let live = self.live.clone();
            async move {
                let _live = live;
                let mut conn = std::pin::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => return r,
                    _ = stop.wait_for(|s| *s) => {}
                }
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        }

        /// Closes every watched connection gracefully and waits until they are gone.
        pub(super) async fn shutdown(mut self) {
            let _ = self.stop.send(true);
            drop(self.live);
            let _ = self.done.recv().await;
        }
    }
}

/// Answers `503` and closes, within a second: the request is read (and dropped) meanwhile so
/// that closing does not reset the connection before the client reads the answer.
async fn refuse(mut stream: TcpStream, _slot: OwnedSemaphorePermit) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(UNAVAILABLE).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CloseReason, Engine, EngineConfig, Handler, Message, NotFound, Socket};
    use futures_util::{SinkExt, StreamExt};

    struct Echo;
    impl Handler for Echo {
        fn on_connect(&self, _: Socket) {}
        fn on_message(&self, s: &Socket, m: Message) {
            let _ = s.send(m);
        }
        fn on_close(&self, _: &Socket, _: CloseReason) {}
    }

    /// The standalone server in this build's configuration (with or without `http2`): an
    /// HTTP/1.1 request, a WebSocket upgrade that echoes, and a shutdown that closes an idle
    /// keep-alive connection and ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn http1_requests_upgrades_and_graceful_shutdown() {
        let engine = Engine::new(EngineConfig::default(), Echo);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = serve(listener, engine.service(NotFound));

        // HTTP/1.1, kept alive.
        let mut idle = TcpStream::connect(addr).await.expect("connect");
        idle.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut head = vec![0u8; 4096];
        let n = idle.read(&mut head).await.expect("read");
        let text = String::from_utf8_lossy(&head[..n]).into_owned();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("\"sid\""), "{text}");

        // A WebSocket session that echoes.
        let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("upgrade");
        let open = ws.next().await.expect("open").expect("open");
        assert!(open.to_text().expect("text").starts_with("0{"), "{open:?}");
        ws.send(tokio_tungstenite::tungstenite::Message::text("4hi"))
            .await
            .expect("send");
        let echo = ws.next().await.expect("echo").expect("echo");
        assert_eq!(echo.to_text().expect("text"), "4hi");

        // Shutdown ends the idle keep-alive connection and returns.
        tokio::time::timeout(Duration::from_secs(10), server.shutdown())
            .await
            .expect("shutdown within 10 s");
        let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut head)).await;
        assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    }
}
