//! JSON messages parsed without recursing on peer-controlled depth.
//!
//! serde_json's parser recurses once per nesting level and stops at 128 levels, where Node's
//! `JSON.parse` has no such limit. So the nesting is first measured with a flat scan and
//! refused past the limit, then the text is parsed on a stack that grows on demand
//! ([`serde_stacker`]).

use serde::Deserialize as _;
use serde_json::Value;

/// Headroom kept below the current stack before a recursive parser step switches to a fresh
/// segment, and the size of each segment.
const STACK_RED_ZONE: usize = 64 * 1024;
const STACK_SEGMENT: usize = 1024 * 1024;

/// Why a JSON message was refused.
#[derive(Debug)]
pub(crate) enum JsonError {
    /// Nested deeper than the limit.
    TooDeep,
    /// Not one JSON value.
    Syntax(serde_json::Error),
}

/// Whether `text` nests arrays and objects deeper than `max`, scanning no further than one
/// level past it. Brackets inside strings (escapes included) are skipped; the text need not
/// be valid JSON, the parser judges that afterwards.
fn depth_exceeds(text: &[u8], max: usize) -> bool {
    if text.len() <= max {
        // Each level takes a byte: a text this short cannot nest deeper.
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
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

/// Parses `input` as exactly one JSON value, as Node's `JSON.parse(msg.toString())` does:
/// invalid UTF-8 is replaced by U+FFFD first.
pub(crate) fn parse(input: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    if depth_exceeds(input, max_depth) {
        return Err(JsonError::TooDeep);
    }
    let text = String::from_utf8_lossy(input);
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let value = {
        let mut stacked = serde_stacker::Deserializer::new(&mut de);
        stacked.red_zone = STACK_RED_ZONE;
        stacked.stack_size = STACK_SEGMENT;
        Value::deserialize(stacked).map_err(JsonError::Syntax)?
    };
    de.end().map_err(JsonError::Syntax)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_bounded_and_strings_are_skipped() {
        assert!(!depth_exceeds(b"[[1]]", 2));
        assert!(depth_exceeds(b"[[[1]]]", 2));
        assert!(!depth_exceeds(br#"["[[[[", "\"[[[["]"#, 2));
        let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
        assert!(matches!(
            parse(deep.as_bytes(), 1024),
            Err(JsonError::TooDeep)
        ));
        let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(parse(ok.as_bytes(), 1024).is_ok());
    }

    #[test]
    fn invalid_utf8_is_replaced_like_node() {
        let value = parse(b"\"a\xffb\"", 8).ok();
        assert_eq!(value, Some(Value::from("a\u{fffd}b")));
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(matches!(parse(b"{} x", 8), Err(JsonError::Syntax(_))));
        assert!(matches!(parse(b"{", 8), Err(JsonError::Syntax(_))));
    }
}
