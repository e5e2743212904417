//! Real Socket.IO clients against the conformance fixture (SIO-1 §3, SIO-2 §6): socket.io-client
//! 4.x (`tests/clients/sio_client.js`) and python-socketio's asyncio client
//! (`tests/clients/sio_client.py`), every scenario over long-polling only, WebSocket only, and
//! polling upgraded to WebSocket; plus a socket.io-client 2.x smoke test
//! (`tests/clients/sio_client_v2.js`, protocol 4, SIO-3).
//!
//! Each test starts its own fixture and runs one script, which checks what it receives and
//! reports one `RESULT {json}` line; the scenarios are described in the scripts. Against the
//! Node reference: `SIO_FIXTURE_URL=http://127.0.0.1:PORT cargo test -p examples --test
//! socketio_clients`.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::time::Duration;

use serde_json::{json, Value};
use sio_common::*;

/// The scripts' own deadline; the test waits a little longer for their report.
const SCRIPT_LIMIT: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
enum Client {
    Node,
    Python,
}

async fn run(client: Client, scenario: &str, mode: &str) -> Value {
    let fx = fixture().await;
    let config = json!({
        "url": fx.base_url(),
        "mode": mode,
        "scenario": scenario,
        "timeoutMs": SCRIPT_LIMIT.as_millis() as u64,
    });
    let within = SCRIPT_LIMIT + Duration::from_secs(5);
    let result = match client {
        Client::Node => run_node("sio_client.js", &config, within).await,
        Client::Python => run_python("sio_client.py", &config, within).await,
    };
    check(scenario, &result);
    result
}

/// What the Rust side checks on top of the script's own assertions.
fn check(scenario: &str, result: &Value) {
    match scenario {
        "connect" => {
            let id = result["id"].as_str().unwrap();
            assert_eq!(id.len(), 20, "socket id {id}");
        }
        "restricted" => {
            let refusals = result["refusals"].as_array().unwrap();
            assert_eq!(refusals.len(), 2, "{result}");
            for r in refusals {
                assert_eq!(r["message"], "not authorized", "{result}");
                // The fixture's middleware sets no `data`: absent from the CONNECT_ERROR.
                assert!(r.get("data").map_or(true, Value::is_null), "{result}");
            }
        }
        "force-disconnect" => assert_ne!(result["firstId"], result["secondId"]),
        "peer-disconnected" => assert_ne!(result["leftId"], result["kickedId"]),
        _ => {}
    }
}

macro_rules! client_tests {
    ($client:expr; $($name:ident => $scenario:literal),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn polling() {
                    with_timeout(LIMIT, async {
                        run($client, $scenario, "polling").await;
                    })
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn websocket() {
                    with_timeout(LIMIT, async {
                        run($client, $scenario, "websocket").await;
                    })
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn upgrade() {
                    with_timeout(LIMIT, async {
                        run($client, $scenario, "upgrade").await;
                    })
                    .await;
                }
            }
        )*
    };
}

/// socket.io-client 4.8 (Node).
mod node {
    use super::*;

    client_tests! {
        Client::Node;
        connect => "connect",
        custom_namespace => "custom",
        restricted_namespace => "restricted",
        message_json_and_binary => "message",
        acks_with_and_without_timeouts => "acks",
        server_to_client_ack => "server-ack",
        several_namespaces_over_one_connection => "multiplex",
        force_disconnect_then_connect => "force-disconnect",
        rooms => "rooms",
        broadcast_reaches_everyone => "broadcast",
        peer_disconnected => "peer-disconnected",
        automatic_leave_on_disconnect => "auto-leave",
    }
}

/// python-socketio 5 (asyncio client).
mod python {
    use super::*;

    client_tests! {
        Client::Python;
        connect => "connect",
        custom_namespace => "custom",
        restricted_namespace => "restricted",
        message_json_and_binary => "message",
        acks_with_and_without_timeouts => "acks",
        server_to_client_ack => "server-ack",
        several_namespaces_over_one_connection => "multiplex",
        force_disconnect_then_connect => "force-disconnect",
        rooms => "rooms",
        broadcast_reaches_everyone => "broadcast",
        peer_disconnected => "peer-disconnected",
        automatic_leave_on_disconnect => "auto-leave",
    }
}

/// socket.io-client 2.5 (Node): Socket.IO protocol 4 over Engine.IO 3 (SIO-3's subject). Should
/// a change to our server break them before SIO-3, mark them `#[ignore]` rather than delete.
mod node_v2 {
    use super::*;

    async fn smoke(mode: &str, nsp: &str) {
        with_timeout(LIMIT, async {
            let fx = fixture().await;
            let config = json!({
                "url": fx.base_url(),
                "mode": mode,
                "nsp": nsp,
                "timeoutMs": SCRIPT_LIMIT.as_millis() as u64,
            });
            let result = run_node(
                "sio_client_v2.js",
                &config,
                SCRIPT_LIMIT + Duration::from_secs(5),
            )
            .await;
            let id = result["id"].as_str().unwrap();
            if nsp != "/" {
                assert!(id.starts_with(&format!("{nsp}#")), "protocol 4 id {id}");
            }
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn root_polling() {
        smoke("polling", "/").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn root_websocket() {
        smoke("websocket", "/").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn custom_polling() {
        smoke("polling", "/custom").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn custom_websocket() {
        smoke("websocket", "/custom").await;
    }
}
