//! Turning user values into event arguments and back.
//!
//! Emitting (`socketio_protocol::to_payload`): one value is one argument, as in Node's
//! `emit("m", value)`, whatever its Rust type (array, slice, `Vec`, struct); a tuple (or
//! [`Args`]) is spread into the arguments, `()` is none — so `emit("m", &("a", 1))` sends
//! `["m","a",1]`, and `emit("m", &[1, 2])` and `emit("m", &vec![1, 2])` send `["m",[1,2]]`.
//! Binary (`bytes::Bytes`) may sit anywhere.
//!
//! Receiving: Node calls a handler whatever the number of arguments (a missing one is
//! `undefined`, an extra one is ignored). Here a handler's type is probed once, when it is
//! registered ([`Binding::of`]: a deserializer that only records what the type asks for),
//! and each event is fitted to it ([`Binding::bind`]): a tuple's arguments are truncated or
//! padded with `null` to its arity, `()` takes any, a single type takes the first argument.
//! `Result<T, BindError>` binds as `T` does, and a mismatch is its `Err`: the probe looks into
//! serde's `Result` enum (its `Err` side must name [`BindError`], its `Ok` side gives the
//! shape). The table of every rule is on [`Socket::on`](crate::Socket::on).
//!
//! The success path costs what deserializing the list costs: no copy, no second attempt. At
//! most one extra attempt is made, and only for the shapes where either reading may be meant
//! (a `Vec` or a struct given one array).

use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, Visitor};
use serde::ser::{self, Serialize};
use serde_json::Value;
use socketio_protocol::{from_value, AnyValue, DeError, Payload};

use crate::error::EmitError;

/// Serializes the arguments of an event or ack into a JSON array (placeholders for binary)
/// and the attachments. `prefix` (the event name) comes first when given.
pub(crate) fn to_payload<T: Serialize + ?Sized>(
    prefix: Option<&str>,
    data: &T,
) -> Result<Payload, EmitError> {
    socketio_protocol::to_payload(prefix, data).map_err(|e| EmitError::Serialize(e.to_string()))
}

/// How a handler's type takes the arguments of an event, learnt once at registration: the
/// shape, and whether the type is `Result<_, BindError>` (the handler sees a mismatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) shape: Shape,
    /// `Result<T, BindError>`: `shape` is `T`'s, and a mismatch is handed to the handler.
    pub(crate) catches: bool,
}

/// The shape a type asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// [`Args`]: the raw list, moved as it is.
    Raw,
    /// A tuple or tuple struct of this arity: extra arguments dropped, missing ones `null`.
    Tuple(usize),
    /// `()` or a unit struct: any arguments, all ignored.
    Unit,
    /// Anything (`serde_json::Value`, [`AnyValue`], untagged enums): the whole list, or its
    /// one argument when the whole list does not fit.
    Any,
    /// A sequence (`Vec<T>`, `[T; N]`): the whole list, or its one argument when that is an
    /// array the whole list does not fit.
    Seq,
    /// A struct: the first argument when it is an object, else the whole list (a struct read
    /// from a sequence), or its one argument when that is an array the whole list does not fit.
    Struct,
    /// Any other single value (string, number, bool, `Option`, map, enum): the first
    /// argument, `null` when there is none; the others are ignored.
    One,
}

/// Newtype structs the probe looks through before giving up (a type that names itself).
const PROBE_DEPTH: u8 = 32;

/// The newtype name by which [`BindError`]'s `Deserialize` makes itself known to the probe.
const BIND_ERROR_TOKEN: &str = "$socketio::BindError";

thread_local! {
    /// The mismatch being handed to a `Result<T, BindError>` handler: serde builds the `Err`
    /// and [`BindError`]'s `Deserialize` takes it from here (serde's data model has no way to
    /// carry a Rust value through).
    static CAUGHT: std::cell::RefCell<Option<BindError>> = const { std::cell::RefCell::new(None) };
}

impl Binding {
    /// Probes `T` (no value is built).
    pub(crate) fn of<T: DeserializeOwned + 'static>() -> Self {
        use std::any::{type_name, TypeId};
        if TypeId::of::<T>() == TypeId::of::<Args>() {
            return Binding::new(Shape::Raw, false);
        }
        if TypeId::of::<T>() == TypeId::of::<Result<Args, BindError>>() {
            return Binding::new(Shape::Raw, true);
        }
        // serde reads `[T; N]` exactly as a tuple; only its type name tells them apart, and an
        // array is one value, as on the emitting side.
        let array = type_name::<T>().starts_with('[');
        let seen = Cell::new(None);
        let caught = Cell::new(false);
        let probe = |result| {
            seen.set(None);
            let _ = T::deserialize(Probe {
                seen: &seen,
                caught: &caught,
                depth: PROBE_DEPTH,
                result,
                err_side: false,
            });
        };
        // A `Result` whose `Err` side is a `BindError` has its `Ok` side's shape; any other
        // `Result` is serde's externally tagged enum, one value.
        probe(Some("Err"));
        let catches = caught.get();
        probe(if catches { Some("Ok") } else { None });
        let array = array
            || (catches
                && type_name::<T>()
                    .split_once('<')
                    .is_some_and(|(_, inner)| inner.starts_with('[')));
        let shape = if array {
            Shape::Seq
        } else {
            seen.get().unwrap_or(Shape::Any)
        };
        Binding::new(shape, catches)
    }

    fn new(shape: Shape, catches: bool) -> Self {
        Binding { shape, catches }
    }

    /// Deserializes `T` (the type this binding was learnt from) from an event's arguments,
    /// the event name already removed. For `Result<_, BindError>` a mismatch is an `Ok(Err)`.
    pub(crate) fn bind<T: DeserializeOwned + 'static>(
        self,
        args: Vec<Value>,
        attachments: &[Bytes],
    ) -> Result<T, BindError> {
        if !self.catches {
            return self.shape.bind(args, attachments, false);
        }
        match self.shape.bind::<T>(args, attachments, true) {
            Ok(v) => Ok(v),
            Err(e) => {
                CAUGHT.with(|c| *c.borrow_mut() = Some(e));
                let err = from_value::<T>(serde_json::json!({ "Err": null }), &[]);
                // Normally taken by `BindError::deserialize`; never left for the next one.
                let left = CAUGHT.with(|c| c.borrow_mut().take());
                match (err, left) {
                    (Ok(v), _) => Ok(v),
                    (Err(_), Some(e)) => Err(e),
                    (Err(e), None) => Err(BindError {
                        arrived: Arrived::of(&[]),
                        error: e,
                    }),
                }
            }
        }
    }
}

impl Shape {
    /// Binds `T`; `wrapped`: `T` is `Result<U, BindError>` and this is `U`'s shape, so each
    /// value is read as `{"Ok": value}` (serde's form of a `Result`).
    fn bind<T: DeserializeOwned + 'static>(
        self,
        mut args: Vec<Value>,
        attachments: &[Bytes],
        wrapped: bool,
    ) -> Result<T, BindError> {
        let arrived = Arrived::of(&args);
        let fail = |error| BindError {
            arrived,
            error: redact(error),
        };
        let read = |v: Value| -> Result<T, DeError> {
            if wrapped {
                let mut ok = serde_json::Map::with_capacity(1);
                ok.insert("Ok".to_owned(), v);
                from_value(Value::Object(ok), attachments)
            } else {
                from_value(v, attachments)
            }
        };
        match self {
            Shape::Raw => raw(args, attachments).map_err(fail),
            Shape::Tuple(n) => {
                if args.len() > n {
                    args.truncate(n);
                } else {
                    // Node's `undefined` for a missing argument: `null` is what an `Option`
                    // reads as `None`.
                    args.resize(n, Value::Null);
                }
                read(Value::Array(args)).map_err(fail)
            }
            Shape::Unit => {
                drop(args);
                read(Value::Null).map_err(fail)
            }
            Shape::One => {
                args.truncate(1);
                let first = args.pop().unwrap_or(Value::Null);
                read(first).map_err(fail)
            }
            Shape::Struct if args.first().is_some_and(Value::is_object) => {
                args.truncate(1);
                let first = args.pop().unwrap_or(Value::Null);
                read(first).map_err(fail)
            }
            Shape::Any | Shape::Seq | Shape::Struct => {
                // The one extra attempt, from the one argument: `Vec<u32>` given `[1, 2]`, an
                // untagged enum given `"x"`. Kept only where it can succeed (a sequence or a
                // struct reads a lone non-array no better than the list).
                let only = match args.as_slice() {
                    [only] if self == Shape::Any || only.is_array() => Some(only.clone()),
                    _ => None,
                };
                match read(Value::Array(args)) {
                    Ok(v) => Ok(v),
                    Err(whole) => match only {
                        Some(only) => read(only).map_err(|_| fail(whole)),
                        None => Err(fail(whole)),
                    },
                }
            }
        }
    }
}

/// serde's reason without the client's text: ``invalid type: string "hunter2", expected
/// u32`` becomes `invalid type: string, expected u32` (serde shows a string's content; numbers
/// and booleans, which [`Arrived`] shows anyway, are kept).
fn redact(error: DeError) -> DeError {
    let DeError::Custom(msg) = &error else {
        return error;
    };
    for lead in ["invalid type: string", "invalid value: string"] {
        let quoted = msg.strip_prefix(lead).and_then(|m| m.strip_prefix(" \""));
        // The last `", expected ` closes the string, whatever it holds.
        let tail = quoted.and_then(|q| q.rfind("\", expected ").and_then(|end| q.get(end + 1..)));
        if let Some(tail) = tail {
            return DeError::Custom(format!("{lead}{tail}"));
        }
    }
    error
}

/// The raw list (an echo, a relay): the values move as they are, without a copy or a pass
/// through serde. `T` is [`Args`] or `Result<Args, BindError>`.
fn raw<T: 'static>(args: Vec<Value>, attachments: &[Bytes]) -> Result<T, DeError> {
    let args = args
        .into_iter()
        .map(|v| AnyValue::from_parts(v, attachments))
        .collect::<Result<Vec<_>, _>>()?;
    let mut plain = Some(Args(args));
    if let Some(slot) = (&mut plain as &mut dyn std::any::Any).downcast_mut::<Option<T>>() {
        if let Some(v) = slot.take() {
            return Ok(v);
        }
    }
    let mut wrapped: Option<Result<Args, BindError>> = plain.map(Ok);
    (&mut wrapped as &mut dyn std::any::Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
        // Only called for those two types, where one downcast succeeds.
        .ok_or_else(|| de::Error::custom("arguments type mismatch"))
}

/// Arguments that did not fit a handler's type: what arrived (in JSON terms, never the
/// content) and serde's reason. Its `Display` is the `warn`'s: ``integer 42: invalid type:
/// integer `42`, expected a string``.
///
/// A handler that takes `Result<T, BindError>` runs on a mismatch too, with this in `Err`,
/// and may answer the ack itself; see [`Socket::on`](crate::Socket::on).
///
/// ```
/// # fn f(socket: socketio::Socket) {
/// socket.on("nick", |_s, name: Result<String, socketio::BindError>, ack| match name {
///     Ok(name) => { let _ = ack.send(&("ok", name)); }
///     Err(e) => { let _ = ack.send(&("error", e.to_string())); }
/// });
/// # }
/// ```
///
/// It implements `Deserialize` only so that `Result<T, BindError>` does: only the server makes
/// one, and deserializing one from data fails.
#[derive(Debug, Clone)]
pub struct BindError {
    arrived: Arrived,
    error: DeError,
}

impl BindError {
    /// What arrived: how many arguments, the kind of the first few.
    pub fn arrived(&self) -> &Arrived {
        &self.arrived
    }

    /// serde's reason (``invalid type: integer `42`, expected a string``).
    pub fn reason(&self) -> &DeError {
        &self.error
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.arrived, self.error)
    }
}

impl std::error::Error for BindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<'de> serde::Deserialize<'de> for BindError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if let Some(e) = CAUGHT.with(|c| c.borrow_mut().take()) {
            return Ok(e);
        }
        struct Refuse;
        impl<'de> Visitor<'de> for Refuse {
            type Value = BindError;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mismatch made by the server (a BindError is not data)")
            }
        }
        // The probe learns from this name that the type is a `BindError`; any other
        // deserializer refuses it.
        d.deserialize_newtype_struct(BIND_ERROR_TOKEN, Refuse)
    }
}

/// What arrived, in JSON terms and without the payload: how many arguments, and the kind of
/// the first few (numbers and booleans shown, strings, arrays and objects by size only), e.g.
/// `integer 42` or `3 arguments: string of 6 bytes, array of 2, object of 1 keys`.
// Built on the stack for every event, since a failed attempt consumes the values.
#[derive(Debug, Clone, Copy)]
pub struct Arrived {
    count: usize,
    kinds: [Kind; Arrived::SHOWN],
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Str(usize),
    Array(usize),
    Object(usize),
    Binary,
}

impl Arrived {
    const SHOWN: usize = 3;

    /// How many arguments arrived (the event name not counted).
    pub fn count(&self) -> usize {
        self.count
    }

    fn of(args: &[Value]) -> Self {
        let mut kinds = [Kind::Null; Arrived::SHOWN];
        for (slot, v) in kinds.iter_mut().zip(args) {
            *slot = match v {
                Value::Null => Kind::Null,
                Value::Bool(b) => Kind::Bool(*b),
                Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => Kind::Unsigned(u),
                    (_, Some(i)) => Kind::Signed(i),
                    _ => Kind::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(s) => Kind::Str(s.len()),
                Value::Array(a) => Kind::Array(a.len()),
                Value::Object(o) if o.contains_key("_placeholder") => Kind::Binary,
                Value::Object(o) => Kind::Object(o.len()),
            };
        }
        Arrived {
            count: args.len(),
            kinds,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Kind::Null => f.write_str("null"),
            Kind::Bool(b) => write!(f, "boolean {b}"),
            Kind::Unsigned(n) => write!(f, "integer {n}"),
            Kind::Signed(n) => write!(f, "integer {n}"),
            Kind::Float(n) => write!(f, "floating point {n}"),
            Kind::Str(len) => write!(f, "string of {len} bytes"),
            Kind::Array(len) => write!(f, "array of {len}"),
            Kind::Object(len) => write!(f, "object of {len} keys"),
            Kind::Binary => f.write_str("binary"),
        }
    }
}

impl fmt::Display for Arrived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            0 => return f.write_str("no arguments"),
            1 => {}
            n => write!(f, "{n} arguments: ")?,
        }
        for (i, kind) in self.kinds.iter().take(self.count).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{kind}")?;
        }
        if self.count > Arrived::SHOWN {
            f.write_str(", ...")?;
        }
        Ok(())
    }
}

/// A deserializer that builds nothing: it records which shape the type asks for, then fails.
struct Probe<'a> {
    seen: &'a Cell<Option<Shape>>,
    /// Set when the `Err` side of the top-level `Result` is a [`BindError`].
    caught: &'a Cell<bool>,
    depth: u8,
    /// At the top only: the side of a `Result` to look into (`Ok` or `Err`).
    result: Option<&'static str>,
    /// This probe reads the `Err` side of the top-level `Result`.
    err_side: bool,
}

impl Probe<'_> {
    fn inner(&self, depth: u8) -> Self {
        Probe {
            seen: self.seen,
            caught: self.caught,
            depth,
            result: None,
            err_side: false,
        }
    }

    fn record<T>(self, shape: Shape) -> Result<T, de::value::Error> {
        self.seen.set(Some(shape));
        Err(de::Error::custom("probed"))
    }
}

macro_rules! probe_as {
    ($shape:expr => $($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
                self.record($shape)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    probe_as!(Shape::Any => deserialize_any deserialize_ignored_any);
    probe_as!(Shape::One =>
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_map deserialize_identifier);
    probe_as!(Shape::Unit => deserialize_unit);
    probe_as!(Shape::Seq => deserialize_seq);

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.record(Shape::Unit)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if name == BIND_ERROR_TOKEN && self.err_side {
            self.caught.set(true);
            return self.record(Shape::One);
        }
        match self.depth.checked_sub(1) {
            Some(depth) => visitor.visit_newtype_struct(self.inner(depth)),
            None => self.record(Shape::Any),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.record(Shape::Tuple(len))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.record(Shape::Tuple(len))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.record(Shape::Struct)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        // serde's `Result` (`Deserialize` for `core::result::Result`): look into one side.
        match self.result {
            Some(side) if name == "Result" && variants == ["Ok", "Err"] => {
                let probe = Probe {
                    err_side: side == "Err",
                    ..self.inner(self.depth)
                };
                visitor.visit_enum(ProbeSide { side, probe })
            }
            _ => self.record(Shape::One),
        }
    }
}

/// One side of a `Result` for the probe: its variant name, then the probe for its content.
struct ProbeSide<'a> {
    side: &'static str,
    probe: Probe<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for ProbeSide<'a> {
    type Error = de::value::Error;
    type Variant = Probe<'a>;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Self::Error> {
        let side = seed.deserialize(de::value::StrDeserializer::<Self::Error>::new(self.side))?;
        Ok((side, self.probe))
    }
}

impl<'de> de::VariantAccess<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.record(Shape::One)
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, Self::Error> {
        self.record(Shape::One)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Self::Error> {
        self.record(Shape::One)
    }
}

/// The raw arguments of an event or ack, binary kept: read them by index, or re-emit them
/// as they came (an `Args` is spread into several arguments, as a tuple is).
///
/// ```
/// use serde_json::json;
/// use socketio::Args;
///
/// let args = Args::from_values(vec![json!("hello"), json!(1), json!([1, 2])]);
/// assert_eq!(args.len(), 3);
/// assert_eq!(args.get::<String>(0).as_deref(), Some("hello"));
/// assert_eq!(args.get::<u32>(1), Some(1));
/// assert_eq!(args.get::<Vec<u8>>(2), Some(vec![1, 2]));
/// assert_eq!(args.get::<u32>(0), None); // not a number
/// assert_eq!(args.get::<u32>(3), None); // no such argument
/// assert!(args.try_get::<u32>(0).unwrap_err().to_string().contains("expected u32"));
/// assert_eq!(args.iter().filter(|a| a.value.is_number()).count(), 1);
/// for arg in &args {
///     println!("{}", arg.value);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Args(pub Vec<AnyValue>);

impl Args {
    /// Arguments without binary.
    pub fn from_values(values: Vec<Value>) -> Self {
        Args(values.into_iter().map(AnyValue::new).collect())
    }

    /// How many arguments.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No arguments.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first argument deserialized as `T`; `get(0)`.
    pub fn first<T: DeserializeOwned>(&self) -> Option<T> {
        self.get(0)
    }

    /// Argument `index` (from 0, the event name not counted) deserialized as `T` (binary
    /// kept, so `bytes::Bytes` reads an attachment); `None` when there is no such argument or
    /// it is not a `T`. [`Args::try_get`] says which.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Option<T> {
        self.try_get(index).ok()
    }

    /// As [`Args::get`], with the reason when it fails: `no argument at index 3`, or serde's
    /// (`invalid type: string "a", expected u32`).
    pub fn try_get<T: DeserializeOwned>(&self, index: usize) -> Result<T, DeError> {
        let a = self.0.get(index).ok_or_else(|| {
            <DeError as de::Error>::custom(format_args!("no argument at index {index}"))
        })?;
        from_value(a.value.clone(), &a.attachments)
    }

    /// The arguments in order.
    pub fn iter(&self) -> std::slice::Iter<'_, AnyValue> {
        self.0.iter()
    }
}

impl IntoIterator for Args {
    type Item = AnyValue;
    type IntoIter = std::vec::IntoIter<AnyValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Args {
    type Item = &'a AnyValue;
    type IntoIter = std::slice::Iter<'a, AnyValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<AnyValue> for Args {
    fn from_iter<I: IntoIterator<Item = AnyValue>>(iter: I) -> Self {
        Args(iter.into_iter().collect())
    }
}

/// Spreads: an `Args` serializes as a tuple of its values.
impl Serialize for Args {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeTuple;
        let mut t = serializer.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

impl<'de> serde::Deserialize<'de> for Args {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<AnyValue>::deserialize(d).map(Args)
    }
}

/// The arguments of a payload, each with the attachments its placeholders name.
pub(crate) fn payload_to_args(payload: Payload) -> Args {
    let Payload { data, attachments } = payload;
    let values = match data {
        serde_json::Value::Array(v) => v,
        other => vec![other],
    };
    Args(
        values
            .into_iter()
            .map(|v| AnyValue::from_parts(v, &attachments).unwrap_or_default())
            .collect(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn bind<T: DeserializeOwned + 'static>(args: Vec<Value>) -> Result<T, BindError> {
        Binding::of::<T>().bind(args, &[])
    }

    fn shape<T: DeserializeOwned + 'static>() -> Shape {
        let b = Binding::of::<T>();
        assert!(!b.catches, "{}", std::any::type_name::<T>());
        b.shape
    }

    fn caught<T: DeserializeOwned + 'static>() -> Shape {
        let b = Binding::of::<Result<T, BindError>>();
        assert!(b.catches, "{}", std::any::type_name::<T>());
        b.shape
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Pair(u8, String);

    #[derive(Deserialize, Debug, PartialEq)]
    struct Name(String);

    #[derive(Deserialize, Debug, PartialEq)]
    struct Marker;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Loose {
        Num(u32),
        Text(String),
    }

    #[test]
    fn spreading() {
        let p = to_payload(Some("m"), &("a", 1)).unwrap();
        assert_eq!(p.data, json!(["m", "a", 1]));
        let p = to_payload(Some("m"), &vec![1, 2]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        let p = to_payload(Some("m"), &[1, 2]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        let p = to_payload(None, &[1, 2, 3]).unwrap();
        assert_eq!(p.data, json!([[1, 2, 3]]));
        let p = to_payload(Some("m"), &()).unwrap();
        assert_eq!(p.data, json!(["m"]));
        let p = to_payload(Some("m"), &"x").unwrap();
        assert_eq!(p.data, json!(["m", "x"]));
        let p = to_payload(None, &(Bytes::from_static(b"\x01"),)).unwrap();
        assert_eq!(p.data, json!([{"_placeholder": true, "num": 0}]));
        assert_eq!(p.attachments.len(), 1);
        let args = Args::from_values(vec![json!(1), json!("b")]);
        let p = to_payload(Some("m"), &args).unwrap();
        assert_eq!(p.data, json!(["m", 1, "b"]));
        let p = to_payload(None, &Args::default()).unwrap();
        assert_eq!(p.data, json!([]));
    }

    #[test]
    fn arity_probe() {
        assert_eq!(shape::<Args>(), Shape::Raw);
        assert_eq!(shape::<()>(), Shape::Unit);
        assert_eq!(shape::<Marker>(), Shape::Unit);
        assert_eq!(shape::<(String,)>(), Shape::Tuple(1));
        assert_eq!(shape::<(String, Option<u8>)>(), Shape::Tuple(2));
        assert_eq!(shape::<Pair>(), Shape::Tuple(2));
        assert_eq!(shape::<String>(), Shape::One);
        assert_eq!(shape::<Name>(), Shape::One);
        assert_eq!(shape::<Option<String>>(), Shape::One);
        assert_eq!(shape::<u64>(), Shape::One);
        assert_eq!(shape::<std::collections::HashMap<String, u8>>(), Shape::One);
        assert_eq!(shape::<Point>(), Shape::Struct);
        assert_eq!(shape::<Vec<u8>>(), Shape::Seq);
        assert_eq!(shape::<Vec<AnyValue>>(), Shape::Seq);
        assert_eq!(shape::<[u8; 3]>(), Shape::Seq);
        assert_eq!(shape::<Value>(), Shape::Any);
        assert_eq!(shape::<AnyValue>(), Shape::Any);
        assert_eq!(shape::<Loose>(), Shape::Any);
    }

    #[test]
    fn result_probe_sees_the_inner_shape() {
        assert_eq!(caught::<String>(), Shape::One);
        assert_eq!(caught::<Option<u8>>(), Shape::One);
        assert_eq!(caught::<(String, Option<u8>)>(), Shape::Tuple(2));
        assert_eq!(caught::<Pair>(), Shape::Tuple(2));
        assert_eq!(caught::<()>(), Shape::Unit);
        assert_eq!(caught::<Point>(), Shape::Struct);
        assert_eq!(caught::<Vec<u8>>(), Shape::Seq);
        assert_eq!(caught::<[u8; 3]>(), Shape::Seq);
        assert_eq!(caught::<Value>(), Shape::Any);
        assert_eq!(caught::<Args>(), Shape::Raw);
        assert_eq!(caught::<Name>(), Shape::One);
        // Any other `Result` is serde's externally tagged enum: one value.
        assert_eq!(shape::<Result<String, String>>(), Shape::One);
        assert_eq!(shape::<Result<(u8, u8), Value>>(), Shape::One);
        // Only the `Err` side of the top-level `Result` counts.
        assert_eq!(shape::<Result<BindError, String>>(), Shape::One);
        assert_eq!(shape::<Option<Result<String, BindError>>>(), Shape::One);
    }

    #[test]
    fn result_handlers_see_mismatches() {
        type R<T> = Result<T, BindError>;
        let ok: R<String> = bind(vec![json!("hi"), json!(2)]).unwrap();
        assert_eq!(ok.unwrap(), "hi");
        let err = bind::<R<String>>(vec![json!(42)]).unwrap().unwrap_err();
        assert_eq!(err.arrived().to_string(), "integer 42");
        assert_eq!(err.arrived().count(), 1);
        assert_eq!(
            err.reason().to_string(),
            "invalid type: integer `42`, expected a string"
        );
        assert_eq!(
            err.to_string(),
            "integer 42: invalid type: integer `42`, expected a string"
        );
        // The inner type's rules hold: a tuple pads, a sequence retries the one array.
        let (a, b) = bind::<R<(String, Option<String>)>>(vec![json!("x")])
            .unwrap()
            .unwrap();
        assert_eq!((a.as_str(), b), ("x", None));
        let err = bind::<R<(String, String)>>(vec![json!("x")])
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().starts_with("string of 1 bytes: "), "{err}");
        let v = bind::<R<Vec<u32>>>(vec![json!([1, 2])]).unwrap().unwrap();
        assert_eq!(v, vec![1, 2]);
        let a = bind::<R<[u8; 2]>>(vec![json!([1, 2])]).unwrap().unwrap();
        assert_eq!(a, [1, 2]);
        let p = bind::<R<Point>>(vec![json!({"x": 1, "y": 2})]).unwrap();
        assert_eq!(p.unwrap(), Point { x: 1, y: 2 });
        let l = bind::<R<Loose>>(vec![json!("x")]).unwrap().unwrap();
        assert_eq!(l, Loose::Text("x".into()));
        bind::<R<()>>(vec![json!(1)]).unwrap().unwrap();
        // The raw list, binary kept; a bad placeholder is a mismatch the handler sees.
        let bin = [Bytes::from_static(b"zero")];
        let placeholder = json!({"_placeholder": true, "num": 0});
        let args = Binding::of::<R<Args>>()
            .bind::<R<Args>>(vec![placeholder], &bin)
            .unwrap()
            .unwrap();
        assert_eq!(args.get::<Bytes>(0), Some(bin[0].clone()));
        let bad = vec![json!({"_placeholder": true, "num": 5})];
        let err = Binding::of::<R<Args>>()
            .bind::<R<Args>>(bad, &bin)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.to_string(), "binary: placeholder names no attachment");
        // Nothing is left behind for the next event.
        assert!(CAUGHT.with(|c| c.borrow().is_none()));
        // Not data: only the server makes one.
        assert!(serde_json::from_value::<BindError>(json!(null)).is_err());
        assert!(serde_json::from_value::<R<u8>>(json!({"Err": null})).is_err());
    }

    #[test]
    fn tuples_truncate_and_pad() {
        // Node: `socket.on("m", (a, b) => ...)` given ("x", "y", "z") ignores "z".
        let (a, b): (String, String) = bind(vec![json!("x"), json!("y"), json!("z")]).unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("x", "y"));
        // Given ("x") b is `undefined`: `None` here.
        let (a, b): (String, Option<String>) = bind(vec![json!("x")]).unwrap();
        assert_eq!((a.as_str(), b), ("x", None));
        let (a, b): (String, Option<String>) = bind(vec![json!("x"), json!("y")]).unwrap();
        assert_eq!((a.as_str(), b.as_deref()), ("x", Some("y")));
        let (a,): (u32,) = bind(vec![json!(1), json!(2)]).unwrap();
        assert_eq!(a, 1);
        let p: Pair = bind(vec![json!(1), json!("b"), json!(null)]).unwrap();
        assert_eq!(p, Pair(1, "b".into()));
        // A missing element that is not an `Option` still fails.
        let e = bind::<(String, String)>(vec![json!("x")]).unwrap_err();
        assert!(e.to_string().contains("expected a string"), "{e}");
        assert!(bind::<(u32,)>(vec![json!("no")]).is_err());
        // Thousands of arguments: truncated, one attempt.
        let many = vec![json!(7); 10_000];
        let (a, b): (u32, u32) = bind(many).unwrap();
        assert_eq!((a, b), (7, 7));
    }

    #[test]
    fn unit_takes_any_arguments() {
        bind::<()>(vec![]).unwrap();
        bind::<()>(vec![json!(1), json!("two")]).unwrap();
        assert_eq!(bind::<Marker>(vec![json!({"a": 1})]).unwrap(), Marker);
    }

    #[test]
    fn single_types() {
        let s: String = bind(vec![json!("only")]).unwrap();
        assert_eq!(s, "only");
        // Node: `(s) => ...` given ("a", "b") sees "a".
        let s: String = bind(vec![json!("a"), json!("b")]).unwrap();
        assert_eq!(s, "a");
        let n: Option<String> = bind(vec![]).unwrap();
        assert_eq!(n, None);
        let Name(n) = bind(vec![json!("n")]).unwrap();
        assert_eq!(n, "n");
        let p: Point = bind(vec![json!({"x": 1, "y": 2})]).unwrap();
        assert_eq!(p, Point { x: 1, y: 2 });
        let p: Point = bind(vec![json!({"x": 1, "y": 2}), json!("extra")]).unwrap();
        assert_eq!(p, Point { x: 1, y: 2 });
        // A struct read from a sequence, as serde does: the list, or one array.
        let p: Point = bind(vec![json!(1), json!(2)]).unwrap();
        assert_eq!(p, Point { x: 1, y: 2 });
        let p: Point = bind(vec![json!([1, 2])]).unwrap();
        assert_eq!(p, Point { x: 1, y: 2 });
        let v: Value = bind(vec![json!("x")]).unwrap();
        assert_eq!(v, json!(["x"]));
        assert_eq!(
            bind::<Loose>(vec![json!("x")]).unwrap(),
            Loose::Text("x".into())
        );
        let e = bind::<String>(vec![json!(42)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "integer 42: invalid type: integer `42`, expected a string"
        );
    }

    #[test]
    fn strings_are_not_shown() {
        let e = bind::<u32>(vec![json!("hunter2")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "string of 7 bytes: invalid type: string, expected u32"
        );
        let e = bind::<(u8, u8)>(vec![json!(1), json!("a\", expected x")]).unwrap_err();
        assert_eq!(e.reason().to_string(), "invalid type: string, expected u8");
        let e = bind::<bool>(vec![json!(3)]).unwrap_err();
        assert_eq!(
            e.reason().to_string(),
            "invalid type: integer `3`, expected a boolean"
        );
    }

    #[test]
    fn sequences_as_today() {
        let v: Vec<u32> = bind(vec![json!([1, 2])]).unwrap();
        assert_eq!(v, vec![1, 2]);
        let v: Vec<u32> = bind(vec![json!(1), json!(2)]).unwrap();
        assert_eq!(v, vec![1, 2]);
        let v: Vec<u32> = bind(vec![json!(5)]).unwrap();
        assert_eq!(v, vec![5]);
        let v: Vec<u32> = bind(vec![]).unwrap();
        assert!(v.is_empty());
        let a: [u8; 3] = bind(vec![json!([1, 2, 3])]).unwrap();
        assert_eq!(a, [1, 2, 3]);
        let a: [u8; 3] = bind(vec![json!(1), json!(2), json!(3)]).unwrap();
        assert_eq!(a, [1, 2, 3]);
        let v: Vec<Value> = bind(vec![json!([1, 2])]).unwrap();
        assert_eq!(v, vec![json!([1, 2])]);
    }

    #[test]
    fn raw_lists() {
        let args: Args = bind(vec![json!(1), json!(2)]).unwrap();
        assert_eq!(args.len(), 2);
        // The fast path for `Args` agrees with the general one, placeholders included.
        let bin = [Bytes::from_static(b"zero"), Bytes::from_static(b"one")];
        let with_bin = vec![
            json!({"a": {"_placeholder": true, "num": 1}}),
            json!("x"),
            json!([{"_placeholder": true, "num": 0}]),
        ];
        let fast: Args = Binding::of::<Args>().bind(with_bin.clone(), &bin).unwrap();
        let slow: Args = socketio_protocol::from_value(Value::Array(with_bin), &bin).unwrap();
        assert_eq!(fast, slow);
        let bad = vec![json!({"_placeholder": true, "num": 5})];
        assert!(Binding::of::<Args>()
            .bind::<Args>(bad.clone(), &bin)
            .is_err());
        assert!(socketio_protocol::from_value::<Args>(Value::Array(bad), &bin).is_err());
    }

    #[test]
    fn arrived_describes_without_payload() {
        let d = |args: Vec<Value>| Arrived::of(&args).to_string();
        assert_eq!(d(vec![]), "no arguments");
        assert_eq!(d(vec![json!(42)]), "integer 42");
        assert_eq!(
            d(vec![json!("secret"), json!([1, 2]), json!({"k": "secret"})]),
            "3 arguments: string of 6 bytes, array of 2, object of 1 keys"
        );
        assert_eq!(
            d(vec![json!(null), json!(true), json!(-1.5), json!(1)]),
            "4 arguments: null, boolean true, floating point -1.5, ..."
        );
        assert_eq!(d(vec![json!({"_placeholder": true, "num": 0})]), "binary");
    }

    #[test]
    fn indexed_access() {
        let bin = [Bytes::from_static(b"\x01")];
        let args = payload_to_args(Payload::with_attachments(
            json!(["a", 2, {"_placeholder": true, "num": 0}]),
            bin.to_vec(),
        ));
        assert_eq!(args.get::<String>(0).as_deref(), Some("a"));
        assert_eq!(args.first::<String>().as_deref(), Some("a"));
        assert_eq!(args.get::<u8>(1), Some(2));
        assert_eq!(args.get::<Bytes>(2), Some(bin[0].clone()));
        assert_eq!(args.get::<u8>(0), None);
        assert_eq!(args.get::<u8>(9), None);
        assert_eq!(
            args.try_get::<u8>(9).unwrap_err().to_string(),
            "no argument at index 9"
        );
        assert_eq!(args.iter().count(), 3);
        assert_eq!((&args).into_iter().count(), 3);
        let back: Args = args.clone().into_iter().collect();
        assert_eq!(back, args);
    }
}
