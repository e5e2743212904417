//! Node uids and request ids.

/// The length of a node uid and of a request id, as Node's `uid2(6)`.
pub const ID_LEN: usize = 6;

/// The uid `@socket.io/redis-emitter` puts in its broadcasts and SERVER_SIDE_EMIT requests.
/// Never a node's: nothing is ever sent back to it.
pub const EMITTER_UID: &str = "emitter";

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Six characters `[A-Za-z0-9]` from the operating system's CSPRNG.
fn random_id() -> String {
    let mut id = String::with_capacity(ID_LEN);
    while id.len() < ID_LEN {
        let mut random = [0u8; 16];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut random).expect("the OS random number generator failed");
        for b in random {
            if id.len() == ID_LEN {
                break;
            }
            if b < 248 {
                id.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    id
}

/// A new node uid (one per namespace adapter, as in Node): six characters `[A-Za-z0-9]`
/// from the operating system's CSPRNG, uniformly (each random byte of 248 or more is dropped,
/// so `byte % 62` has no bias).
///
/// Node's `uid2` 1.0.0 draws from `[A-Za-z0-9_-]`; ids are opaque strings everywhere on the
/// bus, and these are a subset.
///
/// # Panics
/// If the operating system's random source fails (`getrandom`), which on supported platforms
/// only happens in a broken environment (as for the project's session ids): an id must never
/// be predictable, so there is no fallback.
pub fn generate_uid() -> String {
    random_id()
}

/// A new request id: six characters `[A-Za-z0-9]`, drawn as [`generate_uid`] draws them.
///
/// # Panics
/// If the operating system's random source fails.
pub fn generate_request_id() -> String {
    random_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_six_alphanumerics_and_differ() {
        let a = generate_uid();
        let b = generate_request_id();
        for id in [&a, &b] {
            assert_eq!(id.len(), ID_LEN);
            assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
        // 62^6 ≈ 5.7e10: a collision here means the generator is broken.
        assert_ne!(a, b);
    }

    #[test]
    fn every_character_shows_up() {
        let mut seen = [false; 128];
        for _ in 0..400 {
            for c in generate_uid().bytes() {
                seen[usize::from(c)] = true;
            }
        }
        assert!(ALPHABET.iter().all(|&c| seen[usize::from(c)]));
    }
}
