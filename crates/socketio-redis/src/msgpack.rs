//! MessagePack as notepack.io 3.0.1 writes and reads it: writer primitives, a pull
//! [`Reader`] of [`Token`]s, and a [`Value`] tree.
//!
//! notepack is the codec of `@socket.io/redis-adapter` 8.x and `@socket.io/redis-emitter` 5.x.
//! What it writes, and so what the writers here write:
//!
//! | JavaScript value | MessagePack |
//! |---|---|
//! | a number without fraction (`-0` included, which becomes `0`) | the smallest int: fixint, `u8`..`u64` for `>= 0`, `i8`..`i64` below |
//! | any other number (fractions, `NaN`, `±Infinity`) | `float 64` (`0xcb`), never `float 32` |
//! | string | fixstr, `str 8/16/32` |
//! | `null`, `undefined` | `nil` |
//! | `Buffer`, `ArrayBuffer`, typed arrays | `bin 8/16/32` |
//! | `Date` | timestamp extension `-1`: 32-bit for whole seconds in `0..2^32`, 64-bit up to `2^34` seconds, 96-bit otherwise |
//! | array, object | fixarray/`array 16/32`, fixmap/`map 16/32` with string keys; properties holding `undefined` or a function are left out |
//!
//! What it reads, beyond that: `float 32`; the notepack 2.x forms (`d4 00 xx` is `undefined`,
//! `d7 00` + 8 bytes a date in milliseconds, ext 8/16/32 of type `0` an `ArrayBuffer`); any other
//! extension as the pair `[type, bytes]`. It refuses `0xc1` and trailing bytes. So do the
//! readers here, which in addition never read past the input (notepack reads `undefined`, or
//! silently short data, and then fails on the length) and bound nesting.
//!
//! Where this module's numbers differ from JavaScript's: `u64` and `i64` values keep all their
//! bits ([`Token::Int`], [`Token::UInt`]), where notepack rounds them to the nearest double
//! past 2^53; the JSON text a client finally parses rounds to the same double. Integral
//! numbers at or past 2^64 (or below -2^63) are written as `float 64`, where notepack writes a
//! wrapped, wrong `u64`/`i64`.

use std::borrow::Cow;

use bytes::Bytes;

use crate::error::EncodeError;
use crate::limits::DecodeLimits;

#[cfg(test)]
mod tests;

/// Why MessagePack input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends inside the value that starts at byte `offset`, or a length prefix there
    /// claims more bytes or elements than the input has left (every element takes at least
    /// one byte, a map entry two).
    #[error("truncated MessagePack: the value at byte {offset} runs past the end of the input")]
    Truncated {
        /// Where the value starts.
        offset: usize,
    },
    /// `0xc1`, the one marker MessagePack never uses (notepack: "Could not parse").
    #[error("invalid MessagePack marker 0x{marker:02x} at byte {offset}")]
    InvalidMarker {
        /// The marker byte.
        marker: u8,
        /// Where it is.
        offset: usize,
    },
    /// A map key that is neither a string nor an integer (an integer becomes its decimal
    /// text, as JavaScript property names do).
    #[error("the map key at byte {offset} is neither a string nor an integer")]
    InvalidKey {
        /// Where the key starts.
        offset: usize,
    },
    /// Arrays and maps nested deeper than the limit ([`DecodeLimits::max_depth`]).
    #[error("MessagePack nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Bytes left after the value (notepack: "N trailing bytes").
    #[error("{count} trailing bytes after the MessagePack value")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The input is longer than [`DecodeLimits::max_len`].
    #[error("MessagePack input of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The input's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// The most elements a decoder reserves room for up front, whatever a length prefix says.
/// A prefix is only checked against the bytes left, and nested containers may all claim the
/// same bytes: reserving their full lengths would cost depth × input. Past this, containers
/// grow as their elements actually arrive, each of which consumes input.
pub(crate) const PREALLOC: usize = 32;

/// Milliseconds past which JavaScript has no `Date` (`±8.64e15`, ±100,000,000 days).
const MAX_DATE_MS: f64 = 8.64e15;

/// One MessagePack item, as [`Reader::read_token`] returns it.
///
/// Containers come as their header only: an [`Array`](Token::Array) is followed by that many
/// values, a [`Map`](Token::Map) by that many key-value pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    /// `nil`.
    Nil,
    /// The notepack 2.x `undefined` (`d4 00 xx`). In a map, JavaScript keeps the key with an
    /// `undefined` value, which `JSON.stringify` leaves out; in an array it becomes `null`.
    Undefined,
    /// `true` or `false`.
    Bool(bool),
    /// Any integer that fits an `i64`.
    Int(i64),
    /// A `u64` above `i64::MAX`.
    UInt(u64),
    /// `float 32` or `float 64`.
    Float(f64),
    /// A string, invalid UTF-8 replaced by U+FFFD as Node's `buffer.toString("utf8")` does.
    Str(Cow<'a, str>),
    /// `bin 8/16/32`, or a notepack 2.x `ArrayBuffer` (ext 8/16/32 of type `0`).
    Bin(&'a [u8]),
    /// An array header: that many values follow.
    Array(usize),
    /// A map header: that many key-value pairs follow.
    Map(usize),
    /// A timestamp (extension `-1`) or a notepack 2.x date (`d7 00`), as the JavaScript `Date`
    /// notepack makes of it: milliseconds since the Unix epoch, computed with JavaScript's
    /// double arithmetic and truncated toward zero. `None` for an invalid `Date` (out of
    /// JavaScript's range), which `JSON.stringify` writes as `null`.
    Timestamp(Option<i64>),
    /// Any other extension: its type and data. notepack decodes it as `[type, Buffer]`.
    Ext(i8, &'a [u8]),
}

/// A pull parser over one MessagePack input. Never panics, never reads past the input, and
/// checks every length prefix against the bytes left before a caller could allocate for it.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// The offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// [`DecodeError::TrailingBytes`] unless the whole input was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }

    fn take(&mut self, n: usize, start: usize) -> Result<&'a [u8], DecodeError> {
        let truncated = DecodeError::Truncated { offset: start };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let bytes = self.input.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, start: usize) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, start)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self, start: usize) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(start)?))
    }

    fn i8(&mut self, start: usize) -> Result<i8, DecodeError> {
        Ok(i8::from_be_bytes(self.array(start)?))
    }

    fn u16(&mut self, start: usize) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(start)?))
    }

    fn u32(&mut self, start: usize) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(start)?))
    }

    fn len8(&mut self, start: usize) -> Result<usize, DecodeError> {
        Ok(usize::from(self.u8(start)?))
    }

    fn len16(&mut self, start: usize) -> Result<usize, DecodeError> {
        Ok(usize::from(self.u16(start)?))
    }

    fn len32(&mut self, start: usize) -> Result<usize, DecodeError> {
        usize::try_from(self.u32(start)?).map_err(|_| DecodeError::Truncated { offset: start })
    }

    fn str(&mut self, len: usize, start: usize) -> Result<Token<'a>, DecodeError> {
        Ok(Token::Str(String::from_utf8_lossy(self.take(len, start)?)))
    }

    fn array_header(&self, len: usize, start: usize) -> Result<Token<'a>, DecodeError> {
        if len > self.remaining() {
            return Err(DecodeError::Truncated { offset: start });
        }
        Ok(Token::Array(len))
    }

    fn map_header(&self, len: usize, start: usize) -> Result<Token<'a>, DecodeError> {
        if len > self.remaining() / 2 {
            return Err(DecodeError::Truncated { offset: start });
        }
        Ok(Token::Map(len))
    }

    /// ext 8/16/32: type `0` is a notepack 2.x `ArrayBuffer`; for ext 8 only, type `-1` is a
    /// 96-bit timestamp, read as 12 bytes whatever the length byte says (as notepack does).
    fn ext(&mut self, len: usize, ext8: bool, start: usize) -> Result<Token<'a>, DecodeError> {
        match self.i8(start)? {
            0 => Ok(Token::Bin(self.take(len, start)?)),
            -1 if ext8 => {
                let ns = self.u32(start)?;
                let secs = i64::from_be_bytes(self.array(start)?);
                let hi = (secs >> 32) as f64;
                let lo = (secs & 0xffff_ffff) as f64;
                Ok(Token::Timestamp(time_clip(
                    (hi * 4_294_967_296.0 + lo) * 1e3 + f64::from(ns) / 1e6,
                )))
            }
            kind => Ok(Token::Ext(kind, self.take(len, start)?)),
        }
    }

    /// The next item. At the end of the input, [`DecodeError::Truncated`].
    pub fn read_token(&mut self) -> Result<Token<'a>, DecodeError> {
        let start = self.pos;
        let marker = self.u8(start)?;
        Ok(match marker {
            0x00..=0x7f => Token::Int(i64::from(marker)),
            0x80..=0x8f => self.map_header(usize::from(marker & 0x0f), start)?,
            0x90..=0x9f => self.array_header(usize::from(marker & 0x0f), start)?,
            0xa0..=0xbf => self.str(usize::from(marker & 0x1f), start)?,
            0xc0 => Token::Nil,
            0xc1 => {
                return Err(DecodeError::InvalidMarker {
                    marker,
                    offset: start,
                })
            }
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4 => {
                let len = self.len8(start)?;
                Token::Bin(self.take(len, start)?)
            }
            0xc5 => {
                let len = self.len16(start)?;
                Token::Bin(self.take(len, start)?)
            }
            0xc6 => {
                let len = self.len32(start)?;
                Token::Bin(self.take(len, start)?)
            }
            0xc7 => {
                let len = self.len8(start)?;
                self.ext(len, true, start)?
            }
            0xc8 => {
                let len = self.len16(start)?;
                self.ext(len, false, start)?
            }
            0xc9 => {
                let len = self.len32(start)?;
                self.ext(len, false, start)?
            }
            0xca => Token::Float(f64::from(f32::from_be_bytes(self.array(start)?))),
            0xcb => Token::Float(f64::from_be_bytes(self.array(start)?)),
            0xcc => Token::Int(i64::from(self.u8(start)?)),
            0xcd => Token::Int(i64::from(self.u16(start)?)),
            0xce => Token::Int(i64::from(self.u32(start)?)),
            0xcf => {
                let n = u64::from_be_bytes(self.array(start)?);
                i64::try_from(n).map_or(Token::UInt(n), Token::Int)
            }
            0xd0 => Token::Int(i64::from(self.i8(start)?)),
            0xd1 => Token::Int(i64::from(i16::from_be_bytes(self.array(start)?))),
            0xd2 => Token::Int(i64::from(i32::from_be_bytes(self.array(start)?))),
            0xd3 => Token::Int(i64::from_be_bytes(self.array(start)?)),
            0xd4 => match self.i8(start)? {
                0 => {
                    self.take(1, start)?;
                    Token::Undefined
                }
                kind => Token::Ext(kind, self.take(1, start)?),
            },
            0xd5 => {
                let kind = self.i8(start)?;
                Token::Ext(kind, self.take(2, start)?)
            }
            0xd6 => match self.i8(start)? {
                -1 => Token::Timestamp(time_clip(f64::from(self.u32(start)?) * 1e3)),
                kind => Token::Ext(kind, self.take(4, start)?),
            },
            0xd7 => match self.i8(start)? {
                0 => {
                    let ms = i64::from_be_bytes(self.array(start)?);
                    let hi = (ms >> 32) as f64;
                    let lo = (ms & 0xffff_ffff) as f64;
                    Token::Timestamp(time_clip(hi * 4_294_967_296.0 + lo))
                }
                -1 => {
                    let hi = self.u32(start)?;
                    let lo = self.u32(start)?;
                    let secs = f64::from(hi & 0x3) * 4_294_967_296.0 + f64::from(lo);
                    Token::Timestamp(time_clip(secs * 1e3 + f64::from(hi >> 2) / 1e6))
                }
                kind => Token::Ext(kind, self.take(8, start)?),
            },
            0xd8 => {
                let kind = self.i8(start)?;
                Token::Ext(kind, self.take(16, start)?)
            }
            0xd9 => {
                let len = self.len8(start)?;
                self.str(len, start)?
            }
            0xda => {
                let len = self.len16(start)?;
                self.str(len, start)?
            }
            0xdb => {
                let len = self.len32(start)?;
                self.str(len, start)?
            }
            0xdc => {
                let len = self.len16(start)?;
                self.array_header(len, start)?
            }
            0xdd => {
                let len = self.len32(start)?;
                self.array_header(len, start)?
            }
            0xde => {
                let len = self.len16(start)?;
                self.map_header(len, start)?
            }
            0xdf => {
                let len = self.len32(start)?;
                self.map_header(len, start)?
            }
            0xe0..=0xff => Token::Int(i64::from(marker as i8)),
        })
    }

    /// Reads a map key: a string, or an integer as its decimal text (JavaScript turns every
    /// property name into a string).
    pub fn read_key(&mut self) -> Result<String, DecodeError> {
        let offset = self.pos;
        match self.read_token()? {
            Token::Str(s) => Ok(s.into_owned()),
            Token::Int(n) => Ok(n.to_string()),
            Token::UInt(n) => Ok(n.to_string()),
            _ => Err(DecodeError::InvalidKey { offset }),
        }
    }
}

/// JavaScript's `TimeClip`: `None` (an invalid `Date`) past ±8.64e15 ms, else the time
/// truncated toward zero.
fn time_clip(ms: f64) -> Option<i64> {
    if ms.is_finite() && ms.abs() <= MAX_DATE_MS {
        // In range by the check above, so the cast is exact.
        Some(ms.trunc() as i64)
    } else {
        None
    }
}

/// The text `Date.prototype.toISOString` (and so `JSON.stringify`) gives for `ms` milliseconds
/// since the Unix epoch: `2024-01-02T03:04:05.678Z`, with a signed six-digit year outside
/// `0000..=9999` (`+275760-09-13T00:00:00.000Z`).
pub fn iso_string(ms: i64) -> String {
    const DAY_MS: i64 = 86_400_000;
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
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

/// The proleptic Gregorian (year, month, day) of a day count from 1970-01-01, by 400-year eras
/// of 146,097 days counted from 0000-03-01 (so the leap day ends each era's year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let from_march = days + 719_468; // days from 0000-03-01
    let era = from_march.div_euclid(146_097);
    let day_of_era = from_march.rem_euclid(146_097); // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both in range by construction (1..=12, 1..=31).
    (year, month as u32, day as u32)
}

// ---------------------------------------------------------------------------------------------
// Writers

/// Appends `nil`.
pub fn write_nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

/// Appends `true` or `false`.
pub fn write_bool(out: &mut Vec<u8>, value: bool) {
    out.push(if value { 0xc3 } else { 0xc2 });
}

/// Appends the smallest unsigned form: positive fixint, `u8`, `u16`, `u32`, `u64`.
pub fn write_uint(out: &mut Vec<u8>, n: u64) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0xcc, n as u8]);
    } else if n < 0x1_0000 {
        out.push(0xcd);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends the smallest form notepack picks: [`write_uint`] for `n >= 0`, else negative
/// fixint, `i8`, `i16`, `i32`, `i64`.
pub fn write_int(out: &mut Vec<u8>, n: i64) {
    if let Ok(u) = u64::try_from(n) {
        write_uint(out, u);
    } else if n >= -32 {
        out.push(n as u8);
    } else if n >= -0x80 {
        out.extend_from_slice(&[0xd0, n as u8]);
    } else if n >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends `float 64`, whatever the value.
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    out.push(0xcb);
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends a JavaScript number as notepack does: an integral finite value as the smallest int
/// (`-0` as `0`), anything else as `float 64`. Integral values at or past 2^64 or below -2^63
/// are written as `float 64` too (notepack writes a wrapped integer there).
pub fn write_number(out: &mut Vec<u8>, value: f64) {
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if value.is_finite() && value.fract() == 0.0 {
        if (0.0..TWO_POW_64).contains(&value) {
            // Integral and in range: exact.
            return write_uint(out, value as u64);
        }
        if (-TWO_POW_63..0.0).contains(&value) {
            return write_int(out, value as i64);
        }
    }
    write_f64(out, value);
}

fn len32(len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| EncodeError::TooLong { len })
}

/// Appends a string header for `len` bytes: fixstr, `str 8`, `str 16`, `str 32`.
fn write_str_header(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let n = len32(len)?;
    if n < 0x20 {
        out.push(0xa0 | n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n < 0x1_0000 {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(())
}

/// Appends a string (fixstr, `str 8/16/32`). [`EncodeError::TooLong`] past `u32::MAX` bytes.
pub fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), EncodeError> {
    write_str_header(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Appends binary (`bin 8/16/32`). [`EncodeError::TooLong`] past `u32::MAX` bytes.
pub fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), EncodeError> {
    let n = len32(bytes.len())?;
    if n < 0x100 {
        out.extend_from_slice(&[0xc4, n as u8]);
    } else if n < 0x1_0000 {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// Appends an array header for `len` elements (fixarray, `array 16/32`); the caller writes
/// the elements.
pub fn write_array_len(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let n = len32(len)?;
    if n < 0x10 {
        out.push(0x90 | n as u8);
    } else if n < 0x1_0000 {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(())
}

/// Appends a map header for `len` entries (fixmap, `map 16/32`); the caller writes each key
/// (with [`write_str`]) and value.
pub fn write_map_len(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let n = len32(len)?;
    if n < 0x10 {
        out.push(0x80 | n as u8);
    } else if n < 0x1_0000 {
        out.push(0xde);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(())
}

/// Appends a JavaScript `Date` of `ms` milliseconds since the epoch as notepack does: the
/// 32-bit timestamp for whole seconds in `0..2^32`, the 64-bit one for seconds in `0..2^34`,
/// the 96-bit one otherwise.
pub fn write_timestamp(out: &mut Vec<u8>, ms: i64) {
    let secs = ms.div_euclid(1000);
    // 0..=999_000_000: a multiple of 10^6, so its low 6 bits are 0 (notepack relies on that).
    let nanos = ms.rem_euclid(1000) as u32 * 1_000_000;
    match u64::try_from(secs) {
        Ok(s) if nanos == 0 && s <= u64::from(u32::MAX) => {
            out.extend_from_slice(&[0xd6, 0xff]);
            out.extend_from_slice(&(s as u32).to_be_bytes());
        }
        Ok(s) if s < 1 << 34 => {
            out.extend_from_slice(&[0xd7, 0xff]);
            out.extend_from_slice(&((u64::from(nanos) << 34) | s).to_be_bytes());
        }
        _ => {
            out.extend_from_slice(&[0xc7, 0x0c, 0xff]);
            out.extend_from_slice(&nanos.to_be_bytes());
            out.extend_from_slice(&secs.to_be_bytes());
        }
    }
}

/// Appends an extension of type `kind`: fixext 1/2/4/8/16 when the length allows, else
/// ext 8/16/32. notepack itself never writes one (but timestamps).
pub fn write_ext(out: &mut Vec<u8>, kind: i8, data: &[u8]) -> Result<(), EncodeError> {
    let n = len32(data.len())?;
    match n {
        1 => out.push(0xd4),
        2 => out.push(0xd5),
        4 => out.push(0xd6),
        8 => out.push(0xd7),
        16 => out.push(0xd8),
        _ if n < 0x100 => out.extend_from_slice(&[0xc7, n as u8]),
        _ if n < 0x1_0000 => {
            out.push(0xc8);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(0xc9);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out.push(kind as u8);
    out.extend_from_slice(data);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The value tree

/// A decoded MessagePack value, with what JSON cannot tell apart kept apart: binary, dates,
/// extensions, integers and floats.
///
/// Dropping, cloning and comparing a `Value` recurse once per level, like `serde_json::Value`:
/// values from [`Value::decode`] are at most [`DecodeLimits::max_depth`] deep.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `nil`; also what `undefined` (notepack 2.x) and an invalid date decode to.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits an `i64` (decoding always uses this one when it fits).
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float. Encoded as notepack encodes a JavaScript number: an integral value as an
    /// integer (so `Float(1.0)` encodes as `0x01`), anything else as `float 64`.
    Float(f64),
    /// A string.
    Str(String),
    /// Binary, `bin 8/16/32` (also a notepack 2.x `ArrayBuffer` on decode).
    Bin(Bytes),
    /// An array.
    Array(Vec<Value>),
    /// A map, in wire order; keys are strings (integer keys decode to their decimal text).
    /// Duplicate keys are kept (JavaScript keeps the last value).
    Map(Vec<(String, Value)>),
    /// A `Date`: milliseconds since the Unix epoch (see [`Token::Timestamp`]).
    Date(i64),
    /// An extension other than timestamps: type and data.
    Ext(i8, Bytes),
}

impl Value {
    /// Decodes exactly one value filling `input`, within `limits`.
    pub fn decode(input: &[u8], limits: &DecodeLimits) -> Result<Value, DecodeError> {
        if input.len() > limits.max_len {
            return Err(DecodeError::TooLarge {
                len: input.len(),
                max: limits.max_len,
            });
        }
        let mut reader = Reader::new(input);
        let value = Value::read(&mut reader, limits.max_depth)?;
        reader.finish()?;
        Ok(value)
    }

    /// Reads the next value from `reader` (without recursing), refusing arrays and maps nested
    /// deeper than `max_depth`.
    pub fn read(reader: &mut Reader<'_>, max_depth: usize) -> Result<Value, DecodeError> {
        enum Frame {
            Array(Vec<Value>, usize),
            Map(Vec<(String, Value)>, usize, String),
        }
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            let mut value = match reader.read_token()? {
                Token::Array(_) | Token::Map(_) if stack.len() >= max_depth => {
                    return Err(DecodeError::TooDeep { max: max_depth });
                }
                Token::Array(0) => Value::Array(Vec::new()),
                Token::Map(0) => Value::Map(Vec::new()),
                Token::Array(len) => {
                    stack.push(Frame::Array(Vec::with_capacity(len.min(PREALLOC)), len));
                    continue;
                }
                Token::Map(len) => {
                    let key = reader.read_key()?;
                    stack.push(Frame::Map(Vec::with_capacity(len.min(PREALLOC)), len, key));
                    continue;
                }
                Token::Nil | Token::Undefined | Token::Timestamp(None) => Value::Nil,
                Token::Bool(b) => Value::Bool(b),
                Token::Int(n) => Value::Int(n),
                Token::UInt(n) => Value::UInt(n),
                Token::Float(f) => Value::Float(f),
                Token::Str(s) => Value::Str(s.into_owned()),
                Token::Bin(b) => Value::Bin(Bytes::copy_from_slice(b)),
                Token::Timestamp(Some(ms)) => Value::Date(ms),
                Token::Ext(kind, data) => Value::Ext(kind, Bytes::copy_from_slice(data)),
            };
            // Hand the value to its container, closing every container it completes.
            loop {
                match stack.last_mut() {
                    None => return Ok(value),
                    Some(Frame::Array(items, len)) => {
                        items.push(value);
                        if items.len() < *len {
                            break;
                        }
                    }
                    Some(Frame::Map(entries, len, key)) => {
                        entries.push((std::mem::take(key), value));
                        if entries.len() < *len {
                            *key = reader.read_key()?;
                            break;
                        }
                    }
                }
                value = match stack.pop() {
                    Some(Frame::Array(items, _)) => Value::Array(items),
                    Some(Frame::Map(entries, _, _)) => Value::Map(entries),
                    // Not reached: the frame was just seen on top.
                    None => Value::Nil,
                };
            }
        }
    }

    /// Appends the value to `out` (without recursing), as notepack writes the JavaScript value
    /// it stands for.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        enum Frame<'v> {
            Array(std::slice::Iter<'v, Value>),
            Map(std::slice::Iter<'v, (String, Value)>),
        }
        let mut stack: Vec<Frame<'_>> = Vec::new();
        let mut next = Some(self);
        loop {
            if let Some(value) = next.take() {
                match value {
                    Value::Nil => write_nil(out),
                    Value::Bool(b) => write_bool(out, *b),
                    Value::Int(n) => write_int(out, *n),
                    Value::UInt(n) => write_uint(out, *n),
                    Value::Float(f) => write_number(out, *f),
                    Value::Str(s) => write_str(out, s)?,
                    Value::Bin(b) => write_bin(out, b)?,
                    Value::Date(ms) => write_timestamp(out, *ms),
                    Value::Ext(kind, data) => write_ext(out, *kind, data)?,
                    Value::Array(items) => {
                        write_array_len(out, items.len())?;
                        stack.push(Frame::Array(items.iter()));
                    }
                    Value::Map(entries) => {
                        write_map_len(out, entries.len())?;
                        stack.push(Frame::Map(entries.iter()));
                    }
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
                Some(Frame::Map(entries)) => match entries.next() {
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
}
