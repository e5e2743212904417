//! The permessage-deflate frame reader (`engineio::fuzz_inflate`), which sees a client's raw
//! WebSocket bytes before tungstenite does.
//!
//! Input: one selector byte (bits 0..4: the read size, 1 to 32 bytes; bits 5..7: the inflate
//! limit, 1 to 8 KiB), then the bytes from the peer. Checks that the reader never hands on more
//! than one limit of inflated bytes per input byte's frame, and that how the bytes are split
//! into reads does not change what it hands on.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(selector & 0x1f) + 1;
    let limit = (usize::from(selector >> 5) + 1) * 1024;
    let split = engineio::fuzz_inflate(input, chunk, limit);
    let whole = engineio::fuzz_inflate(input, input.len().max(1), limit);
    // A compressed frame is at least a 6-byte header; each is inflated to at most `limit`
    // bytes plus a 14-byte header, so what is handed on stays proportional to the input.
    if let Some(out) = &whole {
        assert!(out.len() <= input.len() + (input.len() / 6 + 1) * (limit + 14));
    }
    // Reads of any size: the same frames, or the same refusal. A refusal can come earlier
    // with smaller reads only in that fewer frames were handed on before it.
    match (&split, &whole) {
        (Some(a), Some(b)) => assert_eq!(a, b),
        (None, None) => {}
        (a, b) => panic!(
            "read size changed the outcome: {:?} vs {:?}",
            a.is_some(),
            b.is_some()
        ),
    }
});
