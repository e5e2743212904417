//! Engine.IO WebSocket frame decoders, text and binary, both protocols.
//!
//! Input: one selector byte (bit 0: protocol 3 or 4; bit 1: text or binary frame; bit 2: `b64`
//! when re-encoding), then the frame. A frame that decodes must re-encode to one that decodes to
//! the same packet.
#![no_main]

use bytes::Bytes;
use engineio_protocol::{
    decode_binary_frame, decode_text_frame, encode_frame, Frame, ProtocolVersion, Str,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let version = if selector & 1 == 0 {
        ProtocolVersion::V3
    } else {
        ProtocolVersion::V4
    };
    let b64 = selector & 4 != 0;
    let frame = Bytes::copy_from_slice(frame);
    let decoded = if selector & 2 == 0 {
        match Str::try_from(frame) {
            Ok(text) => decode_text_frame(text, version),
            Err(_) => return,
        }
    } else {
        decode_binary_frame(frame, version)
    };
    let Ok(packet) = decoded else {
        return;
    };
    let again = match encode_frame(&packet, version, b64) {
        Frame::Text(text) => decode_text_frame(text, version),
        Frame::Binary(data) => decode_binary_frame(data, version),
    };
    assert_eq!(again, Ok(packet));
});
