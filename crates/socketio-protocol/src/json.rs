//! JSON helpers that never recurse on peer-controlled depth.
//!
//! serde_json's parser, serializer and `Value` visitors recurse once per nesting level, and its
//! parser stops at 128 levels. Socket.IO peers may nest deeper (V8 parses a million levels),
//! so the decoder first measures the depth with a flat scan, refuses what exceeds its limit,
//! then parses on a stack that grows on demand ([`serde_stacker`]). Writing and walking values
//! use explicit stacks.

use std::fmt::Write as _;

use serde::Deserialize as _;
use serde_json::Value;

use crate::packet::{placeholder_ref, PlaceholderRef};

/// Headroom kept below the current stack before a recursive step switches to a fresh
/// segment, and the size of each segment (see [`stacker::maybe_grow`]).
pub(crate) const STACK_RED_ZONE: usize = 64 * 1024;
pub(crate) const STACK_SEGMENT: usize = 1024 * 1024;

/// Runs `f` on a stack with at least [`STACK_RED_ZONE`] bytes left, growing it if needed.
/// Every recursion over peer data in this crate goes through here.
#[inline]
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, f)
}

/// The deepest nesting of arrays and objects in `text`, scanning no further than one level
/// past `max`. Brackets inside strings (escapes included) are skipped; the text need not be
/// valid JSON, since the parser judges that afterwards.
pub(crate) fn depth_exceeds(text: &str, max: usize) -> bool {
    if text.len() <= max {
        // Each level takes a byte: a text this short cannot nest deeper.
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Why [`parse_json`] refused a text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Arrays and objects nested deeper than the limit.
    #[error("JSON nested deeper than the limit")]
    TooDeep,
    /// Not exactly one JSON value.
    #[error(transparent)]
    Syntax(#[from] serde_json::Error),
}

/// Parses a peer's text as exactly one JSON value without recursing on its depth, as the
/// decoder does: nesting past `max_depth` is refused by a flat scan first, then the text is
/// parsed on a stack that grows on demand (serde_json's own parser recurses once per level
/// and stops at 128, where `JSON.parse` has no limit). For other JSON a peer sends, such as
/// the messages of a cluster adapter.
///
/// ```
/// use socketio_protocol::{parse_json, JsonError};
/// assert_eq!(parse_json(r#"{"a":[1]}"#, 8)?, serde_json::json!({"a": [1]}));
/// let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
/// assert!(matches!(parse_json(&deep, 1024), Err(JsonError::TooDeep)));
/// assert!(parse_json(&format!("{}{}", "[".repeat(1000), "]".repeat(1000)), 1024).is_ok());
/// assert!(matches!(parse_json("{} x", 8), Err(JsonError::Syntax(_))));
/// # Ok::<(), JsonError>(())
/// ```
pub fn parse_json(text: &str, max_depth: usize) -> Result<Value, JsonError> {
    if depth_exceeds(text, max_depth) {
        return Err(JsonError::TooDeep);
    }
    Ok(parse(text)?)
}

/// Texts up to this long are parsed without `serde_stacker` (each level of nesting takes at
/// least one byte, so they stay within serde_json's recursion limit of 128).
const SHALLOW: usize = 128;

/// Parses exactly one JSON value (surrounded by optional whitespace), with no depth limit of
/// its own: callers bound the depth first with [`depth_exceeds`].
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    if text.len() <= SHALLOW {
        // Too short to nest past serde_json's own recursion limit (128): the plain parser,
        // without the stack checks at every level.
        return serde_json::from_str(text);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = {
        let mut stacked = serde_stacker::Deserializer::new(&mut de);
        stacked.red_zone = STACK_RED_ZONE;
        stacked.stack_size = STACK_SEGMENT;
        Value::deserialize(stacked)?
    };
    de.end()?;
    Ok(value)
}

/// Appends `value` as compact JSON, byte for byte what `serde_json::to_string` writes (and,
/// for values that came from `JSON.parse`, what `JSON.stringify` writes, but for the spelling
/// of some floats), without recursing.
pub(crate) fn write_value(out: &mut String, value: &Value) {
    enum Frame<'a> {
        Array(std::slice::Iter<'a, Value>),
        Object(serde_json::map::Iter<'a>),
    }

    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                // `Number`'s Display is the serializer's spelling.
                Value::Number(n) => {
                    let _ = write!(out, "{n}");
                }
                Value::String(s) => write_str(out, s),
                Value::Array(items) => {
                    out.push('[');
                    stack.push(Frame::Array(items.iter()));
                }
                Value::Object(map) => {
                    out.push('{');
                    stack.push(Frame::Object(map.iter()));
                }
            }
        }
        let Some(frame) = stack.last_mut() else {
            return;
        };
        let first = matches!(out.as_bytes().last(), Some(b'[' | b'{'));
        match frame {
            Frame::Array(items) => match items.next() {
                Some(item) => {
                    if !first {
                        out.push(',');
                    }
                    next = Some(item);
                }
                None => {
                    out.push(']');
                    stack.pop();
                }
            },
            Frame::Object(entries) => match entries.next() {
                Some((key, item)) => {
                    if !first {
                        out.push(',');
                    }
                    write_str(out, key);
                    out.push(':');
                    next = Some(item);
                }
                None => {
                    out.push('}');
                    stack.pop();
                }
            },
        }
    }
}

/// Appends `s` as a JSON string literal, escaping as `JSON.stringify` does: `"`, `\`, and the
/// control characters below U+0020 (short forms where JSON has them, else `\u00xx`).
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = next_escape(bytes, start) {
        let b = bytes[i];
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => "",
        };
        // Every byte escaped is ASCII, so `start..i` lies on char boundaries.
        out.push_str(&s[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The first byte at or after `from` that JSON strings escape (`"`, `\`, controls), eight
/// bytes at a time: most strings have none.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `w` is below `n` (n <= 128); bytes >= 0x80 never count.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hit = below(w, 0x20)
            | below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1);
        if hit != 0 {
            break;
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|p| p + i)
}

/// Visits every placeholder of `value` depth-first, in document order, without descending
/// into placeholders themselves (as socket.io-parser's reconstruction does). Stops at the
/// first error `f` returns.
pub(crate) fn try_for_each_placeholder<E>(
    value: &Value,
    mut f: impl FnMut(PlaceholderRef) -> Result<(), E>,
) -> Result<(), E> {
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        return Ok(());
    }
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => match placeholder_ref(v) {
                PlaceholderRef::NotPlaceholder => stack.extend(map.values().rev()),
                found => f(found)?,
            },
            _ => {}
        }
    }
    Ok(())
}

/// Mutable counterpart of [`try_for_each_placeholder`]: `f` may rewrite each placeholder.
pub(crate) fn try_for_each_placeholder_mut<E>(
    value: &mut Value,
    mut f: impl FnMut(PlaceholderRef, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        // A scalar is no placeholder and holds none.
        return Ok(());
    }
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match placeholder_ref(v) {
            PlaceholderRef::NotPlaceholder => match v {
                Value::Array(items) => stack.extend(items.iter_mut().rev()),
                Value::Object(map) => stack.extend(map.values_mut().rev()),
                _ => {}
            },
            found => f(found, v)?,
        }
    }
    Ok(())
}

/// Drops `value` without recursing, for values deeper than a small stack can unwind.
pub(crate) fn drop_flat(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_scan_skips_strings_and_escapes() {
        assert!(!depth_exceeds(r#"[["[[[[", "\"[[[["]]"#, 2));
        assert!(depth_exceeds(r#"[[["x"]]]"#, 2));
        assert!(!depth_exceeds(r#"[[["x"]]]"#, 3));
        assert!(!depth_exceeds(r#"[{"a":{"b":[]}}]"#, 4));
        assert!(depth_exceeds(r#"[{"a":{"b":[]}}]"#, 3));
        assert!(!depth_exceeds(r#"["\\", [1]]"#, 2));
        assert!(!depth_exceeds("]]]]]][", 1));
    }

    #[test]
    fn string_escapes_match_serde_json_at_every_offset() {
        // Each escapable byte (and a multi-byte char) at every position of strings around the
        // eight-byte stride, so that both the word scan and the byte tail find it.
        let specials = [
            "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}", "é", "\u{7f}",
        ];
        for len in 0..20 {
            for at in 0..=len {
                for sp in specials {
                    let s = format!("{}{sp}{}", "a".repeat(at), "b".repeat(len - at));
                    let mut out = String::new();
                    write_str(&mut out, &s);
                    assert_eq!(out, serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
        let every: String = (0u8..128).map(char::from).collect::<String>().repeat(3);
        let mut out = String::new();
        write_str(&mut out, &every);
        assert_eq!(out, serde_json::to_string(&every).unwrap());
    }

    #[test]
    fn writer_matches_serde_json() {
        let values = [
            json!(null),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"a": {}}]),
            json!([
                "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀/",
                1,
                -2,
                1.5,
                1e300,
                0.1,
                true,
                false,
                null
            ]),
            json!({"b": 1, "a": [1, {"c": "d"}], "": ""}),
            json!(u64::MAX),
            json!(i64::MIN),
        ];
        for v in values {
            let mut out = String::new();
            write_value(&mut out, &v);
            assert_eq!(out, serde_json::to_string(&v).unwrap());
        }
    }

    #[test]
    fn parse_rejects_trailing_garbage_and_accepts_whitespace() {
        assert_eq!(parse(" [1] \n").unwrap(), json!([1]));
        assert!(parse("[1] x").is_err());
        assert!(parse("").is_err());
        assert!(parse("[1").is_err());
    }
}
