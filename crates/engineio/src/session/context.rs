//! What a session needs of its engine: the options, the handler, and the session table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use engineio_protocol::Sid;

use super::flusher::Flusher;
use super::handler::Handler;
use super::observer::Observers;
use super::SessionInner;
use crate::config::EngineConfig;

/// Shared by an engine and every session it opened.
pub(crate) struct SessionContext {
    pub(crate) config: EngineConfig,
    pub(crate) handler: Arc<dyn Handler>,
    /// Writes what senders queued for idle WebSockets, together (see `flusher`).
    pub(crate) flusher: Arc<Flusher>,
    /// Instrumentation watching every session (Engine::observe).
    pub(crate) observers: Observers,
    sessions: Mutex<HashMap<Sid, Arc<SessionInner>>>,
}

impl SessionContext {
    pub(crate) fn new(config: EngineConfig, handler: Arc<dyn Handler>) -> Self {
        SessionContext {
            config,
            handler,
            flusher: Flusher::new(),
            observers: Observers::default(),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, sid: &Sid) -> Option<Arc<SessionInner>> {
        self.table().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        self.table().remove(sid);
    }

    pub(crate) fn table(&self) -> MutexGuard<'_, HashMap<Sid, Arc<SessionInner>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}
