//! Why a message from the bus was refused.

use crate::msgpack::DecodeError;

/// Why a message read from Redis was refused. Node ignores such messages (the classic
/// adapter logs "ignoring malformed request" at debug level), and so should a Rust node:
/// never reply, never crash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The message has no bytes.
    #[error("empty message")]
    Empty,
    /// The message is longer than [`DecodeLimits::max_len`](crate::DecodeLimits::max_len).
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The message's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The MessagePack is malformed, truncated, nested too deep or followed by trailing
    /// bytes.
    #[error("invalid MessagePack: {0}")]
    Msgpack(#[from] DecodeError),
    /// The message starts with `{` but is not one JSON value.
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The JSON nests deeper than [`DecodeLimits::max_depth`](crate::DecodeLimits::max_depth)
    /// (plus the envelope's levels).
    #[error("JSON nested deeper than {max} levels")]
    TooDeep {
        /// The limit, envelope included.
        max: usize,
    },
    /// A field the message needs is absent or `nil`/`null`.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field holds the wrong kind of value (`field` names it with its path, `opts.rooms`).
    #[error("field `{field}` is not {expected}")]
    WrongType {
        /// The field's path.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The `type` of a request or response is an integer this protocol does not define.
    #[error("unknown message type {0}")]
    UnknownType(i64),
    /// A broadcast packet whose `type` is neither EVENT (2) nor BINARY_EVENT (5).
    #[error("packet type {0} is neither EVENT (2) nor BINARY_EVENT (5)")]
    UnsupportedPacketType(i64),
}
