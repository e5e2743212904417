//! Decoding errors.

/// Why some bytes from the peer are not a valid Engine.IO packet or payload.
///
/// Every variant is a protocol error from the peer, never a bug of the caller. A server that gets one
/// from a polling body delivers the packets decoded before it and then closes the session with
/// [`CloseReason::ParseError`](crate::CloseReason::ParseError), as Node's `engine.io` does. Only
/// [`DecodeError::Incomplete`] means "the input stopped too early"; the decoders of this crate take
/// complete HTTP bodies and WebSocket messages, so for them it is malformed input like the others.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ends inside a record: a protocol 3 length runs past the end of the body, or the
    /// length of an XHR2 record is not terminated by `0xFF`.
    ///
    /// A streaming reader would wait for more bytes; on a complete body, treat it as malformed.
    #[error("incomplete packet")]
    Incomplete,
    /// The payload or frame is empty. Node treats an empty polling body as a parse error.
    #[error("empty payload")]
    EmptyPayload,
    /// A record holds no packet at all, such as the empty record between two `0x1e` in protocol 4,
    /// or a zero-length XHR2 record.
    #[error("empty packet")]
    EmptyPacket,
    /// The packet type is not one of `0`..`6` (or `b` for a base64 binary message). Carries the
    /// offending byte.
    #[error("unknown packet type {0:#04x}")]
    UnknownPacketType(u8),
    /// A binary packet (protocol 3 WebSocket binary frame, XHR2 binary record, `b<type>` base64
    /// packet) whose type is not message (`4`). Only binary messages exist; carries the type byte.
    #[error("binary packet of non-message type {0:#04x}")]
    BinaryNonMessage(u8),
    /// Text that is not valid UTF-8. Real clients never send it.
    #[error("invalid utf-8")]
    InvalidUtf8,
    /// A `b` packet whose data is not valid base64 (standard alphabet; padding optional).
    #[error("invalid base64")]
    InvalidBase64,
    /// A protocol 3 record length that is missing, not a decimal number, or too large for `usize`.
    #[error("invalid record length")]
    InvalidLength,
    /// A protocol 3 text length that ends in the middle of a character: it counts UTF-16 code
    /// units, and this one splits a surrogate pair (a character outside the BMP, such as an emoji).
    #[error("record length splits a character")]
    LengthSplitsCharacter,
    /// An XHR2 record marker that is neither `0x00` (string) nor `0x01` (binary). Carries the byte.
    #[error("invalid record marker {0:#04x}")]
    InvalidMarker(u8),
    /// A binary (XHR2) payload in protocol 4, which only has text payloads. Node answers such a
    /// POST with 400 and closes the session with `transport error`.
    #[error("binary payload in protocol 4")]
    BinaryPayloadUnsupported,
    /// The payload holds more packets than the caller's `max_packets`.
    #[error("too many packets in payload")]
    TooManyPackets,
}
