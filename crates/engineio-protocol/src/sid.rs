//! Session ids, also used by Socket.IO for socket ids.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// A session id: 20 characters of the URL-safe base64 alphabet (`A-Z a-z 0-9 - _`).
///
/// The shape of Node's `base64id` (15 bytes in base64, `+` and `/` replaced by `-` and `_`), which
/// balancers and tooling recognise, but all 15 bytes come from the operating system's CSPRNG (Node
/// uses 12 random bytes and a counter). Cheap to copy and hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; Sid::LEN]);

impl Sid {
    /// The length of a sid in characters (and bytes).
    pub const LEN: usize = 20;

    /// A new random sid.
    ///
    /// # Panics
    /// If the operating system's random source fails (`getrandom`), which on supported platforms
    /// only happens in a broken environment; a session id must never be predictable, so there is
    /// no fallback.
    pub fn generate() -> Sid {
        let mut random = [0u8; 15];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut random).expect("the OS random number generator failed");
        let mut sid = [0u8; Sid::LEN];
        // 15 bytes are exactly 20 base64 characters, with no padding.
        let _ = URL_SAFE_NO_PAD.encode_slice(random, &mut sid);
        Sid(sid)
    }

    /// The sid as a string.
    pub fn as_str(&self) -> &str {
        // Always ASCII by construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl AsRef<str> for Sid {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A string that is not a sid: not 20 characters of the URL-safe base64 alphabet.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
#[error("invalid session id")]
#[non_exhaustive]
pub struct SidParseError;

impl FromStr for Sid {
    type Err = SidParseError;

    /// Accepts exactly 20 characters of `A-Z a-z 0-9 - _`, the shape [`Sid::generate`] makes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; Sid::LEN] = s.as_bytes().try_into().map_err(|_| SidParseError)?;
        if bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Sid(bytes))
        } else {
            Err(SidParseError)
        }
    }
}

impl serde::Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Sid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_sids_have_base64id_shape() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let sid = Sid::generate();
            let s = sid.as_str();
            assert_eq!(s.len(), 20);
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(s.parse::<Sid>(), Ok(sid));
            assert_eq!(sid.to_string(), s);
            assert!(seen.insert(sid), "duplicate sid");
        }
    }

    #[test]
    fn parses_node_sids() {
        let sid: Sid = "lv_VI97HAXpY6yYWAAAC".parse().unwrap();
        assert_eq!(sid.as_str(), "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(format!("{sid:?}"), "Sid(lv_VI97HAXpY6yYWAAAC)");
        assert!("-_-_-_-_-_-_-_-_-_-_".parse::<Sid>().is_ok());
    }

    #[test]
    fn rejects_other_strings() {
        for bad in [
            "",
            "lv_VI97HAXpY6yYWAAA",
            "lv_VI97HAXpY6yYWAAACx",
            "lv_VI97HAXpY6yYWAA+C",
            "lv_VI97HAXpY6yYWAA/C",
            "lv_VI97HAXpY6yYWAA=C",
            "lv_VI97HAXpY6yYWAA C",
            "lv_VI97HAXpY6yYWAAé",
        ] {
            assert_eq!(bad.parse::<Sid>(), Err(SidParseError), "{bad:?}");
        }
    }

    #[test]
    fn serde_as_string() {
        let sid: Sid = "lv_VI97HAXpY6yYWAAAC".parse().unwrap();
        let json = serde_json::to_string(&sid).unwrap();
        assert_eq!(json, r#""lv_VI97HAXpY6yYWAAAC""#);
        assert_eq!(serde_json::from_str::<Sid>(&json).unwrap(), sid);
        assert!(serde_json::from_str::<Sid>(r#""short""#).is_err());
    }
}
