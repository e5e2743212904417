//! Broadcast options: which sockets a message is for, and its flags.

use serde::Serialize;
use serde_json::Value;

use super::error::WireError;
use super::value::{truthy, whole, Fields};
use crate::error::EncodeError;
use crate::msgpack::{
    write_array_len, write_bool, write_int, write_map_len, write_str, write_uint,
};
use crate::room::Room;

/// The flags of a broadcast, `opts.flags` on the wire. Unknown keys are ignored when
/// decoding, and every flag is read with JavaScript truthiness, as Node reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// `volatile`: drop the packet for sockets whose transport is not writable.
    pub volatile: bool,
    /// `compress`: passed to the WebSocket frame; `None` when not set (Node then compresses).
    pub compress: Option<bool>,
    /// `local`: this node only. Node never publishes such a broadcast.
    pub local: bool,
    /// `broadcast`: set by some Node versions on `socket.broadcast`.
    pub broadcast: bool,
    /// `binary`: socket.io 2.x's hint whether the packet holds binary.
    pub binary: Option<bool>,
    /// `timeout`: milliseconds to wait for acknowledgements (set on broadcasts with acks).
    /// Fractions are dropped and negatives read as 0; a non-number reads as `None`.
    pub timeout: Option<u64>,
    /// `expectSingleResponse`: the ack callback gets the first response, not a list.
    pub expect_single_response: bool,
}

impl Flags {
    /// No flag set (`{}` on the wire).
    pub const NONE: Flags = Flags {
        volatile: false,
        compress: None,
        local: false,
        broadcast: false,
        binary: None,
        timeout: None,
        expect_single_response: false,
    };

    /// Reads `opts.flags`: a map; anything else (absent, `nil`, a scalar) means no flag, as
    /// reading properties of it does in JavaScript.
    pub(crate) fn from_value(value: Option<Value>) -> Flags {
        let mut flags = Flags::NONE;
        let Some(Value::Object(map)) = value else {
            return flags;
        };
        for (key, value) in map {
            let set = |v: &Value| (!v.is_null()).then(|| truthy(v));
            match key.as_str() {
                "volatile" => flags.volatile = truthy(&value),
                "compress" => flags.compress = set(&value),
                "local" => flags.local = truthy(&value),
                "broadcast" => flags.broadcast = truthy(&value),
                "binary" => flags.binary = set(&value),
                "timeout" => flags.timeout = whole(&value),
                "expectSingleResponse" => flags.expect_single_response = truthy(&value),
                _ => {}
            }
        }
        flags
    }

    /// Appends the flags as a MessagePack map holding the set ones, in the order of this
    /// struct's fields.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let count = usize::from(self.volatile)
            + usize::from(self.compress.is_some())
            + usize::from(self.local)
            + usize::from(self.broadcast)
            + usize::from(self.binary.is_some())
            + usize::from(self.timeout.is_some())
            + usize::from(self.expect_single_response);
        write_map_len(out, count)?;
        let flag = |out: &mut Vec<u8>, key: &str, value: Option<bool>| {
            if let Some(value) = value {
                write_str(out, key)?;
                write_bool(out, value);
            }
            Ok::<(), EncodeError>(())
        };
        flag(out, "volatile", self.volatile.then_some(true))?;
        flag(out, "compress", self.compress)?;
        flag(out, "local", self.local.then_some(true))?;
        flag(out, "broadcast", self.broadcast.then_some(true))?;
        flag(out, "binary", self.binary)?;
        if let Some(timeout) = self.timeout {
            write_str(out, "timeout")?;
            write_uint(out, timeout);
        }
        flag(
            out,
            "expectSingleResponse",
            self.expect_single_response.then_some(true),
        )
    }
}

/// Which sockets a received message is for, and how (`opts` on the wire): the members of any
/// of `rooms` (every socket of the namespace when empty), minus the members of any of
/// `except`. Rooms are strings, an integer room as its decimal text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// The rooms to reach; empty for every socket.
    pub rooms: Vec<String>,
    /// The rooms to skip (a socket id is a room).
    pub except: Vec<String>,
    /// The flags; none for the JSON requests, which carry only rooms.
    pub flags: Flags,
}

impl BroadcastOptions {
    /// Reads `opts`, which must be a map; absent `rooms`/`except` are empty, as Node's
    /// `new Set(undefined)`.
    pub(crate) fn from_value(value: Value, field: &'static str) -> Result<Self, WireError> {
        let mut fields = Fields::new(value, field)?;
        Ok(Self {
            rooms: fields.rooms("rooms", "opts.rooms")?,
            except: fields.rooms("except", "opts.except")?,
            flags: Flags::from_value(fields.take("flags")),
        })
    }
}

/// Which sockets a message to encode is for: the members of any of `rooms` (every socket of
/// the namespace when empty), minus the members of any of `except`. Pass rooms without
/// duplicates (Node sends sets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Target<'a> {
    /// The rooms to reach; empty for every socket.
    pub rooms: &'a [Room<'a>],
    /// The rooms to skip.
    pub except: &'a [Room<'a>],
}

impl<'a> Target<'a> {
    /// Every socket of the namespace.
    pub const ALL: Target<'static> = Target {
        rooms: &[],
        except: &[],
    };

    /// The members of `rooms` but those of `except`.
    pub fn new(rooms: &'a [Room<'a>], except: &'a [Room<'a>]) -> Self {
        Self { rooms, except }
    }

    /// Appends `{rooms, flags, except}` as MessagePack, in the order
    /// `@socket.io/redis-emitter` 5.x writes it (the adapter writes `except` before `flags`).
    pub(crate) fn write_emitter_order(
        &self,
        out: &mut Vec<u8>,
        flags: &Flags,
    ) -> Result<(), EncodeError> {
        write_map_len(out, 3)?;
        write_str(out, "rooms")?;
        write_rooms(out, self.rooms)?;
        write_str(out, "flags")?;
        flags.write(out)?;
        write_str(out, "except")?;
        write_rooms(out, self.except)
    }

    /// Appends `{rooms, except, flags}` as MessagePack, in Node's order.
    pub(crate) fn write_with_flags(
        &self,
        out: &mut Vec<u8>,
        flags: &Flags,
    ) -> Result<(), EncodeError> {
        write_map_len(out, 3)?;
        write_str(out, "rooms")?;
        write_rooms(out, self.rooms)?;
        write_str(out, "except")?;
        write_rooms(out, self.except)?;
        write_str(out, "flags")?;
        flags.write(out)
    }
}

/// Appends one room: a string, or an integer.
pub(crate) fn write_room(out: &mut Vec<u8>, room: Room<'_>) -> Result<(), EncodeError> {
    match room {
        Room::Name(name) => write_str(out, name),
        Room::Number(n) => {
            write_int(out, n);
            Ok(())
        }
    }
}

/// Appends an array of rooms.
pub(crate) fn write_rooms(out: &mut Vec<u8>, rooms: &[Room<'_>]) -> Result<(), EncodeError> {
    write_array_len(out, rooms.len())?;
    rooms.iter().try_for_each(|room| write_room(out, *room))
}
