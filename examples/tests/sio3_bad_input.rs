//! Hostile input over Socket.IO protocol 4 (Engine.IO 3: socket.io-client 2.x's wire),
//! sections E to G of `hostile-inputs.md`, plus the issue's own cases: `40/nsp?` with a 1 MB
//! query, malformed `b4` packets, an XHR2 payload with a wrong length. Each case checks the
//! outcome (the connection closed, or the input ignored and the connection alive) and that a
//! bystander is still served.
//!
//! Raw clients speak protocol 3 by hand: over WebSocket each message is one frame; over
//! polling the payload is `<length>:<packet>` (text, `b4<base64>` for binary with `b64=1`) or
//! XHR2 bytes. The server is the conformance fixture's Socket.IO part with a slow heartbeat,
//! since a protocol 3 client must ping and these raw clients mostly do not.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sio3_common::*;
use sio_common::{parse_message, with_timeout, Frame, SioWs, STEP};

/// The fixture's Socket.IO handlers (`/`, `/custom`, `/restricted`) with a 10 s heartbeat.
async fn server() -> Served {
    let options = examples::conformance::Options {
        ping_interval: Duration::from_secs(10),
        ping_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    serve(examples::conformance::socketio_server(&options).expect("no Redis URL")).await
}

/// A raw protocol 3 WebSocket session, in `/` (its open packet and `40` read).
async fn v3_ws_plain(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=3&transport=websocket")
        .await
        .unwrap();
    let open = ws.recv_text().await;
    assert!(open.starts_with("0{"), "{open}");
    assert_eq!(ws.recv_text().await, "40", "protocol 4: in `/` at once");
    ws
}

/// [`v3_ws_plain`] on the fixture, its greeting read too.
async fn v3_ws(addr: SocketAddr) -> SioWs {
    let mut ws = v3_ws_plain(addr).await;
    assert_eq!(
        ws.recv_text().await,
        r#"42["auth",{}]"#,
        "the fixture's greeting"
    );
    ws
}

/// A bystander: a fresh protocol 3 session gets its `message-back`.
async fn bystander(addr: SocketAddr) {
    let mut ws = v3_ws(addr).await;
    ws.send_text(r#"42["message","still there"]"#).await;
    assert_eq!(ws.recv_text().await, r#"42["message-back","still there"]"#);
    ws.close().await;
}

/// The connection closes: a ping sent after the bad input is never answered.
async fn assert_closed_now(ws: &mut SioWs, what: &str) {
    ws.try_send(tungstenite_text("2")).await;
    loop {
        match ws.recv_within(STEP).await {
            None => panic!("{what}: still open after {STEP:?}"),
            Some(Frame::Text(t)) if t == "3" => panic!("{what}: the connection is still open"),
            Some(f) if f.is_close() => return,
            Some(_) => {}
        }
    }
}

/// The connection stays: a ping gets its pong.
async fn assert_alive(ws: &mut SioWs, what: &str) {
    ws.send_text("2").await;
    loop {
        match ws.recv_within(STEP).await {
            None => panic!("{what}: no pong"),
            Some(Frame::Text(t)) if t == "3" => return,
            Some(f) if f.is_close() => panic!("{what}: closed ({f:?})"),
            Some(_) => {}
        }
    }
}

fn tungstenite_text(s: &str) -> tokio_tungstenite::tungstenite::Message {
    tokio_tungstenite::tungstenite::Message::text(s)
}

enum Input {
    Text(String),
    Binary(Vec<u8>),
}

fn t(s: impl Into<String>) -> Input {
    Input::Text(s.into())
}

async fn send(ws: &mut SioWs, input: &[Input]) {
    for i in input {
        match i {
            Input::Text(s) => {
                ws.try_send(tungstenite_text(s)).await;
            }
            Input::Binary(b) => {
                ws.try_send(tokio_tungstenite::tungstenite::Message::binary(b.clone()))
                    .await;
            }
        }
    }
}

fn placeholder(num: &str) -> String {
    format!(r#"451-["a",{{"_placeholder":true,"num":{num}}}]"#)
}

/// E (decoder), F (invalid states): each closes the whole connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_and_invalid_states_close_the_connection() {
    with_timeout(Duration::from_secs(90), async {
        let s = server().await;
        let deep = format!("42{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let cases: Vec<(&str, Vec<Input>)> = vec![
            // E.24: truncated or garbled headers.
            ("binary type, nothing else", vec![t("45")]),
            ("binary type, bare dash", vec![t("45-")]),
            ("binary type, letters", vec![t("45abc-")]),
            ("attachment count without dash", vec![t("451")]),
            (
                "namespace without comma, not joined",
                vec![t(r#"42/nsp["a"]"#)],
            ),
            (
                "400-digit ack id",
                vec![t(format!(r#"42{}["a"]"#, "9".repeat(400)))],
            ),
            ("negative ack id", vec![t(r#"42-1["a"]"#)]),
            ("unterminated JSON", vec![t("42[")]),
            ("trailing garbage", vec![t(r#"42["a"]x"#)]),
            ("unknown type", vec![t("47")]),
            // E.25: payload shapes.
            ("event not an array", vec![t(r#"42{"a":1}"#)]),
            ("empty event", vec![t("42[]")]),
            ("object as event name", vec![t(r#"42[{}]"#)]),
            ("null event name", vec![t("42[null]")]),
            ("reserved name connect", vec![t(r#"42["connect"]"#)]),
            ("reserved name disconnect", vec![t(r#"42["disconnect"]"#)]),
            ("ack not an array", vec![t(r#"431{}"#)]),
            ("CONNECT_ERROR from a client", vec![t(r#"44"nope""#)]),
            // E.26: attachment counts.
            (
                "13-digit attachment count",
                vec![t(r#"459999999999999-["a"]"#)],
            ),
            ("exponent attachment count", vec![t(r#"451e3-["a"]"#)]),
            ("11 attachments, past the limit", vec![t(r#"4511-["a"]"#)]),
            ("zero attachments", vec![t(r#"450-["a"]"#)]),
            // E.27, E.28: placeholders and attachment order.
            (
                "placeholder past the attachments",
                vec![t(placeholder("1")), Input::Binary(vec![4, 1])],
            ),
            (
                "negative placeholder",
                vec![t(placeholder("-1")), Input::Binary(vec![4, 1])],
            ),
            (
                "string placeholder",
                vec![t(placeholder(r#""0""#)), Input::Binary(vec![4, 1])],
            ),
            (
                "binary with nothing pending",
                vec![Input::Binary(vec![4, 1, 2, 3])],
            ),
            (
                "text while an attachment is pending",
                vec![t(placeholder("0")), t(r#"42["x"]"#)],
            ),
            // E.29: binary for a namespace not joined.
            (
                "binary event for a namespace not joined",
                vec![
                    t(r#"451-/custom,["a",{"_placeholder":true,"num":0}]"#),
                    Input::Binary(vec![4, 9]),
                ],
            ),
            // E.30: nesting far past the decoder's limit.
            ("100,000 levels of nesting", vec![t(deep)]),
            // F.33: invalid states.
            ("CONNECT to `/` again", vec![t("40")]),
            (
                "CONNECT to a namespace twice",
                vec![t("40/custom,"), t("40/custom,")],
            ),
            (
                "DISCONNECT for a namespace never joined",
                vec![t("41/custom,")],
            ),
            (
                "event for a namespace not joined",
                vec![t(r#"42/custom,["message"]"#)],
            ),
        ];
        for (what, input) in cases {
            let mut ws = v3_ws(s.addr).await;
            send(&mut ws, &input).await;
            assert_closed_now(&mut ws, what).await;
        }
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

/// Inputs that are ignored or routed safely: the connection stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harmless_inputs_keep_the_connection() {
    with_timeout(LIMIT, async {
        let s = server().await;
        let cases: Vec<(&str, Vec<Input>)> = vec![
            // F.36: acks for unknown ids, twice.
            ("unknown ack id", vec![t(r#"43999["x"]"#), t(r#"43999["x"]"#)]),
            // `error` is not reserved (CVE-2024-38355 concerns the handler, not the name).
            ("event named error", vec![t(r#"42["error","x"]"#)]),
            // A repeated placeholder is the same buffer twice, as in Node.
            (
                "same placeholder twice",
                vec![
                    t(r#"451-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#),
                    Input::Binary(vec![4, 7]),
                ],
            ),
            // An event nobody listens to.
            ("unhandled event", vec![t(r#"42["nobody-listens",1]"#)]),
        ];
        for (what, input) in cases {
            let mut ws = v3_ws(s.addr).await;
            send(&mut ws, &input).await;
            assert_alive(&mut ws, what).await;
        }
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

/// `40/custom?` with a query of about 1 MB (socket.io-client 2.x's `query` option): answered,
/// and as Node's `querystring` only the first 1,000 pieces become the auth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_1mb_query() {
    with_timeout(LIMIT, async {
        let s = server().await;
        for (what, query) in [
            ("many keys", "k=v&".repeat(240_000)),
            ("one huge value", format!("token={}", "x".repeat(990_000))),
            ("one huge key", format!("{}=1", "y".repeat(990_000))),
        ] {
            let mut ws = v3_ws(s.addr).await;
            ws.send_text(&format!("40/custom?{query},")).await;
            assert_eq!(ws.recv_text().await, "40/custom,", "{what}");
            let auth = parse_message(&ws.recv_text().await);
            assert_eq!(auth.nsp, "/custom");
            let auth = &auth.data.unwrap()[1];
            let keys = auth.as_object().unwrap().len();
            assert!(keys <= 1000, "{what}: {keys} keys");
            if what == "one huge value" {
                assert_eq!(auth["token"].as_str().unwrap().len(), 990_000);
            }
            assert_alive(&mut ws, what).await;
            ws.close().await;
        }
        // Over the limit (`maxHttpBufferSize`, 1e6): the WebSocket closes (1009).
        let mut ws = v3_ws(s.addr).await;
        ws.try_send(tungstenite_text(&format!(
            "40/custom?q={}",
            "z".repeat(1_000_100)
        )))
        .await;
        loop {
            match ws.recv_within(STEP).await {
                Some(f) if f.is_close() => break,
                Some(_) => {}
                None => panic!("still open"),
            }
        }
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Polling

/// Opens a protocol 3 polling session (`b64=1` as socket.io-client 2.x in Node); returns its
/// sid once `/`'s `40` is read.
async fn v3_polling(addr: SocketAddr, b64: bool) -> String {
    let q = if b64 { "&b64=1" } else { "" };
    let res = http_request(
        addr,
        "GET",
        &format!("/socket.io/?EIO=3&transport=polling{q}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    let body = String::from_utf8(res.body).unwrap();
    let (_, open) = body.split_once(':').unwrap();
    let open: Value = serde_json::from_str(&open[1..open.find('}').unwrap() + 1]).unwrap();
    let sid = open["sid"].as_str().unwrap().to_owned();
    // `40`, then the fixture's greeting, in one or two polls.
    let mut seen = String::new();
    while !seen.contains(r#"42["auth",{}]"#) {
        let res = poll(addr, &sid).await;
        assert_eq!(res.status, 200, "{res:?}");
        seen.push_str(&String::from_utf8_lossy(&res.body));
    }
    assert!(seen.starts_with("2:40"), "{seen}");
    sid
}

async fn poll(addr: SocketAddr, sid: &str) -> HttpResponse {
    http_request(
        addr,
        "GET",
        &format!("/socket.io/?EIO=3&transport=polling&sid={sid}"),
        &[],
        b"",
    )
    .await
}

async fn post(addr: SocketAddr, sid: &str, content_type: &str, body: &[u8]) -> HttpResponse {
    http_request(
        addr,
        "POST",
        &format!("/socket.io/?EIO=3&transport=polling&sid={sid}"),
        &[("Content-Type", content_type)],
        body,
    )
    .await
}

/// A protocol 3 text payload: `<UTF-16 length>:<packet>` per packet.
fn payload(packets: &[&str]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// The session is gone: a poll gets 400, or a close packet then 400.
async fn assert_session_gone(addr: SocketAddr, sid: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: session still open"
        );
        let res = poll(addr, sid).await;
        if res.status == 400 {
            return;
        }
        let body = String::from_utf8_lossy(&res.body).into_owned();
        if body.ends_with(":1") {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_b4_packets() {
    with_timeout(LIMIT, async {
        let s = server().await;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let binary_without_pending = format!("b4{}", b64(&[1, 2, 3]));
        let placeholder_then_text = placeholder("0");
        let cases: Vec<(&str, String)> = vec![
            // Binary for no pending packet: a Socket.IO decode error.
            (
                "b4 with nothing pending",
                payload(&[&binary_without_pending]),
            ),
            ("empty b4", payload(&["b4"])),
            (
                "b4 then text while pending",
                payload(&[&placeholder_then_text, "42[\"x\"]"]),
            ),
            // Not base64, or a `b` with a type other than message: an Engine.IO decode error.
            ("b4 not base64", payload(&["b4!!!!"])),
            ("b without a type", payload(&["b"])),
            ("b with a bad type", payload(&["b9AAAA"])),
        ];
        for (what, body) in cases {
            let sid = v3_polling(s.addr, true).await;
            let res = post(s.addr, &sid, "text/plain;charset=UTF-8", body.as_bytes()).await;
            assert!(matches!(res.status, 200 | 400), "{what}: {res:?}");
            assert_session_gone(s.addr, &sid, what).await;
        }
        // A good `b4` attachment is delivered (the event echoes it).
        let sid = v3_polling(s.addr, true).await;
        let event = r#"451-["message",{"_placeholder":true,"num":0}]"#;
        let attachment = format!("b4{}", b64(&[9, 9]));
        let res = post(
            s.addr,
            &sid,
            "text/plain;charset=UTF-8",
            payload(&[event, &attachment]).as_bytes(),
        )
        .await;
        assert_eq!(res.status, 200);
        let res = poll(s.addr, &sid).await;
        let body = String::from_utf8_lossy(&res.body).into_owned();
        assert!(
            body.contains(r#"451-["message-back",{"_placeholder":true,"num":0}]"#),
            "{body}"
        );
        assert!(body.contains(&format!("b4{}", b64(&[9, 9]))), "{body}");
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

/// XHR2 payloads (`application/octet-stream`): records `<0|1><length digits>0xFF<data>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xhr2_payload_with_a_wrong_length() {
    with_timeout(LIMIT, async {
        let s = server().await;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("length past the end", vec![0, 9, 9, 0xFF, b'4', b'2', b'[']),
            ("length digit out of range", vec![0, 12, 0xFF, b'4']),
            ("no 0xFF", vec![0, 2, b'4', b'2']),
            ("bad record type", vec![7, 1, 0xFF, b'4']),
            ("zero length then garbage", vec![0, 0, 0xFF, 0xFF, 0xFF]),
            (
                "311 length digits",
                [vec![0], vec![9; 311], vec![0xFF, b'4']].concat(),
            ),
        ];
        for (what, body) in cases {
            let sid = v3_polling(s.addr, false).await;
            let res = post(s.addr, &sid, "application/octet-stream", &body).await;
            assert!(matches!(res.status, 200 | 400), "{what}: {res:?}");
            assert_session_gone(s.addr, &sid, what).await;
        }
        // A well-formed XHR2 payload: a text record and a binary attachment.
        let sid = v3_polling(s.addr, false).await;
        let event = br#"451-["message",{"_placeholder":true,"num":0}]"#;
        let mut body = vec![0];
        body.extend(event.len().to_string().bytes().map(|d| d - b'0'));
        body.push(0xFF);
        body.extend_from_slice(event);
        body.extend([1, 3, 0xFF, 4, 0xAB, 0xCD]);
        let res = post(s.addr, &sid, "application/octet-stream", &body).await;
        assert_eq!(res.status, 200, "{res:?}");
        let res = poll(s.addr, &sid).await;
        assert_eq!(res.header("content-type"), Some("application/octet-stream"));
        assert!(res.body.ends_with(&[4, 0xAB, 0xCD]), "{res:?}");
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// F: namespaces

/// F.32: 10,000 CONNECTs to unknown namespaces on one connection: each refused, nothing kept,
/// the connection alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_invalid_namespaces() {
    with_timeout(Duration::from_secs(60), async {
        let s = server().await;
        let mut ws = v3_ws(s.addr).await;
        for i in 0..10_000 {
            ws.send_text(&format!("40/nope-{i},")).await;
        }
        for i in 0..10_000 {
            let reply = ws.recv_data_text().await;
            assert_eq!(
                reply,
                format!(r#"44/nope-{i},{{"message":"Invalid namespace"}}"#)
            );
        }
        assert_alive(&mut ws, "after 10,000 refusals").await;
        bystander(s.addr).await;
        s.close().await;
    })
    .await;
}

/// F.32 with dynamic namespaces: the per-connection cap (1,000 namespaces, `/` included), and
/// with `cleanup_empty_child_namespaces` every child goes with the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_namespaces_are_capped_per_connection_and_cleaned_up() {
    with_timeout(Duration::from_secs(60), async {
        let io = socketio::Server::with_config(
            fast_config()
                .ping_interval(Duration::from_secs(10))
                .ping_timeout(Duration::from_secs(10))
                .cleanup_empty_child_namespaces(true)
                .build(),
        );
        let parent = io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap());
        let s = serve(io.clone()).await;
        let mut ws = v3_ws_plain(s.addr).await;
        for i in 0..1_200 {
            ws.send_text(&format!("40/dyn-{i},")).await;
        }
        let (mut joined, mut refused) = (0, 0);
        for _ in 0..1_200 {
            let reply = ws.recv_data_text().await;
            if reply.starts_with("40/dyn-") {
                joined += 1;
            } else {
                assert!(
                    reply.ends_with(r#"{"message":"Too many namespaces"}"#),
                    "{reply}"
                );
                refused += 1;
            }
        }
        assert_eq!((joined, refused), (999, 201));
        assert_eq!(io.children_of(&parent).len(), 999);
        ws.close().await;
        let deadline = tokio::time::Instant::now() + STEP;
        while !io.children_of(&parent).is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "children left behind"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.close().await;
    })
    .await;
}

/// F.34: `/`'s middleware never answers a protocol 4 client: `connectTimeout` closes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_middleware_that_never_answers() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(
            fast_config()
                .ping_interval(Duration::from_secs(10))
                .ping_timeout(Duration::from_secs(10))
                .connect_timeout(Duration::from_millis(500))
                .build(),
        );
        io.middleware(|_socket| std::future::pending());
        let s = serve(io).await;
        let mut ws = SioWs::connect(s.addr, "/socket.io/?EIO=3&transport=websocket")
            .await
            .unwrap();
        assert!(ws.recv_text().await.starts_with("0{"));
        let started = tokio::time::Instant::now();
        loop {
            match ws.recv_within(STEP).await {
                Some(f) if f.is_close() => break,
                Some(Frame::Text(t)) if t == "1" => {}
                Some(other) => panic!("unexpected {other:?}"),
                None => panic!("not closed"),
            }
        }
        assert!(started.elapsed() >= Duration::from_millis(400));
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// G: slow consumers

/// G.37, G.38: a protocol 3 WebSocket client that stops reading and a polling client that
/// stops polling, while 24 MB is broadcast: both closed at the outbound bound (16 MiB), the
/// bystander gets every message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_are_bounded_while_others_are_served() {
    with_timeout(Duration::from_secs(60), async {
        let s = server().await;
        // Stops reading once in `/`.
        let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let url = format!("ws://{}/socket.io/?EIO=3&transport=websocket", s.addr);
        let (mut stalled, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
        use futures_util::StreamExt;
        for _ in 0..2 {
            stalled.next().await.unwrap().unwrap();
        }
        let idle_sid = v3_polling(s.addr, true).await;
        let mut reader = v3_ws(s.addr).await;
        let chunk = "x".repeat(100_000);
        let count = 240;
        let bystander_task = tokio::spawn(async move {
            for _ in 0..count {
                let got = reader.recv_data_text().await;
                assert!(
                    got.starts_with(r#"42["big","#),
                    "{}",
                    &got[..40.min(got.len())]
                );
            }
            reader
        });
        for _ in 0..count {
            s.io.emit("big", &chunk).unwrap();
            tokio::task::yield_now().await;
        }
        let mut reader = bystander_task.await.unwrap();
        assert_alive(&mut reader, "bystander").await;
        // The idle polling session was closed at the bound.
        let res = poll(s.addr, &idle_sid).await;
        assert!(
            res.status == 400 || String::from_utf8_lossy(&res.body).ends_with(":1"),
            "idle polling session still open: {} bytes",
            res.body.len()
        );
        // The stalled WebSocket was dropped by the server: its socket left `/`.
        let deadline = tokio::time::Instant::now() + STEP;
        while s.io.sockets().len() > 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} sockets",
                s.io.sockets().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(stalled);
        s.close().await;
    })
    .await;
}
