//! A real browser across origins: headless Chromium (Debian's `/usr/bin/chromium`, driven by
//! `playwright-core`) loads `tests/browser/page.html` from a static server on one loopback port;
//! the page connects with the real `engine.io-client` bundle to an engine on another port.
//! Polling is a cross-origin XHR, so it works only when `cors` allows the page's origin;
//! `origins` gates both transports; permessage-deflate is negotiated with Chromium.
//!
//! Skipped, with a notice, when Chromium or `playwright-core` is missing
//! (`scripts/setup-browser.sh` installs Chromium).

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use engineio::{
    CookieOptions, CorsOptions, CorsOrigin, EngineConfig, EngineConfigBuilder, Origins,
    PerMessageDeflate, ServeConfig,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const LIMIT: Duration = Duration::from_secs(90);

fn browser_available() -> bool {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let playwright = clients_dir().join("node_modules").join("playwright-core");
    if chromium.exists() && playwright.exists() {
        return true;
    }
    println!(
        "NOTICE: skipping the browser test: {} missing (run scripts/setup-browser.sh and \
         scripts/setup-test-deps.sh)",
        if chromium.exists() {
            playwright.display().to_string()
        } else {
            chromium.display().to_string()
        }
    );
    false
}

/// Serves the test page and the engine.io-client bundle on a port of its own.
async fn page_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let page = std::fs::read(repo_root().join("tests/browser/page.html")).unwrap();
    let bundle =
        std::fs::read(clients_dir().join("node_modules/engine.io-client/dist/engine.io.min.js"))
            .unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let (page, bundle) = (page.clone(), bundle.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match stream.read(&mut b).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head);
                let target = line.split(' ').nth(1).unwrap_or("/");
                let (status, ctype, body) = if target.starts_with("/engine.io.min.js") {
                    ("200 OK", "application/javascript", bundle)
                } else if target == "/" || target.starts_with("/?") {
                    ("200 OK", "text/html; charset=utf-8", page)
                } else {
                    ("404 Not Found", "text/plain", b"not found".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    addr
}

/// Loads the page against `server` and returns its outcome.
async fn visit(page: SocketAddr, server: SocketAddr, transports: &str, extra: &str) -> Value {
    let url = format!("http://{page}/?server=http://{server}&transports={transports}{extra}");
    let result = ClientProcess::node("../browser/run.js", &json!({ "page": url }))
        .expect("RESULT", Duration::from_secs(40))
        .await;
    println!("{transports}{extra} from {page} to {server}: {result}");
    result
}

fn builder() -> EngineConfigBuilder {
    EngineConfig::builder()
        .ping_interval(Duration::from_millis(1000))
        .ping_timeout(Duration::from_millis(3000))
}

async fn start_engine(config: EngineConfig) -> (Fixture, engineio::Engine) {
    let (fx, engine, _) = engine_fixture_with(config, ServeConfig::default()).await;
    (fx, engine)
}

fn assert_served(result: &Value, transport: &str) {
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["transport"], transport, "{result:#}");
}

fn assert_blocked(result: &Value) {
    assert_eq!(result["ok"], false, "{result:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_decides_whether_a_page_on_another_origin_can_poll() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let page = page_server().await;
        let page_origin = format!("http://{page}");
        // Allowed by a list naming the page's origin: polling, and polling upgraded.
        let cors = CorsOptions::builder()
            .origin(CorsOrigin::list([page_origin.clone()]))
            .build();
        let (fx, _) = start_engine(builder().cors(cors).build()).await;
        let result = visit(page, fx.addr(), "polling", "").await;
        assert_served(&result, "polling");
        assert_eq!(result["page"], page_origin.as_str());
        let result = visit(page, fx.addr(), "polling,websocket", "&size=3000").await;
        assert_served(&result, "websocket");
        // No CORS (the default): the browser refuses the page the answers.
        let (fx, engine) = start_engine(builder().build()).await;
        let result = visit(page, fx.addr(), "polling", "").await;
        assert_blocked(&result);
        assert!(
            format!("{result}").contains("blocked by CORS policy"),
            "{result:#}"
        );
        // The server did answer (the browser enforces CORS): the session exists until its
        // heartbeat ends it.
        assert!(engine.clients_count() <= 1);
        // A list without the page's origin: blocked too.
        let cors = CorsOptions::builder()
            .origin(CorsOrigin::list(["http://elsewhere.test"]))
            .build();
        let (fx, _) = start_engine(builder().cors(cors).build()).await;
        let result = visit(page, fx.addr(), "polling", "").await;
        assert_blocked(&result);
        assert!(
            format!("{result}").contains("blocked by CORS policy"),
            "{result:#}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_gate_websockets_and_credentials_carry_the_cookie() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let page = page_server().await;
        let page_origin = format!("http://{page}");
        // WebSockets are not subject to CORS; `origins` is what keeps other sites out.
        let config = builder()
            .origins(Origins::list(["http://elsewhere.test:80"]))
            .build();
        let (fx, _) = start_engine(config).await;
        assert_blocked(&visit(page, fx.addr(), "websocket", "").await);
        let config = builder()
            .origins(Origins::list([format!("127.0.0.1:{}", page.port())]))
            .build();
        let (fx, _) = start_engine(config).await;
        assert_served(&visit(page, fx.addr(), "websocket", "").await, "websocket");
        // With credentials: the origin reflected, `Access-Control-Allow-Credentials`, and the
        // sticky cookie sent back by the browser on the next requests.
        let cookies = Arc::new(AtomicUsize::new(0));
        let seen = cookies.clone();
        let cors = CorsOptions::builder()
            .origin(CorsOrigin::list([page_origin.clone()]))
            .credentials(true)
            .build();
        let config = builder()
            .cors(cors)
            .cookie(CookieOptions::default())
            .headers(move |_, req| {
                let with_cookie = req
                    .headers
                    .get("cookie")
                    .and_then(|c| c.to_str().ok())
                    .is_some_and(|c| c.contains("io="));
                if with_cookie {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build();
        let (fx, _) = start_engine(config).await;
        let result = visit(page, fx.addr(), "polling", "&credentials=1").await;
        assert_served(&result, "polling");
        assert!(
            cookies.load(Ordering::SeqCst) > 0,
            "the browser never sent the cookie"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permessage_deflate_with_chromium() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let page = page_server().await;
        let negotiated = Arc::new(AtomicUsize::new(0));
        let seen = negotiated.clone();
        let config = builder()
            .per_message_deflate(Some(PerMessageDeflate::default()))
            .headers(move |h, _| {
                if h.contains_key("sec-websocket-extensions") {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build();
        let (fx, _) = start_engine(config).await;
        // 20 KB each way: Chromium compresses what it sends, the server what it echoes.
        let result = visit(page, fx.addr(), "websocket", "&size=20000").await;
        assert_served(&result, "websocket");
        assert_eq!(negotiated.load(Ordering::SeqCst), 1);
    })
    .await;
}
