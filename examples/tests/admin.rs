//! The Socket.IO Admin UI against our server (ADMIN-1): `socketio_admin::instrument` on the
//! admin fixture (`examples::admin_fixture`), driven by socket.io-client 4.x acting as the UI
//! (`tests/clients/admin_client.js`: the cases of upstream's own tests and more) and by the
//! real, unmodified UI (`@socket.io/admin-ui` 0.5.1 `ui/dist`) in headless Chromium
//! (`tests/browser/admin_ui.js`), on one node, across two Rust nodes on one Redis, and beside
//! the Node reference (`tests/clients/admin_node.js`: socket.io 4.8 with the official
//! `instrument`) in one cluster.
//!
//! Every scenario also runs against the Node reference in the admin-ui work (see
//! `admin_client.js`); here each runs against ours, and the mixed-cluster cases run both.
//! The browser cases are skipped with a notice when Chromium, playwright-core or the UI's files
//! (`scripts/setup-admin-ui.sh`) are missing; the cluster cases when `redis-server` is.
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use examples::admin_fixture::{start, Config, Running};
use redis_common::sio_common::{clients_dir, repo_root, with_timeout, ClientProcess};
use redis_common::{redis_available, RedisServer};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(150);

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The fixture with `config` (the JSON of `admin_node.js`).
async fn rust_node(config: Value) -> Running {
    let config: Config = serde_json::from_value(config).unwrap();
    start(&config, local()).await.unwrap()
}

fn url(node: &Running) -> String {
    format!("http://{}", node.addr)
}

/// Runs scenario `name` of `admin_client.js` with `config`, and asserts it passed.
async fn scenario(name: &str, mut config: Value) -> Value {
    config["scenario"] = json!(name);
    let mut client = ClientProcess::node("admin_client.js", &config);
    let result = client.result(Duration::from_secs(120)).await;
    assert_eq!(result["ok"], true, "scenario {name} {config}: {result:#}");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_refuses_wrong_credentials_and_keeps_sessions() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({"auth": "basic"})).await;
        let base = json!({"url": url(&node), "auth": "basic"});
        scenario("auth_refused", base.clone()).await;
        let accepted = scenario("auth_accepted", base).await;
        // Ours sends `session` once connected, so the UI's listener (added on `connect`) gets it.
        assert_eq!(accepted["sessionOrder"], "after-connect", "{accepted:#}");
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_follow_readonly_and_mode() {
    with_timeout(LIMIT, async {
        for (readonly, mode) in [
            (false, "development"),
            (true, "development"),
            (false, "production"),
            (true, "production"),
        ] {
            let node = rust_node(json!({"readonly": readonly, "mode": mode})).await;
            scenario(
                "features",
                json!({"url": url(&node), "readonly": readonly, "mode": mode}),
            )
            .await;
            node.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_sockets_lists_the_app_and_the_admin_itself() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({"auth": "basic"})).await;
        let r = scenario("all_sockets", json!({"url": url(&node), "auth": "basic"})).await;
        // The peer's address reaches the handshake under axum (socketio feature `axum`).
        for s in r["allSockets"].as_array().unwrap() {
            assert_eq!(s["handshake"]["address"], "::ffff:127.0.0.1", "{s:#}");
        }
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_events_in_the_default_and_a_custom_namespace() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({})).await;
        scenario("tracking", json!({"url": url(&node)})).await;
        node.shutdown().await;
        let node = rust_node(json!({"namespaceName": "/sio-admin"})).await;
        scenario(
            "tracking",
            json!({"url": url(&node), "namespace": "/sio-admin"}),
        )
        .await;
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_received_and_sent_with_binary_acks_and_broadcasts() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({})).await;
        scenario("events", json!({"url": url(&node)})).await;
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stats_every_two_seconds() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({"serverId": "rust-1"})).await;
        let r = scenario(
            "server_stats",
            json!({"url": url(&node), "serverId": "rust-1"}),
        )
        .await;
        println!("{}", r["serverStats"]);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_join_leave_emit_and_disconnect() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({})).await;
        scenario("commands", json!({"url": url(&node)})).await;
        node.shutdown().await;
        let node = rust_node(json!({"namespaceName": "/custom"})).await;
        scenario(
            "commands",
            json!({"url": url(&node), "namespace": "/custom"}),
        )
        .await;
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_and_production_modes() {
    with_timeout(LIMIT, async {
        for mode in ["development", "production"] {
            let node = rust_node(json!({"readonly": true, "mode": mode})).await;
            scenario(
                "readonly_ignores_commands",
                json!({"url": url(&node), "readonly": true, "mode": mode}),
            )
            .await;
            node.shutdown().await;
        }
        for readonly in [false, true] {
            let node = rust_node(json!({"readonly": readonly, "mode": "production"})).await;
            scenario(
                "production",
                json!({"url": url(&node), "readonly": readonly, "mode": "production"}),
            )
            .await;
            node.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_namespaces_are_tracked() {
    with_timeout(LIMIT, async {
        let node = rust_node(json!({})).await;
        scenario("dynamic_namespace", json!({"url": url(&node)})).await;
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_for_a_ui_on_another_origin() {
    with_timeout(LIMIT, async {
        let origin = "http://127.0.0.1:8080";
        let node = rust_node(json!({"corsOrigin": origin})).await;
        scenario("cors", json!({"url": url(&node), "origin": origin})).await;
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_odd_commands_and_bad_logins_leave_it_serving() {
    with_timeout(LIMIT, async {
        for auth in ["none", "basic"] {
            let node = rust_node(json!({"auth": auth})).await;
            // `hostile`: also the inputs that crash Node's 0.5.1 (a reserved event name in
            // `emit`, a password that is not a string).
            scenario(
                "flood",
                json!({"url": url(&node), "auth": auth, "hostile": true}),
            )
            .await;
            // Odd commands made no namespace.
            let mut names: Vec<String> = node
                .io
                .namespaces()
                .iter()
                .map(|n| n.name().to_owned())
                .collect();
            names.sort();
            assert!(
                names
                    .iter()
                    .all(|n| n == "/" || n == "/admin" || n.starts_with("/dynamic-")),
                "{names:?}"
            );
            node.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rust_nodes_on_one_redis() {
    if !redis_available() {
        return;
    }
    with_timeout(LIMIT, async {
        for auth in ["none", "basic"] {
            // A Redis of its own: the previous pair's nodes are not counted as late servers.
            let redis = RedisServer::start().await;
            let a = rust_node(json!({"redis": redis.url(), "serverId": "rust-a", "auth": auth})).await;
            let b = rust_node(json!({"redis": redis.url(), "serverId": "rust-b", "auth": auth})).await;
            scenario(
                "cluster",
                json!({"url": url(&a), "url2": url(&b), "serverId": "rust-a", "serverId2": "rust-b", "auth": auth}),
            )
            .await;
            a.shutdown().await;
            b.shutdown().await;
        }
    })
    .await;
}

/// The Node reference node on `redis`, as `admin_node.js` runs it.
async fn node_reference(config: Value) -> (ClientProcess, String) {
    let mut node = ClientProcess::node("admin_node.js", &config);
    let ready = node.expect("READY", Duration::from_secs(30)).await;
    let port = ready["port"].as_u64().unwrap();
    (node, format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_node_and_the_node_reference_in_one_cluster() {
    if !redis_available() {
        return;
    }
    with_timeout(LIMIT, async {
        for auth in ["none", "basic"] {
            let redis = RedisServer::start().await;
            let rust = rust_node(json!({"redis": redis.url(), "serverId": "rust", "auth": auth})).await;
            let (mut node, node_url) = node_reference(
                json!({"port": 0, "redis": redis.url(), "serverId": "node", "auth": auth}),
            )
            .await;
            // The UI on our node lists the Node node's sockets and commands them, and the
            // other way round: each reads the other's `_admin` data; sessions are shared.
            scenario(
                "cluster",
                json!({"url": url(&rust), "url2": node_url, "serverId": "rust", "serverId2": "node", "auth": auth}),
            )
            .await;
            scenario(
                "cluster",
                json!({"url": node_url, "url2": url(&rust), "serverId": "node", "serverId2": "rust", "auth": auth}),
            )
            .await;
            node.kill().await;
            rust.shutdown().await;
        }
    })
    .await;
}

// --- the real UI -----------------------------------------------------------------------------

fn ui_dir() -> PathBuf {
    repo_root().join(".cache").join("admin-ui").join("dist")
}

fn browser_available() -> bool {
    let ok = PathBuf::from("/usr/bin/chromium").exists()
        && clients_dir()
            .join("node_modules")
            .join("playwright-core")
            .exists()
        && ui_dir().join("index.html").exists();
    if !ok {
        println!("NOTICE: skipping the Admin UI browser test: Chromium, playwright-core or the UI's files missing (scripts/setup-browser.sh, scripts/setup-test-deps.sh)");
    }
    ok
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("admin-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn real_ui(config: Value) -> Value {
    let mut browser = ClientProcess::node("../browser/admin_ui.js", &config);
    let result = browser.result(Duration::from_secs(130)).await;
    assert_eq!(result["ok"], true, "the Admin UI {config}: {result:#}");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_ui_same_origin_with_basic_auth_and_a_reload() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let node =
            rust_node(json!({"auth": "basic", "serverId": "rust-ui", "uiDir": ui_dir()})).await;
        let r = real_ui(json!({
            "ui": format!("{}/admin-ui/", url(&node)),
            "server": url(&node),
            "auth": "basic",
            "shots": shots(),
            "tag": "rust-basic",
        }))
        .await;
        assert_eq!(r["modalError"], "Invalid credentials", "{r:#}");
        // The UI kept the session we sent after CONNECT and logged in again with it.
        assert_eq!(r["reloadReauth"], true, "{r:#}");
        assert_eq!(r["disconnectReason"], "io server disconnect", "{r:#}");
        assert_eq!(r["server"]["serverId"], "rust-ui", "{r:#}");
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_ui_websocket_only_without_auth() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let node = rust_node(json!({"uiDir": ui_dir()})).await;
        let r = real_ui(json!({
            "ui": format!("{}/admin-ui/", url(&node)),
            "server": url(&node),
            "auth": "none",
            "wsOnly": true,
            "shots": shots(),
            "tag": "rust-ws",
        }))
        .await;
        assert_eq!(r["uiTransport"], "websocket", "{r:#}");
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_ui_from_another_origin() {
    if !browser_available() {
        return;
    }
    with_timeout(LIMIT, async {
        // The UI's files on their own origin (as admin.socket.io is), the server allowing it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut files = tokio::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(ui_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let origin = format!("http://127.0.0.1:{port}");
        let node = rust_node(json!({"corsOrigin": origin})).await;
        // Wait for the file server.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        real_ui(json!({
            "ui": format!("{origin}/"),
            "server": url(&node),
            "auth": "none",
            "shots": shots(),
            "tag": "rust-cross-origin",
        }))
        .await;
        node.shutdown().await;
        let _ = files.kill().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_ui_on_node_a_shows_node_b() {
    if !browser_available() || !redis_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let redis = RedisServer::start().await;
        let a = rust_node(
            json!({"redis": redis.url(), "serverId": "rust-a", "auth": "basic", "uiDir": ui_dir()}),
        )
        .await;
        let b =
            rust_node(json!({"redis": redis.url(), "serverId": "rust-b", "auth": "basic"})).await;
        let r = real_ui(json!({
            "ui": format!("{}/admin-ui/", url(&a)),
            "server": url(&a),
            "appServer": url(&b),
            "servers": 2,
            "auth": "basic",
            "shots": shots(),
            "tag": "rust-cluster",
        }))
        .await;
        assert_eq!(r["serverIds"], json!(["rust-a", "rust-b"]), "{r:#}");
        assert_eq!(r["reloadReauth"], true, "{r:#}");
        a.shutdown().await;
        b.shutdown().await;
    })
    .await;
}
