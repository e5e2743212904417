//! Sans-IO wire layer of a Redis adapter for Socket.IO servers, byte-compatible with Node's
//! `@socket.io/redis-adapter` 8.x in its classic mode (`createAdapter(pub, sub)`: PUBLISH and
//! PSUBSCRIBE) and with `@socket.io/redis-emitter` 5.x.
//!
//! No Redis client, no sockets, no tasks: bytes go in, typed messages come out, and the
//! reverse. A Rust node built on it joins a cluster of Node nodes (same prefix, same classic
//! mode) and accepts the emitter's messages: broadcasts, room membership and disconnection
//! requests, `fetchSockets`, `serverSideEmit`, broadcasts with acknowledgements. The
//! ClusterAdapter family (`createShardedAdapter`, the Redis Streams adapter) speaks another
//! protocol and is not covered.
//!
//! # Quick start
//!
//! ```
//! use bytes::Bytes;
//! use serde_json::json;
//! use socketio_protocol::Payload;
//! use socketio_redis::{
//!     decode_broadcast, encode_broadcast, generate_uid, ChannelKind, Channels, Flags,
//!     PacketRef, Room, Target,
//! };
//!
//! let channels = Channels::with_default_prefix("/");
//! let uid = generate_uid();
//!
//! // Publish ["news", <2 bytes>] to the room "r1", except socket "abc".
//! let payload = Payload::with_attachments(
//!     json!(["news", {"_placeholder": true, "num": 0}]),
//!     vec![Bytes::from_static(b"\x01\x02")],
//! );
//! let rooms = [Room::Name("r1")];
//! let except = [Room::Name("abc")];
//! let mut message = Vec::new();
//! encode_broadcast(
//!     &mut message,
//!     &uid,
//!     &PacketRef::new("/", &payload),
//!     Target::new(&rooms, &except),
//!     &Flags::NONE,
//! )?;
//! let channel = channels.broadcast_for(&rooms);
//! assert_eq!(channel, "socket.io#/#r1#");
//!
//! // Another node hears it through the pattern `socket.io#/#*`.
//! assert_eq!(channels.classify(&channel), Some(ChannelKind::Broadcast(Some("r1"))));
//! let heard = decode_broadcast(&message)?;
//! assert_eq!(heard.uid, uid);
//! assert_eq!(heard.opts.rooms, ["r1"]);
//! assert_eq!(heard.opts.except, ["abc"]);
//! // The binary came back as a placeholder and an attachment: a BINARY_EVENT for clients.
//! assert_eq!(heard.packet.into_packet().attachments(), payload.attachments);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! Bottom to top; lower modules never name upper ones:
//!
//! | module | role |
//! |---|---|
//! | `limits` | [`DecodeLimits`]: input length and nesting bounds |
//! | `error` | [`EncodeError`], what every encoder returns |
//! | `room` | [`Room`]: a room to encode, a string or a Node integer room |
//! | [`msgpack`] | notepack.io 3.0.1's MessagePack: writer primitives, the pull [`msgpack::Reader`], the [`msgpack::Value`] tree, dates |
//! | `payload` | MessagePack ↔ [`socketio_protocol::Payload`] (inline `bin` ↔ placeholders + attachments): [`write_json_value`], [`read_json_value`], [`encode_payload`], [`decode_payload`], [`buffers_to_json`] |
//! | `json` | depth-bounded JSON parsing on a growable stack (private) |
//! | `id` | [`generate_uid`], [`generate_request_id`], [`EMITTER_UID`] |
//! | `channel` | [`Channels`], [`ChannelKind`], [`parse_broadcast_channel`], [`DEFAULT_PREFIX`] |
//! | `wire` | the messages: [`Broadcast`], [`Request`], [`Response`] and their encoders, [`WireError`] |
//!
//! # Compatibility
//!
//! | peer | what is spoken |
//! |---|---|
//! | `@socket.io/redis-adapter` 8.0–8.3, `createAdapter` | everything: broadcasts, requests 0–9 and their responses, both response channels |
//! | `@socket.io/redis-adapter` 7.x, `socket.io-redis` 6.x | the same, legacy request forms included; dates differ (notepack 2.x writes `d7 00`, read here, but 7.x nodes cannot read the timestamps 8.x and this crate write) |
//! | `@socket.io/redis-emitter` 5.x, `socket.io-emitter` 3.x, other-language emitters copying them | broadcasts (`uid` `"emitter"`, packet type 2 or 5), socketsJoin/Leave, disconnectSockets, serverSideEmit |
//! | notepack.io 3.0.1 | MessagePack byte for byte; see [`msgpack`] for the two deliberate differences |
//!
//! Only the default notepack encoding is covered, not a custom `parser` option.

mod channel;
mod error;
mod id;
mod json;
mod limits;
pub mod msgpack;
mod payload;
mod room;
#[cfg(test)]
mod testutil;
mod wire;

pub use channel::{parse_broadcast_channel, ChannelKind, Channels, DEFAULT_PREFIX};
pub use error::EncodeError;
pub use id::{generate_request_id, generate_uid, EMITTER_UID, ID_LEN};
pub use limits::DecodeLimits;
pub use payload::{
    buffers_to_json, decode_payload, encode_payload, read_json_value, write_json_value,
};
pub use room::Room;
pub use wire::{
    decode_broadcast, decode_broadcast_with, decode_request, decode_request_with, decode_response,
    decode_response_with, encode_broadcast, Broadcast, BroadcastOptions, BroadcastPacket, Flags,
    Handshake, PacketRef, RemoteSocket, Reply, Request, RequestRef, RequestType, Response,
    ResponseRef, Target, WireError,
};
