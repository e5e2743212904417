//! Dynamic namespaces (SIO-3 §3, Node's `io.of(regex | fn)`), driven by socket.io-client 4.x
//! and 2.x: a matching name creates the child (before its middleware runs), a name no parent
//! matches is `Invalid namespace`, parents are tried in creation order, the parent's middleware
//! and connection handlers are copied at creation (later ones do not reach existing children),
//! the parent's emits reach every child, `fetch_sockets` on a parent is an error, and
//! `cleanup_empty_child_namespaces` removes a child once its last socket leaves.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use regex::Regex;
use serde_json::json;
use sio3_common::*;
use sio_common::with_timeout;

fn names(children: &[socketio::Namespace]) -> Vec<String> {
    let mut v: Vec<String> = children.iter().map(|n| n.name().to_owned()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_parent_creates_children_before_their_middleware() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(fast_config().build());
        let parent = io.of_regex(Regex::new(r"^/dyn-\d+$").unwrap());
        let seen_in_middleware = Arc::new(AtomicBool::new(false));
        let (server, seen, p) = (io.clone(), seen_in_middleware.clone(), parent.clone());
        parent.middleware(move |socket| {
            // The child exists (and is the parent's) while its middleware runs.
            let exists = server
                .children_of(&p)
                .iter()
                .any(|c| c.name() == socket.ns().name());
            seen.store(exists, Ordering::SeqCst);
            async { Ok(()) }
        });
        parent.on_connection(|socket| {
            let _ = socket.emit("where", socket.ns().name());
        });
        let s = serve(io.clone()).await;
        for client in [Client::V4, Client::V2] {
            let r = run(
                &s.url(),
                client,
                "websocket",
                json!([
                    {"op": "open", "s": "a", "nsp": "/dyn-1"},
                    {"op": "connect", "s": "a"},
                    {"op": "wait", "s": "a", "event": "where"},
                    {"op": "open", "s": "b", "nsp": "/other"},
                    {"op": "connect", "s": "b"},
                ]),
            )
            .await;
            assert_eq!(step(&r, "connect", "a")["connected"], true, "{r:?}");
            assert_eq!(step(&r, "wait", "a")["args"], json!(["/dyn-1"]));
            let refused = step(&r, "connect", "b");
            assert_eq!(refused["connected"], false);
            let message = match client {
                Client::V4 => refused["error"]["message"].clone(),
                Client::V2 => refused["error"]["message"].clone(),
            };
            assert_eq!(message, "Invalid namespace", "{refused}");
        }
        assert!(seen_in_middleware.load(Ordering::SeqCst));
        assert_eq!(names(&io.children_of(&parent)), ["/dyn-1"]);
        // A child is a namespace of the server like any other.
        assert_eq!(io.of("/dyn-1").name(), "/dyn-1");
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parents_in_creation_order_first_match_wins() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(fast_config().build());
        let first = io.of_regex(Regex::new(r"^/both-").unwrap());
        first.on_connection(|s| {
            let _ = s.emit("which", &"first");
        });
        let second =
            io.of_fn(
                |name, _auth| async move { name.starts_with("/both-") || name == "/only-second" },
            );
        second.on_connection(|s| {
            let _ = s.emit("which", &"second");
        });
        let s = serve(io.clone()).await;
        let r = run(
            &s.url(),
            Client::V4,
            "polling",
            json!([
                {"op": "open", "s": "a", "nsp": "/both-x"},
                {"op": "connect", "s": "a"},
                {"op": "wait", "s": "a", "event": "which"},
                {"op": "open", "s": "b", "nsp": "/only-second"},
                {"op": "connect", "s": "b"},
                {"op": "wait", "s": "b", "event": "which"},
            ]),
        )
        .await;
        assert_eq!(step(&r, "wait", "a")["args"], json!(["first"]));
        assert_eq!(step(&r, "wait", "b")["args"], json!(["second"]));
        assert_eq!(names(&io.children_of(&first)), ["/both-x"]);
        assert_eq!(names(&io.children_of(&second)), ["/only-second"]);
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_are_copied_at_creation() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(fast_config().build());
        let parent = io.of_regex(Regex::new(r"^/team-").unwrap());
        parent.on_connection(|s| {
            let _ = s.emit("hi", &1);
        });
        let s = serve(io.clone()).await;
        let join = |nsp: &str| {
            json!([
                {"op": "open", "s": "a", "nsp": nsp},
                {"op": "connect", "s": "a"},
            ])
        };
        let r = run(&s.url(), Client::V4, "websocket", join("/team-a")).await;
        assert_eq!(step(&r, "connect", "a")["connected"], true);
        // A middleware added later reaches only children made after it.
        parent.middleware(|_socket| async { Err(socketio::MiddlewareError::new("closed")) });
        let r = run(&s.url(), Client::V4, "websocket", join("/team-b")).await;
        let refused = step(&r, "connect", "a");
        assert_eq!(refused["connected"], false);
        assert_eq!(refused["error"]["message"], "closed");
        let r = run(&s.url(), Client::V2, "websocket", join("/team-a")).await;
        assert_eq!(step(&r, "connect", "a")["connected"], true, "{r:?}");
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_emits_reach_every_child_and_fetch_sockets_fails() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(fast_config().build());
        let parent = io.of_regex(Regex::new(r"^/dyn-\d+$").unwrap());
        parent.on_connection(|socket| {
            socket.on("join", |s, room: String, ack: socketio::AckSender| {
                let _ = s.join(room.as_str());
                let _ = ack.send(&room);
            });
        });
        let s = serve(io.clone()).await;
        let plan = |nsp: &str, room: &str| {
            json!([
                {"op": "open", "s": "a", "nsp": nsp},
                {"op": "connect", "s": "a"},
                {"op": "emit", "s": "a", "event": "join", "args": [room], "ack": true},
                {"op": "wait", "s": "a", "event": "all", "ms": 10000},
                {"op": "wait", "s": "a", "event": "room", "ms": 2000},
            ])
        };
        let mut one = spawn(&s.url(), Client::V4, "websocket", plan("/dyn-1", "red"));
        let mut two = spawn(&s.url(), Client::V2, "polling", plan("/dyn-2", "blue"));
        for p in [&mut one, &mut two] {
            loop {
                if p.expect("STEP", LIMIT).await["op"] == "emit" {
                    break;
                }
            }
        }
        assert_eq!(names(&io.children_of(&parent)), ["/dyn-1", "/dyn-2"]);
        parent.emit("all", &"everyone").unwrap();
        parent.to("red").to("blue").emit("room", &"rooms").unwrap();
        for p in [&mut one, &mut two] {
            let r = p.result(LIMIT).await;
            let waits: Vec<_> = r["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["op"] == "wait")
                .map(|s| s["args"].clone())
                .collect();
            assert_eq!(waits, [json!(["everyone"]), json!(["rooms"])]);
        }
        let err = parent.broadcast().fetch_sockets().await.unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
        // Empty parents refuse it too.
        let empty = io.of_regex(Regex::new("^/nothing$").unwrap());
        assert!(empty.broadcast().fetch_sockets().await.is_err());
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predicate_sees_the_auth() {
    with_timeout(LIMIT, async {
        let io = socketio::Server::with_config(fast_config().build());
        let parent = io.of_fn(|name, auth| async move {
            // An async decision, as Node's `(name, auth, next)`.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            name.starts_with("/private-") && auth.get("token").and_then(|t| t.as_str()) == Some("t0k")
        });
        parent.on_connection(|s| {
            let _ = s.emit("auth", &s.handshake().auth);
        });
        let s = serve(io.clone()).await;
        let r = run(
            &s.url(),
            Client::V4,
            "websocket",
            json!([
                {"op": "open", "s": "yes", "nsp": "/private-1", "opts": {"auth": {"token": "t0k"}}},
                {"op": "connect", "s": "yes"},
                {"op": "wait", "s": "yes", "event": "auth"},
                {"op": "open", "s": "no", "nsp": "/private-2", "opts": {"auth": {"token": "bad"}}},
                {"op": "connect", "s": "no"},
            ]),
        )
        .await;
        assert_eq!(step(&r, "connect", "yes")["connected"], true);
        assert_eq!(step(&r, "wait", "yes")["args"], json!([{"token": "t0k"}]));
        assert_eq!(
            step(&r, "connect", "no")["error"]["message"],
            "Invalid namespace"
        );
        // socket.io-client 2.x: the namespace query is the auth.
        let r = run(
            &s.url(),
            Client::V2,
            "polling",
            json!([
                {"op": "open", "s": "yes", "nsp": "/private-3", "opts": {"query": {"token": "t0k"}}},
                {"op": "connect", "s": "yes"},
                {"op": "wait", "s": "yes", "event": "auth"},
            ]),
        )
        .await;
        assert_eq!(step(&r, "wait", "yes")["args"], json!([{"token": "t0k"}]));
        assert_eq!(names(&io.children_of(&parent)), ["/private-1", "/private-3"]);
        s.close().await;
    })
    .await;
}

async fn cleanup(on: bool) -> Vec<String> {
    // Node's heartbeat, not the fixture's 300 ms / 200 ms: on a loaded machine a
    // ping timeout would drop "b" early and empty the child for the wrong reason.
    let engine = engineio::EngineConfig::builder().allow_eio3(true).build();
    let io = socketio::Server::with_config(
        socketio::ServerConfig::builder()
            .engine(engine)
            .cleanup_empty_child_namespaces(on)
            .build(),
    );
    let parent = io.of_regex(Regex::new(r"^/tmp-").unwrap());
    let s = serve(io.clone()).await;
    let mut p = spawn(
        &s.url(),
        Client::V4,
        "websocket",
        json!([
            {"op": "open", "s": "a", "nsp": "/tmp-1"},
            {"op": "connect", "s": "a"},
            {"op": "open", "s": "b", "nsp": "/tmp-1"},
            {"op": "connect", "s": "b"},
            {"op": "disconnect", "s": "a"},
            {"op": "sleep", "ms": 200},
            {"op": "sleep", "ms": 10},
        ]),
    );
    loop {
        if p.expect("STEP", LIMIT).await["op"] == "sleep" {
            break;
        }
    }
    // One socket left: the child stays.
    assert_eq!(names(&io.children_of(&parent)), ["/tmp-1"]);
    p.result(LIMIT).await;
    // The script closed its last socket on exit; give the server a moment.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    while tokio::time::Instant::now() < deadline {
        if io.children_of(&parent).is_empty() || !on {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let left = names(&io.children_of(&parent));
    s.close().await;
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_empty_child_namespaces() {
    with_timeout(LIMIT, async {
        assert!(cleanup(true).await.is_empty());
        assert_eq!(cleanup(false).await, ["/tmp-1"]);
    })
    .await;
}
