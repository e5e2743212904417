//! Sans-IO Socket.IO protocol codec: packets, their text framing for protocols 4 and 5, and
//! binary attachments.
//!
//! No sockets, no tasks, no clocks: text and bytes go in, packets come out, and the reverse.
//! The Engine.IO layer below carries each encoded message; the server above decides what
//! packets mean.
//!
//! # Quick start
//!
//! ```
//! use bytes::Bytes;
//! use serde::{Deserialize, Serialize};
//! use socketio_protocol::{
//!     encode, from_value, to_value, Decoder, DecoderLimits, Packet, PacketData, Payload,
//!     ProtocolRevision,
//! };
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Chunk { seq: u32, data: Bytes }
//!
//! // Emit ["chunk", {seq, data}] with an ack id: the bytes travel as an attachment.
//! let mut attachments = Vec::new();
//! let chunk = Chunk { seq: 1, data: Bytes::from_static(b"\x00\x01") };
//! let data = to_value(&("chunk", &chunk), &mut attachments).expect("serializable");
//! let packet = Packet::event("/files", Payload::with_attachments(data, attachments), Some(7));
//! let encoded = encode(&packet, ProtocolRevision::V5);
//! assert_eq!(
//!     encoded.text,
//!     r#"51-/files,7["chunk",{"data":{"_placeholder":true,"num":0},"seq":1}]"#
//! );
//!
//! // The peer's decoder: the text, then one binary message per attachment.
//! let mut decoder = Decoder::new(ProtocolRevision::V5, DecoderLimits::default());
//! assert!(decoder.decode_text(&encoded.text)?.is_none());
//! let mut decoded = None;
//! for attachment in encoded.attachments {
//!     decoded = decoder.decode_binary(attachment)?;
//! }
//! let decoded = decoded.expect("all attachments in");
//! assert_eq!(decoded, packet);
//!
//! // Typed arguments back out.
//! let PacketData::Event { payload, ack: Some(7) } = decoded.data else { unreachable!() };
//! let (name, back): (String, Chunk) = from_value(payload.data, &payload.attachments)?;
//! assert_eq!((name.as_str(), back), ("chunk", chunk));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! Lower modules never name upper ones:
//!
//! | module | role |
//! |---|---|
//! | `packet` | the model: [`Packet`], [`PacketData`], [`Payload`], [`PacketType`], [`ProtocolRevision`], placeholders |
//! | `json` | JSON that never recurses on peer depth: flat depth scan, parse on a growable stack ([`parse_json`]), iterative writer and walks |
//! | `text` | [`Utf8Bytes`], the shareable encoded text |
//! | `encode` | [`encode`], [`encode_into`], [`Encoded`] |
//! | `msgpack` | the MessagePack codec of `socket.io-msgpack-parser` 3.x: [`encode_msgpack`], [`decode_msgpack`], one binary message per packet, binaries inline |
//! | `decode` | [`Decoder`], [`DecoderLimits`], [`DecodeError`]: header, payload validation, attachment reassembly |
//! | `ser`, `de` | the serde bridge: [`to_value`], [`from_value`], [`AnyValue`] |
//! | `spread` | [`to_payload`]: a Rust value as the arguments of an emit or an ack |
//!
//! # Compatibility
//!
//! | peer | Socket.IO protocol | Engine.IO | [`ProtocolRevision`] |
//! |---|---|---|---|
//! | socket.io-client 3.x, 4.x; python-socketio 5.x; Node socket.io 3.x, 4.x | 5 | 4 (`EIO=4`) | [`V5`](ProtocolRevision::V5) |
//! | socket.io-client 1.x, 2.x; python-socketio 4.x; Node socket.io 1.x, 2.x | 4 | 3 (`EIO=3`) | [`V4`](ProtocolRevision::V4) |
//!
//! The msgpack codec ([`encode_msgpack`], [`decode_msgpack`]) speaks the wire of
//! `socket.io-msgpack-parser` 3.x (socket.io-client 3.x and 4.x, protocol 5, with
//! `parser: require("socket.io-msgpack-parser")`), and of python-socketio 5.x's
//! `serializer="msgpack"`; its module docs map what MessagePack has and JSON lacks.
//!
//! Validation follows socket.io-parser 4.2, which Node's socket.io 4.x applies to both
//! revisions: CONNECT payload absent or an object; DISCONNECT none; EVENT a non-empty array
//! whose first element is a number or a string other than [`RESERVED_EVENTS`]; ACK an array;
//! CONNECT_ERROR a string or an object (any JSON in protocol 4, as socket.io-parser 3.x
//! reads it); at most [`DecoderLimits::max_attachments`] attachments; every placeholder of a
//! binary packet naming one of them.
//!
//! Where this crate deliberately differs from Node (each also documented where it applies):
//!
//! | input | Node | here |
//! |---|---|---|
//! | `2` (EVENT without payload), `3<id>` (ACK without payload) | a nameless event / an ack without arguments | [`DecodeError::MissingPayload`], as the spec says |
//! | `3[...]` (ACK without id) | ignored | [`DecodeError::MissingAckId`] |
//! | an empty message | CONNECT to `/` | [`DecodeError::Empty`] |
//! | `5-`, `51e3-`, `50-` | 0 or 1000 attachments | [`DecodeError::InvalidAttachmentCount`] |
//! | ack id past 64 bits | a rounded float | [`DecodeError::InvalidAckId`] |
//! | whitespace after the header (`2 ["a"]`) | read as ack id `0` | JSON whitespace before the payload |
//! | nesting deeper than [`DecoderLimits::max_depth`] (1024) | parsed (and the echo overflows Node's stack past ~4,100) | [`DecodeError::TooDeep`] |
//! | `1e999`, unpaired `\ud800` | `Infinity`, a lone surrogate | [`DecodeError::InvalidJson`] |
//! | placeholder out of range | error when the last attachment arrives | error when the text arrives |
//!
//! JSON objects come back with their keys sorted (serde_json's default `Map`), where
//! `JSON.parse` keeps their order.

mod de;
mod decode;
mod encode;
mod json;
mod msgpack;
mod packet;
mod ser;
mod spread;
mod text;

pub use de::{from_value, AnyValue, DeError};
pub use decode::{DecodeError, Decoder, DecoderLimits, RESERVED_EVENTS};
pub use encode::{encode, encode_into, Encoded};
pub use json::{parse_json, JsonError};
pub use msgpack::{decode_msgpack, encode_msgpack, encode_msgpack_into};
pub use packet::{
    placeholder, placeholder_ref, Packet, PacketData, PacketType, Payload, PlaceholderRef,
    ProtocolRevision,
};
pub use ser::{to_value, SerError};
pub use spread::to_payload;
pub use text::Utf8Bytes;
