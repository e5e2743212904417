//! The seed's API (socket.io 2.x server docs), item by item, each driven from a real client
//! (socket.io-client 4.x or 2.x through `tests/clients/sio3_client.js`). `docs/API.md` maps
//! every item to its Rust form and to its test here (or in another `sio3_*` file);
//! `sio3_api_table.rs` checks that the table and the tests agree.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use sio3_common::*;
use sio_common::with_timeout;
use socketio::{AckSender, Args, MiddlewareError, Server};

/// Opens `nsp` with `opts` and connects; then `more`.
fn plan(nsp: &str, opts: Value, more: Vec<Value>) -> Value {
    let mut steps = vec![
        json!({"op": "open", "s": "a", "nsp": nsp, "opts": opts}),
        json!({"op": "connect", "s": "a"}),
    ];
    steps.extend(more);
    Value::Array(steps)
}

fn echo_handlers(io: &Server) {
    io.on_connection(|socket| {
        socket.on("echo", |_s, args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
    });
}

fn echo_step() -> Value {
    json!({"op": "emit", "s": "a", "event": "echo", "args": ["hi", bin(&[1])], "ack": true})
}

fn assert_echoed(r: &[Value]) {
    assert_eq!(step(r, "connect", "a")["connected"], true, "{r:?}");
    assert_eq!(
        step(r, "emit", "a")["ack"],
        json!(["hi", bin(&[1])]),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Server

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_new_no_args() {
    with_timeout(LIMIT, async {
        let io = Server::new();
        echo_handlers(&io);
        assert_eq!(io.path(), "/socket.io");
        assert!(io.serve_client());
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V4,
            "upgrade",
            plan("/", json!({}), vec![echo_step()]),
        )
        .await;
        assert_echoed(&r);
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_with_options() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(
            fast_config()
                .path("/realtime")
                .serve_client(false)
                .ping_interval(Duration::from_millis(1234))
                .build(),
        );
        echo_handlers(&io);
        assert!(!io.serve_client());
        let s = serve(io).await;
        for client in [Client::V4, Client::V2] {
            let r = run(
                &s.url(),
                client,
                "polling",
                plan(
                    "/",
                    json!({"path": "/realtime"}),
                    vec![echo_step(), json!({"op": "transport", "s": "a"})],
                ),
            )
            .await;
            assert_echoed(&r);
            assert_eq!(step(&r, "transport", "a")["pingInterval"], 1234);
        }
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_options_passed_through() {
    with_timeout(LIMIT, async {
        // Without `allow_eio3`, socket.io-client 2.x is refused, as in Node.
        let engine = engineio::EngineConfig::builder()
            .ping_interval(Duration::from_millis(700))
            .ping_timeout(Duration::from_millis(900))
            .build();
        let io = Server::with_config(socketio::ServerConfig::builder().engine(engine).build());
        echo_handlers(&io);
        let s = serve(io.clone()).await;
        let r = run(
            &s.url(),
            Client::V4,
            "websocket",
            plan("/", json!({}), vec![json!({"op": "transport", "s": "a"})]),
        )
        .await;
        let t = step(&r, "transport", "a");
        assert_eq!(
            (t["pingInterval"].clone(), t["pingTimeout"].clone()),
            (json!(700), json!(900))
        );
        let r = run(
            &s.url(),
            Client::V2,
            "polling",
            plan("/", json!({}), vec![]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["connected"], false, "{r:?}");
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_listen_on_a_port() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        echo_handlers(&io);
        let addr = io.listen(("127.0.0.1", 0)).await.unwrap();
        let url = format!("http://{addr}");
        let r = run(
            &url,
            Client::V2,
            "websocket",
            plan("/", json!({}), vec![echo_step()]),
        )
        .await;
        assert_echoed(&r);
        io.close().await;
    })
    .await;
}

async fn seed_example(running: examples::attach::Running) {
    let url = format!("http://{}", running.addr);
    let page = http_request(running.addr, "GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Socket.IO attached"));
    for mode in ["polling", "websocket"] {
        let r = run(
            &url,
            Client::V4,
            mode,
            plan(
                "/",
                json!({}),
                vec![
                    json!({"op": "emit", "s": "a", "event": "event", "args": [{"some": "data"}, bin(&[3])]}),
                    json!({"op": "wait", "s": "a", "event": "event"}),
                ],
            ),
        )
        .await;
        assert_eq!(
            step(&r, "wait", "a")["args"],
            json!([{"some": "data"}, bin(&[3])])
        );
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_plain_http() {
    with_timeout(LIMIT, async {
        let running = examples::attach::plain_http(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        seed_example(running).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_express_axum() {
    with_timeout(LIMIT, async {
        let running = examples::attach::express(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        seed_example(running).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_koa() {
    with_timeout(LIMIT, async {
        let running = examples::attach::koa(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        seed_example(running).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_getter_setter() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        echo_handlers(&io);
        io.set_path("/custom-path").unwrap();
        assert_eq!(io.path(), "/custom-path");
        let s = serve(io.clone()).await;
        assert!(matches!(
            io.set_path("/late"),
            Err(socketio::ConfigError::Attached)
        ));
        assert_eq!(io.path(), "/custom-path");
        let r = run(
            &s.url(),
            Client::V2,
            "polling",
            plan("/", json!({"path": "/custom-path"}), vec![echo_step()]),
        )
        .await;
        assert_echoed(&r);
        s.close().await;
    })
    .await;
}

/// An adapter factory that counts the adapters it makes (one per namespace).
#[derive(Default, Clone)]
struct Counting(Arc<AtomicUsize>);

impl socketio::AdapterFactory for Counting {
    fn create(&self, handle: socketio::NamespaceHandle) -> Arc<dyn socketio::Adapter> {
        self.0.fetch_add(1, Ordering::SeqCst);
        socketio::LocalAdapter.create(handle)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_getter_setter() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let counting = Counting::default();
        io.set_adapter(counting.clone());
        // `/` existed already: it got one of the new adapters.
        assert_eq!(counting.0.load(Ordering::SeqCst), 1);
        let _chat = io.of("/chat");
        assert_eq!(counting.0.load(Ordering::SeqCst), 2);
        // The getter hands out the factory in use; namespaces made later get its adapters.
        let _factory: Arc<dyn socketio::AdapterFactory> = io.adapter();
        let _more = io.of("/more");
        assert_eq!(counting.0.load(Ordering::SeqCst), 3);
        let main = io.clone();
        io.on_connection(move |socket| {
            let io = main.clone();
            socket.on(
                "broadcast",
                move |_s, (payload,): (socketio::AnyValue,), _ack| {
                    let _ = io.emit("msg", &payload);
                },
            );
        });
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V4,
            "websocket",
            plan(
                "/",
                json!({}),
                vec![
                    json!({"op": "emit", "s": "a", "event": "broadcast", "args": [bin(&[1, 2])]}),
                    json!({"op": "wait", "s": "a", "event": "msg"}),
                ],
            ),
        )
        .await;
        assert_eq!(step(&r, "wait", "a")["args"], json!([bin(&[1, 2])]));
        s.close().await;
    })
    .await;
}

async fn origins_case(origins: engineio::Origins, mode: &str) {
    let io = Server::with_config(fast_config().build());
    echo_handlers(&io);
    io.set_origins(origins).unwrap();
    let s = serve(io.clone()).await;
    // Node's socket.io-client sends no Origin of its own: set it as a page would.
    let with_origin = |origin: &str| plan("/", json!({"extraHeaders": {"origin": origin}}), vec![]);
    let r = run(
        &s.url(),
        Client::V4,
        mode,
        with_origin("http://good.example"),
    )
    .await;
    assert_eq!(step(&r, "connect", "a")["connected"], true, "{r:?}");
    let r = run(
        &s.url(),
        Client::V4,
        mode,
        with_origin("http://evil.example"),
    )
    .await;
    assert_eq!(step(&r, "connect", "a")["connected"], false, "{r:?}");
    assert!(matches!(
        io.set_origins(engineio::Origins::any()),
        Err(socketio::ConfigError::Attached)
    ));
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_list() {
    with_timeout(LIMIT, async {
        let io = Server::new();
        assert_eq!(format!("{:?}", io.origins()), "Origins(*:*)");
        for mode in ["polling", "websocket"] {
            origins_case(engineio::Origins::list(["http://good.example:80"]), mode).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_fn() {
    with_timeout(LIMIT, async {
        for mode in ["polling", "websocket"] {
            let allowed = engineio::Origins::predicate(|origin: String| async move {
                origin == "http://good.example"
            });
            origins_case(allowed, mode).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sockets_is_root() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let s = serve(io.clone()).await;
        let mut p = spawn(
            &s.url(),
            Client::V2,
            "websocket",
            json!([
                {"op": "open", "s": "a", "nsp": "/"},
                {"op": "connect", "s": "a"},
                {"op": "open", "s": "b", "nsp": "/other-place"},
                {"op": "connect", "s": "b"},
                {"op": "wait", "s": "a", "event": "to-root", "ms": 10000},
                {"op": "none", "s": "b", "event": "to-root", "ms": 300},
            ]),
        );
        io.of("/other-place");
        while p.expect("STEP", LIMIT).await["s"] != "b" {}
        assert_eq!(io.sockets().name(), "/");
        io.sockets().emit("to-root", &"hello").unwrap();
        let r = p.result(LIMIT).await;
        let r = r["results"].as_array().unwrap();
        assert_eq!(step(r, "wait", "a")["args"], json!(["hello"]));
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_user_built_engine() {
    with_timeout(LIMIT, async {
        let io = Server::new();
        echo_handlers(&io);
        let config = engineio::EngineConfig::builder()
            .path("/socket.io")
            .allow_eio3(true)
            .build();
        let engine = engineio::Engine::with_handler(config, io.engine_handler());
        io.bind(engine.clone()).unwrap();
        assert!(io.bind(engine.clone()).is_err());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = engineio::serve(listener, io.service(engineio::NotFound));
        let url = format!("http://{addr}");
        for client in [Client::V4, Client::V2] {
            let r = run(
                &url,
                client,
                "upgrade",
                plan("/", json!({}), vec![echo_step()]),
            )
            .await;
            assert_echoed(&r);
        }
        assert_eq!(engine.clients_count(), io.engine().clients_count());
        io.close().await;
        server.shutdown().await;
    })
    .await;
}

/// An engine handler of the app's own that counts sessions before handing them to Socket.IO.
struct Counted {
    io: Server,
    sio: Arc<dyn engineio::Handler>,
    sessions: Arc<AtomicUsize>,
}

impl engineio::Handler for Counted {
    fn on_connect(&self, conn: engineio::Socket) {
        self.sessions.fetch_add(1, Ordering::SeqCst);
        self.io.on_engine_connection(conn);
    }

    fn on_message(&self, conn: &engineio::Socket, message: engineio::Message) {
        self.sio.on_message(conn, message);
    }

    fn on_close(&self, conn: &engineio::Socket, reason: engineio::CloseReason) {
        self.sio.on_close(conn, reason);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onconnection_raw_session() {
    with_timeout(LIMIT, async {
        let io = Server::new();
        echo_handlers(&io);
        let sessions = Arc::new(AtomicUsize::new(0));
        let handler = Counted {
            io: io.clone(),
            sio: io.engine_handler(),
            sessions: sessions.clone(),
        };
        let config = engineio::EngineConfig::builder()
            .path("/socket.io")
            .allow_eio3(true)
            .build();
        io.bind(engineio::Engine::new(config, handler)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = engineio::serve(listener, io.service(engineio::NotFound));
        let url = format!("http://{addr}");
        for client in [Client::V4, Client::V2] {
            let r = run(
                &url,
                client,
                "websocket",
                plan("/", json!({}), vec![echo_step()]),
            )
            .await;
            assert_echoed(&r);
        }
        assert_eq!(sessions.load(Ordering::SeqCst), 2);
        io.close().await;
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_namespace() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let chat = io.of("chat");
        assert_eq!(chat.name(), "/chat");
        assert_eq!(io.of("/chat").name(), "/chat");
        chat.on_connection(|s| {
            let _ = s.emit("where", s.ns().name());
        });
        let s = serve(io).await;
        for client in [Client::V4, Client::V2] {
            let r = run(
                &s.url(),
                client,
                "polling",
                plan(
                    "/chat",
                    json!({}),
                    vec![json!({"op": "wait", "s": "a", "event": "where"})],
                ),
            )
            .await;
            assert_eq!(step(&r, "wait", "a")["args"], json!(["/chat"]));
        }
        s.close().await;
    })
    .await;
}

/// Starts one 2.x and one 4.x client on `nsp` that wait for `event`; returns them once both
/// are connected.
async fn two_waiting(
    url: &str,
    nsp: &str,
    event: &str,
    extra: Vec<Value>,
) -> Vec<sio_common::ClientProcess> {
    let mut out = Vec::new();
    for (client, mode) in [(Client::V2, "polling"), (Client::V4, "websocket")] {
        let mut steps = vec![
            json!({"op": "open", "s": "a", "nsp": nsp}),
            json!({"op": "connect", "s": "a"}),
        ];
        steps.extend(extra.clone());
        steps.push(json!({"op": "sleep", "ms": 1}));
        steps.push(json!({"op": "wait", "s": "a", "event": event, "ms": 10000}));
        let mut p = spawn(url, client, mode, Value::Array(steps));
        while p.expect("STEP", LIMIT).await["op"] != "sleep" {}
        out.push(p);
    }
    out
}

async fn waited(p: &mut sio_common::ClientProcess) -> Value {
    let r = p.result(LIMIT).await;
    let r = r["results"].as_array().unwrap().clone();
    step(&r, "wait", "a")["args"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_emit_reaches_all() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let s = serve(io.clone()).await;
        let mut clients = two_waiting(
            &s.url(),
            "/",
            "an event sent to all connected clients",
            vec![],
        )
        .await;
        io.emit(
            "an event sent to all connected clients",
            &Bytes::from_static(&[4, 2]),
        )
        .unwrap();
        for p in &mut clients {
            assert_eq!(waited(p).await, json!([bin(&[4, 2])]));
        }
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let s = serve(io.clone()).await;
        let addr = s.addr;
        let mut p = spawn(
            &s.url(),
            Client::V2,
            "websocket",
            plan("/", json!({}), vec![json!({"op": "closed", "s": "a"})]),
        );
        p.expect("STEP", LIMIT).await;
        p.expect("STEP", LIMIT).await;
        io.close().await;
        let r = p.result(LIMIT).await;
        let r = r["results"].as_array().unwrap();
        assert_eq!(step(r, "closed", "a")["reason"], "transport close");
        // The port is free again (Node: `server.listen(PORT)` after `io.close()`).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        let again = loop {
            let again = tokio::net::TcpListener::bind(addr).await;
            if again.is_ok() || tokio::time::Instant::now() > deadline {
                break again;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(again.is_ok(), "{again:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_use_middleware() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        io.middleware(|socket| {
            let has_cookie = socket.request().headers.contains_key("cookie");
            async move {
                if has_cookie {
                    Ok(())
                } else {
                    Err(MiddlewareError::new("Authentication error"))
                }
            }
        });
        echo_handlers(&io);
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V4,
            "polling",
            plan(
                "/",
                json!({"extraHeaders": {"cookie": "io=1"}}),
                vec![echo_step()],
            ),
        )
        .await;
        assert_echoed(&r);
        let r = run(
            &s.url(),
            Client::V4,
            "polling",
            plan("/", json!({}), vec![]),
        )
        .await;
        assert_eq!(
            step(&r, "connect", "a")["error"]["message"],
            "Authentication error"
        );
        // 2.x: the refusal of `/` is its `error` event with the message.
        let r = run(
            &s.url(),
            Client::V2,
            "websocket",
            plan("/", json!({}), vec![]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["error"], "Authentication error");
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Namespace

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_connection_event() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        io.of("/chat").on_connection(move |socket| {
            c.fetch_add(1, Ordering::SeqCst);
            let _ = socket.emit("welcome", socket.id());
        });
        let s = serve(io).await;
        for client in [Client::V4, Client::V2] {
            let r = run(
                &s.url(),
                client,
                "websocket",
                plan(
                    "/chat",
                    json!({}),
                    vec![json!({"op": "wait", "s": "a", "event": "welcome"})],
                ),
            )
            .await;
            assert_eq!(
                step(&r, "wait", "a")["args"][0],
                step(&r, "connect", "a")["id"]
            );
        }
        assert_eq!(count.load(Ordering::SeqCst), 2);
        s.close().await;
    })
    .await;
}

fn join_handler(io: &Server, nsp: &str) {
    io.of(nsp).on_connection(|socket| {
        socket.on("join", |s, room: String, ack: AckSender| {
            let joined = s.join(room.as_str()).is_ok();
            let _ = ack.send(&joined);
        });
        socket.on("leave", |s, room: String, ack: AckSender| {
            s.leave(&room);
            let _ = ack.send(&true);
        });
    });
}

fn ids(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_connected_and_clients() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        join_handler(&io, "/chat");
        let s = serve(io.clone()).await;
        let join = vec![
            json!({"op": "emit", "s": "a", "event": "join", "args": ["general"], "ack": true}),
        ];
        let mut clients = two_waiting(&s.url(), "/chat", "done", vec![]).await;
        let mut general = two_waiting(&s.url(), "/chat", "done", join).await;
        let chat = io.of("/chat");
        let connected = chat.connected();
        assert_eq!(connected.len(), 4);
        let all = ids(chat.clients().await);
        assert_eq!(all, ids(connected.keys().map(|k| k.to_string()).collect()));
        // Protocol 4 ids on a namespace are `/chat#<engine id>`.
        assert_eq!(all.iter().filter(|id| id.starts_with("/chat#")).count(), 2);
        let in_general = ids(chat.within("general").clients().await);
        assert_eq!(in_general.len(), 2);
        for id in &in_general {
            assert!(connected[id.as_str()]
                .rooms()
                .iter()
                .any(|r| &**r == "general"));
        }
        // The seed's `io.clients(cb)`: protocol 4 clients are in `/` too, from the start.
        assert_eq!(io.clients().await.len(), 2);
        chat.emit("done", &()).unwrap();
        for p in clients.iter_mut().chain(general.iter_mut()) {
            waited(p).await;
        }
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_use() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        io.of("/vip").middleware(|socket| {
            let token = socket.handshake().auth.get("token").cloned();
            async move {
                match token {
                    Some(t) if t == "gold" => Ok(()),
                    _ => Err(MiddlewareError::new("not a vip").with_data(json!({"retry": false}))),
                }
            }
        });
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V4,
            "polling",
            plan("/vip", json!({"auth": {"token": "tin"}}), vec![]),
        )
        .await;
        let e = &step(&r, "connect", "a")["error"];
        assert_eq!(
            (e["message"].clone(), e["data"].clone()),
            (json!("not a vip"), json!({"retry": false}))
        );
        let r = run(
            &s.url(),
            Client::V4,
            "polling",
            plan("/vip", json!({"auth": {"token": "gold"}}), vec![]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["connected"], true);
        // 2.x: the token in the namespace query; a refusal carries `data` when set.
        let r = run(
            &s.url(),
            Client::V2,
            "polling",
            plan("/vip", json!({"query": {"token": "tin"}}), vec![]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["error"], json!({"retry": false}));
        let r = run(
            &s.url(),
            Client::V2,
            "polling",
            plan("/vip", json!({"query": {"token": "gold"}}), vec![]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["connected"], true);
        s.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Socket

fn socket_facts(io: &Server) {
    io.on_connection(|socket| {
        socket.on("facts", |s, _: Args, ack: AckSender| {
            let client = s.client();
            let _ = ack.send(&json!({
                "id": s.id(),
                "rooms": s.rooms().iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                "clientConnId": client.conn().id().as_str(),
                "connId": s.conn().id().as_str(),
                "transport": s.conn().transport().as_str(),
                "clientRequestPath": client.request().uri.path(),
                "userAgent": s.request().headers.get("user-agent").and_then(|v| v.to_str().ok()),
                "seed": s.request().headers.get("x-seed").and_then(|v| v.to_str().ok()),
            }));
        });
    });
}

async fn facts(client: Client, mode: &str) -> (Value, Value) {
    let io = Server::with_config(fast_config().build());
    socket_facts(&io);
    let s = serve(io).await;
    let r = run(
        &s.url(),
        client,
        mode,
        plan(
            "/",
            json!({"extraHeaders": {"x-seed": "2.x docs", "user-agent": "sio3-test"}}),
            vec![
                json!({"op": "transport", "s": "a"}),
                json!({"op": "emit", "s": "a", "event": "facts", "ack": true}),
            ],
        ),
    )
    .await;
    s.close().await;
    (
        step(&r, "transport", "a").clone(),
        step(&r, "emit", "a")["ack"][0].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_id_client_conn_request() {
    with_timeout(LIMIT, async {
        for (client, mode) in [(Client::V4, "websocket"), (Client::V2, "polling")] {
            let (t, f) = facts(client, mode).await;
            assert_eq!(f["id"], t["id"], "socket.id as the client sees it");
            assert_eq!(f["connId"], t["engineId"]);
            assert_eq!(f["clientConnId"], t["engineId"]);
            assert_eq!(f["transport"], t["transport"]);
            assert_eq!(f["clientRequestPath"], "/socket.io/");
            assert_eq!(f["seed"], "2.x docs");
            assert_eq!(f["userAgent"], "sio3-test");
            match client {
                Client::V4 => assert_eq!(f["id"].as_str().unwrap().len(), 20),
                Client::V2 => assert_eq!(f["id"], t["engineId"]),
            }
            // `rooms`: the socket's own id.
            assert_eq!(f["rooms"], json!([f["id"]]));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_emit_binary() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        io.on_connection(|socket| {
            let _ = socket.emit("an event", &json!({"some": "data"}));
            let _ = socket.emit(
                "binary",
                &(Bytes::from_static(&[0, 255]), json!({"nested": [1]}), "x"),
            );
        });
        let s = serve(io).await;
        for (client, mode) in [
            (Client::V4, "polling"),
            (Client::V2, "polling"),
            (Client::V2, "websocket"),
        ] {
            let r = run(
                &s.url(),
                client,
                mode,
                plan(
                    "/",
                    json!({}),
                    vec![
                        json!({"op": "wait", "s": "a", "event": "an event"}),
                        json!({"op": "wait", "s": "a", "event": "binary"}),
                    ],
                ),
            )
            .await;
            let waits = steps(&r, "wait", "a");
            assert_eq!(waits[0]["args"], json!([{"some": "data"}]));
            assert_eq!(
                waits[1]["args"],
                json!([bin(&[0, 255]), {"nested": [1]}, "x"])
            );
        }
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_join_leave_rooms() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        join_handler(&io, "/");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rooms_seen = seen.clone();
        io.on_connection(move |socket| {
            let seen = rooms_seen.clone();
            socket.on("rooms", move |s, _: Args, ack: AckSender| {
                let rooms: Vec<String> = s.rooms().iter().map(|r| r.to_string()).collect();
                seen.lock().unwrap().push(rooms.clone());
                let _ = ack.send(&rooms);
            });
        });
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V2,
            "websocket",
            plan(
                "/",
                json!({}),
                vec![
                    json!({"op": "emit", "s": "a", "event": "join", "args": ["room1"], "ack": true}),
                    json!({"op": "emit", "s": "a", "event": "rooms", "ack": true}),
                    json!({"op": "emit", "s": "a", "event": "leave", "args": ["room1"], "ack": true}),
                    json!({"op": "emit", "s": "a", "event": "rooms", "ack": true}),
                    json!({"op": "emit", "s": "a", "event": "join", "args": ["x".repeat(2000)], "ack": true}),
                ],
            ),
        )
        .await;
        let id = step(&r, "connect", "a")["id"].as_str().unwrap().to_owned();
        let emits = steps(&r, "emit", "a");
        assert_eq!(emits[0]["ack"], json!([true]));
        let mut with_room = emits[1]["ack"][0].as_array().unwrap().clone();
        with_room.sort_by_key(|v| v.to_string());
        let mut want = vec![json!(id), json!("room1")];
        want.sort_by_key(|v| v.to_string());
        assert_eq!(with_room, want);
        assert_eq!(emits[3]["ack"], json!([[id]]));
        // `join(room, cb)`'s error: a name past the room limits.
        assert_eq!(emits[4]["ack"], json!([false]));
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_to_and_in_room() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        join_handler(&io, "/");
        io.on_connection(|socket| {
            socket.on("tell", |s, (how, room): (String, String), _ack| {
                let op = if how == "in" {
                    s.within(room)
                } else {
                    s.to(room)
                };
                let _ = op.emit("an event", &json!({"some": "data", "how": how}));
            });
        });
        let s = serve(io).await;
        let join =
            vec![json!({"op": "emit", "s": "a", "event": "join", "args": ["others"], "ack": true})];
        let mut others = two_waiting(&s.url(), "/", "an event", join.clone()).await;
        let r = run(
            &s.url(),
            Client::V4,
            "websocket",
            plan(
                "/",
                json!({}),
                vec![
                    join[0].clone(),
                    json!({"op": "emit", "s": "a", "event": "tell", "args": ["to", "others"]}),
                    json!({"op": "none", "s": "a", "event": "an event", "ms": 300}),
                    json!({"op": "emit", "s": "a", "event": "tell", "args": ["in", "others"]}),
                    json!({"op": "none", "s": "a", "event": "an event", "ms": 300}),
                ],
            ),
        )
        .await;
        assert_eq!(steps(&r, "emit", "a").len(), 3);
        for p in &mut others {
            assert_eq!(waited(p).await, json!([{"some": "data", "how": "to"}]));
        }
        s.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_compress() {
    with_timeout(LIMIT, async {
        let io = Server::with_config(fast_config().build());
        io.on_connection(|socket| {
            let op = socket.compress(false);
            assert!(op.is_uncompressed());
            let _ = op.emit("an event", &json!({"some": "data"}));
            let _ = socket.compress(true).volatile().emit("maybe", &1);
            let _ = socket.volatile().emit("maybe", &2);
        });
        let s = serve(io).await;
        for (client, mode) in [(Client::V4, "websocket"), (Client::V2, "polling")] {
            let r = run(
                &s.url(),
                client,
                mode,
                plan(
                    "/",
                    json!({}),
                    vec![json!({"op": "wait", "s": "a", "event": "an event"})],
                ),
            )
            .await;
            assert_eq!(step(&r, "wait", "a")["args"], json!([{"some": "data"}]));
        }
        s.close().await;
    })
    .await;
}
