//! The served client bundle (SIO-3 §4, Node's `serveClient`): the files, `ETag` and
//! `If-None-Match`, `Cache-Control`, content types, br/gzip/deflate by `Accept-Encoding`, the
//! 404 naming the setup command when the bundle is missing, `serve_client(false)`; then pages
//! in headless Chromium: one loading `/socket.io/socket.io.js` from our server, one running
//! socket.io-client 2.x from its own `dist/` bundle (binary over polling in XHR2 payloads).
//!
//! The bundle comes from `scripts/fetch-client.sh`; Chromium from `scripts/setup-browser.sh`
//! (without it the browser tests print a notice and pass).
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use std::convert::Infallible;
use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;
use sio3_common::*;
use sio_common::{repo_root, with_timeout};

/// The bundle `scripts/fetch-client.sh` installs; the script runs first when it is missing
/// (it copies the package from `tests/clients/node_modules` when there).
fn bundle_dir() -> PathBuf {
    let dir = repo_root()
        .join(".cache")
        .join("socket.io-client")
        .join("package");
    if !dir.join("dist").join("socket.io.js").exists() {
        let status = std::process::Command::new("bash")
            .arg(repo_root().join("scripts").join("fetch-client.sh"))
            .status();
        eprintln!("ran scripts/fetch-client.sh: {status:?}");
    }
    assert!(
        dir.join("dist").join("socket.io.js").exists(),
        "the client bundle is missing: run `bash scripts/fetch-client.sh`"
    );
    dir
}

fn bundle_file(name: &str) -> Vec<u8> {
    std::fs::read(bundle_dir().join("dist").join(name)).unwrap()
}

fn version() -> String {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle_dir().join("package.json")).unwrap()).unwrap();
    manifest["version"].as_str().unwrap().to_owned()
}

async fn bundle_server() -> Served {
    let io = socketio::Server::with_config(fast_config().client_dir(bundle_dir()).build());
    serve(io).await
}

const FILES: [&str; 8] = [
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_with_its_headers() {
    with_timeout(LIMIT, async {
        let s = bundle_server().await;
        let etag = format!("\"{}\"", version());
        for name in FILES {
            let res = http_request(s.addr, "GET", &format!("/socket.io/{name}"), &[], b"").await;
            assert_eq!(res.status, 200, "{name}");
            let ct = if name.ends_with(".map") {
                "application/json; charset=utf-8"
            } else {
                "application/javascript; charset=utf-8"
            };
            assert_eq!(res.header("content-type"), Some(ct), "{name}");
            assert_eq!(res.header("cache-control"), Some("public, max-age=0"));
            assert_eq!(res.header("etag"), Some(etag.as_str()));
            assert_eq!(res.header("content-encoding"), None);
            assert!(res.body == bundle_file(name), "{name}: body differs");
        }
        // A query is ignored, as Node's `clientPathRegex`; other names are not ours.
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js?v=1", &[], b"").await;
        assert_eq!(res.status, 200);
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.slim.js", &[], b"").await;
        assert_ne!(res.status, 200);
        // Any method, as Node (which matches on the URL alone).
        let res = http_request(s.addr, "POST", "/socket.io/socket.io.js", &[], b"x").await;
        assert_eq!(res.status, 200);
        // HEAD: the headers without the body.
        let res = http_request(s.addr, "HEAD", "/socket.io/socket.io.min.js", &[], b"").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("etag"), Some(etag.as_str()));
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_and_if_none_match() {
    with_timeout(LIMIT, async {
        let s = bundle_server().await;
        let etag = format!("\"{}\"", version());
        let weak = format!("W/{etag}");
        for tag in [etag.as_str(), weak.as_str()] {
            let res = http_request(
                s.addr,
                "GET",
                "/socket.io/socket.io.js",
                &[("If-None-Match", tag)],
                b"",
            )
            .await;
            assert_eq!(res.status, 304, "{tag}");
            assert!(res.body.is_empty());
            // Node sends a bare 304.
            assert_eq!(res.header("etag"), None);
            assert_eq!(res.header("cache-control"), None);
        }
        for tag in ["\"0.0.1\"", "*", "W/\"0.0.1\"", &format!("{etag}, \"x\"")] {
            let res = http_request(
                s.addr,
                "GET",
                "/socket.io/socket.io.js",
                &[("If-None-Match", tag)],
                b"",
            )
            .await;
            assert_eq!(res.status, 200, "{tag}");
        }
        s.close().await;
    })
    .await;
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "deflate" => {
            flate2::read::ZlibDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        other => panic!("unexpected encoding {other}"),
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_by_accept_encoding() {
    with_timeout(LIMIT, async {
        let s = bundle_server().await;
        let raw = bundle_file("socket.io.min.js");
        // What negotiator 0.6.3 (Node's `accepts`) picks for these headers.
        let cases = [
            ("gzip, deflate, br", Some("gzip")),
            ("br", Some("br")),
            ("deflate", Some("deflate")),
            ("gzip;q=0.5, br;q=0.8", Some("br")),
            ("deflate;q=0.9, br;q=0.9, gzip;q=0.9", Some("deflate")),
            ("*", Some("br")),
            ("identity", None),
            ("gzip;q=0", None),
            ("compress", None),
        ];
        for (accept, expected) in cases {
            let res = http_request(
                s.addr,
                "GET",
                "/socket.io/socket.io.min.js",
                &[("Accept-Encoding", accept)],
                b"",
            )
            .await;
            assert_eq!(res.status, 200, "{accept}");
            assert_eq!(res.header("content-encoding"), expected, "{accept}");
            let body = match expected {
                Some(enc) => decode(enc, &res.body),
                None => res.body.clone(),
            };
            assert!(body == raw, "{accept}: decoded body differs");
        }
        // Again, from the cache.
        let res = http_request(
            s.addr,
            "GET",
            "/socket.io/socket.io.min.js",
            &[("Accept-Encoding", "br")],
            b"",
        )
        .await;
        assert!(decode("br", &res.body) == raw);
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bundle_names_the_command() {
    with_timeout(LIMIT, async {
        let dir = std::env::temp_dir().join("sio3-no-client-bundle-here");
        let io = socketio::Server::with_config(fast_config().client_dir(dir).build());
        let s = serve(io).await;
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 404);
        let body = String::from_utf8_lossy(&res.body).into_owned();
        assert!(body.contains("scripts/fetch-client.sh"), "{body}");
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_client_off() {
    with_timeout(LIMIT, async {
        // Off from the options: the path is the engine's, which refuses the request.
        let io = socketio::Server::with_config(
            fast_config()
                .client_dir(bundle_dir())
                .serve_client(false)
                .build(),
        );
        assert!(!io.serve_client());
        let s = serve(io).await;
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 400, "{res:?}");
        s.close().await;
        // Switched off at run time.
        let s = bundle_server().await;
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 200);
        s.io.set_serve_client(false);
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 400);
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_path() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(
            fast_config()
                .client_dir(bundle_dir())
                .path("/realtime")
                .build(),
        );
        let s = serve(io).await;
        let res = http_request(s.addr, "GET", "/realtime/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 200);
        let res = http_request(s.addr, "GET", "/socket.io/socket.io.js", &[], b"").await;
        assert_eq!(res.status, 404);
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// In the browser

const PAGE_V4: &str = r#"<!doctype html><meta charset="utf-8"><title>v4</title>
<script src="/socket.io/socket.io.js"></script>
<script>
const transports = JSON.parse(new URLSearchParams(location.search).get("t") || '["polling","websocket"]');
const socket = io({ transports });
socket.on("connect_error", (e) => { window.result = { ok: false, error: String(e) }; });
socket.on("connect", () => {
  socket.emit("echo", "hello", new Uint8Array([1, 2, 3]), (text, bin) => {
    socket.on("pushed", (a, b) => {
      window.result = { ok: true, id: socket.id, text, bin: Array.from(new Uint8Array(bin)),
        pushed: [a, Array.from(new Uint8Array(b))], transport: socket.io.engine.transport.name };
    });
    socket.emit("push");
  });
});
</script>"#;

/// The served msgpack bundle (`io()` with socket.io-msgpack-parser built in) against a
/// msgpack server (MSGPACK-1).
const PAGE_MSGPACK: &str = r#"<!doctype html><meta charset="utf-8"><title>msgpack</title>
<script src="/socket.io/socket.io.msgpack.min.js"></script>
<script>
const transports = JSON.parse(new URLSearchParams(location.search).get("t") || '["polling","websocket"]');
const socket = io({ transports });
socket.on("connect_error", (e) => { window.result = { ok: false, error: String(e) }; });
socket.on("connect", () => {
  // The bundle's notepack writes an ArrayBuffer as bin, a typed array as a map of its indices.
  socket.emit("echo", "hello", new Uint8Array([1, 2, 3]).buffer, (text, bin) => {
    socket.on("pushed", (a, b) => {
      window.result = { ok: true, id: socket.id, text, bin: Array.from(new Uint8Array(bin)),
        pushed: [a, Array.from(new Uint8Array(b))], transport: socket.io.engine.transport.name };
    });
    socket.emit("push");
  });
});
</script>"#;

const PAGE_V2: &str = r#"<!doctype html><meta charset="utf-8"><title>v2</title>
<script>
// Which XHR bodies went out binary and which response types came back (XHR2 payloads).
window.xhr = { sentBinary: 0, types: [] };
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof Blob) window.xhr.sentBinary += 1;
  this.addEventListener("load", () => window.xhr.types.push(this.getResponseHeader("content-type")));
  return send.call(this, body);
};
</script>
<script src="/v2/socket.io.js"></script>
<script>
const transports = JSON.parse(new URLSearchParams(location.search).get("t") || '["polling","websocket"]');
const socket = io({ transports });
socket.on("error", (e) => { window.result = { ok: false, error: String(e) }; });
socket.on("connect_error", (e) => { window.result = { ok: false, error: String(e) }; });
socket.on("connect", () => {
  socket.emit("echo", "hello", new Uint8Array([1, 2, 3]).buffer, (text, bin) => {
    socket.on("pushed", (a, b) => {
      window.result = { ok: true, id: socket.id, engineId: socket.io.engine.id, text,
        bin: Array.from(new Uint8Array(bin)), pushed: [a, Array.from(new Uint8Array(b))],
        transport: socket.io.engine.transport.name, xhr: window.xhr };
    });
    socket.emit("push");
  });
});
</script>"#;

/// Our server behind an app serving the two pages and the 2.x bundle.
async fn browser_server(
    parser: socketio::Parser,
) -> (
    socketio::Server,
    engineio::ServerHandle,
    std::net::SocketAddr,
) {
    // A headless browser on a loaded machine can take more than the fast heartbeat's 200 ms
    // to answer a ping over polling: a session closed for that fails the test for nothing.
    let engine = engineio::EngineConfig::builder()
        .ping_interval(std::time::Duration::from_secs(1))
        .ping_timeout(std::time::Duration::from_secs(5))
        .allow_eio3(true)
        .build();
    let config = socketio::ServerConfig::builder()
        .engine(engine)
        .connect_timeout(std::time::Duration::from_secs(5))
        .client_dir(bundle_dir())
        .parser(parser)
        .build();
    let io = socketio::Server::with_config(config);
    io.on_connection(|socket| {
        socket.on(
            "echo",
            |_s, args: socketio::Args, ack: socketio::AckSender| {
                let _ = ack.send(&args);
            },
        );
        socket.on("push", |s, _: socketio::Args, _ack| {
            let _ = s.emit(
                "pushed",
                &("from the server", Bytes::from_static(&[7, 8, 9])),
            );
        });
    });
    let v2_bundle = Bytes::from(
        std::fs::read(
            sio_common::clients_dir()
                .join("node_modules")
                .join("socket.io-client-v2")
                .join("dist")
                .join("socket.io.js"),
        )
        .unwrap(),
    );
    let app = tower::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let v2_bundle = v2_bundle.clone();
        async move {
            let (body, ct) = match req.uri().path() {
                "/" => (Bytes::from_static(PAGE_V4.as_bytes()), "text/html"),
                "/v2.html" => (Bytes::from_static(PAGE_V2.as_bytes()), "text/html"),
                "/msgpack.html" => (Bytes::from_static(PAGE_MSGPACK.as_bytes()), "text/html"),
                "/v2/socket.io.js" => (v2_bundle, "application/javascript"),
                _ => (Bytes::from_static(b"not found"), "text/plain"),
            };
            let res = http::Response::builder()
                .header("content-type", ct)
                .body(Full::new(body))
                .unwrap();
            Ok::<_, Infallible>(res)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = engineio::serve(listener, io.service(app));
    (io, handle, addr)
}

async fn in_browser(page: &str, transports: &str) -> serde_json::Value {
    let parser = if page == "/msgpack.html" {
        socketio::Parser::MsgPack
    } else {
        socketio::Parser::Text
    };
    let (io, handle, addr) = browser_server(parser).await;
    let url = format!("http://{addr}{page}?t={transports}");
    let result = run_browser(&url).await;
    io.close().await;
    handle.shutdown().await;
    result
}

fn check_exchange(r: &serde_json::Value) {
    assert_eq!(r["text"], "hello", "{r}");
    assert_eq!(r["bin"], json!([1, 2, 3]), "{r}");
    assert_eq!(r["pushed"], json!(["from the server", [7, 8, 9]]), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_loads_the_served_bundle_and_talks() {
    if !chromium_available() {
        return;
    }
    with_timeout(LIMIT, async {
        for t in [
            r#"["polling"]"#,
            r#"["websocket"]"#,
            r#"["polling","websocket"]"#,
        ] {
            let r = in_browser("/", &urlencode(t)).await;
            check_exchange(&r);
            assert_eq!(r["id"].as_str().unwrap().len(), 20, "{r}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_msgpack_bundle_with_a_msgpack_server() {
    if !chromium_available() {
        return;
    }
    with_timeout(LIMIT, async {
        for (t, transport) in [
            (r#"["polling"]"#, "polling"),
            (r#"["websocket"]"#, "websocket"),
            (r#"["polling","websocket"]"#, "websocket"),
        ] {
            let r = in_browser("/msgpack.html", &urlencode(t)).await;
            check_exchange(&r);
            assert_eq!(r["transport"], transport, "{r}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_socketio_client_v2_from_its_dist() {
    if !chromium_available() {
        return;
    }
    with_timeout(LIMIT, async {
        for (t, transport) in [
            (r#"["polling"]"#, "polling"),
            (r#"["websocket"]"#, "websocket"),
        ] {
            let r = in_browser("/v2.html", &urlencode(t)).await;
            check_exchange(&r);
            assert_eq!(r["transport"], transport, "{r}");
            if transport == "polling" {
                // The browser build takes binary: XHR2 payloads both ways.
                assert!(r["xhr"]["sentBinary"].as_u64().unwrap() >= 1, "{r}");
                let types = r["xhr"]["types"].as_array().unwrap();
                assert!(
                    types.iter().any(|t| t == "application/octet-stream"),
                    "no XHR2 response: {r}"
                );
            }
            assert_eq!(r["id"], r["engineId"], "protocol 4 id on /: {r}");
        }
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
