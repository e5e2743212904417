//! The options of [`instrument`](crate::instrument), with the names and defaults of Node's
//! `@socket.io/admin-ui`.

use std::sync::Arc;

use crate::store::{InMemoryStore, SessionStore};

/// Who may connect to the admin namespace (Node's `auth` option, which must be given).
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No check at all (Node's `auth: false`): anyone who reaches the server may use the
    /// dashboard and, unless [`AdminOptions::readonly`], its commands.
    Disabled,
    /// A username and a bcrypt hash of the password (Node's `{type: "basic", username,
    /// password}`): `$2a$`, `$2b$` or `$2y$`, as `bcryptjs` and `htpasswd -B` make them.
    Basic {
        /// The username the UI's login form must give.
        username: String,
        /// The bcrypt hash of the password.
        password_hash: String,
    },
}

impl Auth {
    /// `Auth::Basic` from a username and a bcrypt hash.
    pub fn basic(username: impl Into<String>, password_hash: impl Into<String>) -> Self {
        Auth::Basic {
            username: username.into(),
            password_hash: password_hash.into(),
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Disabled => f.write_str("Disabled"),
            // The hash stays out of logs.
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
        }
    }
}

/// What the server sends the UI (Node's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Everything: the socket list on connect, and every connection, disconnection, room
    /// change and event as it happens (feature `ALL_EVENTS`). Node's default (when
    /// `NODE_ENV` is unset).
    #[default]
    Development,
    /// Only the server stats and their aggregated counts: cheaper on a busy server, and no
    /// event payload leaves it. Commands still work unless [`AdminOptions::readonly`].
    Production,
}

/// The options of [`instrument`](crate::instrument).
///
/// ```
/// use socketio_admin::{AdminOptions, Auth, Mode};
///
/// let options = AdminOptions::new(Auth::basic(
///     "admin",
///     "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS",
/// ))
/// .readonly(true)
/// .mode(Mode::Production)
/// .server_id("node-a");
/// assert_eq!(options.namespace(), "/admin");
/// ```
#[derive(Clone)]
pub struct AdminOptions {
    pub(crate) auth: Auth,
    pub(crate) namespace_name: String,
    pub(crate) readonly: bool,
    pub(crate) server_id: Option<String>,
    pub(crate) mode: Mode,
    pub(crate) store: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for AdminOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminOptions")
            .field("auth", &self.auth)
            .field("namespace_name", &self.namespace_name)
            .field("readonly", &self.readonly)
            .field("server_id", &self.server_id)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl AdminOptions {
    /// The defaults with `auth`, which has none (as in Node, it must be chosen): namespace
    /// `/admin`, commands allowed, the host name as server id, development mode, sessions in
    /// memory.
    pub fn new(auth: Auth) -> Self {
        AdminOptions {
            auth,
            namespace_name: "/admin".to_owned(),
            readonly: false,
            server_id: None,
            mode: Mode::Development,
            store: Arc::new(InMemoryStore::new()),
        }
    }

    /// The admin namespace (`namespaceName`, default `/admin`); a leading `/` is added when
    /// missing.
    pub fn namespace_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.namespace_name = if name.starts_with('/') {
            name
        } else {
            format!("/{name}")
        };
        self
    }

    /// `readonly`: no commands (join, leave, emit, disconnect) are advertised or handled.
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// `serverId`: this node's name in the UI, which must differ between the nodes of a
    /// cluster (default: the host name).
    pub fn server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = Some(id.into());
        self
    }

    /// `mode`: development (default) or production.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// `store`: where login sessions are kept (default: in memory). Nodes of a cluster that
    /// use basic auth share one, such as [`RedisStore`](crate::RedisStore) (feature `redis`).
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// The admin namespace's name.
    pub fn namespace(&self) -> &str {
        &self.namespace_name
    }
}
