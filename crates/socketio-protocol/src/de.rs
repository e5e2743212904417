//! JSON value with placeholders + attachments → `T: Deserialize`, and [`AnyValue`].
//!
//! The reverse of [`to_value`](crate::to_value): a placeholder is presented to the visitor as
//! the bytes of the attachment it names, when the visitor asks for bytes (`Bytes`,
//! `serde_bytes`) or a sequence (`Vec<u8>`, `[u8; N]`). A visitor that asks for "anything"
//! (`deserialize_any`, e.g. `serde_json::Value`) gets the placeholder object itself, since a
//! JSON value cannot hold bytes; [`AnyValue`] is the type that keeps the bytes too.

use std::fmt::{self, Display};

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Number, Value};

use crate::json::{drop_flat, try_for_each_placeholder_mut, with_stack};
use crate::packet::{placeholder, placeholder_ref, PlaceholderRef};

/// Why a value could not be deserialized.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeError {
    /// A placeholder, where bytes were asked for, whose `num` is not an integer below the
    /// number of attachments.
    #[error("placeholder names no attachment")]
    InvalidPlaceholder,
    /// The value does not have the shape the type asks for (serde's message: invalid type,
    /// missing field, unknown variant...).
    #[error("{0}")]
    Custom(String),
}

impl de::Error for DeError {
    fn custom<T: Display>(msg: T) -> Self {
        Self::Custom(msg.to_string())
    }
}

/// Deserializes `T` from `value`, whose placeholders name `attachments`.
///
/// A placeholder `{"_placeholder":true,"num":i}` deserializes as the bytes of
/// `attachments[i]` into byte types ([`Bytes`], `serde_bytes::ByteBuf`, `Vec<u8>`,
/// `[u8; N]`; one copy each, as serde hands bytes over by reference), and stays the
/// placeholder object for `serde_json::Value` or anything else deserialized "as any"
/// (untagged and flattened enums included); [`AnyValue`] keeps it with its bytes. Otherwise
/// this accepts what `serde_json::from_value` accepts, and, like it, refuses an array longer
/// than the tuple or struct read from it. Safe at any nesting depth.
///
/// ```
/// use bytes::Bytes;
/// use serde::Deserialize;
/// use serde_json::json;
///
/// #[derive(Deserialize)]
/// struct Upload { name: String, chunk: Bytes }
///
/// let value = json!(["upload", {"name": "a.bin", "chunk": {"_placeholder": true, "num": 0}}]);
/// let (event, upload): (String, Upload) =
///     socketio_protocol::from_value(value, &[Bytes::from_static(b"\x01\x02")])?;
/// assert_eq!(event, "upload");
/// assert_eq!(upload.chunk, Bytes::from_static(b"\x01\x02"));
/// # Ok::<(), socketio_protocol::DeError>(())
/// ```
pub fn from_value<T: de::DeserializeOwned>(
    value: Value,
    attachments: &[Bytes],
) -> Result<T, DeError> {
    T::deserialize(ValueDe::new(value, attachments, false))
}

/// The newtype name by which [`AnyValue`] asks this crate's deserializer to present
/// placeholders as bytes even to `deserialize_any`.
const ANY_VALUE_TOKEN: &str = "$socketio_protocol::AnyValue";

struct ValueDe<'a> {
    value: Value,
    attachments: &'a [Bytes],
    /// Inside an [`AnyValue`]: `deserialize_any` presents placeholders as bytes.
    bytes_as_any: bool,
}

impl<'a> ValueDe<'a> {
    fn new(value: Value, attachments: &'a [Bytes], bytes_as_any: bool) -> Self {
        Self {
            value,
            attachments,
            bytes_as_any,
        }
    }

    /// The attachment this value names, if it is a placeholder.
    fn attachment(&self) -> Result<Option<&'a Bytes>, DeError> {
        match placeholder_ref(&self.value) {
            PlaceholderRef::NotPlaceholder => Ok(None),
            PlaceholderRef::Index(i) => self
                .attachments
                .get(i)
                .map(Some)
                .ok_or(DeError::InvalidPlaceholder),
            PlaceholderRef::Invalid => Err(DeError::InvalidPlaceholder),
        }
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: Vec<Value>,
    attachments: &[Bytes],
    bytes_as_any: bool,
    visitor: V,
) -> Result<V::Value, DeError> {
    let len = items.len();
    let mut seq = SeqDe {
        iter: items.into_iter(),
        attachments,
        bytes_as_any,
    };
    let out = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() == 0 {
        Ok(out)
    } else {
        seq.iter.for_each(drop_flat);
        Err(de::Error::invalid_length(len, &"fewer elements in array"))
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    map: Map<String, Value>,
    attachments: &[Bytes],
    bytes_as_any: bool,
    visitor: V,
) -> Result<V::Value, DeError> {
    let len = map.len();
    let mut access = MapDe {
        iter: map.into_iter(),
        value: None,
        attachments,
        bytes_as_any,
    };
    let out = visitor.visit_map(&mut access)?;
    if access.iter.len() == 0 {
        Ok(out)
    } else {
        access.iter.for_each(|(_, v)| drop_flat(v));
        Err(de::Error::invalid_length(len, &"fewer elements in map"))
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, DeError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for ValueDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.bytes_as_any {
            if let Some(bytes) = self.attachment()? {
                return visitor.visit_bytes(bytes);
            }
        }
        let ValueDe {
            value,
            attachments,
            bytes_as_any,
        } = self;
        match value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(&n, visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_array(items, attachments, bytes_as_any, visitor),
            Value::Object(map) => visit_object(map, attachments, bytes_as_any, visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.attachment()? {
            Some(bytes) => visitor.visit_bytes(bytes),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.attachment()? {
            Some(bytes) => visitor.visit_seq(de::value::SeqDeserializer::<_, DeError>::new(
                bytes.iter().copied(),
            )),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        mut self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == ANY_VALUE_TOKEN {
            self.bytes_as_any = true;
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let single_entry = match &self.value {
            Value::Object(map) if map.len() == 1 => map.keys().next().cloned(),
            _ => None,
        };
        match (self.value, single_entry) {
            (Value::String(variant), _) => visitor.visit_enum(variant.into_deserializer()),
            (Value::Object(mut map), Some(variant)) => {
                let value = map.remove(&variant).unwrap_or_default();
                visitor.visit_enum(EnumDe {
                    variant,
                    value: ValueDe::new(value, self.attachments, self.bytes_as_any),
                })
            }
            (other, _) => {
                let err = de::Error::invalid_type(unexpected(&other), &"string or map");
                drop_flat(other);
                Err(err)
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        drop_flat(self.value);
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_map deserialize_identifier
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct SeqDe<'a> {
    iter: std::vec::IntoIter<Value>,
    attachments: &'a [Bytes],
    bytes_as_any: bool,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(value) = self.iter.next() else {
            return Ok(None);
        };
        let de = ValueDe::new(value, self.attachments, self.bytes_as_any);
        with_stack(|| seed.deserialize(de)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDe<'a> {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
    attachments: &'a [Bytes],
    bytes_as_any: bool,
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(KeyDe(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError::Custom("value is missing".into()))?;
        let de = ValueDe::new(value, self.attachments, self.bytes_as_any);
        with_stack(|| seed.deserialize(de))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct EnumDe<'a> {
    variant: String,
    value: ValueDe<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = DeError;
    type Variant = ValueDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ValueDe<'a>), DeError> {
        let variant = seed.deserialize(KeyDe(self.variant))?;
        Ok((variant, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for ValueDe<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        with_stack(|| seed.deserialize(self))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        with_stack(|| self.deserialize_seq(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        with_stack(|| self.deserialize_any(visitor))
    }
}

/// A map key (JSON keys are strings): as a string, or parsed for number and bool key types,
/// as serde_json does.
struct KeyDe(String);

macro_rules! parse_key {
    ($($method:ident => $visit:ident : $ty:ty,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                match self.0.parse::<$ty>() {
                    Ok(v) => visitor.$visit(v),
                    Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(&self.0), &visitor)),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for KeyDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.0)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    parse_key! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Any JSON value with the binary attachments its placeholders name: the type to receive
/// "anything, binary included" and send it back unchanged (an echo).
///
/// As a handler argument it deserializes from any value, and unlike `serde_json::Value` it
/// keeps the bytes of the placeholders inside it, renumbered from 0 into its own
/// `attachments`. Serializing it (with [`to_value`](crate::to_value)) turns those
/// placeholders back into attachments of the outgoing packet, in place; with another
/// serializer, such as `serde_json`'s, each becomes whatever that serializer makes of bytes
/// (an array of numbers).
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use socketio_protocol::{from_value, to_value, AnyValue};
///
/// // Received: ["echo", {"file": <bytes 01 02>}]
/// let received = json!(["echo", {"file": {"_placeholder": true, "num": 0}}]);
/// let (_, arg): (String, AnyValue) = from_value(received, &[Bytes::from_static(b"\x01\x02")])?;
/// assert_eq!(arg.attachments, [Bytes::from_static(b"\x01\x02")]);
///
/// // Sent back: ["echo-back", {"file": <the same bytes>}]
/// let mut attachments = Vec::new();
/// let sent = to_value(&("echo-back", &arg), &mut attachments).expect("serializable");
/// assert_eq!(sent, json!(["echo-back", {"file": {"_placeholder": true, "num": 0}}]));
/// assert_eq!(attachments, [Bytes::from_static(b"\x01\x02")]);
/// # Ok::<(), socketio_protocol::DeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnyValue {
    /// The JSON value; its placeholders name `attachments`, numbered from 0.
    pub value: Value,
    /// The bytes of the placeholders.
    pub attachments: Vec<Bytes>,
}

impl AnyValue {
    /// A value without binary.
    pub fn new(value: Value) -> Self {
        Self {
            value,
            attachments: Vec::new(),
        }
    }

    /// Takes `value` out of a payload whose placeholders name `attachments`: the attachments
    /// it uses are copied (shared, not duplicated) into its own list, one per placeholder in
    /// depth-first order, and its placeholders renumbered to match. Errors when a placeholder
    /// names no attachment.
    pub fn from_parts(mut value: Value, attachments: &[Bytes]) -> Result<Self, DeError> {
        let mut own = Vec::new();
        try_for_each_placeholder_mut(&mut value, |found, slot| {
            let PlaceholderRef::Index(i) = found else {
                return Err(DeError::InvalidPlaceholder);
            };
            let bytes = attachments.get(i).ok_or(DeError::InvalidPlaceholder)?;
            *slot = placeholder(own.len());
            own.push(bytes.clone());
            Ok(())
        })?;
        Ok(Self {
            value,
            attachments: own,
        })
    }

    /// The value and its attachments.
    pub fn into_parts(self) -> (Value, Vec<Bytes>) {
        (self.value, self.attachments)
    }
}

impl From<Value> for AnyValue {
    fn from(value: Value) -> Self {
        Self::new(value)
    }
}

impl Serialize for AnyValue {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ValueWithBytes {
            value: &self.value,
            attachments: &self.attachments,
        }
        .serialize(serializer)
    }
}

/// A view of a value whose placeholders serialize as the bytes they name.
struct ValueWithBytes<'a> {
    value: &'a Value,
    attachments: &'a [Bytes],
}

impl ValueWithBytes<'_> {
    fn child<'b>(&'b self, value: &'b Value) -> ValueWithBytes<'b> {
        ValueWithBytes {
            value,
            attachments: self.attachments,
        }
    }
}

impl Serialize for ValueWithBytes<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_stack(|| match self.value {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.child(item))?;
                }
                seq.end()
            }
            Value::Object(map) => match placeholder_ref(self.value) {
                PlaceholderRef::NotPlaceholder => {
                    let mut out = serializer.serialize_map(Some(map.len()))?;
                    for (key, item) in map {
                        out.serialize_entry(key, &self.child(item))?;
                    }
                    out.end()
                }
                PlaceholderRef::Index(i) => match self.attachments.get(i) {
                    Some(bytes) => serializer.serialize_bytes(bytes),
                    None => Err(ser::Error::custom("placeholder names no attachment")),
                },
                PlaceholderRef::Invalid => {
                    Err(ser::Error::custom("placeholder names no attachment"))
                }
            },
            leaf => leaf.serialize(serializer),
        })
    }
}

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(ANY_VALUE_TOKEN, AnyValueVisitor)
    }
}

struct AnyValueVisitor;

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = AnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<AnyValue, D::Error> {
        let mut attachments = Vec::new();
        let value = Build {
            attachments: &mut attachments,
        }
        .deserialize(d)?;
        Ok(AnyValue { value, attachments })
    }
}

/// Builds a `Value`, turning bytes into placeholders and collecting them.
struct Build<'a> {
    attachments: &'a mut Vec<Bytes>,
}

impl<'de> DeserializeSeed<'de> for Build<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        with_stack(|| d.deserialize_any(self))
    }
}

impl<'de> Visitor<'de> for Build<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        self.visit_byte_buf(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        let num = self.attachments.len();
        self.attachments.push(Bytes::from(v));
        Ok(placeholder(num))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Build {
            attachments: self.attachments,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Build {
                attachments: self.attachments,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
