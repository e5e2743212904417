//! The Admin UI fixture (ADMIN-1): a server instrumented with `socketio-admin`, with the app
//! that `tests/clients/admin_node.js` (the Node reference, `@socket.io/admin-ui` 0.5.1) runs
//! too, so the protocol scenarios of `tests/clients/admin_client.js` and the real UI in
//! `tests/browser/admin_ui.js` run against either. The `admin` integration tests start it.
//!
//! The app, on `/` and on the dynamic namespaces `/dynamic-<digits>`: a socket joins
//! `auth.room` when given; events `join`(room, ack), `leave`(room, ack), `set_data`(object,
//! ack: merged into the socket's data), `send_me`(ack: the server emits `hello`, 1, "2",
//! bytes [1, 2, 3]), `broadcast`(room, ack: `news` "x" to the room), `hello`(...args, ack?),
//! each acked with "ok".

use std::net::SocketAddr;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use socketio::{AckSender, Args, Namespace, Server, Socket};
use socketio_admin::{instrument, AdminOptions, AdminUi, Auth, Mode};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// bcrypt (cost 10) of `changeit`, the fixture's password for user `admin`.
pub const PASSWORD_HASH: &str = "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS";

/// The fixture's options (the JSON the Node reference takes).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    /// `none` or `basic` (user `admin`, password `changeit`).
    pub auth: String,
    /// Commands refused.
    pub readonly: bool,
    /// `development` or `production`.
    pub mode: String,
    /// The admin namespace.
    pub namespace_name: String,
    /// This node's id in the UI.
    pub server_id: Option<String>,
    /// A Redis URL: the node joins that cluster.
    pub redis: Option<String>,
    /// An origin allowed by CORS, with credentials (the UI served from elsewhere).
    pub cors_origin: Option<String>,
    /// Where the UI's files are (default [`AdminUi::default_dir`]).
    pub ui_dir: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            auth: "none".into(),
            readonly: false,
            mode: "development".into(),
            namespace_name: "/admin".into(),
            server_id: None,
            redis: None,
            cors_origin: None,
            ui_dir: None,
        }
    }
}

/// The fixture, running.
#[derive(Debug)]
pub struct Running {
    /// The server.
    pub io: Server,
    /// Where it listens (the UI is at `/admin-ui/` when its files are in place).
    pub addr: SocketAddr,
    stop_http: oneshot::Sender<()>,
    http: JoinHandle<()>,
}

impl Running {
    /// Socket.IO first, then the HTTP server.
    pub async fn shutdown(self) {
        self.io.close().await;
        let _ = self.stop_http.send(());
        let _ = self.http.await;
    }
}

fn ok(ack: AckSender) {
    let _ = ack.send(&"ok");
}

/// The app's handlers for one socket.
fn app_socket(socket: Socket) {
    if let Some(room) = socket.auth().get("room").and_then(Value::as_str) {
        let _ = socket.join(room.to_owned());
    }
    socket.on("join", |socket, room: String, ack: AckSender| {
        let _ = socket.join(room);
        ok(ack);
    });
    socket.on("leave", |socket, room: String, ack: AckSender| {
        socket.leave(room);
        ok(ack);
    });
    socket.on("set_data", |socket, (patch,): (Value,), ack: AckSender| {
        let mut data = match socket.data_value() {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        if let Value::Object(patch) = patch {
            data.extend(patch);
        }
        let _ = socket.set_data(&data);
        ok(ack);
    });
    socket.on("send_me", |socket, _args: Args, ack: AckSender| {
        let _ = socket.emit("hello", &(1, "2", Bytes::from_static(&[1, 2, 3])));
        ok(ack);
    });
    socket.on("broadcast", |socket, room: String, ack: AckSender| {
        let _ = socket.ns().to(room).emit("news", &"x");
        ok(ack);
    });
    socket.on("hello", |_socket, _args: Args, ack: AckSender| ok(ack));
}

fn app(ns: &Namespace) {
    ns.on_connection(app_socket);
}

/// Starts the fixture on `addr`.
///
/// # Errors
/// A bad Redis URL, or the address cannot be bound.
pub async fn start(config: &Config, addr: SocketAddr) -> std::io::Result<Running> {
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let mut builder = socketio::ServerConfig::builder();
    if let Some(origin) = &config.cors_origin {
        let cors = engineio::CorsOptions::builder()
            .origin(engineio::CorsOrigin::exact(origin))
            .credentials(true)
            .build();
        builder = builder.engine(engineio::EngineConfig::builder().cors(cors).build());
    }
    let io = Server::with_config(builder.build());
    if let Some(url) = &config.redis {
        let adapter = socketio_redis::RedisAdapter::new(url).map_err(|e| invalid(e.to_string()))?;
        io.set_adapter(adapter);
    }
    app(&io.of("/"));
    let dynamic = regex::Regex::new(r"^/dynamic-\d+$").map_err(|e| invalid(e.to_string()))?;
    app(&io.of_regex(dynamic));

    let auth = match config.auth.as_str() {
        "basic" => Auth::basic("admin", PASSWORD_HASH),
        _ => Auth::Disabled,
    };
    let mut options = AdminOptions::new(auth)
        .readonly(config.readonly)
        .namespace_name(config.namespace_name.clone())
        .mode(if config.mode == "production" {
            Mode::Production
        } else {
            Mode::Development
        });
    if let Some(id) = &config.server_id {
        options = options.server_id(id.clone());
    }
    if let Some(url) = &config.redis {
        // Sessions shared by the cluster's nodes, keyed as Node's `RedisStore` keys them.
        let store = socketio_admin::RedisStore::connect(url)
            .await
            .map_err(|e| invalid(e.to_string()))?;
        options = options.store(store);
    }
    instrument(&io, options).map_err(|e| invalid(e.to_string()))?;

    let dir = config
        .ui_dir
        .as_ref()
        .map_or_else(AdminUi::default_dir, std::path::PathBuf::from);
    let ui = AdminUi::new("/admin-ui", dir);
    let app = axum::Router::new()
        .route_service("/admin-ui", ui.clone())
        .route_service("/admin-ui/", ui.clone())
        .route_service("/admin-ui/{*file}", ui)
        .route(
            "/",
            axum::routing::get(|| async { json!({"ok": true}).to_string() }),
        )
        // The peer's address for `handshake.address`: socketio's feature `axum` reads axum's
        // `ConnectInfo` (see `into_make_service_with_connect_info` below).
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop_http, stopped) = oneshot::channel::<()>();
    let http = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running {
        io,
        addr,
        stop_http,
        http,
    })
}
