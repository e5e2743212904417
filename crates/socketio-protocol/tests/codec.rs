//! Wire strings from the Socket.IO protocol specs (revisions 5 and 4), every validation rule
//! of socket.io-parser 4.2, and binary reassembly.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use serde_json::{json, Value};
use socketio_protocol::{
    encode, placeholder, DecodeError, Decoder, DecoderLimits, Packet, PacketData, PacketType,
    Payload,
    ProtocolRevision::{self, V4, V5},
};

fn decoder(rev: ProtocolRevision) -> Decoder {
    Decoder::new(rev, DecoderLimits::default())
}

/// Decodes `text` then `binaries`, expecting exactly one packet at the end.
fn decode(rev: ProtocolRevision, text: &str, binaries: &[&'static [u8]]) -> Packet {
    let mut d = decoder(rev);
    let mut out = d.decode_text(text).unwrap();
    for (i, b) in binaries.iter().enumerate() {
        assert!(out.is_none(), "packet complete before attachment {i}");
        assert!(d.is_pending());
        assert_eq!(d.missing_attachments(), binaries.len() - i);
        out = d.decode_binary(Bytes::from_static(b)).unwrap();
    }
    assert!(!d.is_pending());
    out.expect("a complete packet")
}

fn decode_err(rev: ProtocolRevision, text: &str) -> DecodeError {
    decoder(rev).decode_text(text).unwrap_err()
}

/// The packet decodes to `expected` and encodes back to the same wire form.
fn wire(rev: ProtocolRevision, text: &str, binaries: &[&'static [u8]], expected: Packet) {
    let packet = decode(rev, text, binaries);
    assert_eq!(packet, expected, "decoding {text}");
    let encoded = encode(&expected, rev);
    assert_eq!(encoded.text, text, "encoding {expected:?}");
    let attachments: Vec<Bytes> = binaries.iter().map(|b| Bytes::from_static(b)).collect();
    assert_eq!(encoded.attachments, attachments);
}

fn event(nsp: &str, data: Value, ack: Option<u64>) -> Packet {
    Packet::event(nsp, Payload::new(data), ack)
}

fn bin_event(nsp: &str, data: Value, atts: &[&'static [u8]], ack: Option<u64>) -> Packet {
    let atts = atts.iter().map(|b| Bytes::from_static(b)).collect();
    Packet::event(nsp, Payload::with_attachments(data, atts), ack)
}

fn bin_ack(nsp: &str, data: Value, atts: &[&'static [u8]], ack: u64) -> Packet {
    let atts = atts.iter().map(|b| Bytes::from_static(b)).collect();
    Packet::ack(nsp, Payload::with_attachments(data, atts), ack)
}

fn ack(nsp: &str, data: Value, id: u64) -> Packet {
    Packet::ack(nsp, Payload::new(data), id)
}

fn v4_connect(nsp: &str, query: Option<&str>) -> Packet {
    Packet {
        query: query.map(str::to_owned),
        ..Packet::connect(nsp, None)
    }
}

// --- Protocol 5 spec, "Packet encoding" tables and the sample session -----------------------

#[test]
fn v5_spec_connect() {
    wire(V5, "0", &[], Packet::connect("/", None));
    let sid = json!({"sid": "wZX3oN0bSVIhsaknAAAI"});
    wire(
        V5,
        r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
        &[],
        Packet::connect("/", Some(sid)),
    );
    wire(V5, "0/admin,", &[], Packet::connect("/admin", None));
    let sid = json!({"sid": "oSO0OpakMV_3jnilAAAA"});
    wire(
        V5,
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        &[],
        Packet::connect("/admin", Some(sid)),
    );
    wire(
        V5,
        r#"0/admin,{"token":"123"}"#,
        &[],
        Packet::connect("/admin", Some(json!({"token": "123"}))),
    );
    wire(
        V5,
        r#"4{"message":"Not authorized"}"#,
        &[],
        Packet::connect_error("/", json!({"message": "Not authorized"})),
    );
}

#[test]
fn v5_spec_events() {
    wire(V5, r#"2["foo"]"#, &[], event("/", json!(["foo"]), None));
    wire(
        V5,
        r#"2/admin,["bar"]"#,
        &[],
        event("/admin", json!(["bar"]), None),
    );
    wire(
        V5,
        r#"51-["baz",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
        bin_event("/", json!(["baz", placeholder(0)]), &[&[1, 2, 3, 4]], None),
    );
    wire(
        V5,
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        &[&[1, 2], &[3, 4]],
        bin_event(
            "/admin",
            json!(["baz", placeholder(0), placeholder(1)]),
            &[&[1, 2], &[3, 4]],
            None,
        ),
    );
}

#[test]
fn v5_spec_acks() {
    wire(
        V5,
        r#"212["foo"]"#,
        &[],
        event("/", json!(["foo"]), Some(12)),
    );
    wire(V5, "312[]", &[], ack("/", json!([]), 12));
    wire(
        V5,
        r#"2/admin,13["foo"]"#,
        &[],
        event("/admin", json!(["foo"]), Some(13)),
    );
    wire(
        V5,
        r#"3/admin,13["bar"]"#,
        &[],
        ack("/admin", json!(["bar"]), 13),
    );
    wire(
        V5,
        r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
        bin_event(
            "/",
            json!(["foo", placeholder(0)]),
            &[&[1, 2, 3, 4]],
            Some(14),
        ),
    );
    wire(V5, r#"314["bar"]"#, &[], ack("/", json!(["bar"]), 14));
    wire(
        V5,
        r#"215["foo"]"#,
        &[],
        event("/", json!(["foo"]), Some(15)),
    );
    wire(
        V5,
        r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
        bin_ack("/", json!(["bar", placeholder(0)]), &[&[1, 2, 3, 4]], 15),
    );
}

#[test]
fn v5_spec_disconnect_and_sample_session() {
    wire(V5, "1", &[], Packet::disconnect("/"));
    wire(V5, "1/admin,", &[], Packet::disconnect("/admin"));
    // The sample session's frames, less the Engine.IO `4`.
    wire(
        V5,
        r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
        &[],
        Packet::connect("/admin", Some(json!({"sid": "-G5j-67EZFp-q59rADQM"}))),
    );
    wire(
        V5,
        r#"2/admin,1["tellme"]"#,
        &[],
        event("/admin", json!(["tellme"]), Some(1)),
    );
    wire(
        V5,
        r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
        &[b"binary"],
        bin_ack("/admin", json!([placeholder(0)]), &[b"binary"], 1),
    );
    wire(
        V5,
        r#"2["hey","Jude"]"#,
        &[],
        event("/", json!(["hey", "Jude"]), None),
    );
}

#[test]
fn official_suite_sends_namespaces_without_trailing_comma() {
    assert_eq!(
        decode(V5, "0/custom", &[]),
        Packet::connect("/custom", None)
    );
    assert_eq!(decode(V5, "1/custom", &[]), Packet::disconnect("/custom"));
    assert_eq!(
        decode(V5, "0/random", &[]),
        Packet::connect("/random", None)
    );
}

#[test]
fn v5_never_parses_a_query() {
    let p = decode(V5, "0/custom?x=1,", &[]);
    assert_eq!(p.nsp, "/custom?x=1");
    assert_eq!(p.query, None);
    assert_eq!(p.data, PacketData::Connect(None));
}

// --- Protocol 4 spec ---------------------------------------------------------------------------

#[test]
fn v4_spec_examples() {
    wire(V4, "0", &[], Packet::connect("/", None));
    wire(V4, "0/admin,", &[], Packet::connect("/admin", None));
    wire(V4, "1/admin,", &[], Packet::disconnect("/admin"));
    wire(
        V4,
        r#"2["hello",1]"#,
        &[],
        event("/", json!(["hello", 1]), None),
    );
    wire(
        V4,
        r#"2/admin,456["project:delete",123]"#,
        &[],
        event("/admin", json!(["project:delete", 123]), Some(456)),
    );
    wire(V4, "3/admin,456[]", &[], ack("/admin", json!([]), 456));
    wire(
        V4,
        r#"4/admin,"Not authorized""#,
        &[],
        Packet::connect_error("/admin", json!("Not authorized")),
    );
    wire(
        V4,
        r#"51-["hello",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3]],
        bin_event("/", json!(["hello", placeholder(0)]), &[&[1, 2, 3]], None),
    );
    wire(
        V4,
        r#"51-/admin,456["project:delete",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3]],
        bin_event(
            "/admin",
            json!(["project:delete", placeholder(0)]),
            &[&[1, 2, 3]],
            Some(456),
        ),
    );
    wire(
        V4,
        r#"61-/admin,456[{"_placeholder":true,"num":0}]"#,
        &[&[3, 2, 1]],
        bin_ack("/admin", json!([placeholder(0)]), &[&[3, 2, 1]], 456),
    );
}

#[test]
fn v4_connect_query_with_and_without_comma() {
    let expected = v4_connect("/admin", Some("token=1234&uid=abcd"));
    wire(V4, "0/admin?token=1234&uid=abcd,", &[], expected.clone());
    assert_eq!(decode(V4, "0/admin?token=1234&uid=abcd", &[]), expected);
    assert_eq!(decode(V4, "0/nsp?,", &[]), v4_connect("/nsp", Some("")));
    // Only the first `?` splits.
    assert_eq!(
        decode(V4, "0/nsp?a=?b,", &[]),
        v4_connect("/nsp", Some("a=?b"))
    );
    assert_eq!(decode(V4, "0/?a=b,", &[]), v4_connect("/", Some("a=b")));
}

#[test]
fn v4_splits_the_query_of_every_packet_like_node() {
    // Node's server `url.parse`s every protocol 3 packet's namespace.
    let p = decode(V4, r#"2/nsp?x=1,["a"]"#, &[]);
    assert_eq!((p.nsp.as_str(), p.query.as_deref()), ("/nsp", Some("x=1")));
}

#[test]
fn v4_connect_error_is_any_json_v5_only_string_or_object() {
    // Digits right after the type are an ack id, so a number payload needs its sign.
    for payload in ["[1]", "-12", "null", "true"] {
        let text = format!("4{payload}");
        let p = decode(V4, &text, &[]);
        assert!(matches!(p.data, PacketData::ConnectError(_)), "{text}");
        assert!(
            matches!(
                decode_err(V5, &text),
                DecodeError::InvalidPayload(PacketType::ConnectError)
            ),
            "{text}"
        );
    }
    assert!(matches!(
        decode(V5, r#"4"msg""#, &[]).data,
        PacketData::ConnectError(_)
    ));
}

#[test]
fn v4_encoder_never_writes_a_connect_payload() {
    let p = Packet::connect("/nsp", Some(json!({"sid": "x"})));
    assert_eq!(encode(&p, V4).text, "0/nsp,");
    assert_eq!(encode(&p, V5).text, r#"0/nsp,{"sid":"x"}"#);
}

// --- Validation (socket.io-parser 4.2 `isPayloadValid`, hostile-inputs section E) -------------

#[test]
fn header_errors() {
    for rev in [V4, V5] {
        assert!(matches!(decode_err(rev, ""), DecodeError::Empty));
        for text in ["abc", "7", "9[]", "-1", " 2[\"a\"]", "٣"] {
            assert!(
                matches!(decode_err(rev, text), DecodeError::UnknownType),
                "{text}"
            );
        }
        for text in [
            "5",
            "5-",
            "5-[\"a\"]",
            "5abc-",
            "51",
            "51[\"a\"]",
            "51e3-[\"a\"]",
            "6",
            "50-[\"a\"]",
            "60-12[]",
        ] {
            assert!(
                matches!(decode_err(rev, text), DecodeError::InvalidAttachmentCount),
                "{text}"
            );
        }
    }
}

#[test]
fn attachment_count_is_bounded_before_anything_is_buffered() {
    let at_max = format!(
        "510-[\"a\",{}]",
        (0..10)
            .map(|i| placeholder(i).to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut d = decoder(V5);
    assert!(d.decode_text(&at_max).unwrap().is_none());
    assert_eq!(d.missing_attachments(), 10);

    for text in [
        "511-[\"a\"]",
        "5999999999999-[\"a\"]",
        "599999999999999999999999999999999999-[\"a\"]",
    ] {
        assert!(
            matches!(
                decode_err(V5, text),
                DecodeError::TooManyAttachments { max: 10 }
            ),
            "{text}"
        );
    }
    let mut strict = Decoder::new(V5, DecoderLimits::default().with_max_attachments(1));
    assert!(matches!(
        strict.decode_text(r#"52-["a",{"_placeholder":true,"num":1}]"#),
        Err(DecodeError::TooManyAttachments { max: 1 })
    ));
}

#[test]
fn ack_ids_are_bounded() {
    let p = decode(V5, r#"218446744073709551615["a"]"#, &[]);
    assert!(matches!(
        p.data,
        PacketData::Event {
            ack: Some(u64::MAX),
            ..
        }
    ));
    assert!(matches!(
        decode_err(V5, r#"218446744073709551616["a"]"#),
        DecodeError::InvalidAckId
    ));
    let long = format!("2{}[\"a\"]", "9".repeat(400));
    assert!(matches!(decode_err(V5, &long), DecodeError::InvalidAckId));
    // `-1` is not an id: the payload `-1["a"]` is not JSON.
    assert!(matches!(
        decode_err(V5, r#"2-1["a"]"#),
        DecodeError::InvalidJson(_)
    ));
    assert!(matches!(
        decode_err(V5, r#"3["a"]"#),
        DecodeError::MissingAckId
    ));
    // Leading zeros are digits like any other, as in Node's `Number()`.
    assert!(matches!(
        decode(V5, "3007[]", &[]).data,
        PacketData::Ack { ack: 7, .. }
    ));
}

#[test]
fn ack_ids_on_other_types_are_ignored_like_node() {
    assert_eq!(decode(V5, "012", &[]), Packet::connect("/", None));
    assert_eq!(decode(V5, "1/a,3", &[]), Packet::disconnect("/a"));
}

#[test]
fn payload_shape_errors() {
    use DecodeError as E;
    use PacketType as T;
    type Check = fn(&DecodeError) -> bool;
    let cases: &[(&str, Check)] = &[
        // The issue's list, less the Engine.IO `4`.
        ("2{}", |e| matches!(e, E::InvalidPayload(T::Event))),
        ("2[]", |e| matches!(e, E::InvalidEventName)),
        ("2", |e| matches!(e, E::MissingPayload(T::Event))),
        (r#"2["disconnect"]"#, |e| matches!(e, E::ReservedEventName)),
        ("1{}", |e| matches!(e, E::UnexpectedPayload(T::Disconnect))),
        (r#"1"x""#, |e| {
            matches!(e, E::UnexpectedPayload(T::Disconnect))
        }),
        ("1/a,[]", |e| {
            matches!(e, E::UnexpectedPayload(T::Disconnect))
        }),
        ("4abc", |e| matches!(e, E::InvalidJson(_))),
        // Event names that are neither strings nor numbers (CVE-2023-32695).
        ("2[{}]", |e| matches!(e, E::InvalidEventName)),
        ("2[[\"a\"]]", |e| matches!(e, E::InvalidEventName)),
        ("2[null]", |e| matches!(e, E::InvalidEventName)),
        ("2[true]", |e| matches!(e, E::InvalidEventName)),
        ("2\"a\"", |e| matches!(e, E::InvalidPayload(T::Event))),
        ("2/nsp", |e| matches!(e, E::MissingPayload(T::Event))),
        ("2/nsp,", |e| matches!(e, E::MissingPayload(T::Event))),
        // Without the comma the whole rest is the namespace.
        (r#"2/nsp["a"]"#, |e| {
            matches!(e, E::MissingPayload(T::Event))
        }),
        ("212", |e| matches!(e, E::MissingPayload(T::Event))),
        ("3", |e| matches!(e, E::MissingPayload(T::Ack))),
        ("312", |e| matches!(e, E::MissingPayload(T::Ack))),
        ("312{}", |e| matches!(e, E::InvalidPayload(T::Ack))),
        ("312\"a\"", |e| matches!(e, E::InvalidPayload(T::Ack))),
        ("0[]", |e| matches!(e, E::InvalidPayload(T::Connect))),
        ("0\"a\"", |e| matches!(e, E::InvalidPayload(T::Connect))),
        ("0null", |e| matches!(e, E::InvalidPayload(T::Connect))),
        ("4", |e| matches!(e, E::MissingPayload(T::ConnectError))),
        ("2[", |e| matches!(e, E::InvalidJson(_))),
        (r#"2["a"]x"#, |e| matches!(e, E::InvalidJson(_))),
        (r#"2["a"]["b"]"#, |e| matches!(e, E::InvalidJson(_))),
        (r#"2["a",1e999999]"#, |e| matches!(e, E::InvalidJson(_))),
        (r#"2["\ud800"]"#, |e| matches!(e, E::InvalidJson(_))),
        (r#"0{"a":1}x"#, |e| matches!(e, E::InvalidJson(_))),
        (r#"51-{"a":{"_placeholder":true,"num":0}}"#, |e| {
            matches!(e, E::InvalidPayload(T::BinaryEvent))
        }),
        (r#"51-[{"_placeholder":true,"num":0}]"#, |e| {
            matches!(e, E::InvalidEventName)
        }),
        (r#"61-{"_placeholder":true,"num":0}"#, |e| {
            matches!(e, E::InvalidPayload(T::BinaryAck))
        }),
    ];
    for rev in [V4, V5] {
        for (text, check) in cases {
            let err = decode_err(rev, text);
            assert!(check(&err), "{rev:?} {text}: {err:?}");
        }
    }
}

#[test]
fn reserved_event_names_are_refused_but_error_is_not() {
    for name in socketio_protocol::RESERVED_EVENTS {
        let text = format!("2[\"{name}\",1]");
        assert!(matches!(
            decode_err(V5, &text),
            DecodeError::ReservedEventName
        ));
        let binary = format!("51-[\"{name}\",{}]", placeholder(0));
        assert!(matches!(
            decode_err(V5, &binary),
            DecodeError::ReservedEventName
        ));
    }
    let p = decode(V5, r#"2["error","boom"]"#, &[]);
    assert_eq!(p.payload().unwrap().event_name().as_deref(), Some("error"));
    // Names are compared exactly.
    decode(V5, r#"2["Connect"]"#, &[]);
    decode(V5, r#"2["connect "]"#, &[]);
}

#[test]
fn numeric_event_names_are_delivered_as_text() {
    let p = decode(V5, r#"42[1,"x"]"#.trim_start_matches('4'), &[]);
    assert_eq!(p.payload().unwrap().event_name().as_deref(), Some("1"));
    assert_eq!(p.payload().unwrap().elements()[1], json!("x"));
    let p = decode(V5, "2[1.5]", &[]);
    assert_eq!(p.payload().unwrap().event_name().as_deref(), Some("1.5"));
    let p = decode(V5, "2[-3]", &[]);
    assert_eq!(p.payload().unwrap().event_name().as_deref(), Some("-3"));
}

#[test]
fn payloads_accepted_like_json_parse() {
    // Whitespace after the JSON, unicode everywhere, duplicate keys (the last wins).
    let p = decode(V5, "2[\"a\"] \n", &[]);
    assert_eq!(p.payload().unwrap().data, json!(["a"]));
    let p = decode(V5, "2/ñ,[\"é😀\",{\"k\":1,\"k\":2}]", &[]);
    assert_eq!(p.nsp, "/ñ");
    assert_eq!(p.payload().unwrap().data, json!(["é😀", {"k": 2}]));
}

// --- Binary reassembly ---------------------------------------------------------------------

#[test]
fn placeholders_anywhere_out_of_order_and_repeated() {
    let text = r#"53-/files,7["ev",{"a":[{"_placeholder":true,"num":2}],"b":{"_placeholder":true,"num":0}},[[{"_placeholder":true,"num":1}]],{"_placeholder":true,"num":2}]"#;
    let p = decode(V5, text, &[b"zero", b"one", b"two"]);
    assert_eq!(p.nsp, "/files");
    let PacketData::Event { payload, ack } = &p.data else {
        panic!("not an event")
    };
    assert_eq!(*ack, Some(7));
    assert_eq!(payload.attachments, [&b"zero"[..], b"one", b"two"]);
    #[derive(serde::Deserialize)]
    struct Obj {
        a: Vec<Bytes>,
        b: Bytes,
    }
    let (name, obj, nested, again): (String, Obj, Vec<Vec<Bytes>>, Bytes) =
        socketio_protocol::from_value(payload.data.clone(), &payload.attachments).unwrap();
    assert_eq!(name, "ev");
    assert_eq!(obj.a, [Bytes::from_static(b"two")]);
    assert_eq!(obj.b, Bytes::from_static(b"zero"));
    assert_eq!(nested, [[Bytes::from_static(b"one")]]);
    assert_eq!(again, Bytes::from_static(b"two"));
    // Re-encoding keeps the peer's numbering and every attachment.
    let encoded = encode(&p, V5);
    assert_eq!(encoded.text, text);
    assert_eq!(encoded.attachments.len(), 3);
}

#[test]
fn unused_attachments_are_kept_and_empty_ones_accepted() {
    let p = decode(
        V5,
        r#"62-9[{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}]"#,
        &[b"", b"x"],
    );
    assert_eq!(p.packet_type(), PacketType::BinaryAck);
    assert_eq!(p.attachments(), [&b""[..], b"x"]);
}

#[test]
fn placeholder_validation() {
    for text in [
        r#"51-["a",{"_placeholder":true}]"#,
        r#"51-["a",{"_placeholder":true,"num":"0"}]"#,
        r#"51-["a",{"_placeholder":true,"num":1.5}]"#,
        r#"51-["a",{"_placeholder":true,"num":-1}]"#,
        r#"51-["a",{"_placeholder":true,"num":1}]"#,
        r#"51-["a",{"_placeholder":true,"num":null}]"#,
        r#"51-["a",{"_placeholder":true,"num":"toString"}]"#,
        r#"51-["a",{"x":[{"_placeholder":true,"num":99}]}]"#,
        r#"51-["a",{"_placeholder":true,"num":18446744073709551616}]"#,
    ] {
        assert!(
            matches!(decode_err(V5, text), DecodeError::InvalidPlaceholder),
            "{text}"
        );
    }
    // Not placeholders: left as they are.
    let p = decode(
        V5,
        r#"51-["a",{"_placeholder":"true","num":5},{"_placeholder":1},{"_placeholder":true,"num":0}]"#,
        &[b"b"],
    );
    assert_eq!(
        p.payload().unwrap().elements()[1],
        json!({"_placeholder": "true", "num": 5})
    );
    // Extra keys do not stop a placeholder from being one; `1.0` is the integer 1.
    decode(
        V5,
        r#"52-["a",{"_placeholder":true,"num":0,"extra":{"_placeholder":true,"num":7}},{"_placeholder":true,"num":1.0}]"#,
        &[b"0", b"1"],
    );
}

#[test]
fn placeholders_in_text_packets_are_plain_objects() {
    let p = decode(V5, r#"2["a",{"_placeholder":true,"num":3}]"#, &[]);
    assert_eq!(p.packet_type(), PacketType::Event);
    assert!(p.attachments().is_empty());
}

#[test]
fn text_while_pending_and_binary_while_idle_are_errors() {
    let mut d = decoder(V5);
    assert!(matches!(
        d.decode_binary(Bytes::from_static(b"x")),
        Err(DecodeError::UnexpectedBinary)
    ));
    assert!(d
        .decode_text(r#"52-["a",{"_placeholder":true,"num":0}]"#)
        .unwrap()
        .is_none());
    assert!(d.decode_binary(Bytes::from_static(b"x")).unwrap().is_none());
    assert!(matches!(
        d.decode_text(r#"2["b"]"#),
        Err(DecodeError::UnexpectedText)
    ));
    // The error dropped the pending packet.
    assert!(!d.is_pending());
    assert!(d.decode_text(r#"2["b"]"#).unwrap().is_some());
    // One attachment too many.
    assert!(d
        .decode_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
        .unwrap()
        .is_none());
    assert!(d.decode_binary(Bytes::from_static(b"x")).unwrap().is_some());
    assert!(matches!(
        d.decode_binary(Bytes::from_static(b"y")),
        Err(DecodeError::UnexpectedBinary)
    ));
}

#[test]
fn pending_packets_can_be_dropped() {
    let mut d = decoder(V4);
    assert!(d
        .decode_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
        .unwrap()
        .is_none());
    assert!(d.is_pending());
    d.reset();
    assert!(!d.is_pending());
    assert_eq!(d.missing_attachments(), 0);
}

#[test]
fn attachment_bytes_limit() {
    let limits = DecoderLimits::default().with_max_attachment_bytes(4);
    let mut d = Decoder::new(V5, limits);
    let text = r#"52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    assert!(d.decode_text(text).unwrap().is_none());
    assert!(d
        .decode_binary(Bytes::from_static(b"abc"))
        .unwrap()
        .is_none());
    assert!(matches!(
        d.decode_binary(Bytes::from_static(b"de")),
        Err(DecodeError::AttachmentsTooLarge { max: 4 })
    ));
    assert!(!d.is_pending());
}

#[test]
fn encoder_details() {
    // An empty namespace is the main one, as in socket.io-parser.
    assert_eq!(encode(&Packet::disconnect(""), V5).text, "1");
    // JSON escapes as JSON.stringify.
    let p = event("/", json!(["a\"\\\n\u{1}", 1.5, null]), None);
    assert_eq!(encode(&p, V5).text, r#"2["a\"\\\n\u0001",1.5,null]"#);
    // encode_into appends after what the caller framed.
    let mut out = String::from("4");
    socketio_protocol::encode_into(&event("/a", json!(["x"]), Some(3)), V5, &mut out);
    assert_eq!(out, r#"42/a,3["x"]"#);
    // Cheap clones share the text.
    let encoded = encode(&event("/", json!(["x"]), None), V5);
    let copy = encoded.clone();
    assert_eq!(
        copy.text.as_bytes().as_ptr(),
        encoded.text.as_bytes().as_ptr()
    );
}
