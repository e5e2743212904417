//! Packet ↔ MessagePack, as `socket.io-msgpack-parser` 3.x (over notepack.io 2.2) frames it.
//!
//! Every packet is one binary Engine.IO message holding one MessagePack map: `type` (`0..=4`;
//! the binary types never appear, binary data travels inline), `data` when there is a
//! payload, `nsp`, and `id` when there is an ack id. Keys other than those four are read and
//! ignored, as Node does: socket.io-client adds `options` (`{compress: true}`) to every emit.
//!
//! The payload model stays the crate's: a [`serde_json::Value`] with placeholders plus
//! attachments. Decoding turns every MessagePack `bin` into an attachment and a placeholder
//! in its place; encoding writes each placeholder that names an attachment as a `bin`. So
//! handlers and [`from_value`](crate::from_value) see the same Rust values from either codec.
//!
//! What MessagePack has and JSON lacks, and the validation: see [`decode_msgpack`].
//!
//! Only protocol 5 (socket.io-client 3.x and 4.x) speaks this: `socket.io-msgpack-parser` 2.x,
//! for socket.io-client 2.x, frames CONNECT and ERROR as JSON text and is not supported.

use bytes::Bytes;
use rmp::encode as w;
use rmp::Marker;
use serde_json::{Map, Number, Value};

use crate::decode::{check_placeholders, validate, DecodeError, DecoderLimits};
use crate::json::drop_flat;
use crate::packet::{
    placeholder, placeholder_ref, Packet, PacketData, PacketType, Payload, PlaceholderRef,
    ProtocolRevision,
};

#[cfg(test)]
mod tests;

/// The most elements reserved up front for an array or map, whatever its length prefix says:
/// nested containers may all claim the same remaining bytes.
const PREALLOC: usize = 32;

/// Milliseconds past which JavaScript has no `Date` (±100,000,000 days).
const MAX_DATE_MS: f64 = 8.64e15;

/// Encodes `packet` as one MessagePack message, as socket.io-msgpack-parser writes it.
///
/// Keys come in the order Node's socket.io 4.x server builds its packets (`type`, `data`,
/// `id`, `nsp`; an ACK `id` first), so the bytes are the same as Node's. The namespace's
/// protocol 4 [`query`](Packet::query) is not written. Like [`encode`](crate::encode), the
/// encoder trusts its caller's payload shapes; a placeholder naming no attachment is written
/// as the map it is.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use socketio_protocol::{encode_msgpack, placeholder, Packet, Payload};
///
/// let payload = Payload::with_attachments(json!(["a", placeholder(0)]), vec![Bytes::from_static(b"\x01")]);
/// let bytes = encode_msgpack(&Packet::event("/", payload, None));
/// // {type: 2, data: ["a", <bin 01>], nsp: "/"}
/// assert_eq!(&bytes[..], b"\x83\xa4type\x02\xa4data\x92\xa1a\xc4\x01\x01\xa3nsp\xa1/");
/// ```
pub fn encode_msgpack(packet: &Packet) -> Bytes {
    let mut out = Vec::new();
    encode_msgpack_into(packet, &mut out);
    Bytes::from(out)
}

/// Appends the MessagePack form of `packet` to `out`; see [`encode_msgpack`].
pub fn encode_msgpack_into(packet: &Packet, out: &mut Vec<u8>) {
    let nsp = if packet.nsp.is_empty() {
        "/"
    } else {
        packet.nsp.as_str()
    };
    let kind = match packet.packet_type() {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        other => other,
    };
    let write_type = |out: &mut Vec<u8>| {
        write_str(out, "type");
        let _ = w::write_uint(out, kind as u64);
    };
    match &packet.data {
        PacketData::Connect(data) => {
            let _ = w::write_map_len(out, if data.is_some() { 3 } else { 2 });
            write_type(out);
            if let Some(data) = data {
                write_str(out, "data");
                write_value(out, data, &[]);
            }
        }
        PacketData::Disconnect => {
            let _ = w::write_map_len(out, 2);
            write_type(out);
        }
        PacketData::Event { payload, ack } => {
            let _ = w::write_map_len(out, if ack.is_some() { 4 } else { 3 });
            write_type(out);
            write_str(out, "data");
            write_value(out, &payload.data, &payload.attachments);
            if let Some(id) = ack {
                write_str(out, "id");
                let _ = w::write_uint(out, *id);
            }
        }
        PacketData::Ack { payload, ack } => {
            let _ = w::write_map_len(out, 4);
            write_str(out, "id");
            let _ = w::write_uint(out, *ack);
            write_type(out);
            write_str(out, "data");
            write_value(out, &payload.data, &payload.attachments);
        }
        PacketData::ConnectError(data) => {
            let _ = w::write_map_len(out, 3);
            write_type(out);
            write_str(out, "data");
            write_value(out, data, &[]);
        }
    }
    write_str(out, "nsp");
    write_str(out, nsp);
}

// Writing to a `Vec` cannot fail; a length past `u32::MAX` cannot be framed by MessagePack
// at all and is far past any Engine.IO message size.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let _ = w::write_str(out, s);
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Writes `value` without recursing, each placeholder naming one of `attachments` as `bin`.
fn write_value(out: &mut Vec<u8>, value: &Value, attachments: &[Bytes]) {
    enum Frame<'a> {
        Array(std::slice::Iter<'a, Value>),
        Object(serde_json::map::Iter<'a>),
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Null => {
                    let _ = w::write_nil(out);
                }
                Value::Bool(b) => {
                    let _ = w::write_bool(out, *b);
                }
                Value::Number(n) => {
                    if let Some(u) = n.as_u64() {
                        let _ = w::write_uint(out, u);
                    } else if let Some(i) = n.as_i64() {
                        let _ = w::write_sint(out, i);
                    } else {
                        let _ = w::write_f64(out, n.as_f64().unwrap_or(0.0));
                    }
                }
                Value::String(s) => write_str(out, s),
                Value::Array(items) => {
                    let _ = w::write_array_len(out, len32(items.len()));
                    stack.push(Frame::Array(items.iter()));
                }
                Value::Object(map) => match placeholder_ref(v) {
                    PlaceholderRef::Index(i) if i < attachments.len() => {
                        let _ = w::write_bin(out, &attachments[i]);
                    }
                    _ => {
                        let _ = w::write_map_len(out, len32(map.len()));
                        stack.push(Frame::Object(map.iter()));
                    }
                },
            }
        }
        let Some(frame) = stack.last_mut() else {
            return;
        };
        match frame {
            Frame::Array(items) => match items.next() {
                Some(item) => next = Some(item),
                None => {
                    stack.pop();
                }
            },
            Frame::Object(entries) => match entries.next() {
                Some((key, item)) => {
                    write_str(out, key);
                    next = Some(item);
                }
                None => {
                    stack.pop();
                }
            },
        }
    }
}

/// Decodes one binary message of a msgpack connection into a packet.
///
/// The wire of `socket.io-msgpack-parser` 3.x: every packet is one binary Engine.IO message
/// holding one MessagePack map with `type` (`0..=4`: no binary types, binary travels inline),
/// `data` when there is a payload, `nsp`, and `id` when there is an ack id. Other keys are
/// read and ignored, as Node does (socket.io-client adds `options` to every emit). Every
/// `bin` becomes an attachment and a placeholder in its place, so handlers and
/// [`from_value`](crate::from_value) see the same Rust values as from the text codec.
/// Protocol 5 only: `socket.io-msgpack-parser` 2.x (socket.io-client 2.x) frames CONNECT and
/// ERROR as JSON text, and is not supported.
///
/// `data` is sliced, not copied, for the attachments. Every error means the peer broke the
/// protocol: close the connection, as for the text codec's errors.
///
/// # Values JSON lacks
///
/// | MessagePack | what the decoder makes of it | why |
/// |---|---|---|
/// | `bin 8/16/32`, ext 8/16/32 of type `0` (notepack's browser `ArrayBuffer`) | an attachment and its placeholder (`Bytes` for [`from_value`](crate::from_value)) | binary without attachments frames |
/// | integers up to `u64::MAX` and down to `i64::MIN` | a `serde_json::Number` holding them exactly (written back as the same MessagePack int) | notepack rounds past 2^53; the Rust side need not |
/// | `float 32`, `float 64` | an `f64` number | |
/// | `NaN`, `±Infinity` | `null` | what a text-codec client sends for them (`JSON.stringify`) |
/// | notepack's `undefined` (`d4 00 00`) | `null` in an array; in a map the key is left out; `data`/`id` absent | as `JSON.stringify` does |
/// | `data: nil` in a CONNECT or DISCONNECT | no payload | python-socketio writes it so (Node's parser refuses it) |
/// | notepack's `Date` (`d7 00`, ms) and the timestamp extension `-1` (32, 64, 96 bit) | the ISO string `Date#toJSON` gives (`2023-11-14T22:13:20.123Z`), `null` out of JavaScript's range | what a text-codec client sends for a `Date` |
/// | any other extension type | [`DecodeError::UnsupportedExtension`] | notepack's `[type, Buffer]` has no meaning to a handler; no Socket.IO client writes one |
/// | map keys: strings; integers | the string; the decimal text of the integer | JavaScript property names |
/// | map keys of any other kind | [`DecodeError::InvalidKey`] | |
/// | duplicate map keys | the last one wins | as in JavaScript |
/// | a string that is not UTF-8 | U+FFFD replaces each invalid sequence | as Node's `buffer.toString("utf8")` |
///
/// The encoder writes integers as the smallest MessagePack int (as notepack does), every
/// `f64` number as `float 64` (notepack writes integral JavaScript numbers as ints; the client
/// reads either as the same number, and a `f64` stays a `f64` through our own round trip),
/// strings as `str`, attachments as `bin`.
///
/// # Validation
///
/// The text codec's rules (see the crate docs), plus socket.io-msgpack-parser's: the input is
/// exactly one map (trailing bytes are [`DecodeError::TrailingBytes`]); `type` an integer in
/// `0..=4`; `nsp` a string (ours: starting with `/`, else
/// [`DecodeError::InvalidNamespace`]); `id` absent or a non-negative integer below 2^64 (Node
/// also takes negative ones); known keys at most once (ours; JavaScript keeps the last).
/// Nesting is bounded by [`DecoderLimits::max_depth`], counted as in the text codec (the
/// `data` array is level 1). Length prefixes are checked against the bytes left before
/// anything is allocated for them. [`DecoderLimits::max_attachments`] does not apply: inline
/// binaries are part of one message, already bounded by Engine.IO's `maxHttpBufferSize`, and
/// nothing waits for them (Node's msgpack parser has no such limit either).
///
/// ```
/// use bytes::Bytes;
/// use socketio_protocol::{decode_msgpack, DecoderLimits, PacketData};
///
/// // socket.io-client's emit("a", <Buffer 01>): {type, data, options, nsp}.
/// let wire = Bytes::from_static(
///     b"\x84\xa4type\x02\xa4data\x92\xa1a\xc4\x01\x01\xa7options\x81\xa8compress\xc3\xa3nsp\xa1/",
/// );
/// let packet = decode_msgpack(&wire, &DecoderLimits::default())?;
/// let PacketData::Event { payload, ack: None } = packet.data else { unreachable!() };
/// let (name, bin): (String, Bytes) = socketio_protocol::from_value(payload.data, &payload.attachments)?;
/// assert_eq!((name.as_str(), &bin[..]), ("a", &b"\x01"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_msgpack(data: &Bytes, limits: &DecoderLimits) -> Result<Packet, DecodeError> {
    let mut reader = Reader {
        input: data,
        pos: 0,
    };
    let len = match reader.marker()? {
        Marker::FixMap(n) => usize::from(n),
        Marker::Map16 => usize::from(reader.u16()?),
        Marker::Map32 => reader.len32()?,
        _ => return Err(DecodeError::InvalidField("packet")),
    };
    reader.check_len(len, 2)?;
    // On an error, what was read so far drops as usual: it is at most `max_depth` deep.
    let Fields {
        kind,
        nsp,
        payload,
        id,
        attachments,
    } = read_fields(&mut reader, len, limits)?;
    reader.finish()?;
    let mut payload = payload.flatten();
    let kind = kind.ok_or(DecodeError::InvalidField("type"))?;
    let nsp = nsp.ok_or(DecodeError::InvalidNamespace)?;
    // python-socketio writes `data: nil` where there is none (Node would refuse it).
    if matches!(kind, PacketType::Connect | PacketType::Disconnect) && payload == Some(Value::Null)
    {
        payload = None;
    }
    let data = match validate(kind, ProtocolRevision::V5, payload, id.flatten()) {
        Ok(data) => data,
        Err((err, value)) => {
            if let Some(v) = value {
                drop_flat(v);
            }
            return Err(err);
        }
    };
    let data = match data {
        PacketData::Event { payload, ack } => PacketData::Event {
            payload: with_bins(payload, attachments)?,
            ack,
        },
        PacketData::Ack { payload, ack } => PacketData::Ack {
            payload: with_bins(payload, attachments)?,
            ack,
        },
        // Binary in a CONNECT auth or a CONNECT_ERROR has no place in the packet model.
        _ if !attachments.is_empty() => return Err(DecodeError::InvalidPayload(kind)),
        other => other,
    };
    Ok(Packet::new(nsp, data))
}

/// The known keys of a packet map, each `None` until seen; binaries of `data` in
/// `attachments`.
#[derive(Default)]
struct Fields {
    kind: Option<PacketType>,
    nsp: Option<String>,
    payload: Option<Option<Value>>,
    id: Option<Option<u64>>,
    attachments: Vec<Bytes>,
}

fn read_fields(
    reader: &mut Reader<'_>,
    len: usize,
    limits: &DecoderLimits,
) -> Result<Fields, DecodeError> {
    let mut f = Fields::default();
    for _ in 0..len {
        let key = reader.key()?;
        match key.as_str() {
            "type" if f.kind.is_none() => f.kind = Some(packet_type(reader, limits)?),
            "nsp" if f.nsp.is_none() => match reader.value(limits.max_depth, &mut Vec::new())? {
                Some(Value::String(s)) if s.starts_with('/') => f.nsp = Some(s),
                _ => return Err(DecodeError::InvalidNamespace),
            },
            "data" if f.payload.is_none() => {
                f.payload = Some(reader.value(limits.max_depth, &mut f.attachments)?);
            }
            "id" if f.id.is_none() => f.id = Some(ack_id(reader, limits)?),
            "type" | "nsp" | "data" | "id" => return Err(DecodeError::InvalidField("duplicate")),
            // Read and dropped: socket.io-client's `options`, anything else.
            _ => drop(reader.value(limits.max_depth, &mut Vec::new())?),
        }
    }
    Ok(f)
}

/// Attaches the binaries; the payload's placeholders must then all name one of them, as in
/// a text-codec binary packet (a literal placeholder map could otherwise point anywhere).
fn with_bins(payload: Payload, attachments: Vec<Bytes>) -> Result<Payload, DecodeError> {
    if !attachments.is_empty() {
        if let Err(e) = check_placeholders(&payload.data, attachments.len()) {
            drop_flat(payload.data);
            return Err(e);
        }
    }
    Ok(Payload::with_attachments(payload.data, attachments))
}

/// `type`: an integer (an integral float too, as JavaScript's `Number.isInteger`) in `0..=4`.
fn packet_type(reader: &mut Reader<'_>, limits: &DecoderLimits) -> Result<PacketType, DecodeError> {
    let n = match reader.value(limits.max_depth, &mut Vec::new())? {
        Some(Value::Number(n)) => integral(&n),
        _ => None,
    };
    match n {
        Some(0) => Ok(PacketType::Connect),
        Some(1) => Ok(PacketType::Disconnect),
        Some(2) => Ok(PacketType::Event),
        Some(3) => Ok(PacketType::Ack),
        Some(4) => Ok(PacketType::ConnectError),
        _ => Err(DecodeError::UnknownType),
    }
}

/// `id`: absent (notepack's `undefined`) or a non-negative integer below 2^64.
fn ack_id(reader: &mut Reader<'_>, limits: &DecoderLimits) -> Result<Option<u64>, DecodeError> {
    match reader.value(limits.max_depth, &mut Vec::new())? {
        None => Ok(None),
        Some(Value::Number(n)) => integral(&n).map(Some).ok_or(DecodeError::InvalidAckId),
        Some(_) => Err(DecodeError::InvalidAckId),
    }
}

fn integral(n: &Number) -> Option<u64> {
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    // Exact: below 2^64, integral and non-negative.
    (f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0).then_some(f as u64)
}

/// One decoded item: a value, or notepack's `undefined`.
enum Item {
    Value(Value),
    Undefined,
}

/// A cursor over one message; every read is bounds-checked.
struct Reader<'a> {
    input: &'a Bytes,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let input: &'a [u8] = self.input;
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let bytes = input.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn slice(&mut self, n: usize) -> Result<Bytes, DecodeError> {
        let start = self.pos;
        self.take(n)?;
        Ok(self.input.slice(start..self.pos))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len32(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.u32()?).map_err(|_| DecodeError::Truncated)
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        Ok(Marker::from_u8(self.u8()?))
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// A container of `len` elements, each at least `per` bytes, must fit in what is left.
    fn check_len(&self, len: usize, per: usize) -> Result<(), DecodeError> {
        if len > self.remaining() / per {
            return Err(DecodeError::Truncated);
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            _ => Err(DecodeError::TrailingBytes),
        }
    }

    fn string(&mut self, len: usize) -> Result<String, DecodeError> {
        let bytes = self.take(len)?;
        // Valid UTF-8 (nearly always) is checked by `from_utf8`'s fast path; only invalid
        // input pays for the lossy walk.
        Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }

    /// A map key: a string, or an integer as its decimal text.
    fn key(&mut self) -> Result<String, DecodeError> {
        Ok(match self.marker()? {
            Marker::FixStr(n) => self.string(usize::from(n))?,
            Marker::Str8 => {
                let n = self.u8()?;
                self.string(usize::from(n))?
            }
            Marker::Str16 => {
                let n = self.u16()?;
                self.string(usize::from(n))?
            }
            Marker::Str32 => {
                let n = self.len32()?;
                self.string(n)?
            }
            Marker::FixPos(n) => n.to_string(),
            Marker::FixNeg(n) => n.to_string(),
            Marker::U8 => self.u8()?.to_string(),
            Marker::U16 => self.u16()?.to_string(),
            Marker::U32 => self.u32()?.to_string(),
            Marker::U64 => u64::from_be_bytes(self.array()?).to_string(),
            Marker::I8 => i8::from_be_bytes(self.array()?).to_string(),
            Marker::I16 => i16::from_be_bytes(self.array()?).to_string(),
            Marker::I32 => i32::from_be_bytes(self.array()?).to_string(),
            Marker::I64 => i64::from_be_bytes(self.array()?).to_string(),
            _ => return Err(DecodeError::InvalidKey),
        })
    }

    fn ext(&mut self, len: usize, bins: &mut Vec<Bytes>) -> Result<Item, DecodeError> {
        let kind = i8::from_be_bytes(self.array()?);
        match (kind, len) {
            // notepack's ArrayBuffer (ext 8/16/32 only: fixext never carries one).
            (0, _) => Ok(Item::Value(self.bin(len, bins)?)),
            (-1, 4) => {
                let secs = self.u32()?;
                Ok(Item::Value(date(f64::from(secs) * 1e3)))
            }
            (-1, 8) => {
                let hi = self.u32()?;
                let lo = self.u32()?;
                let secs = f64::from(hi & 0x3) * 4_294_967_296.0 + f64::from(lo);
                Ok(Item::Value(date(secs * 1e3 + f64::from(hi >> 2) / 1e6)))
            }
            (-1, 12) => {
                let nanos = self.u32()?;
                let secs = i64::from_be_bytes(self.array()?);
                Ok(Item::Value(date(
                    secs as f64 * 1e3 + f64::from(nanos) / 1e6,
                )))
            }
            _ => Err(DecodeError::UnsupportedExtension),
        }
    }

    fn fixext(&mut self, len: usize, bins: &mut Vec<Bytes>) -> Result<Item, DecodeError> {
        let kind = i8::from_be_bytes(self.array()?);
        match (kind, len) {
            (0, 1) => {
                self.take(1)?;
                Ok(Item::Undefined)
            }
            (0, 8) => {
                // notepack 2.x's Date: milliseconds as a signed 64-bit integer.
                let ms = i64::from_be_bytes(self.array()?);
                Ok(Item::Value(date(ms as f64)))
            }
            (-1, 4 | 8) => {
                // Rewind the type byte: `ext` reads it again.
                self.pos -= 1;
                self.ext(len, bins)
            }
            _ => Err(DecodeError::UnsupportedExtension),
        }
    }

    fn bin(&mut self, len: usize, bins: &mut Vec<Bytes>) -> Result<Value, DecodeError> {
        let data = self.slice(len)?;
        bins.push(data);
        Ok(placeholder(bins.len() - 1))
    }

    /// One scalar, or the header of a container (`Err(len)` in `Header`).
    fn item(&mut self, bins: &mut Vec<Bytes>) -> Result<Token, DecodeError> {
        let value = match self.marker()? {
            Marker::Null => Value::Null,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(n) => Value::from(n),
            Marker::FixNeg(n) => Value::from(n),
            Marker::U8 => Value::from(self.u8()?),
            Marker::U16 => Value::from(self.u16()?),
            Marker::U32 => Value::from(self.u32()?),
            Marker::U64 => Value::from(u64::from_be_bytes(self.array()?)),
            Marker::I8 => Value::from(i8::from_be_bytes(self.array()?)),
            Marker::I16 => Value::from(i16::from_be_bytes(self.array()?)),
            Marker::I32 => Value::from(i32::from_be_bytes(self.array()?)),
            Marker::I64 => Value::from(i64::from_be_bytes(self.array()?)),
            Marker::F32 => float(f64::from(f32::from_be_bytes(self.array()?))),
            Marker::F64 => float(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(n) => Value::String(self.string(usize::from(n))?),
            Marker::Str8 => {
                let n = self.u8()?;
                Value::String(self.string(usize::from(n))?)
            }
            Marker::Str16 => {
                let n = self.u16()?;
                Value::String(self.string(usize::from(n))?)
            }
            Marker::Str32 => {
                let n = self.len32()?;
                Value::String(self.string(n)?)
            }
            Marker::Bin8 => {
                let n = self.u8()?;
                self.bin(usize::from(n), bins)?
            }
            Marker::Bin16 => {
                let n = self.u16()?;
                self.bin(usize::from(n), bins)?
            }
            Marker::Bin32 => {
                let n = self.len32()?;
                self.bin(n, bins)?
            }
            Marker::FixArray(n) => return self.header(usize::from(n), false),
            Marker::Array16 => {
                let n = self.u16()?;
                return self.header(usize::from(n), false);
            }
            Marker::Array32 => {
                let n = self.len32()?;
                return self.header(n, false);
            }
            Marker::FixMap(n) => return self.header(usize::from(n), true),
            Marker::Map16 => {
                let n = self.u16()?;
                return self.header(usize::from(n), true);
            }
            Marker::Map32 => {
                let n = self.len32()?;
                return self.header(n, true);
            }
            Marker::FixExt1 => return self.fixext(1, bins).map(Token::Item),
            Marker::FixExt2 => return self.fixext(2, bins).map(Token::Item),
            Marker::FixExt4 => return self.fixext(4, bins).map(Token::Item),
            Marker::FixExt8 => return self.fixext(8, bins).map(Token::Item),
            Marker::FixExt16 => return self.fixext(16, bins).map(Token::Item),
            Marker::Ext8 => {
                let n = self.u8()?;
                return self.ext(usize::from(n), bins).map(Token::Item);
            }
            Marker::Ext16 => {
                let n = self.u16()?;
                return self.ext(usize::from(n), bins).map(Token::Item);
            }
            Marker::Ext32 => {
                let n = self.len32()?;
                return self.ext(n, bins).map(Token::Item);
            }
            Marker::Reserved => return Err(DecodeError::InvalidMarker),
        };
        Ok(Token::Item(Item::Value(value)))
    }

    fn header(&self, len: usize, map: bool) -> Result<Token, DecodeError> {
        self.check_len(len, if map { 2 } else { 1 })?;
        Ok(if map {
            Token::Map(len)
        } else {
            Token::Array(len)
        })
    }

    /// One whole value, without recursing, nested at most `max_depth` deep; binaries go to
    /// `bins`. `None` for notepack's `undefined`.
    fn value(
        &mut self,
        max_depth: usize,
        bins: &mut Vec<Bytes>,
    ) -> Result<Option<Value>, DecodeError> {
        enum Frame {
            Array(Vec<Value>, usize),
            Map(Map<String, Value>, usize, String),
        }
        let mut stack: Vec<Frame> = Vec::new();
        // On an error, the partly built containers drop as usual: each holds complete values
        // at most `max_depth` deep, within the stack budget the limits allow.
        'outer: loop {
            let mut item = match self.item(bins)? {
                Token::Array(_) | Token::Map(_) if stack.len() >= max_depth => {
                    return Err(DecodeError::TooDeep { max_depth });
                }
                Token::Array(0) => Item::Value(Value::Array(Vec::new())),
                Token::Map(0) => Item::Value(Value::Object(Map::new())),
                Token::Array(len) => {
                    stack.push(Frame::Array(Vec::with_capacity(len.min(PREALLOC)), len));
                    continue;
                }
                Token::Map(len) => {
                    let key = self.key()?;
                    stack.push(Frame::Map(Map::new(), len, key));
                    continue;
                }
                Token::Item(item) => item,
            };
            // Hand the item to its container, closing every container it completes.
            loop {
                match stack.last_mut() {
                    None => {
                        return Ok(match item {
                            Item::Value(v) => Some(v),
                            Item::Undefined => None,
                        })
                    }
                    Some(Frame::Array(items, len)) => {
                        items.push(match item {
                            Item::Value(v) => v,
                            Item::Undefined => Value::Null,
                        });
                        if items.len() < *len {
                            continue 'outer;
                        }
                    }
                    Some(Frame::Map(map, len, key)) => {
                        *len -= 1;
                        if let Item::Value(v) = item {
                            map.insert(std::mem::take(key), v);
                        }
                        if *len > 0 {
                            *key = self.key()?;
                            continue 'outer;
                        }
                    }
                }
                item = match stack.pop() {
                    Some(Frame::Array(items, _)) => Item::Value(Value::Array(items)),
                    Some(Frame::Map(map, _, _)) => Item::Value(Value::Object(map)),
                    // `last_mut` found a frame above.
                    None => Item::Undefined,
                };
            }
        }
    }
}

enum Token {
    Item(Item),
    Array(usize),
    Map(usize),
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A JavaScript `Date` of `ms` milliseconds (as notepack computes it) as `JSON.stringify`
/// writes it: its ISO string, or `null` when invalid (out of range).
fn date(ms: f64) -> Value {
    if ms.is_finite() && ms.abs() <= MAX_DATE_MS {
        // In range by the check above, so the cast is exact.
        Value::String(iso_string(ms.trunc() as i64))
    } else {
        Value::Null
    }
}

/// `Date.prototype.toISOString`: `2024-01-02T03:04:05.678Z`, a signed six-digit year outside
/// `0000..=9999`.
fn iso_string(ms: i64) -> String {
    const DAY_MS: i64 = 86_400_000;
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    // Proleptic Gregorian date from the day count, by 400-year eras from 0000-03-01.
    let from_march = days + 719_468;
    let era = from_march.div_euclid(146_097);
    let doe = from_march.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year < 0 {
        format!("-{:06}", year.unsigned_abs())
    } else {
        format!("+{year:06}")
    };
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}
