//! The msgpack parser (MSGPACK-1): a server with `Parser::MsgPack` against socket.io-client 4.x
//! with `socket.io-msgpack-parser` 3.x from npm, over long-polling, WebSocket, and polling
//! upgraded to WebSocket.
//!
//! - The conformance fixture's scenarios (`tests/clients/sio_client.js` with
//!   `"parser":"msgpack"`): connect, JSON and binary messages, acks both ways, namespaces,
//!   rooms, broadcasts, refusals.
//! - `tests/clients/sio_msgpack.js` against the server below: nested binary, large integers,
//!   floats, unicode and a `Date` both ways with acks, typed handlers, and a middleware error
//!   with `data`.
//! - Raw hostile input: a malformed msgpack message, or a text message, closes that
//!   connection, and the server goes on serving others.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use sio_common::*;
use socketio::{AckSender, Args, MiddlewareError, Parser, Server, ServerConfig};

const SCRIPT_LIMIT: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(40);
const MODES: [&str; 3] = ["polling", "websocket", "upgrade"];

/// The conformance fixture with the msgpack parser.
async fn conformance() -> examples::conformance::Fixture {
    let options = examples::conformance::Options {
        parser: Parser::MsgPack,
        ..Default::default()
    };
    examples::conformance::start(options).await.unwrap()
}

async fn fixture_scenario(scenario: &str) {
    fixture_scenario_with("sio_client.js", scenario).await;
}

/// python-socketio 5.x with `serializer='msgpack'` (`tests/clients/sio_client.py`).
async fn python_scenario(scenario: &str) {
    fixture_scenario_with("sio_client.py", scenario).await;
}

async fn fixture_scenario_with(script: &str, scenario: &str) {
    let fx = conformance().await;
    for mode in MODES {
        let config = json!({
            "url": format!("http://{}", fx.local_addr()),
            "mode": mode,
            "scenario": scenario,
            "parser": "msgpack",
            "timeoutMs": SCRIPT_LIMIT.as_millis() as u64,
        });
        let within = SCRIPT_LIMIT + Duration::from_secs(5);
        if script.ends_with(".py") {
            run_python(script, &config, within).await;
        } else {
            run_node(script, &config, within).await;
        }
    }
}

macro_rules! fixture_tests {
    ($run:ident; $($name:ident => $scenario:literal),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                with_timeout(LIMIT * 3, $run($scenario)).await;
            }
        )*
    };
}

fixture_tests! {
    fixture_scenario;
    fixture_connect => "connect",
    fixture_messages_json_and_binary => "message",
    fixture_acks => "acks",
    fixture_server_to_client_ack => "server-ack",
    fixture_namespaces_over_one_connection => "multiplex",
    fixture_rooms => "rooms",
    fixture_broadcast => "broadcast",
    fixture_refused_namespace => "restricted",
}

mod python {
    use super::*;

    fixture_tests! {
        python_scenario;
        connect => "connect",
        messages_json_and_binary => "message",
        acks => "acks",
        server_to_client_ack => "server-ack",
        rooms => "rooms",
        broadcast => "broadcast",
        refused_namespace => "restricted",
    }
}

/// The server of `sio_msgpack.js`: `echo` acks its arguments; `typed` reads them as Rust
/// types and answers with changed values; `ask` makes the server emit `question` with an ack
/// and send the client's answer back as `answer`; `/guarded` refuses with data.
async fn server() -> (Server, SocketAddr) {
    let io = Server::with_config(ServerConfig::builder().parser(Parser::MsgPack).build());
    io.on_connection(|socket| {
        socket.on("echo", |_s, args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
        socket.on(
            "typed",
            |_s, (blob, big, neg, f, s): (Bytes, u64, i64, f64, String), ack: AckSender| {
                let blob = Bytes::from([&blob[..], &blob[..]].concat());
                let _ = ack.send(&((blob, big + 1, neg - 1, f * 2.0, s.to_uppercase()),));
            },
        );
        socket.on("ask", |socket, _: Args, _ack| {
            tokio::spawn(async move {
                let question = (
                    Bytes::from_static(&[7, 7]),
                    u64::MAX,
                    -9_007_199_254_740_991i64,
                    2.5f64,
                    "ß",
                );
                if let Ok(answer) = socket.emit_with_ack_args("question", &question, None).await {
                    let _ = socket.emit("answer", &answer);
                }
            });
        });
    });
    io.of("/guarded").middleware(|_socket| async {
        Err(MiddlewareError::new("denied").with_data(json!({"code": 7, "why": "ü"})))
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr)
}

async fn own_scenario(addr: SocketAddr, scenario: &str, mode: &str) -> Value {
    let config = json!({
        "url": format!("http://{addr}"),
        "mode": mode,
        "scenario": scenario,
        "timeoutMs": SCRIPT_LIMIT.as_millis() as u64,
    });
    run_node(
        "sio_msgpack.js",
        &config,
        SCRIPT_LIMIT + Duration::from_secs(5),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_both_ways_with_acks() {
    with_timeout(LIMIT * 3, async {
        let (_io, addr) = server().await;
        for mode in MODES {
            own_scenario(addr, "values", mode).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_error_with_data() {
    with_timeout(LIMIT * 3, async {
        let (_io, addr) = server().await;
        for mode in MODES {
            own_scenario(addr, "guarded", mode).await;
        }
    })
    .await;
}

/// `{type: 0, nsp: "/"}`, as socket.io-client sends CONNECT without auth (but `data`).
const CONNECT: &[u8] = b"\x82\xa4type\x00\xa3nsp\xa1/";

/// A raw WebSocket session joined to `/` with msgpack CONNECT; returns it after checking the
/// server's binary CONNECT reply.
async fn joined(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let open = ws.recv().await;
    assert!(
        matches!(&open, Frame::Text(t) if t.starts_with('0')),
        "{open:?}"
    );
    ws.send_binary(CONNECT).await;
    match ws.recv().await {
        // {type: 0, data: {sid: "..."}, nsp: "/"}
        Frame::Binary(b) => assert!(
            b.starts_with(b"\x83\xa4type\x00\xa4data\x81\xa3sid"),
            "{b:x?}"
        ),
        other => panic!("expected the msgpack CONNECT reply, got {other:?}"),
    }
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_close_only_their_connection() {
    with_timeout(LIMIT * 2, async {
        let (_io, addr) = server().await;
        let mut bystander = joined(addr).await;
        let malformed: &[&[u8]] = &[
            // Not a map; a map without `nsp`; wrong `type`; a huge array length over two bytes;
            // a bin length past the end; deep nesting; trailing bytes; an extension.
            b"\x92\x02\xa1/",
            b"\x81\xa4type\x02",
            b"\x83\xa4type\x07\xa4data\x90\xa3nsp\xa1/",
            b"\x83\xa4type\x02\xa4data\xdd\xff\xff\xff\xff\xa3nsp\xa1/",
            b"\x83\xa4type\x02\xa4data\x92\xa1x\xc6\x7f\xff\xff\xff\x00",
            b"\x82\xa4type\x01\xa3nsp\xa1/\xc0",
            b"\x83\xa4type\x02\xa4data\x92\xa1x\xd4\x05\x00\xa3nsp\xa1/",
        ];
        let mut deep = b"\x83\xa4type\x02\xa4data\x92\xa1x".to_vec();
        deep.extend(std::iter::repeat(0x91).take(100_000));
        deep.push(0x90);
        deep.extend_from_slice(b"\xa3nsp\xa1/");
        let mut all: Vec<Vec<u8>> = malformed.iter().map(|m| m.to_vec()).collect();
        all.push(deep);
        for bytes in &all {
            let mut ws = joined(addr).await;
            ws.send_binary(bytes).await;
            ws.assert_closed(STEP).await;
        }
        // A text Socket.IO packet on a msgpack server, before and after joining.
        for join in [false, true] {
            let mut ws = if join {
                joined(addr).await
            } else {
                let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
                    .await
                    .unwrap();
                ws.recv().await;
                ws
            };
            ws.send_text(if join { "42[\"echo\",1]" } else { "40" })
                .await;
            ws.assert_closed(STEP).await;
        }
        // The first session still works: an event with an ack answers in msgpack.
        // {type: 2, data: ["echo", <bin 01 02>], id: 5, nsp: "/"}
        bystander
            .send_binary(
                b"\x84\xa4type\x02\xa4data\x92\xa4echo\xc4\x02\x01\x02\xa2id\x05\xa3nsp\xa1/",
            )
            .await;
        let reply = loop {
            match bystander.recv().await {
                Frame::Text(t) if t == "2" => bystander.send_text("3").await,
                other => break other,
            }
        };
        // {id: 5, type: 3, data: [<bin 01 02>], nsp: "/"}
        assert_eq!(
            reply,
            Frame::Binary(
                b"\x84\xa2id\x05\xa4type\x03\xa4data\x91\xc4\x02\x01\x02\xa3nsp\xa1/".to_vec()
            )
        );
        // And a real client too.
        own_scenario(addr, "values", "websocket").await;
    })
    .await;
}
