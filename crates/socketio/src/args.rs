//! Turning user values into event arguments and back.
//!
//! Emitting: a tuple (or fixed-size array) is spread into the arguments, `()` is no argument,
//! any other value is one argument — so `emit("m", &("a", 1))` sends `["m","a",1]` and
//! `emit("m", &vec![1, 2])` sends `["m",[1,2]]`. Binary (`bytes::Bytes`) may sit anywhere.
//!
//! Receiving: the arguments (the event name removed) are deserialized as one array into the
//! handler's type: a tuple, a struct read from a sequence, `Vec<T>`, or [`AnyValue`] lists; when
//! that fails and there is exactly one argument, it is deserialized from that argument alone,
//! so a handler may take `String` rather than `(String,)`.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::ser::{self, Serialize};
use serde_json::Value;
use socketio_protocol::{from_value, AnyValue, Payload};

use crate::error::EmitError;

/// Serializes the arguments of an event or ack into a JSON array (placeholders for binary)
/// and the attachments. `prefix` (the event name) comes first when given.
pub(crate) fn to_payload<T: Serialize + ?Sized>(
    prefix: Option<&str>,
    data: &T,
) -> Result<Payload, EmitError> {
    socketio_protocol::to_payload(prefix, data).map_err(|e| EmitError::Serialize(e.to_string()))
}

/// Deserializes handler arguments from `args` (the event name already removed).
pub(crate) fn from_args<T: DeserializeOwned + 'static>(
    args: Vec<Value>,
    attachments: &[Bytes],
) -> Result<T, socketio_protocol::DeError> {
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<Args>() {
        // The raw list (an echo, a relay): the values move as they are, without a copy or a
        // pass through serde.
        let args = args
            .into_iter()
            .map(|v| AnyValue::from_parts(v, attachments))
            .collect::<Result<Vec<_>, _>>()?;
        let mut slot = Some(Args(args));
        let t = (&mut slot as &mut dyn std::any::Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take);
        // `T` is `Args`: the downcast cannot fail.
        return t.ok_or_else(|| serde::de::Error::custom("arguments type mismatch"));
    }
    if args.len() == 1 {
        let whole = Value::Array(args);
        match from_value::<T>(whole.clone(), attachments) {
            Ok(v) => Ok(v),
            Err(first) => {
                let Value::Array(mut one) = whole else {
                    return Err(first);
                };
                from_value::<T>(one.pop().unwrap_or(Value::Null), attachments).map_err(|_| first)
            }
        }
    } else {
        from_value::<T>(Value::Array(args), attachments)
    }
}

/// The raw arguments of an event or ack, binary kept: re-emit them as they came.
///
/// ```
/// # use socketio::Args;
/// let args = Args::from_values(vec![serde_json::json!("hello"), serde_json::json!(1)]);
/// assert_eq!(args.len(), 2);
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

    /// The first argument deserialized as `T`.
    pub fn first<T: DeserializeOwned>(&self) -> Option<T> {
        let a = self.0.first()?;
        from_value(a.value.clone(), &a.attachments).ok()
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
    use serde_json::json;

    #[test]
    fn spreading() {
        let p = to_payload(Some("m"), &("a", 1)).unwrap();
        assert_eq!(p.data, json!(["m", "a", 1]));
        let p = to_payload(Some("m"), &vec![1, 2]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
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
    }

    #[test]
    fn receiving() {
        let (a, b): (String, u32) = from_args(vec![json!("x"), json!(2)], &[]).unwrap();
        assert_eq!((a.as_str(), b), ("x", 2));
        let s: String = from_args(vec![json!("only")], &[]).unwrap();
        assert_eq!(s, "only");
        let v: Vec<u32> = from_args(vec![json!([1, 2])], &[]).unwrap();
        assert_eq!(v, vec![1, 2]);
        let args: Args = from_args(vec![json!(1), json!(2)], &[]).unwrap();
        // The fast path for `Args` agrees with the general one, placeholders included.
        let bin = [Bytes::from_static(b"zero"), Bytes::from_static(b"one")];
        let with_bin = vec![
            json!({"a": {"_placeholder": true, "num": 1}}),
            json!("x"),
            json!([{"_placeholder": true, "num": 0}]),
        ];
        let fast: Args = from_args(with_bin.clone(), &bin).unwrap();
        let slow: Args = socketio_protocol::from_value(Value::Array(with_bin), &bin).unwrap();
        assert_eq!(fast, slow);
        let bad = vec![json!({"_placeholder": true, "num": 5})];
        assert!(from_args::<Args>(bad.clone(), &bin).is_err());
        assert!(socketio_protocol::from_value::<Args>(Value::Array(bad), &bin).is_err());
        assert_eq!(args.len(), 2);
        assert!(from_args::<(u32,)>(vec![json!("no")], &[]).is_err());
    }
}
