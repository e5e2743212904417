//! A Redis adapter for the `socketio` crate, wire-compatible with Node's
//! `@socket.io/redis-adapter` 8.x in its classic mode (`createAdapter(pub, sub)`: PUBLISH and
//! PSUBSCRIBE) and with `@socket.io/redis-emitter` 5.x, so Rust and Node nodes share one
//! cluster; and the sans-IO wire layer it is built on.
//!
//! # The adapter
//!
//! ```no_run
//! use socketio::Server;
//! use socketio_redis::{RedisAdapter, RedisAdapterConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = Server::new();
//! // Inside a Tokio runtime; connects in the background (Redis may be down at start).
//! io.set_adapter(RedisAdapter::with_config(
//!     "redis://127.0.0.1:6379",
//!     RedisAdapterConfig::default().with_prefix("socket.io"),
//! )?);
//! io.on_connection(|socket| {
//!     let _ = socket.join("news");
//! });
//! io.listen(("0.0.0.0", 3000)).await?;
//! // Reaches the members of "news" on every node, Node nodes included.
//! io.to("news").emit("headline", &"hello")?;
//! # Ok(())
//! # }
//! ```
//!
//! One [`RedisAdapter`] per [`Server`](socketio::Server): it holds two Redis connections, a
//! publisher and one subscriber for every namespace, so `PUBSUB NUMSUB` of each
//! `socket.io-request#<nsp>#` counts exactly one subscription per node (Node counts its peers
//! that way). Each namespace gets its own node uid. Broadcasts go to `socket.io#<nsp>#` (or
//! `socket.io#<nsp>#<room>#` for exactly one room) in notepack MessagePack; requests and
//! responses go to the request channel and the shared response channel, as Node's defaults.
//! A node ignores its own messages; a `local` broadcast is never published.
//!
//! ## Client: `redis` (redis-rs), and why
//!
//! The deciding features are reconnection and resubscription after a Redis restart. The
//! adapter uses the `redis` crate's plain RESP2 connections (a multiplexed connection to
//! publish, an `aio::PubSub` to subscribe) and owns their life itself: its subscriber task
//! notices a lost connection at once (end of stream) or within 5 s (an unanswered PING),
//! reconnects with back-off (100 ms to 2 s, for ever) and subscribes every namespace again;
//! its publisher reconnects on the next message. redis-rs' `ConnectionManager` can resubscribe
//! too, but only over RESP3 and only within its retry budget unless a command is sent; `fred`
//! resubscribes by itself but brings a second client model and more to build. Owning the loop
//! keeps the behaviour in an outage exact and documented (below), on Redis 5 to 7.
//!
//! ## Compatibility
//!
//! | peer | works |
//! |---|---|
//! | `@socket.io/redis-adapter` 8.0–8.3, `createAdapter` (default options, same `key`) | broadcasts with rooms/except/`volatile`/`compress`, broadcasts with acks and client counts, fetchSockets (`data`, handshake, rooms), socketsJoin/Leave, disconnectSockets, serverSideEmit with and without acks, allRooms (answered), legacy `allSockets` (answered) |
//! | `@socket.io/redis-adapter` 7.x, `socket.io-redis` 6.x | the same, legacy single-socket join/leave/disconnect included; dates differ (7.x cannot read notepack 3 timestamps) |
//! | `@socket.io/redis-emitter` 5.x (and emitters copying it) | emit to all, rooms, socket ids, except, other namespaces, `volatile`, `compress`, socketsJoin/Leave, disconnectSockets, serverSideEmit |
//! | our [`Emitter`] into Node nodes (`@socket.io/redis-adapter` 8.x) or Rust nodes | the same messages as `@socket.io/redis-emitter` 5.1, byte for byte |
//! | `createShardedAdapter`, Redis Streams adapter | no: another protocol |
//!
//! Rooms from Node that are numbers (`socket.join(123)`) reach a Rust socket in the room
//! `"123"`. The reverse is a Node quirk: a Rust broadcast to the string room `"123"` does not
//! reach a Node socket that joined the *number* `123` (Node matches room keys exactly).
//!
//! ## Sticky sessions
//!
//! HTTP long-polling is a series of requests that must all reach the node holding the
//! session (else `400 Session ID unknown`), and so must the WebSocket upgrade. Across
//! machines, put a load balancer with affinity in front (cookie-based, or nginx `ip_hash` /
//! `hash $remote_addr consistent`, with `Upgrade`/`Connection` headers passed and
//! `proxy_read_timeout` above `pingInterval + pingTimeout`), or let clients use
//! `transports: ["websocket"]`, which needs no affinity. One Rust process already uses every
//! core, so no sticky layer is needed inside a host (unlike Node's `cluster`).
//!
//! ## When Redis is down or restarting
//!
//! - Local delivery goes on: an emit reaches this node's sockets, and its publication is
//!   dropped; `publish` never fails the local operation because of Redis.
//! - What is dropped: every message published while the publisher has no connection (it tries
//!   to reconnect at most once per back-off step), and every message past
//!   [`RedisAdapterConfig::publish_queue`] (4096) waiting while Redis is slow; both are logged
//!   at `warn` (the first drop, then the count once Redis is back). Redis pub/sub is
//!   at-most-once anyway: messages published by other nodes during the gap are lost too.
//! - The node count keeps its last value while Redis cannot be asked, so calls that wait on
//!   other nodes (fetch sockets, server-side emit with acks, broadcasts with acks) fail after
//!   their timeout instead of answering with this node alone. Their waiting entries are
//!   dropped at that timeout, so nothing grows while Redis is away.
//! - The subscriber resubscribes by itself when Redis is back, and counts the nodes again.
//! - A malformed message on any channel (garbage, truncated MessagePack, JSON of the wrong
//!   shape, an unknown request type, past [`DecodeLimits`]) is logged at `debug` and dropped.
//!
//! Every broadcast that is not `local` is published, as Node's adapter does, even while this
//! node counts no other: a node that has just joined misses nothing. The node count is a
//! `PUBSUB NUMSUB` of the namespace's request channel, asked afresh before each call that
//! waits for answers (fetch sockets, broadcasts and server-side emits with acks), as Node's
//! adapter does; [`Adapter::server_count`](socketio::Adapter::server_count) shows the last
//! one, refreshed in the background every
//! [`server_count_interval`](RedisAdapterConfig::server_count_interval) (60 s) too.
//!
//! # The emitter
//!
//! A process that is not a Socket.IO server (a worker, a cron job) publishes into the
//! cluster with an [`Emitter`], wire-compatible with `@socket.io/redis-emitter` 5.x: Node
//! nodes and Rust nodes take its messages alike.
//!
//! ```no_run
//! use socketio_redis::Emitter;
//!
//! # async fn run() -> Result<(), socketio_redis::EmitterError> {
//! let emitter = Emitter::new("redis://127.0.0.1:6379")?;
//! emitter.to("news").except("muted").emit("headline", &("hello", 1)).await?;
//! emitter.of("/admin").in_room("ops").sockets_join(["alerts"]).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The wire layer
//!
//! No Redis client, no sockets, no tasks: bytes go in, typed messages come out, and the
//! reverse. A Rust node built on it joins a cluster of Node nodes (same prefix, same classic
//! mode) and accepts the emitter's messages: broadcasts, room membership and disconnection
//! requests, `fetchSockets`, `serverSideEmit`, broadcasts with acknowledgements. The
//! ClusterAdapter family (`createShardedAdapter`, the Redis Streams adapter) speaks another
//! protocol and is not covered.
//!
//! ## Wire quick start
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
//! ## Layout
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
//! | `id` | [`generate_uid`], [`generate_request_id`], [`EMITTER_UID`] |
//! | `channel` | [`Channels`], [`ChannelKind`], [`parse_broadcast_channel`], [`DEFAULT_PREFIX`] |
//! | `wire` | the messages: [`Broadcast`], [`Request`], [`Response`] and their encoders, [`WireError`] |
//! | [`emitter`] | [`Emitter`] over the `redis` crate: publishing into a cluster from a process that is not a server, as `@socket.io/redis-emitter` |
//! | `adapter` | [`RedisAdapter`] over the `redis` crate: the factory, each namespace's adapter, the publisher and subscriber tasks |
//!
//! ## Wire compatibility
//!
//! | peer | what is spoken |
//! |---|---|
//! | `@socket.io/redis-adapter` 8.0–8.3, `createAdapter` | everything: broadcasts, requests 0–9 and their responses, both response channels |
//! | `@socket.io/redis-adapter` 7.x, `socket.io-redis` 6.x | the same, legacy request forms included; dates differ (notepack 2.x writes `d7 00`, read here, but 7.x nodes cannot read the timestamps 8.x and this crate write) |
//! | `@socket.io/redis-emitter` 5.x, `socket.io-emitter` 3.x, other-language emitters copying them | broadcasts (`uid` `"emitter"`, packet type 2 or 5), socketsJoin/Leave, disconnectSockets, serverSideEmit |
//! | notepack.io 3.0.1 | MessagePack byte for byte; see [`msgpack`] for the two deliberate differences |
//!
//! Only the default notepack encoding is covered, not a custom `parser` option.

mod adapter;
mod channel;
pub mod emitter;
mod error;
mod id;
mod limits;
pub mod msgpack;
mod payload;
mod room;
#[cfg(test)]
mod testutil;
mod wire;

pub use adapter::{RedisAdapter, RedisAdapterConfig, RedisAdapterError};
pub use channel::{parse_broadcast_channel, ChannelKind, Channels, DEFAULT_PREFIX};
pub use emitter::{
    server_side_emit_message, BroadcastOperator, Emitter, EmitterError, EmitterRoom,
    EMITTER_RESERVED_EVENTS,
};
pub use error::EncodeError;
pub use id::{generate_request_id, generate_uid, EMITTER_UID, ID_LEN};
pub use limits::DecodeLimits;
pub use payload::{
    buffers_to_json, decode_payload, encode_payload, read_json_value, write_json_value,
};
pub use room::Room;
pub use wire::{
    decode_broadcast, decode_broadcast_with, decode_request, decode_request_with, decode_response,
    decode_response_with, encode_broadcast, encode_emitter_broadcast, Broadcast, BroadcastOptions,
    BroadcastPacket, Flags, Handshake, PacketRef, RemoteSocket, Reply, Request, RequestRef,
    RequestType, Response, ResponseRef, Target, WireError,
};
