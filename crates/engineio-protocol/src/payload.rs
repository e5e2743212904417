//! HTTP long-polling bodies: several packets in one payload.
//!
//! - Protocol 4: the packets' text forms joined by the record separator `0x1e`; binary messages are
//!   always `b<base64>`.
//! - Protocol 3, text: `<length>:<packet>` repeated, the length counting UTF-16 code units as
//!   JavaScript's `String.length` does (`5:4é€😀`); binary messages are `b4<base64>`.
//! - Protocol 3, binary ("XHR2", `application/octet-stream`), used when the client can take binary
//!   (it did not send `b64`) and the payload holds a binary message: per packet a marker byte
//!   (`0x00` string, `0x01` binary), the length as raw digit bytes `0x00..=0x09`, `0xFF`, then the
//!   packet. A string packet is the type character and UTF-8 text, its length counted in bytes; a
//!   binary packet is the type byte `0x04` then the data, the length including that byte.

use bytes::{BufMut, Bytes, BytesMut};

use crate::encoding::{
    decode_text_packet, find_byte, push_digit, put_decimal, put_raw_digits, put_text_packet,
    text_packet_len, text_packet_utf16_len,
};
use crate::error::DecodeError;
use crate::packet::{Packet, PacketType, ProtocolVersion, Str};
use crate::ws::decode_v3_binary_packet;

/// The protocol 4 record separator.
const SEPARATOR: u8 = 0x1e;

/// The two kinds of polling body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// A text body (`text/plain; charset=UTF-8`), both protocols.
    Text,
    /// A protocol 3 XHR2 binary body (`application/octet-stream`).
    Binary,
}

impl PayloadKind {
    /// The `Content-Type` a server sends with a payload of this kind, as Node's `engine.io` does.
    /// engine.io-client 3.x reads a response as binary only on exactly `application/octet-stream`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain; charset=UTF-8",
            Self::Binary => "application/octet-stream",
        }
    }

    /// The kind of a received POST body from its `Content-Type`: binary for
    /// `application/octet-stream` (parameters and case ignored), text otherwise.
    pub fn from_content_type(content_type: &str) -> Self {
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if media_type.eq_ignore_ascii_case("application/octet-stream") {
            Self::Binary
        } else {
            Self::Text
        }
    }
}

/// Appends the polling payload carrying `packets` to `out` and returns its kind, from which the
/// server picks the `Content-Type` ([`PayloadKind::content_type`]).
///
/// `supports_binary` is false when the client sent `b64` on the request that created the polling
/// transport. Protocol 4 always writes text. Protocol 3 writes an XHR2 binary payload when
/// `supports_binary` is set and any packet is binary, a text payload otherwise; an empty packet list
/// is written `0:` there, as Node does, and nothing in protocol 4.
///
/// Protocol 4 text packets must not contain the record separator `0x1e`: as in Node, nothing
/// escapes it, so the receiver would split such a packet in two. The Socket.IO layer never sends
/// it raw (its JSON escapes control characters).
pub fn encode_payload(
    packets: &[Packet],
    version: ProtocolVersion,
    supports_binary: bool,
    out: &mut BytesMut,
) -> PayloadKind {
    match version {
        ProtocolVersion::V4 => {
            let len: usize = packets
                .iter()
                .map(|p| text_packet_len(p, version) + 1)
                .sum();
            out.reserve(len);
            for (i, packet) in packets.iter().enumerate() {
                if i > 0 {
                    out.put_u8(SEPARATOR);
                }
                put_text_packet(packet, version, out);
            }
            PayloadKind::Text
        }
        ProtocolVersion::V3 if supports_binary && packets.iter().any(Packet::is_binary) => {
            encode_xhr2(packets, out);
            PayloadKind::Binary
        }
        ProtocolVersion::V3 => {
            if packets.is_empty() {
                out.put_slice(b"0:");
            }
            // 8 bytes covers the length digits and ':' of any realistic packet.
            let len: usize = packets
                .iter()
                .map(|p| text_packet_len(p, version) + 8)
                .sum();
            out.reserve(len);
            for packet in packets {
                put_decimal(text_packet_utf16_len(packet, version), out);
                out.put_u8(b':');
                put_text_packet(packet, version, out);
            }
            PayloadKind::Text
        }
    }
}

fn encode_xhr2(packets: &[Packet], out: &mut BytesMut) {
    let len: usize = packets.iter().map(|p| p.text_data().len() + 24).sum();
    out.reserve(len);
    for packet in packets {
        let data = packet.text_data();
        out.put_u8(u8::from(packet.is_binary()));
        put_raw_digits(1 + data.len(), out);
        out.put_u8(0xFF);
        match packet {
            Packet::Binary(_) => out.put_u8(PacketType::Message.as_u8()),
            _ => out.put_u8(packet.packet_type().as_ascii()),
        }
        out.put_slice(data);
    }
}

/// Decodes a complete polling body, lazily: iterate to get its packets.
///
/// `kind` comes from the request's `Content-Type` ([`PayloadKind::from_content_type`]); a binary
/// payload in protocol 4 is an error. At most `max_packets` packets are yielded; one more is an
/// error ([`DecodeError::TooManyPackets`]).
pub fn decode_payload(
    body: Bytes,
    version: ProtocolVersion,
    kind: PayloadKind,
    max_packets: usize,
) -> PayloadDecoder {
    let failed = if body.is_empty() {
        Some(DecodeError::EmptyPayload)
    } else if version == ProtocolVersion::V4 && kind == PayloadKind::Binary {
        Some(DecodeError::BinaryPayloadUnsupported)
    } else {
        None
    };
    // A text body is checked whole, once; its records are then cut on character boundaries.
    // Packets before an invalid byte are still yielded, as Node would deliver them.
    let utf8_end = match kind {
        PayloadKind::Text => match std::str::from_utf8(&body) {
            Ok(_) => body.len(),
            Err(e) => e.valid_up_to(),
        },
        PayloadKind::Binary => body.len(),
    };
    PayloadDecoder {
        body,
        pos: 0,
        utf8_end,
        version,
        kind,
        packets_left: max_packets,
        state: match failed {
            Some(e) => State::Failed(e),
            None => State::Running,
        },
    }
}

/// The packets of a polling body, from [`decode_payload`].
///
/// Yields `Ok` packets in order. At the first malformed record it yields one `Err` and then `None`:
/// the caller delivers the packets before it, then closes the session with `parse error`. It never
/// panics, and allocates only for base64 messages (at most 3/4 of their text): text and binary data
/// are slices of the body. Protocol 3 `0:` records are skipped.
#[derive(Debug)]
pub struct PayloadDecoder {
    body: Bytes,
    pos: usize,
    /// End of the prefix of `body` known to be UTF-8 (text payloads only).
    utf8_end: usize,
    version: ProtocolVersion,
    kind: PayloadKind,
    packets_left: usize,
    state: State,
}

#[derive(Debug)]
enum State {
    Running,
    /// An error to yield next (then `Done`).
    Failed(DecodeError),
    Done,
}

impl Iterator for PayloadDecoder {
    type Item = Result<Packet, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Done => return None,
            State::Failed(e) => return Some(Err(e)),
            State::Running => {}
        }
        let next = match (self.version, self.kind) {
            (ProtocolVersion::V4, _) => self.next_v4(),
            (ProtocolVersion::V3, PayloadKind::Text) => self.next_v3_text(),
            (ProtocolVersion::V3, PayloadKind::Binary) => self.next_xhr2(),
        };
        match next {
            Some(Ok(_)) if self.packets_left == 0 => Some(Err(DecodeError::TooManyPackets)),
            Some(Ok(packet)) => {
                self.packets_left -= 1;
                self.state = State::Running;
                Some(Ok(packet))
            }
            other => other,
        }
    }
}

impl std::iter::FusedIterator for PayloadDecoder {}

impl PayloadDecoder {
    /// Protocol 4: the next record up to `0x1e` or the end. A separator is always followed by a
    /// record, so a trailing `0x1e` ends in an empty (malformed) record, as with Node's `split`.
    fn next_v4(&mut self) -> Option<Result<Packet, DecodeError>> {
        let rest = self.body.get(self.pos..)?;
        let (end, next) = match find_byte(rest, SEPARATOR) {
            Some(i) => (self.pos + i, self.pos + i + 1),
            // Past the end: the next call returns None.
            None => (self.body.len(), self.body.len() + 1),
        };
        if end > self.utf8_end {
            return Some(Err(DecodeError::InvalidUtf8));
        }
        // The separator is ASCII, so records of a UTF-8 body are UTF-8.
        let record = Str::from_utf8_checked_by_caller(self.body.slice(self.pos..end));
        self.pos = next;
        Some(decode_text_packet(record, ProtocolVersion::V4))
    }

    /// Protocol 3 text: `<length>:<packet>`, skipping `0:` records.
    fn next_v3_text(&mut self) -> Option<Result<Packet, DecodeError>> {
        loop {
            if self.pos >= self.body.len() {
                return None;
            }
            // Bytes past `utf8_end` are not UTF-8: running into them is that error, not a
            // truncation.
            let valid = self.body.get(self.pos..self.utf8_end).unwrap_or_default();
            let truncated = if self.utf8_end < self.body.len() {
                DecodeError::InvalidUtf8
            } else {
                DecodeError::Incomplete
            };
            let Some(colon) = valid.iter().position(|&b| !b.is_ascii_digit()) else {
                return Some(Err(truncated));
            };
            if valid.get(colon) != Some(&b':') || colon == 0 {
                return Some(Err(DecodeError::InvalidLength));
            }
            let Some(len) = valid
                .get(..colon)
                .unwrap_or_default()
                .iter()
                .try_fold(0usize, |acc, &d| push_digit(acc, d - b'0'))
            else {
                return Some(Err(DecodeError::InvalidLength));
            };
            let record = valid.get(colon + 1..).unwrap_or_default();
            let record_len = match utf16_prefix_len(record, len) {
                Ok(n) => n,
                Err(Utf16Prefix::Short) => return Some(Err(truncated)),
                Err(Utf16Prefix::SplitsCharacter) => {
                    return Some(Err(DecodeError::LengthSplitsCharacter))
                }
            };
            let start = self.pos + colon + 1;
            self.pos = start + record_len;
            if record_len == 0 {
                continue;
            }
            let text = Str::from_utf8_checked_by_caller(self.body.slice(start..self.pos));
            return Some(decode_text_packet(text, ProtocolVersion::V3));
        }
    }

    /// Protocol 3 XHR2: marker, raw digits, `0xFF`, record.
    fn next_xhr2(&mut self) -> Option<Result<Packet, DecodeError>> {
        let rest = self.body.get(self.pos..)?;
        let (&marker, after_marker) = rest.split_first()?;
        if marker > 1 {
            return Some(Err(DecodeError::InvalidMarker(marker)));
        }
        let Some(ff) = after_marker.iter().position(|&b| b > 9) else {
            return Some(Err(DecodeError::Incomplete));
        };
        if after_marker.get(ff) != Some(&0xFF) || ff == 0 {
            return Some(Err(DecodeError::InvalidLength));
        }
        let Some(len) = after_marker
            .get(..ff)
            .unwrap_or_default()
            .iter()
            .try_fold(0usize, |acc, &d| push_digit(acc, d))
        else {
            return Some(Err(DecodeError::InvalidLength));
        };
        let start = self.pos + 1 + ff + 1;
        let end = match start.checked_add(len) {
            Some(end) if end <= self.body.len() => end,
            _ => return Some(Err(DecodeError::Incomplete)),
        };
        self.pos = end;
        if len == 0 {
            return Some(Err(DecodeError::EmptyPacket));
        }
        let record = self.body.slice(start..end);
        Some(if marker == 0 {
            Str::try_from(record)
                .map_err(|_| DecodeError::InvalidUtf8)
                .and_then(|text| decode_text_packet(text, ProtocolVersion::V3))
        } else {
            decode_v3_binary_packet(&record)
        })
    }
}

enum Utf16Prefix {
    /// The text ends before `units` code units.
    Short,
    /// The `units`-th code unit is the first half of a surrogate pair.
    SplitsCharacter,
}

/// The byte length of the prefix of valid UTF-8 `text` that is `units` UTF-16 code units long.
fn utf16_prefix_len(text: &[u8], units: usize) -> Result<usize, Utf16Prefix> {
    // ASCII is one unit per byte; checking it first keeps the common case a vectorised scan.
    if let Some(prefix) = text.get(..units) {
        if prefix.is_ascii() {
            return Ok(units);
        }
    }
    let mut counted = 0;
    let mut i = 0;
    while counted < units {
        let &b = text.get(i).ok_or(Utf16Prefix::Short)?;
        let (bytes, width) = match b {
            0x00..=0x7F => (1, 1),
            0xC0..=0xDF => (2, 1),
            0xE0..=0xEF => (3, 1),
            _ => (4, 2),
        };
        if counted + width > units {
            return Err(Utf16Prefix::SplitsCharacter);
        }
        counted += width;
        i += bytes;
    }
    if i > text.len() {
        // Only reachable if `text` were not UTF-8; keeps slicing by the result panic-free.
        return Err(Utf16Prefix::Short);
    }
    Ok(i)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use DecodeError::*;
    use ProtocolVersion::{V3, V4};

    type Decoded = Vec<Result<Packet, DecodeError>>;

    fn msg(s: &'static str) -> Packet {
        Packet::Message(Str::from(s))
    }

    fn bin(b: &'static [u8]) -> Packet {
        Packet::Binary(Bytes::from_static(b))
    }

    #[test]
    fn framed_messages_encode_like_messages() {
        let framed = Packet::MessageFramed(Str::from("4é€😀"));
        let plain = msg("é€😀");
        for (version, binary) in [(V3, false), (V3, true), (V4, false)] {
            assert_eq!(
                encode(&[framed.clone(), bin(b"\x01")], version, binary),
                encode(&[plain.clone(), bin(b"\x01")], version, binary)
            );
        }
        assert_eq!(encode(&[framed], V3, false).0, "5:4é€😀".as_bytes());
    }

    fn encode(
        packets: &[Packet],
        version: ProtocolVersion,
        supports_binary: bool,
    ) -> (Vec<u8>, PayloadKind) {
        let mut out = BytesMut::new();
        let kind = encode_payload(packets, version, supports_binary, &mut out);
        (out.to_vec(), kind)
    }

    fn decode(body: &[u8], version: ProtocolVersion, kind: PayloadKind) -> Decoded {
        decode_payload(Bytes::copy_from_slice(body), version, kind, 1000).collect()
    }

    fn ok(packets: &[Packet]) -> Decoded {
        packets.iter().cloned().map(Ok).collect()
    }

    /// `"4é€😀"` then the binary message `01 02 03`, as an XHR2 payload.
    const XHR2_VECTOR: &[u8] = &[
        0x00, 0x01, 0x00, 0xFF, 0x34, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x01,
        0x04, 0xFF, 0x04, 0x01, 0x02, 0x03,
    ];

    #[test]
    fn v4_payloads() {
        let packets = [
            msg("hello"),
            bin(&[1, 2, 3, 4]),
            msg("€"),
            Packet::Ping(Str::from("probe")),
            Packet::Noop,
        ];
        let wire = "4hello\x1ebAQIDBA==\x1e4€\x1e2probe\x1e6";
        for supports_binary in [true, false] {
            assert_eq!(
                encode(&packets, V4, supports_binary),
                (wire.as_bytes().to_vec(), PayloadKind::Text)
            );
        }
        assert_eq!(decode(wire.as_bytes(), V4, PayloadKind::Text), ok(&packets));
        assert_eq!(encode(&[msg("1"), msg("2")], V4, true).0, b"41\x1e42");
        assert_eq!(encode(&[], V4, true), (vec![], PayloadKind::Text));
        assert_eq!(decode(b"6", V4, PayloadKind::Text), ok(&[Packet::Noop]));
        assert_eq!(
            decode(b"bAQID", V4, PayloadKind::Text),
            ok(&[bin(&[1, 2, 3])])
        );
    }

    #[test]
    fn v4_malformed_payloads_deliver_what_came_before() {
        let cases: &[(&[u8], Decoded)] = &[
            (b"", vec![Err(EmptyPayload)]),
            (b"\x1e", vec![Err(EmptyPacket)]),
            (b"4a\x1e", vec![Ok(msg("a")), Err(EmptyPacket)]),
            (b"4a\x1e\x1e4b", vec![Ok(msg("a")), Err(EmptyPacket)]),
            (
                b"4a\x1e7\x1e4b",
                vec![Ok(msg("a")), Err(UnknownPacketType(b'7'))],
            ),
            (b"4a\x1e4\xff\x1e4b", vec![Ok(msg("a")), Err(InvalidUtf8)]),
            (b"4a\x1eb!!!!", vec![Ok(msg("a")), Err(InvalidBase64)]),
            (b"x", vec![Err(UnknownPacketType(b'x'))]),
        ];
        for (body, expected) in cases {
            assert_eq!(&decode(body, V4, PayloadKind::Text), expected, "{body:?}");
        }
        assert_eq!(
            decode(b"4a", V4, PayloadKind::Binary),
            vec![Err(BinaryPayloadUnsupported)]
        );
    }

    #[test]
    fn v3_text_lengths_count_utf16_units() {
        assert_eq!(
            encode(&[msg("é€😀")], V3, true),
            (
                b"5:4\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80".to_vec(),
                PayloadKind::Text
            )
        );
        assert_eq!(encode(&[msg("é€😀")], V3, true).0, "5:4é€😀".as_bytes());
        assert_eq!(
            decode("5:4é€😀".as_bytes(), V3, PayloadKind::Text),
            ok(&[msg("é€😀")])
        );
        // From engine.io-parser 2.x's tests.
        assert_eq!(
            encode(&[msg("€€€"), msg("α")], V3, true).0,
            "4:4€€€2:4α".as_bytes()
        );
        assert_eq!(
            decode("4:4€€€2:4α".as_bytes(), V3, PayloadKind::Text),
            ok(&[msg("€€€"), msg("α")])
        );
        assert_eq!(encode(&[msg("a")], V3, false).0, b"2:4a");
        assert_eq!(
            encode(
                &[
                    Packet::Ping(Str::from("probe")),
                    Packet::Close,
                    Packet::Noop
                ],
                V3,
                true
            )
            .0,
            b"6:2probe1:11:6"
        );
        assert_eq!(encode(&[], V3, true), (b"0:".to_vec(), PayloadKind::Text));
    }

    #[test]
    fn v3_text_b4_base64() {
        let packets = [msg("é€😀"), bin(&[1, 2, 3])];
        // The client sent `b64`: binary as base64 in a text payload.
        let wire = "5:4é€😀6:b4AQID";
        assert_eq!(
            encode(&packets, V3, false),
            (wire.as_bytes().to_vec(), PayloadKind::Text)
        );
        assert_eq!(decode(wire.as_bytes(), V3, PayloadKind::Text), ok(&packets));
        assert_eq!(encode(&[bin(&[1, 2, 3, 4])], V3, false).0, b"10:b4AQIDBA==");
        assert_eq!(
            decode(b"10:b4AQIDBA==", V3, PayloadKind::Text),
            ok(&[bin(&[1, 2, 3, 4])])
        );
        assert_eq!(decode(b"2:b4", V3, PayloadKind::Text), ok(&[bin(&[])]));
    }

    #[test]
    fn v3_zero_length_records_are_skipped() {
        assert_eq!(decode(b"0:", V3, PayloadKind::Text), vec![]);
        assert_eq!(
            decode(b"0:2:4a0:0:2:4b0:", V3, PayloadKind::Text),
            ok(&[msg("a"), msg("b")])
        );
        assert_eq!(
            decode(b"00:01:6", V3, PayloadKind::Text),
            ok(&[Packet::Noop])
        );
    }

    #[test]
    fn v3_text_malformed() {
        let cases: &[(&[u8], Decoded)] = &[
            // engine.io-parser 2.x's "bad payload" cases.
            (b"", vec![Err(EmptyPayload)]),
            (b"1!", vec![Err(InvalidLength)]),
            (b"))", vec![Err(InvalidLength)]),
            (b"1:", vec![Err(Incomplete)]),
            (b"3:99:", vec![Err(UnknownPacketType(b'9'))]),
            (b"1:aa", vec![Err(UnknownPacketType(b'a'))]),
            (b"1:a2:b", vec![Err(UnknownPacketType(b'a'))]),
            // Ours.
            (b":4a", vec![Err(InvalidLength)]),
            (b"2:4a1", vec![Ok(msg("a")), Err(Incomplete)]),
            (b"2:4a9:4b", vec![Ok(msg("a")), Err(Incomplete)]),
            (
                b"2:4a999999999999999999999999:4b",
                vec![Ok(msg("a")), Err(InvalidLength)],
            ),
            (b"2:4a2:4\xff", vec![Ok(msg("a")), Err(InvalidUtf8)]),
            (b"2:4a\xff", vec![Ok(msg("a")), Err(InvalidUtf8)]),
            (b"2:4a1\xff:4", vec![Ok(msg("a")), Err(InvalidUtf8)]),
            ("2:4😀".as_bytes(), vec![Err(LengthSplitsCharacter)]),
            (b"4:b4A!", vec![Err(InvalidBase64)]),
            (b"6:b2AQID", vec![Err(BinaryNonMessage(2))]),
        ];
        for (body, expected) in cases {
            assert_eq!(
                &decode(body, V3, PayloadKind::Text),
                expected,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn v3_xhr2_payload() {
        let packets = [msg("é€😀"), bin(&[1, 2, 3])];
        assert_eq!(
            encode(&packets, V3, true),
            (XHR2_VECTOR.to_vec(), PayloadKind::Binary)
        );
        assert_eq!(decode(XHR2_VECTOR, V3, PayloadKind::Binary), ok(&packets));
        // Only text packets: a text payload even for a binary-capable client.
        assert_eq!(
            encode(&[msg("a")], V3, true),
            (b"2:4a".to_vec(), PayloadKind::Text)
        );
        // Lengths of ten and more take several digit bytes.
        let long = Packet::Binary(Bytes::from(vec![7u8; 123]));
        let (wire, kind) = encode(&[long.clone(), Packet::Noop], V3, true);
        assert_eq!(kind, PayloadKind::Binary);
        assert_eq!(&wire[..5], &[1, 1, 2, 4, 0xFF]);
        assert_eq!(&wire[wire.len() - 4..], &[0, 1, 0xFF, b'6']);
        assert_eq!(
            decode(&wire, V3, PayloadKind::Binary),
            ok(&[long, Packet::Noop])
        );
    }

    #[test]
    fn v3_xhr2_slices_the_body() {
        let body = Bytes::from_static(XHR2_VECTOR);
        let packets: Vec<_> = decode_payload(body.clone(), V3, PayloadKind::Binary, 10).collect();
        let Some(Ok(Packet::Message(text))) = packets.first() else {
            panic!()
        };
        assert_eq!(text.as_ptr(), body[5..].as_ptr());
        let Some(Ok(Packet::Binary(data))) = packets.get(1) else {
            panic!()
        };
        assert_eq!(data.as_ptr(), body[18..].as_ptr());
    }

    #[test]
    fn v3_xhr2_malformed() {
        let cases: &[(&[u8], Decoded)] = &[
            (&[], vec![Err(EmptyPayload)]),
            (&[2, 1, 0xFF, 0x36], vec![Err(InvalidMarker(2))]),
            (&[0, 1], vec![Err(Incomplete)]),
            (&[0], vec![Err(Incomplete)]),
            (&[0, 0xFF, 0x36], vec![Err(InvalidLength)]),
            (&[0, 1, 10, 0xFF, 0x36], vec![Err(InvalidLength)]),
            (&[0, 2, 0xFF, 0x36], vec![Err(Incomplete)]),
            (&[0, 0, 0xFF], vec![Err(EmptyPacket)]),
            (&[1, 0, 0xFF], vec![Err(EmptyPacket)]),
            (&[1, 2, 0xFF, 2, 1], vec![Err(BinaryNonMessage(2))]),
            (&[1, 2, 0xFF, b'4', 1], vec![Err(UnknownPacketType(b'4'))]),
            (&[0, 2, 0xFF, 0x34, 0xFF], vec![Err(InvalidUtf8)]),
            (&[0, 1, 0xFF, b'9'], vec![Err(UnknownPacketType(b'9'))]),
            (
                &[0, 1, 0xFF, b'6', 0, 1, 0xFF],
                vec![Ok(Packet::Noop), Err(Incomplete)],
            ),
            (
                &[
                    0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xFF,
                ],
                vec![Err(InvalidLength)],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(&decode(body, V3, PayloadKind::Binary), expected, "{body:?}");
        }
    }

    #[test]
    fn max_packets_bounds_the_count() {
        let limited = |body: &'static [u8], version, max| -> Vec<_> {
            decode_payload(Bytes::from_static(body), version, PayloadKind::Text, max).collect()
        };
        assert_eq!(
            limited(b"4a\x1e4b\x1e4c", V4, 2),
            vec![Ok(msg("a")), Ok(msg("b")), Err(TooManyPackets)]
        );
        assert_eq!(limited(b"4a\x1e4b", V4, 2), ok(&[msg("a"), msg("b")]));
        assert_eq!(
            limited(b"2:4a0:2:4b", V3, 1),
            vec![Ok(msg("a")), Err(TooManyPackets)]
        );
        assert_eq!(limited(b"4a", V4, 0), vec![Err(TooManyPackets)]);
    }

    #[test]
    fn decoder_is_fused() {
        let mut d = decode_payload(Bytes::from_static(b"4a\x1e"), V4, PayloadKind::Text, 10);
        assert_eq!(d.next(), Some(Ok(msg("a"))));
        assert_eq!(d.next(), Some(Err(EmptyPacket)));
        assert_eq!(d.next(), None);
        assert_eq!(d.next(), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PayloadKind::Text.content_type(),
            "text/plain; charset=UTF-8"
        );
        assert_eq!(
            PayloadKind::Binary.content_type(),
            "application/octet-stream"
        );
        for (ct, kind) in [
            ("application/octet-stream", PayloadKind::Binary),
            ("Application/Octet-Stream; charset=x", PayloadKind::Binary),
            ("text/plain;charset=UTF-8", PayloadKind::Text),
            ("", PayloadKind::Text),
        ] {
            assert_eq!(PayloadKind::from_content_type(ct), kind, "{ct}");
        }
    }

    #[test]
    fn decoding_text_allocates_nothing_but_slices() {
        let body = Bytes::from(b"4hello\x1e4world".to_vec());
        let packets: Vec<_> = decode_payload(body.clone(), V4, PayloadKind::Text, 10).collect();
        let Some(Ok(Packet::Message(second))) = packets.get(1) else {
            panic!()
        };
        assert_eq!(second.as_ptr(), body[8..].as_ptr());
    }
}
