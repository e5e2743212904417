//! The two transports a session runs on: HTTP long-polling, and the WebSocket (a session
//! opened on it, or the upgrade of a polling session).

pub(crate) mod polling;
pub(crate) mod websocket;
