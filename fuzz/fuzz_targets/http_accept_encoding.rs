//! The `Accept-Encoding` negotiator (`engineio::preferred_encoding`) shared by polling
//! compression and the served client bundle: request headers are peer input.
//!
//! Input: header lines separated by `\n` (each an `Accept-Encoding` line). Checks that the
//! answer names a provided coding the header mentions (or `*`), that it does not depend on how
//! many codings past the chosen one are provided, and that it is fast (the linear-time rule).
#![no_main]

use engineio::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

const PROVIDED: [&str; 3] = ["br", "gzip", "deflate"];

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(header::ACCEPT_ENCODING, v);
        }
    }
    let started = std::time::Instant::now();
    let chosen = engineio::preferred_encoding(&headers, &PROVIDED);
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
    if let Some(i) = chosen {
        assert!(i < PROVIDED.len());
        let text: String = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            text.contains(PROVIDED[i]) || text.contains('*'),
            "{text:?} -> {i}"
        );
        // Providing fewer codings never changes a choice among those still provided.
        let fewer = engineio::preferred_encoding(&headers, &PROVIDED[..=i]);
        assert_eq!(fewer, Some(i));
    }
});
