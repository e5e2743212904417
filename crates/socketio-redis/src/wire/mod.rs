//! The typed messages of the classic adapter and the emitter.
//!
//! | message | channel | encoding | decode | encode |
//! |---|---|---|---|---|
//! | broadcast `[uid, packet, opts]` | `<prefix>#<nsp>#` or `…#<room>#` | MessagePack | [`decode_broadcast`] → [`Broadcast`] | [`encode_broadcast`], [`encode_emitter_broadcast`] (the emitter's key order) |
//! | requests, types 0–7 | `<prefix>-request#<nsp>#` | JSON; BROADCAST (7) MessagePack | [`decode_request`] → [`Request`] | [`RequestRef::encode`] |
//! | responses | `<prefix>-response#<nsp>#[<uid>#]` | JSON; BROADCAST_ACK (9) MessagePack | [`decode_response`] → [`Response`] | [`ResponseRef::encode`] |
//!
//! Decoders take what Node's adapter takes: maps read by key (absent ≡ `nil` ≡ `undefined`),
//! unknown keys ignored, numbers read as JavaScript reads them (a room `123` is the room
//! `"123"`, `2.0` is the type `2`, flags by truthiness). Where Node would crash, misroute or
//! act on nonsense (a non-array `rooms`, a packet without `data`, an unknown `type`), they
//! return a [`WireError`] instead, which a node ignores. They never panic, and every message
//! is bounded by [`DecodeLimits`](crate::DecodeLimits).
//!
//! Sub-modules, bottom to top (lower ones never name upper ones): `error`, `value` (sniffing
//! and field reading), `options`, `broadcast`, `request`, `response`.

mod broadcast;
mod error;
mod options;
mod request;
mod response;
mod value;

pub use broadcast::{
    decode_broadcast, decode_broadcast_with, encode_broadcast, encode_emitter_broadcast, Broadcast,
    BroadcastPacket, PacketRef,
};
pub use error::WireError;
pub use options::{BroadcastOptions, Flags, Target};
pub use request::{decode_request, decode_request_with, Request, RequestRef, RequestType};
pub use response::{
    decode_response, decode_response_with, Handshake, RemoteSocket, Reply, Response, ResponseRef,
};

#[cfg(test)]
mod tests;
