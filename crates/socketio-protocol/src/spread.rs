//! The arguments of an emit or an ack: a Rust value spread into Socket.IO arguments.

use serde::ser::{self, Serialize};
use serde_json::Value;

use crate::packet::Payload;
use crate::ser::{to_value, SerError};

/// What a value looks like at its top level, for argument spreading.
enum Shape {
    Tuple,
    Unit,
    Other,
}

/// The payload of an emit (`prefix`: the event name) or of an ack (`None`) carrying `data`,
/// by the Socket.IO servers' rule for arguments: one value is one argument, as in Node's
/// `emit("m", value)` / `ack(value)`, whatever its Rust type (an array, a slice, a `Vec`, a
/// struct, a map, a string...). Only a tuple (or a type serializing as one, such as the
/// `socketio` crate's `Args`) is spread into several arguments, and `()` is none.
///
/// | `data` | arguments after the event name | Node |
/// |---|---|---|
/// | `&("a", 1)` | `"a", 1` (two) | `emit("m", "a", 1)` |
/// | `&("a",)` | `"a"` | `emit("m", "a")` |
/// | `&()` | none | `emit("m")` |
/// | `&[1, 2, 3]`, `&vec![1, 2, 3]`, `&[1, 2, 3][..]` | `[1,2,3]` (one) | `emit("m", [1, 2, 3])` |
/// | `&"x"`, `&42`, a struct, a map, a `serde_json::Value` | that value (one) | `emit("m", value)` |
///
/// `bytes::Bytes` anywhere is an attachment.
///
/// A fixed-size array and a tuple both serialize as a serde tuple; the array is told apart by
/// its type name (`[T; N]`, through references, `Box`, `Rc`, `Arc` and newtype structs), so a
/// value of `[T; N]` is one argument.
///
/// ```
/// use socketio_protocol::to_payload;
/// let p = to_payload(Some("m"), &("a", 1))?;
/// assert_eq!(p.data, serde_json::json!(["m", "a", 1]));
/// let p = to_payload(Some("m"), &vec![1, 2])?;
/// assert_eq!(p.data, serde_json::json!(["m", [1, 2]]));
/// let p = to_payload(None, &[1, 2, 3])?;
/// assert_eq!(p.data, serde_json::json!([[1, 2, 3]]));
/// let p = to_payload(None, &())?;
/// assert_eq!(p.data, serde_json::json!([]));
/// # Ok::<(), socketio_protocol::SerError>(())
/// ```
pub fn to_payload<T: Serialize + ?Sized>(
    prefix: Option<&str>,
    data: &T,
) -> Result<Payload, SerError> {
    let mut attachments = Vec::new();
    let value = to_value(data, &mut attachments)?;
    let shape = if is_array::<T>() {
        Shape::Other
    } else {
        data.serialize(ShapeOf).unwrap_or(Shape::Other)
    };
    let items = match (shape, value, prefix) {
        // A tuple without a name before it (an ack): its array is the payload as it is.
        (Shape::Tuple, Value::Array(args), None) => args,
        (shape, value, prefix) => {
            let mut items = Vec::with_capacity(2);
            if let Some(name) = prefix {
                items.push(Value::String(name.to_owned()));
            }
            match (shape, value) {
                (Shape::Unit, _) => {}
                (Shape::Tuple, Value::Array(args)) => items.extend(args),
                (_, value) => items.push(value),
            }
            items
        }
    };
    Ok(Payload::with_attachments(Value::Array(items), attachments))
}

/// Whether `T` is a fixed-size array (or a slice), seen through references and smart
/// pointers: serde serializes `[T; N]` exactly as a tuple, and only its type tells them apart.
fn is_array<T: ?Sized>() -> bool {
    let mut name = std::any::type_name::<T>();
    loop {
        let peeled = name
            .strip_prefix("&mut ")
            .or_else(|| name.strip_prefix('&'))
            .or_else(|| name.strip_prefix("alloc::boxed::Box<"))
            .or_else(|| name.strip_prefix("alloc::rc::Rc<"))
            .or_else(|| name.strip_prefix("alloc::sync::Arc<"));
        match peeled {
            Some(rest) => name = rest,
            None => return name.starts_with('['),
        }
    }
}

/// A serializer that only reports the top-level shape.
struct ShapeOf;

#[derive(Debug)]
struct NotTuple;

impl std::fmt::Display for NotTuple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a tuple")
    }
}

impl std::error::Error for NotTuple {}

impl ser::Error for NotTuple {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        NotTuple
    }
}

struct TupleShape;

impl ser::SerializeTuple for TupleShape {
    type Ok = Shape;
    type Error = NotTuple;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, _value: &T) -> Result<(), NotTuple> {
        Ok(())
    }
    fn end(self) -> Result<Shape, NotTuple> {
        Ok(Shape::Tuple)
    }
}

macro_rules! other {
    ($($name:ident($($arg:ty),*);)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<Shape, NotTuple> { Ok(Shape::Other) })*
    };
}

impl ser::Serializer for ShapeOf {
    type Ok = Shape;
    type Error = NotTuple;
    type SerializeSeq = ser::Impossible<Shape, NotTuple>;
    type SerializeTuple = TupleShape;
    type SerializeTupleStruct = ser::Impossible<Shape, NotTuple>;
    type SerializeTupleVariant = ser::Impossible<Shape, NotTuple>;
    type SerializeMap = ser::Impossible<Shape, NotTuple>;
    type SerializeStruct = ser::Impossible<Shape, NotTuple>;
    type SerializeStructVariant = ser::Impossible<Shape, NotTuple>;

    other! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_unit(self) -> Result<Shape, NotTuple> {
        Ok(Shape::Unit)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<Shape, NotTuple> {
        Ok(Shape::Other)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<Shape, NotTuple> {
        if is_array::<T>() {
            return Ok(Shape::Other);
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, NotTuple> {
        Ok(Shape::Other)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotTuple> {
        Err(NotTuple)
    }
    fn serialize_tuple(self, _len: usize) -> Result<TupleShape, NotTuple> {
        Ok(TupleShape)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotTuple> {
        Err(NotTuple)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotTuple> {
        Err(NotTuple)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotTuple> {
        Err(NotTuple)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotTuple> {
        Err(NotTuple)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotTuple> {
        Err(NotTuple)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Serialize)]
    struct Wrapped([u8; 2]);

    #[derive(serde::Serialize)]
    struct Pair((u8, u8));

    #[derive(serde::Serialize)]
    struct Point {
        x: i32,
    }

    #[test]
    fn one_value_is_one_argument() {
        let p = to_payload(Some("m"), &[1, 2, 3]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2, 3]]));
        let p = to_payload(None, &[1, 2, 3]).unwrap();
        assert_eq!(p.data, json!([[1, 2, 3]]));
        let p = to_payload(None, &&[1, 2, 3]).unwrap();
        assert_eq!(p.data, json!([[1, 2, 3]]));
        let p = to_payload(None, &Box::new([1, 2])).unwrap();
        assert_eq!(p.data, json!([[1, 2]]));
        let p = to_payload(None, &std::sync::Arc::new([1, 2])).unwrap();
        assert_eq!(p.data, json!([[1, 2]]));
        let empty: [u8; 0] = [];
        let p = to_payload(Some("m"), &empty).unwrap();
        assert_eq!(p.data, json!(["m", []]));
        let p = to_payload(Some("m"), &[1, 2][..]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        let p = to_payload(None, &vec![1, 2]).unwrap();
        assert_eq!(p.data, json!([[1, 2]]));
        let p = to_payload(Some("m"), &Wrapped([1, 2])).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        let p = to_payload(Some("m"), &Point { x: 1 }).unwrap();
        assert_eq!(p.data, json!(["m", {"x": 1}]));
        let p = to_payload(Some("m"), &json!([1, 2])).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
    }

    #[test]
    fn tuples_spread() {
        let p = to_payload(Some("m"), &(1, 2)).unwrap();
        assert_eq!(p.data, json!(["m", 1, 2]));
        let p = to_payload(None, &(1, 2)).unwrap();
        assert_eq!(p.data, json!([1, 2]));
        let p = to_payload(None, &&(1, [2, 3])).unwrap();
        assert_eq!(p.data, json!([1, [2, 3]]));
        let p = to_payload(Some("m"), &([1, 2],)).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        let p = to_payload(Some("m"), &Pair((1, 2))).unwrap();
        assert_eq!(p.data, json!(["m", 1, 2]));
        let p = to_payload(Some("m"), &()).unwrap();
        assert_eq!(p.data, json!(["m"]));
    }
}
