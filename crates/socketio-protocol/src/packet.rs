//! The packet model shared by the encoder, the decoder and the serde bridge.
//!
//! Everything here is plain data: no parsing, no I/O.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};

/// The Socket.IO packet types, with their wire digits.
///
/// `BinaryEvent` and `BinaryAck` never appear in a [`Packet`]: they are how an
/// [`PacketData::Event`] or [`PacketData::Ack`] whose payload has attachments is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: joins a namespace (client), or accepts the join (server).
    Connect = 0,
    /// `1`: leaves a namespace, either side.
    Disconnect = 1,
    /// `2`: an event without binary attachments.
    Event = 2,
    /// `3`: the answer to an event that carried an ack id, without binary attachments.
    Ack = 3,
    /// `4`: the server refuses a namespace join (`ERROR` in protocol 4).
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an ack with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type for a wire digit (`b'0'..=b'6'`), `None` for anything else.
    pub fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit of this type (`'0'..='6'`).
    pub fn as_char(self) -> char {
        char::from(b'0' + self as u8)
    }

    /// Whether the header of this type carries an attachment count (`5`, `6`).
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "CONNECT",
            Self::Disconnect => "DISCONNECT",
            Self::Event => "EVENT",
            Self::Ack => "ACK",
            Self::ConnectError => "CONNECT_ERROR",
            Self::BinaryEvent => "BINARY_EVENT",
            Self::BinaryAck => "BINARY_ACK",
        })
    }
}

/// The Socket.IO protocol revision spoken on a connection.
///
/// | revision | Node server | clients | Engine.IO |
/// |---|---|---|---|
/// | [`V4`](Self::V4) | socket.io 1.x, 2.x | socket.io-client 1.x, 2.x | 3 (`EIO=3`) |
/// | [`V5`](Self::V5) | socket.io 3.x, 4.x | socket.io-client 3.x, 4.x | 4 (`EIO=4`) |
///
/// The text framing is the same; they differ in what the namespace and payloads carry:
/// protocol 4 appends the client's query to the namespace of a CONNECT (`0/nsp?x=y,`), never
/// sends a CONNECT payload, and its CONNECT_ERROR payload is any JSON (a plain string for a
/// message); protocol 5 puts the auth object in the CONNECT payload and never parses a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolRevision {
    /// Socket.IO protocol 4, carried by Engine.IO protocol 3.
    V4,
    /// Socket.IO protocol 5, carried by Engine.IO protocol 4.
    V5,
}

impl ProtocolRevision {
    /// The revision that rides the given Engine.IO protocol version (`3` → V4, `4` → V5).
    pub fn for_engine_io(eio: u8) -> Option<Self> {
        match eio {
            3 => Some(Self::V4),
            4 => Some(Self::V5),
            _ => None,
        }
    }

    /// The revision number, `4` or `5`.
    pub fn number(self) -> u8 {
        match self {
            Self::V4 => 4,
            Self::V5 => 5,
        }
    }
}

/// One Socket.IO packet, binary attachments included.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The namespace, `"/"` for the main one. Never contains the protocol 4 query (see
    /// [`query`](Self::query)); in protocol 5 it is exactly what the peer sent, so
    /// `40/custom?x=1,` names the namespace `/custom?x=1`.
    pub nsp: String,
    /// Protocol 4 only: the raw text after the first `?` of the namespace field, without the
    /// `?` (`40/nsp?token=a&x=1,` gives `Some("token=a&x=1")`). socket.io-client 2.x sends its
    /// `query` option there on CONNECT; Node's server splits every protocol 4 packet's
    /// namespace this way (it `url.parse`s it), so the decoder does too, and a server uses
    /// the query of CONNECT packets only. Always `None` when decoding protocol 5; when
    /// encoding, written back after the namespace in either revision.
    pub query: Option<String>,
    /// What the packet carries.
    pub data: PacketData,
}

/// The type-specific part of a [`Packet`].
#[derive(Debug, Clone, PartialEq)]
pub enum PacketData {
    /// CONNECT. Protocol 5: the client's auth object, or the server's `{"sid":...}` reply, or
    /// `None`. Protocol 4: `None` (the client's query is in [`Packet::query`]); a protocol 4
    /// peer that sends an object anyway gets it here, and the encoder never writes one for
    /// protocol 4.
    Connect(Option<Value>),
    /// DISCONNECT: no payload.
    Disconnect,
    /// EVENT, or BINARY_EVENT when the payload has attachments.
    Event {
        /// `[name, ...args]` with placeholders, and the attachments they name.
        payload: Payload,
        /// The ack id the sender waits an ACK for.
        ack: Option<u64>,
    },
    /// ACK, or BINARY_ACK when the payload has attachments.
    Ack {
        /// `[...args]` with placeholders, and the attachments they name.
        payload: Payload,
        /// The id of the event this acknowledges.
        ack: u64,
    },
    /// CONNECT_ERROR. Protocol 5: `{"message":...}` plus `"data"` when set (a client's
    /// string is accepted too). Protocol 4: any JSON, usually the message as a string.
    ConnectError(Value),
}

/// A JSON payload and its binary attachments.
///
/// `data` keeps each placeholder `{"_placeholder":true,"num":i}` in place; `attachments[i]` is
/// the bytes it stands for. Placeholders are numbered depth-first, in document order, when
/// produced by [`to_value`](crate::to_value); a decoded payload keeps the peer's numbering,
/// which may use an attachment twice, out of order, or not at all (Node accepts all three).
/// [`AnyValue`](crate::AnyValue) and [`from_value`](crate::from_value) turn placeholders into
/// bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// The JSON array: `[name, ...args]` for an event, `[...args]` for an ack.
    pub data: Value,
    /// The binary attachments, each sent as its own binary Engine.IO message.
    pub attachments: Vec<Bytes>,
}

impl Payload {
    /// A payload without attachments.
    pub fn new(data: Value) -> Self {
        Self {
            data,
            attachments: Vec::new(),
        }
    }

    /// A payload with attachments; `data` must name them with placeholders.
    pub fn with_attachments(data: Value, attachments: Vec<Bytes>) -> Self {
        Self { data, attachments }
    }

    /// The event name: the first element as a string, a number converted to its decimal
    /// text (`42[1,"x"]` is the event `"1"`, as in Node). `None` when the data is not an array
    /// starting with a string or a number (never for a decoded EVENT).
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        match self.data.as_array()?.first()? {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    /// The elements of the data array (empty when it is not an array).
    pub fn elements(&self) -> &[Value] {
        self.data.as_array().map_or(&[], Vec::as_slice)
    }
}

impl Packet {
    /// A packet for `nsp`, without a query.
    pub fn new(nsp: impl Into<String>, data: PacketData) -> Self {
        Self {
            nsp: nsp.into(),
            query: None,
            data,
        }
    }

    /// CONNECT with an optional payload (protocol 5 auth or `{"sid":...}` reply).
    pub fn connect(nsp: impl Into<String>, payload: Option<Value>) -> Self {
        Self::new(nsp, PacketData::Connect(payload))
    }

    /// DISCONNECT.
    pub fn disconnect(nsp: impl Into<String>) -> Self {
        Self::new(nsp, PacketData::Disconnect)
    }

    /// EVENT (BINARY_EVENT when `payload` has attachments).
    pub fn event(nsp: impl Into<String>, payload: Payload, ack: Option<u64>) -> Self {
        Self::new(nsp, PacketData::Event { payload, ack })
    }

    /// ACK (BINARY_ACK when `payload` has attachments).
    pub fn ack(nsp: impl Into<String>, payload: Payload, ack: u64) -> Self {
        Self::new(nsp, PacketData::Ack { payload, ack })
    }

    /// CONNECT_ERROR.
    pub fn connect_error(nsp: impl Into<String>, payload: Value) -> Self {
        Self::new(nsp, PacketData::ConnectError(payload))
    }

    /// The wire type of this packet: EVENT and ACK become their binary types when the
    /// payload has attachments.
    pub fn packet_type(&self) -> PacketType {
        match &self.data {
            PacketData::Connect(_) => PacketType::Connect,
            PacketData::Disconnect => PacketType::Disconnect,
            PacketData::Event { payload, .. } if payload.attachments.is_empty() => {
                PacketType::Event
            }
            PacketData::Event { .. } => PacketType::BinaryEvent,
            PacketData::Ack { payload, .. } if payload.attachments.is_empty() => PacketType::Ack,
            PacketData::Ack { .. } => PacketType::BinaryAck,
            PacketData::ConnectError(_) => PacketType::ConnectError,
        }
    }

    /// The payload of an EVENT or ACK.
    pub fn payload(&self) -> Option<&Payload> {
        match &self.data {
            PacketData::Event { payload, .. } | PacketData::Ack { payload, .. } => Some(payload),
            _ => None,
        }
    }

    /// The binary attachments: what follows the text message, in order (empty but for
    /// EVENT and ACK with binary).
    pub fn attachments(&self) -> &[Bytes] {
        self.payload().map_or(&[], |p| p.attachments.as_slice())
    }
}

/// The key that marks a placeholder object.
pub(crate) const PLACEHOLDER_KEY: &str = "_placeholder";
/// The key of a placeholder's attachment index.
pub(crate) const PLACEHOLDER_NUM: &str = "num";

/// A placeholder object `{"_placeholder":true,"num":num}`.
pub fn placeholder(num: usize) -> Value {
    let mut map = Map::with_capacity(2);
    map.insert(PLACEHOLDER_KEY.to_owned(), Value::Bool(true));
    map.insert(PLACEHOLDER_NUM.to_owned(), Value::from(num));
    Value::Object(map)
}

/// What a JSON value is, seen as a possible placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderRef {
    /// Not a placeholder: not an object, or its `_placeholder` is not exactly `true`.
    NotPlaceholder,
    /// A placeholder naming attachment `i` (its `num` is a non-negative integer).
    Index(usize),
    /// An object with `"_placeholder": true` whose `num` is missing, not a number, negative
    /// or fractional: an error in a binary packet (socket.io-parser: "illegal attachments").
    Invalid,
}

/// Classifies `value` as socket.io-parser does: an object whose `_placeholder` is exactly
/// `true` is a placeholder, whatever other keys it has; its `num` must then be a non-negative
/// integer (`1.0` counts, as `JSON.parse` makes it `1`).
pub fn placeholder_ref(value: &Value) -> PlaceholderRef {
    let Value::Object(map) = value else {
        return PlaceholderRef::NotPlaceholder;
    };
    if map.get(PLACEHOLDER_KEY) != Some(&Value::Bool(true)) {
        return PlaceholderRef::NotPlaceholder;
    }
    let Some(Value::Number(num)) = map.get(PLACEHOLDER_NUM) else {
        return PlaceholderRef::Invalid;
    };
    if let Some(n) = num.as_u64() {
        return usize::try_from(n).map_or(PlaceholderRef::Invalid, PlaceholderRef::Index);
    }
    match num.as_f64() {
        // Exact below 2^53; larger integral floats are far beyond any attachment count.
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0 => {
            PlaceholderRef::Index(f as usize)
        }
        _ => PlaceholderRef::Invalid,
    }
}
