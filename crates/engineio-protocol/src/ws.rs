//! The WebSocket transport's framing: one packet per WebSocket message.
//!
//! Text packets travel as text frames (`4hello`, `2probe`). Binary messages travel as binary frames
//! with no type byte in protocol 4 and with the type byte `0x04` first in protocol 3, unless the
//! client sent `b64` when it opened the WebSocket: then they are text frames `b<base64>` (4) or
//! `b4<base64>` (3).

use bytes::{BufMut, Bytes, BytesMut};

use crate::encoding::{decode_text_packet, put_text_packet, slice_from, text_packet_len};
use crate::error::DecodeError;
use crate::packet::{Packet, PacketType, ProtocolVersion, Str};

/// One WebSocket message carrying one Engine.IO packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(Str),
    /// A binary frame.
    Binary(Bytes),
}

/// Encodes `packet` as one WebSocket message.
///
/// `b64` is whether the client sent the `b64` query parameter on the request that opened this
/// WebSocket; if so binary messages go as base64 text. In protocol 4 a binary message without `b64`
/// is sent as is: the frame shares the packet's bytes.
pub fn encode_frame(packet: &Packet, version: ProtocolVersion, b64: bool) -> Frame {
    match (packet, version, b64) {
        (Packet::Binary(data), ProtocolVersion::V4, false) => Frame::Binary(data.clone()),
        (Packet::MessageFramed(text), _, _) => Frame::Text(text.clone()),
        (Packet::Binary(data), ProtocolVersion::V3, false) => {
            let mut out = BytesMut::with_capacity(1 + data.len());
            out.put_u8(PacketType::Message.as_u8());
            out.put_slice(data);
            Frame::Binary(out.freeze())
        }
        _ => {
            let mut out = BytesMut::with_capacity(text_packet_len(packet, version));
            put_text_packet(packet, version, &mut out);
            Frame::Text(Str::from_utf8_checked_by_caller(out.freeze()))
        }
    }
}

/// Decodes a text frame.
///
/// A frame starting with `b` is a base64 binary message (`b<base64>` in protocol 4, `b4<base64>` in
/// protocol 3); any other frame is the type character then the data, which is a slice of `text`.
pub fn decode_text_frame(text: Str, version: ProtocolVersion) -> Result<Packet, DecodeError> {
    decode_text_packet(text, version)
}

/// Decodes a binary frame.
///
/// Protocol 4: the whole frame is a binary message (even an empty one). Protocol 3: the first byte
/// is the packet type, which must be message (`0x04`), and the rest is the message. Either way the
/// message is a slice of `data`, not a copy.
pub fn decode_binary_frame(data: Bytes, version: ProtocolVersion) -> Result<Packet, DecodeError> {
    match version {
        ProtocolVersion::V4 => Ok(Packet::Binary(data)),
        ProtocolVersion::V3 => decode_v3_binary_packet(&data),
    }
}

/// A protocol 3 binary packet: the type byte `0x04`, then the message.
pub(crate) fn decode_v3_binary_packet(data: &Bytes) -> Result<Packet, DecodeError> {
    match data.first() {
        None => Err(DecodeError::EmptyPacket),
        Some(4) => Ok(Packet::Binary(slice_from(data, 1))),
        Some(&ty) if PacketType::from_u8(ty).is_some() => Err(DecodeError::BinaryNonMessage(ty)),
        Some(&ty) => Err(DecodeError::UnknownPacketType(ty)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ProtocolVersion::{V3, V4};

    fn text(s: &'static str) -> Str {
        Str::from(s)
    }

    fn bin(b: &'static [u8]) -> Bytes {
        Bytes::from_static(b)
    }

    #[test]
    fn framed_message_is_shared_not_copied() {
        let framed = text("4é€😀");
        for version in [V3, V4] {
            let Frame::Text(out) =
                encode_frame(&Packet::MessageFramed(framed.clone()), version, false)
            else {
                panic!("text frame expected");
            };
            assert_eq!(out.as_bytes().as_ptr(), framed.as_bytes().as_ptr());
            assert_eq!(
                decode_text_frame(out, version),
                Ok(Packet::Message(text("é€😀")))
            );
        }
    }

    #[test]
    fn encodes_text_packets_alike_in_both_versions() {
        let cases = [
            (Packet::Message(text("hello")), "4hello"),
            (Packet::Message(text("")), "4"),
            (Packet::Message(text("é€😀")), "4é€😀"),
            (Packet::Ping(text("probe")), "2probe"),
            (Packet::Pong(text("probe")), "3probe"),
            (Packet::Ping(text("")), "2"),
            (Packet::Pong(text("")), "3"),
            (Packet::Open(text(r#"{"sid":"x"}"#)), r#"0{"sid":"x"}"#),
            (Packet::Close, "1"),
            (Packet::Upgrade, "5"),
            (Packet::Noop, "6"),
        ];
        for (packet, wire) in cases {
            for version in [V3, V4] {
                for b64 in [false, true] {
                    assert_eq!(
                        encode_frame(&packet, version, b64),
                        Frame::Text(text(wire)),
                        "{packet:?} {version}"
                    );
                }
                assert_eq!(decode_text_frame(text(wire), version), Ok(packet.clone()));
            }
        }
    }

    #[test]
    fn binary_message_v4_is_the_frame_itself() {
        let data = bin(&[1, 2, 3, 4]);
        let frame = encode_frame(&Packet::Binary(data.clone()), V4, false);
        let Frame::Binary(sent) = frame else {
            panic!("expected a binary frame")
        };
        assert_eq!(sent, data);
        // Shares the packet's storage rather than copying it.
        assert_eq!(sent.as_ptr(), data.as_ptr());
        assert_eq!(
            decode_binary_frame(bin(&[1, 2, 3, 4]), V4),
            Ok(Packet::Binary(data))
        );
        assert_eq!(
            decode_binary_frame(Bytes::new(), V4),
            Ok(Packet::Binary(Bytes::new()))
        );
    }

    #[test]
    fn binary_message_v3_starts_with_type_byte() {
        let packet = Packet::Binary(bin(&[1, 2, 3]));
        assert_eq!(
            encode_frame(&packet, V3, false),
            Frame::Binary(bin(&[4, 1, 2, 3]))
        );
        let received = bin(&[4, 1, 2, 3]);
        let decoded = decode_binary_frame(received.clone(), V3).unwrap();
        assert_eq!(decoded, packet);
        let Packet::Binary(data) = decoded else {
            unreachable!()
        };
        assert_eq!(data.as_ptr(), received[1..].as_ptr(), "sliced, not copied");
        assert_eq!(
            decode_binary_frame(bin(&[4]), V3),
            Ok(Packet::Binary(Bytes::new()))
        );
    }

    #[test]
    fn b64_binary_messages() {
        let packet = Packet::Binary(bin(&[1, 2, 3, 4]));
        assert_eq!(
            encode_frame(&packet, V4, true),
            Frame::Text(text("bAQIDBA=="))
        );
        assert_eq!(
            encode_frame(&packet, V3, true),
            Frame::Text(text("b4AQIDBA=="))
        );
        assert_eq!(decode_text_frame(text("bAQIDBA=="), V4), Ok(packet.clone()));
        assert_eq!(
            decode_text_frame(text("b4AQIDBA=="), V3),
            Ok(packet.clone())
        );
        assert_eq!(decode_text_frame(text("bAQIDBA"), V4), Ok(packet));
        assert_eq!(
            decode_text_frame(text("b"), V4),
            Ok(Packet::Binary(Bytes::new()))
        );
        assert_eq!(
            decode_text_frame(text("b4"), V3),
            Ok(Packet::Binary(Bytes::new()))
        );
    }

    #[test]
    fn text_data_is_sliced_not_copied() {
        let frame = text("4hello world");
        let ptr = frame.as_ptr();
        let Ok(Packet::Message(data)) = decode_text_frame(frame, V4) else {
            panic!("expected a message")
        };
        assert_eq!(data, "hello world");
        assert_eq!(data.as_ptr(), ptr.wrapping_add(1));
    }

    #[test]
    fn trailing_data_on_dataless_packets_is_ignored() {
        assert_eq!(decode_text_frame(text("1bye"), V4), Ok(Packet::Close));
        assert_eq!(decode_text_frame(text("5x"), V3), Ok(Packet::Upgrade));
        assert_eq!(decode_text_frame(text("6..."), V4), Ok(Packet::Noop));
    }

    #[test]
    fn malformed_frames() {
        use DecodeError::*;
        let cases: [(&str, ProtocolVersion, DecodeError); 10] = [
            ("", V4, EmptyPacket),
            ("", V3, EmptyPacket),
            ("7", V4, UnknownPacketType(b'7')),
            ("x4", V3, UnknownPacketType(b'x')),
            ("bAQ*D", V4, InvalidBase64),
            ("bA", V4, InvalidBase64),
            ("b4A", V3, InvalidBase64),
            ("b2AQID", V3, BinaryNonMessage(2)),
            ("bxAQID", V3, UnknownPacketType(b'x')),
            ("b", V3, UnknownPacketType(b'b')),
        ];
        for (wire, version, err) in cases {
            assert_eq!(decode_text_frame(text(wire), version), Err(err), "{wire:?}");
        }
        assert_eq!(decode_binary_frame(Bytes::new(), V3), Err(EmptyPacket));
        assert_eq!(
            decode_binary_frame(bin(&[2, 1]), V3),
            Err(BinaryNonMessage(2))
        );
        assert_eq!(
            decode_binary_frame(bin(&[b'4', 1]), V3),
            Err(UnknownPacketType(b'4'))
        );
    }
}
