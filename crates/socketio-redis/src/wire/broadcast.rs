//! The broadcast message of the pattern channels: `[uid, packet, opts]` in MessagePack.

use bytes::Bytes;
use serde_json::Value;
use socketio_protocol::{Packet, PacketType, Payload};

use super::error::WireError;
use super::options::{BroadcastOptions, Flags, Target};
use super::value::{parse_msgpack, Fields};
use crate::error::EncodeError;
use crate::limits::DecodeLimits;
use crate::msgpack::{write_array_len, write_map_len, write_str, write_uint};
use crate::payload::write_json_value;

/// A Socket.IO packet as it crosses the bus: socket.io-parser's packet object *before*
/// encoding, `{type, data, nsp, id?}`, binary inline.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastPacket {
    /// [`PacketType::Event`] (what Node writes, even with binary in the data), or
    /// [`PacketType::BinaryEvent`] (what `socket.io-emitter` 3.1.2+ wrote for binary). Either
    /// way the data carries binary inline; a receiver sends the packet as EVENT or
    /// BINARY_EVENT by whether the payload has attachments.
    pub packet_type: PacketType,
    /// The namespace; `/` when the message has none.
    pub nsp: String,
    /// `[event, ...args]`, each binary part a placeholder naming one of the attachments.
    pub payload: Payload,
    /// The ack id, in broadcasts with acknowledgements; receivers allocate their own anyway.
    pub id: Option<u64>,
}

impl BroadcastPacket {
    /// The packet to send to local clients: an EVENT (BINARY_EVENT when the payload has
    /// attachments) without ack id.
    pub fn into_packet(self) -> Packet {
        Packet::event(self.nsp, self.payload, None)
    }

    /// Reads `packet`: a map with `type` 2 or 5, `data` an array, `nsp` a string or absent,
    /// `id` a number or absent. The payload gets `attachments`, every binary of the message.
    pub(crate) fn from_value(value: Value, attachments: Vec<Bytes>) -> Result<Self, WireError> {
        let mut fields = Fields::new(value, "packet")?;
        let packet_type = match fields.opt_integer("type", "packet.type")? {
            None => return Err(WireError::MissingField("packet.type")),
            Some(2) => PacketType::Event,
            Some(5) => PacketType::BinaryEvent,
            Some(other) => return Err(WireError::UnsupportedPacketType(other)),
        };
        let data = match fields.required("data", "packet.data")? {
            data @ Value::Array(_) => data,
            _ => {
                return Err(WireError::WrongType {
                    field: "packet.data",
                    expected: "an array",
                })
            }
        };
        let nsp = fields
            .opt_string("nsp", "packet.nsp")?
            .unwrap_or_else(|| "/".to_owned());
        let id = match fields.take("id") {
            None => None,
            Some(id) => Some(id.as_u64().ok_or(WireError::WrongType {
                field: "packet.id",
                expected: "a non-negative integer",
            })?),
        };
        Ok(Self {
            packet_type,
            nsp,
            payload: Payload::with_attachments(data, attachments),
            id,
        })
    }
}

/// A broadcast heard on a pattern channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    /// The sending node's uid ([`EMITTER_UID`](crate::EMITTER_UID) from the emitter). A node
    /// ignores its own broadcasts.
    pub uid: String,
    /// The packet. A node drops it when its namespace is not the node's.
    pub packet: BroadcastPacket,
    /// Which sockets, and the flags.
    pub opts: BroadcastOptions,
}

/// A packet to encode: `data` is `[event, ...args]` with placeholders naming `attachments`.
/// Its type is always EVENT (2), as Node writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacketRef<'a> {
    /// The namespace.
    pub nsp: &'a str,
    /// `[event, ...args]`, binary parts as placeholders.
    pub data: &'a Value,
    /// What the placeholders name; written inline as `bin`.
    pub attachments: &'a [Bytes],
    /// The ack id, written only when set (Node's own messages have none).
    pub id: Option<u64>,
}

impl<'a> PacketRef<'a> {
    /// The event in `payload`, for namespace `nsp`, without ack id.
    pub fn new(nsp: &'a str, payload: &'a Payload) -> Self {
        Self {
            nsp,
            data: &payload.data,
            attachments: &payload.attachments,
            id: None,
        }
    }

    /// Appends `{type, data, nsp, id?}` in Node's key order.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_map_len(out, 3 + usize::from(self.id.is_some()))?;
        write_str(out, "type")?;
        write_uint(out, 2);
        write_str(out, "data")?;
        write_json_value(out, self.data, self.attachments)?;
        write_str(out, "nsp")?;
        write_str(out, self.nsp)?;
        if let Some(id) = self.id {
            write_str(out, "id")?;
            write_uint(out, id);
        }
        Ok(())
    }
}

/// Appends the broadcast `[uid, packet, {rooms, except, flags}]` as
/// `@socket.io/redis-adapter` 8.x writes it (byte for byte, given the same flag order and
/// data keys in sorted order). Publish it to
/// [`Channels::broadcast_for`](crate::Channels::broadcast_for)`(target.rooms)`; Node never
/// publishes a broadcast flagged `local`.
pub fn encode_broadcast(
    out: &mut Vec<u8>,
    uid: &str,
    packet: &PacketRef<'_>,
    target: Target<'_>,
    flags: &Flags,
) -> Result<(), EncodeError> {
    write_array_len(out, 3)?;
    write_str(out, uid)?;
    packet.write(out)?;
    target.write_with_flags(out, flags)
}

/// Appends the broadcast `["emitter", packet, {rooms, flags, except}]` as
/// `@socket.io/redis-emitter` 5.x writes it: uid [`EMITTER_UID`](crate::EMITTER_UID), and the
/// options in the emitter's key order (byte for byte, given the same flag order and data keys
/// in sorted order). Receivers read the options by key, so either order is accepted. Publish
/// it to [`Channels::broadcast_for`](crate::Channels::broadcast_for)`(target.rooms)`.
pub fn encode_emitter_broadcast(
    out: &mut Vec<u8>,
    packet: &PacketRef<'_>,
    target: Target<'_>,
    flags: &Flags,
) -> Result<(), EncodeError> {
    write_array_len(out, 3)?;
    write_str(out, crate::id::EMITTER_UID)?;
    packet.write(out)?;
    target.write_emitter_order(out, flags)
}

/// Decodes a broadcast heard on a pattern channel, within the default [`DecodeLimits`].
pub fn decode_broadcast(input: &[u8]) -> Result<Broadcast, WireError> {
    decode_broadcast_with(input, &DecodeLimits::default())
}

/// Decodes a broadcast heard on a pattern channel: a MessagePack array whose first three
/// elements are the uid (a string), the packet and the options (maps read by key, so the
/// emitter's `{rooms, flags, except}` and the adapter's `{rooms, except, flags}` both work).
/// Further elements are ignored, as Node's destructuring does. Always MessagePack: Node's
/// pattern-channel handler never sniffs for JSON.
pub fn decode_broadcast_with(input: &[u8], limits: &DecodeLimits) -> Result<Broadcast, WireError> {
    let (value, attachments) = parse_msgpack(input, limits)?;
    let Value::Array(items) = value else {
        return Err(WireError::WrongType {
            field: "broadcast",
            expected: "an array",
        });
    };
    let mut items = items.into_iter();
    let uid = match items.next() {
        Some(Value::String(uid)) => uid,
        None | Some(Value::Null) => return Err(WireError::MissingField("uid")),
        Some(_) => {
            return Err(WireError::WrongType {
                field: "uid",
                expected: "a string",
            })
        }
    };
    let packet = match items.next() {
        None | Some(Value::Null) => return Err(WireError::MissingField("packet")),
        Some(packet) => BroadcastPacket::from_value(packet, attachments)?,
    };
    let opts = match items.next() {
        None | Some(Value::Null) => return Err(WireError::MissingField("opts")),
        Some(opts) => BroadcastOptions::from_value(opts, "opts")?,
    };
    Ok(Broadcast { uid, packet, opts })
}
