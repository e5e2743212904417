//! Login sessions of the basic auth (Node's `InMemoryStore` and `RedisStore`): after a login
//! the UI gets a session id and later reconnects with it instead of the password.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// A boxed, sendable future, as the store's methods return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where login sessions are kept.
pub trait SessionStore: Send + Sync + 'static {
    /// Whether `id` names a session that was saved and has not expired.
    fn exists(&self, id: &str) -> BoxFuture<bool>;
    /// Saves a new session.
    fn save(&self, id: &str) -> BoxFuture<()>;
}

/// Sessions in this process's memory (Node's `InMemoryStore`), never expiring, but at most
/// [`InMemoryStore::DEFAULT_CAPACITY`] of them: past that, the oldest is forgotten and its UI
/// asks for the password again.
#[derive(Debug)]
pub struct InMemoryStore {
    capacity: usize,
    sessions: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl InMemoryStore {
    /// How many sessions [`InMemoryStore::new`] keeps.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// An empty store of [`InMemoryStore::DEFAULT_CAPACITY`] sessions.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty store that keeps the `capacity` newest sessions (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        InMemoryStore {
            capacity: capacity.max(1),
            sessions: Mutex::new(Sessions::default()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionStore for InMemoryStore {
    fn exists(&self, id: &str) -> BoxFuture<bool> {
        let found = self.sessions().ids.contains(id);
        Box::pin(std::future::ready(found))
    }

    fn save(&self, id: &str) -> BoxFuture<()> {
        let mut s = self.sessions();
        if s.ids.insert(id.to_owned()) {
            s.order.push_back(id.to_owned());
            while s.order.len() > self.capacity {
                if let Some(old) = s.order.pop_front() {
                    s.ids.remove(&old);
                }
            }
        }
        Box::pin(std::future::ready(()))
    }
}

/// Sessions in Redis, shared by the nodes of a cluster, as Node's `RedisStore` keeps them:
/// `SET "<prefix>#<id>" 1 EX <duration>`, found with `EXISTS` (defaults: prefix
/// `socket.io-admin`, one day). A Redis error counts as "no such session" and is logged.
#[cfg(feature = "redis")]
#[derive(Clone)]
pub struct RedisStore {
    connection: redis::aio::MultiplexedConnection,
    prefix: String,
    duration_secs: u64,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("duration_secs", &self.duration_secs)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "redis")]
impl RedisStore {
    /// A store on the Redis server at `url` (`redis://127.0.0.1:6379`), with Node's defaults.
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let connection = client.get_multiplexed_async_connection().await?;
        Ok(Self::with_connection(connection))
    }

    /// A store on an open connection, with Node's defaults.
    pub fn with_connection(connection: redis::aio::MultiplexedConnection) -> Self {
        RedisStore {
            connection,
            prefix: "socket.io-admin".to_owned(),
            duration_secs: 86_400,
        }
    }

    /// The key prefix (Node's `prefix`, default `socket.io-admin`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a session lives, in seconds (Node's `sessionDuration`, default 86400).
    pub fn duration_secs(mut self, secs: u64) -> Self {
        self.duration_secs = secs.max(1);
        self
    }

    fn key(&self, id: &str) -> String {
        format!("{}#{}", self.prefix, id)
    }
}

#[cfg(feature = "redis")]
impl SessionStore for RedisStore {
    fn exists(&self, id: &str) -> BoxFuture<bool> {
        let mut conn = self.connection.clone();
        let key = self.key(id);
        Box::pin(async move {
            let found: redis::RedisResult<i64> =
                redis::cmd("EXISTS").arg(&key).query_async(&mut conn).await;
            match found {
                Ok(n) => n == 1,
                Err(e) => {
                    tracing::warn!(target: "socketio_admin", error = %e, "session lookup failed");
                    false
                }
            }
        })
    }

    fn save(&self, id: &str) -> BoxFuture<()> {
        let mut conn = self.connection.clone();
        let key = self.key(id);
        let secs = self.duration_secs;
        Box::pin(async move {
            let saved: redis::RedisResult<()> = redis::cmd("SET")
                .arg(&key)
                .arg("1")
                .arg("EX")
                .arg(secs)
                .query_async(&mut conn)
                .await;
            if let Err(e) = saved {
                tracing::warn!(target: "socketio_admin", error = %e, "session save failed");
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_store_remembers_and_forgets_the_oldest() {
        let store = InMemoryStore::with_capacity(2);
        assert!(!store.exists("a").await);
        store.save("a").await;
        store.save("b").await;
        assert!(store.exists("a").await && store.exists("b").await);
        store.save("c").await;
        assert!(
            !store.exists("a").await,
            "the oldest goes past the capacity"
        );
        assert!(store.exists("b").await && store.exists("c").await);
        // Saving again does not count twice.
        store.save("c").await;
        assert!(store.exists("b").await);
    }
}
