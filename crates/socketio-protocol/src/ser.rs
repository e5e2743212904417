//! `T: Serialize` → JSON value with placeholders + attachments.
//!
//! The same output as `serde_json::to_value`, except that every `serialize_bytes` (a
//! [`Bytes`] field, `serde_bytes`) becomes a placeholder and its bytes an attachment, in
//! depth-first order: what socket.io-parser's `deconstructPacket` does with Buffers.

use std::fmt::Display;

use bytes::Bytes;
use serde::ser::{self, Serialize};
use serde_json::{Map, Number, Value};

use crate::json::with_stack;
use crate::packet::placeholder;

/// Why a value could not be turned into JSON.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerError {
    /// A map key that is not a string, a number, a bool or a char (JSON keys are strings;
    /// numbers, bools and chars are written as their text, as serde_json does).
    #[error("key must be a string")]
    KeyMustBeAString,
    /// A 128-bit integer outside the 64-bit range JSON numbers hold here.
    #[error("number out of range")]
    NumberOutOfRange,
    /// An error raised by the value's own `Serialize` implementation.
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for SerError {
    fn custom<T: Display>(msg: T) -> Self {
        Self::Custom(msg.to_string())
    }
}

/// Serializes `value` to a JSON value; every byte string in it (`serialize_bytes`: a
/// [`Bytes`] field, `serde_bytes::ByteBuf`, `#[serde(with = "serde_bytes")]`) becomes a
/// placeholder `{"_placeholder":true,"num":i}` whose bytes are pushed to `attachments`, `i`
/// counting from the attachments already there, in depth-first order.
///
/// Otherwise the result is `serde_json::to_value`'s: structs as objects, `None` and unit as
/// `null`, enums externally tagged, non-finite floats as `null` (as `JSON.stringify` does).
/// Safe at any nesting depth: the stack grows on demand.
///
/// ```
/// use bytes::Bytes;
/// use serde::Serialize;
/// use serde_json::json;
///
/// #[derive(Serialize)]
/// struct Upload { name: String, chunks: Vec<Bytes> }
///
/// let mut attachments = Vec::new();
/// let value = socketio_protocol::to_value(
///     &("upload", Upload { name: "a.bin".into(), chunks: vec![Bytes::from_static(b"ab"), Bytes::from_static(b"c")] }),
///     &mut attachments,
/// )?;
/// assert_eq!(value, json!(["upload", {
///     "name": "a.bin",
///     "chunks": [{"_placeholder": true, "num": 0}, {"_placeholder": true, "num": 1}],
/// }]));
/// assert_eq!(attachments, [Bytes::from_static(b"ab"), Bytes::from_static(b"c")]);
/// # Ok::<(), socketio_protocol::SerError>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(
    value: &T,
    attachments: &mut Vec<Bytes>,
) -> Result<Value, SerError> {
    value.serialize(Serializer { attachments })
}

struct Serializer<'a> {
    attachments: &'a mut Vec<Bytes>,
}

/// Serializes a nested element, growing the stack if it runs low.
fn nested<T: Serialize + ?Sized>(
    value: &T,
    attachments: &mut Vec<Bytes>,
) -> Result<Value, SerError> {
    with_stack(|| value.serialize(Serializer { attachments }))
}

impl<'a> ser::Serializer for Serializer<'a> {
    type Ok = Value;
    type Error = SerError;
    type SerializeSeq = SeqSer<'a>;
    type SerializeTuple = SeqSer<'a>;
    type SerializeTupleStruct = SeqSer<'a>;
    type SerializeTupleVariant = VariantSer<SeqSer<'a>>;
    type SerializeMap = MapSer<'a>;
    type SerializeStruct = MapSer<'a>;
    type SerializeStructVariant = VariantSer<MapSer<'a>>;

    fn serialize_bool(self, v: bool) -> Result<Value, SerError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, SerError> {
        if let Ok(v) = u64::try_from(v) {
            Ok(Value::from(v))
        } else {
            i64::try_from(v)
                .map(Value::from)
                .map_err(|_| SerError::NumberOutOfRange)
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, SerError> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, SerError> {
        u64::try_from(v)
            .map(Value::from)
            .map_err(|_| SerError::NumberOutOfRange)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, SerError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, SerError> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn serialize_char(self, v: char) -> Result<Value, SerError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, SerError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, SerError> {
        let num = self.attachments.len();
        self.attachments.push(Bytes::copy_from_slice(v));
        Ok(placeholder(num))
    }
    fn serialize_none(self) -> Result<Value, SerError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, SerError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, SerError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, SerError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, SerError> {
        let mut map = Map::with_capacity(1);
        map.insert(variant.to_owned(), nested(value, self.attachments)?);
        Ok(Value::Object(map))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer<'a>, SerError> {
        Ok(SeqSer {
            attachments: self.attachments,
            // Only a hint from the value's own length; capped all the same.
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSer<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSer<SeqSer<'a>>, SerError> {
        Ok(VariantSer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSer<'a>, SerError> {
        Ok(MapSer {
            attachments: self.attachments,
            map: Map::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapSer<'a>, SerError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSer<MapSer<'a>>, SerError> {
        Ok(VariantSer {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<Value, SerError> {
        Ok(Value::String(value.to_string()))
    }
}

#[derive(Debug)]
pub(crate) struct SeqSer<'a> {
    attachments: &'a mut Vec<Bytes>,
    items: Vec<Value>,
}

impl SeqSer<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = nested(value, self.attachments)?;
        self.items.push(item);
        Ok(())
    }
}

impl ser::SerializeSeq for SeqSer<'_> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTuple for SeqSer<'_> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTupleStruct for SeqSer<'_> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(Value::Array(self.items))
    }
}

#[derive(Debug)]
pub(crate) struct MapSer<'a> {
    attachments: &'a mut Vec<Bytes>,
    map: Map<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError::Custom("map value without a key".into()))?;
        let value = nested(value, self.attachments)?;
        self.map.insert(key, value);
        Ok(())
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(Value::Object(self.map))
    }
}

impl ser::SerializeStruct for MapSer<'_> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let value = nested(value, self.attachments)?;
        self.map.insert(key.to_owned(), value);
        Ok(())
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(Value::Object(self.map))
    }
}

#[derive(Debug)]
pub(crate) struct VariantSer<S> {
    variant: &'static str,
    inner: S,
}

impl VariantSer<SeqSer<'_>> {
    fn finish(self) -> Value {
        let mut map = Map::with_capacity(1);
        map.insert(self.variant.to_owned(), Value::Array(self.inner.items));
        Value::Object(map)
    }
}

impl ser::SerializeTupleVariant for VariantSer<SeqSer<'_>> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for VariantSer<MapSer<'_>> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result<Value, SerError> {
        let mut map = Map::with_capacity(1);
        map.insert(self.variant.to_owned(), Value::Object(self.inner.map));
        Ok(Value::Object(map))
    }
}

/// Map keys: strings, and the scalars serde_json also writes as their text.
struct KeySerializer;

fn key_error<T>() -> Result<T, SerError> {
    Err(SerError::KeyMustBeAString)
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<String, SerError>;
    type SerializeTuple = ser::Impossible<String, SerError>;
    type SerializeTupleStruct = ser::Impossible<String, SerError>;
    type SerializeTupleVariant = ser::Impossible<String, SerError>;
    type SerializeMap = ser::Impossible<String, SerError>;
    type SerializeStruct = ser::Impossible<String, SerError>;
    type SerializeStructVariant = ser::Impossible<String, SerError>;

    fn serialize_bool(self, v: bool) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, SerError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<String, SerError> {
        Number::from_f64(v)
            .map(|n| n.to_string())
            .ok_or(SerError::KeyMustBeAString)
    }
    fn serialize_char(self, v: char) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, SerError> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_none(self) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_unit(self) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, SerError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, SerError> {
        key_error()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        key_error()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        key_error()
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        key_error()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        key_error()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        key_error()
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        key_error()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        key_error()
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<String, SerError> {
        Ok(value.to_string())
    }
}
