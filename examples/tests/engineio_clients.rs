//! Real Engine.IO clients on loopback against the fixture: `engine.io-client` 6.x (protocol 4)
//! and 3.x (protocol 3) from npm, and python-engineio's client, over polling only, WebSocket
//! only, and polling upgraded to WebSocket (scripts in `tests/clients/`, installed by
//! `scripts/setup-test-deps.sh`). Plus protocol 3 XHR2 (binary) polling with hand-built bytes,
//! which the Node build of engine.io-client 3 never sends (it always polls with `b64=1`).

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

const LIMIT: Duration = Duration::from_secs(30);
const CLIENT_LIMIT: Duration = Duration::from_secs(15);

macro_rules! case {
    ($(#[$meta:meta])* $name:ident, |$fx:ident| $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            with_timeout(LIMIT, async {
                #[allow(unused_mut)]
                let mut $fx = engineio_fixture().await;
                $body
            })
            .await;
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    Node4,
    Node3,
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Polling,
    WebSocket,
    Upgrade,
}

impl Mode {
    fn transports(self) -> Value {
        match self {
            Mode::Polling => json!(["polling"]),
            Mode::WebSocket => json!(["websocket"]),
            Mode::Upgrade => json!(["polling", "websocket"]),
        }
    }

    fn first(self) -> &'static str {
        match self {
            Mode::WebSocket => "websocket",
            Mode::Polling | Mode::Upgrade => "polling",
        }
    }

    fn last(self) -> &'static str {
        match self {
            Mode::Polling => "polling",
            Mode::WebSocket | Mode::Upgrade => "websocket",
        }
    }
}

impl Client {
    fn eio(self) -> u8 {
        match self {
            Client::Node3 => 3,
            Client::Node4 | Client::Python => 4,
        }
    }

    fn spawn(self, fx: &Fixture, mode: Mode, scenario: &str) -> ClientProcess {
        let config = json!({
            "url": fx.base_url(),
            "version": self.eio(),
            "transports": mode.transports(),
            "scenario": scenario,
            "timeoutMs": 10_000,
        });
        match self {
            Client::Node4 | Client::Node3 => ClientProcess::node("eio-client.js", &config),
            Client::Python => ClientProcess::python("eio_client.py", &config),
        }
    }
}

/// Waits until the server has forgotten `sid`: a polling noop POST for it gets 400 code 1
/// (while the session lives it gets `ok`, or code 3 on a WebSocket session).
async fn wait_sid_gone(fx: &Fixture, eio: u8, sid: &str, within: Duration) {
    let deadline = Instant::now() + within;
    let query = format!("EIO={eio}&transport=polling&sid={sid}");
    loop {
        let res = fx.post(&query, encode_payload(eio, &["6"])).await;
        if res.status == 400 && res.json()["code"] == 1 {
            res.assert_error(1, "Session ID unknown");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "session {sid} still known after {within:?}: {res:?}"
        );
        sleep(Duration::from_millis(20)).await;
    }
}

fn assert_echoes(result: &Value, count: usize) {
    let echoes = result["echoes"].as_array().unwrap();
    assert_eq!(echoes.len(), count, "{result}");
    for e in echoes {
        assert_eq!(e["textOk"], true, "text echo: {e}");
        assert_eq!(e["binaryOk"], true, "binary echo: {e}");
    }
}

async fn echo(fx: &Fixture, client: Client, mode: Mode) {
    let result = client.spawn(fx, mode, "echo").result(CLIENT_LIMIT).await;
    assert_eq!(result["openTransport"], mode.first(), "{result}");
    assert_eq!(result["finalTransport"], mode.last(), "{result}");
    // The Node clients echo again after the upgrade; python-engineio upgrades inside
    // `connect()`, so its one echo runs on the upgraded transport.
    let count = if mode == Mode::Upgrade && client != Client::Python {
        2
    } else {
        1
    };
    assert_echoes(&result, count);
    if count == 2 {
        let after = &result["echoes"][1];
        assert_eq!(after["sentOn"], "websocket", "{result}");
        assert_eq!(after["receivedOn"], "websocket", "{result}");
    }
    let expected_reason = match client {
        Client::Python => "client disconnect",
        Client::Node4 | Client::Node3 => "forced close",
    };
    assert_eq!(result["closeReason"], expected_reason, "{result}");
    // The client's close reached the server.
    let sid = result["sid"].as_str().unwrap();
    wait_sid_gone(fx, client.eio(), sid, Duration::from_secs(2)).await;
    fx.assert_still_serving().await;
}

async fn heartbeat_timeout(fx: &Fixture, client: Client, mode: Mode) {
    let result = client
        .spawn(fx, mode, "heartbeat-timeout")
        .result(CLIENT_LIMIT)
        .await;
    let after = result["closedAfterMs"].as_u64().unwrap();
    // Protocol 4: the unanswered ping goes out at 300 ms, the session dies 200 ms later.
    // Protocol 3: the session dies 500 ms after the last client ping (the open).
    assert!(
        (250..3000).contains(&after),
        "closed after {after} ms: {result}"
    );
    let reason = result["closeReason"].as_str().unwrap();
    let expected: &[&str] = match (client, mode) {
        // The server's close packet (polling) or the WebSocket closing.
        (Client::Node4, _) => &["transport close"],
        // Protocol 3 clients run their own timer of the same length: either may win.
        (Client::Node3, _) => &["transport close", "ping timeout"],
        (Client::Python, Mode::Polling) => &["server disconnect"],
        // Node closes the WebSocket without a close packet; ours may send one first.
        (Client::Python, _) => &["transport error", "server disconnect"],
    };
    assert!(expected.contains(&reason), "reason {reason:?}: {result}");
    let sid = result["sid"].as_str().unwrap();
    wait_sid_gone(fx, client.eio(), sid, Duration::from_secs(2)).await;
    fx.assert_still_serving().await;
}

/// Ours only (needs the in-process server): graceful shutdown as the client sees it.
async fn graceful_shutdown(fx: &Fixture, client: Client, mode: Mode) {
    if !fx.can_shutdown() {
        // Node's engine.close() drops sessions without close packets; nothing to compare.
        return;
    }
    let mut process = client.spawn(fx, mode, "wait-close");
    let ready = process.expect("READY", CLIENT_LIMIT).await;
    assert_eq!(ready["transport"], mode.last(), "{ready}");
    let addr = fx.addr();
    if mode == Mode::Polling {
        // Let the client's next GET arrive: a poll in flight is answered with the close
        // packet, but one sent after the listener stopped is refused.
        sleep(Duration::from_millis(150)).await;
    }
    let start = Instant::now();
    fx.shutdown().await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        start.elapsed()
    );
    let result = process.result(CLIENT_LIMIT).await;
    assert_echoes(&result, 1);
    let expected = match client {
        // Every session gets its close packet: engine.io-client reports the transport closed
        // by the server, python-engineio a server disconnect (not a transport error).
        Client::Node4 | Client::Node3 => "transport close",
        Client::Python => "server disconnect",
    };
    assert_eq!(result["closeReason"], expected, "{result}");
    let after = result["closedAfterReadyMs"].as_u64().unwrap();
    assert!(after < 2000, "closed {after} ms after shutdown: {result}");
    // The listener is gone.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting on {addr}"
    );
}

// ---- echo ---------------------------------------------------------------------------------------

case!(node_v4_polling_echo, |fx| {
    echo(&fx, Client::Node4, Mode::Polling).await;
});
case!(node_v4_websocket_echo, |fx| {
    echo(&fx, Client::Node4, Mode::WebSocket).await;
});
case!(node_v4_upgrade_echo, |fx| {
    echo(&fx, Client::Node4, Mode::Upgrade).await;
});
case!(node_v3_polling_echo, |fx| {
    echo(&fx, Client::Node3, Mode::Polling).await;
});
case!(node_v3_websocket_echo, |fx| {
    echo(&fx, Client::Node3, Mode::WebSocket).await;
});
case!(node_v3_upgrade_echo, |fx| {
    echo(&fx, Client::Node3, Mode::Upgrade).await;
});
case!(python_polling_echo, |fx| {
    echo(&fx, Client::Python, Mode::Polling).await;
});
case!(python_websocket_echo, |fx| {
    echo(&fx, Client::Python, Mode::WebSocket).await;
});
case!(python_upgrade_echo, |fx| {
    echo(&fx, Client::Python, Mode::Upgrade).await;
});

// ---- heartbeat timeout --------------------------------------------------------------------------

case!(node_v4_polling_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Node4, Mode::Polling).await;
});
case!(node_v4_websocket_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Node4, Mode::WebSocket).await;
});
case!(node_v4_upgrade_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Node4, Mode::Upgrade).await;
});
case!(node_v3_polling_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Node3, Mode::Polling).await;
});
case!(node_v3_websocket_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Node3, Mode::WebSocket).await;
});
case!(python_polling_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Python, Mode::Polling).await;
});
case!(python_websocket_heartbeat_timeout, |fx| {
    heartbeat_timeout(&fx, Client::Python, Mode::WebSocket).await;
});

// ---- graceful shutdown (ours only) --------------------------------------------------------------

case!(node_v4_polling_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Node4, Mode::Polling).await;
});
case!(node_v4_websocket_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Node4, Mode::WebSocket).await;
});
case!(node_v4_upgraded_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Node4, Mode::Upgrade).await;
});
case!(node_v3_polling_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Node3, Mode::Polling).await;
});
case!(node_v3_websocket_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Node3, Mode::WebSocket).await;
});
case!(python_polling_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Python, Mode::Polling).await;
});
case!(python_websocket_sees_graceful_shutdown, |fx| {
    graceful_shutdown(&fx, Client::Python, Mode::WebSocket).await;
});

// ---- protocol 3 XHR2 polling, hand-built bytes ------------------------------------------------

/// `"4é€😀"` then binary `01 02 03`, as an XHR2 payload: the example from node-behaviour.md.
const XHR2_TEXT_AND_BINARY: &[u8] = &[
    0x00, 0x01, 0x00, 0xFF, 0x34, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x01, 0x04,
    0xFF, 0x04, 0x01, 0x02, 0x03,
];

async fn post_xhr2(fx: &Fixture, session: &Polling<'_>, body: &[u8]) -> Response {
    fx.send(
        Request::post(session.path(""), body.to_vec())
            .header("Content-Type", "application/octet-stream"),
    )
    .await
}

case!(v3_xhr2_post_and_get_binary_payload, |fx| {
    let session = fx.open_polling(3).await;
    // Our own encoder agrees with the literal bytes.
    assert_eq!(
        encode_xhr2(&[
            Xhr2Record::Text("4é€😀".into()),
            Xhr2Record::Binary(vec![1, 2, 3])
        ]),
        XHR2_TEXT_AND_BINARY
    );
    post_xhr2(&fx, &session, XHR2_TEXT_AND_BINARY)
        .await
        .assert_ok();
    // The echo holds a binary message and the client did not ask for b64: the whole payload
    // is XHR2, byte for byte what was sent.
    let res = session.get().await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("application/octet-stream"),
        "{res:?}"
    );
    assert_eq!(res.body, XHR2_TEXT_AND_BINARY, "{res:?}");
    assert_eq!(
        decode_xhr2(&res.body).unwrap(),
        [
            Xhr2Record::Text("4é€😀".into()),
            Xhr2Record::Binary(vec![1, 2, 3])
        ]
    );
    fx.assert_still_serving().await;
});

case!(v3_xhr2_post_of_text_only_answers_text_payload, |fx| {
    let session = fx.open_polling(3).await;
    let body = encode_xhr2(&[Xhr2Record::Text("4é€😀".into())]);
    assert_eq!(
        body,
        [&[0x00, 0x01, 0x00, 0xFF][..], "4é€😀".as_bytes()].concat()
    );
    post_xhr2(&fx, &session, &body).await.assert_ok();
    // No binary packet in the answer: a text payload, lengths in UTF-16 code units.
    let res = session.get().await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.text(), "5:4é€😀");
});

case!(v3_xhr2_binary_only_payload, |fx| {
    let session = fx.open_polling(3).await;
    let body = [0x01, 0x04, 0xFF, 0x04, 0x01, 0x02, 0x03];
    post_xhr2(&fx, &session, &body).await.assert_ok();
    let res = session.get().await;
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(res.body, body);
});

case!(v3_xhr2_post_with_b64_session_answers_base64, |fx| {
    // `b64` on the handshake: binary goes back as `b4<base64>` records in a text payload.
    let session = fx.open_polling_with(3, "&b64=1").await;
    post_xhr2(&fx, &session, XHR2_TEXT_AND_BINARY)
        .await
        .assert_ok();
    let res = session.get().await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.text(), "5:4é€😀6:b4AQID");
});

case!(v3_text_post_of_base64_binary_answers_xhr2, |fx| {
    // A client that posts text (base64 binary) but can take binary: the answer is XHR2.
    let session = fx.open_polling(3).await;
    session.post("6:b4AQID").await.assert_ok();
    let res = session.get().await;
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(res.body, [0x01, 0x04, 0xFF, 0x04, 0x01, 0x02, 0x03]);
});

case!(v3_xhr2_binary_over_websocket_after_upgrade, |fx| {
    // The same session carries binary both ways on the upgraded WebSocket: protocol 3 frames
    // start with the message type byte.
    let session = fx.open_polling(3).await;
    let mut ws = fx
        .ws(&format!("EIO=3&transport=websocket&sid={}", session.sid))
        .await;
    ws.send_text("2probe").await;
    assert_eq!(ws.recv_text().await, "3probe");
    ws.send_text("5").await;
    ws.send_binary(&[4, 1, 2, 3]).await;
    assert_eq!(ws.recv_data().await, WsFrame::Binary(vec![4, 1, 2, 3]));
    ws.close().await;
});

// ---- what the clients above rely on, with raw requests ------------------------------------------

case!(ping_timeout_answers_pending_get_with_close_packet, |fx| {
    // engine.io-client and python-engineio report a clean close only if the GET pending when
    // the session dies of ping timeout is answered with the close packet (Node: `doClose`
    // writes `1` on a writable polling transport), not with an error status.
    for eio in [4, 3] {
        let session = fx.open_polling(eio).await;
        if eio == 4 {
            assert_eq!(session.poll().await, ["2"]);
        }
        // Not answering the ping (protocol 4) or not pinging (3): this GET is pending when
        // the session dies.
        let start = Instant::now();
        let res = session.get().await;
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(res.status, 200, "protocol {eio}: {res:?}");
        assert_eq!(res.text(), encode_payload(eio, &["1"]), "protocol {eio}");
        session.assert_gone().await;
    }
});

case!(
    /// Ours only: graceful shutdown answers a pending GET with the close packet.
    shutdown_answers_pending_get_with_close_packet,
    |fx| {
        if fx.can_shutdown() {
            let session = fx.open_polling(4).await;
            // Keep-alive, as the clients' HTTP agents poll.
            let poll = fx.send(Request::get(session.path("")).header("Connection", "keep-alive"));
            let stop = async {
                sleep(Duration::from_millis(50)).await;
                fx.shutdown().await;
            };
            let (res, ()) = tokio::join!(poll, stop);
            assert_eq!((res.status, res.text().as_str()), (200, "1"), "{res:?}");
        }
    }
);
