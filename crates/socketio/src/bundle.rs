//! The served client bundle (Node's `serveClient`): the files, their compressed forms, and the
//! answer to a request for one.
//!
//! socket.io 4.x `index.ts` `serve`/`serveFile`/`sendFile`: `GET <path>/socket.io.js` (also
//! `.min.js`, `.msgpack.min.js`, `.esm.min.js` and each `.map`) from the `socket.io-client`
//! package's `dist/`; `ETag` is the quoted client version and `If-None-Match` equal to it or
//! `W/` + it gets a bare `304`; `Cache-Control: public, max-age=0`; br, gzip or deflate as the
//! `accepts` package ranks the client's `Accept-Encoding` (negotiator 0.6.3).
//!
//! The bundle is not part of this crate: an app installs the npm package (`npm install
//! socket.io-client@4.8.4` puts it in `node_modules/socket.io-client`, found there from the
//! working directory), and this repository's `scripts/fetch-client.sh` puts it in
//! `.cache/socket.io-client/package` (see [`ServerConfig::client_dir`](crate::ServerConfig)).
//! Files are read once, when the server is attached (or at the first request), and each
//! compressed form is made once, on first demand, off the async threads.

use std::collections::HashMap;
#[cfg(feature = "bundle-compression")]
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};

/// How to install the bundle, in the app's terms, named in the 404 and the startup warning.
const FETCH_COMMAND: &str = "run `npm install socket.io-client@4.8.4` in the app's directory (in this repository: `bash scripts/fetch-client.sh`)";

/// The files served, as in Node's `clientPathRegex` for the files `socket.io-client` ships.
pub(crate) const FILES: [&str; 8] = [
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Without `bundle-compression` no form is served, and none is made.
#[cfg_attr(not(feature = "bundle-compression"), allow(dead_code))]
enum Encoding {
    Brotli,
    Gzip,
    Deflate,
}

impl Encoding {
    /// The compressed forms served (none without the `bundle-compression` feature).
    #[cfg(feature = "bundle-compression")]
    const PROVIDED: &'static [Encoding] = &[Encoding::Brotli, Encoding::Gzip, Encoding::Deflate];
    #[cfg(feature = "bundle-compression")]
    const NAMES: &'static [&'static str] = &["br", "gzip", "deflate"];
    #[cfg(not(feature = "bundle-compression"))]
    const PROVIDED: &'static [Encoding] = &[];
    #[cfg(not(feature = "bundle-compression"))]
    const NAMES: &'static [&'static str] = &[];

    fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }

    #[cfg(not(feature = "bundle-compression"))]
    fn compress(self, _data: &[u8]) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::other(
            "built without the bundle-compression feature",
        ))
    }

    #[cfg(feature = "bundle-compression")]
    fn compress(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 9, 22);
                    w.write_all(data)?;
                    w.flush()?;
                }
                Ok(out)
            }
            Encoding::Gzip => {
                let mut w =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                w.write_all(data)?;
                w.finish()
            }
            Encoding::Deflate => {
                let mut w =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                w.write_all(data)?;
                w.finish()
            }
        }
    }
}

struct File {
    raw: Bytes,
    content_type: &'static str,
    compressed: HashMap<Encoding, OnceLock<Bytes>>,
}

struct Bundle {
    etag: String,
    files: HashMap<&'static str, Arc<File>>,
}

/// The client bundle of one server: where it is, and once read, its files.
pub(crate) struct ClientFiles {
    dir: PathBuf,
    bundle: OnceLock<Option<Bundle>>,
}

impl ClientFiles {
    /// The bundle in `dir`; read now when `serve` (a missing bundle is logged now, then).
    pub(crate) fn open(dir: &Path, serve: bool) -> Self {
        let files = ClientFiles {
            dir: dir.to_owned(),
            bundle: OnceLock::new(),
        };
        if serve {
            files.bundle();
        }
        files
    }

    fn bundle(&self) -> Option<&Bundle> {
        self.bundle
            .get_or_init(|| match load(&self.dir) {
                Ok(bundle) => {
                    tracing::debug!(target: "socketio::client_bundle", dir = %self.dir.display(), version = %bundle.etag, "client bundle loaded");
                    Some(bundle)
                }
                Err(e) => {
                    tracing::warn!(
                        target: "socketio::client_bundle",
                        dir = %self.dir.display(),
                        error = %e,
                        "socket.io client bundle not found: {FETCH_COMMAND}, or set client_dir / SOCKETIO_CLIENT_DIR, or serve_client(false)"
                    );
                    None
                }
            })
            .as_ref()
    }

    /// The answer to a request for `name` (one of [`FILES`]).
    pub(crate) async fn respond(
        self: Arc<Self>,
        name: &str,
        parts: http::request::Parts,
    ) -> Response<Bytes> {
        let Some(bundle) = self.bundle() else {
            let body =
                format!("socket.io client bundle not installed on this server: {FETCH_COMMAND}\n");
            return plain(StatusCode::NOT_FOUND, body);
        };
        let Some(file) = bundle.files.get(name).cloned() else {
            return plain(StatusCode::NOT_FOUND, "Not Found".to_owned());
        };
        if let Some(tag) = parts.headers.get(header::IF_NONE_MATCH) {
            let tag = tag.as_bytes();
            let weak = tag.strip_prefix(b"W/").unwrap_or(b"");
            if tag == bundle.etag.as_bytes() || weak == bundle.etag.as_bytes() {
                let mut res = Response::new(Bytes::new());
                *res.status_mut() = StatusCode::NOT_MODIFIED;
                return res;
            }
        }
        // negotiator 0.6.3 `preferredEncodings(accept, ["br", "gzip", "deflate"])[0]`, as
        // socket.io's `serveFile`; the same negotiator as the engine's polling compression.
        let encoding = engineio::preferred_encoding(&parts.headers, Encoding::NAMES)
            .map(|i| Encoding::PROVIDED[i]);
        let body = match encoding {
            None => file.raw.clone(),
            Some(enc) => match compressed(&file, enc).await {
                Some(b) => b,
                None => return plain(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
            },
        };
        let len = body.len();
        let body = if parts.method == Method::HEAD {
            Bytes::new()
        } else {
            body
        };
        let mut res = Response::new(body);
        let h = res.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=0"),
        );
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        if let Ok(etag) = HeaderValue::from_str(&bundle.etag) {
            h.insert(header::ETAG, etag);
        }
        if let Some(enc) = encoding {
            h.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(enc.name()),
            );
        }
        // Ours: Node leaves `Vary` out, which lets a shared cache hand a compressed body to a
        // client that cannot read it.
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        res
    }
}

/// The compressed form of `file`, made once (off the async threads).
async fn compressed(file: &Arc<File>, enc: Encoding) -> Option<Bytes> {
    let slot = file.compressed.get(&enc)?;
    if let Some(b) = slot.get() {
        return Some(b.clone());
    }
    let owned = file.clone();
    let made = tokio::task::spawn_blocking(move || {
        let slot = owned.compressed.get(&enc)?;
        if let Some(b) = slot.get() {
            return Some(b.clone());
        }
        let data = Bytes::from(enc.compress(&owned.raw).ok()?);
        Some(slot.get_or_init(|| data).clone())
    })
    .await;
    made.ok().flatten()
}

fn plain(status: StatusCode, body: String) -> Response<Bytes> {
    let mut res = Response::new(Bytes::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn load(dir: &Path) -> std::io::Result<Bundle> {
    let manifest = std::fs::read(dir.join("package.json"))?;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let version = manifest
        .get("version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "package.json has no version",
            )
        })?;
    let mut files = HashMap::new();
    for name in FILES {
        let raw = std::fs::read(dir.join("dist").join(name))?;
        let content_type = if name.ends_with(".map") {
            "application/json; charset=utf-8"
        } else {
            "application/javascript; charset=utf-8"
        };
        let compressed = Encoding::PROVIDED
            .iter()
            .map(|e| (*e, OnceLock::new()))
            .collect();
        files.insert(
            name,
            Arc::new(File {
                raw: Bytes::from(raw),
                content_type,
                compressed,
            }),
        );
    }
    Ok(Bundle {
        etag: format!("\"{version}\""),
        files,
    })
}
