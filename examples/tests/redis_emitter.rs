//! Our emitter (`socketio_redis::Emitter`): its messages byte for byte against what
//! `@socket.io/redis-emitter` 5.1 writes, and its every call into a Node cluster (the Node
//! reference node `tests/clients/redis_node.js`) and into a Rust cluster, with real
//! socket.io-client 4.x clients (`tests/clients/redis_client.js`, scenario "rust-emitter": the
//! script prints each emitter call as `OP {json}` and this test performs it).
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use redis_common::sio_common::ClientProcess;
use redis_common::{redis_available, wait_numsub, wait_server_count, RedisServer, RustNode};
use serde_json::{json, Value};
use socketio::{AnyValue, Args};
use socketio_redis::{
    server_side_emit_message, BroadcastOperator, Emitter, EmitterError, EmitterRoom,
};

const LIMIT: Duration = Duration::from_secs(120);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The messages of our emitter, against the Node emitter's output captured once with
/// `new Emitter({ publish: (channel, msg) => … })` (`@socket.io/redis-emitter` 5.1.0,
/// notepack.io 3.0.1). Our maps are written in sorted key order, so the JS data below uses
/// sorted keys too.
#[test]
fn messages_equal_the_node_emitters() {
    let e = Emitter::new("redis://127.0.0.1:1").unwrap();
    let broadcast = |op: BroadcastOperator, event: &str, data: &dyn erased::Data| {
        let (channel, message) = data.emit(&op, event).unwrap();
        (channel, hex(&message))
    };
    // ((our channel, our hex), (Node's channel, Node's hex)).
    type Case<'a> = ((String, String), (&'a str, &'a str));
    let cases: Vec<Case<'_>> = vec![
        (
            // JS: e.emit("ev", 1, "two")
            broadcast(e.operator(), "ev", &(1, "two")),
            ("socket.io#/#", "93a7656d697474657283a47479706502a46461746193a2657601a374776fa36e7370a12f83a5726f6f6d7390a5666c61677380a665786365707490"),
        ),
        (
            // JS: e.to("r1").emit("ev", { a: 1, b: [true, null] })
            broadcast(e.to("r1"), "ev", &json!({"a": 1, "b": [true, null]})),
            ("socket.io#/#r1#", "93a7656d697474657283a47479706502a46461746192a2657682a16101a16292c3c0a36e7370a12f83a5726f6f6d7391a27231a5666c61677380a665786365707490"),
        ),
        (
            // JS: e.to("r1").to("r2").except("x").emit("ev")
            broadcast(e.to("r1").to("r2").except("x"), "ev", &()),
            ("socket.io#/#", "93a7656d697474657283a47479706502a46461746191a26576a36e7370a12f83a5726f6f6d7392a27231a27232a5666c61677380a665786365707491a178"),
        ),
        (
            // JS: e.of("admin").to(123).emit("ev", -5, 1.5)
            broadcast(e.of("admin").to(123), "ev", &(-5, 1.5)),
            ("socket.io#/admin#123#", "93a7656d697474657283a47479706502a46461746193a26576fbcb3ff8000000000000a36e7370a62f61646d696e83a5726f6f6d73917ba5666c61677380a665786365707490"),
        ),
        (
            // JS: e.volatile.compress(false).emit("ev", "x")
            broadcast(e.volatile().compress(false), "ev", &("x",)),
            ("socket.io#/#", "93a7656d697474657283a47479706502a46461746192a26576a178a36e7370a12f83a5726f6f6d7390a5666c61677382a8766f6c6174696c65c3a8636f6d7072657373c2a665786365707490"),
        ),
        (
            // JS: e.emit("bin", Buffer.from([1, 2, 3]), { nested: [Buffer.from("xy")] })
            broadcast(
                e.operator(),
                "bin",
                &(
                    Bytes::from_static(&[1, 2, 3]),
                    BTreeMap::from([("nested", vec![Bytes::from_static(b"xy")])]),
                ),
            ),
            ("socket.io#/#", "93a7656d697474657283a47479706502a46461746193a362696ec40301020381a66e657374656491c4027879a36e7370a12f83a5726f6f6d7390a5666c61677380a665786365707490"),
        ),
    ];
    for ((channel, got), (want_channel, want)) in cases {
        assert_eq!(channel, want_channel);
        assert_eq!(got, want, "on {channel}");
    }

    let requests: Vec<(Vec<u8>, &str)> = vec![
        (
            // JS: e.in("r1").socketsJoin(["a", "b"])
            e.in_room("r1").sockets_join_message(["a", "b"]).unwrap(),
            "7b2274797065223a322c226f707473223a7b22726f6f6d73223a5b227231225d2c22657863657074223a5b5d7d2c22726f6f6d73223a5b2261222c2262225d7d",
        ),
        (
            // JS: e.except("r1").socketsLeave("a")
            e.except("r1").sockets_leave_message(["a"]).unwrap(),
            "7b2274797065223a332c226f707473223a7b22726f6f6d73223a5b5d2c22657863657074223a5b227231225d7d2c22726f6f6d73223a5b2261225d7d",
        ),
        (
            // JS: e.in("r1").disconnectSockets(true)
            e.in_room("r1").disconnect_sockets_message(true).unwrap(),
            "7b2274797065223a342c226f707473223a7b22726f6f6d73223a5b227231225d2c22657863657074223a5b5d7d2c22636c6f7365223a747275657d",
        ),
        (
            // JS: e.disconnectSockets()
            e.operator().disconnect_sockets_message(false).unwrap(),
            "7b2274797065223a342c226f707473223a7b22726f6f6d73223a5b5d2c22657863657074223a5b5d7d2c22636c6f7365223a66616c73657d",
        ),
        (
            // JS: e.serverSideEmit("ping-nodes", { from: "emitter" }, 2)
            server_side_emit_message("ping-nodes", &(json!({"from": "emitter"}), 2)).unwrap(),
            "7b22756964223a22656d6974746572222c2274797065223a362c2264617461223a5b2270696e672d6e6f646573222c7b2266726f6d223a22656d6974746572227d2c325d7d",
        ),
    ];
    for (got, want) in requests {
        assert_eq!(hex(&got), want, "{}", String::from_utf8_lossy(&got));
    }

    // JS: e.serverSideEmit("b", Buffer.from([1, 2])) writes
    // {"uid":"emitter","type":6,"data":["b",{"type":"Buffer","data":[1,2]}]}; ours holds the
    // same Buffer object (its keys in sorted order), as the adapters read it.
    let sse = server_side_emit_message("b", &Bytes::from_static(&[1, 2])).unwrap();
    let sse: Value = serde_json::from_slice(&sse).unwrap();
    assert_eq!(
        sse,
        json!({"uid": "emitter", "type": 6, "data": ["b", {"type": "Buffer", "data": [1, 2]}]})
    );

    // JS: e.emit("disconnect") throws `"disconnect" is a reserved event name`.
    let err = e.operator().emit_message("disconnect", &()).unwrap_err();
    assert!(matches!(err, EmitterError::ReservedEvent(ref n) if n == "disconnect"));
    assert_eq!(err.to_string(), "\"disconnect\" is a reserved event name");
}

/// Lets the fixture table above hold data of different types.
mod erased {
    use serde::Serialize;
    use socketio_redis::{BroadcastOperator, EmitterError};

    pub(crate) trait Data {
        fn emit(
            &self,
            op: &BroadcastOperator,
            event: &str,
        ) -> Result<(String, Vec<u8>), EmitterError>;
    }

    impl<T: Serialize> Data for T {
        fn emit(
            &self,
            op: &BroadcastOperator,
            event: &str,
        ) -> Result<(String, Vec<u8>), EmitterError> {
            op.emit_message(event, self)
        }
    }
}

/// A JSON room: a string, or a Node number room.
fn room(value: &Value) -> EmitterRoom {
    match value {
        Value::Number(n) => EmitterRoom::Number(n.as_i64().unwrap()),
        Value::String(s) => EmitterRoom::Name(s.clone()),
        other => panic!("not a room: {other}"),
    }
}

/// Replaces each `{"type":"Buffer","data":[..]}` (what JSON.stringify makes of a Buffer) with a
/// placeholder naming its bytes.
fn take_buffers(value: &mut Value, attachments: &mut Vec<Bytes>) {
    match value {
        Value::Object(map) => {
            if map.len() == 2 && map.get("type") == Some(&json!("Buffer")) {
                if let Some(Value::Array(data)) = map.get("data") {
                    let bytes: Vec<u8> = data.iter().map(|b| b.as_u64().unwrap() as u8).collect();
                    *value = json!({"_placeholder": true, "num": attachments.len()});
                    attachments.push(Bytes::from(bytes));
                    return;
                }
            }
            map.values_mut().for_each(|v| take_buffers(v, attachments));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| take_buffers(v, attachments)),
        _ => {}
    }
}

/// The arguments of an `OP` line, binary restored.
fn args(values: &[Value]) -> Args {
    Args(
        values
            .iter()
            .map(|v| {
                let mut v = v.clone();
                let mut attachments = Vec::new();
                take_buffers(&mut v, &mut attachments);
                AnyValue::from_parts(v, &attachments).unwrap()
            })
            .collect(),
    )
}

/// Performs one `OP` line of the client script with our emitter.
async fn perform(emitter: &Emitter, op: &Value) -> Result<(), EmitterError> {
    let e = emitter.of(op["nsp"].as_str().unwrap());
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let all = op["args"].as_array().cloned().unwrap_or_default();
    let mut b = e.operator();
    for r in list(&op["rooms"]) {
        b = b.to(room(&r));
    }
    for r in list(&op["except"]) {
        b = b.except(room(&r));
    }
    if op["flags"]["volatile"] == json!(true) {
        b = b.volatile();
    }
    if let Some(c) = op["flags"]["compress"].as_bool() {
        b = b.compress(c);
    }
    match op["action"].as_str().unwrap() {
        "emit" => b.emit(all[0].as_str().unwrap(), &args(&all[1..])).await,
        "socketsJoin" => b.sockets_join(all.iter().map(room)).await,
        "socketsLeave" => b.sockets_leave(all.iter().map(room)).await,
        "disconnectSockets" => b.disconnect_sockets(all[0] == json!(true)).await,
        "serverSideEmit" => {
            e.server_side_emit(all[0].as_str().unwrap(), &args(&all[1..]))
                .await
        }
        other => panic!("unknown op {other}"),
    }
}

/// Runs the "rust-emitter" scenario against `a` and `b`, performing its calls with `emitter`.
async fn drive(emitter: &Emitter, mut config: Value) {
    config["scenario"] = json!("rust-emitter");
    config["timeoutMs"] = json!(90000);
    let mut client = ClientProcess::node("redis_client.js", &config);
    loop {
        let op = client.expect("OP", LIMIT).await;
        if op["action"] == json!("end") {
            break;
        }
        perform(emitter, &op)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    client.result(Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_emitter_into_node_node() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let mut node =
        ClientProcess::node("redis_node.js", &json!({ "port": 0, "redis": redis.url() }));
    let ready = node.expect("READY", Duration::from_secs(60)).await;
    let url = format!("http://127.0.0.1:{}", ready["port"]);
    wait_numsub(&redis, "socket.io-request#/#", 1).await;
    wait_numsub(&redis, "socket.io-request#/admin#", 1).await;
    let emitter = Emitter::new(&redis.url()).unwrap();
    // The Node node's `join` takes the string "123", which Node's exact room matching keeps
    // apart from the number 123: the number room is checked on Rust nodes only.
    drive(
        &emitter,
        json!({ "a": url, "b": url, "admin": true, "numberRoom": false }),
    )
    .await;
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_emitter_into_rust_cluster() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    let _ = (a.io.of("/admin"), b.io.of("/admin"));
    wait_server_count(&[&a, &b], 2).await;
    wait_numsub(&redis, "socket.io-request#/admin#", 2).await;
    let emitter = Emitter::new(&redis.url()).unwrap();
    drive(
        &emitter,
        json!({ "a": a.url(), "b": b.url(), "admin": true }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_emitter_into_a_mixed_cluster() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let mut node =
        ClientProcess::node("redis_node.js", &json!({ "port": 0, "redis": redis.url() }));
    let ready = node.expect("READY", Duration::from_secs(60)).await;
    let node_url = format!("http://127.0.0.1:{}", ready["port"]);
    let rust = RustNode::start(&redis.url()).await;
    let _ = rust.io.of("/admin");
    wait_numsub(&redis, "socket.io-request#/#", 2).await;
    wait_numsub(&redis, "socket.io-request#/admin#", 2).await;
    wait_server_count(&[&rust], 2).await;
    let emitter = Emitter::new(&redis.url()).unwrap();
    // c1 on the Node node, c2 (the number-room member) and c3 on the Rust node.
    drive(
        &emitter,
        json!({ "a": node_url, "b": rust.url(), "admin": true }),
    )
    .await;
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emitter_errors_when_redis_is_down_and_recovers() {
    if !redis_available() {
        return;
    }
    let mut redis = RedisServer::start().await;
    let emitter = Emitter::new(&redis.url()).unwrap();
    emitter.emit("x", &1).await.unwrap();
    redis.kill().await;
    let failed = tokio::time::timeout(Duration::from_secs(20), emitter.emit("x", &2))
        .await
        .expect("emit hung while Redis was down");
    assert!(
        matches!(failed, Err(EmitterError::Redis(_) | EmitterError::Timeout)),
        "{failed:?}"
    );
    redis.restart().await;
    // The next call connects again.
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while emitter.emit("x", &3).await.is_err() {
        assert!(
            tokio::time::Instant::now() < until,
            "emitter never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
