//! The errors users of the server see.

use socketio_protocol::AnyValue;

/// Why an emit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The event name is reserved (`connect`, `connect_error`, `disconnect`, `disconnecting`,
    /// `newListener`, `removeListener`): clients would treat it as a life-cycle event.
    #[error("\"{0}\" is a reserved event name")]
    ReservedEvent(String),
    /// The data could not be serialized.
    #[error("cannot serialize the event data: {0}")]
    Serialize(String),
    /// The socket is disconnected.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The adapter could not publish to the other nodes.
    #[error("adapter: {0}")]
    Adapter(String),
}

/// Why an acknowledgement did not come.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// No answer within the timeout set with `timeout(d)`.
    #[error("operation has timed out")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("the socket disconnected before acknowledging")]
    Disconnected,
    /// The answer did not deserialize into the expected type.
    #[error("cannot deserialize the acknowledgement: {0}")]
    Deserialize(String),
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// A refusal from a namespace middleware: sent to the client as CONNECT_ERROR
/// `{"message": message, "data": data}` (`data` only when set).
///
/// ```
/// let refusal = socketio::MiddlewareError::new("not authorized")
///     .with_data(serde_json::json!({"retry": false}));
/// assert_eq!(refusal.message(), "not authorized");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MiddlewareError {
    message: String,
    data: Option<serde_json::Value>,
}

impl MiddlewareError {
    /// A refusal with this message.
    pub fn new(message: impl Into<String>) -> Self {
        MiddlewareError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds the `data` the client receives with the error.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The data, if set.
    pub fn data(&self) -> Option<&serde_json::Value> {
        self.data.as_ref()
    }
}

impl std::fmt::Display for MiddlewareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MiddlewareError {}

impl From<&str> for MiddlewareError {
    fn from(m: &str) -> Self {
        MiddlewareError::new(m)
    }
}

impl From<String> for MiddlewareError {
    fn from(m: String) -> Self {
        MiddlewareError::new(m)
    }
}

/// Why the server's options could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The server is already attached (its engine built by `layer`, `service`, `listen` or
    /// `engine`, or given to `bind`): the path and the Engine.IO options are fixed from then
    /// on. Set them before, or in the [`ServerConfig`](crate::ServerConfig).
    #[error("the server is already attached; its path and engine options are fixed")]
    Attached,
}

/// Why a broadcast with acks (or another request answered by several parties) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastAckError {
    /// Not every recipient answered in time: `operation has timed out`, with the answers that
    /// did come, in arrival order.
    #[error("operation has timed out")]
    Timeout {
        /// The answers received before the timeout.
        responses: Vec<AnyValue>,
    },
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}
