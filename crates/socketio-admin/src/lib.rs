//! The [Socket.IO Admin UI](https://socket.io/docs/v4/admin-ui/) for the `socketio` crate:
//! the unmodified dashboard of `@socket.io/admin-ui` 0.5.x (connected sockets, their rooms
//! and transports, live events, server stats, and the join, leave, emit and disconnect
//! commands) against a Rust server, on one node or across a cluster.
//!
//! ```no_run
//! use socketio_admin::{instrument, AdminOptions, Auth};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = socketio::Server::new();
//! instrument(
//!     &io,
//!     AdminOptions::new(Auth::basic(
//!         "admin",
//!         // bcrypt of "changeit" (`htpasswd -bnBC 10 "" changeit`, or bcryptjs)
//!         "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS",
//!     )),
//! )?;
//! io.listen("127.0.0.1:3000").await?;
//! // Open https://admin.socket.io (allow its origin with CORS and credentials), or serve the
//! // UI's files yourself with `socketio_admin::AdminUi`, and connect to
//! // http://127.0.0.1:3000 with namespace /admin.
//! # Ok(()) }
//! ```
//!
//! What it does, as Node's `instrument(io, options)` does it:
//! - the admin namespace (`/admin`) with its auth: none, or basic with a bcrypt hash; after a
//!   login the UI gets a `session` id and reconnects with it (kept in a [`SessionStore`]);
//! - `config` (the supported features) and, in development mode, `all_sockets` (a
//!   cluster-wide `fetch_sockets` of every namespace) to each admin socket;
//! - `server_stats` every 2 s: server id, host name, pid, uptime, the engine's client counts
//!   (all, and still on long-polling), every namespace with its socket count, and the engine's
//!   connections, closes, messages and bytes since the last report;
//! - in development mode, every `socket_connected`, `socket_updated` (data, upgrade),
//!   `socket_disconnected`, `room_joined`, `room_left`, `event_received` and `event_sent`
//!   (broadcasts included, per recipient) of every namespace, dynamic children included;
//! - the commands, unless `readonly`.
//!
//! Every event is an emit to the admin namespace, so with a cluster adapter (such as
//! `socketio-redis`) the UI connected to one node sees every node: mixed with Node servers
//! too, since each socket's admin data (`clientId`, `transport`) travels in its data as
//! `_admin` (see [`socketio::Socket::set_data_tag`]). Give each node its own
//! [`AdminOptions::server_id`], and share the session store between nodes when using basic
//! auth ([`RedisStore`], feature `redis`).
//!
//! Where this differs from Node (on purpose):
//! - `session` is sent right after the admin socket's CONNECT, not before it as Node does:
//!   the UI only listens for it once connected, so with Node a reload asks for the password
//!   again; here the UI re-authenticates with its session.
//! - Commands never create namespaces and ignore malformed arguments (see `commands`).
//! - Message and byte counts of `aggregatedEvents` are reported under the second of the report
//!   (Node: the second of each message); connections and closes keep their own second.
//! - `uptime` is the server's (since [`socketio::Server::new`]), not the process's.
//! - `all_sockets` lists the nodes that answered within 5 s (Node fails the whole list when
//!   one node is late, and the UI then shows nothing).
#![forbid(unsafe_code)]

mod commands;
mod options;
mod serialize;
mod stats;
mod store;
mod track;
mod ui;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use socketio::{MiddlewareError, Namespace, Server, Socket, WeakServer};

pub use options::{AdminOptions, Auth, Mode};
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{BoxFuture, InMemoryStore, SessionStore};
pub use ui::{AdminUi, UiBody};

/// Why [`instrument`] refused its options.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The basic auth's `password_hash` is not a bcrypt hash.
    #[error("the admin password hash is not a bcrypt hash ($2a$, $2b$ or $2y$): {0}")]
    InvalidHash(String),
    /// The namespace name is `/`, the app's main namespace.
    #[error("the admin namespace cannot be the main namespace `/`")]
    MainNamespace,
}

/// A feature the server tells the UI it supports (`config.supportedFeatures`).
const EMIT: &str = "EMIT";
const JOIN: &str = "JOIN";
const LEAVE: &str = "LEAVE";
const DISCONNECT: &str = "DISCONNECT";
const MJOIN: &str = "MJOIN";
const MLEAVE: &str = "MLEAVE";
const MDISCONNECT: &str = "MDISCONNECT";
const AGGREGATED_EVENTS: &str = "AGGREGATED_EVENTS";
const ALL_EVENTS: &str = "ALL_EVENTS";

/// Node's rule: the commands unless read-only, the aggregated counts always, every event in
/// development mode; in Node's order.
fn features(readonly: bool, mode: Mode) -> Vec<&'static str> {
    let mut f = if readonly {
        Vec::new()
    } else {
        vec![EMIT, JOIN, LEAVE, DISCONNECT, MJOIN, MLEAVE, MDISCONNECT]
    };
    f.push(AGGREGATED_EVENTS);
    if mode == Mode::Development {
        f.push(ALL_EVENTS);
    }
    f
}

/// At most this many password checks wait for a thread at once; a login beyond it is refused
/// at once (bcrypt costs tens of milliseconds of CPU: a flood of logins must not queue
/// without bound).
const MAX_PENDING_LOGINS: usize = 64;

/// Passwords longer than this are refused without hashing (bcrypt reads 72 bytes).
const MAX_PASSWORD_LEN: usize = 1024;

/// What the admin's handlers share.
pub(crate) struct Shared {
    io: WeakServer,
    pub(crate) admin: Namespace,
    pub(crate) admin_name: String,
    server_id: String,
    hostname: String,
    events: Arc<stats::EventBuffer>,
    stats_started: AtomicBool,
}

impl Shared {
    /// Starts the `server_stats` task once, if a Tokio runtime is at hand.
    fn ensure_stats(self: &Arc<Self>) {
        if self.stats_started.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.stats_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let shared = self.clone();
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(stats::INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                // The first tick is at once: Node sends stats when `instrument` is called.
                tick.tick().await;
                let Some(io) = shared.io.upgrade() else {
                    return;
                };
                let stats = stats::ServerStats::collect(
                    &io,
                    &shared.server_id,
                    &shared.hostname,
                    &shared.events,
                );
                track::tell(&shared.admin, "server_stats", &stats);
            }
        });
    }
}

/// The engine observer: the aggregated counts, and the stats task's start when `instrument`
/// was called outside a runtime.
struct Tap {
    counts: stats::EngineTap,
    shared: Arc<Shared>,
}

impl engineio::Observer for Tap {
    fn on_open(&self, socket: &engineio::Socket) {
        self.shared.ensure_stats();
        self.counts.on_open(socket);
    }
    fn on_close(&self, socket: &engineio::Socket, reason: engineio::CloseReason) {
        self.counts.on_close(socket, reason);
    }
    fn on_message_in(&self, bytes: usize) {
        self.counts.on_message_in(bytes);
    }
    fn on_messages_out(&self, count: usize, bytes: usize) {
        self.counts.on_messages_out(count, bytes);
    }
}

/// A login's session id, kept on the admin socket from its middleware to its connection.
#[derive(Clone)]
struct NewSession(String);

/// 8 random bytes as 16 hex digits, as Node makes session ids.
fn session_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: refuse rather than hand out a guessable id.
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The running instrumentation of a server ([`instrument`]'s result).
#[derive(Clone)]
pub struct Admin {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("namespace", &self.shared.admin_name)
            .field("server_id", &self.shared.server_id)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// The admin namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.shared.admin
    }

    /// The server id this node reports.
    pub fn server_id(&self) -> &str {
        &self.shared.server_id
    }
}

/// Instruments `io` for the Admin UI (Node's `instrument(io, options)`); see the crate docs.
/// Call it once, when the server is set up (before clients come): namespaces made later,
/// dynamic children included, are tracked too. It does not attach the server (the path and
/// engine options can still change). The stats task starts now when called inside a Tokio
/// runtime, otherwise with the first connection.
pub fn instrument(io: &Server, options: AdminOptions) -> Result<Admin, AdminError> {
    let AdminOptions {
        auth,
        namespace_name,
        readonly,
        server_id,
        mode,
        store,
    } = options;
    if namespace_name == "/" {
        return Err(AdminError::MainNamespace);
    }
    if let Auth::Basic { password_hash, .. } = &auth {
        password_hash
            .parse::<bcrypt::HashParts>()
            .map_err(|e| AdminError::InvalidHash(e.to_string()))?;
    }
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    let admin = io.of(&namespace_name);
    let shared = Arc::new(Shared {
        io: io.downgrade(),
        admin: admin.clone(),
        admin_name: namespace_name,
        server_id: server_id.unwrap_or_else(|| hostname.clone()),
        hostname,
        events: Arc::new(stats::EventBuffer::default()),
        stats_started: AtomicBool::new(false),
    });

    if let Auth::Basic {
        username,
        password_hash,
    } = auth
    {
        let check = Arc::new(Login {
            username,
            password_hash,
            store,
            pending: AtomicUsize::new(0),
        });
        admin.middleware(move |socket| {
            let check = check.clone();
            async move { check.admit(&socket).await }
        });
    }

    let supported = features(readonly, mode);
    let s = shared.clone();
    admin.on_connection(move |socket| {
        if let Some(NewSession(id)) = socket.extensions().remove::<NewSession>() {
            let _ = socket.emit("session", &id);
        }
        if !readonly {
            commands::register(s.io.clone(), &socket);
        }
        let _ = socket.emit("config", &json!({ "supportedFeatures": supported }));
        if mode == Mode::Development {
            let io = s.io.clone();
            tokio::spawn(async move {
                let Some(io) = io.upgrade() else { return };
                let all = all_sockets(&io).await;
                let _ = socket.emit("all_sockets", &all);
            });
        }
    });

    io.observe_engine(Arc::new(Tap {
        counts: stats::EngineTap(shared.events.clone()),
        shared: shared.clone(),
    }));

    if mode == Mode::Development {
        for ns in io.namespaces() {
            track::namespace(&shared, &ns);
        }
        let s = shared.clone();
        io.on_new_namespace(move |ns| track::namespace(&s, ns));
    }

    shared.ensure_stats();
    Ok(Admin { shared })
}

/// How long `all_sockets` waits for the other nodes (Node's default request timeout).
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Every socket of every namespace this node knows, on every node (Node's
/// `fetchAllSockets`); a namespace whose cluster fetch fails gives its local sockets.
async fn all_sockets(io: &Server) -> Vec<Value> {
    let mut namespaces = io.namespaces();
    namespaces.sort_by(|a, b| a.name().cmp(b.name()));
    let fetches = namespaces.iter().map(|ns| async move {
        match ns.broadcast().fetch_sockets_partial(FETCH_TIMEOUT).await {
            Ok((sockets, missing)) => {
                if missing > 0 {
                    tracing::debug!(target: "socketio_admin", nsp = %ns.name(), missing, "nodes did not answer fetch_sockets in time; listed without them");
                }
                sockets
                    .iter()
                    .map(|s| serialize::remote(s, ns.name()))
                    .collect::<Vec<_>>()
            }
            Err(e) => {
                tracing::debug!(target: "socketio_admin", nsp = %ns.name(), error = %e, "fetch_sockets failed; local sockets only");
                ns.sockets().iter().map(serialize::local).collect()
            }
        }
    });
    futures_util::future::join_all(fetches)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// A bcrypt hash (cost 10, `$2b$`) of `password`, for [`Auth::basic`] when the password
/// comes from the environment rather than as a hash. Costs tens of milliseconds.
pub fn hash_password(password: &str) -> Result<String, AdminError> {
    bcrypt::hash(password, 10).map_err(|e| AdminError::InvalidHash(e.to_string()))
}

/// The basic auth's check.
struct Login {
    username: String,
    password_hash: String,
    store: Arc<dyn SessionStore>,
    pending: AtomicUsize,
}

impl Login {
    /// Node's middleware: a known session id, or the right username and password (which
    /// makes a session); otherwise `invalid credentials`, the message the UI translates.
    async fn admit(&self, socket: &Socket) -> Result<(), MiddlewareError> {
        let refused = || MiddlewareError::new("invalid credentials");
        let auth = socket.auth();
        if let Some(id) = auth.get("sessionId").and_then(Value::as_str) {
            if !id.is_empty() && id.len() <= 64 && self.store.exists(id).await {
                return Ok(());
            }
        }
        let username = auth.get("username").and_then(Value::as_str);
        let password = auth.get("password").and_then(Value::as_str);
        let (Some(username), Some(password)) = (username, password) else {
            return Err(refused());
        };
        if username != self.username || password.len() > MAX_PASSWORD_LEN {
            return Err(refused());
        }
        if !self.verify(password).await {
            return Err(refused());
        }
        let id = session_id();
        if id.is_empty() {
            return Err(refused());
        }
        self.store.save(&id).await;
        socket.extensions().insert(NewSession(id));
        Ok(())
    }

    /// bcrypt on the blocking pool, at most [`MAX_PENDING_LOGINS`] at a time.
    async fn verify(&self, password: &str) -> bool {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= MAX_PENDING_LOGINS {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(target: "socketio_admin", "too many admin logins at once: refused");
            return false;
        }
        let (password, hash) = (password.to_owned(), self.password_hash.clone());
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        self.pending.fetch_sub(1, Ordering::AcqRel);
        ok
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn features_follow_nodes_rule() {
        assert_eq!(
            features(false, Mode::Development),
            [
                EMIT,
                JOIN,
                LEAVE,
                DISCONNECT,
                MJOIN,
                MLEAVE,
                MDISCONNECT,
                AGGREGATED_EVENTS,
                ALL_EVENTS
            ]
        );
        assert_eq!(
            features(true, Mode::Development),
            [AGGREGATED_EVENTS, ALL_EVENTS]
        );
        assert_eq!(
            features(false, Mode::Production),
            [
                EMIT,
                JOIN,
                LEAVE,
                DISCONNECT,
                MJOIN,
                MLEAVE,
                MDISCONNECT,
                AGGREGATED_EVENTS
            ]
        );
        assert_eq!(features(true, Mode::Production), [AGGREGATED_EVENTS]);
    }

    #[test]
    fn session_ids_are_16_hex_digits() {
        let a = session_id();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, session_id());
    }

    #[test]
    fn bad_options_are_refused() {
        let io = Server::new();
        let err = instrument(&io, AdminOptions::new(Auth::basic("admin", "changeit"))).unwrap_err();
        assert!(matches!(err, AdminError::InvalidHash(_)), "{err}");
        let err =
            instrument(&io, AdminOptions::new(Auth::Disabled).namespace_name("/")).unwrap_err();
        assert!(matches!(err, AdminError::MainNamespace));
    }

    #[tokio::test]
    async fn the_right_password_passes_and_others_do_not() {
        let hash = bcrypt::hash("changeit", 4).unwrap();
        let login = Login {
            username: "admin".into(),
            password_hash: hash,
            store: Arc::new(InMemoryStore::new()),
            pending: AtomicUsize::new(0),
        };
        assert!(login.verify("changeit").await);
        assert!(!login.verify("wrong").await);
        assert_eq!(login.pending.load(Ordering::Acquire), 0);
    }
}
