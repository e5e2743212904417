//! Shared application state: typed values given once to the server and read from every
//! namespace, socket, handler and middleware ([`Server::set_state`](crate::Server::set_state),
//! [`Socket::state`](crate::Socket::state)), instead of a clone captured by every closure.

use std::sync::{Arc, RwLock};

/// The server's typed values, one per type, shared by every namespace (a cheap-clone handle).
#[derive(Clone, Default)]
pub(crate) struct AppState(Arc<RwLock<http::Extensions>>);

impl AppState {
    /// Stores `value`, returning the value of that type it replaces.
    pub(crate) fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(value)
    }

    /// A clone of the value of type `T`.
    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get::<T>()
            .cloned()
    }
}
