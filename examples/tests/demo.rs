//! The README's demo chat (DEMO-1) in a real browser: headless Chromium (Debian's `chromium`,
//! driven by `playwright-core`, `tests/browser/demo.js`) with two pages, one on long-polling
//! and one on WebSocket: nicknames, messages with their delivery tick, typing, the user list,
//! an image sent as binary, rooms and their history, hostile strings shown as text, an
//! oversized message refused with a clear error; then two demo nodes on one Redis, a message
//! typed on node A's page appearing on node B's. Screenshots go to the test's target directory
//! (`demo-screenshots`). Also, without a browser: events of the wrong shape are ignored without
//! dropping the connection, and an unreachable Redis leaves the node serving its own clients.
//!
//! The browser parts are skipped, with a notice, when Chromium or `playwright-core` is missing
//! (`scripts/setup-browser.sh` installs Chromium); the Redis part when `redis-server` is.
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use examples::demo::{start, Options};
use redis_common::sio_common::{clients_dir, with_timeout, ClientProcess, SioWs};
use redis_common::{redis_available, RedisServer};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(120);

fn browser_available() -> bool {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let playwright = clients_dir().join("node_modules").join("playwright-core");
    let ok = chromium.exists() && playwright.exists();
    if !ok {
        println!("NOTICE: skipping the demo's browser test: Chromium or playwright-core missing (scripts/setup-browser.sh, scripts/setup-test-deps.sh)");
    }
    ok
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn drive(a: SocketAddr, b: SocketAddr, full: bool) -> Value {
    let mut browser = ClientProcess::node(
        "../browser/demo.js",
        &json!({
            "a": format!("http://{a}/"),
            "b": format!("http://{b}/"),
            "shots": shots(),
            "full": full,
        }),
    );
    browser.result(Duration::from_secs(100)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pages_chat_on_one_node() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let demo = start(Options {
            addr: local(),
            redis: None,
            admin: None,
        })
        .await
        .unwrap();
        let result = drive(demo.addr, demo.addr, true).await;
        // Page A stayed on polling, page B on WebSocket.
        assert_eq!(
            result["transports"][0], "connected over polling",
            "{result}"
        );
        assert_eq!(
            result["transports"][1], "connected over websocket",
            "{result}"
        );
        for shot in ["demo-a.png", "demo-b.png"] {
            assert!(
                shots().join(shot).metadata().unwrap().len() > 1000,
                "{shot}"
            );
        }
        demo.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_a_chat_through_redis() {
    if !browser_available() || !redis_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let redis = RedisServer::start().await;
        let node = || async {
            start(Options {
                addr: local(),
                redis: Some(redis.url()),
                admin: None,
            })
            .await
            .unwrap()
        };
        let (a, b) = (node().await, node().await);
        // Both subscribed before the pages connect.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let result = drive(a.addr, b.addr, false).await;
        assert_eq!(result["ok"], true, "{result}");
        a.shutdown().await;
        b.shutdown().await;
    })
    .await;
}

/// A raw client that said hello and joined `general`.
async fn joined(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    ws.recv_text().await; // open
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40"));
    ws.send_text(r#"421["hello","eve"]"#).await;
    assert!(ws.recv_text().await.starts_with(r#"431[{"id""#));
    ws.send_text(r#"422["join","general"]"#).await;
    loop {
        if ws.recv_text().await.starts_with("432") {
            return ws;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_shapes_are_ignored_and_bounds_answered() {
    with_timeout(LIMIT, async {
        let demo = start(Options {
            addr: local(),
            redis: None,
            admin: None,
        })
        .await
        .unwrap();
        let mut ws = joined(demo.addr).await;
        for bad in [
            r#"42["message",123]"#,
            r#"423["message"]"#,
            r#"42["join",{"room":1}]"#,
            r#"42["image","general","not bytes"]"#,
            r#"42["typing"]"#,
            r#"42["hello",null]"#,
            r#"42["unknown",1,2,3]"#,
        ] {
            ws.send_text(bad).await;
        }
        let long = "x".repeat(501);
        ws.send_text(&format!(r#"424["message","general","{long}"]"#))
            .await;
        ws.send_text(r#"425["hello",""]"#).await;
        ws.send_text(r#"426["message","nowhere","hi"]"#).await;
        let mut answers = Vec::new();
        while answers.len() < 3 {
            let text = ws.recv_text().await;
            if text.starts_with("43") {
                answers.push(text);
            }
        }
        assert_eq!(
            answers,
            [
                r#"434[{"error":"message too long (at most 500 characters)"}]"#,
                r#"435[{"error":"a nickname needs 1 to 32 characters"}]"#,
                r#"436[{"error":"join the room first"}]"#,
            ]
        );
        // Still connected, still served.
        ws.send_text(r#"427["message","general","fine"]"#).await;
        loop {
            let text = ws.recv_text().await;
            if text.starts_with("437") {
                assert!(text.starts_with(r#"437[{"id":"#), "{text}");
                break;
            }
        }
        demo.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_leaves_the_node_serving() {
    with_timeout(LIMIT, async {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let demo = start(Options {
            addr: local(),
            redis: Some(format!("redis://127.0.0.1:{port}")),
            admin: None,
        })
        .await
        .unwrap();
        let mut ws = joined(demo.addr).await;
        ws.send_text(r#"423["message","general","alone"]"#).await;
        loop {
            if ws.recv_text().await.starts_with(r#"433[{"id":"#) {
                break;
            }
        }
        demo.shutdown().await;
    })
    .await;
}
