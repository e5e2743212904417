//! Serving the UI's static files (the `ui/dist` folder of the npm package
//! `@socket.io/admin-ui`) under a path of the app, such as `/admin-ui/`.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Request, Response, StatusCode, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty};
use tower_http::services::ServeDir;
use tower_service::Service;

/// The body of [`AdminUi`]'s responses.
pub type UiBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// A tower service for the Admin UI's files under `prefix`: `prefix/` is the UI's
/// `index.html`, `prefix/js/app.….js` its scripts, and `prefix` alone redirects to `prefix/`
/// (the UI's assets are relative: without the slash they would be looked for one level up).
/// Anything else is a 404, so it can sit in front of other routes or as a fallback.
///
/// The files are not part of this crate: take them from the npm package
/// (`npm pack @socket.io/admin-ui@0.5.1`, then `package/ui/dist`; this repository's
/// `scripts/setup-admin-ui.sh` does it into `.cache/admin-ui/dist`).
///
/// ```no_run
/// # fn f(io: socketio::Server) {
/// let ui = socketio_admin::AdminUi::new("/admin-ui", "/srv/admin-ui/dist");
/// let app = axum::Router::new()
///     .route_service("/admin-ui", ui.clone())
///     .route_service("/admin-ui/", ui.clone())
///     .route_service("/admin-ui/{*file}", ui)
///     .layer(io.layer());
/// # let _: axum::Router = app;
/// # }
/// ```
///
/// The UI connects to the server it is given with `withCredentials`: served from the same
/// origin, it needs no CORS. From another origin (the hosted `https://admin.socket.io`), the
/// server must allow that exact origin with credentials (the engine's `cors` option).
#[derive(Clone, Debug)]
pub struct AdminUi {
    prefix: Arc<str>,
    files: ServeDir,
}

impl AdminUi {
    /// The files of `dir` (holding `index.html`) under `prefix` (`/admin-ui`; a trailing
    /// `/` is ignored).
    pub fn new(prefix: &str, dir: impl AsRef<Path>) -> Self {
        let prefix = prefix.trim_end_matches('/');
        let prefix = if prefix.starts_with('/') {
            prefix.to_owned()
        } else {
            format!("/{prefix}")
        };
        AdminUi {
            prefix: prefix.into(),
            files: ServeDir::new(dir.as_ref()).append_index_html_on_directories(true),
        }
    }

    /// Where this repository's setup step puts the files: `$SOCKETIO_ADMIN_UI_DIR`, or
    /// `.cache/admin-ui/dist` under the current directory.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("SOCKETIO_ADMIN_UI_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".cache/admin-ui/dist"))
    }

    /// Whether `path` is the UI's.
    pub fn matches(&self, path: &str) -> bool {
        path == &*self.prefix
            || path
                .strip_prefix(&*self.prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

fn empty(status: StatusCode) -> Response<UiBody> {
    let mut r = Response::new(Empty::new().map_err(|e| match e {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

impl<B: Send + 'static> Service<Request<B>> for AdminUi {
    type Response = Response<UiBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<UiBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let path = req.uri().path();
        if path == &*self.prefix {
            let mut location = format!("{}/", self.prefix);
            if let Some(q) = req.uri().query() {
                location.push('?');
                location.push_str(q);
            }
            let mut r = empty(StatusCode::PERMANENT_REDIRECT);
            if let Ok(v) = header::HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return Box::pin(std::future::ready(Ok(r)));
        }
        let Some(rest) = path
            .strip_prefix(&*self.prefix)
            .filter(|r| r.starts_with('/'))
        else {
            return Box::pin(std::future::ready(Ok(empty(StatusCode::NOT_FOUND))));
        };
        let uri = match req.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        let (mut parts, body) = req.into_parts();
        parts.uri = uri.parse::<Uri>().unwrap_or_else(|_| Uri::from_static("/"));
        let req = Request::from_parts(parts, body);
        let mut files = self.files.clone();
        Box::pin(async move {
            match files.call(req).await {
                Ok(r) => Ok(r.map(|b| b.boxed_unsync())),
                Err(e) => match e {},
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn get(ui: &mut AdminUi, path: &str) -> Response<UiBody> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let req = Request::get(path).body(()).unwrap();
        rt.block_on(ui.call(req)).unwrap()
    }

    #[test]
    fn serves_the_files_under_the_prefix_and_redirects_to_the_slash() {
        let dir = std::env::temp_dir().join(format!("admin-ui-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("js")).unwrap();
        std::fs::write(dir.join("index.html"), "<html>ui</html>").unwrap();
        std::fs::write(dir.join("js/app.js"), "console.log(1)").unwrap();
        let mut ui = AdminUi::new("/admin-ui/", &dir);
        assert!(ui.matches("/admin-ui") && ui.matches("/admin-ui/js/app.js"));
        assert!(!ui.matches("/admin-uix") && !ui.matches("/"));

        let r = get(&mut ui, "/admin-ui");
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(r.headers()[header::LOCATION], "/admin-ui/");

        let r = get(&mut ui, "/admin-ui/");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));

        let r = get(&mut ui, "/admin-ui/js/app.js");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript"));

        for bad in [
            "/admin-ui/../Cargo.toml",
            "/admin-ui/%2e%2e/x",
            "/admin-ui/nope.js",
            "/other",
        ] {
            assert_eq!(get(&mut ui, bad).status(), StatusCode::NOT_FOUND, "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
