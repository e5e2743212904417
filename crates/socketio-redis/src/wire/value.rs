//! Messages as JSON values: sniffing the encoding, applying the limits, and reading fields
//! the way Node's adapter reads JavaScript objects.

use bytes::Bytes;
use serde_json::{Map, Value};
use socketio_protocol::{parse_json, JsonError};

use super::error::WireError;
use crate::limits::DecodeLimits;
use crate::msgpack::Reader;
use crate::payload::read_json_value;

/// Decodes a message body: JSON when its first byte is `{` (`0x7b`), as Node sniffs it, else
/// MessagePack with every `bin` turned into a placeholder and an attachment.
pub(crate) fn parse_body(
    input: &[u8],
    limits: &DecodeLimits,
) -> Result<(Value, Vec<Bytes>), WireError> {
    match input.first() {
        None => Err(WireError::Empty),
        Some(b'{') => {
            check_len(input, limits)?;
            let max = limits.message_depth();
            // Node's `JSON.parse(msg.toString())`: invalid UTF-8 becomes U+FFFD first.
            match parse_json(&String::from_utf8_lossy(input), max) {
                Ok(value) => Ok((value, Vec::new())),
                Err(JsonError::Syntax(e)) => Err(WireError::Json(e)),
                Err(_) => Err(WireError::TooDeep { max }),
            }
        }
        Some(_) => parse_msgpack(input, limits),
    }
}

/// Decodes a MessagePack message body (see [`parse_body`]).
pub(crate) fn parse_msgpack(
    input: &[u8],
    limits: &DecodeLimits,
) -> Result<(Value, Vec<Bytes>), WireError> {
    if input.is_empty() {
        return Err(WireError::Empty);
    }
    check_len(input, limits)?;
    let mut reader = Reader::new(input);
    let mut attachments = Vec::new();
    let value = read_json_value(&mut reader, &mut attachments, limits.message_depth())?;
    reader.finish()?;
    Ok((value, attachments))
}

fn check_len(input: &[u8], limits: &DecodeLimits) -> Result<(), WireError> {
    if input.len() > limits.max_len {
        return Err(WireError::TooLarge {
            len: input.len(),
            max: limits.max_len,
        });
    }
    Ok(())
}

/// JavaScript truthiness: `null`, `false`, `0`, `""` are false, anything else true.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// An integral number as an `i64` (`2.0` counts, as `JSON.parse` makes it `2`).
pub(crate) fn integer(value: &Value) -> Option<i64> {
    let Value::Number(n) = value else { return None };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    // Integral and within i64: exact.
    (f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0).then_some(f as i64)
}

/// A non-negative number as whole units (fractions dropped, negatives 0, saturating).
pub(crate) fn whole(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    // Negative integers and floats: `as` truncates and saturates (negatives to 0).
    n.as_f64().map(|f| f as u64)
}

/// A room: a string, or a number as its decimal text (a Node numeric room).
pub(crate) fn room_name(value: Value, field: &'static str) -> Result<String, WireError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(WireError::WrongType {
            field,
            expected: "an array of strings or numbers",
        }),
    }
}

/// An array of rooms. A non-array, or an element of another kind, is an error: Node would
/// match nothing with it, and skipping it here could widen a broadcast to everyone.
pub(crate) fn room_names(value: Value, field: &'static str) -> Result<Vec<String>, WireError> {
    let Value::Array(items) = value else {
        return Err(WireError::WrongType {
            field,
            expected: "an array of strings or numbers",
        });
    };
    items
        .into_iter()
        .map(|item| room_name(item, field))
        .collect()
}

/// The fields of a message object, taken out one by one. Absent and `null` are the same
/// (notepack writes `undefined` as `nil`).
#[derive(Debug)]
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// The fields of `value`, which must be an object.
    pub(crate) fn new(value: Value, field: &'static str) -> Result<Self, WireError> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(WireError::WrongType {
                field,
                expected: "a map",
            }),
        }
    }

    /// Takes `key` out; `None` when absent or `null`.
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    /// Takes a required field.
    pub(crate) fn required(&mut self, key: &str, field: &'static str) -> Result<Value, WireError> {
        self.take(key).ok_or(WireError::MissingField(field))
    }

    /// Takes a string field, `None` when absent.
    pub(crate) fn opt_string(
        &mut self,
        key: &str,
        field: &'static str,
    ) -> Result<Option<String>, WireError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(WireError::WrongType {
                field,
                expected: "a string",
            }),
        }
    }

    /// Takes a required string field.
    pub(crate) fn string(&mut self, key: &str, field: &'static str) -> Result<String, WireError> {
        self.opt_string(key, field)?
            .ok_or(WireError::MissingField(field))
    }

    /// Takes an integer field, `None` when absent.
    pub(crate) fn opt_integer(
        &mut self,
        key: &str,
        field: &'static str,
    ) -> Result<Option<i64>, WireError> {
        match self.take(key) {
            None => Ok(None),
            Some(value) => integer(&value).map(Some).ok_or(WireError::WrongType {
                field,
                expected: "an integer",
            }),
        }
    }

    /// Takes a field as JavaScript truthiness (absent is false).
    pub(crate) fn truthy(&mut self, key: &str) -> bool {
        self.take(key).is_some_and(|v| truthy(&v))
    }

    /// Takes an array of rooms, empty when absent (Node's `new Set(undefined)`).
    pub(crate) fn rooms(
        &mut self,
        key: &str,
        field: &'static str,
    ) -> Result<Vec<String>, WireError> {
        self.take(key)
            .map_or(Ok(Vec::new()), |value| room_names(value, field))
    }

    /// Takes an object field, empty when absent.
    pub(crate) fn object(
        &mut self,
        key: &str,
        field: &'static str,
    ) -> Result<Map<String, Value>, WireError> {
        match self.take(key) {
            None => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(WireError::WrongType {
                field,
                expected: "a map",
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_are_bounded_and_read_like_node() {
        let limits = DecodeLimits::default();
        // Invalid UTF-8 is replaced, as Node's `msg.toString()` does.
        let (value, _) = parse_body(b"{\"k\":\"a\xffb\"}", &limits).unwrap();
        assert_eq!(value["k"], Value::from("a\u{fffd}b"));
        assert!(matches!(
            parse_body(b"{} x", &limits),
            Err(WireError::Json(_))
        ));
        assert!(matches!(parse_body(b"{", &limits), Err(WireError::Json(_))));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(matches!(
            parse_body(deep.as_bytes(), &limits),
            Err(WireError::TooDeep { .. })
        ));
    }
}
