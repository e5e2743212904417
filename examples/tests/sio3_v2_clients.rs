//! socket.io-client 2.x (Socket.IO protocol 4 over Engine.IO 3) against the conformance
//! fixture (SIO-3 §1), over long-polling only, WebSocket only, and polling upgraded to
//! WebSocket: `/`, `/custom` (its query as the auth), `/restricted` (token in the `query`
//! option), events and acks both ways with binary, rooms and broadcasts, a middleware refusal,
//! a server-side disconnect and reconnecting; and a 2.x and a 4.x client in one room getting
//! the same broadcast.
//!
//! The client is `tests/clients/sio3_client.js`, driven by steps. In Node socket.io-client 2.x
//! always polls in base64 (`b64=1`); its XHR2 binary payloads run in the browser test
//! (`sio3_client_bundle.rs`).
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use serde_json::{json, Value};
use sio3_common::*;
use sio_common::with_timeout;

/// The server under test: our conformance fixture, or the one at `SIO_FIXTURE_URL` (such as
/// the Node reference, `tests/reference/socketio-server.js`) to check these expectations
/// against Node.
struct Target {
    url: String,
    ours: Option<examples::conformance::Fixture>,
}

impl Target {
    fn local_addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    async fn shutdown(self) {
        if let Some(f) = self.ours {
            f.shutdown().await;
        }
    }
}

async fn fixture() -> Target {
    if let Ok(url) = std::env::var("SIO_FIXTURE_URL") {
        return Target {
            url: url.trim_end_matches('/').to_owned(),
            ours: None,
        };
    }
    let fx = examples::conformance::start(examples::conformance::Options::default())
        .await
        .unwrap();
    Target {
        url: format!("http://{}", fx.local_addr()),
        ours: Some(fx),
    }
}

/// Steps that wait for the upgrade first in `upgrade` mode.
fn upgraded(mode: &str, s: &str) -> Vec<Value> {
    if mode == "upgrade" {
        vec![json!({"op": "upgraded", "s": s})]
    } else {
        Vec::new()
    }
}

fn plan_of(parts: Vec<Vec<Value>>) -> Value {
    Value::Array(parts.into_iter().flatten().collect())
}

/// `/` and `/custom`: ids, auth, events with binary, acks both ways.
async fn basics(mode: &str) {
    let fx = fixture().await;
    let url = format!("http://{}", fx.local_addr());
    let binary = json!([bin(&[1, 2, 3]), {"nested": bin(&[255])}, "x"]);
    let plan = plan_of(vec![
        vec![
            json!({"op": "open", "s": "root", "nsp": "/"}),
            json!({"op": "connect", "s": "root"}),
        ],
        upgraded(mode, "root"),
        vec![
            json!({"op": "transport", "s": "root"}),
            json!({"op": "wait", "s": "root", "event": "auth"}),
            json!({"op": "emit", "s": "root", "event": "message", "args": [1, "2", {"3": [true]}, "é€😀"]}),
            json!({"op": "wait", "s": "root", "event": "message-back"}),
            json!({"op": "emit", "s": "root", "event": "message", "args": binary}),
            json!({"op": "wait", "s": "root", "event": "message-back"}),
            json!({"op": "emit", "s": "root", "event": "message-with-ack", "args": [7, {"a": bin(&[4])}], "ack": true}),
            json!({"op": "answer", "s": "root", "event": "server-ack-request", "reply": "echo"}),
            json!({"op": "emit", "s": "root", "event": "server-ack", "args": ["x", bin(&[9, 8])]}),
            json!({"op": "wait", "s": "root", "event": "server-ack-response"}),
            json!({"op": "open", "s": "custom", "nsp": "/custom", "opts": {"query": {"token": "abc", "who": "a b"}}}),
            json!({"op": "connect", "s": "custom"}),
            json!({"op": "transport", "s": "custom"}),
            json!({"op": "wait", "s": "custom", "event": "auth"}),
            json!({"op": "emit", "s": "custom", "event": "message", "args": [bin(&[0, 1])]}),
            json!({"op": "wait", "s": "custom", "event": "message-back"}),
        ],
    ]);
    let r = run(&url, Client::V2, mode, plan).await;
    let t = step(&r, "transport", "root");
    let expected = if mode == "polling" {
        "polling"
    } else {
        "websocket"
    };
    assert_eq!(t["transport"], expected, "{r:?}");
    // Protocol 4 ids: the Engine.IO id on `/`, `/nsp#id` elsewhere.
    assert_eq!(t["id"], t["engineId"], "{t}");
    let c = step(&r, "transport", "custom");
    assert_eq!(
        c["id"].as_str().unwrap(),
        format!("/custom#{}", c["engineId"].as_str().unwrap())
    );
    // `handshake.auth` is `{}` on `/`, the namespace query elsewhere (`+` as space).
    assert_eq!(step(&r, "wait", "root")["args"], json!([{}]));
    let waits = steps(&r, "wait", "root");
    assert_eq!(waits[1]["args"], json!([1, "2", {"3": [true]}, "é€😀"]));
    assert_eq!(waits[2]["args"], binary);
    assert_eq!(
        step(&r, "emit", "root")["ack"],
        Value::Null,
        "the first emit has no ack"
    );
    let acked = steps(&r, "emit", "root")
        .into_iter()
        .find(|e| !e["ack"].is_null())
        .unwrap();
    assert_eq!(acked["ack"], json!([7, {"a": bin(&[4])}]));
    assert_eq!(waits[3]["args"], json!(["x", bin(&[9, 8])]));
    let custom = steps(&r, "wait", "custom");
    assert_eq!(custom[0]["args"], json!([{"token": "abc", "who": "a b"}]));
    assert_eq!(custom[1]["args"], json!([bin(&[0, 1])]));
    fx.shutdown().await;
}

/// `/restricted`: refused without the token (2.x gets the message as a plain string), in with
/// it through the `query` option.
async fn restricted(mode: &str) {
    let fx = fixture().await;
    let url = format!("http://{}", fx.local_addr());
    let plan = json!([
        {"op": "open", "s": "no", "nsp": "/restricted"},
        {"op": "connect", "s": "no"},
        {"op": "open", "s": "yes", "nsp": "/restricted", "opts": {"query": {"token": "s3cret"}}},
        {"op": "connect", "s": "yes"},
        {"op": "wait", "s": "yes", "event": "welcome"},
    ]);
    let r = run(&url, Client::V2, mode, plan).await;
    let refused = step(&r, "connect", "no");
    assert_eq!(refused["connected"], false, "{refused}");
    assert_eq!(refused["error"], "not authorized", "{refused}");
    let ok = step(&r, "connect", "yes");
    assert_eq!(ok["connected"], true, "{ok}");
    assert!(ok["id"].as_str().unwrap().starts_with("/restricted#"));
    assert_eq!(step(&r, "wait", "yes")["args"], json!(["restricted"]));
    fx.shutdown().await;
}

/// Two connections: a room message and a broadcast.
async fn rooms(mode: &str) {
    let fx = fixture().await;
    let url = format!("http://{}", fx.local_addr());
    let plan = plan_of(vec![
        vec![
            json!({"op": "open", "s": "a", "nsp": "/"}),
            json!({"op": "connect", "s": "a"}),
            json!({"op": "open", "s": "b", "nsp": "/"}),
            json!({"op": "connect", "s": "b"}),
        ],
        upgraded(mode, "a"),
        upgraded(mode, "b"),
        vec![
            json!({"op": "emit", "s": "a", "event": "join", "args": ["r1"], "ack": true}),
            json!({"op": "emit", "s": "b", "event": "to-room", "args": ["r1", {"k": bin(&[5])}]}),
            json!({"op": "wait", "s": "a", "event": "room-message"}),
            json!({"op": "none", "s": "b", "event": "room-message", "ms": 300}),
            json!({"op": "emit", "s": "a", "event": "broadcast", "args": [bin(&[6, 7])]}),
            json!({"op": "wait", "s": "a", "event": "msg"}),
            json!({"op": "wait", "s": "b", "event": "msg"}),
        ],
    ]);
    let r = run(&url, Client::V2, mode, plan).await;
    assert_eq!(step(&r, "emit", "a")["ack"], json!(["r1"]));
    assert_eq!(
        step(&r, "wait", "a")["args"],
        json!(["r1", {"k": bin(&[5])}])
    );
    assert_eq!(steps(&r, "wait", "a")[1]["args"], json!([bin(&[6, 7])]));
    assert_eq!(step(&r, "wait", "b")["args"], json!([bin(&[6, 7])]));
    fx.shutdown().await;
}

/// The server disconnects the socket (`41`): `io server disconnect`, no automatic
/// reconnection; `connect()` joins again with a new session.
async fn server_disconnect(mode: &str) {
    let fx = fixture().await;
    let url = format!("http://{}", fx.local_addr());
    let plan = plan_of(vec![
        vec![
            json!({"op": "open", "s": "a", "nsp": "/", "opts": {"reconnection": true}}),
            json!({"op": "connect", "s": "a"}),
        ],
        upgraded(mode, "a"),
        vec![
            json!({"op": "emit", "s": "a", "event": "force-disconnect"}),
            json!({"op": "closed", "s": "a"}),
            json!({"op": "sleep", "ms": 300}),
            json!({"op": "reconnect", "s": "a"}),
            json!({"op": "emit", "s": "a", "event": "echo", "args": ["again"], "ack": true}),
            json!({"op": "open", "s": "c", "nsp": "/custom"}),
            json!({"op": "connect", "s": "c"}),
            json!({"op": "emit", "s": "c", "event": "message", "args": ["bye"]}),
            json!({"op": "wait", "s": "c", "event": "message-back"}),
        ],
    ]);
    let r = run(&url, Client::V2, mode, plan).await;
    let first = step(&r, "connect", "a")["id"].clone();
    assert_eq!(step(&r, "closed", "a")["reason"], "io server disconnect");
    let again = step(&r, "reconnect", "a");
    assert_eq!(again["connected"], true, "{again}");
    assert_ne!(again["id"], first, "a new session after reconnecting");
    assert_eq!(step(&r, "emit", "a").clone()["ack"], Value::Null);
    assert_eq!(steps(&r, "emit", "a")[1]["ack"], json!(["again"]));
    assert_eq!(step(&r, "wait", "c")["args"], json!(["bye"]));
    fx.shutdown().await;
}

/// `/` and `/custom` over one connection (one Manager), kept alive by the client's pings
/// (protocol 3: the client pings, the server answers) past several heartbeats.
async fn heartbeat_and_multiplexing(mode: &str) {
    let fx = fixture().await;
    let url = format!("http://{}", fx.local_addr());
    let plan = plan_of(vec![
        vec![
            json!({"op": "open", "s": "root", "nsp": "/", "opts": {"forceNew": false}}),
            json!({"op": "connect", "s": "root"}),
            json!({"op": "open", "s": "custom", "nsp": "/custom", "opts": {"forceNew": false}}),
            json!({"op": "connect", "s": "custom"}),
        ],
        upgraded(mode, "root"),
        vec![
            // The fixture's heartbeat is 300 + 200 ms: this outlives several.
            json!({"op": "sleep", "ms": 1600}),
            json!({"op": "transport", "s": "root"}),
            json!({"op": "transport", "s": "custom"}),
            json!({"op": "emit", "s": "root", "event": "echo", "args": ["alive"], "ack": true}),
            json!({"op": "emit", "s": "custom", "event": "message", "args": ["here"]}),
            json!({"op": "wait", "s": "custom", "event": "message-back"}),
        ],
    ]);
    let r = run(&url, Client::V2, mode, plan).await;
    let root = step(&r, "transport", "root");
    let custom = step(&r, "transport", "custom");
    assert_eq!(root["engineId"], custom["engineId"], "one connection");
    assert_eq!(
        root["id"],
        step(&r, "connect", "root")["id"],
        "the same session"
    );
    assert_eq!(
        custom["id"].as_str().unwrap(),
        format!("/custom#{}", root["engineId"].as_str().unwrap())
    );
    assert_eq!(step(&r, "emit", "root")["ack"], json!(["alive"]));
    assert_eq!(step(&r, "wait", "custom")["args"], json!(["here"]));
    fx.shutdown().await;
}

macro_rules! modes {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn polling() {
                    with_timeout(LIMIT, $f("polling")).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn websocket() {
                    with_timeout(LIMIT, $f("websocket")).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn upgrade() {
                    with_timeout(LIMIT, $f("upgrade")).await;
                }
            }
        )*
    };
}

modes! {
    basics_ids_auth_events_acks => basics,
    restricted_namespace_by_query => restricted,
    rooms_and_broadcasts => rooms,
    server_disconnect_then_reconnect => server_disconnect,
    heartbeat_and_one_connection_for_two_namespaces => heartbeat_and_multiplexing,
}

/// A 2.x client and a 4.x client in the same room get the same broadcast (JSON and binary),
/// each in its own protocol.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_and_v4_in_one_room_get_the_same_broadcast() {
    with_timeout(LIMIT, async {
        if sio_common::skip_on_reference("the test emits from the server in-process") {
            return;
        }
        let fx = fixture().await;
        let url = format!("http://{}", fx.local_addr());
        let plan = |who: &str| {
            json!([
                {"op": "open", "s": who, "nsp": "/"},
                {"op": "connect", "s": who},
                {"op": "emit", "s": who, "event": "join", "args": ["mixed"], "ack": true},
                {"op": "wait", "s": who, "event": "room-message", "ms": 10000},
            ])
        };
        let mut v2 = spawn(&url, Client::V2, "websocket", plan("old"));
        let mut v4 = spawn(&url, Client::V4, "polling", plan("new"));
        for p in [&mut v2, &mut v4] {
            loop {
                let s = p.expect("STEP", LIMIT).await;
                if s["op"] == "emit" {
                    break;
                }
            }
        }
        let payload = json!({"text": "to both", "n": 1});
        fx.ours
            .as_ref()
            .unwrap()
            .io()
            .to("mixed")
            .emit(
                "room-message",
                &("mixed", &payload, bytes::Bytes::from_static(&[1, 2, 3])),
            )
            .unwrap();
        let a = v2.result(LIMIT).await;
        let b = v4.result(LIMIT).await;
        let got = |r: &Value| {
            r["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["op"] == "wait")
                .unwrap()["args"]
                .clone()
        };
        assert_eq!(got(&a), json!(["mixed", payload, bin(&[1, 2, 3])]));
        assert_eq!(got(&a), got(&b));
        fx.shutdown().await;
    })
    .await;
}

/// Protocol 4 on the wire (raw frames over an `EIO=3` WebSocket): `/` refused by its
/// middleware gets `44` with the message as a JSON string (or the error's `data`), other
/// namespaces do not wait for `/` and still connect; `40/nsp?query` with or without the comma
/// is answered `40/nsp,` and its query is the auth (the last of repeated keys, `+` as space).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_root_refusal_other_namespaces_and_queries() {
    with_timeout(LIMIT, async {
        if sio_common::skip_on_reference("a server of our own") {
            return;
        }
        let io = socketio::Server::with_config(fast_config().build());
        io.middleware(|socket| {
            let with_data = socket
                .request()
                .uri
                .query()
                .unwrap_or("")
                .contains("data=1");
            async move {
                let e = socketio::MiddlewareError::new("Authentication error");
                Err(if with_data {
                    e.with_data(json!({"retry": false}))
                } else {
                    e
                })
            }
        });
        io.of("/chat").on_connection(|s| {
            let _ = s.emit("auth", &s.handshake().auth);
        });
        let s = serve(io).await;
        for (query, refusal) in [
            ("", r#"44"Authentication error""#),
            ("&data=1", r#"44{"retry":false}"#),
        ] {
            let path = format!("/socket.io/?EIO=3&transport=websocket{query}");
            let mut ws = sio_common::SioWs::connect(s.addr, &path).await.unwrap();
            assert!(ws.recv_text().await.starts_with("0{"));
            assert_eq!(ws.recv_text().await, refusal);
            for (connect, auth) in [
                ("40/chat?a=1&a=2&b=x+y,", r#"{"a":"2","b":"x y"}"#),
                ("40/chat?k=v", r#"{"k":"v"}"#),
                ("40/chat,", "{}"),
            ] {
                ws.send_text(connect).await;
                assert_eq!(ws.recv_text().await, "40/chat,", "{connect}");
                assert_eq!(
                    ws.recv_text().await,
                    format!(r#"42/chat,["auth",{auth}]"#),
                    "{connect}"
                );
                ws.send_text("41/chat,").await;
            }
            ws.close().await;
        }
        s.close().await;
    })
    .await;
}
