//! Messages as Node writes them. Every fixture was captured once from the real packages
//! (socket.io 4.8.4, @socket.io/redis-adapter 8.3.0, @socket.io/redis-emitter 5.1.0,
//! notepack.io 3.0.1, Node 20) with fake Redis clients that print what is published:
//! `crates/socketio-redis/fixtures/adapter.js`. Each `// JS:` comment is the call that
//! published the bytes. The adapter's uid in that run was `Ze_TKM` (uid2 1.0.0 draws from
//! `[A-Za-z0-9_-]`) and its socket `5bxkMAFW0yjzKGElAAAA`.

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{json, Value};
use socketio_protocol::{placeholder, PacketType, Payload};

use super::*;
use crate::room::Room;
use crate::testutil::h;

const UID: &str = "Ze_TKM";

fn ph(n: usize) -> Value {
    placeholder(n)
}

fn broadcast(bytes: &[u8]) -> Broadcast {
    decode_broadcast(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn request(bytes: &[u8]) -> Request {
    decode_request(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn response(bytes: &[u8]) -> Response {
    decode_response(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn encoded_broadcast(
    uid: &str,
    packet: &PacketRef<'_>,
    target: Target<'_>,
    flags: &Flags,
) -> Vec<u8> {
    let mut out = Vec::new();
    encode_broadcast(&mut out, uid, packet, target, flags)
        .unwrap_or_else(|e| panic!("encode failed: {e}"));
    out
}

fn encoded_request(request: &RequestRef<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    request
        .encode(&mut out)
        .unwrap_or_else(|e| panic!("encode failed: {e}"));
    out
}

fn encoded_response(response: &ResponseRef<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    response
        .encode(&mut out)
        .unwrap_or_else(|e| panic!("encode failed: {e}"));
    out
}

// JS (adapter): io.emit('plain', 1.5, NaN, null)  → socket.io#/#
const ADAPTER_PLAIN: &str = "93a65a655f544b4d83a47479706502a46461746194a5706c61696ecb3ff8000000000000cb7ff8000000000000c0a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380";
// JS (adapter): io.to('room1').emit('bin', Buffer.from([1, 2]), [new Uint8Array([3]).buffer])  → socket.io#/#room1#
const ADAPTER_BIN: &str = "93a65a655f544b4d83a47479706502a46461746193a362696ec402010291c40103a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380";
// JS (adapter): io.to('r1').to('r2').except('r3').emit('rooms')  → socket.io#/#
const ADAPTER_ROOMS: &str = "93a65a655f544b4d83a47479706502a46461746191a5726f6f6d73a36e7370a12f83a5726f6f6d7392a27231a27232a665786365707491a27233a5666c61677380";
// JS (adapter): io.compress(false).volatile.emit('flags')  → socket.io#/#
const ADAPTER_FLAGS: &str = "93a65a655f544b4d83a47479706502a46461746191a5666c616773a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677382a8636f6d7072657373c2a8766f6c6174696c65c3";
// JS (adapter): io.to(123).emit('numeric')  → socket.io#/#123#
const ADAPTER_NUMERIC: &str = "93a65a655f544b4d83a47479706502a46461746191a76e756d65726963a36e7370a12f83a5726f6f6d73917ba665786365707490a5666c61677380";
// JS (adapter): io.timeout(1000).emit('withack', 'x', () => {})  → socket.io-request#/#
const ADAPTER_BROADCAST_ACK_REQUEST: &str = "85a3756964a65a655f544b4da9726571756573744964a64f496c434c5fa47479706507a67061636b657483a47479706502a46461746192a77769746861636ba178a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a5666c61677381a774696d656f7574cd03e8";
// JS (adapter): the answer to a BROADCAST with requestId 'req008' from a client acking
// (Buffer.from([7, 7]), 'second')  → socket.io-response#/#
const ADAPTER_BROADCAST_ACK: &str =
    "83a47479706509a9726571756573744964a6726571303038a67061636b6574c4020707";

// JS (emitter): emitter.emit('hello', 1, 'two', Buffer.from([1, 2, 3]))  → socket.io#/#
const EMITTER_HELLO: &str = "93a7656d697474657283a47479706502a46461746194a568656c6c6f01a374776fc403010203a36e7370a12f83a5726f6f6d7390a5666c61677380a665786365707490";
// JS (emitter): emitter.to('room1').emit('ev', { a: Buffer.from([0xaa]) })  → socket.io#/#room1#
const EMITTER_ROOM: &str = "93a7656d697474657283a47479706502a46461746192a2657681a161c401aaa36e7370a12f83a5726f6f6d7391a5726f6f6d31a5666c61677380a665786365707490";
// JS (emitter): emitter.to('r1').to('r2').except('r3').volatile.compress(false).emit('multi')  → socket.io#/#
const EMITTER_MULTI: &str = "93a7656d697474657283a47479706502a46461746191a56d756c7469a36e7370a12f83a5726f6f6d7392a27231a27232a5666c61677382a8766f6c6174696c65c3a8636f6d7072657373c2a665786365707491a27233";
// JS (emitter): emitter.of('admin').emit('adm', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))  → socket.io#/admin#
const EMITTER_ADMIN_DATE: &str = "93a7656d697474657283a47479706502a46461746192a361646dd7ffa1a5d60065937d25a36e7370a62f61646d696e83a5726f6f6d7390a5666c61677380a665786365707490";
// JS (emitter): emitter.to(123).emit('num')  → socket.io#/#123#
const EMITTER_NUMERIC: &str = "93a7656d697474657283a47479706502a46461746191a36e756da36e7370a12f83a5726f6f6d73917ba5666c61677380a665786365707490";

const MSGPACK_FIXTURES: &[&str] = &[
    ADAPTER_PLAIN,
    ADAPTER_BIN,
    ADAPTER_ROOMS,
    ADAPTER_FLAGS,
    ADAPTER_NUMERIC,
    EMITTER_HELLO,
    EMITTER_ROOM,
    EMITTER_MULTI,
    EMITTER_ADMIN_DATE,
    EMITTER_NUMERIC,
];

// ---------------------------------------------------------------------------------------------
// Broadcasts

#[test]
fn adapter_broadcasts_decode() {
    let plain = broadcast(&h(ADAPTER_PLAIN));
    assert_eq!(plain.uid, UID);
    assert_eq!(plain.packet.packet_type, PacketType::Event);
    assert_eq!(plain.packet.nsp, "/");
    assert_eq!(plain.packet.id, None);
    // NaN reaches clients as null, as JSON.stringify writes it.
    assert_eq!(
        plain.packet.payload,
        Payload::new(json!(["plain", 1.5, null, null]))
    );
    assert_eq!(plain.opts, BroadcastOptions::default());

    let bin = broadcast(&h(ADAPTER_BIN));
    assert_eq!(bin.opts.rooms, ["room1"]);
    assert_eq!(
        bin.packet.payload,
        Payload::with_attachments(
            json!(["bin", ph(0), [ph(1)]]),
            vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3])]
        )
    );
    // Sent to clients as BINARY_EVENT with two attachments.
    let packet = bin.packet.into_packet();
    assert_eq!(packet.packet_type(), PacketType::BinaryEvent);
    assert_eq!(packet.attachments().len(), 2);

    let rooms = broadcast(&h(ADAPTER_ROOMS));
    assert_eq!(rooms.opts.rooms, ["r1", "r2"]);
    assert_eq!(rooms.opts.except, ["r3"]);

    let flags = broadcast(&h(ADAPTER_FLAGS));
    assert_eq!(
        flags.opts.flags,
        Flags {
            volatile: true,
            compress: Some(false),
            ..Flags::NONE
        }
    );

    // A numeric room arrives as its decimal text.
    assert_eq!(broadcast(&h(ADAPTER_NUMERIC)).opts.rooms, ["123"]);
}

#[test]
fn adapter_broadcasts_re_encode_byte_for_byte() {
    let bin = broadcast(&h(ADAPTER_BIN));
    let room1 = [Room::Name("room1")];
    assert_eq!(
        encoded_broadcast(
            UID,
            &PacketRef::new("/", &bin.packet.payload),
            Target::new(&room1, &[]),
            &Flags::NONE
        ),
        h(ADAPTER_BIN)
    );

    let rooms = [Room::Name("r1"), Room::Name("r2")];
    let except = [Room::Name("r3")];
    let data = Payload::new(json!(["rooms"]));
    assert_eq!(
        encoded_broadcast(
            UID,
            &PacketRef::new("/", &data),
            Target::new(&rooms, &except),
            &Flags::NONE
        ),
        h(ADAPTER_ROOMS)
    );

    // An integer room goes out as an integer, to its channel.
    let numeric = [Room::Number(123)];
    let data = Payload::new(json!(["numeric"]));
    assert_eq!(
        encoded_broadcast(
            UID,
            &PacketRef::new("/", &data),
            Target::new(&numeric, &[]),
            &Flags::NONE
        ),
        h(ADAPTER_NUMERIC)
    );
    assert_eq!(
        crate::Channels::with_default_prefix("/").broadcast_for(&numeric),
        "socket.io#/#123#"
    );

    // Flags: written in this crate's field order (Node's follows the modifier calls).
    let data = Payload::new(json!(["flags"]));
    let flags = Flags {
        volatile: true,
        compress: Some(false),
        ..Flags::NONE
    };
    let ours = encoded_broadcast(UID, &PacketRef::new("/", &data), Target::ALL, &flags);
    assert_eq!(broadcast(&ours), broadcast(&h(ADAPTER_FLAGS)));
    let mut reordered = h(ADAPTER_FLAGS);
    let at = reordered.len() - 20;
    reordered[at..].rotate_left(10);
    assert_eq!(ours, reordered);
}

#[test]
fn emitter_broadcasts_decode() {
    let hello = broadcast(&h(EMITTER_HELLO));
    assert_eq!(hello.uid, crate::EMITTER_UID);
    assert_eq!(
        hello.packet.payload,
        Payload::with_attachments(
            json!(["hello", 1, "two", ph(0)]),
            vec![Bytes::from_static(&[1, 2, 3])]
        )
    );
    assert_eq!(hello.opts, BroadcastOptions::default());

    let room = broadcast(&h(EMITTER_ROOM));
    assert_eq!(room.opts.rooms, ["room1"]);
    assert_eq!(room.packet.payload.data, json!(["ev", {"a": ph(0)}]));

    // The emitter writes {rooms, flags, except}: read by key.
    let multi = broadcast(&h(EMITTER_MULTI));
    assert_eq!(multi.opts.rooms, ["r1", "r2"]);
    assert_eq!(multi.opts.except, ["r3"]);
    assert!(multi.opts.flags.volatile);
    assert_eq!(multi.opts.flags.compress, Some(false));

    // A Date reaches clients as its ISO text.
    let admin = broadcast(&h(EMITTER_ADMIN_DATE));
    assert_eq!(admin.packet.nsp, "/admin");
    assert_eq!(
        admin.packet.payload.data,
        json!(["adm", "2024-01-02T03:04:05.678Z"])
    );

    assert_eq!(broadcast(&h(EMITTER_NUMERIC)).opts.rooms, ["123"]);

    // Re-encoded by this crate (adapter key order), they decode to the same.
    for fixture in [EMITTER_HELLO, EMITTER_ROOM, EMITTER_MULTI] {
        let heard = broadcast(&h(fixture));
        let rooms: Vec<Room<'_>> = heard.opts.rooms.iter().map(Room::from).collect();
        let except: Vec<Room<'_>> = heard.opts.except.iter().map(Room::from).collect();
        let again = encoded_broadcast(
            &heard.uid,
            &PacketRef::new(&heard.packet.nsp, &heard.packet.payload),
            Target::new(&rooms, &except),
            &heard.opts.flags,
        );
        assert_eq!(broadcast(&again), heard);
    }
}

#[test]
fn broadcast_packets_of_type_5_and_defaults() {
    // socket.io-emitter 3.x: type 5 with raw binary, no nsp (→ "/"), no flags, an id.
    let mut bytes = Vec::new();
    crate::msgpack::Value::Array(vec![
        crate::msgpack::Value::Str("old".into()),
        crate::msgpack::Value::Map(vec![
            ("type".into(), crate::msgpack::Value::Int(5)),
            (
                "data".into(),
                crate::msgpack::Value::Array(vec![
                    crate::msgpack::Value::Str("e".into()),
                    crate::msgpack::Value::Bin(Bytes::from_static(b"x")),
                ]),
            ),
            ("id".into(), crate::msgpack::Value::Int(7)),
        ]),
        crate::msgpack::Value::Map(vec![(
            "rooms".into(),
            crate::msgpack::Value::Array(vec![crate::msgpack::Value::Int(-4)]),
        )]),
        crate::msgpack::Value::Str("ignored extra element".into()),
    ])
    .encode(&mut bytes)
    .ok();
    let old = broadcast(&bytes);
    assert_eq!(old.packet.packet_type, PacketType::BinaryEvent);
    assert_eq!(old.packet.nsp, "/");
    assert_eq!(old.packet.id, Some(7));
    assert_eq!(old.opts.rooms, ["-4"]);
    assert_eq!(old.opts.flags, Flags::NONE);
    assert_eq!(old.packet.payload.attachments, [Bytes::from_static(b"x")]);
}

// ---------------------------------------------------------------------------------------------
// Requests

#[test]
fn emitter_requests_decode_and_re_encode() {
    // JS (emitter): emitter.socketsJoin('x')
    let join = br#"{"type":2,"opts":{"rooms":[],"except":[]},"rooms":["x"]}"#;
    assert_eq!(
        request(join),
        Request::SocketsJoin {
            uid: None,
            opts: BroadcastOptions::default(),
            rooms: vec!["x".into()]
        }
    );
    assert_eq!(
        encoded_request(&RequestRef::SocketsJoin {
            uid: None,
            target: Target::ALL,
            rooms: &[Room::Name("x")]
        }),
        join
    );

    // JS (emitter): emitter.in('r').socketsLeave(['a', 'b'])
    let leave = br#"{"type":3,"opts":{"rooms":["r"],"except":[]},"rooms":["a","b"]}"#;
    let Request::SocketsLeave {
        uid: None,
        opts,
        rooms,
    } = request(leave)
    else {
        panic!("not a SocketsLeave")
    };
    assert_eq!(
        (opts.rooms, rooms),
        (vec!["r".to_owned()], vec!["a".to_owned(), "b".to_owned()])
    );
    assert_eq!(
        encoded_request(&RequestRef::SocketsLeave {
            uid: None,
            target: Target::new(&[Room::Name("r")], &[]),
            rooms: &[Room::Name("a"), Room::Name("b")]
        }),
        leave
    );

    // JS (emitter): emitter.except('y').disconnectSockets(true)
    let disconnect = br#"{"type":4,"opts":{"rooms":[],"except":["y"]},"close":true}"#;
    assert_eq!(
        request(disconnect),
        Request::DisconnectSockets {
            uid: None,
            opts: BroadcastOptions {
                except: vec!["y".into()],
                ..BroadcastOptions::default()
            },
            close: true
        }
    );
    assert_eq!(
        encoded_request(&RequestRef::DisconnectSockets {
            uid: None,
            target: Target::new(&[], &[Room::Name("y")]),
            close: true
        }),
        disconnect
    );

    // JS (emitter): emitter.serverSideEmit('sse', 1, { k: 'v' })
    let sse = br#"{"uid":"emitter","type":6,"data":["sse",1,{"k":"v"}]}"#;
    let decoded = request(sse);
    assert_eq!(decoded.uid(), Some("emitter"));
    assert_eq!(decoded.request_id(), None);
    assert_eq!(
        decoded,
        Request::ServerSideEmit {
            uid: Some("emitter".into()),
            request_id: None,
            data: Payload::new(json!(["sse", 1, {"k": "v"}]))
        }
    );
    assert_eq!(
        encoded_request(&RequestRef::ServerSideEmit {
            uid: "emitter",
            request_id: None,
            data: &json!(["sse", 1, {"k": "v"}])
        }),
        sse
    );
}

#[test]
fn adapter_requests_decode_and_re_encode() {
    // JS (adapter): io.in('room1').socketsJoin('joined'), .socketsLeave('joined'),
    // io.except('z').disconnectSockets(false), io.serverSideEmit('ping', { n: 1 })
    let join =
        br#"{"uid":"Ze_TKM","type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["joined"]}"#;
    let leave =
        br#"{"uid":"Ze_TKM","type":3,"opts":{"rooms":["room1"],"except":[]},"rooms":["joined"]}"#;
    let disconnect =
        br#"{"uid":"Ze_TKM","type":4,"opts":{"rooms":[],"except":["z"]},"close":false}"#;
    let sse = br#"{"uid":"Ze_TKM","type":6,"data":["ping",{"n":1}]}"#;
    let room1 = [Room::Name("room1")];
    let joined = [Room::Name("joined")];
    let z = [Room::Name("z")];
    let ping = json!(["ping", {"n": 1}]);
    let cases: [(&[u8], RequestRef<'_>, RequestType); 4] = [
        (
            join,
            RequestRef::SocketsJoin {
                uid: Some(UID),
                target: Target::new(&room1, &[]),
                rooms: &joined,
            },
            RequestType::RemoteJoin,
        ),
        (
            leave,
            RequestRef::SocketsLeave {
                uid: Some(UID),
                target: Target::new(&room1, &[]),
                rooms: &joined,
            },
            RequestType::RemoteLeave,
        ),
        (
            disconnect,
            RequestRef::DisconnectSockets {
                uid: Some(UID),
                target: Target::new(&[], &z),
                close: false,
            },
            RequestType::RemoteDisconnect,
        ),
        (
            sse,
            RequestRef::ServerSideEmit {
                uid: UID,
                request_id: None,
                data: &ping,
            },
            RequestType::ServerSideEmit,
        ),
    ];
    for (fixture, ours, kind) in cases {
        let decoded = request(fixture);
        assert_eq!(decoded.request_type(), kind);
        assert_eq!(ours.request_type(), kind);
        assert_eq!(decoded.uid(), Some(UID));
        assert_eq!(encoded_request(&ours), fixture);
    }
}

#[test]
fn broadcast_with_ack_request_round_trips() {
    let fixture = h(ADAPTER_BROADCAST_ACK_REQUEST);
    let decoded = request(&fixture);
    let Request::Broadcast {
        uid,
        request_id,
        packet,
        opts,
    } = &decoded
    else {
        panic!("not a Broadcast: {decoded:?}")
    };
    assert_eq!(uid.as_deref(), Some(UID));
    assert_eq!(request_id, "OIlCL_");
    assert_eq!(packet.payload, Payload::new(json!(["withack", "x"])));
    assert_eq!(opts.flags.timeout, Some(1000));
    let flags = Flags {
        timeout: Some(1000),
        ..Flags::NONE
    };
    assert_eq!(
        encoded_request(&RequestRef::Broadcast {
            uid: UID,
            request_id: "OIlCL_",
            packet: PacketRef::new("/", &packet.payload),
            target: Target::ALL,
            flags: &flags,
        }),
        fixture
    );
}

#[test]
fn legacy_and_query_requests_round_trip() {
    // The forms of adapter ≤ 7.x and the query requests, as Node's `JSON.stringify` orders
    // them (the first one is the request the fixture run sent to the adapter).
    let cases: [(&[u8], RequestRef<'_>, Request); 6] = [
        (
            br#"{"uid":"other1","requestId":"req001","type":0,"rooms":["room1"]}"#,
            RequestRef::Sockets {
                uid: "other1",
                request_id: "req001",
                rooms: &[Room::Name("room1")],
            },
            Request::Sockets {
                uid: Some("other1".into()),
                request_id: "req001".into(),
                rooms: vec!["room1".into()],
            },
        ),
        (
            br#"{"uid":"other1","requestId":"req002","type":1}"#,
            RequestRef::AllRooms {
                uid: "other1",
                request_id: "req002",
            },
            Request::AllRooms {
                uid: Some("other1".into()),
                request_id: "req002".into(),
            },
        ),
        (
            br#"{"uid":"other1","requestId":"req003","type":2,"sid":"s1","room":"legacy"}"#,
            RequestRef::RemoteJoin {
                uid: "other1",
                request_id: "req003",
                sid: "s1",
                room: Room::Name("legacy"),
            },
            Request::RemoteJoin {
                uid: Some("other1".into()),
                request_id: Some("req003".into()),
                sid: "s1".into(),
                room: "legacy".into(),
            },
        ),
        (
            br#"{"uid":"other1","requestId":"req004","type":3,"sid":"s1","room":7}"#,
            RequestRef::RemoteLeave {
                uid: "other1",
                request_id: "req004",
                sid: "s1",
                room: Room::Number(7),
            },
            Request::RemoteLeave {
                uid: Some("other1".into()),
                request_id: Some("req004".into()),
                sid: "s1".into(),
                room: "7".into(),
            },
        ),
        (
            br#"{"uid":"other1","requestId":"req009","type":4,"sid":"s1","close":true}"#,
            RequestRef::RemoteDisconnect {
                uid: "other1",
                request_id: "req009",
                sid: "s1",
                close: true,
            },
            Request::RemoteDisconnect {
                uid: Some("other1".into()),
                request_id: Some("req009".into()),
                sid: "s1".into(),
                close: true,
            },
        ),
        (
            br#"{"uid":"other1","requestId":"req005","type":5,"opts":{"rooms":["room1"],"except":[]}}"#,
            RequestRef::FetchSockets {
                uid: "other1",
                request_id: "req005",
                target: Target::new(&[Room::Name("room1")], &[]),
            },
            Request::FetchSockets {
                uid: Some("other1".into()),
                request_id: "req005".into(),
                opts: BroadcastOptions {
                    rooms: vec!["room1".into()],
                    ..BroadcastOptions::default()
                },
            },
        ),
    ];
    for (json, ours, expected) in cases {
        assert_eq!(request(json), expected);
        assert_eq!(encoded_request(&ours), json);
    }
    // SERVER_SIDE_EMIT with an ack: `{uid, requestId, type, data}`.
    let data = json!(["sse-ack", 1]);
    let with_ack = br#"{"uid":"other1","requestId":"req007","type":6,"data":["sse-ack",1]}"#;
    assert_eq!(
        encoded_request(&RequestRef::ServerSideEmit {
            uid: "other1",
            request_id: Some("req007"),
            data: &data
        }),
        with_ack
    );
    assert_eq!(request(with_ack).request_id(), Some("req007"));
}

#[test]
fn requests_are_read_leniently_as_javascript_reads_them() {
    // `type` 2.0 is 2; a string or number `rooms` is one room; `null` is absent; unknown
    // keys are ignored; close by truthiness.
    assert_eq!(
        request(br#"{"type":2.0,"opts":{"rooms":null},"rooms":"x","extra":[1]}"#),
        Request::SocketsJoin {
            uid: None,
            opts: BroadcastOptions::default(),
            rooms: vec!["x".into()]
        }
    );
    assert_eq!(
        request(br#"{"type":4,"opts":{},"close":1}"#),
        Request::DisconnectSockets {
            uid: None,
            opts: BroadcastOptions::default(),
            close: true
        }
    );
    // A SOCKETS request in MessagePack works too (Node would decode it).
    let mut bytes = Vec::new();
    crate::msgpack::Value::Map(vec![
        ("type".into(), crate::msgpack::Value::Int(0)),
        ("requestId".into(), crate::msgpack::Value::Str("r".into())),
        (
            "rooms".into(),
            crate::msgpack::Value::Array(vec![crate::msgpack::Value::Int(1)]),
        ),
    ])
    .encode(&mut bytes)
    .ok();
    assert_eq!(
        request(&bytes),
        Request::Sockets {
            uid: None,
            request_id: "r".into(),
            rooms: vec!["1".into()]
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn adapter_responses_decode_and_re_encode() {
    // JS (adapter): its answers to SOCKETS, ALL_ROOMS, legacy REMOTE_JOIN, SERVER_SIDE_EMIT
    // (acked with { got: 1 }) and BROADCAST (client count 1).
    let sockets = br#"{"requestId":"req001","sockets":["5bxkMAFW0yjzKGElAAAA"]}"#;
    let rooms = br#"{"requestId":"req002","rooms":["5bxkMAFW0yjzKGElAAAA","room1"]}"#;
    let done = br#"{"requestId":"req003"}"#;
    let sse = br#"{"type":6,"requestId":"req007","data":{"got":1}}"#;
    let count = br#"{"type":8,"requestId":"req008","clientCount":1}"#;

    let Response::Reply(reply) = response(sockets) else {
        panic!("not a reply")
    };
    assert_eq!(
        reply.socket_ids().ok(),
        Some(vec!["5bxkMAFW0yjzKGElAAAA".to_owned()])
    );
    assert_eq!(
        encoded_response(&ResponseRef::Sockets {
            request_id: "req001",
            sockets: &["5bxkMAFW0yjzKGElAAAA"]
        }),
        sockets
    );

    let Response::Reply(reply) = response(rooms) else {
        panic!("not a reply")
    };
    assert_eq!(
        reply.room_names().ok(),
        Some(vec!["5bxkMAFW0yjzKGElAAAA".to_owned(), "room1".to_owned()])
    );
    assert_eq!(
        encoded_response(&ResponseRef::AllRooms {
            request_id: "req002",
            rooms: &[Room::Name("5bxkMAFW0yjzKGElAAAA"), Room::Name("room1")]
        }),
        rooms
    );

    assert_eq!(
        response(done),
        Response::Reply(Reply {
            request_id: "req003".into(),
            sockets: None,
            rooms: None
        })
    );
    assert_eq!(
        encoded_response(&ResponseRef::Done {
            request_id: "req003"
        }),
        done
    );

    assert_eq!(
        response(sse),
        Response::ServerSideEmit {
            request_id: "req007".into(),
            data: Some(json!({"got": 1}))
        }
    );
    assert_eq!(
        encoded_response(&ResponseRef::ServerSideEmit {
            request_id: "req007",
            data: Some(&json!({"got": 1}))
        }),
        sse
    );

    assert_eq!(
        response(count),
        Response::BroadcastClientCount {
            request_id: "req008".into(),
            client_count: 1
        }
    );
    assert_eq!(
        encoded_response(&ResponseRef::BroadcastClientCount {
            request_id: "req008",
            client_count: 1
        }),
        count
    );

    // The binary ack comes back as an attachment, and re-encodes byte for byte.
    let ack = h(ADAPTER_BROADCAST_ACK);
    let decoded = response(&ack);
    assert_eq!(decoded.request_id(), "req008");
    let Response::BroadcastAck { packet, .. } = decoded else {
        panic!("not an ack")
    };
    assert_eq!(
        packet,
        Payload::with_attachments(ph(0), vec![Bytes::from_static(&[7, 7])])
    );
    assert_eq!(
        encoded_response(&ResponseRef::BroadcastAck {
            request_id: "req008",
            value: &packet.data,
            attachments: &packet.attachments
        }),
        ack
    );
}

// JS (adapter): its answer to {uid:'other1', requestId:'req005', type:5, opts:{rooms:['room1'], except:[]}}
// with one socket.io-client 4 connected over WebSocket (auth {token:'t'}, query {q:'1'}),
// in rooms room1 and legacy, socket.data = {user:'u1'}.
const FETCH_REPLY: &str = r#"{"requestId":"req005","sockets":[{"id":"5bxkMAFW0yjzKGElAAAA","handshake":{"headers":{"sec-websocket-version":"13","sec-websocket-key":"wr6GEpKirdlJ5VeK5yvAwQ==","connection":"Upgrade","upgrade":"websocket","sec-websocket-extensions":"permessage-deflate; client_max_window_bits","host":"127.0.0.1:35615"},"time":"Wed Dec 02 2026 00:37:28 GMT+0000 (Coordinated Universal Time)","address":"127.0.0.1","xdomain":false,"secure":false,"issued":1796171848308,"url":"/socket.io/?q=1&EIO=4&transport=websocket","query":{"q":"1","EIO":"4","transport":"websocket"},"auth":{"token":"t"}},"rooms":["5bxkMAFW0yjzKGElAAAA","room1","legacy"],"data":{"user":"u1"}}]}"#;

#[test]
fn fetch_sockets_reply() {
    let Response::Reply(reply) = response(FETCH_REPLY.as_bytes()) else {
        panic!("not a reply")
    };
    assert_eq!(reply.request_id, "req005");
    let sockets = reply
        .into_remote_sockets()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sockets.len(), 1);
    let socket = &sockets[0];
    assert_eq!(socket.id, "5bxkMAFW0yjzKGElAAAA");
    assert_eq!(socket.rooms, ["5bxkMAFW0yjzKGElAAAA", "room1", "legacy"]);
    assert_eq!(socket.data, json!({"user": "u1"}));
    let hs = &socket.handshake;
    assert_eq!(hs.address, "127.0.0.1");
    assert_eq!(hs.issued, 1_796_171_848_308);
    assert_eq!(hs.url, "/socket.io/?q=1&EIO=4&transport=websocket");
    assert_eq!(
        hs.time,
        "Wed Dec 02 2026 00:37:28 GMT+0000 (Coordinated Universal Time)"
    );
    assert!(!hs.xdomain && !hs.secure);
    assert_eq!(hs.headers.get("upgrade"), Some(&json!("websocket")));
    assert_eq!(hs.query.get("q"), Some(&json!("1")));
    assert_eq!(hs.auth.get("token"), Some(&json!("t")));

    // Ours: Node's keys in Node's order (but headers/query/auth keys sorted), and it reads back.
    let ours = encoded_response(&ResponseRef::FetchSockets {
        request_id: "req005",
        sockets: &sockets,
    });
    let text = String::from_utf8(ours.clone()).unwrap_or_default();
    assert!(text.starts_with(r#"{"requestId":"req005","sockets":[{"id":"5bxkMAFW0yjzKGElAAAA","handshake":{"headers":{"connection":"Upgrade","#));
    assert!(text.contains(r#"},"time":"Wed Dec 02 2026 00:37:28 GMT+0000 (Coordinated Universal Time)","address":"127.0.0.1","xdomain":false,"secure":false,"issued":1796171848308,"url":"/socket.io/?q=1&EIO=4&transport=websocket","query":{"#));
    assert!(text.ends_with(r#""auth":{"token":"t"}},"rooms":["5bxkMAFW0yjzKGElAAAA","room1","legacy"],"data":{"user":"u1"}}]}"#));
    let Response::Reply(back) = response(&ours) else {
        panic!("not a reply")
    };
    assert_eq!(back.into_remote_sockets().ok(), Some(sockets));
}

#[test]
fn replies_without_arrays_count_as_empty() {
    let Response::Reply(reply) = response(br#"{"requestId":"x","sockets":5,"rooms":{}}"#) else {
        panic!("not a reply")
    };
    assert_eq!(reply.sockets, None);
    assert_eq!(reply.socket_ids().ok(), Some(vec![]));
    assert_eq!(reply.room_names().ok(), Some(vec![]));
    assert_eq!(reply.into_remote_sockets().ok(), Some(vec![]));
    // Elements of the wrong kind are errors.
    let Response::Reply(reply) = response(br#"{"requestId":"x","sockets":[1],"rooms":[true]}"#)
    else {
        panic!("not a reply")
    };
    assert!(reply.socket_ids().is_err());
    assert!(reply.room_names().is_err());
    assert!(reply.into_remote_sockets().is_err());
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn truncated_messages_are_errors() {
    for fixture in MSGPACK_FIXTURES {
        let bytes = h(fixture);
        for len in 0..bytes.len() {
            assert!(
                decode_broadcast(&bytes[..len]).is_err(),
                "{fixture} cut at {len}"
            );
            assert!(decode_request(&bytes[..len]).is_err());
            assert!(decode_response(&bytes[..len]).is_err());
        }
    }
    for fixture in [ADAPTER_BROADCAST_ACK_REQUEST, ADAPTER_BROADCAST_ACK] {
        let bytes = h(fixture);
        for len in 0..bytes.len() {
            assert!(
                decode_request(&bytes[..len]).is_err(),
                "{fixture} cut at {len}"
            );
            assert!(
                decode_response(&bytes[..len]).is_err(),
                "{fixture} cut at {len}"
            );
        }
    }
    for len in 0..FETCH_REPLY.len() {
        assert!(
            decode_response(&FETCH_REPLY.as_bytes()[..len]).is_err(),
            "cut at {len}"
        );
    }
}

#[test]
fn garbage_and_wrong_shapes_are_errors() {
    use WireError as E;
    let req = |json: &str| decode_request(json.as_bytes());
    assert!(matches!(decode_request(b""), Err(E::Empty)));
    assert!(matches!(decode_broadcast(b""), Err(E::Empty)));
    assert!(matches!(decode_response(b""), Err(E::Empty)));
    assert!(matches!(req("{"), Err(E::Json(_))));
    assert!(matches!(req("{} trailing"), Err(E::Json(_))));
    assert!(matches!(req("{}"), Err(E::MissingField("type"))));
    assert!(matches!(
        req(r#"{"type":"2"}"#),
        Err(E::WrongType { field: "type", .. })
    ));
    assert!(matches!(
        req(r#"{"type":2.5}"#),
        Err(E::WrongType { field: "type", .. })
    ));
    assert!(matches!(req(r#"{"type":42}"#), Err(E::UnknownType(42))));
    assert!(matches!(req(r#"{"type":-1}"#), Err(E::UnknownType(-1))));
    // Response types on the request channel.
    assert!(matches!(
        req(r#"{"type":8,"requestId":"x","clientCount":1}"#),
        Err(E::UnknownType(8))
    ));
    assert!(matches!(
        req(r#"{"type":0,"rooms":[]}"#),
        Err(E::MissingField("requestId"))
    ));
    assert!(matches!(
        req(r#"{"type":0,"requestId":5}"#),
        Err(E::WrongType {
            field: "requestId",
            ..
        })
    ));
    assert!(matches!(req(r#"{"type":2}"#), Err(E::MissingField("sid"))));
    assert!(matches!(
        req(r#"{"type":2,"sid":"s"}"#),
        Err(E::MissingField("room"))
    ));
    assert!(matches!(
        req(r#"{"type":2,"opts":{}}"#),
        Err(E::MissingField("rooms"))
    ));
    assert!(matches!(
        req(r#"{"type":2,"opts":true,"rooms":[]}"#),
        Err(E::WrongType { field: "opts", .. })
    ));
    assert!(matches!(
        req(r#"{"type":2,"opts":{"rooms":"abc"},"rooms":["x"]}"#),
        Err(E::WrongType {
            field: "opts.rooms",
            ..
        })
    ));
    // A room of another kind would match nothing in Node; never read as "no room" (= all).
    assert!(matches!(
        req(r#"{"type":4,"opts":{"rooms":[true]}}"#),
        Err(E::WrongType {
            field: "opts.rooms",
            ..
        })
    ));
    assert!(matches!(
        req(r#"{"type":2,"opts":{},"rooms":[{}]}"#),
        Err(E::WrongType { field: "rooms", .. })
    ));
    assert!(matches!(
        req(r#"{"type":5,"requestId":"x"}"#),
        Err(E::MissingField("opts"))
    ));
    assert!(matches!(
        req(r#"{"type":6,"data":"x"}"#),
        Err(E::WrongType { field: "data", .. })
    ));
    assert!(matches!(req(r#"{"type":6}"#), Err(E::MissingField("data"))));
    assert!(matches!(
        req(r#"{"type":7,"requestId":"x","opts":{}}"#),
        Err(E::MissingField("packet"))
    ));
    assert!(matches!(
        req(r#"{"type":7,"requestId":"x","packet":{"type":3,"data":[]},"opts":{}}"#),
        Err(E::UnsupportedPacketType(3))
    ));
    assert!(matches!(
        req(r#"{"type":7,"requestId":"x","packet":{"type":2,"data":{}},"opts":{}}"#),
        Err(E::WrongType {
            field: "packet.data",
            ..
        })
    ));
    // JSON that is not an object: sniffed as MessagePack ('[' is the fixint 91) and refused.
    assert!(decode_request(b"[1,2]").is_err());
    assert!(matches!(
        decode_request(b"\x93\x01\x02\x03"),
        Err(E::WrongType {
            field: "request",
            ..
        })
    ));

    let res = |json: &str| decode_response(json.as_bytes());
    assert!(matches!(
        res(r#"{"sockets":[]}"#),
        Err(E::MissingField("requestId"))
    ));
    assert!(matches!(
        res(r#"{"requestId":"x","type":3}"#),
        Err(E::UnknownType(3))
    ));
    assert!(matches!(
        res(r#"{"requestId":"x","type":8}"#),
        Err(E::MissingField("clientCount"))
    ));
    assert!(matches!(
        res(r#"{"requestId":"x","type":8,"clientCount":"1"}"#),
        Err(E::WrongType {
            field: "clientCount",
            ..
        })
    ));
    assert!(matches!(
        res(r#"{"requestId":"x","sockets":[{"id":"a","handshake":{"issued":"now"}}]}"#).map(|r| {
            match r {
                Response::Reply(reply) => reply.into_remote_sockets().map(|_| ()),
                _ => Ok(()),
            }
        }),
        Ok(Err(E::WrongType {
            field: "sockets.handshake.issued",
            ..
        }))
    ));

    // Broadcast shapes.
    let bc = |value: crate::msgpack::Value| {
        let mut bytes = Vec::new();
        value.encode(&mut bytes).ok();
        decode_broadcast(&bytes)
    };
    use crate::msgpack::Value as M;
    let packet = || {
        M::Map(vec![
            ("type".into(), M::Int(2)),
            ("data".into(), M::Array(vec![])),
        ])
    };
    assert!(matches!(
        bc(M::Map(vec![])),
        Err(E::WrongType {
            field: "broadcast",
            ..
        })
    ));
    assert!(matches!(bc(M::Array(vec![])), Err(E::MissingField("uid"))));
    assert!(matches!(
        bc(M::Array(vec![M::Int(1)])),
        Err(E::WrongType { field: "uid", .. })
    ));
    assert!(matches!(
        bc(M::Array(vec![M::Str("u".into())])),
        Err(E::MissingField("packet"))
    ));
    assert!(matches!(
        bc(M::Array(vec![M::Str("u".into()), packet()])),
        Err(E::MissingField("opts"))
    ));
    assert!(matches!(
        bc(M::Array(vec![M::Str("u".into()), packet(), M::Nil])),
        Err(E::MissingField("opts"))
    ));
    assert!(matches!(
        bc(M::Array(vec![
            M::Str("u".into()),
            M::Int(2),
            M::Map(vec![])
        ])),
        Err(E::WrongType {
            field: "packet",
            ..
        })
    ));
    assert!(matches!(
        bc(M::Array(vec![
            M::Str("u".into()),
            M::Map(vec![("data".into(), M::Array(vec![]))]),
            M::Map(vec![])
        ])),
        Err(E::MissingField("packet.type"))
    ));
    assert!(matches!(
        bc(M::Array(vec![
            M::Str("u".into()),
            packet(),
            M::Map(vec![("except".into(), M::Bin(Bytes::new()))])
        ])),
        Err(E::WrongType {
            field: "opts.except",
            ..
        })
    ));
    assert!(bc(M::Array(vec![M::Str("u".into()), packet(), M::Map(vec![])])).is_ok());
    // Garbage.
    assert!(matches!(decode_broadcast(b"\xc1"), Err(E::Msgpack(_))));
    assert!(matches!(decode_broadcast(b"{\"a\":1}"), Err(E::Msgpack(_))));
}

#[test]
fn limits_apply_to_every_message() {
    use WireError as E;
    // Deep JSON and MessagePack.
    let deep_json = format!(
        r#"{{"type":6,"data":{}{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(matches!(
        decode_request(deep_json.as_bytes()),
        Err(E::TooDeep { max: 1027 })
    ));
    // A payload nested exactly max_depth levels is accepted in every envelope.
    let ok_json = format!(
        r#"{{"type":6,"data":{}{}}}"#,
        "[".repeat(1024),
        "]".repeat(1024)
    );
    assert!(decode_request(ok_json.as_bytes()).is_ok());
    let mut nested = crate::msgpack::Value::Nil;
    for _ in 0..1023 {
        nested = crate::msgpack::Value::Array(vec![nested]);
    }
    let data = crate::msgpack::Value::Array(vec![crate::msgpack::Value::Str("e".into()), nested]);
    let triple = |data: crate::msgpack::Value| {
        let mut bytes = Vec::new();
        crate::msgpack::Value::Array(vec![
            crate::msgpack::Value::Str("u".into()),
            crate::msgpack::Value::Map(vec![
                ("type".into(), crate::msgpack::Value::Int(2)),
                ("data".into(), data),
            ]),
            crate::msgpack::Value::Map(vec![]),
        ])
        .encode(&mut bytes)
        .ok();
        bytes
    };
    assert!(decode_broadcast(&triple(data.clone())).is_ok());
    let too_deep = crate::msgpack::Value::Array(vec![data]);
    assert!(matches!(
        decode_broadcast(&triple(crate::msgpack::Value::Array(vec![too_deep]))),
        Err(E::Msgpack(crate::msgpack::DecodeError::TooDeep { .. }))
    ));

    // 2 MiB: a binary broadcast, a JSON request; both fine by default, refused under a
    // smaller limit.
    let big =
        Payload::with_attachments(json!(["big", ph(0)]), vec![Bytes::from(vec![1u8; 2 << 20])]);
    let bytes = encoded_broadcast("u", &PacketRef::new("/", &big), Target::ALL, &Flags::NONE);
    assert_eq!(broadcast(&bytes).packet.payload, big);
    let small = crate::DecodeLimits::default().with_max_len(1 << 20);
    assert!(matches!(
        decode_broadcast_with(&bytes, &small),
        Err(E::TooLarge { .. })
    ));
    let big_json = format!(r#"{{"type":6,"data":["big","{}"]}}"#, "x".repeat(2 << 20));
    assert!(decode_request(big_json.as_bytes()).is_ok());
    assert!(matches!(
        decode_request_with(big_json.as_bytes(), &small),
        Err(E::TooLarge { .. })
    ));
    assert!(matches!(
        decode_response_with(big_json.as_bytes(), &small),
        Err(E::TooLarge { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_payload() -> impl Strategy<Value = Payload> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,20}".prop_map(Value::String),
    ];
    let arg = leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (
        "[a-z]{1,10}",
        prop::collection::vec(arg, 0..4),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..3),
    )
        .prop_map(|(event, mut args, bins)| {
            let mut data = vec![Value::String(event)];
            data.append(&mut args);
            data.extend((0..bins.len()).map(placeholder));
            Payload::with_attachments(
                Value::Array(data),
                bins.into_iter().map(Bytes::from).collect(),
            )
        })
}

fn arb_flags() -> impl Strategy<Value = Flags> {
    (
        any::<bool>(),
        any::<Option<bool>>(),
        any::<bool>(),
        any::<bool>(),
        any::<Option<bool>>(),
        any::<Option<u64>>(),
        any::<bool>(),
    )
        .prop_map(
            |(volatile, compress, local, broadcast, binary, timeout, expect_single_response)| {
                Flags {
                    volatile,
                    compress,
                    local,
                    broadcast,
                    binary,
                    timeout,
                    expect_single_response,
                }
            },
        )
}

proptest! {
    #[test]
    fn broadcasts_round_trip(
        uid in "[A-Za-z0-9_-]{6}",
        nsp in "/[a-z]{0,8}",
        payload in arb_payload(),
        rooms in prop::collection::vec("[a-z0-9#]{1,8}", 0..4),
        except in prop::collection::vec(any::<i64>(), 0..3),
        flags in arb_flags(),
        id in any::<Option<u64>>(),
    ) {
        let room_refs: Vec<Room<'_>> = rooms.iter().map(Room::from).collect();
        let except_refs: Vec<Room<'_>> = except.iter().map(|&n| Room::Number(n)).collect();
        let packet = PacketRef { id, ..PacketRef::new(&nsp, &payload) };
        let bytes = encoded_broadcast(&uid, &packet, Target::new(&room_refs, &except_refs), &flags);
        let heard = decode_broadcast(&bytes);
        prop_assert!(heard.is_ok(), "{:?}", heard);
        let heard = heard.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(heard.uid, uid);
        prop_assert_eq!(heard.packet.packet_type, PacketType::Event);
        prop_assert_eq!(heard.packet.nsp, nsp);
        prop_assert_eq!(heard.packet.id, id);
        prop_assert_eq!(heard.packet.payload, payload);
        prop_assert_eq!(heard.opts.rooms, rooms);
        let except: Vec<String> = except.iter().map(i64::to_string).collect();
        prop_assert_eq!(heard.opts.except, except);
        prop_assert_eq!(heard.opts.flags, flags);
    }

    #[test]
    fn broadcast_requests_and_acks_round_trip(
        payload in arb_payload(),
        flags in arb_flags(),
        request_id in "[A-Za-z0-9]{6}",
    ) {
        let mut bytes = Vec::new();
        let request = RequestRef::Broadcast {
            uid: "abcdef",
            request_id: &request_id,
            packet: PacketRef::new("/x", &payload),
            target: Target::ALL,
            flags: &flags,
        };
        request.encode(&mut bytes).ok();
        let Ok(Request::Broadcast { packet, opts, request_id: id, .. }) = decode_request(&bytes) else {
            return Err(TestCaseError::fail("not a broadcast"));
        };
        prop_assert_eq!(&id, &request_id);
        prop_assert_eq!(&packet.payload, &payload);
        prop_assert_eq!(opts.flags, flags);

        let mut bytes = Vec::new();
        ResponseRef::BroadcastAck {
            request_id: &request_id,
            value: &payload.data,
            attachments: &payload.attachments,
        }
        .encode(&mut bytes)
        .ok();
        let Ok(Response::BroadcastAck { packet, .. }) = decode_response(&bytes) else {
            return Err(TestCaseError::fail("not an ack"));
        };
        prop_assert_eq!(packet, payload);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_broadcast(&bytes);
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
    }

    #[test]
    fn fixtures_with_one_byte_changed_never_panic(
        which in 0..MSGPACK_FIXTURES.len(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = h(MSGPACK_FIXTURES[which]);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = decode_broadcast(&bytes);
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let mut json = FETCH_REPLY.as_bytes().to_vec();
        let i = at.index(json.len());
        json[i] = byte;
        if let Ok(Response::Reply(reply)) = decode_response(&json) {
            let _ = reply.into_remote_sockets();
        }
    }
}
