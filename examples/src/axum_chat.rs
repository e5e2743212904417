//! A chat app in axum: the app of `examples/examples/axum_chat.rs`, which parses its flags and
//! calls [`start`]; `examples/tests/axum_chat.rs` runs it on port 0 and drives it with
//! socket.io-client 4.x (`tests/clients/axum_chat.js`).
//!
//! What it shows, in the order a Node developer would write it:
//!
//! - an axum [`Router`](axum::Router) with its own routes (`GET /health`, `GET /stats` as JSON)
//!   and Socket.IO mounted as a layer (`io.layer()`), served by `axum::serve`;
//! - the app's shared state given once ([`Server::set_state`]) and read from every
//!   middleware and handler ([`Socket::state`]): the token table and each room's history;
//! - an async auth middleware (Node's `io.use`) that reads `auth.token`, refuses a missing or
//!   unknown one with `unauthorized` and a `reason` in the error's data (the client's
//!   `connect_error` sees `err.message` and `err.data`), and attaches the typed [`User`] with
//!   [`Socket::extensions`] and its public part with [`Socket::set_data`] (Node's
//!   `socket.data`, which `fetch_sockets` shows on every node);
//! - the events below, their arguments bound to Rust types as Node binds them to parameters:
//!   arguments of another shape skip the handler (and leave its ack unanswered) without
//!   dropping the connection, except for `message`, whose handler takes a
//!   `Result<_, BindError>` and answers `{ error: "bad arguments", detail }`; values out of
//!   bounds are answered with an error in the ack;
//! - a `stats` broadcast every [`Options::stats_every`], stopped at shutdown;
//! - the shutdown order for axum: the stats task, then Socket.IO (`io.close()`: every client is
//!   told), then axum's graceful shutdown.
//!
//! # The protocol
//! Connect with `io(url, { auth: { token } })`; the demo tokens are [`DEMO_TOKENS`]
//! (`alice-token`, `bob-token`, `carol-token`). Every ack is one object: the answer, or
//! `{ error }` (with `limit` for a bound).
//!
//! | client emits | ack | the others get |
//! |---|---|---|
//! | `whoami` | `{ id, name }` | |
//! | `join`, room | `{ room, history }`: the room's last [`HISTORY_LEN`] [`Message`]s, oldest first | `joined` `{ room, user }` |
//! | `leave`, room | `{ room }` | `left` `{ room, user, reason: "left" }` |
//! | `message`, room, text | `{ id }` | `message` [`Message`] (the room but the sender) |
//! | `typing`, room | | `typing` `{ room, user }` (the room but the sender) |
//! | `users`, room | `{ room, users }`: the names in the room, on every node, sorted | |
//!
//! A socket that disconnects is announced to each of its rooms as `left` with the disconnect
//! reason (`transport close`, `client namespace disconnect`...). `stats` `{ connected, rooms }`
//! goes to everyone: the sockets connected and the chat rooms with someone in them, counted
//! on every node. A room name is 1 to [`MAX_ROOM_LEN`] bytes, a text 1 to [`MAX_TEXT_LEN`];
//! `message` and `typing` need the sender in the room.
//!
//! The history lives in this node's memory while its room has members here: it is dropped
//! when the room empties, which bounds it by the rooms in use (each socket may be in at most
//! [`MAX_ROOMS_PER_SOCKET`]).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::{AckSender, BindError, MiddlewareError, RoomEvent, Server, Socket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The demo tokens and the user each one stands for.
pub const DEMO_TOKENS: [(&str, &str); 3] = [
    ("alice-token", "alice"),
    ("bob-token", "bob"),
    ("carol-token", "carol"),
];
/// How many messages each room keeps.
pub const HISTORY_LEN: usize = 50;
/// The longest room name, in bytes.
pub const MAX_ROOM_LEN: usize = 64;
/// The longest message text, in bytes.
pub const MAX_TEXT_LEN: usize = 1000;
/// The most chat rooms one socket may be in at once.
pub const MAX_ROOMS_PER_SOCKET: usize = 16;

/// How to run the app.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen; port 0 picks a free one. Default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// How often `stats` is broadcast. Default 5 s.
    pub stats_every: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: ([127, 0, 0, 1], 3000).into(),
            stats_every: Duration::from_secs(5),
        }
    }
}

/// The authenticated user: typed, per socket, on this node only ([`Socket::extensions`]).
#[derive(Debug, Clone)]
pub struct User {
    /// The display name.
    pub name: String,
    /// The token it signed in with; never sent to anyone.
    pub token: Arc<str>,
}

/// What other nodes may see of a socket's user ([`Socket::set_data`], Node's `socket.data`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicUser {
    /// The display name.
    pub name: String,
}

/// A chat message, as the room's members get it and as the history keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Unique on this node, increasing.
    pub id: u64,
    /// The room it was sent to.
    pub room: String,
    /// The sender's name.
    pub user: String,
    /// The text.
    pub text: String,
    /// When the server received it, in milliseconds since the Unix epoch.
    pub at: u64,
}

/// `{ connected, rooms }`, broadcast as `stats` and answered at `GET /stats`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stats {
    /// Sockets connected, on every node.
    pub connected: usize,
    /// Chat rooms with at least one socket (each socket's own room not counted).
    pub rooms: usize,
}

/// The app's shared state, given to the server once ([`Server::set_state`]).
#[derive(Debug, Clone)]
pub struct Chat(Arc<ChatInner>);

#[derive(Debug)]
struct ChatInner {
    users: HashMap<String, String>,
    history: Mutex<HashMap<String, VecDeque<Message>>>,
    next_id: AtomicU64,
}

impl Chat {
    /// The state with the token table `tokens` (token, user name).
    pub fn new<'a>(tokens: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Chat(Arc::new(ChatInner {
            users: tokens
                .into_iter()
                .map(|(token, name)| (token.to_owned(), name.to_owned()))
                .collect(),
            history: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }))
    }

    /// The user a token signs in, after a lookup that could be a database's.
    async fn authenticate(&self, token: &str) -> Option<User> {
        let name = self.0.users.get(token)?;
        Some(User {
            name: name.clone(),
            token: token.into(),
        })
    }

    fn history(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Message>>> {
        self.0.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The room's history, oldest first.
    fn recent(&self, room: &str) -> Vec<Message> {
        self.history()
            .get(room)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stamps a message from `socket` and keeps it in its room's history; `None` when the
    /// socket is not in the room. Membership is checked under the history's lock: the room's
    /// history is dropped, under that lock, after its last member has left, so a message
    /// racing that departure cannot leave a history behind.
    fn post(&self, socket: &Socket, room: &str, text: String) -> Option<Message> {
        let mut history = self.history();
        if !in_room(socket, room) {
            return None;
        }
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let message = Message {
            id: self.0.next_id.fetch_add(1, Ordering::Relaxed),
            room: room.to_owned(),
            user: user_name(socket),
            text,
            at,
        };
        let kept = history.entry(room.to_owned()).or_default();
        if kept.len() == HISTORY_LEN {
            kept.pop_front();
        }
        kept.push_back(message.clone());
        Some(message)
    }

    fn forget(&self, room: &str) {
        self.history().remove(room);
    }
}

/// The Socket.IO side of the app: state, middleware, handlers.
pub fn socketio_server() -> Server {
    let io = Server::new();
    let chat = Chat::new(DEMO_TOKENS);
    io.set_state(chat.clone());
    // A room listener gets the event alone: it reaches the state through its own clone.
    io.sockets().on_room_event(move |event| {
        if let RoomEvent::DeleteRoom(room) = event {
            chat.forget(room);
        }
    });
    // Node: io.use(async (socket, next) => { ... })
    io.middleware(|socket| async move {
        let Some(chat) = socket.state::<Chat>() else {
            return Err(MiddlewareError::new("server misconfigured"));
        };
        let Some(token) = socket.auth().get("token").and_then(|t| t.as_str()) else {
            return Err(unauthorized("no token"));
        };
        let Some(user) = chat.authenticate(token).await else {
            return Err(unauthorized("bad token"));
        };
        let public = PublicUser {
            name: user.name.clone(),
        };
        socket
            .set_data(&public)
            .map_err(|e| MiddlewareError::new(e.to_string()))?;
        socket.extensions().insert(user);
        Ok(())
    });
    io.on_connection(|socket| {
        tracing::info!(id = socket.id(), user = user_name(&socket), "connected");
        // Node: socket.on("whoami", (ack) => ack({ id: socket.id, name }))
        socket.on("whoami", |socket, (): (), ack| {
            reply(
                ack,
                Ok(json!({ "id": socket.id(), "name": user_name(&socket) })),
            );
        });
        // Node: socket.on("join", (room, ack) => ...)
        socket.on("join", |socket, room: String, ack| {
            reply(ack, join(&socket, room))
        });
        socket.on("leave", |socket, room: String, ack| {
            reply(ack, leave(&socket, room));
        });
        // Node: socket.on("message", (room, text, ack) => ...)
        // Arguments of another shape reach this handler as `Err` (it takes the `Result`), so
        // the client's ack is answered; the other handlers are skipped for them.
        socket.on(
            "message",
            |socket, args: Result<(String, String), BindError>, ack| match args {
                Ok((room, text)) => reply(ack, message(&socket, room, text)),
                Err(e) => reply(
                    ack,
                    Err(json!({ "error": "bad arguments", "detail": e.to_string() })),
                ),
            },
        );
        socket.on("typing", |socket, room: String, _ack| {
            typing(&socket, &room)
        });
        // Listing a room asks every node (`fetch_sockets`): an async handler.
        socket.on_async("users", |socket, room: String, ack| async move {
            reply(ack, users(&socket, room).await);
        });
        // Node: socket.on("disconnecting", (reason) => socket.rooms)
        socket.on_disconnecting(|socket, reason| {
            let user = user_name(&socket);
            for room in chat_rooms(&socket) {
                let notice = json!({ "room": &*room, "user": user, "reason": reason.as_str() });
                let _ = socket.to(room).emit("left", &notice);
            }
        });
        socket.on_disconnect(|socket, reason| {
            tracing::info!(id = socket.id(), %reason, "disconnected");
        });
    });
    io
}

fn unauthorized(reason: &str) -> MiddlewareError {
    MiddlewareError::new("unauthorized").with_data(json!({ "reason": reason }))
}

/// An ack's answer: what was asked, or `{ error }`.
type Answer = Result<Value, Value>;

fn reply(ack: AckSender, answer: Answer) {
    let _ = ack.send(&answer.unwrap_or_else(|refusal| refusal));
}

fn refusal(error: &str) -> Value {
    json!({ "error": error })
}

fn too_long(error: &str, limit: usize) -> Value {
    json!({ "error": error, "limit": limit })
}

fn check_room(room: &str) -> Result<(), Value> {
    if room.is_empty() {
        Err(refusal("empty room name"))
    } else if room.len() > MAX_ROOM_LEN {
        Err(too_long("room name too long", MAX_ROOM_LEN))
    } else {
        Ok(())
    }
}

fn user_name(socket: &Socket) -> String {
    socket
        .extensions()
        .with(|u: &User| u.name.clone())
        .unwrap_or_default()
}

/// The socket's chat rooms: every room but its own.
fn chat_rooms(socket: &Socket) -> Vec<socketio::Room> {
    socket
        .rooms()
        .into_iter()
        .filter(|r| **r != *socket.id())
        .collect()
}

fn in_room(socket: &Socket, room: &str) -> bool {
    socket.rooms().iter().any(|r| &**r == room)
}

fn chat(socket: &Socket) -> Result<Chat, Value> {
    socket
        .state::<Chat>()
        .ok_or_else(|| refusal("server misconfigured"))
}

fn join(socket: &Socket, room: String) -> Answer {
    check_room(&room)?;
    let chat = chat(socket)?;
    if !in_room(socket, &room) {
        if chat_rooms(socket).len() >= MAX_ROOMS_PER_SOCKET {
            return Err(too_long("too many rooms", MAX_ROOMS_PER_SOCKET));
        }
        socket
            .join(room.as_str())
            .map_err(|e| refusal(&e.to_string()))?;
        let notice = json!({ "room": room, "user": user_name(socket) });
        let _ = socket.to(room.as_str()).emit("joined", &notice);
    }
    Ok(json!({ "room": room, "history": chat.recent(&room) }))
}

fn leave(socket: &Socket, room: String) -> Answer {
    check_room(&room)?;
    if in_room(socket, &room) {
        socket.leave(&room);
        let notice = json!({ "room": room, "user": user_name(socket), "reason": "left" });
        let _ = socket.to(room.as_str()).emit("left", &notice);
    }
    Ok(json!({ "room": room }))
}

fn message(socket: &Socket, room: String, text: String) -> Answer {
    check_room(&room)?;
    if text.is_empty() {
        return Err(refusal("empty message"));
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(too_long("message too long", MAX_TEXT_LEN));
    }
    let message = chat(socket)?
        .post(socket, &room, text)
        .ok_or_else(|| refusal("not in room"))?;
    // Node: socket.to(room).emit("message", message): the room but the sender.
    let _ = socket.to(room.as_str()).emit("message", &message);
    Ok(json!({ "id": message.id }))
}

fn typing(socket: &Socket, room: &str) {
    if check_room(room).is_ok() && in_room(socket, room) {
        let notice = json!({ "room": room, "user": user_name(socket) });
        let _ = socket.to(room).emit("typing", &notice);
    }
}

// Node: socket.on("users", async (room, ack) => ack((await io.in(room).fetchSockets()).map(...)))
async fn users(socket: &Socket, room: String) -> Answer {
    check_room(&room)?;
    let sockets = socket
        .ns()
        .to(room.as_str())
        .fetch_sockets()
        .await
        .map_err(|e| refusal(&e.to_string()))?;
    let users: BTreeSet<String> = sockets
        .iter()
        .filter_map(|s| s.data::<PublicUser>())
        .map(|u| u.name)
        .collect();
    Ok(json!({ "room": room, "users": users }))
}

/// Counts the sockets and chat rooms on every node (`fetch_sockets`).
pub async fn stats(io: &Server) -> Result<Stats, socketio::BroadcastAckError> {
    let sockets = io.fetch_sockets().await?;
    let mut rooms = BTreeSet::new();
    for socket in &sockets {
        rooms.extend(socket.rooms().into_iter().filter(|r| **r != *socket.id()));
    }
    Ok(Stats {
        connected: sockets.len(),
        rooms: rooms.len(),
    })
}

/// Broadcasts `stats` every `every` until `stop` fires.
fn stats_task(io: Server, every: Duration, mut stop: oneshot::Receiver<()>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => {}
            }
            match stats(&io).await {
                // Node: io.emit("stats", stats)
                Ok(stats) => {
                    let _ = io.emit("stats", &stats);
                }
                Err(e) => tracing::warn!("stats: {e}"),
            }
        }
    })
}

async fn stats_route(State(io): State<Server>) -> axum::response::Response {
    match stats(&io).await {
        Ok(stats) => (
            [(http::header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&stats).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => (http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// Puts the connection's peer address where Socket.IO reads it (`socket.handshake().address`).
async fn remote_addr(ConnectInfo(peer): ConnectInfo<SocketAddr>, mut req: Request) -> Request {
    req.extensions_mut().insert(engineio::RemoteAddr(peer));
    req
}

/// The running app.
#[derive(Debug)]
pub struct Running {
    /// The Socket.IO server.
    pub io: Server,
    /// Where it listens.
    pub addr: SocketAddr,
    stop_stats: oneshot::Sender<()>,
    stats: JoinHandle<()>,
    stop_http: oneshot::Sender<()>,
    http: JoinHandle<()>,
}

impl Running {
    /// Stops the app in the order the guide gives for axum: the stats task, then Socket.IO
    /// (every client gets its disconnect), then axum's graceful shutdown.
    pub async fn shutdown(self) {
        let _ = self.stop_stats.send(());
        let _ = self.stats.await;
        self.io.close().await;
        let _ = self.stop_http.send(());
        let _ = self.http.await;
    }
}

/// Starts the app: binds `options.addr`, serves the axum app with Socket.IO mounted, and
/// starts the stats task.
pub async fn start(options: Options) -> std::io::Result<Running> {
    let io = socketio_server();
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        .route("/stats", axum::routing::get(stats_route))
        .with_state(io.clone())
        .layer(io.layer())
        .layer(axum::middleware::map_request(remote_addr));
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
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
    let (stop_stats, stop) = oneshot::channel();
    let stats = stats_task(io.clone(), options.stats_every, stop);
    Ok(Running {
        io,
        addr,
        stop_stats,
        stats,
        stop_http,
        http,
    })
}
