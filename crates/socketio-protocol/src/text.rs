//! A cheaply cloneable UTF-8 string, the text half of an [`Encoded`](crate::Encoded) packet.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;

/// Immutable, cheaply cloneable UTF-8 text: cloning shares the buffer (a reference count),
/// so a broadcast encodes once and hands the same text to every recipient.
///
/// [`as_str`](Self::as_str) is free, and [`to_bytes`](Self::to_bytes) gives a [`Bytes`] view
/// of the same buffer without copying (for a transport that writes bytes). Independent of any
/// Engine.IO or WebSocket crate; where one has its own UTF-8 bytes type (tungstenite's
/// `Utf8Bytes`), convert through [`Bytes`] or [`String`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Arc<str>);

impl Utf8Bytes {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The UTF-8 bytes as [`Bytes`] sharing this buffer (no copy of the text).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from_owner(ArcBytes(Arc::clone(&self.0)))
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Lets [`Bytes`] own a share of the text.
struct ArcBytes(Arc<str>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Default for Utf8Bytes {
    fn default() -> Self {
        Self(Arc::from(""))
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for Utf8Bytes {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Arc::from(s))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(t: Utf8Bytes) -> Self {
        Bytes::from_owner(ArcBytes(t.0))
    }
}

impl From<Utf8Bytes> for String {
    fn from(t: Utf8Bytes) -> Self {
        t.as_str().to_owned()
    }
}

impl From<Utf8Bytes> for Arc<str> {
    fn from(t: Utf8Bytes) -> Self {
        t.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_and_byte_views_share_the_buffer() {
        let text = Utf8Bytes::from(String::from("2[\"é\"]"));
        let copy = text.clone();
        assert_eq!(copy.as_bytes().as_ptr(), text.as_bytes().as_ptr());
        let bytes = text.to_bytes();
        assert_eq!(bytes.as_ptr(), text.as_bytes().as_ptr());
        assert_eq!(Bytes::from(copy), bytes);
        assert_eq!(text, "2[\"é\"]");
        assert_eq!(text.len(), 7);
        assert!(Utf8Bytes::default().is_empty());
        assert_eq!(format!("{text:?}"), r#""2[\"é\"]""#);
    }
}
