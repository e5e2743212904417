//! Wire text (+ attachments) → packet, validated as socket.io-parser 4.2 does.
//!
//! Two phases per text message: the header (type, attachment count, namespace, ack id) is
//! read byte by byte; the payload is measured for depth with a flat scan, then parsed and its
//! shape checked. A binary packet then waits in the [`Decoder`] for its attachments.

use bytes::Bytes;
use serde_json::Value;

use crate::json::{depth_exceeds, drop_flat, parse, try_for_each_placeholder};
use crate::packet::{Packet, PacketData, PacketType, Payload, PlaceholderRef, ProtocolRevision};

/// Event names a peer may not use: they have a meaning of their own in Node's client, server
/// or `EventEmitter` (socket.io-parser `RESERVED_EVENTS`). `error` is not among them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Bounds on what one peer can make a [`Decoder`] hold.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderLimits {
    /// The most attachments one packet may declare; more is
    /// [`DecodeError::TooManyAttachments`], refused before any is buffered. Default `10`,
    /// Node's `maxAttachments` (socket.io-parser 4.2.6, CVE-2026-33151). The text codec's
    /// only: the msgpack codec's binaries are inline in one message, which nothing buffers.
    pub max_attachments: usize,
    /// The deepest nesting of arrays and objects a payload may have, the payload's own array
    /// counting as one level (`2[[1]]` is 2 deep); deeper is [`DecodeError::TooDeep`], refused
    /// before parsing. Default `1024`: a client's argument may nest 1,000 levels. Every level
    /// costs stack in code that recurses over `serde_json::Value` (its `Drop`, `Clone`,
    /// `Debug`, `PartialEq`); at 1024 levels those stay well within a 2 MiB thread stack.
    /// Node has no limit (V8 parses a million levels, and Node then dies echoing ~4,100).
    pub max_depth: usize,
    /// The most bytes of attachments one packet may buffer in total; more is
    /// [`DecodeError::AttachmentsTooLarge`]. Default `usize::MAX` (no limit of its own, as in
    /// Node: each attachment is already bounded by the Engine.IO `maxHttpBufferSize`, so a
    /// packet holds at most `max_attachments` times that).
    pub max_attachment_bytes: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        Self {
            max_attachments: 10,
            max_depth: 1024,
            max_attachment_bytes: usize::MAX,
        }
    }
}

impl DecoderLimits {
    /// Sets [`max_attachments`](Self::max_attachments).
    pub fn with_max_attachments(mut self, max: usize) -> Self {
        self.max_attachments = max;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// Sets [`max_attachment_bytes`](Self::max_attachment_bytes).
    pub fn with_max_attachment_bytes(mut self, max: usize) -> Self {
        self.max_attachment_bytes = max;
        self
    }
}

/// Why a message could not be decoded.
///
/// Every variant means the peer broke the protocol: Node's server then closes the whole
/// Engine.IO connection with the reason `forced close`, and so should ours. Messages are short
/// and never quote the payload.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// An empty text message (Node reads it as CONNECT to `/`; nothing sends it).
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type digit `0`..`6`.
    #[error("unknown packet type")]
    UnknownType,
    /// A BINARY_EVENT or BINARY_ACK header without `<digits>-` after the type, or declaring
    /// 0 attachments (a binary packet has at least one; Node would then buffer binary messages
    /// forever).
    #[error("illegal attachments count")]
    InvalidAttachmentCount,
    /// The header declares more attachments than [`DecoderLimits::max_attachments`].
    #[error("too many attachments (max {max})")]
    TooManyAttachments {
        /// The limit in force.
        max: usize,
    },
    /// The ack id does not fit in 64 bits.
    #[error("invalid ack id")]
    InvalidAckId,
    /// An ACK without an ack id.
    #[error("ack packet without an id")]
    MissingAckId,
    /// The payload nests deeper than [`DecoderLimits::max_depth`].
    #[error("payload nested deeper than {max_depth} levels")]
    TooDeep {
        /// The limit in force.
        max_depth: usize,
    },
    /// The payload is not one JSON value (syntax error, trailing characters, a number out of
    /// `f64` range such as `1e999`, or an unpaired surrogate escape, which `JSON.parse`
    /// accepts but Rust strings cannot hold).
    #[error("invalid json payload")]
    InvalidJson(#[source] serde_json::Error),
    /// EVENT or ACK without a payload (`42`: the spec says the receiver must close; Node lets it
    /// through as a nameless event).
    #[error("{0} packet without payload")]
    MissingPayload(PacketType),
    /// A payload where none is allowed (DISCONNECT).
    #[error("{0} packet with a payload")]
    UnexpectedPayload(PacketType),
    /// A payload of the wrong shape: CONNECT not an object, EVENT or ACK not an array,
    /// CONNECT_ERROR neither a string nor an object (protocol 5).
    #[error("invalid {0} payload")]
    InvalidPayload(PacketType),
    /// An EVENT whose array is empty or starts with something other than a string or a
    /// number.
    #[error("invalid event name")]
    InvalidEventName,
    /// An EVENT named after one of [`RESERVED_EVENTS`].
    #[error("reserved event name")]
    ReservedEventName,
    /// In a binary packet, a placeholder (`"_placeholder": true`) whose `num` is not an
    /// integer in `0..attachments`.
    #[error("illegal attachments placeholder")]
    InvalidPlaceholder,
    /// A text message while a binary packet still waits for attachments.
    #[error("got text data when reconstructing a packet")]
    UnexpectedText,
    /// A binary message while no binary packet waits for attachments.
    #[error("got binary data when not reconstructing a packet")]
    UnexpectedBinary,
    /// The attachments of one packet exceed [`DecoderLimits::max_attachment_bytes`].
    #[error("attachments larger than {max} bytes")]
    AttachmentsTooLarge {
        /// The limit in force.
        max: usize,
    },
    /// MessagePack codec: the message ends inside a value, or a length prefix claims more
    /// bytes or elements than are left (every element takes a byte, a map entry two).
    #[error("truncated msgpack")]
    Truncated,
    /// MessagePack codec: bytes after the packet's map.
    #[error("trailing bytes after the msgpack packet")]
    TrailingBytes,
    /// MessagePack codec: `0xc1`, the marker MessagePack never uses.
    #[error("invalid msgpack marker")]
    InvalidMarker,
    /// MessagePack codec: a map key that is neither a string nor an integer.
    #[error("msgpack map key neither a string nor an integer")]
    InvalidKey,
    /// MessagePack codec: an extension other than notepack's `undefined`, `ArrayBuffer` and
    /// `Date`, and the timestamp extension `-1`.
    #[error("unsupported msgpack extension")]
    UnsupportedExtension,
    /// MessagePack codec: the packet is not a map (`"packet"`), has no `type` (`"type"`), or
    /// repeats one of `type`, `nsp`, `data`, `id` (`"duplicate"`).
    #[error("invalid msgpack packet field: {0}")]
    InvalidField(&'static str),
    /// MessagePack codec: `nsp` missing, not a string, or not starting with `/`.
    #[error("invalid namespace")]
    InvalidNamespace,
}

/// The stateful decoder of one Engine.IO connection.
///
/// Feed it every Socket.IO message of the connection, text and binary, in arrival order. A
/// text message yields its packet at once, or `Ok(None)` when it is a binary packet whose
/// attachments follow as binary messages; the last of those yields the packet.
///
/// After an error the decoder holds no pending packet, but the connection should be closed
/// anyway (Node closes it with `forced close`). A binary packet whose attachments never come
/// stays pending: [`is_pending`](Self::is_pending) lets the server enforce a deadline of its
/// own, and dropping the decoder frees it.
///
/// ```
/// use socketio_protocol::{Decoder, DecoderLimits, PacketData, ProtocolRevision};
/// use bytes::Bytes;
///
/// let mut decoder = Decoder::new(ProtocolRevision::V5, DecoderLimits::default());
/// assert!(decoder.decode_text(r#"51-["upload",{"_placeholder":true,"num":0}]"#)?.is_none());
/// assert!(decoder.is_pending());
/// let packet = decoder.decode_binary(Bytes::from_static(b"\x01\x02"))?.expect("complete");
/// let PacketData::Event { payload, ack: None } = packet.data else { panic!() };
/// assert_eq!(payload.event_name().as_deref(), Some("upload"));
/// assert_eq!(payload.attachments, [Bytes::from_static(b"\x01\x02")]);
/// # Ok::<(), socketio_protocol::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    rev: ProtocolRevision,
    limits: DecoderLimits,
    /// Boxed: a packet is about 150 bytes, which every connection's decoder would otherwise
    /// hold while it waits for none (binary packets are rare).
    pending: Option<Box<Pending>>,
}

#[derive(Debug)]
struct Pending {
    packet: Packet,
    expected: usize,
    bytes: usize,
}

impl Decoder {
    /// A decoder for a connection speaking `rev`.
    pub fn new(rev: ProtocolRevision, limits: DecoderLimits) -> Self {
        Self {
            rev,
            limits,
            pending: None,
        }
    }

    /// The revision this decoder reads.
    pub fn revision(&self) -> ProtocolRevision {
        self.rev
    }

    /// The limits in force.
    pub fn limits(&self) -> &DecoderLimits {
        &self.limits
    }

    /// Decodes a text message: `Ok(Some)` for a complete packet, `Ok(None)` for a binary
    /// packet now waiting for its attachments.
    pub fn decode_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        if self.pending.take().is_some() {
            return Err(DecodeError::UnexpectedText);
        }
        let (packet, attachments) = decode_packet(text, self.rev, &self.limits)?;
        if attachments == 0 {
            return Ok(Some(packet));
        }
        self.pending = Some(Box::new(Pending {
            packet,
            expected: attachments,
            bytes: 0,
        }));
        Ok(None)
    }

    /// Decodes a binary message: the next attachment of the pending packet. `Ok(Some)` once it
    /// was the last one.
    pub fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        let Some(mut pending) = self.pending.take() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        pending.bytes = pending.bytes.saturating_add(data.len());
        if pending.bytes > self.limits.max_attachment_bytes {
            return Err(DecodeError::AttachmentsTooLarge {
                max: self.limits.max_attachment_bytes,
            });
        }
        let done = match &mut pending.packet.data {
            PacketData::Event { payload, .. } | PacketData::Ack { payload, .. } => {
                payload.attachments.push(data);
                payload.attachments.len() >= pending.expected
            }
            // Only events and acks are ever pending.
            _ => true,
        };
        if done {
            Ok(Some(pending.packet))
        } else {
            self.pending = Some(pending);
            Ok(None)
        }
    }

    /// Whether a binary packet waits for attachments.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// How many attachments the pending packet still waits for (0 when none is pending).
    pub fn missing_attachments(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.expected - p.packet.attachments().len())
    }

    /// How many bytes of attachments the pending packet holds so far (0 when none is
    /// pending), for a server that accounts memory per connection.
    pub fn buffered_bytes(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.bytes)
    }

    /// Drops the pending packet, if any.
    pub fn reset(&mut self) {
        self.pending = None;
    }
}

/// Decodes one text message into a packet and the number of attachments still to come.
///
/// Header grammar (socket.io-parser 4.2 `decodeString`): the type digit; for binary types
/// `<digits>-`; then, when the next character is `/`, the namespace up to the first `,` (or
/// the end); then the ack id digits; then the JSON payload, if anything is left. As in Node,
/// an ack id on CONNECT, DISCONNECT or CONNECT_ERROR is read and ignored.
fn decode_packet(
    text: &str,
    rev: ProtocolRevision,
    limits: &DecoderLimits,
) -> Result<(Packet, usize), DecodeError> {
    let bytes = text.as_bytes();
    let first = *bytes.first().ok_or(DecodeError::Empty)?;
    let kind = PacketType::from_digit(first).ok_or(DecodeError::UnknownType)?;
    let mut pos = 1;

    let mut attachments = 0;
    if kind.is_binary() {
        let digits = count_digits(&bytes[pos..]);
        if digits == 0 || bytes.get(pos + digits) != Some(&b'-') {
            return Err(DecodeError::InvalidAttachmentCount);
        }
        attachments = parse_bounded(&bytes[pos..pos + digits], limits.max_attachments as u64)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(DecodeError::TooManyAttachments {
                max: limits.max_attachments,
            })?;
        if attachments == 0 {
            return Err(DecodeError::InvalidAttachmentCount);
        }
        pos += digits + 1;
    }

    let (mut nsp, mut query) = ("/".to_owned(), None);
    if bytes.get(pos) == Some(&b'/') {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |i| pos + i);
        // `pos` and `end` sit next to ASCII bytes, hence on char boundaries.
        let field = &text[pos..end];
        match (rev, field.split_once('?')) {
            (ProtocolRevision::V4, Some((path, q))) => {
                nsp = path.to_owned();
                query = Some(q.to_owned());
            }
            _ => nsp = field.to_owned(),
        }
        pos = (end + 1).min(bytes.len());
    }

    let digits = count_digits(&bytes[pos..]);
    let ack = if digits > 0 {
        let id =
            parse_bounded(&bytes[pos..pos + digits], u64::MAX).ok_or(DecodeError::InvalidAckId)?;
        pos += digits;
        Some(id)
    } else {
        None
    };

    let rest = &text[pos..];
    let payload = if rest.is_empty() {
        None
    } else {
        if depth_exceeds(rest, limits.max_depth) {
            return Err(DecodeError::TooDeep {
                max_depth: limits.max_depth,
            });
        }
        Some(parse(rest).map_err(DecodeError::InvalidJson)?)
    };

    let data = match validate(kind, rev, payload, ack) {
        Ok(data) => data,
        Err((err, Some(value))) => {
            drop_flat(value);
            return Err(err);
        }
        Err((err, None)) => return Err(err),
    };
    if attachments > 0 {
        if let PacketData::Event { payload, .. } | PacketData::Ack { payload, .. } = &data {
            check_placeholders(&payload.data, attachments)?;
        }
    }
    Ok((Packet { nsp, query, data }, attachments))
}

/// Checks the payload's shape for its type (socket.io-parser 4.2 `isPayloadValid`, plus the
/// spec's mandatory EVENT/ACK payload). On error the payload is handed back to be dropped
/// without recursion.
pub(crate) fn validate(
    kind: PacketType,
    rev: ProtocolRevision,
    payload: Option<Value>,
    ack: Option<u64>,
) -> Result<PacketData, (DecodeError, Option<Value>)> {
    use PacketType as T;
    match (kind, payload) {
        (T::Connect, None) => Ok(PacketData::Connect(None)),
        (T::Connect, Some(v @ Value::Object(_))) => Ok(PacketData::Connect(Some(v))),
        (T::Disconnect, None) => Ok(PacketData::Disconnect),
        (T::Disconnect, Some(v)) => Err((DecodeError::UnexpectedPayload(kind), Some(v))),
        (T::Event | T::BinaryEvent | T::Ack | T::BinaryAck, None) => {
            Err((DecodeError::MissingPayload(kind), None))
        }
        (T::Event | T::BinaryEvent, Some(v)) => {
            let err = match &v {
                Value::Array(items) => match items.first() {
                    Some(Value::Number(_)) => return Ok(event(v, ack)),
                    Some(Value::String(name)) if !RESERVED_EVENTS.contains(&name.as_str()) => {
                        return Ok(event(v, ack));
                    }
                    Some(Value::String(_)) => DecodeError::ReservedEventName,
                    _ => DecodeError::InvalidEventName,
                },
                _ => DecodeError::InvalidPayload(kind),
            };
            Err((err, Some(v)))
        }
        (T::Ack | T::BinaryAck, Some(v)) if v.is_array() => match ack {
            Some(ack) => Ok(PacketData::Ack {
                payload: Payload::new(v),
                ack,
            }),
            None => Err((DecodeError::MissingAckId, Some(v))),
        },
        (T::ConnectError, Some(v @ (Value::String(_) | Value::Object(_)))) => {
            Ok(PacketData::ConnectError(v))
        }
        // Protocol 4 servers send `err.data` as is (socket.io-parser 3.x accepts any JSON).
        (T::ConnectError, Some(v)) if rev == ProtocolRevision::V4 => {
            Ok(PacketData::ConnectError(v))
        }
        (T::ConnectError, None) => Err((DecodeError::MissingPayload(kind), None)),
        (_, Some(v)) => Err((DecodeError::InvalidPayload(kind), Some(v))),
    }
}

fn event(data: Value, ack: Option<u64>) -> PacketData {
    PacketData::Event {
        payload: Payload::new(data),
        ack,
    }
}

/// Every placeholder of a binary packet must name one of its `count` attachments. Checked as
/// soon as the text arrives (Node checks once the attachments are in: same verdict, earlier,
/// and nothing is buffered for a packet that cannot succeed).
pub(crate) fn check_placeholders(data: &Value, count: usize) -> Result<(), DecodeError> {
    try_for_each_placeholder(data, |found| match found {
        PlaceholderRef::Index(i) if i < count => Ok(()),
        _ => Err(DecodeError::InvalidPlaceholder),
    })
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Parses ASCII digits, `None` when the value exceeds `max` (leading zeros are fine, as in
/// Node's `Number()`).
fn parse_bounded(digits: &[u8], max: u64) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d.wrapping_sub(b'0'))))
            .filter(|&n| n <= max)
    })
}
