//! The served client bundle (Node's `serveClient`): the files, their compressed forms, and the
//! answer to a request for one.
//!
//! socket.io 4.x `index.ts` `serve`/`serveFile`/`sendFile`: `GET <path>/socket.io.js` (also
//! `.min.js`, `.msgpack.min.js`, `.esm.min.js` and each `.map`) from the `socket.io-client`
//! package's `dist/`; `ETag` is the quoted client version and `If-None-Match` equal to it or
//! `W/` + it gets a bare `304`; `Cache-Control: public, max-age=0`; br, gzip or deflate as the
//! `accepts` package ranks the client's `Accept-Encoding` (negotiator 0.6.3).
//!
//! The bundle is not part of this crate: `scripts/fetch-client.sh` puts it in
//! `.cache/socket.io-client/package` (see [`ServerConfig::client_dir`](crate::ServerConfig)).
//! Files are read once, when the server is attached (or at the first request), and each
//! compressed form is made once, on first demand, off the async threads.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};

/// The command that fetches the bundle, named in the 404 and the startup warning.
const FETCH_COMMAND: &str = "bash scripts/fetch-client.sh";

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
enum Encoding {
    Brotli,
    Gzip,
    Deflate,
}

impl Encoding {
    const PROVIDED: [Encoding; 3] = [Encoding::Brotli, Encoding::Gzip, Encoding::Deflate];

    fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }

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
                        "socket.io client bundle not found; `{FETCH_COMMAND}` fetches it (or set client_dir / SOCKETIO_CLIENT_DIR, or serve_client(false))"
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
            let body = format!(
                "socket.io client bundle not installed on this server: run `{FETCH_COMMAND}`\n"
            );
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
        let accept = parts
            .headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let encoding = negotiate(&accept);
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

/// One entry of `Accept-Encoding`, as negotiator 0.6.3 parses it.
struct Accepted {
    encoding: String,
    q: f64,
    i: usize,
}

/// negotiator 0.6.3 `preferredEncodings(accept, ["br", "gzip", "deflate"])[0]`: the best
/// encoding by q-value, then exact name over `*`, then the client's order, then ours; `None`
/// for identity.
fn negotiate(accept: &str) -> Option<Encoding> {
    let mut accepted = Vec::new();
    let mut has_identity = false;
    let mut min_q: f64 = 1.0;
    let mut count = 0;
    for (i, part) in accept.split(',').enumerate() {
        count = i + 1;
        let part = part.trim();
        let (name, params) = match part.split_once(';') {
            Some((n, p)) => (n.trim_end(), Some(p)),
            None => (part, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        let mut q = 1.0;
        if let Some(params) = params {
            for p in params.split(';') {
                let mut kv = p.trim().split('=');
                if kv.next() == Some("q") {
                    q = js_parse_float(kv.next().unwrap_or(""));
                    break;
                }
            }
        }
        has_identity |= name.eq_ignore_ascii_case("identity");
        // `encoding.q || 1`: a q of 0 (or NaN) counts as 1 here, as in negotiator.
        let qq = if q == 0.0 || q.is_nan() { 1.0 } else { q };
        min_q = min_q.min(qq);
        accepted.push(Accepted {
            encoding: name.to_owned(),
            q,
            i,
        });
    }
    if !has_identity {
        accepted.push(Accepted {
            encoding: "identity".to_owned(),
            q: min_q,
            i: count,
        });
    }

    #[derive(Clone, Copy)]
    struct Priority {
        i: usize,
        o: f64,
        q: f64,
        s: u8,
    }
    let nz = |x: f64| if x.is_nan() { 0.0 } else { x };
    let mut priorities: Vec<Priority> = Encoding::PROVIDED
        .iter()
        .enumerate()
        .map(|(index, enc)| {
            let mut best = Priority {
                i: index,
                o: -1.0,
                q: 0.0,
                s: 0,
            };
            for a in &accepted {
                let s = if a.encoding.eq_ignore_ascii_case(enc.name()) {
                    1
                } else if a.encoding == "*" {
                    0
                } else {
                    continue;
                };
                let spec = Priority {
                    i: index,
                    o: a.i as f64,
                    q: a.q,
                    s,
                };
                let d = {
                    let ds = f64::from(best.s) - f64::from(spec.s);
                    if ds != 0.0 {
                        ds
                    } else if nz(best.q - spec.q) != 0.0 {
                        best.q - spec.q
                    } else {
                        best.o - spec.o
                    }
                };
                if d < 0.0 {
                    best = spec;
                }
            }
            best
        })
        .filter(|p| p.q > 0.0)
        .collect();
    priorities.sort_by(|a, b| {
        let d = [
            nz(b.q - a.q),
            f64::from(b.s) - f64::from(a.s),
            a.o - b.o,
            a.i as f64 - b.i as f64,
        ]
        .into_iter()
        .find(|d| *d != 0.0)
        .unwrap_or(0.0);
        d.partial_cmp(&0.0).unwrap_or(std::cmp::Ordering::Equal)
    });
    priorities.first().map(|p| Encoding::PROVIDED[p.i])
}

/// JavaScript's `parseFloat`: the longest leading decimal number, else NaN.
fn js_parse_float(s: &str) -> f64 {
    let s = s.trim_start();
    let bytes = s.as_bytes();
    let mut end = 0;
    let mut best = f64::NAN;
    while end < bytes.len() && matches!(bytes[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
    {
        end += 1;
        if let Ok(v) = s[..end].parse::<f64>() {
            best = v;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_like_negotiator() {
        use Encoding::*;
        assert_eq!(negotiate(""), None);
        // The client's order breaks ties, as in negotiator 0.6.3.
        assert_eq!(negotiate("gzip, deflate, br"), Some(Gzip));
        assert_eq!(
            negotiate("deflate;q=0.9, br;q=0.9, gzip;q=0.9"),
            Some(Deflate)
        );
        assert_eq!(negotiate("*;q=0.5, br;q=0.5"), Some(Brotli));
        assert_eq!(negotiate("br, gzip"), Some(Brotli));
        assert_eq!(negotiate("gzip;q=0.5, br;q=0.4"), Some(Gzip));
        assert_eq!(negotiate("deflate, gzip;q=1.0, *;q=0.5"), Some(Deflate));
        assert_eq!(negotiate("*"), Some(Brotli));
        assert_eq!(negotiate("identity"), None);
        assert_eq!(negotiate("gzip;q=0"), None);
        assert_eq!(negotiate("*;q=0.1, gzip;q=0"), Some(Brotli));
        assert_eq!(negotiate("identity;q=1, gzip;q=0.5"), Some(Gzip));
        assert_eq!(negotiate("compress, x-foo"), None);
        assert_eq!(negotiate("GZIP"), Some(Gzip));
        assert_eq!(negotiate("gzip;q=abc, deflate"), Some(Deflate));
    }

    #[test]
    fn parse_float() {
        assert_eq!(js_parse_float("0.5"), 0.5);
        assert_eq!(js_parse_float(" 1e-1x"), 0.1);
        assert!(js_parse_float("abc").is_nan());
        assert_eq!(js_parse_float("1."), 1.0);
    }
}
