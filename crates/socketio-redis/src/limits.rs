//! How much a decoder accepts from the bus.

/// Bounds every decoder of this crate applies to bytes read from Redis.
///
/// Both bound work and memory by the input: on top of them, every length prefix is checked
/// against the bytes that remain before anything is allocated, so a 10-byte message claiming
/// 2^32 elements is refused, not reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The longest message accepted, in bytes; longer is refused before any parsing.
    /// Default 32 MiB: Redis' own default `client-output-buffer-limit pubsub` hard limit, past
    /// which Redis disconnects the subscriber anyway. Node has no limit of its own.
    pub max_len: usize,
    /// The deepest nesting of arrays and maps (objects) accepted inside a payload, the
    /// payload's own outermost container counting as one level. Default `1024`, the project's
    /// default everywhere (`socketio_protocol::DecoderLimits::max_depth`), so any payload a
    /// Rust server accepts from a client can cross the bus.
    ///
    /// [`msgpack::Value::decode`](crate::msgpack::Value::decode) and
    /// [`decode_payload`](crate::decode_payload) apply it to the whole input. The message
    /// decoders ([`decode_broadcast`](crate::decode_broadcast),
    /// [`decode_request`](crate::decode_request), [`decode_response`](crate::decode_response))
    /// add [`ENVELOPE_DEPTH`](Self::ENVELOPE_DEPTH) for the message's own levels around the
    /// payload.
    pub max_depth: usize,
}

impl DecodeLimits {
    /// Levels a message wraps around its payload, at most: the REMOTE_FETCH response
    /// `{sockets:[{data:…}]}` and the BROADCAST request `{packet:{data:[…]}}` put theirs at the
    /// fourth and third level.
    pub const ENVELOPE_DEPTH: usize = 3;

    /// Sets [`max_len`](Self::max_len).
    pub fn with_max_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// The depth limit for a whole message: [`max_depth`](Self::max_depth) plus
    /// [`ENVELOPE_DEPTH`](Self::ENVELOPE_DEPTH).
    pub(crate) fn message_depth(&self) -> usize {
        self.max_depth.saturating_add(Self::ENVELOPE_DEPTH)
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_len: 32 * 1024 * 1024,
            max_depth: 1024,
        }
    }
}
