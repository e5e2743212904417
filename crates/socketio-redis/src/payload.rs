//! The bridge between MessagePack and the project's payload model,
//! [`socketio_protocol::Payload`]: JSON data whose binary parts are placeholders
//! `{"_placeholder":true,"num":N}` pointing into a list of attachments.
//!
//! On the bus, binary travels inline: a Node server publishes the packet *before*
//! socket.io-parser splits out its buffers, so each `Buffer` is a MessagePack `bin` at its
//! natural position. Encoding writes each placeholder's attachment there; decoding turns every
//! `bin` into a placeholder and an attachment, numbered in document order, so a broadcast from
//! Node with nested buffers arrives as a payload a server sends to its clients as
//! BINARY_EVENT. The rest of the decoded tree is what a Node server's clients would receive,
//! `JSON.stringify` applied: dates become their ISO text, `NaN` and `±Infinity` `null`,
//! `undefined` properties vanish.

use bytes::Bytes;
use serde_json::{Map, Number, Value};
use socketio_protocol::{placeholder, placeholder_ref, Payload, PlaceholderRef};

use crate::error::EncodeError;
use crate::limits::DecodeLimits;
use crate::msgpack::{
    self, iso_string, write_array_len, write_bin, write_bool, write_int, write_map_len, write_nil,
    write_number, write_str, write_uint, DecodeError, Reader, Token,
};

#[cfg(test)]
mod tests;

/// Appends `value` as MessagePack, notepack's way: each placeholder naming one of
/// `attachments` becomes that attachment as `bin`, numbers follow JavaScript's rules
/// ([`msgpack::write_number`]), objects are maps in serde_json's key order (sorted; Node
/// writes insertion order, and receivers read maps by key). Iterative: any depth.
///
/// An object with `"_placeholder": true` but no valid `num` is written as a plain map; a valid
/// one naming a missing attachment is [`EncodeError::MissingAttachment`].
pub fn write_json_value(
    out: &mut Vec<u8>,
    value: &Value,
    attachments: &[Bytes],
) -> Result<(), EncodeError> {
    enum Frame<'v> {
        Array(std::slice::Iter<'v, Value>),
        Object(serde_json::map::Iter<'v>),
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::Null => write_nil(out),
                Value::Bool(b) => write_bool(out, *b),
                Value::Number(n) => write_json_number(out, n),
                Value::String(s) => write_str(out, s)?,
                Value::Array(items) => {
                    write_array_len(out, items.len())?;
                    stack.push(Frame::Array(items.iter()));
                }
                Value::Object(map) => match placeholder_ref(value) {
                    PlaceholderRef::Index(index) => {
                        let bytes =
                            attachments
                                .get(index)
                                .ok_or(EncodeError::MissingAttachment {
                                    index,
                                    count: attachments.len(),
                                })?;
                        write_bin(out, bytes)?;
                    }
                    PlaceholderRef::NotPlaceholder | PlaceholderRef::Invalid => {
                        write_map_len(out, map.len())?;
                        stack.push(Frame::Object(map.iter()));
                    }
                },
            }
        }
        match stack.last_mut() {
            None => return Ok(()),
            Some(Frame::Array(items)) => match items.next() {
                Some(item) => next = Some(item),
                None => {
                    stack.pop();
                }
            },
            Some(Frame::Object(entries)) => match entries.next() {
                Some((key, value)) => {
                    write_str(out, key)?;
                    next = Some(value);
                }
                None => {
                    stack.pop();
                }
            },
        }
    }
}

fn write_json_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        write_uint(out, u);
    } else if let Some(i) = n.as_i64() {
        write_int(out, i);
    } else if let Some(f) = n.as_f64() {
        write_number(out, f);
    }
}

/// Appends `payload.data` with its attachments inline ([`write_json_value`]).
pub fn encode_payload(out: &mut Vec<u8>, payload: &Payload) -> Result<(), EncodeError> {
    write_json_value(out, &payload.data, &payload.attachments)
}

/// Decodes exactly one value filling `input` as a payload ([`read_json_value`]), within
/// `limits` (its depth applies to the whole input).
pub fn decode_payload(input: &[u8], limits: &DecodeLimits) -> Result<Payload, DecodeError> {
    if input.len() > limits.max_len {
        return Err(DecodeError::TooLarge {
            len: input.len(),
            max: limits.max_len,
        });
    }
    let mut reader = Reader::new(input);
    let mut attachments = Vec::new();
    let data = read_json_value(&mut reader, &mut attachments, limits.max_depth)?;
    reader.finish()?;
    Ok(Payload::with_attachments(data, attachments))
}

/// A number as `JSON.stringify` would print the JavaScript number notepack decodes: integral
/// values as integers (`1.0` and `-0` print `1` and `0`), non-finite ones as `null`.
fn json_float(f: f64) -> Value {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && f.abs() < TWO_POW_63 {
        // Integral and in range: exact.
        return Value::from(f as i64);
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// What a leaf token stands for once `JSON.stringify`-ed; `None` for `undefined`.
fn leaf(token: Token<'_>, attachments: &mut Vec<Bytes>) -> Option<Value> {
    Some(match token {
        Token::Nil | Token::Timestamp(None) => Value::Null,
        Token::Undefined => return None,
        Token::Bool(b) => Value::Bool(b),
        Token::Int(n) => Value::from(n),
        Token::UInt(n) => Value::from(n),
        Token::Float(f) => json_float(f),
        Token::Str(s) => Value::String(s.into_owned()),
        Token::Timestamp(Some(ms)) => Value::String(iso_string(ms)),
        Token::Bin(bytes) => {
            attachments.push(Bytes::copy_from_slice(bytes));
            placeholder(attachments.len() - 1)
        }
        Token::Ext(kind, bytes) => {
            attachments.push(Bytes::copy_from_slice(bytes));
            Value::Array(vec![Value::from(kind), placeholder(attachments.len() - 1)])
        }
        // Containers are handled by the caller.
        Token::Array(_) | Token::Map(_) => Value::Null,
    })
}

/// Reads the next value from `reader` as JSON (without recursing): every `bin` (and the data
/// of an unknown extension, which becomes `[type, bin]` as in notepack) is pushed onto
/// `attachments` and left as a placeholder naming it; a date becomes its ISO text
/// ([`iso_string`]); `NaN`/`±Infinity` and invalid dates `null`; a notepack 2.x `undefined`
/// leaves its map key out (`null` in an array). Integers keep all 64 bits. Arrays and maps
/// nested deeper than `max_depth` (an extension pair counting as one level) are
/// [`DecodeError::TooDeep`]; a map key other than a string or integer is
/// [`DecodeError::InvalidKey`]. Duplicate keys keep the last value, as JavaScript does.
pub fn read_json_value(
    reader: &mut Reader<'_>,
    attachments: &mut Vec<Bytes>,
    max_depth: usize,
) -> Result<Value, DecodeError> {
    enum Frame {
        Array(Vec<Value>, usize),
        Object(Map<String, Value>, usize, String),
    }
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let token = reader.read_token()?;
        let opens = matches!(token, Token::Array(_) | Token::Map(_) | Token::Ext(..));
        if opens && stack.len() >= max_depth {
            return Err(DecodeError::TooDeep { max: max_depth });
        }
        let mut value = match token {
            Token::Array(0) => Some(Value::Array(Vec::new())),
            Token::Map(0) => Some(Value::Object(Map::new())),
            Token::Array(len) => {
                let items = Vec::with_capacity(len.min(msgpack::PREALLOC));
                stack.push(Frame::Array(items, len));
                continue;
            }
            Token::Map(len) => {
                let key = reader.read_key()?;
                stack.push(Frame::Object(Map::new(), len, key));
                continue;
            }
            token => leaf(token, attachments),
        };
        // Hand the value to its container, closing every container it completes.
        loop {
            match stack.last_mut() {
                None => return Ok(value.unwrap_or(Value::Null)),
                Some(Frame::Array(items, len)) => {
                    items.push(value.unwrap_or(Value::Null));
                    if items.len() < *len {
                        break;
                    }
                }
                Some(Frame::Object(map, left, key)) => {
                    let name = std::mem::take(key);
                    match value {
                        Some(value) => {
                            map.insert(name, value);
                        }
                        // `{a: undefined}`: JSON.stringify leaves `a` out; a later `a` wins.
                        None => {
                            map.remove(&name);
                        }
                    }
                    *left -= 1;
                    if *left > 0 {
                        *key = reader.read_key()?;
                        break;
                    }
                }
            }
            value = match stack.pop() {
                Some(Frame::Array(items, _)) => Some(Value::Array(items)),
                Some(Frame::Object(map, _, _)) => Some(Value::Object(map)),
                // Not reached: the frame was just seen on top.
                None => None,
            };
        }
    }
}

/// The payload's data with each placeholder replaced by what `JSON.stringify` makes of a Node
/// `Buffer`, `{"type":"Buffer","data":[bytes…]}`: how binary crosses the bus inside the JSON
/// messages (SERVER_SIDE_EMIT and its replies), where Node's receivers see exactly that
/// object. Iterative: any depth.
pub fn buffers_to_json(payload: &Payload) -> Value {
    let mut data = payload.data.clone();
    if payload.attachments.is_empty() {
        return data;
    }
    let mut stack: Vec<&mut Value> = vec![&mut data];
    while let Some(value) = stack.pop() {
        if let PlaceholderRef::Index(index) = placeholder_ref(value) {
            if let Some(bytes) = payload.attachments.get(index) {
                let mut buffer = Map::new();
                buffer.insert("type".to_owned(), Value::from("Buffer"));
                buffer.insert(
                    "data".to_owned(),
                    Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
                );
                *value = Value::Object(buffer);
                continue;
            }
        }
        match value {
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    data
}
