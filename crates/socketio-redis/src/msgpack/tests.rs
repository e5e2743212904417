//! MessagePack fixtures produced once by notepack.io 3.0.1 (Node 20), with
//! `crates/socketio-redis/fixtures/notepack.js`: each `// JS:` comment is the expression whose
//! `notepack.encode(...)` (or, for decode-only inputs, whose `notepack.decode`) gave the bytes.

use proptest::prelude::*;

use super::*;
use crate::testutil::h;

fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    Value::decode(bytes, &DecodeLimits::default())
}

fn must_decode(bytes: &[u8]) -> Value {
    decode(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value
        .encode(&mut out)
        .unwrap_or_else(|e| panic!("encode failed: {e}"));
    out
}

/// Decodes `fixture`, checks the tree, re-encodes it and expects the same bytes.
fn round_trip(fixture: &str, expected: &Value) {
    let bytes = h(fixture);
    assert_eq!(&must_decode(&bytes), expected, "decoding {fixture}");
    assert_eq!(encode(expected), bytes, "re-encoding {fixture}");
}

fn ints(values: &[i64]) -> Value {
    Value::Array(values.iter().map(|&n| Value::Int(n)).collect())
}

#[test]
fn unsigned_integers_at_every_width_boundary() {
    // JS: [0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53 - 1, 2 ** 64 - 2048]
    let fixture = "9c 00 01 7f cc80 ccff cd0100 cdffff ce00010000 ceffffffff cf0000000100000000 \
                   cf001fffffffffffff cffffffffffffff800";
    let mut expected = match ints(&[
        0,
        1,
        127,
        128,
        255,
        256,
        65535,
        65536,
        4_294_967_295,
        4_294_967_296,
        (1 << 53) - 1,
    ]) {
        Value::Array(items) => items,
        _ => unreachable!(),
    };
    expected.push(Value::UInt(u64::MAX - 2047));
    round_trip(fixture, &Value::Array(expected));
}

#[test]
fn negative_integers_at_every_width_boundary() {
    // JS: [-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -(2 ** 53 - 1), -(2 ** 63)]
    let fixture = "9b ff e0 d0df d080 d1ff7f d18000 d2ffff7fff d280000000 d3ffffffff7fffffff \
                   d3ffe0000000000001 d38000000000000000";
    round_trip(
        fixture,
        &ints(&[
            -1,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            -2_147_483_648,
            -2_147_483_649,
            -((1 << 53) - 1),
            i64::MIN,
        ]),
    );
}

#[test]
fn floats_are_float64_and_integral_numbers_ints() {
    // JS: [1.5, -1.5, 0.1, NaN, Infinity, -Infinity, 1e300, 5e-324, 2 ** 64]
    let fixture = h(
        "99 cb3ff8000000000000 cbbff8000000000000 cb3fb999999999999a \
                     cb7ff8000000000000 cb7ff0000000000000 cbfff0000000000000 \
                     cf0000000000000000 cb0000000000000001 cf0000000000000000",
    );
    let Value::Array(items) = must_decode(&fixture) else {
        panic!("not an array")
    };
    let floats: Vec<f64> = items
        .iter()
        .map(|v| match v {
            Value::Float(f) => *f,
            Value::Int(n) => *n as f64,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(floats[..3], [1.5, -1.5, 0.1]);
    assert!(floats[3].is_nan());
    assert_eq!(floats[4..6], [f64::INFINITY, f64::NEG_INFINITY]);
    // notepack writes the integral 1e300 and 2**64 as a wrapped `u64` 0: its bug, read as is.
    assert_eq!(items[6], Value::Int(0));
    assert_eq!(floats[7], 5e-324);
    assert_eq!(items[8], Value::Int(0));

    // Writing the same numbers: byte for byte, but for the two notepack garbles.
    let mut out = Vec::new();
    write_array_len(&mut out, 9).ok();
    for f in [1.5, -1.5, 0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        write_number(&mut out, f);
    }
    write_number(&mut out, 1e300);
    write_number(&mut out, 5e-324);
    write_number(&mut out, 18_446_744_073_709_551_616.0);
    let mut expected = fixture.clone();
    // Here 1e300 and 2**64 are float 64.
    expected.splice(55..64, h("cb7e37e43c8800759c"));
    expected.splice(73..82, h("cb43f0000000000000"));
    assert_eq!(out, expected);
}

#[test]
fn negative_zero_and_integral_floats_encode_as_ints() {
    // JS: -0
    let mut out = Vec::new();
    write_number(&mut out, -0.0);
    assert_eq!(out, h("00"));
    assert_eq!(encode(&Value::Float(-0.0)), h("00"));
    assert_eq!(encode(&Value::Float(1.0)), h("01"));
    assert_eq!(encode(&Value::Float(-33.0)), h("d0df"));
    assert_eq!(
        encode(&Value::Float(4_294_967_296.0)),
        h("cf0000000100000000")
    );
    assert_eq!(
        encode(&Value::Float(-9_223_372_036_854_775_808.0)),
        h("d38000000000000000")
    );
    assert_eq!(encode(&Value::Float(0.5)), h("cb3fe0000000000000"));
}

#[test]
fn nil_undefined_and_booleans() {
    // JS: [null, undefined, true, false]
    round_trip(
        "94 c0 c0 c3 c2",
        &Value::Array(vec![
            Value::Nil,
            Value::Nil,
            Value::Bool(true),
            Value::Bool(false),
        ]),
    );
}

#[test]
fn strings_at_every_width_boundary() {
    // JS: 'a'.repeat(n) for n in 0, 31, 32, 255, 256
    for (n, header) in [
        (0, "a0"),
        (31, "bf"),
        (32, "d920"),
        (255, "d9ff"),
        (256, "da0100"),
    ] {
        let fixture = format!("{header}{}", "61".repeat(n));
        round_trip(&fixture, &Value::Str("a".repeat(n)));
    }
    // JS: 'a'.repeat(65535) and 'a'.repeat(65536): headers daffff (65538 bytes in all) and
    // db00010000 (65541 bytes).
    for (n, header, total) in [(65535, "daffff", 65538), (65536, "db00010000", 65541)] {
        let bytes = encode(&Value::Str("a".repeat(n)));
        assert_eq!(bytes.len(), total);
        assert_eq!(bytes[..header.len() / 2], h(header)[..]);
        assert!(bytes[header.len() / 2..].iter().all(|&b| b == b'a'));
        assert_eq!(must_decode(&bytes), Value::Str("a".repeat(n)));
    }
}

#[test]
fn utf8_strings() {
    // JS: ['é', '€', '😀', 'a\u0000b']
    round_trip(
        "94 a2c3a9 a3e282ac a4f09f9880 a3610062",
        &Value::Array(
            ["é", "€", "😀", "a\0b"]
                .iter()
                .map(|s| Value::Str((*s).to_owned()))
                .collect(),
        ),
    );
}

#[test]
fn binary_of_every_kind() {
    // JS: [Buffer.alloc(0), Buffer.from([1, 2, 3]), new Uint8Array([4, 5]).buffer, new Uint8Array([6])]
    round_trip(
        "94 c400 c403010203 c4020405 c40106",
        &Value::Array(vec![
            Value::Bin(Bytes::new()),
            Value::Bin(Bytes::from_static(&[1, 2, 3])),
            Value::Bin(Bytes::from_static(&[4, 5])),
            Value::Bin(Bytes::from_static(&[6])),
        ]),
    );
    // JS: Buffer.alloc(256, 7) → c50100…, 259 bytes; Buffer.alloc(65536, 7) → c600010000…,
    // 65541 bytes.
    for (n, header) in [(256, "c50100"), (65536, "c600010000")] {
        let value = Value::Bin(Bytes::from(vec![7u8; n]));
        let bytes = encode(&value);
        assert_eq!(bytes.len(), n + header.len() / 2);
        assert_eq!(bytes[..header.len() / 2], h(header)[..]);
        assert_eq!(must_decode(&bytes), value);
    }
}

#[test]
fn nested_buffers() {
    // JS: ['ev', Buffer.from([1, 2, 3]), { a: { b: Buffer.from([0xff]), c: [new Uint8Array([9, 8]).buffer] } }]
    round_trip(
        "93 a26576 c403010203 81 a161 82 a162 c401ff a163 91 c4020908",
        &Value::Array(vec![
            Value::Str("ev".into()),
            Value::Bin(Bytes::from_static(&[1, 2, 3])),
            Value::Map(vec![(
                "a".into(),
                Value::Map(vec![
                    ("b".into(), Value::Bin(Bytes::from_static(&[0xff]))),
                    (
                        "c".into(),
                        Value::Array(vec![Value::Bin(Bytes::from_static(&[9, 8]))]),
                    ),
                ]),
            )]),
        ]),
    );
}

#[test]
fn dates_as_timestamps() {
    // JS: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))  (timestamp 64)
    round_trip("d7ffa1a5d60065937d25", &Value::Date(1_704_164_645_678));
    // JS: new Date(Date.UTC(2024, 0, 2, 3, 4, 5))  (timestamp 32)
    round_trip("d6ff65937d25", &Value::Date(1_704_164_645_000));
    // JS: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999))  (timestamp 96)
    round_trip("c70cff3b8b87c0ffffffffffffffff", &Value::Date(-1));
    // JS: new Date(8.64e15), new Date(-8.64e15)  (timestamp 96, JavaScript's extremes)
    round_trip(
        "c70cff00000000000007dba8218000",
        &Value::Date(8_640_000_000_000_000),
    );
    round_trip(
        "c70cff00000000fffff82457de8000",
        &Value::Date(-8_640_000_000_000_000),
    );
}

#[test]
fn iso_strings_match_json_stringify() {
    // JS: JSON.stringify(new Date(ms)) for each ms.
    for (ms, iso) in [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (951_868_800_000, "2000-03-01T00:00:00.000Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (-62_167_219_200_001, "-000001-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
        (-2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
        (4_102_444_800_000, "2100-01-01T00:00:00.000Z"),
        (1_704_164_645_678, "2024-01-02T03:04:05.678Z"),
        (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
        (-8_640_000_000_000_000, "-271821-04-20T00:00:00.000Z"),
    ] {
        assert_eq!(iso_string(ms), iso, "{ms}");
    }
}

#[test]
fn undefined_properties_are_left_out_by_the_encoder() {
    // JS: { a: undefined, b: 1, f() {}, c: [undefined, null] }
    round_trip(
        "82 a162 01 a163 92 c0 c0",
        &Value::Map(vec![
            ("b".into(), Value::Int(1)),
            ("c".into(), Value::Array(vec![Value::Nil, Value::Nil])),
        ]),
    );
}

#[test]
fn containers_at_width_boundaries_and_key_order() {
    // JS: { s: { toJSON() { return 'x'; } }, d: [1] }  (insertion order kept)
    round_trip(
        "82 a173 a178 a164 9101",
        &Value::Map(vec![
            ("s".into(), Value::Str("x".into())),
            ("d".into(), ints(&[1])),
        ]),
    );
    // JS: Array(15).fill(1), Array(16).fill(1)
    round_trip(&format!("9f{}", "01".repeat(15)), &ints(&[1; 15]));
    round_trip(&format!("dc0010{}", "01".repeat(16)), &ints(&[1; 16]));
    // JS: an object with keys k0..kf holding 0..15
    let fixture = format!(
        "de0010{}",
        (0..16)
            .map(|i| format!("a26b{:02x}{i:02x}", u32::from(b"0123456789abcdef"[i])))
            .collect::<String>()
    );
    let map16 = Value::Map(
        (0..16)
            .map(|i| (format!("k{i:x}"), Value::Int(i)))
            .collect(),
    );
    round_trip(&fixture, &map16);
    // JS: { 2: 'b', 1: 'a', x: 'c' }  (integer-like keys first, ascending)
    round_trip(
        "83 a131 a161 a132 a162 a178 a163",
        &Value::Map(vec![
            ("1".into(), Value::Str("a".into())),
            ("2".into(), Value::Str("b".into())),
            ("x".into(), Value::Str("c".into())),
        ]),
    );
}

#[test]
fn decode_only_forms_read_as_notepack_reads_them() {
    let cases: Vec<(&str, Value)> = vec![
        // notepack 2.x `undefined`, alone and in a map: JS [null, null] and {b: 1} after
        // JSON.stringify (the tree keeps the key with nil).
        ("92 d40000 c0", Value::Array(vec![Value::Nil, Value::Nil])),
        (
            "82 a161 d40000 a162 01",
            Value::Map(vec![("a".into(), Value::Nil), ("b".into(), Value::Int(1))]),
        ),
        // notepack 2.x date in ms: JS "2024-01-02T05:45:34.142Z"
        ("d700 0000018cc8b4b0be", Value::Date(1_704_174_334_142)),
        // notepack 2.x ArrayBuffer (ext 8 / ext 16, type 0)
        ("c703 00 010203", Value::Bin(Bytes::from_static(&[1, 2, 3]))),
        ("c80002 00 01ff", Value::Bin(Bytes::from_static(&[1, 0xff]))),
        // unknown extensions: JS [5, <Buffer 01 02>], [0, <Buffer 01 02 03 04>], [5, <Buffer 07>]
        ("d505 0102", Value::Ext(5, Bytes::from_static(&[1, 2]))),
        (
            "d600 01020304",
            Value::Ext(0, Bytes::from_static(&[1, 2, 3, 4])),
        ),
        ("d405 07", Value::Ext(5, Bytes::from_static(&[7]))),
        // ext 16 of type -1 is not a timestamp for notepack: JS [-1, <Buffer 00 … 01>]
        (
            "c8000cff 000000000000000000000001",
            Value::Ext(
                -1,
                Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ),
        ),
        // timestamp 96 with a wrong length byte: notepack reads 12 bytes anyway, JS 1970-01-01T00:00:01.000Z
        ("c708ff 000000000000000000000001", Value::Date(1000)),
        // timestamp 64, 999999999 ns: JS 1970-01-01T00:00:01.999Z
        ("d7ff ee6b27fc 00000001", Value::Date(1999)),
        // timestamp 64 at 2^34-1 s + 999999999 ns: JavaScript's doubles round up,
        // JS 2514-05-30T01:53:04.000Z
        ("d7ff ee6b27ff ffffffff", Value::Date(17_179_869_184_000)),
        // timestamp 96 at -1 s + 999999999 ns: -0.000001 ms truncates to 0, JS 1970-01-01T00:00:00.000Z
        ("c70cff 3b9ac9ff ffffffffffffffff", Value::Date(0)),
        // timestamp 96 past JavaScript's range: JS an invalid Date (JSON null)
        ("c70cff 00000000 7fffffffffffffff", Value::Nil),
        // integer key: JS {"123": 1}
        ("81 7b 01", Value::Map(vec![("123".into(), Value::Int(1))])),
        // invalid UTF-8: JS "\ufffd("
        ("a2 c328", Value::Str("\u{fffd}(".into())),
        // u64 max and i64 min keep their bits (JS rounds them to doubles)
        ("cf ffffffffffffffff", Value::UInt(u64::MAX)),
        ("d3 8000000000000000", Value::Int(i64::MIN)),
        // float 32: JS 1.5
        ("ca 3fc00000", Value::Float(1.5)),
    ];
    for (fixture, expected) in cases {
        assert_eq!(must_decode(&h(fixture)), expected, "{fixture}");
    }
    assert_eq!(iso_string(1_704_174_334_142), "2024-01-02T05:45:34.142Z");
    assert_eq!(iso_string(17_179_869_184_000), "2514-05-30T01:53:04.000Z");
}

#[test]
fn notepack_errors_are_errors() {
    // JS: notepack.decode throws "1 trailing bytes", "Could not parse", and (for a map key
    // that is a map) makes "[object Object]", refused here.
    assert_eq!(
        decode(&h("c0c0")),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    assert_eq!(
        decode(&h("c1")),
        Err(DecodeError::InvalidMarker {
            marker: 0xc1,
            offset: 0
        })
    );
    assert_eq!(
        decode(&h("81 81a16101 a162")),
        Err(DecodeError::InvalidKey { offset: 1 })
    );
    assert_eq!(decode(&[]), Err(DecodeError::Truncated { offset: 0 }));
}

// ---------------------------------------------------------------------------------------------
// Hostile input

/// Every fixture above, for the truncation sweep.
const FIXTURES: &[&str] = &[
    "9c00017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf001fffffffffffffcffffffffffffff800",
    "9bffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000001d38000000000000000",
    "99cb3ff8000000000000cbbff8000000000000cb3fb999999999999acb7ff8000000000000cb7ff0000000000000cbfff0000000000000cf0000000000000000cb0000000000000001cf0000000000000000",
    "94a2c3a9a3e282aca4f09f9880a3610062",
    "94c400c403010203c4020405c40106",
    "93a26576c40301020381a16182a162c401ffa16391c4020908",
    "d7ffa1a5d60065937d25",
    "d6ff65937d25",
    "c70cff3b8b87c0ffffffffffffffff",
    "82a16201a16392c0c0",
    "de0010a26b3000a26b3101a26b3202a26b3303a26b3404a26b3505a26b3606a26b3707a26b3808a26b3909a26b610aa26b620ba26b630ca26b640da26b650ea26b660f",
    "d7000000018cc8b4b0be",
    "c70300010203",
    "c8000cff000000000000000000000001",
];

#[test]
fn every_truncation_of_every_fixture_is_an_error() {
    for fixture in FIXTURES {
        let bytes = h(fixture);
        assert!(decode(&bytes).is_ok(), "{fixture}");
        for len in 0..bytes.len() {
            match decode(&bytes[..len]) {
                Err(DecodeError::Truncated { .. }) => {}
                other => panic!("{fixture} cut at {len}: {other:?}"),
            }
        }
    }
}

#[test]
fn huge_length_prefixes_are_refused_without_allocating() {
    for fixture in [
        "dd ffffffff 01 02 03 04 05", // array 32 of 2^32-1
        "df ffffffff 01 02 03 04 05", // map 32
        "dc ffff 01",                 // array 16
        "de ffff 01 02",              // map 16
        "db ffffffff 61 62",          // str 32
        "c6 ffffffff 61 62",          // bin 32
        "c9 ffffffff 05 61",          // ext 32
        "c8 ffff 05 61",              // ext 16
        "9f 01",                      // fixarray of 15, 1 element
        "8f 01 01",                   // fixmap of 15, 1 entry
        "91",                         // fixarray of 1, nothing
    ] {
        assert!(
            matches!(decode(&h(fixture)), Err(DecodeError::Truncated { .. })),
            "{fixture}"
        );
    }
    // Nested containers each claiming (nearly) the whole rest of the input: refused cheaply,
    // with little reserved up front whatever the claims.
    let mut nested = Vec::new();
    for i in 0..1000u32 {
        nested.push(0xdd);
        nested.extend_from_slice(&(5 * (1000 - i) - 5).to_be_bytes());
    }
    assert!(decode(&nested).is_err());
}

#[test]
fn nesting_is_bounded() {
    let deep = |levels: usize| {
        let mut bytes = vec![0x91; levels];
        bytes.push(0xc0);
        bytes
    };
    assert!(decode(&deep(1024)).is_ok());
    assert_eq!(decode(&deep(1025)), Err(DecodeError::TooDeep { max: 1024 }));
    assert_eq!(
        decode(&deep(100_000)),
        Err(DecodeError::TooDeep { max: 1024 })
    );
    // Empty containers count as a level too, and maps as arrays.
    let mut maps = [0x81, 0xa1, b'k'].repeat(4);
    maps.push(0x80);
    let limits = DecodeLimits::default().with_max_depth(4);
    assert_eq!(
        Value::decode(&maps, &limits),
        Err(DecodeError::TooDeep { max: 4 })
    );
    assert!(Value::decode(&maps, &limits.with_max_depth(5)).is_ok());
}

#[test]
fn size_limit_is_applied_first() {
    let mut big = Vec::new();
    write_bin(&mut big, &vec![0u8; 2 * 1024 * 1024]).ok();
    assert!(decode(&big).is_ok());
    let limits = DecodeLimits::default().with_max_len(1024 * 1024);
    assert_eq!(
        Value::decode(&big, &limits),
        Err(DecodeError::TooLarge {
            len: big.len(),
            max: 1024 * 1024
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        any::<f64>()
            .prop_filter("integral floats encode as ints", |f| f.fract() != 0.0
                || !f.is_finite())
            .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
            .prop_map(Value::Float),
        ".{0,40}".prop_map(Value::Str),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| Value::Bin(Bytes::from(b))),
        (-8_640_000_000_000_000i64..=8_640_000_000_000_000).prop_map(Value::Date),
        (
            any::<i8>().prop_filter("0 and -1 are notepack's", |k| *k > 0 || *k < -1),
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(k, b)| Value::Ext(k, Bytes::from(b))),
    ];
    leaf.prop_recursive(6, 200, 20, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..20).prop_map(Value::Array),
            prop::collection::vec((".{0,10}", inner), 0..20).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_value_back(value in arb_value()) {
        let bytes = encode(&value);
        prop_assert_eq!(decode(&bytes), Ok(value));
    }

    #[test]
    fn numbers_round_trip_through_the_js_rule(f in any::<f64>()) {
        let mut bytes = Vec::new();
        write_number(&mut bytes, f);
        let back = match must_decode(&bytes) {
            Value::Int(n) => n as f64,
            Value::UInt(n) => n as f64,
            Value::Float(f) => f,
            other => panic!("{other:?}"),
        };
        prop_assert!(back == f || (back.is_nan() && f.is_nan()));
        // Integral values never take float 64 when an int holds them.
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18 {
            prop_assert_ne!(bytes[0], 0xcb);
        }
    }

    #[test]
    fn integers_take_the_smallest_form(n in any::<i64>()) {
        let mut bytes = Vec::new();
        write_int(&mut bytes, n);
        prop_assert_eq!(must_decode(&bytes), Value::Int(n));
        let expected_len = match n {
            -32..=127 => 1,
            128..=255 | -128..=-33 => 2,
            256..=65535 | -32768..=-129 => 3,
            65536..=4_294_967_295 | -2_147_483_648..=-32769 => 5,
            _ => 9,
        };
        prop_assert_eq!(bytes.len(), expected_len);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        let mut reader = Reader::new(&bytes);
        while reader.read_token().is_ok() {}
    }

    #[test]
    fn valid_messages_with_one_byte_changed_never_panic(
        value in arb_value(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = encode(&value);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = decode(&bytes);
    }
}
