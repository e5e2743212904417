//! CORS response headers with the semantics of the npm `cors` middleware, which Node's engine.io
//! runs (when its `cors` option is set) before any other check, on polling requests and WebSocket
//! handshakes alike.
//!
//! Not `tower-http`'s `CorsLayer`: it wraps a service from the outside, so it could not put its
//! headers on the answers that the engine builds itself inside one [`Engine::handle`] call (an
//! app calling `handle` directly would lose them), nor apply only to the engine's path when the
//! engine is itself a layer in front of the app; and it differs from `cors` where clients can
//! see it: it answers as preflight only requests carrying `Access-Control-Request-Method` (Node
//! answers every `OPTIONS` with 204), panics on `credentials` with origin `*` (Node sends both),
//! and has no async origin predicate.
//!
//! [`Engine::handle`]: crate::Engine::handle

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::{header, HeaderMap, HeaderName, HeaderValue, Method};

use crate::hooks::BoxFuture;

type Predicate = Arc<dyn Fn(Option<String>) -> BoxFuture<bool> + Send + Sync>;

#[derive(Clone)]
enum OriginKind {
    Any,
    Fixed(HeaderValue),
    List(Arc<[String]>),
    Mirror,
    Predicate(Predicate),
}

/// The `origin` option of Node's `cors` middleware: which origins get an
/// `Access-Control-Allow-Origin`.
///
/// A disallowed origin is still served, only without `Access-Control-Allow-Origin` (and with
/// `Vary: Origin`), so the browser hides the answer from the page.
#[derive(Clone)]
pub struct CorsOrigin(OriginKind);

impl fmt::Debug for CorsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            OriginKind::Any => f.write_str("CorsOrigin(*)"),
            OriginKind::Fixed(v) => f.debug_tuple("CorsOrigin").field(v).finish(),
            OriginKind::List(l) => f.debug_tuple("CorsOrigin").field(l).finish(),
            OriginKind::Mirror => f.write_str("CorsOrigin(mirror)"),
            OriginKind::Predicate(_) => f.write_str("CorsOrigin(<predicate>)"),
        }
    }
}

impl Default for CorsOrigin {
    fn default() -> Self {
        CorsOrigin::any()
    }
}

impl CorsOrigin {
    /// `origin: "*"` (the default): `Access-Control-Allow-Origin: *`. Browsers refuse `*` on
    /// requests with credentials: use [`CorsOrigin::mirror`] or a list with them.
    pub fn any() -> Self {
        CorsOrigin(OriginKind::Any)
    }

    /// `origin: "https://example.com"`: always this value (with `Vary: Origin`). A value that is
    /// not a valid header value is left out.
    pub fn exact(origin: impl AsRef<str>) -> Self {
        match HeaderValue::from_str(origin.as_ref()) {
            Ok(v) => CorsOrigin(OriginKind::Fixed(v)),
            Err(_) => CorsOrigin(OriginKind::List(Arc::from(Vec::new()))),
        }
    }

    /// `origin: [..]`: the request's `Origin` is reflected when it equals one of these exactly
    /// (as `https://example.com:8443`, no trailing slash).
    pub fn list<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CorsOrigin(OriginKind::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    /// `origin: true`: every request's `Origin` is reflected (what socket.io 2.x sent).
    pub fn mirror() -> Self {
        CorsOrigin(OriginKind::Mirror)
    }

    /// `origin: function`: the request's `Origin` (if any) is reflected when `allowed` resolves
    /// to true. Ours: when it resolves to false, the request is treated like an origin missing
    /// from a list (no `Access-Control-Allow-Origin`, preflight still 204), where Node's `cors`
    /// would skip itself and let engine.io refuse the `OPTIONS` with code 2.
    pub fn predicate<F, Fut>(allowed: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        CorsOrigin(OriginKind::Predicate(Arc::new(move |origin| {
            Box::pin(allowed(origin))
        })))
    }
}

/// Node's `cors` option (the options of the npm `cors` middleware). Off by default; set it with
/// [`EngineConfigBuilder::cors`](crate::EngineConfigBuilder::cors).
///
/// When set, it runs before any other check on polling requests and WebSocket handshakes: an
/// `OPTIONS` request (a preflight) is answered `204` with the headers below and goes no further;
/// every other answer, errors included, carries `Access-Control-Allow-Origin` (when allowed),
/// `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers`.
///
/// socket.io-client 2.x pages served from another origin need it: socket.io 2.x servers sent
/// these headers by default, this server (as engine.io 4+) does not.
///
/// ```
/// use std::time::Duration;
/// use engineio::{CorsOptions, CorsOrigin};
/// let cors = CorsOptions::builder()
///     .origin(CorsOrigin::list(["https://app.example.com"]))
///     .credentials(true)
///     .max_age(Duration::from_secs(600))
///     .build();
/// # let _ = cors;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CorsOptions {
    /// `origin`: default `*` ([`CorsOrigin::any`]).
    pub origin: CorsOrigin,
    /// `methods`: `Access-Control-Allow-Methods` of a preflight. Default
    /// `GET,HEAD,PUT,PATCH,POST,DELETE`.
    pub methods: Vec<Method>,
    /// `allowedHeaders`: `Access-Control-Allow-Headers` of a preflight. Default `None`: the
    /// request's `Access-Control-Request-Headers` are reflected (with
    /// `Vary: Access-Control-Request-Headers`).
    pub allowed_headers: Option<Vec<HeaderName>>,
    /// `exposedHeaders`: `Access-Control-Expose-Headers`. Default none.
    pub exposed_headers: Vec<HeaderName>,
    /// `credentials`: send `Access-Control-Allow-Credentials: true` (cookies, such as the
    /// sticky-session [`cookie`](crate::EngineConfig::cookie)). Default false.
    pub credentials: bool,
    /// `maxAge`: `Access-Control-Max-Age` of a preflight, in whole seconds. Default none.
    pub max_age: Option<Duration>,
}

impl Default for CorsOptions {
    fn default() -> Self {
        CorsOptions {
            origin: CorsOrigin::any(),
            methods: vec![
                Method::GET,
                Method::HEAD,
                Method::PUT,
                Method::PATCH,
                Method::POST,
                Method::DELETE,
            ],
            allowed_headers: None,
            exposed_headers: Vec::new(),
            credentials: false,
            max_age: None,
        }
    }
}

impl CorsOptions {
    /// A builder starting from the defaults.
    pub fn builder() -> CorsOptionsBuilder {
        CorsOptionsBuilder(CorsOptions::default())
    }

    /// The headers for this request: the preflight's when `preflight`, else the actual
    /// response's. Node's `cors` `configureOrigin` .. `configureMaxAge`, in its order.
    pub(crate) async fn headers(&self, req: &HeaderMap, preflight: bool) -> HeaderMap {
        let mut out = HeaderMap::new();
        let mut vary: Vec<&'static str> = Vec::new();
        let request_origin = req.get(header::ORIGIN);
        match &self.origin.0 {
            OriginKind::Any => {
                out.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            OriginKind::Fixed(v) => {
                out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v.clone());
                vary.push("Origin");
            }
            kind => {
                let allowed = match (kind, request_origin) {
                    (_, None) => false,
                    (OriginKind::Mirror, Some(_)) => true,
                    (OriginKind::List(list), Some(o)) => {
                        list.iter().any(|e| e.as_bytes() == o.as_bytes())
                    }
                    (OriginKind::Predicate(p), Some(o)) => {
                        let origin = o.to_str().ok().map(str::to_owned);
                        p(origin).await
                    }
                    _ => false,
                };
                if let (true, Some(o)) = (allowed, request_origin) {
                    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
                }
                vary.push("Origin");
            }
        }
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if preflight {
            let methods: Vec<&str> = self.methods.iter().map(Method::as_str).collect();
            if let Ok(v) = HeaderValue::from_str(&methods.join(",")) {
                out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            match &self.allowed_headers {
                None => {
                    vary.push("Access-Control-Request-Headers");
                    if let Some(v) = req
                        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                        .filter(|v| !v.is_empty())
                    {
                        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
                    }
                }
                Some(list) if !list.is_empty() => {
                    if let Some(v) = join(list) {
                        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
                    }
                }
                Some(_) => {}
            }
            if let Some(age) = self.max_age {
                out.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from(age.as_secs()),
                );
            }
        }
        if !self.exposed_headers.is_empty() {
            if let Some(v) = join(&self.exposed_headers) {
                out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
        if !vary.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&vary.join(", ")) {
                out.insert(header::VARY, v);
            }
        }
        out
    }
}

fn join(names: &[HeaderName]) -> Option<HeaderValue> {
    let joined: Vec<&str> = names.iter().map(HeaderName::as_str).collect();
    HeaderValue::from_str(&joined.join(",")).ok()
}

/// Adds CORS headers to a response's, merging `Vary` with one already there.
pub(crate) fn merge(target: &mut HeaderMap, cors: &HeaderMap) {
    for (name, value) in cors {
        if name == header::VARY {
            if let Some(existing) = target.get(header::VARY) {
                let mut merged = existing.as_bytes().to_vec();
                merged.extend_from_slice(b", ");
                merged.extend_from_slice(value.as_bytes());
                if let Ok(v) = HeaderValue::from_bytes(&merged) {
                    target.insert(header::VARY, v);
                }
                continue;
            }
        }
        target.insert(name.clone(), value.clone());
    }
}

/// Builder for [`CorsOptions`].
#[derive(Debug, Clone)]
pub struct CorsOptionsBuilder(CorsOptions);

impl CorsOptionsBuilder {
    /// See [`CorsOptions::origin`].
    pub fn origin(mut self, origin: CorsOrigin) -> Self {
        self.0.origin = origin;
        self
    }

    /// See [`CorsOptions::methods`].
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.0.methods = methods.into_iter().collect();
        self
    }

    /// See [`CorsOptions::allowed_headers`].
    pub fn allowed_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.0.allowed_headers = Some(headers.into_iter().collect());
        self
    }

    /// See [`CorsOptions::exposed_headers`].
    pub fn exposed_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.0.exposed_headers = headers.into_iter().collect();
        self
    }

    /// See [`CorsOptions::credentials`].
    pub fn credentials(mut self, credentials: bool) -> Self {
        self.0.credentials = credentials;
        self
    }

    /// See [`CorsOptions::max_age`].
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.0.max_age = Some(max_age);
        self
    }

    /// The finished options.
    pub fn build(self) -> CorsOptions {
        self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn req(origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn defaults_like_node() {
        let c = CorsOptions::default();
        let h = run(c.headers(&req(Some("http://a")), true));
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_METHODS],
            "GET,HEAD,PUT,PATCH,POST,DELETE"
        );
        assert_eq!(h[header::VARY], "Access-Control-Request-Headers");
        let h = run(c.headers(&req(Some("http://a")), false));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn list_reflects_or_omits() {
        let c = CorsOptions::builder()
            .origin(CorsOrigin::list(["http://a:1"]))
            .credentials(true)
            .exposed_headers([HeaderName::from_static("x-y")])
            .build();
        let h = run(c.headers(&req(Some("http://a:1")), false));
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://a:1");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(h[header::ACCESS_CONTROL_EXPOSE_HEADERS], "x-y");
        assert_eq!(h[header::VARY], "Origin");
        let h = run(c.headers(&req(Some("http://b:1")), false));
        assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        assert_eq!(h[header::VARY], "Origin");
    }

    #[test]
    fn preflight_extras() {
        let c = CorsOptions::builder()
            .origin(CorsOrigin::predicate(|o| async move {
                o.as_deref() == Some("http://ok")
            }))
            .allowed_headers([
                HeaderName::from_static("x-a"),
                HeaderName::from_static("x-b"),
            ])
            .max_age(Duration::from_millis(90_500))
            .build();
        let h = run(c.headers(&req(Some("http://ok")), true));
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://ok");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "x-a,x-b");
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "90");
        let mut target = HeaderMap::new();
        target.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        merge(&mut target, &h);
        assert_eq!(target[header::VARY], "Accept-Encoding, Origin");
    }
}
