//! The encoding of one packet as text, shared by the WebSocket and polling codecs, and the
//! number and base64 helpers they use.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::packet::{Packet, PacketType, ProtocolVersion, Str};

/// Standard alphabet, padded on output. On input padding is optional and stray trailing bits are
/// accepted: Node decodes with `Buffer.from(s, "base64")`, which is more lenient still.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The prefix of a binary message sent as base64 text: `b` then, in protocol 3, the type `4`.
fn base64_prefix(version: ProtocolVersion) -> &'static [u8] {
    match version {
        ProtocolVersion::V3 => b"b4",
        ProtocolVersion::V4 => b"b",
    }
}

fn base64_len(data_len: usize) -> usize {
    // `None` only for lengths near usize::MAX, which no buffer in memory has.
    base64::encoded_len(data_len, true).unwrap_or(usize::MAX)
}

/// Appends the base64 (standard, padded) encoding of `data`.
pub(crate) fn put_base64(data: &[u8], out: &mut BytesMut) {
    let start = out.len();
    out.resize(start + base64_len(data.len()), 0);
    // The slice has exactly the room needed, so encoding cannot fail.
    let written = BASE64.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

/// Decodes base64 data; the output is at most 3/4 of the input's length.
pub(crate) fn decode_base64(text: &[u8]) -> Result<Bytes, DecodeError> {
    BASE64
        .decode(text)
        .map(Bytes::from)
        .map_err(|_| DecodeError::InvalidBase64)
}

/// Length of the text form of `packet` written by [`put_text_packet`], in bytes.
pub(crate) fn text_packet_len(packet: &Packet, version: ProtocolVersion) -> usize {
    match packet {
        Packet::Binary(data) => base64_prefix(version).len() + base64_len(data.len()),
        _ => 1 + packet.text_data().len(),
    }
}

/// Length of the text form of `packet` in UTF-16 code units, as JavaScript's `String.length`
/// counts it (protocol 3 text payloads).
pub(crate) fn text_packet_utf16_len(packet: &Packet, version: ProtocolVersion) -> usize {
    match packet {
        // Base64 text is ASCII: one unit per byte.
        Packet::Binary(_) => text_packet_len(packet, version),
        _ => 1 + utf16_len(packet.text_data()),
    }
}

/// The number of UTF-16 code units of valid UTF-8 text: one per character, two for the characters
/// that take four bytes in UTF-8 (outside the BMP, encoded as a surrogate pair in UTF-16).
pub(crate) fn utf16_len(utf8: &[u8]) -> usize {
    if utf8.is_ascii() {
        return utf8.len();
    }
    // Two simple counting passes vectorise; one pass summing two conditions does not.
    let chars = utf8.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    let four_byte = utf8.iter().filter(|&&b| b >= 0xF0).count();
    chars + four_byte
}

/// The index of the first `needle` in `haystack`, eight bytes at a time (`memchr` without the
/// dependency): the record separator search is the inner loop of protocol 4 payload decoding.
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut skipped = 0;
    for chunk in haystack.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ pattern;
        // Non-zero exactly when some byte of `word` is zero, i.e. some byte equals `needle`.
        if word.wrapping_sub(LO) & !word & HI != 0 {
            break;
        }
        skipped += 8;
    }
    let rest = haystack.get(skipped..)?;
    rest.iter().position(|&b| b == needle).map(|i| skipped + i)
}

/// Appends the text form of a packet: the type character and the data, or for a binary message
/// `b<base64>` (protocol 4) / `b4<base64>` (protocol 3).
pub(crate) fn put_text_packet(packet: &Packet, version: ProtocolVersion, out: &mut BytesMut) {
    match packet {
        Packet::Binary(data) => {
            out.put_slice(base64_prefix(version));
            put_base64(data, out);
        }
        _ => {
            out.put_u8(packet.packet_type().as_ascii());
            out.put_slice(packet.text_data());
        }
    }
}

/// Decodes one packet from its text form (a WebSocket text frame, a protocol 4 payload record, a
/// protocol 3 payload record). The data of a text packet is a slice of `text`, not a copy.
pub(crate) fn decode_text_packet(
    text: Str,
    version: ProtocolVersion,
) -> Result<Packet, DecodeError> {
    let bytes = text.into_bytes();
    let Some(&first) = bytes.first() else {
        return Err(DecodeError::EmptyPacket);
    };
    if first == b'b' {
        let base64 = match version {
            ProtocolVersion::V4 => bytes.get(1..),
            ProtocolVersion::V3 => match bytes.get(1) {
                Some(b'4') => bytes.get(2..),
                Some(&ty) if PacketType::from_ascii(ty).is_some() => {
                    return Err(DecodeError::BinaryNonMessage(ty - b'0'))
                }
                Some(&other) => return Err(DecodeError::UnknownPacketType(other)),
                None => return Err(DecodeError::UnknownPacketType(first)),
            },
        };
        return decode_base64(base64.unwrap_or_default()).map(Packet::Binary);
    }
    let ty = PacketType::from_ascii(first).ok_or(DecodeError::UnknownPacketType(first))?;
    // The type is one ASCII byte, so the rest starts on a character boundary. Advancing the
    // owned handle, rather than slicing a new one, spares a reference count round trip.
    let mut data = bytes;
    data.advance(1);
    Ok(Packet::from_text(
        ty,
        Str::from_utf8_checked_by_caller(data),
    ))
}

/// `bytes[start..]` without copying, or empty if `start` is past the end.
pub(crate) fn slice_from(bytes: &Bytes, start: usize) -> Bytes {
    if start <= bytes.len() {
        bytes.slice(start..)
    } else {
        Bytes::new()
    }
}

/// Appends `n` in decimal, as ASCII digits.
pub(crate) fn put_decimal(n: usize, out: &mut BytesMut) {
    let mut buf = [0u8; 20];
    let digits = decimal_digits(n, &mut buf);
    out.put_slice(digits);
}

/// Appends `n` in decimal as the raw digit values 0..=9 (the XHR2 payload length form).
pub(crate) fn put_raw_digits(n: usize, out: &mut BytesMut) {
    let mut buf = [0u8; 20];
    for &d in decimal_digits(n, &mut buf) {
        out.put_u8(d - b'0');
    }
}

fn decimal_digits(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Adds a decimal digit to a length being parsed, or `None` on overflow.
pub(crate) fn push_digit(acc: usize, digit: u8) -> Option<usize> {
    acc.checked_mul(10)?.checked_add(usize::from(digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_lengths() {
        assert_eq!(utf16_len(b""), 0);
        assert_eq!(utf16_len(b"hello"), 5);
        assert_eq!(utf16_len("é€😀".as_bytes()), 4);
        for s in ["a", "é", "€", "😀", "a😀b€", "\u{10FFFF}\u{FFFF}"] {
            assert_eq!(utf16_len(s.as_bytes()), s.encode_utf16().count(), "{s}");
        }
    }

    #[test]
    fn find_byte_finds_the_first() {
        let hay = b"0123456789abcdef\x1e0123456\x1e";
        assert_eq!(find_byte(hay, 0x1e), Some(16));
        for len in 0..hay.len() {
            let expected = hay[..len].iter().position(|&b| b == 0x1e);
            assert_eq!(find_byte(&hay[..len], 0x1e), expected, "{len}");
        }
        assert_eq!(find_byte(b"", 0), None);
        assert_eq!(find_byte(&[0xff; 17], 0xfe), None);
        assert_eq!(find_byte(&[0x1f, 0x1e], 0x1e), Some(1));
        assert_eq!(find_byte(&[1, 2, 3, 4, 5, 6, 7, 0x9e, 0x1e], 0x1e), Some(8));
    }

    #[test]
    fn decimals() {
        let mut out = BytesMut::new();
        put_decimal(0, &mut out);
        out.put_u8(b' ');
        put_decimal(1234567890, &mut out);
        out.put_u8(b' ');
        put_decimal(usize::MAX, &mut out);
        assert_eq!(&out[..], format!("0 1234567890 {}", usize::MAX).as_bytes());
        out.clear();
        put_raw_digits(105, &mut out);
        assert_eq!(&out[..], &[1, 0, 5]);
    }

    #[test]
    fn base64_is_standard_and_lenient_on_padding() {
        let mut out = BytesMut::new();
        put_base64(&[0xfb, 0xff, 0x01], &mut out);
        put_base64(&[1, 2], &mut out);
        assert_eq!(&out[..], b"+/8BAQI=");
        assert_eq!(decode_base64(b"AQI=").as_deref(), Ok(&[1u8, 2][..]));
        assert_eq!(decode_base64(b"AQI").as_deref(), Ok(&[1u8, 2][..]));
        assert_eq!(decode_base64(b"").as_deref(), Ok(&[][..]));
        assert_eq!(decode_base64(b"A"), Err(DecodeError::InvalidBase64));
        assert_eq!(decode_base64(b"AQ*D"), Err(DecodeError::InvalidBase64));
        assert_eq!(decode_base64(b"-_8B"), Err(DecodeError::InvalidBase64));
    }

    #[test]
    fn slice_from_never_panics() {
        let b = Bytes::from_static(b"ab");
        assert_eq!(slice_from(&b, 1), "b");
        assert_eq!(slice_from(&b, 2), "");
        assert_eq!(slice_from(&b, 3), "");
    }
}
