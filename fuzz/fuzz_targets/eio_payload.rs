//! Engine.IO polling payload decoder, every protocol and kind.
//!
//! Input: one selector byte (bit 0: protocol 3 or 4; bit 1: text or XHR2 binary; bits 2..: the
//! packet limit), then the body. Checks the iterator contract, and that a body that decodes
//! re-encodes to one that decodes to the same packets.
#![no_main]

use bytes::{Bytes, BytesMut};
use engineio_protocol::{decode_payload, encode_payload, Packet, PayloadKind, ProtocolVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let version = if selector & 1 == 0 {
        ProtocolVersion::V3
    } else {
        ProtocolVersion::V4
    };
    let kind = if selector & 2 == 0 {
        PayloadKind::Text
    } else {
        PayloadKind::Binary
    };
    let max_packets = usize::from(selector >> 2);

    let mut decoder = decode_payload(Bytes::copy_from_slice(body), version, kind, max_packets);
    let mut packets: Vec<Packet> = Vec::new();
    let mut failed = false;
    for item in decoder.by_ref() {
        match item {
            Ok(packet) => packets.push(packet),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(decoder.next().is_none(), "items after an error or the end");
    assert!(packets.len() <= max_packets);
    if failed {
        return;
    }

    for supports_binary in [false, true] {
        let mut out = BytesMut::new();
        let kind = encode_payload(&packets, version, supports_binary, &mut out);
        let again: Result<Vec<Packet>, _> =
            decode_payload(out.freeze(), version, kind, usize::MAX).collect();
        match again {
            Ok(again) => assert_eq!(again, packets),
            // Protocol 4 cannot encode an empty packet list as a non-empty body.
            Err(_) => assert!(packets.is_empty() && version == ProtocolVersion::V4),
        }
    }
});
