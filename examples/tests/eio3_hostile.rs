//! Hostile input, sections A to D of `hostile-inputs.md`: one test per item. Each shows the
//! refusal or the close, that nothing leaked (the session table), and that a well-behaved client
//! is served before (a fresh polling and WebSocket echo), during (a [`Bystander`] echoing over
//! both transports the whole time) and after.
//!
//! The engine is the conformance fixture's (heartbeat 300/200 ms, `allowEIO3`, CORS any origin),
//! in-process, so that tests can see its session table; a few items use other options.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use engineio::{CloseReason, EngineConfig, Forbidden, PerMessageDeflate, ServeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

const LIMIT: Duration = Duration::from_secs(40);
/// The heartbeat here: the fixture's interval, a longer timeout so that the bystander's
/// pongs are in time on a loaded machine.
const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(2000);

/// The conformance fixture's options with [`INTERVAL`] and [`TIMEOUT`].
fn config() -> EngineConfig {
    let mut c = conformance_engine_config();
    c.ping_interval = INTERVAL;
    c.ping_timeout = TIMEOUT;
    c
}

fn builder() -> engineio::EngineConfigBuilder {
    EngineConfig::builder()
        .ping_interval(INTERVAL)
        .ping_timeout(TIMEOUT)
        .allow_eio3(true)
}

macro_rules! case {
    ($(#[$meta:meta])* $name:ident, $config:expr, |$fx:ident, $engine:ident, $handler:ident| $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            with_timeout(LIMIT, async {
                let config: EngineConfig = $config;
                #[allow(unused_variables)]
                let ($fx, $engine, $handler) = engine_fixture_with(config, ServeConfig::default()).await;
                $fx.assert_still_serving().await;
                let by = bystander($fx.addr()).await;
                $body
                by.finish().await;
                $fx.assert_still_serving().await;
            })
            .await;
        }
    };
    ($(#[$meta:meta])* $name:ident, |$fx:ident, $engine:ident, $handler:ident| $body:block) => {
        case!($(#[$meta])* $name, config(), |$fx, $engine, $handler| $body);
    };
}

/// Sessions other than the bystander's two.
fn others(engine: &engineio::Engine) -> usize {
    engine.clients_count().saturating_sub(2)
}

async fn assert_ws_refused(fx: &Fixture, query: &str, status: u16, message: &str) {
    match Ws::connect(fx.addr(), &fx.path(query)).await {
        Err(WsRefused::Http(s, _, body)) => {
            assert_eq!(s, status, "{query}");
            assert_eq!(String::from_utf8_lossy(&body), message, "{query}");
        }
        other => panic!("{query}: {other:?}"),
    }
}

/// Writes raw bytes on a new connection and reads one answer (or the end).
async fn raw(fx: &Fixture, bytes: &[u8]) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(fx.addr()).await?;
    s.write_all(bytes).await?;
    timeout(STEP, read_response(&mut s, "GET"))
        .await
        .map_err(|_| std::io::Error::other("no answer"))?
}

fn text_post(session: &Polling<'_>, body: impl Into<Vec<u8>>) -> Request {
    Request::post(session.path(""), body).header("Content-Type", TEXT_PLAIN)
}

// ---- A. HTTP / handshake layer -------------------------------------------------------------

case!(a1_request_checks_allocate_nothing, |fx, engine, h| {
    let before = engine.clients_count();
    for q in ["EIO=4", "EIO=4&transport=", "EIO=4&transport=flash"] {
        fx.get(q).await.assert_error(0, "Transport unknown");
    }
    for eio in ["0", "2", "5", "x", ""] {
        fx.get(&format!("EIO={eio}&transport=polling"))
            .await
            .assert_error(5, "Unsupported protocol version");
        assert_ws_refused(
            &fx,
            &format!("EIO={eio}&transport=websocket"),
            400,
            "Unsupported protocol version",
        )
        .await;
    }
    for method in ["POST", "PUT", "DELETE", "PATCH", "HEAD"] {
        let res = fx
            .send(Request::new(
                method,
                fx.path("EIO=4&transport=polling"),
                Vec::new(),
            ))
            .await;
        if method != "HEAD" {
            res.assert_error(2, "Bad handshake method");
        } else {
            assert_eq!(res.status, 400);
        }
    }
    fx.get("EIO=4&transport=websocket")
        .await
        .assert_error(3, "Bad request");
    // An Origin with control characters never reaches the engine: hyper refuses the head.
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nOrigin: http://a\x01b\r\nConnection: close\r\n\r\n",
        fx.path("EIO=4&transport=polling")
    );
    let res = raw(&fx, req.as_bytes()).await;
    if let Ok(res) = res {
        assert_eq!(res.status, 400, "{res:?}");
    }
    assert_eq!(
        engine.clients_count(),
        before,
        "a refused request made a session"
    );
});

case!(a2_bad_sids, |fx, engine, h| {
    let long = "A".repeat(10 * 1024);
    for sid in [
        "short",
        "AAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAA",
        "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9",
        "AAAAAAAAAAAAAAAAAA%00",
        long.as_str(),
    ] {
        for eio in [3, 4] {
            let q = format!("EIO={eio}&transport=polling&sid={sid}");
            fx.get(&q).await.assert_error(1, "Session ID unknown");
            fx.post(&q, encode_payload(eio, &["4x"]))
                .await
                .assert_error(1, "Session ID unknown");
            assert_ws_refused(
                &fx,
                &format!("EIO={eio}&transport=websocket&sid={sid}"),
                400,
                "Session ID unknown",
            )
            .await;
        }
    }
    assert_eq!(others(&engine), 0);
});

case!(
    a3_hostile_upgrade_heads,
    builder()
        .per_message_deflate(Some(PerMessageDeflate::default()))
        .build(),
    |fx, engine, h| {
        let path = fx.path("EIO=4&transport=websocket");
        // More header fields than hyper's limit (100): 431, no crash.
        let many: Vec<(String, String)> = (0..150)
            .map(|i| (format!("X-H{i}"), "v".to_owned()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match raw_ws_handshake(fx.addr(), &path, &many).await {
            Ok((_, res)) => assert_eq!(res.status, 431, "{res:?}"),
            Err(e) => assert!(
                e.to_string().contains("closed") || e.kind() == std::io::ErrorKind::UnexpectedEof,
                "{e}"
            ),
        }
        // One giant header (over the 64 KiB head limit).
        let giant = "a".repeat(100 * 1024);
        if let Ok((_, res)) = raw_ws_handshake(fx.addr(), &path, &[("X-Giant", &giant)]).await {
            assert_eq!(res.status, 431, "{res:?}");
        }
        // A key that is not 16 bytes of base64: refused before any 101.
        for key in ["", "short", "!!!!!!!!!!!!!!!!!!!!!!!!", &"A".repeat(4000)] {
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            );
            let res = raw(&fx, req.as_bytes()).await.unwrap();
            assert_eq!(res.status, 400, "{key:?}: {res:?}");
            assert_eq!(res.text(), "Bad request");
        }
        // Extension offers with prototype-ish names: declined, the WebSocket works without.
        for ext in [
            "constructor",
            "__proto__",
            "permessage-deflate; __proto__",
            "permessage-deflate; constructor=1; hasOwnProperty",
            "permessage-deflate; server_max_window_bits=8",
            &format!("permessage-deflate; x={}", "y".repeat(5000)),
        ] {
            let (mut s, res) =
                raw_ws_handshake(fx.addr(), &path, &[("Sec-WebSocket-Extensions", ext)])
                    .await
                    .unwrap();
            assert_eq!(res.status, 101, "{ext}: {res:?}");
            assert!(
                res.header("sec-websocket-extensions").is_none(),
                "{ext}: {res:?}"
            );
            let open = raw_ws_read(&mut s, STEP).await.unwrap().unwrap();
            assert_eq!(open.rsv, 0);
            assert_eq!(open.payload.first(), Some(&b'0'));
        }
        eventually(Duration::from_secs(3), "sessions reaped", || {
            others(&engine) == 0
        })
        .await;
    }
);

/// Resets the connection (RST, not FIN) when dropped.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

case!(a4_resets_mid_upgrade_and_mid_body, |fx, engine, h| {
    let session = fx.open_polling(4).await;
    for _ in 0..20 {
        // Mid-upgrade: the request head is half written.
        let mut s = TcpStream::connect(fx.addr()).await.unwrap();
        s.write_all(
            format!(
                "GET {} HTTP/1.1\r\nUpgrade: websocket\r\nConn",
                session.path("")
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        reset(s);
        // Right after the 101, before any frame.
        let (s, res) = raw_ws_handshake(
            fx.addr(),
            &fx.path(&format!("EIO=4&transport=websocket&sid={}", session.sid)),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(res.status, 101);
        reset(s);
        // Mid-body: 10 of 1000 bytes.
        let mut s = TcpStream::connect(fx.addr()).await.unwrap();
        let req = text_post(&session, Vec::new()).header("Content-Length", "1000");
        s.write_all(&req.head(fx.addr())).await.unwrap();
        s.write_all(b"4aaaaaaaaa").await.unwrap();
        sleep(Duration::from_millis(5)).await;
        reset(s);
        // A WebSocket session reset mid-frame.
        let (mut s, _) = raw_ws_handshake(fx.addr(), &fx.path("EIO=4&transport=websocket"), &[])
            .await
            .unwrap();
        let frame = raw_ws_frame(true, 0, 1, true, &[b'4'; 500]);
        s.write_all(&frame[..100]).await.unwrap();
        reset(s);
    }
    // The polling session survives all of it (the aborted POSTs never delivered anything).
    session.echo("after resets").await;
    session.close().await;
    eventually(Duration::from_secs(3), "sessions reaped", || {
        others(&engine) == 0
    })
    .await;
});

case!(
    a5_origins_and_default_no_cors,
    builder()
        // Requests without an Origin (this file's own clients) count as `*`.
        .origins(engineio::Origins::predicate(|o| async move {
            o == "*" || o == "http://good.test"
        }))
        .build(),
    |fx, engine, h| {
        let q = "EIO=4&transport=polling";
        for cookie in [None, Some("io=abc; session=secret")] {
            let mut req = Request::get(fx.path(q)).header("Origin", "http://evil.test");
            if let Some(c) = cookie {
                req = req.header("Cookie", c);
            }
            fx.send(req).await.assert_error(4, "Forbidden");
            let mut headers = vec![("Origin", "http://evil.test")];
            if let Some(c) = cookie {
                headers.push(("Cookie", c));
            }
            let (_, res) =
                raw_ws_handshake(fx.addr(), &fx.path("EIO=4&transport=websocket"), &headers)
                    .await
                    .unwrap();
            assert_eq!(res.status, 400, "{res:?}");
            assert_eq!(res.text(), "Forbidden");
        }
        let ok = fx
            .send(Request::get(fx.path(q)).header("Origin", "http://good.test"))
            .await;
        assert_eq!(ok.status, 200, "{ok:?}");
        // No CORS by default: a preflight is a bad handshake, and nothing grants a page access.
        let pre = fx
            .send(
                Request::new("OPTIONS", fx.path(q), Vec::new())
                    .header("Origin", "http://good.test")
                    .header("Access-Control-Request-Method", "POST"),
            )
            .await;
        pre.assert_error(2, "Bad handshake method");
        assert!(
            pre.header("access-control-allow-origin").is_none(),
            "{pre:?}"
        );
        assert!(ok.header("access-control-allow-origin").is_none(), "{ok:?}");
        let _ = engine;
    }
);

case!(
    a6_handshake_flood_reaped_and_refused_before_allocation,
    builder()
        .allow_request(|req| {
            let refuse = req.headers.contains_key("x-flood");
            async move {
                if refuse {
                    Err(Forbidden::with_message("flood"))
                } else {
                    Ok(())
                }
            }
        })
        .build(),
    |fx, engine, h| {
        // 2000 handshakes that never poll again: all reaped by the heartbeat.
        let mut tasks = Vec::new();
        for chunk in 0..20 {
            let addr = fx.addr();
            tasks.push(tokio::spawn(async move {
                for _ in 0..100 {
                    let res = send(addr, &Request::get("/engine.io/?EIO=4&transport=polling"))
                        .await
                        .unwrap();
                    assert_eq!(res.status, 200, "{chunk}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert!(others(&engine) > 0);
        eventually(
            INTERVAL + TIMEOUT + Duration::from_secs(3),
            "flood reaped",
            || others(&engine) == 0,
        )
        .await;
        // The hook refuses before a session exists.
        for _ in 0..500 {
            fx.send(Request::get(fx.path("EIO=4&transport=polling")).header("X-Flood", "1"))
                .await
                .assert_error(4, "flood");
            assert_eq!(others(&engine), 0);
        }
    }
);

// ---- B. Polling transport --------------------------------------------------------------------

case!(b7_oversized_bodies_chunked_and_lying, |fx, engine, h| {
    let session = fx.open_polling(4).await;
    // Chunked, no length announced: refused once the limit is passed while streaming.
    let (mut rd, mut wr) = TcpStream::connect(fx.addr()).await.unwrap().into_split();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
        session.path("")
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..64 {
            let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
            c.extend_from_slice(&chunk);
            c.extend_from_slice(b"\r\n");
            if wr.write_all(&c).await.is_err() {
                break;
            }
        }
    });
    let res = timeout(STEP, read_response(&mut rd, "POST"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status, 413, "{res:?}");
    writer.abort();
    // A Content-Length over the limit: refused from the head alone.
    let res = fx
        .send(text_post(&session, b"4small".to_vec()).header("Content-Length", "2000000"))
        .await;
    assert_eq!(res.status, 413, "{res:?}");
    // A Content-Length shorter than what follows: only the announced bytes are the body; the
    // rest is a malformed next request on that connection.
    let mut s = TcpStream::connect(fx.addr()).await.unwrap();
    let mut bytes = text_post(&session, b"4hi".to_vec())
        .header("Connection", "keep-alive")
        .head(fx.addr());
    bytes.extend_from_slice(b"4hi");
    bytes.extend_from_slice(&vec![b'z'; 300_000]);
    let _ = s.write_all(&bytes).await;
    let first = timeout(STEP, read_response(&mut s, "POST"))
        .await
        .unwrap()
        .unwrap();
    first.assert_ok();
    assert_eq!(session.recv_data().await, ["4hi"]);
    session.echo("after oversized bodies").await;
    let _ = engine;
});

case!(b8_v3_payload_abuse, |fx, engine, h| {
    for body in [
        "10:4hello",
        "-1:4",
        "a:4hi",
        "2:4é€",
        "4:4é",
        ":4hi",
        "99999999999999999999:4",
    ] {
        let session = fx.open_polling(3).await;
        let res = fx.send(text_post(&session, body.as_bytes().to_vec())).await;
        assert!(matches!(res.status, 200 | 400), "{body}: {res:?}");
        session.assert_gone().await;
    }
    // UTF-16 lengths: `é€` is 2 code units, 5 bytes: accepted as such.
    let session = fx.open_polling(3).await;
    session.send(&["4é€"]).await;
    assert_eq!(session.recv_data().await, ["4é€"]);
    // 330,000 one-byte packets (just under 1 MB): past max_payload_packets, refused quickly.
    let session = fx.open_polling(3).await;
    let body = "1:6".repeat(330_000);
    let start = Instant::now();
    let res = fx.send(text_post(&session, body)).await;
    assert!(matches!(res.status, 200 | 400), "{res:?}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    session.assert_gone().await;
    // Over 1 MB of them: 413 before parsing.
    let session = fx.open_polling(3).await;
    let res = fx.send(text_post(&session, "1:6".repeat(400_000))).await;
    assert_eq!(res.status, 413);
    session.echo("after 413").await;
    let _ = engine;
});

case!(b9_v4_payload_abuse, |fx, engine, h| {
    let bodies: [&[u8]; 5] = [
        b"4a\x1e\x1e4b",
        b"4a\x1e",
        b"\x1e4a",
        b"4\xff\xfe",
        b"4a\x1e4\xc3",
    ];
    for body in bodies {
        let session = fx.open_polling(4).await;
        let res = fx.send(text_post(&session, body.to_vec())).await;
        assert!(matches!(res.status, 200 | 400), "{body:?}: {res:?}");
        session.assert_gone().await;
    }
    let _ = engine;
});

case!(b10_octet_stream_on_v4_released, |fx, engine, h| {
    for _ in 0..50 {
        let session = fx.open_polling(4).await;
        let res = fx
            .send(
                Request::post(session.path(""), b"4hello".to_vec())
                    .header("Content-Type", "application/octet-stream"),
            )
            .await;
        assert_eq!(res.status, 400, "{res:?}");
        session.assert_gone().await;
    }
    assert_eq!(others(&engine), 0);
});

case!(
    b11_concurrent_gets_and_posts_for_one_sid,
    |fx, engine, h| {
        let session = fx.open_polling(4).await;
        let path = session.path("");
        let mut tasks = Vec::new();
        for _ in 0..1000 {
            let addr = fx.addr();
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                send(addr, &Request::get(path)).await.map(|r| r.status)
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if let Ok(Ok(status)) = t.await {
                assert!(matches!(status, 200 | 400), "{status}");
                ok += usize::from(status == 200);
            }
        }
        assert!(ok <= 2, "{ok} GETs answered 200");
        session.assert_gone().await;
        // The same for POSTs whose bodies are still arriving.
        let session = fx.open_polling(4).await;
        let mut held = Vec::new();
        for _ in 0..200 {
            let mut s = TcpStream::connect(fx.addr()).await.unwrap();
            let req = text_post(&session, Vec::new()).header("Content-Length", "100");
            let _ = s.write_all(&req.head(fx.addr())).await;
            let _ = s.write_all(b"4abc").await;
            held.push(s);
        }
        session.assert_gone().await;
        drop(held);
        eventually(Duration::from_secs(3), "no session left", || {
            others(&engine) == 0
        })
        .await;
    }
);

case!(b12_base64_abuse, |fx, engine, h| {
    for body in ["b!!!!", "bA", "b====", "b\u{e9}"] {
        let session = fx.open_polling(4).await;
        let res = fx.send(text_post(&session, body.as_bytes().to_vec())).await;
        assert!(matches!(res.status, 200 | 400), "{body}: {res:?}");
        session.assert_gone().await;
    }
    // `b64=1` on protocol 4: binary goes out as `b<base64>`; valid base64 comes back as binary.
    let session = fx.open_polling_with(4, "&b64=1").await;
    session.send(&["bAQID"]).await;
    assert_eq!(session.recv_data().await, ["bAQID"]);
    let _ = engine;
});

// ---- C. WebSocket transport ------------------------------------------------------------------

/// The next server frame that is not an Engine.IO ping (pings are answered).
async fn read_data(s: &mut TcpStream) -> RawWsFrame {
    loop {
        let f = raw_ws_read(s, STEP).await.unwrap().unwrap();
        if f.opcode == 1 && f.payload == b"2" {
            s.write_all(&raw_ws_frame(true, 0, 1, true, b"3"))
                .await
                .unwrap();
            continue;
        }
        return f;
    }
}

async fn ws_session(fx: &Fixture, eio: u8) -> TcpStream {
    let (mut s, res) = raw_ws_handshake(
        fx.addr(),
        &fx.path(&format!("EIO={eio}&transport=websocket")),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(res.status, 101);
    let open = raw_ws_read(&mut s, STEP).await.unwrap().unwrap();
    assert_eq!(open.payload.first(), Some(&b'0'));
    s
}

/// Sends `bytes` on a fresh WebSocket session and expects it closed (1002 when a close frame
/// says why).
async fn ws_protocol_error(fx: &Fixture, bytes: &[u8], expected: &[u16]) {
    let mut s = ws_session(fx, 4).await;
    let _ = s.write_all(bytes).await;
    if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
        assert!(expected.contains(&code), "{bytes:?}: close {code}");
    }
}

case!(c13_protocol_violations_close_1002, |fx, engine, h| {
    let cases: Vec<Vec<u8>> = vec![
        raw_ws_frame(true, 0b010, 1, true, b"4rsv2"),
        raw_ws_frame(true, 0b001, 1, true, b"4rsv3"),
        // RSV1 without permessage-deflate negotiated.
        raw_ws_frame(true, 0b100, 1, true, b"4rsv1"),
        raw_ws_frame(true, 0, 3, true, b"reserved"),
        raw_ws_frame(true, 0, 0xB, true, b"reserved control"),
        raw_ws_frame(true, 0, 1, false, b"4unmasked"),
        raw_ws_frame(false, 0, 9, true, b"fragmented ping"),
        raw_ws_frame(true, 0, 9, true, &[b'p'; 126]),
        raw_ws_frame(true, 0, 8, true, &999u16.to_be_bytes()),
        raw_ws_frame(true, 0, 8, true, &1005u16.to_be_bytes()),
        raw_ws_frame(true, 0, 8, true, &[0x03, 0xe8, 0xc3, 0x28]),
        raw_ws_frame(true, 0, 0, true, b"continuation without start"),
    ];
    for bytes in &cases {
        ws_protocol_error(&fx, bytes, &[1002, 1007, 1000]).await;
    }
    eventually(Duration::from_secs(3), "sessions closed", || {
        others(&engine) == 0
    })
    .await;
});

case!(c14_invalid_utf8_text_1007, |fx, engine, h| {
    for payload in [&b"4\xc3\x28"[..], b"4\xff", b"4\xed\xa0\x80"] {
        let mut s = ws_session(&fx, 4).await;
        s.write_all(&raw_ws_frame(true, 0, 1, true, payload))
            .await
            .unwrap();
        if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
            assert_eq!(code, 1007);
        }
    }
    // Split across fragments too.
    let mut s = ws_session(&fx, 4).await;
    s.write_all(&raw_ws_frame(false, 0, 1, true, b"4\xe2\x82"))
        .await
        .unwrap();
    s.write_all(&raw_ws_frame(true, 0, 0, true, b"\x28"))
        .await
        .unwrap();
    raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await;
    eventually(Duration::from_secs(3), "sessions closed", || {
        others(&engine) == 0
    })
    .await;
});

case!(c15_size_and_fragment_abuse, |fx, engine, h| {
    // A frame announcing 2 MB: closed (1009) without waiting for, or buffering, its body.
    let mut s = ws_session(&fx, 4).await;
    let mut header = vec![0x81u8, 0x80 | 127];
    header.extend_from_slice(&(2_000_000u64).to_be_bytes());
    header.extend_from_slice(&[0, 0, 0, 0]);
    s.write_all(&header).await.unwrap();
    s.write_all(b"4aaaa").await.unwrap();
    let start = Instant::now();
    if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
        assert_eq!(code, 1009);
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    // Fragments adding up past the limit: 1009.
    let mut s = ws_session(&fx, 4).await;
    s.write_all(&raw_ws_frame(false, 0, 1, true, &[b'4'; 600_000]))
        .await
        .unwrap();
    let _ = s
        .write_all(&raw_ws_frame(true, 0, 0, true, &[b'a'; 600_000]))
        .await;
    if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
        assert_eq!(code, 1009);
    }
    // 100,000 one-byte fragments (100 KB, under the limit): memory is bounded by the message
    // size, not the fragment count; the message is delivered whole.
    let mut s = ws_session(&fx, 4).await;
    let mut bytes = raw_ws_frame(false, 0, 1, true, b"4");
    for _ in 0..99_999 {
        bytes.extend(raw_ws_frame(false, 0, 0, true, b"x"));
    }
    bytes.extend(raw_ws_frame(true, 0, 0, true, b""));
    s.write_all(&bytes).await.unwrap();
    let echo = read_data(&mut s).await;
    assert_eq!(echo.payload.len(), 100_000);
    // One frame written one byte per TCP segment.
    let frame = raw_ws_frame(true, 0, 1, true, &[b'4'; 300]);
    for b in &frame {
        s.write_all(std::slice::from_ref(b)).await.unwrap();
    }
    let echo = read_data(&mut s).await;
    assert_eq!(echo.payload, vec![b'4'; 300]);
    drop(s);
    eventually(Duration::from_secs(3), "sessions closed", || {
        others(&engine) == 0
    })
    .await;
});

/// A raw DEFLATE stream (fixed Huffman) of one zero byte then `copies` back-references of 258
/// bytes at distance 1: 13 bits each, so about 160 KiB inflate per compressed KiB.
fn deflate_bomb(copies: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, bits: u32) {
            self.acc |= value << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, bits: u32) {
            let mut rev = 0;
            for i in 0..bits {
                rev |= ((code >> i) & 1) << (bits - 1 - i);
            }
            self.put(rev, bits);
        }
    }
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    b.put(0, 1); // BFINAL = 0
    b.put(1, 2); // fixed Huffman
    b.code(0x30, 8); // literal 0
    for _ in 0..copies {
        b.code(0b1100_0101, 8); // length code 285: 258 bytes
        b.code(0, 5); // distance code 0: distance 1
    }
    b.code(0, 7); // end of block
    b.put(0, 7);
    b.out
}

case!(
    c16_deflate_bomb_and_threshold,
    builder()
        .per_message_deflate(Some(PerMessageDeflate::default()))
        .build(),
    |fx, engine, h| {
        let path = fx.path("EIO=4&transport=websocket");
        let offer = [(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        )];
        let (mut s, res) = raw_ws_handshake(fx.addr(), &path, &offer).await.unwrap();
        assert_eq!(res.status, 101);
        assert!(
            res.header("sec-websocket-extensions")
                .is_some_and(|e| e.starts_with("permessage-deflate")),
            "{res:?}"
        );
        let _open = raw_ws_read(&mut s, STEP).await.unwrap().unwrap();
        // Under the threshold: the echo is not compressed.
        s.write_all(&raw_ws_frame(true, 0, 1, true, b"4small"))
            .await
            .unwrap();
        let echo = read_data(&mut s).await;
        assert_eq!((echo.rsv, echo.payload.as_slice()), (0, &b"4small"[..]));
        // Over it: compressed (RSV1), and smaller than the message.
        s.write_all(&raw_ws_frame(true, 0, 1, true, &[b'4'; 5000]))
            .await
            .unwrap();
        let echo = read_data(&mut s).await;
        assert_eq!(echo.rsv, 0b100);
        assert!(echo.payload.len() < 500, "{}", echo.payload.len());
        // A 100 KB frame inflating to ~16 MB: the session closes (1009) after at most
        // maxHttpBufferSize is inflated.
        let bomb = deflate_bomb(63_000);
        assert!(bomb.len() < 110_000);
        s.write_all(&raw_ws_frame(true, 0b100, 2, true, &bomb))
            .await
            .unwrap();
        let start = Instant::now();
        if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
            assert_eq!(code, 1009);
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        eventually(Duration::from_secs(3), "bomb session closed", || {
            h.closes().contains(&CloseReason::TransportError)
        })
        .await;
        // Without negotiation, a compressed frame is a protocol error (1002), however small.
        let (mut s, res) = raw_ws_handshake(fx.addr(), &path, &[]).await.unwrap();
        assert_eq!(res.status, 101);
        assert!(res.header("sec-websocket-extensions").is_none());
        let _open = raw_ws_read(&mut s, STEP).await.unwrap().unwrap();
        s.write_all(&raw_ws_frame(true, 0b100, 2, true, &bomb))
            .await
            .unwrap();
        if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
            assert_eq!(code, 1002);
        }
        // Garbage that is not deflate: 1007.
        let (mut s, _) = raw_ws_handshake(fx.addr(), &path, &offer).await.unwrap();
        let _open = raw_ws_read(&mut s, STEP).await.unwrap().unwrap();
        s.write_all(&raw_ws_frame(true, 0b100, 1, true, &[0xff; 64]))
            .await
            .unwrap();
        if let Some(code) = raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await {
            assert_eq!(code, 1007);
        }
        eventually(Duration::from_secs(3), "sessions closed", || {
            others(&engine) == 0
        })
        .await;
    }
);

case!(c17_wrong_kinds_of_frames, |fx, engine, h| {
    // Protocol 3: a binary frame must start with the message type byte 4.
    let mut s = ws_session(&fx, 3).await;
    s.write_all(&raw_ws_frame(true, 0, 2, true, &[9, 1, 2]))
        .await
        .unwrap();
    raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await;
    // An empty text frame, and packet types outside 0..6.
    for payload in [&b""[..], b"7", b"9x", b"x"] {
        let mut s = ws_session(&fx, 4).await;
        s.write_all(&raw_ws_frame(true, 0, 1, true, payload))
            .await
            .unwrap();
        raw_ws_wait_closed(&mut s, Duration::from_secs(3)).await;
    }
    // Protocol 4: a binary frame is a binary message, even empty; a text message comes back
    // as text.
    let mut s = ws_session(&fx, 4).await;
    s.write_all(&raw_ws_frame(true, 0, 2, true, b""))
        .await
        .unwrap();
    let echo = read_data(&mut s).await;
    assert_eq!((echo.opcode, echo.payload.len()), (2, 0));
    s.write_all(&raw_ws_frame(true, 0, 2, true, b"4 not text"))
        .await
        .unwrap();
    let echo = read_data(&mut s).await;
    assert_eq!(
        (echo.opcode, echo.payload.as_slice()),
        (2, &b"4 not text"[..])
    );
    drop(s);
    eventually(Duration::from_secs(3), "sessions closed", || {
        others(&engine) == 0
    })
    .await;
});

// ---- D. Engine.IO session logic --------------------------------------------------------------

case!(d18_silent_client_reaped, |fx, engine, h| {
    let polling = fx.open_polling(4).await;
    let mut ws = ws_session(&fx, 4).await;
    let start = Instant::now();
    eventually(
        INTERVAL + TIMEOUT + Duration::from_secs(1),
        "silent sessions closed",
        || others(&engine) == 0,
    )
    .await;
    assert!(start.elapsed() >= INTERVAL + TIMEOUT - Duration::from_millis(50));
    raw_ws_wait_closed(&mut ws, Duration::from_secs(2)).await;
    polling.assert_gone().await;
    assert!(
        h.closes()
            .iter()
            .filter(|r| **r == CloseReason::PingTimeout)
            .count()
            >= 2
    );
});

case!(d19_heartbeat_storms, |fx, engine, h| {
    // Protocol 4: 10,000 unsolicited pongs in one payload, then 2,000 over a WebSocket: the
    // sessions stay, and the server still pings on its own cadence (one heartbeat per session).
    let session = fx.open_polling(4).await;
    let pongs = vec!["3"; 9_000];
    session.send(&pongs).await;
    session.echo("after pong storm").await;
    let mut s = ws_session(&fx, 4).await;
    let mut bytes = Vec::new();
    for _ in 0..2000 {
        bytes.extend(raw_ws_frame(true, 0, 1, true, b"3"));
    }
    s.write_all(&bytes).await.unwrap();
    let start = Instant::now();
    let mut pings = 0;
    while start.elapsed() < INTERVAL * 3 {
        match raw_ws_read(&mut s, Duration::from_millis(50)).await {
            Some(Ok(f)) if f.payload == b"2" => {
                pings += 1;
                s.write_all(&raw_ws_frame(true, 0, 1, true, b"3"))
                    .await
                    .unwrap();
            }
            Some(Ok(f)) => panic!("unexpected {f:?}"),
            Some(Err(e)) => panic!("closed: {e}"),
            None => {}
        }
    }
    assert!(
        (1..=4).contains(&pings),
        "{pings} pings in {:?}",
        start.elapsed()
    );
    // Protocol 3: a ping storm gets one pong each, bounded by the outbound bound.
    let v3 = fx.open_polling(3).await;
    let pings3 = vec!["2"; 5000];
    v3.send(&pings3).await;
    let got = v3.poll().await;
    assert_eq!(got.len(), 5000);
    assert!(got.iter().all(|p| p == "3"));
    v3.echo("after ping storm").await;
    // A ping from a protocol 4 client is the wrong direction: transport error.
    let bad = fx.open_polling(4).await;
    let _ = fx.send(text_post(&bad, b"2".to_vec())).await;
    bad.assert_gone().await;
    session.close().await;
    v3.close().await;
    drop(s);
    eventually(Duration::from_secs(3), "sessions closed", || {
        others(&engine) == 0
    })
    .await;
});

/// A WebSocket client that never reads (receive buffer shrunk, window closed) and sends
/// `frames` messages of 900 KB for the echo to send back.
async fn non_reader(fx: &Fixture, frames: usize) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(fx.addr()).await.unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        fx.path("EIO=4&transport=websocket")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let big = raw_ws_frame(true, 0, 1, true, &[b'4'; 900_000]);
    for _ in 0..frames {
        if timeout(Duration::from_secs(1), s.write_all(&big))
            .await
            .is_err()
        {
            break;
        }
    }
    s
}

case!(d20_half_open_websocket_closed, |fx, engine, h| {
    // A few MB to echo: the writes stall or the ping is never answered; the heartbeat closes
    // the session (`ping timeout`) although the peer's TCP connection is still up.
    let start = Instant::now();
    let s = non_reader(&fx, 4).await;
    eventually(Duration::from_secs(2), "session open", || {
        others(&engine) == 1
    })
    .await;
    eventually(
        INTERVAL + TIMEOUT + Duration::from_secs(2),
        "stuck session closed",
        || others(&engine) == 0,
    )
    .await;
    assert!(start.elapsed() >= INTERVAL + TIMEOUT - Duration::from_millis(100));
    assert!(
        h.closes().contains(&CloseReason::PingTimeout),
        "{:?}",
        h.closes()
    );
    drop(s);
    // 20 MB to echo: past max_buffer_size (16 MiB) the session closes at once with
    // `transport error`, before any heartbeat could.
    let start = Instant::now();
    let s = non_reader(&fx, 24).await;
    eventually(
        Duration::from_secs(5),
        "over-buffered session closed",
        || h.closes().contains(&CloseReason::TransportError),
    )
    .await;
    assert!(
        start.elapsed() < INTERVAL + TIMEOUT,
        "{:?}",
        start.elapsed()
    );
    eventually(Duration::from_secs(2), "sessions gone", || {
        others(&engine) == 0
    })
    .await;
    drop(s);
});

case!(
    d21_upgrade_races,
    builder()
        .ping_interval(Duration::from_secs(5))
        .ping_timeout(Duration::from_secs(5))
        .upgrade_timeout(Duration::from_millis(600))
        .build(),
    |fx, engine, h| {
        // A probe while a GET is parked: the GET gets a noop, and so does every later one.
        let session = fx.open_polling(4).await;
        let parked = {
            let path = session.path("");
            let addr = fx.addr();
            tokio::spawn(async move { send(addr, &Request::get(path)).await.unwrap() })
        };
        sleep(Duration::from_millis(50)).await;
        let mut ws = fx
            .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
            .await;
        ws.send_text("2probe").await;
        assert_eq!(ws.recv_text().await, "3probe");
        assert_eq!(parked.await.unwrap().text(), "6");
        for _ in 0..3 {
            assert_eq!(session.poll().await, ["6"]);
        }
        // A second WebSocket for the sid while probing: accepted and closed at once.
        let mut second = fx
            .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
            .await;
        second.wait_closed(Duration::from_secs(2)).await;
        // Messages queued during the upgrade arrive once, in order, on the WebSocket.
        fx.post(&session.query(), encode_payload(4, &["4one", "4two"]))
            .await
            .assert_ok();
        ws.send_text("5").await;
        let mut got = Vec::new();
        while got.len() < 2 {
            match ws.recv_data().await {
                WsFrame::Text(t) => got.push(t),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, ["4one", "4two"]);
        ws.send_text("4on ws").await;
        assert_eq!(ws.recv_data().await, WsFrame::Text("4on ws".into()));
        fx.get(&session.query())
            .await
            .assert_error(3, "Bad request");
        ws.close().await;
        // UPGRADE never sent: the probe is dropped after upgradeTimeout, polling goes on.
        let session = fx.open_polling(4).await;
        let mut ws = fx
            .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
            .await;
        ws.send_text("2probe").await;
        assert_eq!(ws.recv_text().await, "3probe");
        ws.wait_closed(Duration::from_secs(3)).await;
        session.echo("still polling").await;
        // The client closes its WebSocket right after the probe: polling goes on.
        let mut ws = fx
            .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
            .await;
        ws.send_text("2probe").await;
        assert_eq!(ws.recv_text().await, "3probe");
        ws.close().await;
        session
            .echo("still polling after the client dropped its probe")
            .await;
        session.close().await;
        eventually(Duration::from_secs(3), "sessions closed", || {
            others(&engine) == 0
        })
        .await;
    }
);

case!(d22_parked_poll_released_on_close, |fx, engine, h| {
    for server_side in [true, false] {
        let session = fx.open_polling(4).await;
        let parked = {
            let path = session.path("");
            let addr = fx.addr();
            tokio::spawn(async move { send(addr, &Request::get(path)).await.unwrap() })
        };
        sleep(Duration::from_millis(50)).await;
        let start = Instant::now();
        if server_side {
            let sid: engineio::Sid = session.sid.parse().unwrap();
            engine.socket(&sid).unwrap().close();
        } else {
            session.close().await;
        }
        let res = timeout(Duration::from_secs(1), parked)
            .await
            .unwrap()
            .unwrap();
        assert!(start.elapsed() < Duration::from_millis(500));
        assert_eq!(res.text(), if server_side { "1" } else { "6" });
        session.assert_gone().await;
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d23_shutdown_with_buffered_packets() {
    with_timeout(LIMIT, async {
        let (fx, engine, h) = engine_fixture_with(config(), ServeConfig::default()).await;
        fx.assert_still_serving().await;
        let by = bystander(fx.addr()).await;
        let addr = fx.addr();
        // Sessions with packets buffered and no poll to take them.
        let polling = fx.open_polling(4).await;
        let (mut ws, open) = fx.open_ws(4).await;
        let ours = [
            polling.sid.clone(),
            open["sid"].as_str().unwrap().to_owned(),
        ];
        let sockets: Vec<_> = engine
            .sockets()
            .into_iter()
            .filter(|s| ours.contains(&s.id().as_str().to_owned()))
            .collect();
        assert_eq!(sockets.len(), 2);
        let sent = Arc::new(AtomicUsize::new(0));
        for socket in &sockets {
            for i in 0..1000 {
                if socket.send(format!("queued {i}").into()).is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        assert!(sent.load(Ordering::Relaxed) > 0);
        drop(sockets);
        by.finish().await;
        let start = Instant::now();
        fx.shutdown().await;
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        // The polling session has no GET to take its close packet: like Node, it waits for
        // one, here up to the ping timeout, then goes.
        eventually(
            TIMEOUT + Duration::from_secs(1),
            "every session gone",
            || engine.clients_count() == 0,
        )
        .await;
        assert!(
            h.closes().iter().all(|r| *r != CloseReason::TransportError),
            "{:?}",
            h.closes()
        );
        // The WebSocket got its frames then the close; the port is free again.
        let (_, closing) = ws.wait_closed(Duration::from_secs(3)).await;
        assert!(matches!(closing, WsFrame::Close(_) | WsFrame::Ended(_)));
        let _ = polling;
        tokio::net::TcpListener::bind(addr).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a6_incomplete_heads_dropped_by_header_timeout() {
    // A client that sends a head and garbage without reading anything back must not stall the
    // server: the connection is dropped by the header read timeout or refused.
    with_timeout(LIMIT, async {
        let serve = ServeConfig::builder()
            .header_read_timeout(Duration::from_millis(500))
            .build();
        let (fx, _engine, _h) = engine_fixture_with(config(), serve).await;
        let by = bystander(fx.addr()).await;
        let mut s = TcpStream::connect(fx.addr()).await.unwrap();
        s.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let end = timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
        assert!(end.is_ok(), "incomplete head kept open");
        by.finish().await;
        fx.assert_still_serving().await;
    })
    .await;
}
