//! Protocol versions, packet types, packets, and the UTF-8 string type they carry.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// The Engine.IO protocol revision, from the `EIO` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// Protocol 3: engine.io-client 1.x to 3.x, socket.io-client 1.x and 2.x.
    V3 = 3,
    /// Protocol 4: engine.io-client 4.x to 6.x, socket.io-client 3.x and 4.x.
    V4 = 4,
}

impl ProtocolVersion {
    /// Parses the value of the `EIO` query parameter: exactly `"3"` or `"4"`, nothing else.
    ///
    /// Node's `engine.io` with `allowEIO3` treats any value but `4`, even a missing one, as
    /// protocol 3; we don't, so garbage is refused (code 5, `Unsupported protocol version`).
    pub fn from_query(eio: &str) -> Option<Self> {
        match eio {
            "3" => Some(Self::V3),
            "4" => Some(Self::V4),
            _ => None,
        }
    }

    /// The revision number, 3 or 4.
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_u8())
    }
}

/// The type of an Engine.IO packet, sent as its first character (`'0'`..`'6'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: the handshake, server to client.
    Open = 0,
    /// `1`: close the session.
    Close = 1,
    /// `2`: heartbeat ping (server to client in protocol 4, client to server in 3), or the upgrade
    /// probe `2probe`.
    Ping = 2,
    /// `3`: heartbeat pong, or the probe answer `3probe`.
    Pong = 3,
    /// `4`: a message, text or binary.
    Message = 4,
    /// `5`: completes a transport upgrade.
    Upgrade = 5,
    /// `6`: no operation; releases a pending poll during an upgrade.
    Noop = 6,
}

impl PacketType {
    /// The type as the number 0..=6 (the byte that starts a protocol 3 binary packet).
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The type as the character that starts a text packet, `'0'`..`'6'`.
    pub fn as_char(self) -> char {
        char::from(self.as_ascii())
    }

    /// The type as the ASCII byte that starts a text packet, `b'0'`..`b'6'`.
    pub fn as_ascii(self) -> u8 {
        b'0' + self.as_u8()
    }

    /// The type numbered `n` (0..=6).
    pub fn from_u8(n: u8) -> Option<Self> {
        Some(match n {
            0 => Self::Open,
            1 => Self::Close,
            2 => Self::Ping,
            3 => Self::Pong,
            4 => Self::Message,
            5 => Self::Upgrade,
            6 => Self::Noop,
            _ => return None,
        })
    }

    /// The type written as the ASCII digit `b` (`b'0'`..=`b'6'`).
    pub fn from_ascii(b: u8) -> Option<Self> {
        Self::from_u8(b.wrapping_sub(b'0'))
    }

    /// The type written as the character `c` (`'0'`..=`'6'`).
    pub fn from_char(c: char) -> Option<Self> {
        u8::try_from(c).ok().and_then(Self::from_ascii)
    }
}

/// A UTF-8 string stored in [`Bytes`]: cloning it, slicing it out of a received body and turning it
/// into bytes for the wire cost no copy.
///
/// The bytes are always valid UTF-8. Because this workspace forbids `unsafe`, [`Deref`] to `str`
/// re-checks that (a fast, allocation-free pass); [`Str::len`], [`Str::is_empty`] and
/// [`Str::as_bytes`] don't.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str(Bytes);

impl Str {
    /// An empty string.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A string borrowing a `'static` str, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps bytes the caller has already checked to be UTF-8 (a slice of a validated body cut
    /// on character boundaries). A mistake here cannot cause undefined behaviour, only a wrong
    /// (empty) string from [`Str::as_str`].
    pub(crate) fn from_utf8_checked_by_caller(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Self(bytes)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // The invariant makes the error branch unreachable.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The UTF-8 bytes, without copying.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy of `s` in one allocation of its exact size (`From<String>` keeps the string's
    /// spare capacity, and may allocate a second time to share it).
    pub fn copy_from_str(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&'static str> for Str {
    fn from(s: &'static str) -> Self {
        Self::from_static(s)
    }
}

impl From<Str> for Bytes {
    fn from(s: Str) -> Self {
        s.0
    }
}

impl TryFrom<Bytes> for Str {
    type Error = std::str::Utf8Error;

    /// Checks that `bytes` is UTF-8, then wraps it without copying.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One Engine.IO packet, decoded.
///
/// Data is held in [`Bytes`]/[`Str`], so a decoded packet points into the received body and a
/// packet to broadcast is cloned to every session without copying its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the handshake; the raw JSON of the open packet (see [`OpenPacket`](crate::OpenPacket)).
    Open(Str),
    /// `1`: close the session. Data after the type character is ignored, as Node does.
    Close,
    /// `2`: ping; the data is usually empty, or `probe` during an upgrade.
    Ping(Str),
    /// `3`: pong; the data echoes the ping's.
    Pong(Str),
    /// `4`: a text message.
    Message(Str),
    /// `4`: a binary message.
    Binary(Bytes),
    /// `4`: a text message already framed: the string *starts with* the type character `4`
    /// (`"4hello"`). Encoders write it as is, so a message framed once (a broadcast) is shared
    /// by every session's WebSocket frame and polling payload without a copy per recipient.
    /// Decoders never produce it. A string not starting with `4` is a caller's bug; it is
    /// written as is all the same.
    MessageFramed(Str),
    /// `5`: completes an upgrade. Trailing data is ignored.
    Upgrade,
    /// `6`: no operation. Trailing data is ignored.
    Noop,
}

impl Packet {
    /// The packet's type; [`Packet::Message`] and [`Packet::Binary`] are both
    /// [`PacketType::Message`].
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Open(_) => PacketType::Open,
            Self::Close => PacketType::Close,
            Self::Ping(_) => PacketType::Ping,
            Self::Pong(_) => PacketType::Pong,
            Self::Message(_) | Self::Binary(_) | Self::MessageFramed(_) => PacketType::Message,
            Self::Upgrade => PacketType::Upgrade,
            Self::Noop => PacketType::Noop,
        }
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// The text data of a non-binary packet (empty for `Close`, `Upgrade`, `Noop`).
    pub(crate) fn text_data(&self) -> &[u8] {
        match self {
            Self::Open(s) | Self::Ping(s) | Self::Pong(s) | Self::Message(s) => s.as_bytes(),
            Self::Binary(b) => b,
            Self::MessageFramed(s) => s.as_bytes().get(1..).unwrap_or_default(),
            Self::Close | Self::Upgrade | Self::Noop => &[],
        }
    }

    /// Builds a packet of type `ty` from the text that follows the type character.
    pub(crate) fn from_text(ty: PacketType, data: Str) -> Self {
        match ty {
            PacketType::Open => Self::Open(data),
            PacketType::Close => Self::Close,
            PacketType::Ping => Self::Ping(data),
            PacketType::Pong => Self::Pong(data),
            PacketType::Message => Self::Message(data),
            PacketType::Upgrade => Self::Upgrade,
            PacketType::Noop => Self::Noop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_query_is_strict() {
        assert_eq!(ProtocolVersion::from_query("3"), Some(ProtocolVersion::V3));
        assert_eq!(ProtocolVersion::from_query("4"), Some(ProtocolVersion::V4));
        for bad in ["", "2", "5", "03", "4 ", " 4", "v4", "44"] {
            assert_eq!(ProtocolVersion::from_query(bad), None, "{bad:?}");
        }
        assert_eq!(ProtocolVersion::V3.to_string(), "3");
    }

    #[test]
    fn packet_type_conversions() {
        for n in 0..=6u8 {
            let ty = PacketType::from_u8(n);
            assert_eq!(ty.map(PacketType::as_u8), Some(n));
            assert_eq!(PacketType::from_char(char::from(b'0' + n)), ty);
            assert_eq!(ty.map(PacketType::as_char), Some(char::from(b'0' + n)));
        }
        assert_eq!(PacketType::from_u8(7), None);
        assert_eq!(PacketType::from_ascii(b'7'), None);
        assert_eq!(PacketType::from_ascii(b'/'), None);
        assert_eq!(PacketType::from_char('b'), None);
        assert_eq!(PacketType::from_char('٤'), None);
    }

    #[test]
    fn str_basics() {
        let s = Str::from("héllo");
        assert_eq!(&*s, "héllo");
        assert_eq!(s.len(), 6);
        assert_eq!(s, "héllo");
        assert_eq!(format!("{s} {s:?}"), "héllo \"héllo\"");
        assert_eq!(Str::default(), Str::new());
        assert!(Str::new().is_empty());
        assert_eq!(
            Str::from(String::from("x")).into_bytes(),
            Bytes::from_static(b"x")
        );
        assert!(Str::try_from(Bytes::from_static(b"\xff")).is_err());
        assert_eq!(
            Str::try_from(Bytes::from_static("€".as_bytes())).ok(),
            Some(Str::from("€"))
        );
    }

    #[test]
    fn packet_types() {
        assert_eq!(
            Packet::Binary(Bytes::new()).packet_type(),
            PacketType::Message
        );
        assert_eq!(
            Packet::Message(Str::new()).packet_type(),
            PacketType::Message
        );
        assert!(Packet::Binary(Bytes::new()).is_binary());
        assert!(!Packet::Message(Str::new()).is_binary());
        assert_eq!(Packet::Noop.packet_type(), PacketType::Noop);
    }
}
