//! Drives the msgpack decoder (socket.io-msgpack-parser's wire form) with arbitrary bytes, and
//! checks what it accepts: re-encoding is stable (encode ∘ decode is the identity on our own
//! output), and the text codec carries the same packet (handlers see the same values from
//! either codec).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use socketio_protocol::{
    decode_msgpack, encode, encode_msgpack, Decoder, DecoderLimits, ProtocolRevision,
};

fuzz_target!(|data: &[u8]| {
    let limits = DecoderLimits::default();
    let Ok(packet) = decode_msgpack(&Bytes::copy_from_slice(data), &limits) else {
        return;
    };
    // A peer's own placeholders may name one binary twice; once written as bins they are
    // numbered afresh, so stability holds from the first re-encoding on.
    let first = encode_msgpack(&packet);
    let again = decode_msgpack(&first, &limits).expect("our encoding decodes");
    assert_eq!(encode_msgpack(&again), first);

    // The text codec frames the namespace up to its first `,`: such names have no text form.
    if packet.nsp.contains(',') {
        return;
    }
    let text = encode(&packet, ProtocolRevision::V5);
    let mut decoder = Decoder::new(
        ProtocolRevision::V5,
        DecoderLimits::default().with_max_attachments(usize::MAX),
    );
    let mut out = decoder.decode_text(&text.text).expect("text form decodes");
    for attachment in text.attachments {
        out = decoder
            .decode_binary(attachment)
            .expect("attachment decodes");
    }
    assert_eq!(out.expect("complete"), packet);
});
