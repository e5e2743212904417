//! The tower `Layer` and `Service`: requests under the engine's path are ours, the rest go to the
//! inner service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};

use crate::engine::Engine;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A tower [`Layer`](tower_layer::Layer) that serves an [`Engine`] in front of an inner service.
///
/// ```no_run
/// # use engineio::{Engine, EngineConfig, EngineLayer, Handler, Message, Socket, CloseReason};
/// # struct Echo;
/// # impl Handler for Echo {
/// #     fn on_connect(&self, _: Socket) {}
/// #     fn on_message(&self, s: &Socket, m: Message) { let _ = s.send(m); }
/// #     fn on_close(&self, _: &Socket, _: CloseReason) {}
/// # }
/// use tower_layer::Layer;
/// let engine = Engine::new(EngineConfig::default(), Echo);
/// let service = EngineLayer::new(engine).layer(engineio::NotFound);
/// ```
#[derive(Debug, Clone)]
pub struct EngineLayer {
    engine: Engine,
}

impl EngineLayer {
    /// A layer serving `engine`.
    pub fn new(engine: Engine) -> Self {
        EngineLayer { engine }
    }
}

impl<S> tower_layer::Layer<S> for EngineLayer {
    type Service = EngineService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EngineService {
            engine: self.engine.clone(),
            inner,
        }
    }
}

impl Engine {
    /// This engine as a tower layer.
    pub fn layer(&self) -> EngineLayer {
        EngineLayer::new(self.clone())
    }

    /// This engine in front of `inner`.
    pub fn service<S>(&self, inner: S) -> EngineService<S> {
        EngineService {
            engine: self.clone(),
            inner,
        }
    }
}

/// The tower [`Service`](tower_service::Service) made by [`EngineLayer`].
#[derive(Debug, Clone)]
pub struct EngineService<S> {
    engine: Engine,
    inner: S,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for EngineService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ReqBody: Body + Send + 'static,
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
        if self.engine.matches(&req) {
            let engine = self.engine.clone();
            Box::pin(async move { Ok(engine.handle(req).await.map(EngineBody::full)) })
        } else {
            let fut = self.inner.call(req);
            Box::pin(async move { Ok(fut.await?.map(EngineBody::inner)) })
        }
    }
}

/// A response body: the engine's own bytes, or the inner service's body.
#[derive(Debug)]
pub struct EngineBody<B> {
    kind: BodyKind<B>,
}

#[derive(Debug)]
enum BodyKind<B> {
    Full(Option<Bytes>),
    Inner(Pin<Box<B>>),
}

impl<B> EngineBody<B> {
    /// A body of these bytes.
    pub fn full(bytes: Bytes) -> Self {
        EngineBody {
            kind: BodyKind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// The inner service's body.
    pub fn inner(body: B) -> Self {
        EngineBody {
            kind: BodyKind::Inner(Box::pin(body)),
        }
    }
}

impl<B> Body for EngineBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.get_mut().kind {
            BodyKind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            BodyKind::Inner(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            BodyKind::Full(data) => data.is_none(),
            BodyKind::Inner(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            BodyKind::Inner(body) => body.size_hint(),
        }
    }
}

/// An inner service answering `404 Not Found` to everything: for an engine served on its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> tower_service::Service<Request<B>> for NotFound {
    type Response = Response<http_body_util::Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut res = Response::new(http_body_util::Full::new(Bytes::from_static(b"Not Found")));
        *res.status_mut() = StatusCode::NOT_FOUND;
        std::future::ready(Ok(res))
    }
}
