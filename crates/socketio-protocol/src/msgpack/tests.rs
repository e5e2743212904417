//! The golden vectors are what socket.io-msgpack-parser 3.0.2 (notepack.io 2.2.0) encodes:
//! `node tests/clients/msgpack_golden.js` prints each, for packets shaped (keys in order) as
//! Node's socket.io 4.8 server and socket.io-client 4.8 build them.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::{from_value, to_payload};

fn h(hex: &str) -> Bytes {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    Bytes::from(bytes)
}

fn decode(bytes: &Bytes) -> Result<Packet, DecodeError> {
    decode_msgpack(bytes, &DecoderLimits::default())
}

fn event(nsp: &str, data: Value, attachments: Vec<Bytes>, ack: Option<u64>) -> Packet {
    Packet::event(nsp, Payload::with_attachments(data, attachments), ack)
}

/// Server-shaped vectors: ours must encode to exactly these bytes, and decode them back.
#[test]
fn encodes_as_node_server() {
    let cases = [
        (
            Packet::connect("/", Some(json!({"sid": "abc"}))),
            "83a47479706500a46461746181a3736964a3616263a36e7370a12f",
        ),
        (
            event("/", json!(["hello", 1, "é😀"]), vec![], None),
            "83a47479706502a46461746193a568656c6c6f01a6c3a9f09f9880a36e7370a12f",
        ),
        (
            event("/chat", json!(["q"]), vec![], Some(7)),
            "84a47479706502a46461746191a171a2696407a36e7370a52f63686174",
        ),
        (
            Packet::ack("/", Payload::new(json!(["ok", null, true])), 7),
            "84a2696407a47479706503a46461746193a26f6bc0c3a36e7370a12f",
        ),
        (
            event(
                "/",
                json!(["bin", placeholder(0), {"nested": [placeholder(1)]}]),
                vec![Bytes::from_static(&[1, 2, 3]), Bytes::new()],
                None,
            ),
            "83a47479706502a46461746193a362696ec40301020381a66e657374656491c400a36e7370a12f",
        ),
        (
            Packet::connect_error("/", json!({"message": "nope", "data": {"code": 42}})),
            // Node writes `message` first; our map is sorted, so `data` comes first: the
            // decoder cannot tell (checked against Node's bytes below).
            "83a47479706504a46461746182a46461746181a4636f64652aa76d657373616765a46e6f7065a36e7370a12f",
        ),
        (
            Packet::disconnect("/admin"),
            "82a47479706501a36e7370a62f61646d696e",
        ),
    ];
    for (packet, hex) in cases {
        let bytes = encode_msgpack(&packet);
        assert_eq!(bytes, h(hex), "{packet:?}");
        assert_eq!(decode(&bytes).unwrap(), packet);
    }
    let node = h(
        "83a47479706504a46461746182a76d657373616765a46e6f7065a46461746181a4636f64652aa36e7370a12f",
    );
    assert_eq!(
        decode(&node).unwrap(),
        Packet::connect_error("/", json!({"message": "nope", "data": {"code": 42}}))
    );
}

#[test]
fn numbers_match_notepack() {
    // notepack's encoding of the integral numbers is the smallest int, as ours; its floats
    // are `float 64`. (It writes 1e300, integral, as a wrapped u64 0: left out.)
    let node = h("83a47479706502a464617461dc0011a16e00ffd0df7fcc80ccffcd0100cdffffce00010000d1ff7fd2ffff7fffcf0000000100000000cf001fffffffffffffd3ffe0000000000001cb3ff8000000000000cbbfd0000000000000a36e7370a12f");
    let data = json!([
        "n",
        0,
        -1,
        -33,
        127,
        128,
        255,
        256,
        65535,
        65536,
        -129,
        -32769,
        4294967296u64,
        9007199254740991u64,
        -9007199254740991i64,
        1.5,
        -0.25
    ]);
    let packet = event("/", data, vec![], None);
    assert_eq!(encode_msgpack(&packet), node);
    assert_eq!(decode(&node).unwrap(), packet);
}

#[test]
fn decodes_client_packets() {
    let limits = DecoderLimits::default();
    let d = |hex: &str| decode_msgpack(&h(hex), &limits).unwrap();
    // `data: undefined` on a CONNECT without auth.
    assert_eq!(
        d("83a47479706500a464617461d40000a36e7370a12f"),
        Packet::connect("/", None)
    );
    // python-socketio: `data: nil` on CONNECT and DISCONNECT.
    assert_eq!(
        d("83a47479706500a464617461c0a36e7370a12f"),
        Packet::connect("/", None)
    );
    assert_eq!(
        d("83a47479706501a464617461c0a36e7370a12f"),
        Packet::disconnect("/")
    );
    assert_eq!(
        d("83a47479706500a46461746181a5746f6b656ea174a36e7370a12f"),
        Packet::connect("/", Some(json!({"token": "t"})))
    );
    // `options` ignored.
    assert_eq!(
        d("84a47479706502a46461746192a16da178a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12f"),
        event("/", json!(["m", "x"]), vec![], None)
    );
    assert_eq!(
        d("85a47479706502a46461746191a16da76f7074696f6e7381a8636f6d7072657373c3a2696400a36e7370a12f"),
        event("/", json!(["m"]), vec![], Some(0))
    );
    assert_eq!(
        d("84a47479706503a2696403a46461746191c401ffa36e7370a12f"),
        Packet::ack(
            "/",
            Payload::with_attachments(json!([placeholder(0)]), vec![Bytes::from_static(&[255])]),
            3
        )
    );
    // A Date (notepack 2's `d7 00`) is its ISO string; `undefined` is null in an array and
    // absent in a map, as JSON.stringify makes them.
    assert_eq!(
        d("84a47479706502a46461746194a164d7000000018bcfe5687bd4000082a175d40000a16b01a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12f"),
        event("/", json!(["d", "2023-11-14T22:13:20.123Z", null, {"k": 1}]), vec![], None)
    );
    assert_eq!(
        d("83a47479706502a46461746192a173d92861616161616161616161616161616161616161616161616161616161616161616161616161616161a36e7370a12f"),
        event("/", json!(["s", "a".repeat(40)]), vec![], None)
    );
}

#[test]
fn serde_bridge_sees_the_same_values_from_either_codec() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Msg {
        blob: Bytes,
        big: u64,
        neg: i64,
        f: f64,
        s: String,
        inner: Vec<Bytes>,
    }
    let msg = Msg {
        blob: Bytes::from_static(b"\x00\x01"),
        big: u64::MAX,
        neg: i64::MIN,
        f: 0.1,
        s: "ü😀".into(),
        inner: vec![Bytes::from_static(b"x"), Bytes::new()],
    };
    let payload = to_payload(Some("m"), &msg).unwrap();
    let packet = Packet::event("/", payload, Some(u64::MAX));
    let text = crate::encode(&packet, ProtocolRevision::V5);
    let mut decoder = crate::Decoder::new(ProtocolRevision::V5, DecoderLimits::default());
    let mut from_text = decoder.decode_text(&text.text).unwrap();
    for a in text.attachments {
        from_text = decoder.decode_binary(a).unwrap();
    }
    let from_msgpack = decode(&encode_msgpack(&packet)).unwrap();
    assert_eq!(from_msgpack, packet);
    for p in [from_text.unwrap(), from_msgpack] {
        let PacketData::Event { payload, .. } = p.data else {
            panic!()
        };
        let (name, back): (String, Msg) = from_value(payload.data, &payload.attachments).unwrap();
        assert_eq!((name.as_str(), &back), ("m", &msg));
    }
}

#[test]
fn value_mappings() {
    let wrap = |data: &[u8]| {
        let mut v = h("83a47479706502a464617461");
        let mut out = v.to_vec();
        out.extend_from_slice(data);
        out.extend_from_slice(&h("a36e7370a12f"));
        v = Bytes::from(out);
        decode(&v)
    };
    let data = |r: Result<Packet, DecodeError>| match r.unwrap().data {
        PacketData::Event { payload, .. } => (payload.data, payload.attachments),
        other => panic!("{other:?}"),
    };
    // NaN and infinities become null, float 32 an f64.
    let mut nan = vec![0x94, 0xa1, b'x', 0xcb];
    nan.extend_from_slice(&f64::NAN.to_be_bytes());
    nan.push(0xca);
    nan.extend_from_slice(&f32::INFINITY.to_be_bytes());
    nan.push(0xca);
    nan.extend_from_slice(&1.5f32.to_be_bytes());
    assert_eq!(data(wrap(&nan)).0, json!(["x", null, null, 1.5]));
    // Integer keys become their text; the last duplicate wins.
    assert_eq!(
        data(wrap(&h("92a17883d0ff01050205c3"))).0,
        json!(["x", {"-1": 1, "5": true}])
    );
    // Timestamp extension -1 in its three sizes, and one out of JavaScript's range.
    assert_eq!(
        data(wrap(&h("95a178d6ff00000001d7ff000000040000000ac70cff00000000fffffffffffffffec70cff000000007fffffffffffffff"))).0,
        json!(["x", "1970-01-01T00:00:01.000Z", "1970-01-01T00:00:10.000Z", "1969-12-31T23:59:58.000Z", null])
    );
    // notepack's browser ArrayBuffer (ext 8 type 0) is binary too.
    let (d, a) = data(wrap(&h("92a178c70200abcd")));
    assert_eq!(d, json!(["x", placeholder(0)]));
    assert_eq!(a, [Bytes::from_static(&[0xab, 0xcd])]);
    // Invalid UTF-8 is replaced, as Node does.
    assert_eq!(data(wrap(&h("92a178a2ff61"))).0, json!(["x", "\u{fffd}a"]));
    // A literal placeholder without binaries stays a map, as in a text EVENT.
    assert_eq!(
        data(wrap(&h("92a17882ac5f706c616365686f6c646572c3a36e756d05"))).0,
        json!(["x", placeholder(5)])
    );
}

#[test]
fn malformed_packets_are_errors() {
    use DecodeError as E;
    type Check = fn(&DecodeError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, E::Truncated)),
        ("92a178a179", |e| matches!(e, E::InvalidField("packet"))),
        ("c0", |e| matches!(e, E::InvalidField("packet"))),
        // Missing fields.
        ("81a36e7370a12f", |e| matches!(e, E::InvalidField("type"))),
        ("81a47479706502", |e| matches!(e, E::InvalidNamespace)),
        ("82a47479706502a36e7370a12f", |e| {
            matches!(e, E::MissingPayload(_))
        }),
        // Wrong types.
        ("82a474797065a132a36e7370a12f", |e| {
            matches!(e, E::UnknownType)
        }),
        ("82a47479706505a36e7370a12f", |e| {
            matches!(e, E::UnknownType)
        }),
        ("82a474797065ffa36e7370a12f", |e| {
            matches!(e, E::UnknownType)
        }),
        ("82a474797065cb3ff8000000000000a36e7370a12f", |e| {
            matches!(e, E::UnknownType)
        }),
        ("82a47479706501a36e737001", |e| {
            matches!(e, E::InvalidNamespace)
        }),
        ("82a47479706501a36e7370a161", |e| {
            matches!(e, E::InvalidNamespace)
        }),
        ("83a47479706502a464617461a178a36e7370a12f", |e| {
            matches!(e, E::InvalidPayload(_))
        }),
        ("83a47479706502a46461746190a36e7370a12f", |e| {
            matches!(e, E::InvalidEventName)
        }),
        ("83a47479706502a46461746191c0a36e7370a12f", |e| {
            matches!(e, E::InvalidEventName)
        }),
        (
            "83a47479706502a46461746191a7636f6e6e656374a36e7370a12f",
            |e| matches!(e, E::ReservedEventName),
        ),
        ("83a47479706503a46461746190a36e7370a12f", |e| {
            matches!(e, E::MissingAckId)
        }),
        ("84a47479706503a46461746190a26964ffa36e7370a12f", |e| {
            matches!(e, E::InvalidAckId)
        }),
        ("84a47479706503a46461746190a26964a131a36e7370a12f", |e| {
            matches!(e, E::InvalidAckId)
        }),
        ("84a47479706503a46461746190a26964c0a36e7370a12f", |e| {
            matches!(e, E::InvalidAckId)
        }),
        ("83a47479706500a46461746190a36e7370a12f", |e| {
            matches!(e, E::InvalidPayload(_))
        }),
        ("83a47479706501a46461746190a36e7370a12f", |e| {
            matches!(e, E::UnexpectedPayload(_))
        }),
        ("83a47479706504a46461746101a36e7370a12f", |e| {
            matches!(e, E::InvalidPayload(_))
        }),
        // Binary where the model has none, and a placeholder naming no binary.
        ("83a47479706500a46461746181a161c400a36e7370a12f", |e| {
            matches!(e, E::InvalidPayload(_))
        }),
        (
            "83a47479706502a46461746193a178c400\
          82ac5f706c616365686f6c646572c3a36e756d01a36e7370a12f",
            |e| matches!(e, E::InvalidPlaceholder),
        ),
        // Duplicate known keys.
        ("83a47479706501a47479706501a36e7370a12f", |e| {
            matches!(e, E::InvalidField("duplicate"))
        }),
        // Keys that are neither strings nor integers.
        ("82c3a12fa47479706501", |e| matches!(e, E::InvalidKey)),
        ("83a47479706502a46461746192a17881c0c0a36e7370a12f", |e| {
            matches!(e, E::InvalidKey)
        }),
        // Huge length prefixes over short input.
        ("dfffffffff", |e| matches!(e, E::Truncated)),
        ("83a47479706502a464617461ddffffffffa36e7370a12f", |e| {
            matches!(e, E::Truncated)
        }),
        ("83a47479706502a464617461dfffffffffa36e7370a12f", |e| {
            matches!(e, E::Truncated)
        }),
        ("83a47479706502a46461746192a178c6ffffffff00", |e| {
            matches!(e, E::Truncated)
        }),
        ("83a47479706502a46461746192a178dbffffffff00", |e| {
            matches!(e, E::Truncated)
        }),
        ("83a47479706502a46461746192a178c4ff00", |e| {
            matches!(e, E::Truncated)
        }),
        // Truncated anywhere.
        ("83a47479706502a46461746192a178", |e| {
            matches!(e, E::Truncated)
        }),
        ("83a47479706502a464617461", |e| matches!(e, E::Truncated)),
        ("83a4747970", |e| matches!(e, E::Truncated)),
        ("83a47479706502a46461746192a178cb3ff0", |e| {
            matches!(e, E::Truncated)
        }),
        // Trailing bytes.
        ("82a47479706501a36e7370a12fc0", |e| {
            matches!(e, E::TrailingBytes)
        }),
        // Reserved marker and extensions.
        ("83a47479706502a46461746192a178c1a36e7370a12f", |e| {
            matches!(e, E::InvalidMarker)
        }),
        ("83a47479706502a46461746192a178d40501a36e7370a12f", |e| {
            matches!(e, E::UnsupportedExtension)
        }),
        ("83a47479706502a46461746192a178c70105aaa36e7370a12f", |e| {
            matches!(e, E::UnsupportedExtension)
        }),
        (
            "83a47479706502a46461746192a178d8ff00000000000000000000000000000000a36e7370a12f",
            |e| matches!(e, E::UnsupportedExtension),
        ),
    ];
    for (hex, check) in cases {
        let hex: String = hex.split_whitespace().collect();
        match decode(&h(&hex)) {
            Err(e) => assert!(check(&e), "{hex}: {e:?}"),
            Ok(p) => panic!("{hex}: decoded {p:?}"),
        }
    }
}

fn nested(depth: usize) -> Bytes {
    let mut out = h("83a47479706502a464617461").to_vec();
    out.push(0x92);
    out.extend_from_slice(b"\xa1x");
    out.extend(std::iter::repeat(0x91).take(depth - 2));
    out.push(0x90);
    out.extend_from_slice(&h("a36e7370a12f"));
    Bytes::from(out)
}

#[test]
fn depth_is_bounded() {
    let limits = DecoderLimits::default();
    // `depth` counts the data array: 1024 levels pass, 1025 do not.
    assert!(decode_msgpack(&nested(1024), &limits).is_ok());
    assert!(matches!(
        decode_msgpack(&nested(1025), &limits),
        Err(DecodeError::TooDeep { max_depth: 1024 })
    ));
    // A million levels: refused without a stack overflow.
    assert!(matches!(
        decode_msgpack(&nested(1_000_000), &limits),
        Err(DecodeError::TooDeep { .. })
    ));
    // Deep maps too, and in an ignored key.
    let mut out = h("83a47479706501a36e7370a12fa178").to_vec();
    for _ in 0..2000 {
        out.extend_from_slice(b"\x81\xa1k");
    }
    out.push(0xc0);
    assert!(matches!(
        decode(&Bytes::from(out)),
        Err(DecodeError::TooDeep { .. })
    ));
}

#[test]
fn every_truncation_is_an_error() {
    let packet = event(
        "/nsp",
        json!(["e", {"a": [placeholder(0), 1.5, -7, u64::MAX, "ü"]}, null, true]),
        vec![Bytes::from_static(b"abc")],
        Some(9),
    );
    let bytes = encode_msgpack(&packet);
    for n in 0..bytes.len() {
        assert!(decode(&bytes.slice(..n)).is_err(), "prefix {n}");
    }
    assert_eq!(decode(&bytes).unwrap(), packet);
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn round_trip(
        name in "[a-z]{1,10}",
        args in prop::collection::vec(arb_value(), 0..6),
        bins in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..4),
        ack in prop::option::of(any::<u64>()),
        nsp in "/[a-z]{0,6}",
        kind in 0..5u8,
    ) {
        let mut data = vec![Value::String(name)];
        data.extend(args);
        let attachments: Vec<Bytes> = bins.into_iter().map(Bytes::from).collect();
        data.extend((0..attachments.len()).map(|i| json!({"bin": placeholder(i)})));
        let packet = match kind {
            0 => Packet::connect(nsp, Some(json!({"auth": data}))),
            1 => Packet::disconnect(nsp),
            2 => event(&nsp, Value::Array(data), attachments, ack),
            3 => Packet::ack(nsp, Payload::with_attachments(Value::Array(data), attachments), ack.unwrap_or(0)),
            _ => Packet::connect_error(nsp, json!({"message": "m", "data": data})),
        };
        let bytes = encode_msgpack(&packet);
        prop_assert_eq!(decode(&bytes).unwrap(), packet);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&Bytes::from(bytes));
    }

    #[test]
    fn mutated_packets_never_panic(at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let packet = event("/a", json!(["e", {"k": [1, placeholder(0)]}, "é"]), vec![Bytes::from_static(b"xyz")], Some(3));
        let mut bytes = encode_msgpack(&packet).to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = decode(&Bytes::from(bytes));
    }
}
