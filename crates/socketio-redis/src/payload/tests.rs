//! The MessagePack ↔ payload bridge. Fixtures were produced once by notepack.io 3.0.1 (Node
//! 20) with `crates/socketio-redis/fixtures/notepack.js`; each `// JS:` comment is the
//! expression passed to `notepack.encode` (or, decode-only, the bytes given to
//! `notepack.decode` and what `JSON.stringify` made of the result).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::testutil::h;

fn decode(bytes: &[u8]) -> Result<Payload, DecodeError> {
    decode_payload(bytes, &DecodeLimits::default())
}

fn must_decode(bytes: &[u8]) -> Payload {
    decode(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn encode(payload: &Payload) -> Vec<u8> {
    let mut out = Vec::new();
    encode_payload(&mut out, payload).unwrap_or_else(|e| panic!("encode failed: {e}"));
    out
}

fn ph(n: usize) -> Value {
    placeholder(n)
}

#[test]
fn nested_buffers_become_placeholders_and_back() {
    // JS: ['ev', Buffer.from([1, 2, 3]), { a: { b: Buffer.from([0xff]), c: [new Uint8Array([9, 8]).buffer] } }]
    let fixture = h("93 a26576 c403010203 81 a161 82 a162 c401ff a163 91 c4020908");
    let payload = must_decode(&fixture);
    assert_eq!(
        payload.data,
        json!(["ev", ph(0), {"a": {"b": ph(1), "c": [ph(2)]}}])
    );
    assert_eq!(
        payload.attachments,
        [
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[0xff]),
            Bytes::from_static(&[9, 8])
        ]
    );
    // Keys were already in sorted order: the same bytes come back.
    assert_eq!(encode(&payload), fixture);
}

#[test]
fn what_a_node_client_would_see() {
    // JS: [1.5, -1.5, 0.1, NaN, Infinity, -Infinity, 1e300, 5e-324, 2 ** 64]
    // JSON.stringify gives [1.5,-1.5,0.1,null,null,null,0,5e-324,0] (notepack garbles 1e300
    // and 2 ** 64 into 0).
    let payload = must_decode(&h(
        "99 cb3ff8000000000000 cbbff8000000000000 cb3fb999999999999a cb7ff8000000000000 \
         cb7ff0000000000000 cbfff0000000000000 cf0000000000000000 cb0000000000000001 \
         cf0000000000000000",
    ));
    assert_eq!(
        payload.data,
        json!([1.5, -1.5, 0.1, null, null, null, 0, 5e-324, 0])
    );
    assert_eq!(
        serde_json::to_string(&payload.data).ok().as_deref(),
        Some("[1.5,-1.5,0.1,null,null,null,0,5e-324,0]")
    );
    // An integral float 64 prints as an integer, as JSON.stringify prints it.
    let one = must_decode(&h("92 cb3ff0000000000000 cb8000000000000000"));
    assert_eq!(
        serde_json::to_string(&one.data).ok().as_deref(),
        Some("[1,0]")
    );

    // JS: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) → "2024-01-02T03:04:05.678Z"
    assert_eq!(
        must_decode(&h("d7ffa1a5d60065937d25")).data,
        json!("2024-01-02T03:04:05.678Z")
    );
    // An invalid Date → null.
    assert_eq!(
        must_decode(&h("c70cff000000007fffffffffffffff")).data,
        Value::Null
    );
    // notepack 2.x: decode '92d40000c0' → [null,null]; '82a161d40000a16201' → {"b":1};
    // 'd7000000018cc8b4b0be' → "2024-01-02T05:45:34.142Z".
    assert_eq!(must_decode(&h("92 d40000 c0")).data, json!([null, null]));
    assert_eq!(
        must_decode(&h("82 a161 d40000 a162 01")).data,
        json!({"b": 1})
    );
    assert_eq!(
        must_decode(&h("d700 0000018cc8b4b0be")).data,
        json!("2024-01-02T05:45:34.142Z")
    );
    // A later `undefined` wins over an earlier value of the same key.
    assert_eq!(must_decode(&h("82 a161 01 a161 d40000")).data, json!({}));
    // u64 and i64 keep their bits.
    assert_eq!(
        must_decode(&h("92 cfffffffffffffffff d38000000000000000")).data,
        json!([u64::MAX, i64::MIN])
    );
}

#[test]
fn extensions_carry_their_bytes_as_attachments() {
    // JS: decode 'd5050102' → [5, <Buffer 01 02>]; 'c70300010203' → an ArrayBuffer [1, 2, 3].
    let ext = must_decode(&h("d505 0102"));
    assert_eq!(ext.data, json!([5, ph(0)]));
    assert_eq!(ext.attachments, [Bytes::from_static(&[1, 2])]);
    let legacy = must_decode(&h("c703 00 010203"));
    assert_eq!(legacy.data, ph(0));
    assert_eq!(legacy.attachments, [Bytes::from_static(&[1, 2, 3])]);
}

#[test]
fn numbers_encode_by_the_javascript_rule() {
    // JS: [0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53 - 1, 2 ** 64 - 2048]
    let fixture = h("9c 00 01 7f cc80 ccff cd0100 cdffff ce00010000 ceffffffff \
                     cf0000000100000000 cf001fffffffffffff cffffffffffffff800");
    let payload = must_decode(&fixture);
    assert_eq!(encode(&payload), fixture);
    // JS: [-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -(2 ** 53 - 1), -(2 ** 63)]
    let fixture = h("9b ff e0 d0df d080 d1ff7f d18000 d2ffff7fff d280000000 \
                     d3ffffffff7fffffff d3ffe0000000000001 d38000000000000000");
    assert_eq!(encode(&must_decode(&fixture)), fixture);
    // serde_json floats: integral ones as ints, like JavaScript numbers.
    assert_eq!(
        encode(&Payload::new(json!([2.0, -0.0, 1.5, 1e300]))),
        h("94 02 00 cb3ff8000000000000 cb7e37e43c8800759c")
    );
}

#[test]
fn key_order_is_sorted_where_node_keeps_insertion_order() {
    // JS: { s: { toJSON() { return 'x'; } }, d: [1] } → 82 a173 a178 a164 9101; decoded by
    // key, re-encoded sorted.
    let payload = must_decode(&h("82 a173 a178 a164 9101"));
    assert_eq!(payload.data, json!({"s": "x", "d": [1]}));
    assert_eq!(encode(&payload), h("82 a164 9101 a173 a178"));
    // JS: { 2: 'b', 1: 'a', x: 'c' }: JavaScript's order is sorted already.
    let fixture = h("83 a131 a161 a132 a162 a178 a163");
    assert_eq!(encode(&must_decode(&fixture)), fixture);
}

#[test]
fn placeholders_that_name_nothing() {
    let mut out = Vec::new();
    let missing = Payload::with_attachments(json!(["x", ph(1)]), vec![Bytes::new()]);
    assert!(matches!(
        encode_payload(&mut out, &missing),
        Err(EncodeError::MissingAttachment { index: 1, count: 1 })
    ));
    // `_placeholder: true` without a valid `num` is not a placeholder: a plain map.
    let invalid = Payload::new(json!({"_placeholder": true, "num": -1}));
    let bytes = encode(&invalid);
    assert_eq!(must_decode(&bytes).data, invalid.data);
}

#[test]
fn buffers_to_json_is_node_buffer_to_json() {
    let payload = Payload::with_attachments(
        json!(["ev", ph(0), {"k": [ph(1)]}]),
        vec![Bytes::from_static(&[1, 255]), Bytes::new()],
    );
    assert_eq!(
        buffers_to_json(&payload),
        json!(["ev", {"type": "Buffer", "data": [1, 255]}, {"k": [{"type": "Buffer", "data": []}]}])
    );
    assert_eq!(buffers_to_json(&Payload::new(json!(["a"]))), json!(["a"]));
}

#[test]
fn hostile_input() {
    let fixture = h("93 a26576 c403010203 81 a161 82 a162 c401ff a163 91 c4020908");
    for len in 0..fixture.len() {
        assert!(
            matches!(decode(&fixture[..len]), Err(DecodeError::Truncated { .. })),
            "cut at {len}"
        );
    }
    // Map keys must be strings or integers.
    for key in ["c0", "c3", "cb3ff8000000000000", "c400", "90", "80"] {
        assert!(
            matches!(
                decode(&h(&format!("81 {key} 01"))),
                Err(DecodeError::InvalidKey { .. })
            ),
            "{key}"
        );
    }
    // Depth: an extension pair counts as a level.
    let limits = DecodeLimits::default().with_max_depth(2);
    assert!(decode_payload(&h("91 d50501 02"), &limits).is_ok());
    assert_eq!(
        decode_payload(&h("91 91 d50501 02"), &limits).map(|p| p.data),
        Err(DecodeError::TooDeep { max: 2 })
    );
    let deep = [vec![0x91; 5000], vec![0xc0]].concat();
    assert_eq!(
        decode(&deep).map(|p| p.data),
        Err(DecodeError::TooDeep { max: 1024 })
    );
}

#[test]
fn two_mib_payloads() {
    // One 2 MiB binary.
    let big =
        Payload::with_attachments(json!(["big", ph(0)]), vec![Bytes::from(vec![7u8; 2 << 20])]);
    let bytes = encode(&big);
    assert_eq!(must_decode(&bytes), big);
    assert!(matches!(
        decode_payload(&bytes, &DecodeLimits::default().with_max_len(1 << 20)),
        Err(DecodeError::TooLarge { .. })
    ));
    // Two million tiny elements.
    let mut many = Vec::new();
    msgpack::write_array_len(&mut many, 2 << 20).ok();
    many.resize(many.len() + (2 << 20), 0x01);
    let payload = must_decode(&many);
    assert_eq!(payload.elements().len(), 2 << 20);
}

// ---------------------------------------------------------------------------------------------
// Properties

/// A JSON tree with binary leaves, turned into a payload by numbering the binaries in
/// document order (serde_json's sorted key order), as the decoder numbers them.
#[derive(Debug, Clone)]
enum Node {
    Leaf(Value),
    Bin(Vec<u8>),
    Array(Vec<Node>),
    Object(BTreeMap<String, Node>),
}

fn to_payload(node: &Node) -> Payload {
    fn walk(node: &Node, attachments: &mut Vec<Bytes>) -> Value {
        match node {
            Node::Leaf(v) => v.clone(),
            Node::Bin(b) => {
                attachments.push(Bytes::from(b.clone()));
                ph(attachments.len() - 1)
            }
            Node::Array(items) => {
                Value::Array(items.iter().map(|n| walk(n, attachments)).collect())
            }
            Node::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, n)| (k.clone(), walk(n, attachments)))
                    .collect(),
            ),
        }
    }
    let mut attachments = Vec::new();
    let data = walk(node, &mut attachments);
    Payload::with_attachments(data, attachments)
}

fn arb_node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        Just(Node::Leaf(Value::Null)),
        any::<bool>().prop_map(|b| Node::Leaf(Value::Bool(b))),
        any::<i64>().prop_map(|n| Node::Leaf(Value::from(n))),
        any::<u64>().prop_map(|n| Node::Leaf(Value::from(n))),
        any::<f64>()
            .prop_filter("finite, non-integral", |f| f.is_finite()
                && f.fract() != 0.0)
            .prop_map(|f| Node::Leaf(Value::from(f))),
        ".{0,40}".prop_map(|s| Node::Leaf(Value::String(s))),
        prop::collection::vec(any::<u8>(), 0..100).prop_map(Node::Bin),
    ];
    leaf.prop_recursive(6, 200, 12, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..12).prop_map(Node::Array),
            prop::collection::btree_map("[a-z_]{0,8}", inner, 0..12).prop_map(Node::Object),
        ]
    })
}

proptest! {
    #[test]
    fn payload_round_trips(node in arb_node()) {
        let payload = to_payload(&node);
        let bytes = encode(&payload);
        let back = decode(&bytes);
        prop_assert_eq!(back.as_ref().ok(), Some(&payload));
        // And the bytes are stable.
        if let Ok(back) = back {
            prop_assert_eq!(encode(&back), bytes);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }
}
