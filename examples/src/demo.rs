//! The README's demo: a chat in the browser, on one node or on several through Redis.
//!
//! `examples/examples/demo.rs` parses the flags and calls [`start`]; `examples/tests/demo.rs`
//! runs it on port 0 and drives two headless Chromium pages. The page (`examples/demo/`,
//! plain HTML and JavaScript, embedded in the binary) loads the client from this server's own
//! `/socket.io/socket.io.js`.
//!
//! # The protocol
//!
//! | client emits | ack | the others get |
//! |---|---|---|
//! | `hello`, nick | `{ id, nick }` or `{ error }` | |
//! | `join`, room | `{ room, history }`: the room's last [`HISTORY_LEN`] messages on this node | `notice` `{ room, text }` |
//! | `leave`, room | | `notice` |
//! | `message`, room, text | `{ id }` or `{ error }` | `message` `{ id, room, nick, text }` |
//! | `image`, room, bytes | `{ ok }` or `{ error }` | `image` `{ room, nick, data }` (binary) |
//! | `typing`, room, bool | | `typing` `{ room, nick, typing }` |
//!
//! After every join, leave and disconnect the room gets `users` `{ room, users }`: the
//! nicknames in it on every node (`fetch_sockets`), sorted. Events with other shapes are
//! ignored without dropping the connection; a nickname is 1 to [`MAX_NICK`] characters, a
//! room name 1 to [`MAX_ROOM`], a message 1 to [`MAX_TEXT`], an image at most [`MAX_IMAGE`]
//! bytes; past a bound the ack says so. Images are relayed, not kept in the history.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::header;
use axum::response::IntoResponse;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use socketio::{AckSender, Server, Socket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The page.
const INDEX_HTML: &str = include_str!("../demo/index.html");
/// Its script.
const APP_JS: &str = include_str!("../demo/app.js");

/// Messages kept per room.
pub const HISTORY_LEN: usize = 50;
/// Rooms whose history is kept; past it the history of a room nobody is in here goes.
pub const MAX_HISTORY_ROOMS: usize = 1000;
/// The longest nickname, in characters.
pub const MAX_NICK: usize = 32;
/// The longest room name, in characters.
pub const MAX_ROOM: usize = 32;
/// The longest message, in characters.
pub const MAX_TEXT: usize = 500;
/// The largest image, in bytes.
pub const MAX_IMAGE: usize = 512 * 1024;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A Redis URL: the demo is one node of a cluster through the Redis adapter.
    pub redis: Option<String>,
    /// The Admin UI (ADMIN-1): the server instrumented with these options, and the UI's
    /// files served at `/admin-ui/` when they are in [`socketio_admin::AdminUi::default_dir`].
    pub admin: Option<socketio_admin::AdminOptions>,
}

/// A chat message as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Unique on this node.
    pub id: u64,
    /// The room.
    pub room: String,
    /// The sender's nickname.
    pub nick: String,
    /// The text.
    pub text: String,
}

#[derive(Default)]
struct Chat {
    next_id: AtomicU64,
    history: Mutex<HashMap<String, VecDeque<Message>>>,
}

impl Chat {
    fn recent(&self, room: &str) -> Vec<Message> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history
            .get(room)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn keep(&self, io: &Server, message: &Message) {
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if !history.contains_key(&message.room) && history.len() >= MAX_HISTORY_ROOMS {
            let idle = io.of("/").rooms();
            let gone = history
                .keys()
                .find(|r| !idle.iter().any(|i| &**i == r.as_str()))
                .or_else(|| history.keys().next())
                .cloned();
            if let Some(gone) = gone {
                history.remove(&gone);
            }
        }
        let h = history.entry(message.room.clone()).or_default();
        if h.len() == HISTORY_LEN {
            h.pop_front();
        }
        h.push_back(message.clone());
    }
}

fn nick_of(socket: &Socket) -> Option<String> {
    socket
        .data::<Value>()?
        .get("nick")?
        .as_str()
        .map(str::to_owned)
}

/// A trimmed name of 1 to `max` characters without control characters.
fn name(value: &str, max: usize, what: &str) -> Result<String, Value> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(json!({ "error": format!("a {what} needs 1 to {max} characters") }));
    }
    if value.chars().count() > max {
        return Err(json!({ "error": format!("{what} too long (at most {max} characters)") }));
    }
    Ok(value.to_owned())
}

fn reply(ack: AckSender, answer: Value) {
    let _ = ack.send(&answer);
}

fn in_room(socket: &Socket, room: &str) -> bool {
    socket.rooms().iter().any(|r| &**r == room)
}

/// Sends the room its member list, counted on every node.
fn announce_users(io: &Server, room: String) {
    let io = io.clone();
    tokio::spawn(async move {
        let Ok(sockets) = io.to(room.as_str()).fetch_sockets().await else {
            return;
        };
        let mut users: Vec<String> = sockets
            .iter()
            .filter_map(|s| s.data::<Value>()?.get("nick")?.as_str().map(str::to_owned))
            .collect();
        users.sort();
        let _ = io
            .to(room.as_str())
            .emit("users", &json!({ "room": room, "users": users }));
    });
}

/// The demo's Socket.IO server with its handlers, on the in-memory adapter.
pub fn socketio_server() -> Server {
    let io = Server::new();
    let chat = Arc::new(Chat::default());
    let everyone = io.clone();
    io.on_connection(move |socket| {
        tracing::info!(
            socket = socket.id(),
            transport = socket.conn().transport().as_str(),
            "connected"
        );
        let chat = chat.clone();
        let io = everyone.clone();

        socket.on("hello", |socket, nick: String, ack| {
            match name(&nick, MAX_NICK, "nickname") {
                Ok(nick) => {
                    let _ = socket.set_data(&json!({ "nick": nick }));
                    reply(ack, json!({ "id": socket.id(), "nick": nick }));
                }
                Err(e) => reply(ack, e),
            }
        });

        let (c, i) = (chat.clone(), io.clone());
        socket.on("join", move |socket, room: String, ack| {
            let Some(nick) = nick_of(&socket) else {
                return reply(ack, json!({ "error": "say hello first" }));
            };
            let room = match name(&room, MAX_ROOM, "room name") {
                Ok(room) => room,
                Err(e) => return reply(ack, e),
            };
            if socket.join(room.as_str()).is_err() {
                return reply(ack, json!({ "error": "too many rooms" }));
            }
            reply(ack, json!({ "room": room, "history": c.recent(&room) }));
            let _ = socket
                .to(room.as_str())
                .emit("notice", &json!({ "room": room, "text": format!("{nick} joined") }));
            announce_users(&i, room);
        });

        let i = io.clone();
        socket.on("leave", move |socket, room: String, _ack| {
            if !in_room(&socket, &room) || *room == *socket.id() {
                return;
            }
            socket.leave(room.as_str());
            if let Some(nick) = nick_of(&socket) {
                let _ = socket
                    .to(room.as_str())
                    .emit("notice", &json!({ "room": room, "text": format!("{nick} left") }));
            }
            announce_users(&i, room);
        });

        let (c, i) = (chat.clone(), io.clone());
        socket.on("message", move |socket, (room, text): (String, String), ack| {
            let Some(nick) = nick_of(&socket) else {
                return reply(ack, json!({ "error": "say hello first" }));
            };
            if !in_room(&socket, &room) {
                return reply(ack, json!({ "error": "join the room first" }));
            }
            if text.chars().count() > MAX_TEXT {
                return reply(
                    ack,
                    json!({ "error": format!("message too long (at most {MAX_TEXT} characters)") }),
                );
            }
            if text.trim().is_empty() {
                return reply(ack, json!({ "error": "empty message" }));
            }
            let message = Message {
                id: c.next_id.fetch_add(1, Ordering::Relaxed),
                room,
                nick,
                text,
            };
            c.keep(&i, &message);
            let _ = socket.to(message.room.as_str()).emit("message", &message);
            reply(ack, json!({ "id": message.id }));
        });

        socket.on("image", |socket, (room, data): (String, Bytes), ack| {
            let Some(nick) = nick_of(&socket) else {
                return reply(ack, json!({ "error": "say hello first" }));
            };
            if !in_room(&socket, &room) {
                return reply(ack, json!({ "error": "join the room first" }));
            }
            if data.len() > MAX_IMAGE {
                return reply(
                    ack,
                    json!({ "error": format!("image too large (at most {} KiB)", MAX_IMAGE / 1024) }),
                );
            }
            #[derive(Serialize)]
            struct Image<'a> {
                room: &'a str,
                nick: &'a str,
                data: Bytes,
            }
            let image = Image {
                room: &room,
                nick: &nick,
                data,
            };
            let _ = socket.to(room.as_str()).emit("image", &image);
            reply(ack, json!({ "ok": true }));
        });

        socket.on("typing", |socket, (room, typing): (String, bool), _ack| {
            let Some(nick) = nick_of(&socket) else { return };
            if in_room(&socket, &room) {
                let _ = socket.to(room.as_str()).emit(
                    "typing",
                    &json!({ "room": room, "nick": nick, "typing": typing }),
                );
            }
        });

        socket.on_disconnecting(|socket, _reason| {
            // Its chat rooms, kept for the `users` lists sent once it has left them.
            let rooms: Vec<socketio::Room> = socket
                .rooms()
                .into_iter()
                .filter(|r| **r != *socket.id())
                .collect();
            if let Some(nick) = nick_of(&socket) {
                for room in &rooms {
                    let _ = socket.to(room.clone()).emit(
                        "notice",
                        &json!({ "room": &**room, "text": format!("{nick} left") }),
                    );
                }
            }
            socket.extensions().insert(rooms);
        });
        let i = io.clone();
        socket.on_disconnect(move |socket, reason| {
            tracing::info!(socket = socket.id(), %reason, "disconnected");
            if let Some(rooms) = socket.extensions().get::<Vec<socketio::Room>>() {
                for room in rooms {
                    announce_users(&i, room.to_string());
                }
            }
        });
    });
    io
}

/// Probes `url`'s host and port with a TCP connect: whether Redis is reachable now.
async fn reachable(url: &str) -> bool {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, r)| r)
        .rsplit('@')
        .next()
        .unwrap_or("");
    let hostport = rest.split('/').next().unwrap_or("");
    let hostport = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:6379")
    };
    matches!(
        tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::net::TcpStream::connect(hostport)
        )
        .await,
        Ok(Ok(_))
    )
}

/// The running demo.
#[derive(Debug)]
pub struct Running {
    /// The Socket.IO server.
    pub io: Server,
    /// Where it listens.
    pub addr: SocketAddr,
    stop_http: oneshot::Sender<()>,
    http: JoinHandle<()>,
}

impl Running {
    /// Socket.IO first (every client is told), then the HTTP server.
    pub async fn shutdown(self) {
        self.io.close().await;
        let _ = self.stop_http.send(());
        let _ = self.http.await;
    }
}

/// Starts the demo: the page at `/`, Socket.IO at `/socket.io/`.
///
/// # Errors
///
/// The address cannot be bound, or the Redis URL does not parse.
pub async fn start(options: Options) -> std::io::Result<Running> {
    let io = socketio_server();
    if let Some(url) = &options.redis {
        let adapter = socketio_redis::RedisAdapter::new(url)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        if !reachable(url).await {
            // One line; the adapter keeps trying, and this node serves its own clients.
            eprintln!("demo: Redis at {url} is unreachable; serving this node's clients alone until it answers");
        }
        io.set_adapter(adapter);
    }
    let admin_ui = match options.admin {
        Some(admin) => {
            socketio_admin::instrument(&io, admin)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            let dir = socketio_admin::AdminUi::default_dir();
            if !dir.join("index.html").exists() {
                eprintln!("demo: the Admin UI's files are not in {} (scripts/setup-admin-ui.sh puts them there); connect from https://admin.socket.io instead", dir.display());
            }
            Some(socketio_admin::AdminUi::new("/admin-ui", dir))
        }
        None => None,
    };
    let page = || async {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            INDEX_HTML,
        )
    };
    let app = axum::Router::new()
        .route("/", axum::routing::get(page))
        .route(
            "/app.js",
            axum::routing::get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    APP_JS,
                )
                    .into_response()
            }),
        );
    let app = match admin_ui {
        Some(ui) => app
            .route_service("/admin-ui", ui.clone())
            .route_service("/admin-ui/", ui.clone())
            .route_service("/admin-ui/{*file}", ui),
        None => app,
    }
    .layer(io.layer());
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let (stop_http, stopped) = oneshot::channel::<()>();
    let http = tokio::spawn(async move {
        // The peer's address reaches `handshake.address` (socketio feature `axum`).
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
