//! The UI's commands (Node's `registerFeatureHandlers`): `emit`, `join`, `leave` and
//! `_disconnect`, each for a namespace and a "filter" (a room; the UI gives a socket id to
//! target one socket). They go through the broadcast operators, so in a cluster they reach
//! every node. Nothing is answered: the UI learns the outcome from the tracking events.
//!
//! Unlike Node, a command for a namespace that does not exist on this node does nothing
//! (Node's `io.of(nsp)` would create it: a command could make namespaces without bound), and a
//! filter that is neither a string, an array of strings nor falsy does nothing.

use serde_json::Value;
use socketio::{Args, BroadcastOperator, Server, Socket};

/// JavaScript's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Argument `i` as JSON (`null` when missing).
fn arg(args: &Args, i: usize) -> Value {
    args.get::<Value>(i).unwrap_or(Value::Null)
}

/// The sockets a command is for: namespace `nsp`, within `filter` when it is truthy.
fn target(io: &Server, nsp: &Value, filter: &Value) -> Option<BroadcastOperator> {
    let ns = io.namespace(nsp.as_str()?)?;
    if !truthy(filter) {
        return Some(ns.broadcast());
    }
    match filter {
        Value::String(room) => Some(ns.to(room.as_str())),
        Value::Array(rooms) => {
            let mut op = ns.broadcast();
            for room in rooms {
                op = op.to(room.as_str()?);
            }
            Some(op)
        }
        _ => None,
    }
}

/// Registers the command handlers on an admin socket.
pub(crate) fn register(io: socketio::WeakServer, socket: &Socket) {
    let weak = io.clone();
    socket.on("emit", move |_socket, args: Args, _ack| {
        let Some(io) = weak.upgrade() else { return };
        // nsp, filter, event, ...args
        let Some(op) = target(&io, &arg(&args, 0), &arg(&args, 1)) else {
            return;
        };
        let Some(event) = args.get::<String>(2) else {
            return;
        };
        let rest: Args = args.iter().skip(3).cloned().collect();
        if let Err(e) = op.emit(&event, &rest) {
            tracing::debug!(target: "socketio_admin", %event, error = %e, "emit command failed");
        }
    });
    // join / leave: nsp, room, filter?
    for (event, join) in [("join", true), ("leave", false)] {
        let weak = io.clone();
        socket.on(event, move |_socket, args: Args, _ack| {
            let Some(io) = weak.upgrade() else { return };
            let (Some(op), Some(room)) = (
                target(&io, &arg(&args, 0), &arg(&args, 2)),
                args.get::<String>(1),
            ) else {
                return;
            };
            let _ = if join {
                op.sockets_join([room])
            } else {
                op.sockets_leave([room])
            };
        });
    }
    socket.on("_disconnect", move |_socket, args: Args, _ack| {
        let Some(io) = io.upgrade() else { return };
        // nsp, close, filter?
        let Some(op) = target(&io, &arg(&args, 0), &arg(&args, 2)) else {
            return;
        };
        let _ = op.disconnect_sockets(truthy(&arg(&args, 1)));
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_is_javascripts() {
        for v in [json!(null), json!(false), json!(0), json!(""), json!(0.0)] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [json!(true), json!(1), json!("a"), json!([]), json!({})] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn commands_never_make_namespaces_or_take_odd_filters() {
        let io = Server::new();
        assert!(target(&io, &json!("/nope"), &json!(null)).is_none());
        assert!(io.namespace("/nope").is_none(), "no namespace made");
        assert!(target(&io, &json!(42), &json!(null)).is_none());
        assert!(target(&io, &json!("/"), &json!({"a": 1})).is_none());
        assert!(target(&io, &json!("/"), &json!(["a", 2])).is_none());
        assert!(target(&io, &json!("/"), &json!("room")).is_some());
        assert!(target(&io, &json!("/"), &json!(["a", "b"])).is_some());
        assert!(target(&io, &json!("/"), &json!("")).is_some(), "falsy: all");
    }
}
