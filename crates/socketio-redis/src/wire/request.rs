//! Requests, heard on `<prefix>-request#<nsp>#`.

use serde::Serialize;
use serde_json::Value;
use socketio_protocol::Payload;

use super::broadcast::{BroadcastPacket, PacketRef};
use super::error::WireError;
use super::options::{BroadcastOptions, Flags, Target};
use super::value::{parse_body, room_name, room_names, Fields};
use crate::error::EncodeError;
use crate::limits::DecodeLimits;
use crate::msgpack::{write_map_len, write_str, write_uint};
use crate::room::Room;

/// The `type` of a request or response (Node's `RequestType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RequestType {
    /// `0`: the ids of the sockets in some rooms (legacy `allSockets`, sent by adapter ≤ 7.x).
    Sockets = 0,
    /// `1`: every room of every node.
    AllRooms = 1,
    /// `2`: make sockets join rooms.
    RemoteJoin = 2,
    /// `3`: make sockets leave rooms.
    RemoteLeave = 3,
    /// `4`: disconnect sockets.
    RemoteDisconnect = 4,
    /// `5`: `fetchSockets()`.
    RemoteFetch = 5,
    /// `6`: `serverSideEmit()`, and its acknowledgements.
    ServerSideEmit = 6,
    /// `7`: a broadcast with acknowledgements (MessagePack).
    Broadcast = 7,
    /// `8`: how many clients a node sent an acked broadcast to (a response).
    BroadcastClientCount = 8,
    /// `9`: one client's acknowledgement of an acked broadcast (a MessagePack response).
    BroadcastAck = 9,
}

impl RequestType {
    /// The type for its wire code.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Sockets,
            1 => Self::AllRooms,
            2 => Self::RemoteJoin,
            3 => Self::RemoteLeave,
            4 => Self::RemoteDisconnect,
            5 => Self::RemoteFetch,
            6 => Self::ServerSideEmit,
            7 => Self::Broadcast,
            8 => Self::BroadcastClientCount,
            9 => Self::BroadcastAck,
            _ => return None,
        })
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// A request heard on the request channel. `uid` is the sender's (absent in the emitter's
/// join, leave and disconnect requests; Node never requires it).
///
/// Types 2, 3 and 4 come in two forms: the current one selects sockets by rooms (`opts`) and
/// expects no response; the legacy one (adapter ≤ 7.x) names one socket (`sid`) and expects
/// the [`ResponseRef::Done`](crate::ResponseRef::Done) reply from the node that has it. A
/// request with `opts` is the current form, as in Node.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Request {
    /// `0`: reply with the ids of the local sockets in any of `rooms` (all when empty).
    Sockets {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: String,
        /// The rooms.
        rooms: Vec<String>,
    },
    /// `1`: reply with every local room.
    AllRooms {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: String,
    },
    /// `2` (current form): the selected sockets join `rooms`. No reply.
    SocketsJoin {
        /// The requester (`None` from the emitter).
        uid: Option<String>,
        /// Which sockets.
        opts: BroadcastOptions,
        /// The rooms to join.
        rooms: Vec<String>,
    },
    /// `3` (current form): the selected sockets leave `rooms`. No reply.
    SocketsLeave {
        /// The requester (`None` from the emitter).
        uid: Option<String>,
        /// Which sockets.
        opts: BroadcastOptions,
        /// The rooms to leave.
        rooms: Vec<String>,
    },
    /// `4` (current form): disconnect the selected sockets (`close`: close the underlying
    /// connection too). No reply.
    DisconnectSockets {
        /// The requester (`None` from the emitter).
        uid: Option<String>,
        /// Which sockets.
        opts: BroadcastOptions,
        /// Whether to close the underlying connection.
        close: bool,
    },
    /// `2` (legacy form): if socket `sid` is local, it joins `room`; then reply.
    RemoteJoin {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: Option<String>,
        /// The socket.
        sid: String,
        /// The room.
        room: String,
    },
    /// `3` (legacy form): if socket `sid` is local, it leaves `room`; then reply.
    RemoteLeave {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: Option<String>,
        /// The socket.
        sid: String,
        /// The room.
        room: String,
    },
    /// `4` (legacy form): if socket `sid` is local, disconnect it; then reply.
    RemoteDisconnect {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: Option<String>,
        /// The socket.
        sid: String,
        /// Whether to close the underlying connection.
        close: bool,
    },
    /// `5`: reply with the selected local sockets ([`RemoteSocket`](crate::RemoteSocket)s).
    FetchSockets {
        /// The requester.
        uid: Option<String>,
        /// The id to reply with.
        request_id: String,
        /// Which sockets.
        opts: BroadcastOptions,
    },
    /// `6`: a server-side event `[event, ...args]`; with a `request_id`, answer once with the
    /// first argument the local handler acknowledges with. The data is JSON, so binary
    /// arrives as Node's `{"type":"Buffer","data":[…]}` (the payload has attachments only
    /// when a peer sent the request as MessagePack).
    ServerSideEmit {
        /// The sender ([`EMITTER_UID`](crate::EMITTER_UID) from the emitter).
        uid: Option<String>,
        /// Present when the sender waits for acknowledgements.
        request_id: Option<String>,
        /// `[event, ...args]`.
        data: Payload,
    },
    /// `7`: broadcast `packet` locally to the selected sockets, then answer with
    /// [`ResponseRef::BroadcastClientCount`](crate::ResponseRef::BroadcastClientCount) (even
    /// for zero sockets) and one [`ResponseRef::BroadcastAck`](crate::ResponseRef::BroadcastAck)
    /// per client acknowledgement.
    Broadcast {
        /// The requester.
        uid: Option<String>,
        /// The id to answer with.
        request_id: String,
        /// The packet.
        packet: BroadcastPacket,
        /// Which sockets, and the flags (`timeout`).
        opts: BroadcastOptions,
    },
}

impl Request {
    /// The request's type.
    pub fn request_type(&self) -> RequestType {
        match self {
            Request::Sockets { .. } => RequestType::Sockets,
            Request::AllRooms { .. } => RequestType::AllRooms,
            Request::SocketsJoin { .. } | Request::RemoteJoin { .. } => RequestType::RemoteJoin,
            Request::SocketsLeave { .. } | Request::RemoteLeave { .. } => RequestType::RemoteLeave,
            Request::DisconnectSockets { .. } | Request::RemoteDisconnect { .. } => {
                RequestType::RemoteDisconnect
            }
            Request::FetchSockets { .. } => RequestType::RemoteFetch,
            Request::ServerSideEmit { .. } => RequestType::ServerSideEmit,
            Request::Broadcast { .. } => RequestType::Broadcast,
        }
    }

    /// The sender's uid, when the request carries one.
    pub fn uid(&self) -> Option<&str> {
        match self {
            Request::Sockets { uid, .. }
            | Request::AllRooms { uid, .. }
            | Request::SocketsJoin { uid, .. }
            | Request::SocketsLeave { uid, .. }
            | Request::DisconnectSockets { uid, .. }
            | Request::RemoteJoin { uid, .. }
            | Request::RemoteLeave { uid, .. }
            | Request::RemoteDisconnect { uid, .. }
            | Request::FetchSockets { uid, .. }
            | Request::ServerSideEmit { uid, .. }
            | Request::Broadcast { uid, .. } => uid.as_deref(),
        }
    }

    /// The request id, when the request carries one (a reply is expected then).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Request::Sockets { request_id, .. }
            | Request::AllRooms { request_id, .. }
            | Request::FetchSockets { request_id, .. }
            | Request::Broadcast { request_id, .. } => Some(request_id),
            Request::RemoteJoin { request_id, .. }
            | Request::RemoteLeave { request_id, .. }
            | Request::RemoteDisconnect { request_id, .. }
            | Request::ServerSideEmit { request_id, .. } => request_id.as_deref(),
            Request::SocketsJoin { .. }
            | Request::SocketsLeave { .. }
            | Request::DisconnectSockets { .. } => None,
        }
    }
}

/// Decodes a request, within the default [`DecodeLimits`].
pub fn decode_request(input: &[u8]) -> Result<Request, WireError> {
    decode_request_with(input, &DecodeLimits::default())
}

/// Decodes a request: JSON when the first byte is `{`, else MessagePack (any type may come
/// either way, as in Node; Node sends BROADCAST in MessagePack, the rest in JSON). The message
/// must be a map with an integer `type` from 0 to 7 and that type's fields; unknown fields
/// are ignored, absent ≡ `nil`. Garbage, a wrong shape or another type is an error, which a
/// node ignores (no reply).
pub fn decode_request_with(input: &[u8], limits: &DecodeLimits) -> Result<Request, WireError> {
    let (value, attachments) = parse_body(input, limits)?;
    let mut f = Fields::new(value, "request")?;
    let code = f
        .opt_integer("type", "type")?
        .ok_or(WireError::MissingField("type"))?;
    let uid = f.opt_string("uid", "uid")?;
    let kind = RequestType::from_code(code).ok_or(WireError::UnknownType(code))?;
    Ok(match kind {
        RequestType::Sockets => Request::Sockets {
            uid,
            request_id: f.string("requestId", "requestId")?,
            rooms: f.rooms("rooms", "rooms")?,
        },
        RequestType::AllRooms => Request::AllRooms {
            uid,
            request_id: f.string("requestId", "requestId")?,
        },
        RequestType::RemoteJoin | RequestType::RemoteLeave | RequestType::RemoteDisconnect => {
            membership(kind, uid, f)?
        }
        RequestType::RemoteFetch => Request::FetchSockets {
            uid,
            request_id: f.string("requestId", "requestId")?,
            opts: BroadcastOptions::from_value(f.required("opts", "opts")?, "opts")?,
        },
        RequestType::ServerSideEmit => {
            let data = match f.required("data", "data")? {
                data @ Value::Array(_) => data,
                _ => {
                    return Err(WireError::WrongType {
                        field: "data",
                        expected: "an array",
                    })
                }
            };
            Request::ServerSideEmit {
                uid,
                request_id: f.opt_string("requestId", "requestId")?,
                data: Payload::with_attachments(data, attachments),
            }
        }
        RequestType::Broadcast => Request::Broadcast {
            uid,
            request_id: f.string("requestId", "requestId")?,
            packet: BroadcastPacket::from_value(f.required("packet", "packet")?, attachments)?,
            opts: BroadcastOptions::from_value(f.required("opts", "opts")?, "opts")?,
        },
        RequestType::BroadcastClientCount | RequestType::BroadcastAck => {
            return Err(WireError::UnknownType(code))
        }
    })
}

/// Types 2, 3, 4 in either form.
fn membership(kind: RequestType, uid: Option<String>, mut f: Fields) -> Result<Request, WireError> {
    if let Some(opts) = f.take("opts") {
        let opts = BroadcastOptions::from_value(opts, "opts")?;
        if kind == RequestType::RemoteDisconnect {
            return Ok(Request::DisconnectSockets {
                uid,
                opts,
                close: f.truthy("close"),
            });
        }
        // Node's `socket.join(rooms)` takes one room or an array of them.
        let rooms = match f.required("rooms", "rooms")? {
            rooms @ Value::Array(_) => room_names(rooms, "rooms")?,
            room => vec![room_name(room, "rooms")?],
        };
        return Ok(if kind == RequestType::RemoteJoin {
            Request::SocketsJoin { uid, opts, rooms }
        } else {
            Request::SocketsLeave { uid, opts, rooms }
        });
    }
    let request_id = f.opt_string("requestId", "requestId")?;
    let sid = f.string("sid", "sid")?;
    if kind == RequestType::RemoteDisconnect {
        return Ok(Request::RemoteDisconnect {
            uid,
            request_id,
            sid,
            close: f.truthy("close"),
        });
    }
    let room = room_name(f.required("room", "room")?, "room")?;
    Ok(if kind == RequestType::RemoteJoin {
        Request::RemoteJoin {
            uid,
            request_id,
            sid,
            room,
        }
    } else {
        Request::RemoteLeave {
            uid,
            request_id,
            sid,
            room,
        }
    })
}

/// A request to encode, borrowing its parts. [`encode`](Self::encode) writes it as Node does:
/// JSON with Node's key order, but [`Broadcast`](Self::Broadcast) in MessagePack. Publish it
/// to [`Channels::request`](crate::Channels::request).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RequestRef<'a> {
    /// `0`: `{uid, requestId, type, rooms}`.
    Sockets {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
        /// The rooms (all sockets when empty).
        rooms: &'a [Room<'a>],
    },
    /// `1`: `{uid, requestId, type}`.
    AllRooms {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
    },
    /// `2`: `{uid, type, opts:{rooms, except}, rooms}` (no `uid` when `None`, as the emitter).
    SocketsJoin {
        /// This node, or `None` as the emitter.
        uid: Option<&'a str>,
        /// Which sockets.
        target: Target<'a>,
        /// The rooms to join.
        rooms: &'a [Room<'a>],
    },
    /// `3`: as [`SocketsJoin`](Self::SocketsJoin).
    SocketsLeave {
        /// This node, or `None` as the emitter.
        uid: Option<&'a str>,
        /// Which sockets.
        target: Target<'a>,
        /// The rooms to leave.
        rooms: &'a [Room<'a>],
    },
    /// `4`: `{uid, type, opts:{rooms, except}, close}`.
    DisconnectSockets {
        /// This node, or `None` as the emitter.
        uid: Option<&'a str>,
        /// Which sockets.
        target: Target<'a>,
        /// Whether to close the underlying connections too.
        close: bool,
    },
    /// `2` (legacy, for adapter ≤ 7.x peers): `{uid, requestId, type, sid, room}`.
    RemoteJoin {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
        /// The socket.
        sid: &'a str,
        /// The room.
        room: Room<'a>,
    },
    /// `3` (legacy): `{uid, requestId, type, sid, room}`.
    RemoteLeave {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
        /// The socket.
        sid: &'a str,
        /// The room.
        room: Room<'a>,
    },
    /// `4` (legacy): `{uid, requestId, type, sid, close}`.
    RemoteDisconnect {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
        /// The socket.
        sid: &'a str,
        /// Whether to close the underlying connection too.
        close: bool,
    },
    /// `5`: `{uid, requestId, type, opts:{rooms, except}}`.
    FetchSockets {
        /// This node.
        uid: &'a str,
        /// A fresh request id.
        request_id: &'a str,
        /// Which sockets.
        target: Target<'a>,
    },
    /// `6`: `{uid, requestId?, type, data}`. `data` is the JSON array `[event, ...args]`;
    /// binary has no JSON form, see [`buffers_to_json`](crate::buffers_to_json).
    ServerSideEmit {
        /// This node.
        uid: &'a str,
        /// A fresh request id when acknowledgements are wanted.
        request_id: Option<&'a str>,
        /// `[event, ...args]`.
        data: &'a Value,
    },
    /// `7`, in MessagePack: `{uid, requestId, type, packet, opts:{rooms, except, flags}}`.
    /// Set `flags.timeout`: receivers need it.
    Broadcast {
        /// This node.
        uid: &'a str,
        /// A fresh request id, for the responses.
        request_id: &'a str,
        /// The packet.
        packet: PacketRef<'a>,
        /// Which sockets.
        target: Target<'a>,
        /// The flags.
        flags: &'a Flags,
    },
}

/// The JSON requests, fields in Node's order; absent ones are left out.
#[derive(Serialize)]
struct JsonRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    opts: Option<Target<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rooms: Option<&'a [Room<'a>]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<Room<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    close: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
}

impl<'a> JsonRequest<'a> {
    fn new(kind: RequestType, uid: Option<&'a str>, request_id: Option<&'a str>) -> Self {
        Self {
            uid,
            request_id,
            kind: kind.code(),
            opts: None,
            rooms: None,
            sid: None,
            room: None,
            close: None,
            data: None,
        }
    }
}

impl RequestRef<'_> {
    /// The request's type.
    pub fn request_type(&self) -> RequestType {
        match self {
            RequestRef::Sockets { .. } => RequestType::Sockets,
            RequestRef::AllRooms { .. } => RequestType::AllRooms,
            RequestRef::SocketsJoin { .. } | RequestRef::RemoteJoin { .. } => {
                RequestType::RemoteJoin
            }
            RequestRef::SocketsLeave { .. } | RequestRef::RemoteLeave { .. } => {
                RequestType::RemoteLeave
            }
            RequestRef::DisconnectSockets { .. } | RequestRef::RemoteDisconnect { .. } => {
                RequestType::RemoteDisconnect
            }
            RequestRef::FetchSockets { .. } => RequestType::RemoteFetch,
            RequestRef::ServerSideEmit { .. } => RequestType::ServerSideEmit,
            RequestRef::Broadcast { .. } => RequestType::Broadcast,
        }
    }

    /// Appends the request to `out`, as Node writes it.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let kind = self.request_type();
        let json = match *self {
            RequestRef::Broadcast {
                uid,
                request_id,
                packet,
                target,
                flags,
            } => {
                write_map_len(out, 5)?;
                write_str(out, "uid")?;
                write_str(out, uid)?;
                write_str(out, "requestId")?;
                write_str(out, request_id)?;
                write_str(out, "type")?;
                write_uint(out, u64::from(kind.code()));
                write_str(out, "packet")?;
                packet.write(out)?;
                write_str(out, "opts")?;
                return target.write_with_flags(out, flags);
            }
            RequestRef::Sockets {
                uid,
                request_id,
                rooms,
            } => JsonRequest {
                rooms: Some(rooms),
                ..JsonRequest::new(kind, Some(uid), Some(request_id))
            },
            RequestRef::AllRooms { uid, request_id } => {
                JsonRequest::new(kind, Some(uid), Some(request_id))
            }
            RequestRef::SocketsJoin { uid, target, rooms }
            | RequestRef::SocketsLeave { uid, target, rooms } => JsonRequest {
                opts: Some(target),
                rooms: Some(rooms),
                ..JsonRequest::new(kind, uid, None)
            },
            RequestRef::DisconnectSockets { uid, target, close } => JsonRequest {
                opts: Some(target),
                close: Some(close),
                ..JsonRequest::new(kind, uid, None)
            },
            RequestRef::RemoteJoin {
                uid,
                request_id,
                sid,
                room,
            }
            | RequestRef::RemoteLeave {
                uid,
                request_id,
                sid,
                room,
            } => JsonRequest {
                sid: Some(sid),
                room: Some(room),
                ..JsonRequest::new(kind, Some(uid), Some(request_id))
            },
            RequestRef::RemoteDisconnect {
                uid,
                request_id,
                sid,
                close,
            } => JsonRequest {
                sid: Some(sid),
                close: Some(close),
                ..JsonRequest::new(kind, Some(uid), Some(request_id))
            },
            RequestRef::FetchSockets {
                uid,
                request_id,
                target,
            } => JsonRequest {
                opts: Some(target),
                ..JsonRequest::new(kind, Some(uid), Some(request_id))
            },
            RequestRef::ServerSideEmit {
                uid,
                request_id,
                data,
            } => JsonRequest {
                data: Some(data),
                ..JsonRequest::new(kind, Some(uid), request_id)
            },
        };
        serde_json::to_writer(out, &json).map_err(EncodeError::Json)
    }
}
