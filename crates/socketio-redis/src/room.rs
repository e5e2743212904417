//! Room names as they travel on the bus.

use std::fmt;

use serde::{Serialize, Serializer};

/// A room name to encode: a string, or an integer for a Node socket that joined a number.
///
/// Node matches rooms exactly (`socket.join(123)` and `socket.join("123")` are two rooms), and
/// a number travels as a MessagePack or JSON integer: to reach a Node socket that joined the
/// number `123`, name the room [`Room::Number`]`(123)`. Decoders always give rooms back as
/// strings, an integer as its decimal text, so a Rust node matches the integer `123` against
/// its room `"123"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Room<'a> {
    /// A room named by a string (socket ids are rooms too).
    Name(&'a str),
    /// A room named by an integer, as Node's `socket.join(123)`.
    Number(i64),
}

impl<'a> From<&'a str> for Room<'a> {
    fn from(name: &'a str) -> Self {
        Room::Name(name)
    }
}

impl<'a> From<&'a String> for Room<'a> {
    fn from(name: &'a String) -> Self {
        Room::Name(name)
    }
}

impl From<i64> for Room<'_> {
    fn from(number: i64) -> Self {
        Room::Number(number)
    }
}

/// The room as channel names spell it: the string, or the integer's decimal text (what Node's
/// string concatenation gives).
impl fmt::Display for Room<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Room::Name(name) => f.write_str(name),
            Room::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A JSON string or integer.
impl Serialize for Room<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Room::Name(name) => serializer.serialize_str(name),
            Room::Number(n) => serializer.serialize_i64(*n),
        }
    }
}
