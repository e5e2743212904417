//! Session id parsing (`Sid::from_str`): only 20 URL-safe base64 characters are accepted, and a
//! parsed sid prints back as its input.
#![no_main]

use engineio_protocol::Sid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let valid = s.len() == 20
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match s.parse::<Sid>() {
        Ok(sid) => {
            assert!(valid);
            assert_eq!(sid.as_str(), s);
            assert_eq!(sid.to_string().parse::<Sid>(), Ok(sid));
        }
        Err(_) => assert!(!valid),
    }
});
