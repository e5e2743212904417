//! Sans-IO Engine.IO protocol, revisions 3 and 4: packets, WebSocket and long-polling framing, the
//! handshake, session ids, and the heartbeat/upgrade state machine.
//!
//! Nothing here does I/O or reads a clock: decoders take [`Bytes`](bytes::Bytes), encoders write
//! into the caller's [`BytesMut`](bytes::BytesMut), and the [`Session`] state machine is handed the
//! time. The server crate drives it over HTTP and WebSocket.
//!
//! # Layout
//!
//! Each module only uses the ones listed above it.
//!
//! | module | role |
//! |---|---|
//! | [`error`] | [`DecodeError`]: why bytes from the peer are not a packet |
//! | [`packet`] | [`ProtocolVersion`], [`PacketType`], [`Packet`], and [`Str`], the zero-copy UTF-8 string packets carry |
//! | `encoding` (private) | one packet's text form, base64 and length digits, shared by the two framings |
//! | [`ws`] | WebSocket framing: one packet per message ([`encode_frame`], [`decode_text_frame`], [`decode_binary_frame`]) |
//! | [`payload`] | polling bodies: protocol 4 `0x1e`-separated, protocol 3 `len:packet` text and XHR2 binary ([`encode_payload`], [`decode_payload`]) |
//! | [`handshake`] | [`OpenPacket`], the JSON of the open packet |
//! | [`sid`] | [`Sid`], 20-character random session ids, also used for Socket.IO socket ids |
//! | [`session`] | [`Session`]: heartbeat and upgrade timers and rules, driven by events and a clock |
//!
//! # Quick start
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use engineio_protocol::{
//!     decode_payload, encode_payload, OpenPacket, Packet, PayloadKind, ProtocolVersion, Reply,
//!     Session, Sid, Str, Timing,
//! };
//! use std::time::Instant;
//!
//! let version = ProtocolVersion::from_query("4").unwrap();
//! let timing = Timing::default();
//! let open = OpenPacket {
//!     sid: Sid::generate().to_string(),
//!     upgrades: vec!["websocket".into()],
//!     ping_interval: timing.ping_interval.as_millis() as u64,
//!     ping_timeout: timing.ping_timeout.as_millis() as u64,
//!     max_payload: 1_000_000,
//! };
//! let mut session = Session::new(version, timing, Instant::now());
//!
//! // The handshake response body.
//! let mut body = BytesMut::new();
//! let kind = encode_payload(&[open.to_packet()], version, true, &mut body);
//! assert_eq!(kind.content_type(), "text/plain; charset=UTF-8");
//!
//! // A POST from the client: a message and a binary message.
//! let post = Bytes::from_static(b"4hello\x1ebAQID");
//! for packet in decode_payload(post, version, PayloadKind::Text, 100) {
//!     let packet = packet.expect("the server would close with `parse error`");
//!     assert_eq!(
//!         session.handle_packet(&packet, false, Instant::now()),
//!         Ok(Reply::Deliver)
//!     );
//! }
//!
//! // The next GET answers with whatever was queued.
//! let mut body = BytesMut::new();
//! let packets = [
//!     Packet::Message(Str::from("hi")),
//!     Packet::Binary(Bytes::from_static(&[1, 2, 3])),
//! ];
//! encode_payload(&packets, version, true, &mut body);
//! assert_eq!(&body[..], b"4hi\x1ebAQID");
//! ```
//!
//! # Compatibility
//!
//! | protocol | `EIO=` | clients |
//! |---|---|---|
//! | 3 | `3` | engine.io-client 1.x to 3.x, socket.io-client 1.x and 2.x (Node's `engine.io` with `allowEIO3`) |
//! | 4 | `4` | engine.io-client 4.x to 6.x, socket.io-client 3.x and 4.x |
//!
//! The wire details follow the Engine.IO protocol specification and Node's `engine.io-parser`
//! 2.2 (protocol 3) and 5.x (protocol 4); where they differ, what real clients send and accept wins.

pub mod error;
pub mod packet;

mod encoding;

pub mod handshake;
pub mod payload;
pub mod session;
pub mod sid;
pub mod ws;

pub use error::DecodeError;
pub use handshake::OpenPacket;
pub use packet::{Packet, PacketType, ProtocolVersion, Str};
pub use payload::{decode_payload, encode_payload, PayloadDecoder, PayloadKind};
pub use session::{Action, CloseReason, Reply, Session, Timing};
pub use sid::{Sid, SidParseError};
pub use ws::{decode_binary_frame, decode_text_frame, encode_frame, Frame};
