//! A mixed cluster on one private Redis: the Node reference node (`tests/clients/redis_node.js`:
//! socket.io 4.8 + @socket.io/redis-adapter 8.3 + redis 4) beside a Rust node, driven by real
//! socket.io-client 4.x clients on both (`tests/clients/redis_client.js`), each way round.
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::time::Duration;

use redis_common::sio_common::{run_node, ClientProcess};
use redis_common::{redis_available, wait_numsub, wait_server_count, RedisServer, RustNode};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_and_rust_nodes_every_operation() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let mut node =
        ClientProcess::node("redis_node.js", &json!({ "port": 0, "redis": redis.url() }));
    let ready = node.expect("READY", Duration::from_secs(60)).await;
    let node_url = format!("http://127.0.0.1:{}", ready["port"]);
    let rust = RustNode::start(&redis.url()).await;
    // One subscription per node, whichever implementation: Node counts its peers by it.
    wait_numsub(&redis, "socket.io-request#/#", 2).await;
    wait_server_count(&[&rust], 2).await;
    for (a, b) in [(&node_url, &rust.url()), (&rust.url(), &node_url)] {
        let config = json!({ "a": a, "b": b, "scenario": "cluster", "timeoutMs": 90000 });
        let result = run_node("redis_client.js", &config, LIMIT).await;
        assert_eq!(result["ok"], json!(true), "{result:#}");
    }
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_and_two_rust_nodes() {
    if !redis_available() {
        return;
    }
    let redis = RedisServer::start().await;
    let mut node =
        ClientProcess::node("redis_node.js", &json!({ "port": 0, "redis": redis.url() }));
    let ready = node.expect("READY", Duration::from_secs(60)).await;
    let node_url = format!("http://127.0.0.1:{}", ready["port"]);
    let r1 = RustNode::start(&redis.url()).await;
    let r2 = RustNode::start(&redis.url()).await;
    wait_numsub(&redis, "socket.io-request#/#", 3).await;
    wait_server_count(&[&r1, &r2], 3).await;
    for (a, b) in [(&node_url, &r1.url()), (&r2.url(), &node_url)] {
        let config =
            json!({ "a": a, "b": b, "scenario": "cluster", "nodes": 3, "timeoutMs": 90000 });
        let result = run_node("redis_client.js", &config, LIMIT).await;
        assert_eq!(result["ok"], json!(true), "{result:#}");
    }
    drop(node);
}
