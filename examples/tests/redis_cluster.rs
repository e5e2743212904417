//! Two Rust nodes on one private Redis, with real socket.io-client 4.x clients on both
//! (`tests/clients/redis_client.js`): every cross-node operation, one subscription per node,
//! the Node emitter (`@socket.io/redis-emitter` 5.1) into the cluster, hostile bus traffic,
//! and a Redis restart.
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis_common::sio_common::{run_node, SioWs};
use redis_common::{redis_available, wait_numsub, wait_server_count, RedisServer, RustNode};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(120);

fn assert_ok(result: &Value) {
    assert_eq!(result["ok"], json!(true), "client run failed: {result:#}");
}

async fn drive(a: &RustNode, b: &RustNode, scenario: &str) {
    drive_in(a, b, scenario, 2).await;
}

/// Runs `scenario` with clients on `a` and `b`, in a cluster of `nodes`.
async fn drive_in(a: &RustNode, b: &RustNode, scenario: &str, nodes: usize) {
    let config = json!({
        "a": a.url(), "b": b.url(), "scenario": scenario, "nodes": nodes, "timeoutMs": 90000,
    });
    assert_ok(&run_node("redis_client.js", &config, LIMIT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rust_nodes_every_operation() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    wait_server_count(&[&a, &b], 2).await;
    // Exactly one subscription per node to each request channel, as Node counts nodes, with
    // one subscriber connection for every namespace.
    for nsp in ["/chat", "/admin"] {
        let _ = (a.io.of(nsp), b.io.of(nsp));
    }
    for nsp in ["/", "/chat", "/admin"] {
        wait_numsub(&redis, &format!("socket.io-request#{nsp}#"), 2).await;
    }
    let clients = redis.command(&["CLIENT", "LIST"]).await.unwrap_or_default();
    assert_eq!(
        clients.matches("cmd=").count(),
        5,
        "2 connections per node:\n{clients}"
    );
    drive(&a, &b, "cluster").await;
    drive(&b, &a, "cluster").await;
    assert_eq!(a.io.of("/chat").adapter().server_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_rust_nodes_and_a_silent_one() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    let c = RustNode::start(&redis.url()).await;
    wait_server_count(&[&a, &b, &c], 3).await;
    drive_in(&a, &b, "cluster", 3).await;
    drive_in(&c, &a, "cluster", 3).await;

    // A fourth subscriber that never answers (a node killed mid-request looks the same until
    // Redis drops it): calls waiting on it end at their timeout with what came.
    let silent = redis.subscribe("socket.io-request#/#").await;
    wait_server_count(&[&a, &b, &c], 4).await;
    let started = std::time::Instant::now();
    let fetched = tokio::time::timeout(Duration::from_secs(30), a.io.fetch_sockets())
        .await
        .expect("fetch_sockets hung on a silent node");
    assert!(
        fetched.is_err(),
        "fetch_sockets did not wait for the silent node"
    );
    let answers = tokio::time::timeout(
        Duration::from_secs(30),
        a.io.server_side_emit_with_ack("ping-nodes-ack", &"x"),
    )
    .await
    .expect("server_side_emit_with_ack hung on a silent node");
    match answers {
        Err(socketio::BroadcastAckError::Timeout { responses }) => assert_eq!(responses.len(), 2),
        other => panic!("expected a timeout with 2 answers, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_secs(8));
    drop(silent);
    wait_server_count(&[&a, &b, &c], 3).await;
    assert!(a.io.fetch_sockets().await.is_ok());
}

/// A node that has not counted the others yet (its background `PUBSUB NUMSUB` count is
/// refreshed every hour here, every minute by default) still publishes its broadcasts, as Node's adapter
/// does: a node that has just joined misses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_reach_a_node_not_counted_yet() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start_counting_every(&redis.url(), Duration::from_secs(3600)).await;
    // A counts once when it subscribes (and then not for an hour): wait for that count, and
    // for its start-up to be over, before B joins.
    wait_numsub(&redis, "socket.io-request#/#", 1).await;
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while !redis
        .command(&["INFO", "commandstats"])
        .await
        .unwrap_or_default()
        .contains("cmdstat_pubsub|numsub:calls=")
    {
        assert!(std::time::Instant::now() < until, "node A never counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b = RustNode::start(&redis.url()).await;
    wait_numsub(&redis, "socket.io-request#/#", 2).await;
    let mut ws = SioWs::connect(b.addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    assert!(ws.recv_data_text().await.starts_with("0{"));
    ws.send_text("40").await;
    assert!(ws.recv_data_text().await.starts_with("40"));
    assert_eq!(
        a.server_count(),
        1,
        "node A has not counted B: the case under test"
    );
    a.io.emit("early", &1).unwrap();
    a.io.to("nobody").emit("not-for-you", &2).unwrap();
    a.io.except("nobody").emit("early-except", &3).unwrap();
    assert_eq!(ws.recv_data_text().await, r#"42["early",1]"#);
    assert_eq!(ws.recv_data_text().await, r#"42["early-except",3]"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_emitter_into_rust_cluster() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    wait_server_count(&[&a, &b], 2).await;
    let config = json!({
        "a": a.url(), "b": b.url(), "redis": redis.url(), "scenario": "emitter", "timeoutMs": 90000,
    });
    assert_ok(&run_node("redis_client.js", &config, LIMIT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bus_messages_are_dropped() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    wait_server_count(&[&a, &b], 2).await;
    let huge = vec![0x91u8; 2 * 1024 * 1024];
    let bodies: [&[u8]; 12] = [
        b"\xc1\xff\x00garbage",
        b"\x93\xa3abc",
        b"\x93\xa6emitter\x83\xa4type\x02",
        b"\x93\xa6emitter\x83\xa4type\x02\xa4data\xc0\xa3nsp\xa1/\x80",
        b"\x93\xa6emitter\x83\xa4type\x02\xa4data\x91\xa1e\xa3nsp\xa1/\x81\xa5rooms\x05",
        b"{",
        b"{\"type\":99,\"uid\":\"x\"}",
        b"{\"type\":5,\"uid\":\"x\",\"requestId\":7}",
        b"{\"type\":2,\"opts\":{\"rooms\":{}},\"rooms\":\"a\"}",
        b"{\"requestId\":\"nope\",\"sockets\":[1,2]}",
        b"[1,2,3]",
        &huge,
    ];
    let channels = [
        "socket.io#/#",
        "socket.io#/#room#",
        "socket.io-request#/#",
        "socket.io-response#/#",
    ];
    for channel in channels {
        for body in bodies {
            let reply = redis
                .command_bytes(&[b"PUBLISH", channel.as_bytes(), body])
                .await;
            // Both nodes heard it.
            assert_eq!(reply.as_deref(), Some(":2\r\n"), "PUBLISH to {channel}");
        }
    }
    drive(&a, &b, "serving").await;
    wait_server_count(&[&a, &b], 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_mid_traffic() {
    if !redis_available() {
        return;
    }
    let mut redis = RedisServer::start().await;
    let a = RustNode::start(&redis.url()).await;
    let b = RustNode::start(&redis.url()).await;
    wait_server_count(&[&a, &b], 2).await;
    drive(&a, &b, "serving").await;

    // A raw client on node A, to see local delivery while Redis is away.
    let mut ws = SioWs::connect(a.addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    assert!(ws.recv_data_text().await.starts_with("0{"));
    ws.send_text("40").await;
    assert!(ws.recv_data_text().await.starts_with("40"));

    // Both nodes broadcast (to a room nobody is in) all along.
    let stop = Arc::new(AtomicBool::new(false));
    let traffic: Vec<_> = [a.io.clone(), b.io.clone()]
        .into_iter()
        .map(|io| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    io.to("busy").emit("tick", &i).unwrap();
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                i
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.kill().await;

    // Local delivery goes on; nothing fails the emit.
    a.io.emit("local-check", &1).unwrap();
    assert_eq!(ws.recv_data_text().await, r#"42["local-check",1]"#);
    // A call waiting on the other node errors after its timeout instead of hanging.
    let started = std::time::Instant::now();
    let fetched = tokio::time::timeout(Duration::from_secs(30), a.io.fetch_sockets())
        .await
        .expect("fetch_sockets hung while Redis was down");
    assert!(
        fetched.is_err(),
        "fetch_sockets answered without the other node"
    );
    assert!(started.elapsed() >= Duration::from_secs(4));

    redis.restart().await;
    // Both subscribers come back by themselves, one subscription each.
    wait_numsub(&redis, "socket.io-request#/#", 2).await;
    wait_server_count(&[&a, &b], 2).await;
    stop.store(true, Ordering::Relaxed);
    for t in traffic {
        assert!(t.await.unwrap() > 100, "a broadcaster stalled");
    }
    drive(&a, &b, "serving").await;
    drive(&b, &a, "serving").await;
}
