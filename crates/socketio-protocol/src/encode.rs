//! Packet → wire text (+ attachments).
//!
//! Format (spec, "Packet encoding"):
//! `<type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]`, the namespace only when it is
//! not `/`, the attachment count only for the binary types.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::json::write_value;
use crate::packet::{Packet, PacketData, ProtocolRevision};
use crate::text::Utf8Bytes;

/// An encoded packet: one text Engine.IO message, then one binary Engine.IO message per
/// attachment, in order.
///
/// Both halves are reference-counted: cloning an `Encoded` (one per recipient of a broadcast)
/// copies no payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The Socket.IO text, without the Engine.IO message type `4` (the transport adds it).
    pub text: Utf8Bytes,
    /// The binary attachments, each to be sent as its own binary Engine.IO message after the
    /// text.
    pub attachments: Vec<Bytes>,
}

/// Encodes `packet` for a peer speaking `rev`.
///
/// The encoder trusts its caller: it writes what the packet holds without checking that an
/// event's data is an array starting with a name, or that placeholders match the
/// attachments. The only revision-specific rule: a protocol 4 CONNECT never carries a
/// payload (protocol 4 peers reject one), so the payload of `PacketData::Connect` is not
/// written for [`ProtocolRevision::V4`].
///
/// One wire ambiguity, shared with Node: a protocol 4 CONNECT_ERROR whose payload is a
/// non-negative number (`45`) reads back as an ack id without payload. Send a string or an
/// object.
///
/// ```
/// use socketio_protocol::{encode, Packet, Payload, ProtocolRevision, placeholder};
/// use bytes::Bytes;
/// use serde_json::json;
///
/// let payload = Payload::with_attachments(
///     json!(["baz", placeholder(0)]),
///     vec![Bytes::from_static(&[1, 2, 3, 4])],
/// );
/// let encoded = encode(&Packet::event("/", payload, None), ProtocolRevision::V5);
/// assert_eq!(encoded.text, r#"51-["baz",{"_placeholder":true,"num":0}]"#);
/// assert_eq!(encoded.attachments, [Bytes::from_static(&[1, 2, 3, 4])]);
/// ```
pub fn encode(packet: &Packet, rev: ProtocolRevision) -> Encoded {
    let mut text = String::new();
    encode_into(packet, rev, &mut text);
    Encoded {
        text: Utf8Bytes::from(text),
        attachments: packet.attachments().to_vec(),
    }
}

/// Appends the text of `packet` to `out` (the attachments are `packet.attachments()`).
///
/// For a caller that frames the Engine.IO message itself: push the Engine.IO type first
/// (`out.push('4')`), then encode into the same buffer, with no intermediate copy.
pub fn encode_into(packet: &Packet, rev: ProtocolRevision, out: &mut String) {
    let kind = packet.packet_type();
    out.push(kind.as_char());
    if kind.is_binary() {
        let _ = write!(out, "{}-", packet.attachments().len());
    }
    // As socket.io-parser: an empty namespace is the main one too.
    let has_nsp = !packet.nsp.is_empty() && packet.nsp != "/";
    if has_nsp || packet.query.is_some() {
        out.push_str(if packet.nsp.is_empty() {
            "/"
        } else {
            &packet.nsp
        });
        if let Some(query) = &packet.query {
            out.push('?');
            out.push_str(query);
        }
        out.push(',');
    }
    match &packet.data {
        PacketData::Connect(Some(auth)) if rev == ProtocolRevision::V5 => write_value(out, auth),
        PacketData::Connect(_) | PacketData::Disconnect => {}
        PacketData::Event { payload, ack } => {
            if let Some(id) = ack {
                let _ = write!(out, "{id}");
            }
            write_value(out, &payload.data);
        }
        PacketData::Ack { payload, ack } => {
            let _ = write!(out, "{ack}");
            write_value(out, &payload.data);
        }
        PacketData::ConnectError(value) => write_value(out, value),
    }
}
