//! Between the `socketio` crate's adapter shapes and this crate's wire shapes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use socketio::{BroadcastFlags, BroadcastOptions as SioOptions, Handshake as SioHandshake};
use socketio::{Room as SioRoom, SocketData};

use crate::room::Room;
use crate::wire::{BroadcastOptions, Flags, Handshake, RemoteSocket};

/// Rooms to encode, borrowed, without duplicates (Node sends sets, and the channel of a
/// broadcast depends on there being exactly one room).
pub(super) fn rooms_of(rooms: &[SioRoom]) -> Vec<Room<'_>> {
    let mut out: Vec<Room<'_>> = Vec::with_capacity(rooms.len());
    for room in rooms {
        let room = Room::Name(room);
        if !out.contains(&room) {
            out.push(room);
        }
    }
    out
}

/// The flags to publish: what a receiver acts on.
pub(super) fn flags_of(flags: &BroadcastFlags, timeout: Option<u64>) -> Flags {
    Flags {
        volatile: flags.volatile,
        compress: flags.compress,
        timeout,
        ..Flags::NONE
    }
}

/// Options heard from the bus, for the namespace: never `local` (that never leaves a node).
pub(super) fn options_from_wire(opts: BroadcastOptions) -> SioOptions {
    SioOptions {
        rooms: opts.rooms.into_iter().map(SioRoom::from).collect(),
        except: opts.except.into_iter().map(SioRoom::from).collect(),
        flags: BroadcastFlags {
            local: false,
            volatile: opts.flags.volatile,
            compress: opts.flags.compress,
            timeout: opts.flags.timeout,
        },
    }
}

/// A local socket as a fetchSockets reply describes it.
pub(super) fn remote_socket(socket: SocketData) -> RemoteSocket {
    let strings = |map: BTreeMap<String, String>| -> Map<String, Value> {
        map.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    };
    let h = socket.handshake;
    RemoteSocket {
        id: socket.id,
        handshake: Handshake {
            headers: strings(h.headers),
            time: h.time,
            address: h.address,
            xdomain: h.xdomain,
            secure: h.secure,
            issued: h.issued,
            url: h.url,
            query: strings(h.query),
            auth: match h.auth {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        },
        rooms: socket.rooms.iter().map(|r| r.to_string()).collect(),
        data: socket.data,
    }
}

/// A socket of another node, from its fetchSockets reply.
pub(super) fn socket_data(socket: RemoteSocket) -> SocketData {
    // Header and query values are strings, or arrays of them for repeated names.
    let strings = |map: Map<String, Value>| -> BTreeMap<String, String> {
        map.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()
    };
    let h = socket.handshake;
    SocketData {
        id: socket.id,
        handshake: SioHandshake {
            headers: strings(h.headers),
            time: h.time,
            address: h.address,
            xdomain: h.xdomain,
            secure: h.secure,
            issued: h.issued,
            url: h.url,
            query: strings(h.query),
            auth: Value::Object(h.auth),
        },
        rooms: socket.rooms.into_iter().map(SioRoom::from).collect(),
        data: socket.data,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn socket_data_survives_the_wire_shape() {
        let socket = SocketData {
            id: "abc".to_owned(),
            handshake: SioHandshake {
                headers: BTreeMap::from([("host".to_owned(), "h".to_owned())]),
                time: "Wed Dec 02 2026".to_owned(),
                address: "::1".to_owned(),
                xdomain: true,
                secure: false,
                issued: 7,
                url: "/socket.io/?EIO=4".to_owned(),
                query: BTreeMap::from([("EIO".to_owned(), "4".to_owned())]),
                auth: json!({"name": "x"}),
            },
            rooms: vec![SioRoom::from("abc"), SioRoom::from("r")],
            data: json!({"name": "x"}),
        };
        assert_eq!(socket_data(remote_socket(socket.clone())), socket);
    }

    #[test]
    fn rooms_are_deduplicated_and_local_never_heard() {
        let rooms = [SioRoom::from("a"), SioRoom::from("b"), SioRoom::from("a")];
        assert_eq!(rooms_of(&rooms), [Room::Name("a"), Room::Name("b")]);
        let opts = BroadcastOptions {
            rooms: vec!["123".to_owned()],
            except: vec![],
            flags: Flags {
                local: true,
                volatile: true,
                ..Flags::NONE
            },
        };
        let heard = options_from_wire(opts);
        assert!(!heard.flags.local);
        assert!(heard.flags.volatile);
        assert_eq!(heard.rooms, [SioRoom::from("123")]);
    }
}
