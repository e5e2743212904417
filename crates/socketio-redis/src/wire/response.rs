//! Responses, heard on `<prefix>-response#<nsp>#` (and the node's specific response channel).

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};
use socketio_protocol::Payload;

use super::error::WireError;
use super::request::RequestType;
use super::value::{parse_body, room_name, whole, Fields};
use crate::error::EncodeError;
use crate::limits::DecodeLimits;
use crate::msgpack::{write_map_len, write_str, write_uint};
use crate::payload::write_json_value;
use crate::room::Room;

/// A socket as `fetchSockets()` describes it across nodes (Node's `RemoteSocket` data):
/// serialized with Node's keys, in Node's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteSocket {
    /// The socket id.
    pub id: String,
    /// The handshake (Node leaves out its `sessionStore`).
    pub handshake: Handshake,
    /// The rooms the socket is in, its own id included (integer rooms as decimal text).
    pub rooms: Vec<String>,
    /// `socket.data`, any JSON (`{}` unless set).
    pub data: Value,
}

/// The handshake of a [`RemoteSocket`], Node's `socket.handshake` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Handshake {
    /// The request headers, lower-case names; values are strings (arrays for repeated
    /// headers such as `set-cookie`).
    pub headers: Map<String, Value>,
    /// When the connection was made, as JavaScript's `Date#toString`
    /// (`Wed Dec 02 2026 00:37:21 GMT+0000 (Coordinated Universal Time)`).
    pub time: String,
    /// The peer's address.
    pub address: String,
    /// Whether the request came from another origin.
    pub xdomain: bool,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// When the connection was made, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query).
    pub url: String,
    /// The query parameters (strings, arrays for repeated ones).
    pub query: Map<String, Value>,
    /// The auth object of the CONNECT packet (`{}` when none).
    pub auth: Map<String, Value>,
}

impl Handshake {
    /// Reads a handshake, leniently: absent fields take their defaults, present ones must
    /// have their type.
    fn from_value(value: Value) -> Result<Self, WireError> {
        let mut f = Fields::new(value, "sockets.handshake")?;
        Ok(Self {
            headers: f.object("headers", "sockets.handshake.headers")?,
            time: f
                .opt_string("time", "sockets.handshake.time")?
                .unwrap_or_default(),
            address: f
                .opt_string("address", "sockets.handshake.address")?
                .unwrap_or_default(),
            xdomain: f.truthy("xdomain"),
            secure: f.truthy("secure"),
            issued: match f.take("issued") {
                None => 0,
                Some(issued) => whole(&issued).ok_or(WireError::WrongType {
                    field: "sockets.handshake.issued",
                    expected: "a number",
                })?,
            },
            url: f
                .opt_string("url", "sockets.handshake.url")?
                .unwrap_or_default(),
            query: f.object("query", "sockets.handshake.query")?,
            auth: f.object("auth", "sockets.handshake.auth")?,
        })
    }
}

impl RemoteSocket {
    /// Reads one element of a REMOTE_FETCH reply: `id` required, `handshake` and `rooms` as
    /// described, `data` anything (`null` when absent).
    fn from_value(value: Value) -> Result<Self, WireError> {
        let mut f = Fields::new(value, "sockets")?;
        Ok(Self {
            id: f.string("id", "sockets.id")?,
            handshake: match f.take("handshake") {
                None => Handshake::default(),
                Some(handshake) => Handshake::from_value(handshake)?,
            },
            rooms: f.rooms("rooms", "sockets.rooms")?,
            data: f.take("data").unwrap_or(Value::Null),
        })
    }
}

/// A response without `type`: the reply to SOCKETS, ALL_ROOMS, REMOTE_FETCH or a legacy
/// REMOTE_JOIN/LEAVE/DISCONNECT. Which one it is only the pending request with this id
/// tells; read it with the matching method. As in Node, a reply whose `sockets` or `rooms`
/// is not an array still counts as an answer, with nothing in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The request this answers.
    pub request_id: String,
    /// `sockets`, when an array: socket ids (SOCKETS) or socket descriptions (REMOTE_FETCH).
    pub sockets: Option<Vec<Value>>,
    /// `rooms`, when an array (ALL_ROOMS).
    pub rooms: Option<Vec<Value>>,
}

impl Reply {
    /// The socket ids of a SOCKETS reply (none when it has no `sockets` array).
    pub fn socket_ids(&self) -> Result<Vec<String>, WireError> {
        let Some(sockets) = &self.sockets else {
            return Ok(Vec::new());
        };
        sockets
            .iter()
            .map(|sid| match sid {
                Value::String(sid) => Ok(sid.clone()),
                _ => Err(WireError::WrongType {
                    field: "sockets",
                    expected: "an array of strings",
                }),
            })
            .collect()
    }

    /// The rooms of an ALL_ROOMS reply, integer rooms as decimal text (none when it has no
    /// `rooms` array).
    pub fn room_names(&self) -> Result<Vec<String>, WireError> {
        let Some(rooms) = &self.rooms else {
            return Ok(Vec::new());
        };
        rooms
            .iter()
            .map(|room| room_name(room.clone(), "rooms"))
            .collect()
    }

    /// The sockets of a REMOTE_FETCH reply (none when it has no `sockets` array).
    pub fn into_remote_sockets(self) -> Result<Vec<RemoteSocket>, WireError> {
        self.sockets
            .unwrap_or_default()
            .into_iter()
            .map(RemoteSocket::from_value)
            .collect()
    }
}

/// A response heard on a response channel. Node matches responses to its requests by
/// `request_id` alone and drops those it has no request for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Response {
    /// No `type`: see [`Reply`].
    Reply(Reply),
    /// `6`: one node's acknowledgement of a SERVER_SIDE_EMIT (the first argument its handler
    /// acknowledged with; `None` when absent or `null`: an `undefined` one is left out by
    /// `JSON.stringify`).
    ServerSideEmit {
        /// The request this answers.
        request_id: String,
        /// The acknowledgement.
        data: Option<Value>,
    },
    /// `8`: how many clients one node sent an acked broadcast to (zero included).
    BroadcastClientCount {
        /// The BROADCAST request this answers.
        request_id: String,
        /// How many acknowledgements to expect from that node.
        client_count: u64,
    },
    /// `9` (MessagePack): one client's acknowledgement of an acked broadcast: its first
    /// argument as `data`, binary as attachments (`null` when it acknowledged with none).
    BroadcastAck {
        /// The BROADCAST request this answers.
        request_id: String,
        /// The acknowledgement.
        packet: Payload,
    },
}

impl Response {
    /// The request this answers.
    pub fn request_id(&self) -> &str {
        match self {
            Response::Reply(reply) => &reply.request_id,
            Response::ServerSideEmit { request_id, .. }
            | Response::BroadcastClientCount { request_id, .. }
            | Response::BroadcastAck { request_id, .. } => request_id,
        }
    }
}

/// Decodes a response, within the default [`DecodeLimits`].
pub fn decode_response(input: &[u8]) -> Result<Response, WireError> {
    decode_response_with(input, &DecodeLimits::default())
}

/// Decodes a response: JSON when the first byte is `{`, else MessagePack. It must be a map
/// with a string `requestId` and, when it has a `type`, one of 6, 8, 9 with that type's
/// fields. Anything else is an error, which a node ignores.
pub fn decode_response_with(input: &[u8], limits: &DecodeLimits) -> Result<Response, WireError> {
    let (value, attachments) = parse_body(input, limits)?;
    let mut f = Fields::new(value, "response")?;
    let request_id = f.string("requestId", "requestId")?;
    let Some(code) = f.opt_integer("type", "type")? else {
        let mut array = |key: &str| match f.take(key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        };
        return Ok(Response::Reply(Reply {
            request_id,
            sockets: array("sockets"),
            rooms: array("rooms"),
        }));
    };
    match RequestType::from_code(code) {
        Some(RequestType::ServerSideEmit) => Ok(Response::ServerSideEmit {
            request_id,
            data: f.take("data"),
        }),
        Some(RequestType::BroadcastClientCount) => {
            let count = f.required("clientCount", "clientCount")?;
            Ok(Response::BroadcastClientCount {
                request_id,
                client_count: whole(&count).ok_or(WireError::WrongType {
                    field: "clientCount",
                    expected: "a number",
                })?,
            })
        }
        Some(RequestType::BroadcastAck) => Ok(Response::BroadcastAck {
            request_id,
            packet: Payload::with_attachments(f.take("packet").unwrap_or(Value::Null), attachments),
        }),
        _ => Err(WireError::UnknownType(code)),
    }
}

/// A response to encode, borrowing its parts. [`encode`](Self::encode) writes it as Node
/// does: JSON with Node's key order, but [`BroadcastAck`](Self::BroadcastAck) in MessagePack.
/// Publish it to [`Channels::response`](crate::Channels::response) (or, to match a Node node
/// set up with `publishOnSpecificResponseChannel`, to the requester's
/// [`Channels::specific_response`](crate::Channels::specific_response)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ResponseRef<'a> {
    /// To SOCKETS: `{requestId, sockets:[sid…]}`.
    Sockets {
        /// The request's id.
        request_id: &'a str,
        /// The local matching socket ids.
        sockets: &'a [&'a str],
    },
    /// To ALL_ROOMS: `{requestId, rooms:[…]}`.
    AllRooms {
        /// The request's id.
        request_id: &'a str,
        /// The local rooms.
        rooms: &'a [Room<'a>],
    },
    /// To a legacy REMOTE_JOIN/LEAVE/DISCONNECT: `{requestId}`.
    Done {
        /// The request's id.
        request_id: &'a str,
    },
    /// To REMOTE_FETCH: `{requestId, sockets:[{id, handshake, rooms, data}…]}`.
    FetchSockets {
        /// The request's id.
        request_id: &'a str,
        /// The local matching sockets.
        sockets: &'a [RemoteSocket],
    },
    /// To SERVER_SIDE_EMIT with a request id: `{type:6, requestId, data}` (`data` left out
    /// when `None`, as `JSON.stringify` leaves out `undefined`).
    ServerSideEmit {
        /// The request's id.
        request_id: &'a str,
        /// The first argument the local handler acknowledged with.
        data: Option<&'a Value>,
    },
    /// To BROADCAST: `{type:8, requestId, clientCount}`, sent once, zero included.
    BroadcastClientCount {
        /// The request's id.
        request_id: &'a str,
        /// How many local clients the packet went to.
        client_count: u64,
    },
    /// To BROADCAST, once per client acknowledgement, in MessagePack:
    /// `{type:9, requestId, packet}`, `packet` being the client's first ack argument with
    /// its binary inline.
    BroadcastAck {
        /// The request's id.
        request_id: &'a str,
        /// The client's first ack argument, placeholders naming `attachments`.
        value: &'a Value,
        /// The binary the placeholders name.
        attachments: &'a [Bytes],
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonSockets<'a> {
    Ids(&'a [&'a str]),
    Full(&'a [RemoteSocket]),
}

/// The JSON responses, fields in Node's order; absent ones are left out.
#[derive(Serialize)]
struct JsonResponse<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<u8>,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sockets: Option<JsonSockets<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rooms: Option<&'a [Room<'a>]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(rename = "clientCount", skip_serializing_if = "Option::is_none")]
    client_count: Option<u64>,
}

impl<'a> JsonResponse<'a> {
    fn new(request_id: &'a str) -> Self {
        Self {
            kind: None,
            request_id,
            sockets: None,
            rooms: None,
            data: None,
            client_count: None,
        }
    }
}

impl ResponseRef<'_> {
    /// Appends the response to `out`, as Node writes it.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let json = match *self {
            ResponseRef::BroadcastAck {
                request_id,
                value,
                attachments,
            } => {
                write_map_len(out, 3)?;
                write_str(out, "type")?;
                write_uint(out, u64::from(RequestType::BroadcastAck.code()));
                write_str(out, "requestId")?;
                write_str(out, request_id)?;
                write_str(out, "packet")?;
                return write_json_value(out, value, attachments);
            }
            ResponseRef::Sockets {
                request_id,
                sockets,
            } => JsonResponse {
                sockets: Some(JsonSockets::Ids(sockets)),
                ..JsonResponse::new(request_id)
            },
            ResponseRef::AllRooms { request_id, rooms } => JsonResponse {
                rooms: Some(rooms),
                ..JsonResponse::new(request_id)
            },
            ResponseRef::Done { request_id } => JsonResponse::new(request_id),
            ResponseRef::FetchSockets {
                request_id,
                sockets,
            } => JsonResponse {
                sockets: Some(JsonSockets::Full(sockets)),
                ..JsonResponse::new(request_id)
            },
            ResponseRef::ServerSideEmit { request_id, data } => JsonResponse {
                kind: Some(RequestType::ServerSideEmit.code()),
                data,
                ..JsonResponse::new(request_id)
            },
            ResponseRef::BroadcastClientCount {
                request_id,
                client_count,
            } => JsonResponse {
                kind: Some(RequestType::BroadcastClientCount.code()),
                client_count: Some(client_count),
                ..JsonResponse::new(request_id)
            },
        };
        serde_json::to_writer(out, &json).map_err(EncodeError::Json)
    }
}
