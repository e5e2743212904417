//! Who may connect and what the answers carry: `origins` (list and predicate, both transports),
//! `allow_request`, the check order, CORS preflights and simple requests, the sticky cookie,
//! the header hooks, `connection_error`; then HTTP compression, permessage-deflate with a real
//! client, the connection cap and the POST body deadline.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use engineio::http::{HeaderName, HeaderValue};
use engineio::{
    CookieOptions, CorsOptions, CorsOrigin, EngineConfig, EngineConfigBuilder, ErrorContext,
    Forbidden, HttpCompression, Origins, PerMessageDeflate, ServeConfig,
};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

const LIMIT: Duration = Duration::from_secs(30);

fn builder() -> EngineConfigBuilder {
    EngineConfig::builder()
        .ping_interval(Duration::from_millis(500))
        .ping_timeout(Duration::from_millis(2000))
        .allow_eio3(true)
}

async fn start(config: EngineConfig) -> (Fixture, engineio::Engine, Arc<EchoHandler>) {
    engine_fixture_with(config, ServeConfig::default()).await
}

fn handshake(fx: &Fixture, transport: &str) -> Request {
    Request::get(fx.path(&format!("EIO=4&transport={transport}")))
}

async fn ws_status(fx: &Fixture, query: &str, headers: &[(&str, &str)]) -> Response {
    raw_ws_handshake(fx.addr(), &fx.path(query), headers)
        .await
        .unwrap()
        .1
}

/// Every `connection_error` event, as (code, message, context).
type Events = Arc<Mutex<Vec<(u8, String, ErrorContext)>>>;

fn recording(b: EngineConfigBuilder) -> (EngineConfigBuilder, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let b = b.connection_error(move |e| {
        sink.lock()
            .unwrap()
            .push((e.code, e.message.to_owned(), e.context.clone()));
    });
    (b, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_by_list_over_both_transports() {
    with_timeout(LIMIT, async {
        let (b, events) = recording(builder().origins(Origins::list([
            "http://allowed.test:3000",
            "localhost:*",
            "*:8443",
        ])));
        let (fx, engine, _) = start(b.build()).await;
        let allowed = [
            ("Origin", "http://allowed.test:3000"),
            ("Origin", "http://localhost"),
            ("Origin", "https://localhost:1234"),
            ("Origin", "https://anything.test:8443"),
            ("Referer", "http://allowed.test:3000/app/index.html"),
        ];
        for (name, value) in allowed {
            let res = fx.send(handshake(&fx, "polling").header(name, value)).await;
            assert_eq!(res.status, 200, "{value}: {res:?}");
            let res = ws_status(&fx, "EIO=4&transport=websocket", &[(name, value)]).await;
            assert_eq!(res.status, 101, "{value}: {res:?}");
        }
        let refused: [&[(&str, &str)]; 5] = [
            &[("Origin", "http://allowed.test:3001")],
            &[("Origin", "https://allowed.test:3000")],
            &[("Origin", "null")],
            &[("Referer", "http://evil.test/")],
            &[],
        ];
        let before = engine.clients_count();
        for headers in refused {
            let mut req = handshake(&fx, "polling");
            for (k, v) in headers {
                req = req.header(k, v);
            }
            fx.send(req).await.assert_error(4, "Forbidden");
            let res = ws_status(&fx, "EIO=4&transport=websocket", headers).await;
            assert_eq!(
                (res.status, res.text().as_str()),
                (400, "Forbidden"),
                "{headers:?}"
            );
        }
        sleep(Duration::from_millis(50)).await;
        assert!(engine.clients_count() <= before + 5);
        let events = events.lock().unwrap().clone();
        assert_eq!(events.len(), 10, "{events:?}");
        assert!(events.iter().all(|(code, msg, ctx)| *code == 4
            && msg == "Forbidden"
            && matches!(ctx, ErrorContext::OriginRefused { .. })));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_by_async_predicate_and_only_on_handshakes() {
    with_timeout(LIMIT, async {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let config = builder()
            .origins(Origins::predicate(move |origin: String| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    sleep(Duration::from_millis(5)).await;
                    origin.ends_with(".good.test")
                }
            }))
            .build();
        let (fx, _engine, _) = start(config).await;
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "https://evil.test"))
            .await;
        res.assert_error(4, "Forbidden");
        let res = ws_status(
            &fx,
            "EIO=4&transport=websocket",
            &[("Origin", "https://a.good.test")],
        )
        .await;
        assert_eq!(res.status, 101);
        let res = ws_status(
            &fx,
            "EIO=4&transport=websocket",
            &[("Origin", "https://a.bad.test")],
        )
        .await;
        assert_eq!((res.status, res.text().as_str()), (400, "Forbidden"));
        // An allowed session's later requests and its upgrade are not checked again.
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "https://app.good.test"))
            .await;
        assert_eq!(res.status, 200);
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        let calls_after_handshakes = calls.load(Ordering::SeqCst);
        let q = format!("EIO=4&transport=polling&sid={sid}");
        fx.post(&q, "4hello").await.assert_ok();
        assert_eq!(fx.get(&q).await.text(), "4hello");
        let mut ws = fx.ws(&format!("EIO=4&transport=websocket&sid={sid}")).await;
        ws.send_text("2probe").await;
        assert_eq!(ws.recv_text().await, "3probe");
        ws.send_text("5").await;
        ws.send_text("4upgraded").await;
        assert_eq!(ws.recv_data().await, WsFrame::Text("4upgraded".into()));
        assert_eq!(calls.load(Ordering::SeqCst), calls_after_handshakes);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_request_refuses_with_its_message_on_handshakes_only() {
    with_timeout(LIMIT, async {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let (b, events) = recording(builder().allow_request(move |req| {
            counter.fetch_add(1, Ordering::SeqCst);
            let token = req.headers.get("x-token").cloned();
            async move {
                match token {
                    Some(t) if t == "s3cret" => Ok(()),
                    Some(_) => Err(Forbidden::with_message("bad token")),
                    None => Err(Forbidden::new()),
                }
            }
        }));
        let (fx, engine, _) = start(b.build()).await;
        let res = fx
            .send(handshake(&fx, "polling").header("X-Token", "nope"))
            .await;
        res.assert_error(4, "bad token");
        fx.send(handshake(&fx, "polling"))
            .await
            .assert_error(4, "Forbidden");
        let res = ws_status(&fx, "EIO=4&transport=websocket", &[("X-Token", "nope")]).await;
        assert_eq!((res.status, res.text().as_str()), (400, "bad token"));
        assert!(res
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")));
        assert_eq!(engine.clients_count(), 0);
        // Allowed: sessions open on both transports; their later requests are not checked.
        let (mut ws, res) = raw_ws_handshake(
            fx.addr(),
            &fx.path("EIO=4&transport=websocket"),
            &[("X-Token", "s3cret")],
        )
        .await
        .unwrap();
        assert_eq!(res.status, 101);
        let open = raw_ws_read(&mut ws, STEP).await.unwrap().unwrap();
        assert_eq!(open.payload.first(), Some(&b'0'));
        let res = fx
            .send(handshake(&fx, "polling").header("X-Token", "s3cret"))
            .await;
        assert_eq!(res.status, 200);
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        let n = calls.load(Ordering::SeqCst);
        let q = format!("EIO=4&transport=polling&sid={sid}");
        fx.post(&q, "4x").await.assert_ok();
        assert_eq!(fx.get(&q).await.text(), "4x");
        let mut up = fx.ws(&format!("EIO=4&transport=websocket&sid={sid}")).await;
        up.send_text("2probe").await;
        assert_eq!(up.recv_text().await, "3probe");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            n,
            "checked a session's own requests"
        );
        let events = events.lock().unwrap().clone();
        assert!(events.iter().any(|e| e.2
            == ErrorContext::Forbidden {
                message: Some("bad token".into())
            }));
        assert!(events
            .iter()
            .any(|e| e.2 == ErrorContext::Forbidden { message: None }));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_order_transport_sid_method_gate_protocol() {
    with_timeout(LIMIT, async {
        let (b, events) = recording(
            builder()
                .origins(Origins::list(["http://ok.test:80"]))
                .allow_request(|req| {
                    let refuse = req.headers.contains_key("x-refuse");
                    async move {
                        if refuse {
                            Err(Forbidden::with_message("hook"))
                        } else {
                            Ok(())
                        }
                    }
                }),
        );
        let (fx, _, _) = start(b.build()).await;
        let evil = ("Origin", "http://evil.test");
        let get = |q: &str| Request::get(fx.path(q)).header(evil.0, evil.1);
        // Transport first, even on a refused origin.
        fx.send(get("EIO=9&transport=carrier-pigeon"))
            .await
            .assert_error(0, "Transport unknown");
        // Then the sid.
        fx.send(get("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA"))
            .await
            .assert_error(1, "Session ID unknown");
        // Then the method and the upgrade, before the gate.
        fx.send(
            Request::post(fx.path("EIO=4&transport=polling"), b"x".to_vec()).header(evil.0, evil.1),
        )
        .await
        .assert_error(2, "Bad handshake method");
        fx.send(get("EIO=4&transport=websocket"))
            .await
            .assert_error(3, "Bad request");
        // The gate (origins, then allow_request) before the protocol.
        fx.send(get("EIO=9&transport=polling"))
            .await
            .assert_error(4, "Forbidden");
        fx.send(
            Request::get(fx.path("EIO=9&transport=polling"))
                .header("Origin", "http://ok.test")
                .header("X-Refuse", "1"),
        )
        .await
        .assert_error(4, "hook");
        fx.send(
            Request::get(fx.path("EIO=9&transport=polling")).header("Origin", "http://ok.test"),
        )
        .await
        .assert_error(5, "Unsupported protocol version");
        let codes: Vec<u8> = events.lock().unwrap().iter().map(|e| e.0).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 4, 5]);
        let contexts: Vec<ErrorContext> =
            events.lock().unwrap().iter().map(|e| e.2.clone()).collect();
        assert_eq!(
            contexts[0],
            ErrorContext::UnknownTransport {
                transport: Some("carrier-pigeon".into())
            }
        );
        assert_eq!(
            contexts[2],
            ErrorContext::BadHandshakeMethod {
                method: "POST".into()
            }
        );
        assert_eq!(
            contexts[6],
            ErrorContext::UnsupportedProtocolVersion {
                protocol: Some("9".into())
            }
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_without_cors_is_a_bad_method() {
    with_timeout(LIMIT, async {
        let (fx, _, _) = start(builder().build()).await;
        fx.send(
            Request::new("OPTIONS", fx.path("EIO=4&transport=polling"), Vec::new())
                .header("Origin", "http://page.test")
                .header("Access-Control-Request-Method", "GET"),
        )
        .await
        .assert_error(2, "Bad handshake method");
        // On an open session: neither GET nor POST, a bad request (not read as a POST).
        let session = fx.open_polling(4).await;
        let res = fx
            .send(Request::new("OPTIONS", session.path(""), b"4x".to_vec()))
            .await;
        res.assert_error(3, "Bad request");
        let res = fx
            .send(Request::new("PUT", session.path(""), b"4x".to_vec()))
            .await;
        res.assert_error(3, "Bad request");
        session.echo("still open").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_simple_errors_and_upgrades() {
    with_timeout(LIMIT, async {
        let cors = CorsOptions::builder()
            .origin(CorsOrigin::list(["http://app.test:8080"]))
            .credentials(true)
            .max_age(Duration::from_secs(600))
            .exposed_headers([HeaderName::from_static("x-served-by")])
            .build();
        let (fx, _, _) = start(builder().cors(cors).build()).await;
        let app = ("Origin", "http://app.test:8080");
        // Preflight: 204 before any check (no query at all here), with the allowed origin.
        let pre = fx
            .send(
                Request::new("OPTIONS", "/engine.io/".to_owned(), Vec::new())
                    .header(app.0, app.1)
                    .header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "content-type,x-custom"),
            )
            .await;
        assert_eq!(pre.status, 204, "{pre:?}");
        assert!(pre.body.is_empty());
        assert_eq!(pre.header("access-control-allow-origin"), Some(app.1));
        assert_eq!(pre.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            pre.header("access-control-allow-methods"),
            Some("GET,HEAD,PUT,PATCH,POST,DELETE")
        );
        assert_eq!(
            pre.header("access-control-allow-headers"),
            Some("content-type,x-custom")
        );
        assert_eq!(pre.header("access-control-max-age"), Some("600"));
        assert_eq!(
            pre.header("vary"),
            Some("Origin, Access-Control-Request-Headers")
        );
        // A disallowed origin: still 204, but nothing that lets the page read answers.
        let pre = fx
            .send(
                Request::new("OPTIONS", fx.path("EIO=4&transport=polling"), Vec::new())
                    .header("Origin", "http://evil.test"),
            )
            .await;
        assert_eq!(pre.status, 204);
        assert!(
            pre.header("access-control-allow-origin").is_none(),
            "{pre:?}"
        );
        assert!(pre.header("vary").is_some_and(|v| v.starts_with("Origin")));
        // Simple requests: the handshake, a POST, a GET, an error.
        let res = fx
            .send(handshake(&fx, "polling").header(app.0, app.1))
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("access-control-allow-origin"), Some(app.1));
        assert_eq!(
            res.header("access-control-expose-headers"),
            Some("x-served-by")
        );
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        let q = format!("EIO=4&transport=polling&sid={sid}");
        let res = fx
            .send(Request::post(fx.path(&q), b"4hi".to_vec()).header(app.0, app.1))
            .await;
        res.assert_ok();
        assert_eq!(res.header("access-control-allow-origin"), Some(app.1));
        let res = fx
            .send(Request::get(fx.path(&q)).header(app.0, app.1))
            .await;
        assert_eq!(res.text(), "4hi");
        assert_eq!(res.header("access-control-allow-origin"), Some(app.1));
        let res = fx
            .send(
                Request::get(fx.path("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA"))
                    .header(app.0, app.1),
            )
            .await;
        res.assert_error(1, "Session ID unknown");
        assert_eq!(res.header("access-control-allow-origin"), Some(app.1));
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "http://evil.test"))
            .await;
        assert_eq!(res.status, 200, "CORS is not an access check");
        assert!(res.header("access-control-allow-origin").is_none());
        // The WebSocket handshake's 101 carries them too.
        let res = ws_status(&fx, "EIO=4&transport=websocket", &[app]).await;
        assert_eq!(res.status, 101);
        assert_eq!(res.header("access-control-allow-origin"), Some(app.1));
        // The defaults: any origin as `*`.
        let (fx, _, _) = start(builder().cors(CorsOptions::default()).build()).await;
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "http://x.test"))
            .await;
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
        assert!(res.header("access-control-allow-credentials").is_none());
        // Mirror and predicate.
        let (fx, _, _) = start(
            builder()
                .cors(CorsOptions::builder().origin(CorsOrigin::mirror()).build())
                .build(),
        )
        .await;
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "http://y.test"))
            .await;
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("http://y.test")
        );
        let pred = CorsOrigin::predicate(|o| async move { o.is_some_and(|o| o.ends_with(".ok")) });
        let (fx, _, _) = start(
            builder()
                .cors(CorsOptions::builder().origin(pred).build())
                .build(),
        )
        .await;
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "http://a.ok"))
            .await;
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("http://a.ok")
        );
        let res = fx
            .send(handshake(&fx, "polling").header("Origin", "http://a.no"))
            .await;
        assert!(res.header("access-control-allow-origin").is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_on_polling_handshakes_only() {
    with_timeout(LIMIT, async {
        let (fx, _, _) = start(builder().cookie(CookieOptions::default()).build()).await;
        let res = fx.send(handshake(&fx, "polling")).await;
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        assert_eq!(
            res.header("set-cookie"),
            Some(format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str())
        );
        let q = format!("EIO=4&transport=polling&sid={sid}");
        let post = fx.post(&q, "4x").await;
        assert!(post.header("set-cookie").is_none());
        assert!(fx.get(&q).await.header("set-cookie").is_none());
        let res = ws_status(&fx, "EIO=4&transport=websocket", &[]).await;
        assert_eq!(res.status, 101);
        assert!(res.header("set-cookie").is_none(), "{res:?}");
        // Refusals set none either; options as the `cookie` package writes them.
        fx.get("EIO=5&transport=polling").await;
        let mut opts = CookieOptions::default();
        opts.name = "lb".into();
        opts.secure = true;
        opts.max_age = Some(Duration::from_secs(3600));
        let (fx, _, _) = start(builder().cookie(opts).build()).await;
        let res = fx.send(handshake(&fx, "polling")).await;
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        assert_eq!(
            res.header("set-cookie"),
            Some(
                format!("lb={sid}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax").as_str()
            )
        );
        let res = fx.get("EIO=5&transport=polling").await;
        assert!(res.header("set-cookie").is_none());
        // Off by default.
        let (fx, _, _) = start(builder().build()).await;
        assert!(fx
            .send(handshake(&fx, "polling"))
            .await
            .header("set-cookie")
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_hooks() {
    with_timeout(LIMIT, async {
        let config = builder()
            .initial_headers(|h, req| {
                assert!(!req.uri.query().unwrap_or("").contains("sid="));
                h.insert("x-initial", HeaderValue::from_static("1"));
            })
            .headers(|h, _req| {
                h.insert("x-every", HeaderValue::from_static("1"));
            })
            .build();
        let (fx, _, _) = start(config).await;
        let res = fx.send(handshake(&fx, "polling")).await;
        assert_eq!(
            (res.header("x-initial"), res.header("x-every")),
            (Some("1"), Some("1"))
        );
        let sid = parse_open(&res.text())["sid"].as_str().unwrap().to_owned();
        let q = format!("EIO=4&transport=polling&sid={sid}");
        for res in [fx.post(&q, "4x").await, fx.get(&q).await] {
            assert_eq!(res.status, 200);
            assert_eq!(
                (res.header("x-initial"), res.header("x-every")),
                (None, Some("1"))
            );
        }
        let res = ws_status(&fx, "EIO=4&transport=websocket", &[]).await;
        assert_eq!(
            (res.header("x-initial"), res.header("x-every")),
            (Some("1"), Some("1"))
        );
        let res = ws_status(&fx, &format!("EIO=4&transport=websocket&sid={sid}"), &[]).await;
        assert_eq!(res.status, 101);
        assert_eq!(
            (res.header("x-initial"), res.header("x-every")),
            (None, Some("1"))
        );
        // Not on errors.
        let res = fx
            .get("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA")
            .await;
        assert_eq!(
            (res.header("x-initial"), res.header("x-every")),
            (None, None)
        );
        let res = ws_status(&fx, "EIO=7&transport=websocket", &[]).await;
        assert_eq!(res.status, 400);
        assert_eq!(
            (res.header("x-initial"), res.header("x-every")),
            (None, None)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_and_deflate_polling_responses() {
    with_timeout(LIMIT, async {
        let (fx, _, _) = start(builder().build()).await;
        let session = fx.open_polling(4).await;
        let message = format!("4{}", "compressible ".repeat(400));
        for (accept, expected) in [
            ("gzip, deflate, br", Some("gzip")),
            ("deflate", Some("deflate")),
            ("br;q=1, gzip;q=0", None),
            ("identity", None),
        ] {
            session.send(&[&message]).await;
            let res = fx
                .send(Request::get(session.path("")).header("Accept-Encoding", accept))
                .await;
            assert_eq!(res.status, 200);
            assert_eq!(res.header("content-encoding"), expected, "{accept}");
            let body = match expected {
                Some(enc) => {
                    assert!(res.body.len() < message.len() / 5, "{}", res.body.len());
                    python_decompress(enc, &res.body)
                }
                None => res.body.clone(),
            };
            assert_eq!(String::from_utf8(body).unwrap(), message);
        }
        // Under the threshold: as is.
        session.send(&["4short"]).await;
        let res = fx
            .send(Request::get(session.path("")).header("Accept-Encoding", "gzip"))
            .await;
        assert_eq!(
            (res.header("content-encoding"), res.text().as_str()),
            (None, "4short")
        );
        // Turned off.
        let (fx, _, _) = start(builder().http_compression(None).build()).await;
        let session = fx.open_polling(4).await;
        session.send(&[&message]).await;
        let res = fx
            .send(Request::get(session.path("")).header("Accept-Encoding", "gzip"))
            .await;
        assert!(res.header("content-encoding").is_none());
        // A custom threshold.
        let (fx, _, _) = start(
            builder()
                .http_compression(Some(HttpCompression::with_threshold(10)))
                .build(),
        )
        .await;
        let session = fx.open_polling(4).await;
        session.send(&["4twenty bytes long.."]).await;
        let res = fx
            .send(Request::get(session.path("")).header("Accept-Encoding", "gzip"))
            .await;
        assert_eq!(res.header("content-encoding"), Some("gzip"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_message_deflate_with_the_node_client() {
    with_timeout(LIMIT, async {
        // Threshold 0: every message the server sends is compressed, so that the Node client
        // (the `ws` package, which offers permessage-deflate by default) inflates them all.
        let negotiated = Arc::new(AtomicUsize::new(0));
        let seen = negotiated.clone();
        let config = builder()
            .per_message_deflate(Some(PerMessageDeflate::with_threshold(0)))
            .headers(move |h, _| {
                if h.get("sec-websocket-extensions")
                    .is_some_and(|e| e.as_bytes().starts_with(b"permessage-deflate"))
                {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build();
        let (fx, _, _) = start(config).await;
        for transports in [json!(["websocket"]), json!(["polling", "websocket"])] {
            let result = run_node(
                "eio-client.js",
                &json!({
                    "url": fx.base_url(),
                    "version": 4,
                    "transports": transports,
                    "scenario": "echo",
                }),
                Duration::from_secs(15),
            )
            .await;
            assert_eq!(result["ok"], true, "{result}");
        }
        assert_eq!(
            negotiated.load(Ordering::SeqCst),
            2,
            "the client did not negotiate"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_answers_503() {
    with_timeout(LIMIT, async {
        let serve = ServeConfig::builder().max_connections(Some(4)).build();
        let (fx, _, _) = engine_fixture_with(builder().build(), serve).await;
        let mut held = Vec::new();
        for _ in 0..4 {
            let (mut ws, _) = fx.open_ws(4).await;
            ws.send_text("4held").await;
            assert_eq!(ws.recv_data().await, WsFrame::Text("4held".into()));
            held.push(ws);
        }
        for _ in 0..3 {
            let res = fx.send(handshake(&fx, "polling")).await;
            assert_eq!(res.status, 503, "{res:?}");
        }
        held.pop().unwrap().close().await;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let res = fx.send(handshake(&fx, "polling")).await;
            if res.status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "slot not freed: {res:?}");
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_post_body_gets_408() {
    with_timeout(LIMIT, async {
        let (fx, _, _) = start(builder().body_timeout(Duration::from_millis(300)).build()).await;
        let session = fx.open_polling(4).await;
        let mut s = TcpStream::connect(fx.addr()).await.unwrap();
        let req = Request::post(session.path(""), Vec::new())
            .header("Content-Type", TEXT_PLAIN)
            .header("Content-Length", "100");
        s.write_all(&req.head(fx.addr())).await.unwrap();
        s.write_all(b"4only ten").await.unwrap();
        let start = Instant::now();
        let res = timeout(Duration::from_secs(3), read_response(&mut s, "POST"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status, 408, "{res:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
        session.echo("after a 408").await;
    })
    .await;
}
