//! The axum chat example (`examples/src/axum_chat.rs`, API-1) driven by real socket.io-client
//! 4.x users (`tests/clients/axum_chat.js`) on the three transports: the auth middleware
//! refusing a bad or missing token with its message and data, `whoami`, rooms with history,
//! messages that reach the room but not the sender nor anyone outside, acks with ids, typing
//! notices, the room's user list, leave and disconnect notices, the `stats` broadcast, answers
//! to values out of bounds, handlers skipped for arguments of the wrong shape with the
//! connection kept, the HTTP routes beside Socket.IO, and the shutdown order (clients are told
//! before the HTTP server stops).
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::time::Duration;

use examples::axum_chat::{start, Options, DEMO_TOKENS, HISTORY_LEN, MAX_ROOM_LEN, MAX_TEXT_LEN};
use serde_json::{json, Value};
use sio_common::{http, with_timeout, ClientProcess};

fn token(name: &str) -> &'static str {
    DEMO_TOKENS
        .iter()
        .find(|(_, user)| *user == name)
        .map(|(token, _)| *token)
        .unwrap()
}

async fn get_json(addr: std::net::SocketAddr, path: &str) -> Value {
    let response = http(addr, "GET", path, b"").await.unwrap();
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json"),
        "{response:?}"
    );
    serde_json::from_str(&response.text()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_with_real_clients() {
    with_timeout(Duration::from_secs(60), async {
        let mut options = Options {
            stats_every: Duration::from_millis(200),
            ..Options::default()
        };
        options.addr.set_port(0);
        let running = start(options).await.unwrap();
        let addr = running.addr;

        // The app's own routes, beside Socket.IO.
        let health = http(addr, "GET", "/health", b"").await.unwrap();
        assert_eq!((health.status, health.text()), (200, "ok\n".to_owned()));
        assert_eq!(
            get_json(addr, "/stats").await,
            json!({"connected": 0, "rooms": 0})
        );

        let mut users = ClientProcess::node(
            "axum_chat.js",
            &json!({
                "url": format!("http://{addr}"),
                "tokens": {
                    "alice": token("alice"),
                    "bob": token("bob"),
                    "carol": token("carol"),
                },
                "maxText": MAX_TEXT_LEN,
                "maxRoom": MAX_ROOM_LEN,
            }),
        );
        let r = users.expect("READY", Duration::from_secs(45)).await;

        // Node: `next(new Error("unauthorized"))` with `err.data`: the client's connect_error.
        assert_eq!(
            r["badToken"],
            json!({"message": "unauthorized", "data": {"reason": "bad token"}, "connected": false}),
            "{r}"
        );
        assert_eq!(
            r["noToken"],
            json!({"message": "unauthorized", "data": {"reason": "no token"}, "connected": false}),
            "{r}"
        );

        // The typed user the middleware attached.
        assert_eq!(r["whoami"], json!({"id": r["aliceId"], "name": "alice"}), "{r}");

        // Rooms and their history.
        assert_eq!(r["aliceJoin"], json!({"room": "general", "history": []}), "{r}");
        let first = &r["firstMessage"]["id"];
        assert!(first.is_u64(), "{r}");
        let history = &r["bobJoin"]["history"];
        assert_eq!(history.as_array().map(Vec::len), Some(1), "{r}");
        assert_eq!(history[0]["id"], *first, "{r}");
        assert_eq!(history[0]["user"], "alice", "{r}");
        assert_eq!(history[0]["text"], "hello", "{r}");
        assert_eq!(history[0]["room"], "general", "{r}");
        assert!(history[0]["at"].as_u64().unwrap() > 1_600_000_000_000, "{r}");
        assert_eq!(
            r["joinedNotice"],
            json!({"room": "general", "user": "bob"}),
            "{r}"
        );

        // A message reaches the room but its sender, and no one outside; its ack has its id.
        let second = r["secondMessage"]["id"].as_u64().unwrap();
        assert!(second > first.as_u64().unwrap(), "{r}");
        let got = &r["bobGot"];
        assert_eq!(got["id"], second, "{r}");
        assert_eq!(
            (&got["room"], &got["user"], &got["text"]),
            (&json!("general"), &json!("alice"), &json!("hi bob")),
            "{r}"
        );
        assert_eq!(r["carolMessages"], json!([]), "{r}");
        assert_eq!(r["aliceMessages"], json!([]), "{r}");

        // Typing notices go to the room but the sender, and only from a member.
        assert_eq!(r["typing"], json!({"room": "general", "user": "alice"}), "{r}");
        assert_eq!(
            r["typingAfterCarol"],
            json!({"room": "general", "user": "alice"}),
            "{r}"
        );

        // The room's users, from `fetch_sockets`.
        assert_eq!(
            r["users"],
            json!({"room": "general", "users": ["alice", "bob"]}),
            "{r}"
        );
        assert_eq!(
            r["usersOfEmptyRoom"],
            json!({"room": "nobody-here", "users": []}),
            "{r}"
        );

        // `stats` reaches every client.
        assert_eq!(r["stats"], json!({"connected": 3, "rooms": 1}), "{r}");
        assert!(r["aliceStats"]["connected"].is_u64(), "{r}");

        // Values out of bounds are answered with an error.
        assert_eq!(
            r["longMessage"],
            json!({"error": "message too long", "limit": MAX_TEXT_LEN}),
            "{r}"
        );
        let long_room = json!({"error": "room name too long", "limit": MAX_ROOM_LEN});
        assert_eq!(r["longRoom"], long_room, "{r}");
        assert_eq!(r["longRoomMessage"], long_room, "{r}");
        assert_eq!(r["emptyMessage"], json!({"error": "empty message"}), "{r}");
        assert_eq!(r["notInRoom"], json!({"error": "not in room"}), "{r}");
        assert!(r["maxMessage"]["id"].as_u64().unwrap() > second, "{r}");

        // Arguments of the wrong shape skip a handler (no ack, nothing sent to the room), or
        // reach one that takes the `Result` as `Err`, which answers; the connection stays and
        // the next event is answered.
        assert_eq!(r["wrongShapeAck"]["error"], "bad arguments", "{r}");
        assert_eq!(
            r["wrongShapeAck"]["detail"],
            "2 arguments: string of 7 bytes, object of 1 keys: invalid type: map, expected a string",
            "{r}"
        );
        assert_eq!(r["wrongShapeJoinAck"], json!({"timeout": true}), "{r}");
        assert_eq!(r["afterWrongShape"]["name"], "alice", "{r}");
        assert_eq!(r["aliceStillConnected"], true, "{r}");
        assert_eq!(
            r["bobMessageTexts"],
            json!(["hi bob", "yyyyyyyyyy"]),
            "{r}"
        );

        // Leaving and disconnecting are announced to the room.
        assert_eq!(r["leave"], json!({"room": "general"}), "{r}");
        assert_eq!(
            r["leftNotice"],
            json!({"room": "general", "user": "bob", "reason": "left"}),
            "{r}"
        );
        assert_eq!(
            r["usersAfterLeave"],
            json!({"room": "general", "users": ["alice"]}),
            "{r}"
        );
        assert_eq!(
            r["disconnectNotice"],
            json!({"room": "general", "user": "bob", "reason": "client namespace disconnect"}),
            "{r}"
        );

        // The history keeps the last HISTORY_LEN messages of 55.
        assert_eq!(
            r["flood"],
            json!({"length": HISTORY_LEN, "first": format!("m{}", 55 - HISTORY_LEN), "last": "m54"}),
            "{r}"
        );

        // alice in general, carol in flood; bob gone.
        assert_eq!(
            get_json(addr, "/stats").await,
            json!({"connected": 2, "rooms": 2})
        );

        // Shutdown: Socket.IO first, then axum; the port is freed. Each client, on WebSocket
        // and on polling, gets its Engine.IO close packet, which socket.io-client reports as
        // `transport close` (Node's `io.close()` sends no Socket.IO DISCONNECT either). In the
        // other order the polling client's pending poll is cut: `transport error`.
        running.shutdown().await;
        let result = users.result(Duration::from_secs(10)).await;
        assert_eq!(
            result["reasons"],
            json!({"alice": "transport close", "carol": "transport close"}),
            "{result}"
        );
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    })
    .await;
}
