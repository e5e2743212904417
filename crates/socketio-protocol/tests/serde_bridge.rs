//! `to_value` / `from_value` / `AnyValue`: typed data with binary anywhere.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio_protocol::{
    encode, from_value, placeholder, to_value, AnyValue, DeError, Decoder, DecoderLimits, Packet,
    Payload, ProtocolRevision, SerError,
};

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct File {
    name: String,
    data: Bytes,
    thumb: Option<Bytes>,
    chunks: Vec<Bytes>,
    #[serde(with = "serde_bytes")]
    raw: Vec<u8>,
    meta: HashMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Msg {
    Ping,
    Blob(Bytes),
    Pair(String, Bytes),
    Frame { seq: u32, body: Bytes },
}

fn file() -> File {
    File {
        name: "a.bin".into(),
        data: b(b"data"),
        thumb: Some(b(b"thumb")),
        chunks: vec![b(b"c0"), b(b""), b(b"c2")],
        raw: vec![0, 255],
        meta: HashMap::from([("size".to_owned(), 4)]),
    }
}

#[test]
fn struct_with_bytes_fields_round_trips_in_depth_first_order() {
    let mut atts = Vec::new();
    let v = to_value(&file(), &mut atts).unwrap();
    assert_eq!(
        v,
        json!({
            "name": "a.bin",
            "data": placeholder(0),
            "thumb": placeholder(1),
            "chunks": [placeholder(2), placeholder(3), placeholder(4)],
            "raw": placeholder(5),
            "meta": {"size": 4},
        })
    );
    assert_eq!(
        atts,
        [
            b(b"data"),
            b(b"thumb"),
            b(b"c0"),
            b(b""),
            b(b"c2"),
            b(&[0, 255])
        ]
    );
    let back: File = from_value(v, &atts).unwrap();
    assert_eq!(back, file());
}

#[test]
fn numbering_continues_from_existing_attachments() {
    let mut atts = vec![b(b"already")];
    let v = to_value(&("ev", b(b"x")), &mut atts).unwrap();
    assert_eq!(v, json!(["ev", placeholder(1)]));
    assert_eq!(atts.len(), 2);
}

#[test]
fn tuples_vecs_enums_and_maps() {
    let args = (
        "upload",
        vec![b(b"1"), b(b"2")],
        Msg::Frame {
            seq: 3,
            body: b(b"body"),
        },
        vec![
            Msg::Ping,
            Msg::Blob(b(b"blob")),
            Msg::Pair("p".into(), b(b"pair")),
        ],
        BTreeMap::from([(7u32, b(b"seven"))]),
        (1u8, -2i64, 0.5f32, 'c', ()),
    );
    let mut atts = Vec::new();
    let v = to_value(&args, &mut atts).unwrap();
    assert_eq!(
        v,
        json!([
            "upload",
            [placeholder(0), placeholder(1)],
            {"Frame": {"seq": 3, "body": placeholder(2)}},
            ["Ping", {"Blob": placeholder(3)}, {"Pair": ["p", placeholder(4)]}],
            {"7": placeholder(5)},
            [1, -2, 0.5, "c", null],
        ])
    );
    type Args = (
        String,
        Vec<Bytes>,
        Msg,
        Vec<Msg>,
        BTreeMap<u32, Bytes>,
        (u8, i64, f32, char, ()),
    );
    let back: Args = from_value(v, &atts).unwrap();
    assert_eq!(back.0, args.0);
    assert_eq!(back.1, args.1);
    assert_eq!(back.2, args.2);
    assert_eq!(back.3, args.3);
    assert_eq!(back.4, args.4);
    assert_eq!(back.5, args.5);
}

#[test]
fn placeholders_read_as_vec_u8_and_arrays() {
    let v = json!([placeholder(0), placeholder(1)]);
    let atts = [b(&[1, 2]), b(&[3, 4, 5])];
    let (a, c): (Vec<u8>, [u8; 3]) = from_value(v.clone(), &atts).unwrap();
    assert_eq!((a, c), (vec![1, 2], [3, 4, 5]));
    let (x, y): (serde_bytes::ByteBuf, Bytes) = from_value(v, &atts).unwrap();
    assert_eq!(x.into_vec(), vec![1, 2]);
    assert_eq!(y, atts[1]);
}

#[test]
fn any_typed_targets_keep_the_placeholder_object() {
    let v = json!(["ev", {"f": placeholder(0)}]);
    let back: Value = from_value(v.clone(), &[b(b"x")]).unwrap();
    assert_eq!(back, v);
    let back: (String, HashMap<String, Value>) = from_value(v, &[b(b"x")]).unwrap();
    assert_eq!(back.1["f"], placeholder(0));
}

#[test]
fn bad_placeholders_where_bytes_are_asked() {
    let r: Result<Bytes, _> = from_value(placeholder(1), &[b(b"x")]);
    assert_eq!(r.unwrap_err(), DeError::InvalidPlaceholder);
    let r: Result<Bytes, _> = from_value(json!({"_placeholder": true, "num": "0"}), &[b(b"x")]);
    assert_eq!(r.unwrap_err(), DeError::InvalidPlaceholder);
    // A string where bytes are asked is read as its UTF-8, as serde_json does.
    let s: Bytes = from_value(json!("hi"), &[]).unwrap();
    assert_eq!(s, b(b"hi"));
    // A placeholder is not a string.
    let r: Result<String, _> = from_value(placeholder(0), &[b(b"x")]);
    assert!(matches!(r, Err(DeError::Custom(_))));
}

#[test]
fn shape_errors_like_serde_json() {
    let r: Result<(String,), _> = from_value(json!(["a", "b"]), &[]);
    assert!(r.is_err());
    let r: Result<(String, u32), _> = from_value(json!(["a"]), &[]);
    assert!(r.is_err());
    let r: Result<u8, _> = from_value(json!(300), &[]);
    assert!(r.is_err());
    let r: Result<Msg, _> = from_value(json!({"Nope": 1}), &[]);
    assert!(r.is_err());
    let r: Result<Msg, _> = from_value(json!({"Ping": null, "Blob": 1}), &[]);
    assert!(r.is_err());
    // Unknown fields are ignored, options may be missing, structs read from arrays.
    #[derive(Deserialize, PartialEq, Debug)]
    struct S {
        a: u32,
        b: Option<String>,
    }
    let s: S = from_value(json!({"a": 1, "zzz": [[[1]]]}), &[]).unwrap();
    assert_eq!(s, S { a: 1, b: None });
    let s: S = from_value(json!([2, "x"]), &[]).unwrap();
    assert_eq!(
        s,
        S {
            a: 2,
            b: Some("x".into())
        }
    );
    let m: HashMap<u16, bool> = from_value(json!({"1": true}), &[]).unwrap();
    assert!(m[&1]);
}

#[test]
fn serializer_matches_serde_json_without_bytes() {
    #[derive(Serialize)]
    struct S<'a> {
        a: Option<u8>,
        b: &'a str,
        c: Vec<(i32, f64)>,
        d: Msg,
        e: HashMap<bool, ()>,
        f: f64,
        g: i128,
        h: u128,
    }
    let s = S {
        a: None,
        b: "x",
        c: vec![(1, 2.5), (-3, 1e300)],
        d: Msg::Ping,
        e: HashMap::from([(true, ())]),
        f: f64::NAN,
        g: -5,
        h: u128::from(u64::MAX),
    };
    let mut atts = Vec::new();
    assert_eq!(
        to_value(&s, &mut atts).unwrap(),
        serde_json::to_value(&s).unwrap()
    );
    assert!(atts.is_empty());
}

#[test]
fn serializer_errors() {
    let mut atts = Vec::new();
    let r = to_value(&HashMap::from([((1, 2), 3)]), &mut atts);
    assert_eq!(r.unwrap_err(), SerError::KeyMustBeAString);
    let r = to_value(&(u128::from(u64::MAX) + 1), &mut atts);
    assert_eq!(r.unwrap_err(), SerError::NumberOutOfRange);
    let r = to_value(&i128::MIN, &mut atts);
    assert_eq!(r.unwrap_err(), SerError::NumberOutOfRange);
}

#[test]
fn any_value_echoes_binary_back() {
    // A client emits ["message", "hi", <01 02>, {"nested": [<03>]}]; the server answers
    // ["message-back", ...same args].
    let mut decoder = Decoder::new(ProtocolRevision::V5, DecoderLimits::default());
    let text = r#"53-["message","hi",{"_placeholder":true,"num":1},{"nested":[{"_placeholder":true,"num":2}],"again":{"_placeholder":true,"num":1}}]"#;
    assert!(decoder.decode_text(text).unwrap().is_none());
    decoder.decode_binary(b(b"unused")).unwrap();
    decoder.decode_binary(b(&[1, 2])).unwrap();
    let packet = decoder.decode_binary(b(&[3])).unwrap().unwrap();
    let payload = packet.payload().unwrap().clone();

    let mut data = payload.data.as_array().unwrap().clone();
    data.remove(0);
    let args: Vec<AnyValue> = from_value(Value::Array(data), &payload.attachments).unwrap();
    assert_eq!(args[1].attachments, [b(&[1, 2])]);
    // Renumbered depth-first, objects in key order (serde_json's `Map` is sorted).
    assert_eq!(args[2].attachments, [b(&[1, 2]), b(&[3])]);
    assert_eq!(
        args[2].value,
        json!({"again": placeholder(0), "nested": [placeholder(1)]})
    );

    let mut atts = Vec::new();
    let data = to_value(&("message-back", &args), &mut atts).unwrap();
    let data = json!([data[0], data[1][0], data[1][1], data[1][2]]);
    let out = encode(
        &Packet::event("/", Payload::with_attachments(data, atts), None),
        ProtocolRevision::V5,
    );
    assert_eq!(
        out.text,
        r#"53-["message-back","hi",{"_placeholder":true,"num":0},{"again":{"_placeholder":true,"num":1},"nested":[{"_placeholder":true,"num":2}]}]"#
    );
    assert_eq!(out.attachments, [b(&[1, 2]), b(&[1, 2]), b(&[3])]);
}

#[test]
fn any_value_from_parts_and_foreign_serializers() {
    let v = json!({"a": [placeholder(2), placeholder(0)], "b": 1});
    let any = AnyValue::from_parts(v, &[b(b"zero"), b(b"one"), b(b"two")]).unwrap();
    assert_eq!(
        any.value,
        json!({"a": [placeholder(0), placeholder(1)], "b": 1})
    );
    assert_eq!(any.attachments, [b(b"two"), b(b"zero")]);
    assert_eq!(
        AnyValue::from_parts(placeholder(3), &[]).unwrap_err(),
        DeError::InvalidPlaceholder
    );
    // serde_json writes bytes as arrays of numbers, and reads no bytes back.
    let text = serde_json::to_string(&any).unwrap();
    assert_eq!(text, r#"{"a":[[116,119,111],[122,101,114,111]],"b":1}"#);
    let plain: AnyValue = serde_json::from_str(&text).unwrap();
    assert!(plain.attachments.is_empty());
    // Without binary it is the value itself.
    let mut atts = Vec::new();
    let v = to_value(&AnyValue::new(json!([1, {"x": null}])), &mut atts).unwrap();
    assert_eq!(v, json!([1, {"x": null}]));
}

#[test]
fn payload_event_helpers() {
    let p = Payload::new(json!(["name", 1, 2]));
    assert_eq!(p.event_name().as_deref(), Some("name"));
    assert_eq!(p.elements().len(), 3);
    assert_eq!(Payload::default().event_name(), None);
    assert!(Payload::default().elements().is_empty());
}
