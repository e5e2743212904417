//! Bad input, one test each: the exact answer, the offending session closed (or the request
//! refused), and another client still served afterwards (a fresh polling session and a fresh
//! WebSocket session each echo).
//!
//! Tests marked "ours only" assert where this project deliberately differs from Node (see
//! "Ours:" in node-behaviour.md) and return early against the Node reference.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

const LIMIT: Duration = Duration::from_secs(30);

macro_rules! case {
    ($(#[$meta:meta])* $name:ident, |$fx:ident| $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            with_timeout(LIMIT, async {
                #[allow(unused_mut)]
                let mut $fx = engineio_fixture().await;
                $body
                $fx.assert_still_serving().await;
            })
            .await;
        }
    };
}

/// A WebSocket handshake refused before any `101`: status 400, `text/html`, the message as the
/// body.
async fn assert_ws_refused(fx: &Fixture, query: &str, message: &str) {
    match Ws::connect(fx.addr(), &fx.path(query)).await {
        Err(WsRefused::Http(status, content_type, body)) => {
            assert_eq!(status, 400, "{query}");
            assert!(
                content_type
                    .as_deref()
                    .is_some_and(|ct| ct.starts_with("text/html")),
                "{query}: content-type {content_type:?}"
            );
            assert_eq!(String::from_utf8_lossy(&body), message, "{query}");
        }
        Err(other) => panic!("{query}: {other:?}"),
        Ok(_) => panic!("{query}: WebSocket accepted"),
    }
}

/// A POST whose answer we do not pin (the spec says only that the session closes), then the
/// session must be gone.
async fn post_then_gone(fx: &Fixture, session: &Polling<'_>, req: Request) -> Option<Response> {
    let res = fx.try_send(req).await.ok();
    if let Some(res) = &res {
        assert!(matches!(res.status, 200 | 400), "{res:?}");
    }
    session.assert_gone().await;
    res
}

fn text_post(session: &Polling<'_>, body: impl Into<Vec<u8>>) -> Request {
    Request::post(session.path(""), body).header("Content-Type", TEXT_PLAIN)
}

// ---- request checks ---------------------------------------------------------------------------

case!(unknown_sid_polling, |fx| {
    for eio in [3, 4] {
        let q = format!("EIO={eio}&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA");
        fx.get(&q).await.assert_error(1, "Session ID unknown");
        fx.post(&q, encode_payload(eio, &["4hello"]))
            .await
            .assert_error(1, "Session ID unknown");
    }
});

case!(unknown_sid_websocket, |fx| {
    assert_ws_refused(
        &fx,
        "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA",
        "Session ID unknown",
    )
    .await;
});

case!(
    /// Ours only: Node with `allowEIO3` opens a protocol 3 session when `EIO` is missing.
    missing_eio,
    |fx| {
        if !is_node_reference() {
            fx.get("transport=polling")
                .await
                .assert_error(5, "Unsupported protocol version");
            assert_ws_refused(&fx, "transport=websocket", "Unsupported protocol version").await;
        }
    }
);

case!(
    /// Ours only: only `EIO=3` (allowed here) and `EIO=4` exist; Node reads any other value as 3.
    bad_eio,
    |fx| {
        if !is_node_reference() {
            for eio in ["5", "2", "abc", "", "4.0", "04", "3%20"] {
                fx.get(&format!("EIO={eio}&transport=polling"))
                    .await
                    .assert_error(5, "Unsupported protocol version");
                assert_ws_refused(
                    &fx,
                    &format!("EIO={eio}&transport=websocket"),
                    "Unsupported protocol version",
                )
                .await;
            }
        }
    }
);

case!(unknown_transport, |fx| {
    for q in [
        "EIO=4&transport=flashsocket",
        "EIO=4&transport=",
        "EIO=4&transport=Polling",
        "EIO=4",
    ] {
        fx.get(q).await.assert_error(0, "Transport unknown");
    }
    // Checked before the sid, so even an existing session gets code 0.
    let session = fx.open_polling(4).await;
    fx.get(&format!("EIO=4&transport=webtransport&sid={}", session.sid))
        .await
        .assert_error(0, "Transport unknown");
    assert_ws_refused(&fx, "EIO=4&transport=flashsocket", "Transport unknown").await;
    session.echo("still here").await;
});

case!(websocket_transport_on_plain_get, |fx| {
    fx.get("EIO=4&transport=websocket")
        .await
        .assert_error(3, "Bad request");
});

case!(transport_differs_from_session, |fx| {
    let session = fx.open_polling(4).await;
    // A plain GET naming the other transport, without an upgrade.
    fx.get(&format!("EIO=4&transport=websocket&sid={}", session.sid))
        .await
        .assert_error(3, "Bad request");
    session.echo("still here").await;
});

case!(
    /// Ours only: JSONP polling (`j=`) is not supported (Node still serves it).
    jsonp_refused,
    |fx| {
        if !is_node_reference() {
            fx.get("EIO=4&transport=polling&j=0")
                .await
                .assert_error(3, "Bad request");
        }
    }
);

// ---- WebSocket upgrade for a session that is not there ------------------------------------------

case!(websocket_upgrade_for_closed_session, |fx| {
    let session = fx.open_polling(4).await;
    session.close().await;
    session.assert_gone().await;
    assert_ws_refused(
        &fx,
        &format!("EIO=4&transport=websocket&sid={}", session.sid),
        "Session ID unknown",
    )
    .await;
});

case!(websocket_upgrade_for_timed_out_session, |fx| {
    let session = fx.open_polling(4).await;
    sleep(PING_INTERVAL + PING_TIMEOUT + Duration::from_millis(100)).await;
    assert_ws_refused(
        &fx,
        &format!("EIO=4&transport=websocket&sid={}", session.sid),
        "Session ID unknown",
    )
    .await;
});

// ---- overlapping requests -----------------------------------------------------------------------

case!(overlapping_gets, |fx| {
    let session = fx.open_polling(4).await;
    let first = session.get();
    let second = async {
        sleep(Duration::from_millis(50)).await;
        session.get().await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(second.status, 400, "{second:?}");
    assert!(second.body.is_empty(), "{second:?}");
    assert_eq!(
        (first.status, first.text().as_str()),
        (200, "1"),
        "{first:?}"
    );
    session.assert_gone().await;
});

case!(overlapping_posts, |fx| {
    let session = fx.open_polling(4).await;
    // The first POST announces 100 bytes and sends 6: its body is still being read.
    let mut first = TcpStream::connect(fx.addr()).await.unwrap();
    let mut req = text_post(&session, "4hello").header("Content-Length", "100");
    req.body = b"4hello".to_vec();
    first
        .write_all(&[req.head(fx.addr()), req.body.clone()].concat())
        .await
        .unwrap();
    sleep(Duration::from_millis(50)).await;
    let second = session.post("4world").await;
    assert_eq!(second.status, 400, "{second:?}");
    assert!(second.body.is_empty(), "{second:?}");
    session.assert_gone().await;
    drop(first);
});

// ---- body limits ----------------------------------------------------------------------------------

/// POSTs `len` bytes of `4aaaa...` announcing `len` with Content-Length, writing the body while
/// reading the answer (the server may answer before reading it all).
async fn post_big(fx: &Fixture, session: &Polling<'_>, len: usize) -> Response {
    let stream = TcpStream::connect(fx.addr()).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let mut req = text_post(session, Vec::new()).header("Content-Length", &len.to_string());
    req.body.clear();
    let head = req.head(fx.addr());
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&head).await;
        let mut body = vec![b'a'; len];
        body[0] = b'4';
        for chunk in body.chunks(64 * 1024) {
            if wr.write_all(chunk).await.is_err() {
                break;
            }
        }
        wr
    });
    let res = timeout(STEP, read_response(&mut rd, "POST"))
        .await
        .expect("no answer to the big POST")
        .unwrap();
    let _ = timeout(STEP, writer).await;
    res
}

case!(body_over_limit_413, |fx| {
    let session = fx.open_polling(4).await;
    let res = post_big(&fx, &session, MAX_PAYLOAD + 1).await;
    assert_eq!(res.status, 413, "{res:?}");
    assert!(res.body.is_empty(), "{res:?}");
    // The session survives.
    session.echo("after 413").await;
});

case!(body_at_limit_accepted, |fx| {
    let session = fx.open_polling(4).await;
    let res = post_big(&fx, &session, MAX_PAYLOAD).await;
    res.assert_ok();
    let data = session.recv_data().await;
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].len(), MAX_PAYLOAD);
});

case!(
    /// Ours only: after a 413, at most the limit is read and the connection is closed rather
    /// than drained.
    body_over_limit_closes_undrained_connection,
    |fx| {
        if !is_node_reference() {
            let session = fx.open_polling(4).await;
            let (mut rd, mut wr) = TcpStream::connect(fx.addr()).await.unwrap().into_split();
            let req = text_post(&session, Vec::new()).header("Content-Length", "5000000");
            let head = req.head(fx.addr());
            // Write the head and just over the limit, concurrently with reading (the server
            // may answer from the Content-Length alone); keep the write half open after, so
            // that only the server can end the connection.
            let writer = tokio::spawn(async move {
                let _ = wr.write_all(&head).await;
                let mut body = vec![b'a'; MAX_PAYLOAD + 1];
                body[0] = b'4';
                for chunk in body.chunks(64 * 1024) {
                    if wr.write_all(chunk).await.is_err() {
                        break;
                    }
                }
                wr
            });
            let res = timeout(STEP, read_response(&mut rd, "POST"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(res.status, 413, "{res:?}");
            let _wr = timeout(STEP, writer).await.unwrap().unwrap();
            // The other 4 MB are never sent: the server must not wait for them. The end of
            // the connection shows as EOF or a reset.
            let mut rest = Vec::new();
            let end = timeout(
                Duration::from_secs(2),
                tokio::io::AsyncReadExt::read_to_end(&mut rd, &mut rest),
            )
            .await;
            assert!(end.is_ok(), "connection kept open after the 413");
            session.echo("after 413").await;
        }
    }
);

case!(websocket_message_over_limit, |fx| {
    let (mut ws, open) = fx.open_ws(4).await;
    let sid = open["sid"].as_str().unwrap().to_owned();
    let big = format!("4{}", "a".repeat(MAX_PAYLOAD));
    ws.send_text(&big).await;
    let (_, closing) = ws.wait_closed(Duration::from_secs(3)).await;
    if let WsFrame::Close(Some((code, _))) = closing {
        assert_eq!(code, 1009, "close code");
    }
    fx.get(&format!("EIO=4&transport=polling&sid={sid}"))
        .await
        .assert_error(1, "Session ID unknown");
});

// ---- malformed payloads -------------------------------------------------------------------------

case!(truncated_v4_payload_empty_packet, |fx| {
    // A payload whose last record is empty (cut after the separator).
    let session = fx.open_polling(4).await;
    post_then_gone(&fx, &session, text_post(&session, "4hello\x1e")).await;
});

case!(empty_v4_payload, |fx| {
    let session = fx.open_polling(4).await;
    post_then_gone(&fx, &session, text_post(&session, "")).await;
});

case!(empty_v3_payload, |fx| {
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "")).await;
});

case!(
    /// Ours only: Node's XHR2 decoder slices what is there and delivers `4ab`.
    truncated_v3_xhr2_payload,
    |fx| {
        if !is_node_reference() {
            // The record announces 10 bytes; 3 follow.
            let session = fx.open_polling(3).await;
            let body = vec![0x00, 0x01, 0x00, 0xFF, b'4', b'a', b'b'];
            post_then_gone(
                &fx,
                &session,
                Request::post(session.path(""), body)
                    .header("Content-Type", "application/octet-stream"),
            )
            .await;
        }
    }
);

case!(truncated_v3_xhr2_length, |fx| {
    // Length digits with no FF terminator.
    let session = fx.open_polling(3).await;
    post_then_gone(
        &fx,
        &session,
        Request::post(session.path(""), vec![0x00, 0x01, 0x00])
            .header("Content-Type", "application/octet-stream"),
    )
    .await;
});

case!(v3_length_prefix_longer_than_body, |fx| {
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "10:4hello")).await;
});

case!(v3_length_prefix_not_a_number, |fx| {
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "a:4hello")).await;
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "4hello")).await;
});

case!(
    /// Ours only: Node's base64 decoding ignores invalid characters.
    invalid_base64_polling,
    |fx| {
        if !is_node_reference() {
            let session = fx.open_polling(4).await;
            post_then_gone(&fx, &session, text_post(&session, "b!!!!")).await;
            let session = fx.open_polling(3).await;
            post_then_gone(&fx, &session, text_post(&session, "6:b4!!!!")).await;
        }
    }
);

case!(invalid_utf8_in_websocket_text_frame, |fx| {
    let (mut ws, open) = fx.open_ws(4).await;
    let sid = open["sid"].as_str().unwrap().to_owned();
    ws.send_raw_text(&[b'4', 0xC3, 0x28, 0xFF]).await;
    let (_, closing) = ws.wait_closed(Duration::from_secs(3)).await;
    if let WsFrame::Close(Some((code, _))) = closing {
        assert_eq!(code, 1007, "close code");
    }
    fx.get(&format!("EIO=4&transport=polling&sid={sid}"))
        .await
        .assert_error(1, "Session ID unknown");
});

case!(unknown_packet_type_polling, |fx| {
    for body in ["9hello", "7", "4hello\x1ex"] {
        let session = fx.open_polling(4).await;
        post_then_gone(&fx, &session, text_post(&session, body)).await;
    }
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "6:9hello")).await;
});

case!(unknown_packet_type_websocket, |fx| {
    for eio in [3, 4] {
        let (mut ws, open) = fx.open_ws(eio).await;
        let sid = open["sid"].as_str().unwrap().to_owned();
        ws.send_text("9hello").await;
        ws.wait_closed(Duration::from_secs(2)).await;
        fx.get(&format!("EIO={eio}&transport=polling&sid={sid}"))
            .await
            .assert_error(1, "Session ID unknown");
    }
});

case!(v4_octet_stream_post_refused, |fx| {
    // XHR2 payloads exist only in protocol 3.
    let session = fx.open_polling(4).await;
    let res = fx
        .send(
            Request::post(session.path(""), b"4hello".to_vec())
                .header("Content-Type", "application/octet-stream"),
        )
        .await;
    assert_eq!(res.status, 400, "{res:?}");
    session.assert_gone().await;
});

case!(v4_client_ping_closes_session, |fx| {
    // Protocol 4: only the server pings.
    let session = fx.open_polling(4).await;
    post_then_gone(&fx, &session, text_post(&session, "2")).await;
    let (mut ws, open) = fx.open_ws(4).await;
    let sid = open["sid"].as_str().unwrap().to_owned();
    ws.send_text("2").await;
    ws.wait_closed(Duration::from_secs(2)).await;
    fx.get(&format!("EIO=4&transport=polling&sid={sid}"))
        .await
        .assert_error(1, "Session ID unknown");
});

case!(v3_client_pong_closes_session, |fx| {
    // Protocol 3: only the client pings, so a pong from it is the wrong direction.
    let session = fx.open_polling(3).await;
    post_then_gone(&fx, &session, text_post(&session, "1:3")).await;
});

// ---- upgrades that do not complete ------------------------------------------------------------

case!(upgrade_probe_never_completes, |fx| {
    let session = fx.open_polling(4).await;
    let mut ws = fx
        .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
        .await;
    ws.send_text("2probe").await;
    assert_eq!(ws.recv_text().await, "3probe");
    // No `5`: the session stays on polling (answering its pings there) until upgradeTimeout
    // (10 s) drops the probing WebSocket.
    let start = Instant::now();
    let mut ws_closed = false;
    while start.elapsed() < Duration::from_secs(14) {
        let packets = session.poll().await;
        for p in &packets {
            match p.as_str() {
                "2" => session.send(&["3"]).await,
                "6" => {}
                other => panic!("unexpected {other:?} during the probe"),
            }
        }
        if let Some(frame) = ws.recv_within(Duration::from_millis(1)).await {
            assert!(
                matches!(frame, WsFrame::Close(_) | WsFrame::Ended(_)),
                "{frame:?}"
            );
            ws_closed = true;
            break;
        }
    }
    assert!(ws_closed, "probing WebSocket still open after 14 s");
    assert!(
        start.elapsed() >= Duration::from_secs(9),
        "{:?}",
        start.elapsed()
    );
    session.echo("still polling").await;
});

case!(upgrade_aborted_by_other_packet_on_probe, |fx| {
    let session = fx.open_polling(4).await;
    let mut ws = fx
        .ws(&format!("EIO=4&transport=websocket&sid={}", session.sid))
        .await;
    ws.send_text("2probe").await;
    assert_eq!(ws.recv_text().await, "3probe");
    ws.send_text("4hello").await;
    let (_, _) = ws.wait_closed(Duration::from_secs(2)).await;
    // The session stays on polling.
    session.echo("still polling").await;
});
