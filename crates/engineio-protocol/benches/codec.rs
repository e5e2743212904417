//! Criterion benchmarks of the Engine.IO codec: one 100-byte text message, one 10 KiB binary
//! message, and a 50-packet polling payload, encoded and decoded in each protocol.
//!
//! Run with `cargo bench -p engineio-protocol`; the figures are recorded in `BENCHMARKS.md`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use engineio_protocol::{
    decode_binary_frame, decode_payload, decode_text_frame, encode_frame, encode_payload, Frame,
    Packet, ProtocolVersion, Str,
};

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3, ProtocolVersion::V4];

fn text_100() -> Packet {
    // A typical Socket.IO event, 100 bytes of data.
    let mut s = String::from(r#"2["chat message",{"user":"alice","text":""#);
    while s.len() < 97 {
        s.push('x');
    }
    s.push_str(r#""}]"#);
    assert_eq!(s.len(), 100);
    Packet::Message(Str::from(s))
}

fn binary_10k() -> Packet {
    Packet::Binary(Bytes::from(
        (0..10 * 1024).map(|i| i as u8).collect::<Vec<u8>>(),
    ))
}

fn version_name(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::V3 => "v3",
        ProtocolVersion::V4 => "v4",
    }
}

fn text_message(c: &mut Criterion) {
    let packet = text_100();
    let mut group = c.benchmark_group("text_100B_ws");
    group.throughput(Throughput::Bytes(100));
    for version in VERSIONS {
        let name = version_name(version);
        group.bench_function(BenchmarkId::new("encode", name), |b| {
            b.iter(|| encode_frame(black_box(&packet), version, false))
        });
        let Frame::Text(wire) = encode_frame(&packet, version, false) else {
            unreachable!()
        };
        group.bench_function(BenchmarkId::new("decode", name), |b| {
            b.iter(|| decode_text_frame(black_box(wire.clone()), version))
        });
    }
    group.finish();
}

fn binary_message(c: &mut Criterion) {
    let packet = binary_10k();
    let mut group = c.benchmark_group("binary_10KiB_ws");
    group.throughput(Throughput::Bytes(10 * 1024));
    for version in VERSIONS {
        let name = version_name(version);
        group.bench_function(BenchmarkId::new("encode", name), |b| {
            b.iter(|| encode_frame(black_box(&packet), version, false))
        });
        let Frame::Binary(wire) = encode_frame(&packet, version, false) else {
            unreachable!()
        };
        group.bench_function(BenchmarkId::new("decode", name), |b| {
            b.iter(|| decode_binary_frame(black_box(wire.clone()), version))
        });
        let name = format!("{name}_b64");
        group.bench_function(BenchmarkId::new("encode", &name), |b| {
            b.iter(|| encode_frame(black_box(&packet), version, true))
        });
        let Frame::Text(wire) = encode_frame(&packet, version, true) else {
            unreachable!()
        };
        group.bench_function(BenchmarkId::new("decode", &name), |b| {
            b.iter(|| decode_text_frame(black_box(wire.clone()), version))
        });
    }
    group.finish();
}

fn polling_payload(c: &mut Criterion) {
    let text: Vec<Packet> = (0..50).map(|_| text_100()).collect();
    // For the XHR2 form: 45 text messages and 5 binary messages of 1 KiB.
    let mixed: Vec<Packet> = (0..50)
        .map(|i| {
            if i % 10 == 9 {
                Packet::Binary(Bytes::from(vec![i as u8; 1024]))
            } else {
                text_100()
            }
        })
        .collect();
    let cases = [
        ("v4_text", ProtocolVersion::V4, &text, true),
        ("v3_text", ProtocolVersion::V3, &text, true),
        ("v4_mixed_b64", ProtocolVersion::V4, &mixed, true),
        ("v3_mixed_b64", ProtocolVersion::V3, &mixed, false),
        ("v3_mixed_xhr2", ProtocolVersion::V3, &mixed, true),
    ];
    let mut group = c.benchmark_group("payload_50_packets");
    for (name, version, packets, supports_binary) in cases {
        let mut wire = BytesMut::new();
        let kind = encode_payload(packets, version, supports_binary, &mut wire);
        let wire = wire.freeze();
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(BenchmarkId::new("encode", name), |b| {
            let mut out = BytesMut::with_capacity(wire.len());
            b.iter(|| {
                out.clear();
                encode_payload(black_box(packets), version, supports_binary, &mut out)
            })
        });
        group.bench_function(BenchmarkId::new("decode", name), |b| {
            b.iter(|| {
                decode_payload(black_box(wire.clone()), version, kind, 1000)
                    .filter(Result::is_ok)
                    .count()
            })
        });
        assert_eq!(
            decode_payload(wire.clone(), version, kind, 1000)
                .filter(Result::is_ok)
                .count(),
            50
        );
    }
    group.finish();
}

// The macro defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, text_message, binary_message, polling_payload);
}
criterion_main!(group::benches);
