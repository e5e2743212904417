//! Development mode: every connection, disconnection, room change, data change and event of
//! every namespace, told to the admin namespace as it happens (Node's
//! `registerVerboseListeners`). Each is an `adminNamespace.emit`, a namespace broadcast: with
//! a cluster adapter it reaches the UIs on every node.

use std::sync::Arc;

use serde_json::{json, Value};
use socketio::{AnyValue, Args, Namespace, RoomEvent, Socket};

use crate::serialize::{self, now, ADMIN_KEY};
use crate::Shared;

/// Emits to the admin namespace; a failure (a reserved name, a value that does not
/// serialize) is logged, never the app's problem.
pub(crate) fn tell<T: serde::Serialize + ?Sized>(admin: &Namespace, event: &str, data: &T) {
    if let Err(e) = admin.emit(event, data) {
        tracing::debug!(target: "socketio_admin", %event, error = %e, "admin event not sent");
    }
}

/// `[event, ...args]` as one argument, binary kept.
fn event_with_args(event: &str, args: &Args) -> Vec<AnyValue> {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(AnyValue::new(Value::String(event.to_owned())));
    all.extend(args.iter().cloned());
    all
}

/// Tracks `ns` from now on.
pub(crate) fn namespace(shared: &Arc<Shared>, ns: &Namespace) {
    let is_admin = ns.name() == shared.admin_name;
    let s = shared.clone();
    ns.prepend_connection(move |socket| connected(&s, &socket, is_admin));

    let admin = shared.admin.clone();
    let nsp: Arc<str> = ns.name().into();
    ns.on_room_event(move |event| match event {
        RoomEvent::JoinRoom(room, id) => {
            tell(&admin, "room_joined", &(&*nsp, &**room, &**id, now()))
        }
        RoomEvent::LeaveRoom(room, id) => {
            tell(&admin, "room_left", &(&*nsp, &**room, &**id, now()))
        }
        _ => {}
    });

    let admin = shared.admin.clone();
    ns.on_data_change(move |socket| {
        let data = serialize::user_data(socket.data_value());
        tell(
            &admin,
            "socket_updated",
            &json!({"id": socket.id(), "nsp": socket.ns().name(), "data": data}),
        );
    });
}

/// A socket joined a tracked namespace.
fn connected(shared: &Arc<Shared>, socket: &Socket, is_admin: bool) {
    let admin = &shared.admin;
    socket.set_data_tag(ADMIN_KEY, serialize::admin_data(socket));
    tell(
        admin,
        "socket_connected",
        &(serialize::local(socket), now()),
    );

    if socket.conn().transport() == engineio::TransportKind::Polling {
        // The socket is found again by id: the engine keeps this callback, and a socket
        // handle in it would keep the socket alive as long as the connection.
        let ns = socket.ns().clone();
        let id = socket.id().to_owned();
        let admin = admin.clone();
        socket.conn().on_upgrade(move |_conn| {
            let Some(socket) = ns.get_socket(&id) else {
                return;
            };
            socket.set_data_tag(ADMIN_KEY, serialize::admin_data(&socket));
            tell(
                &admin,
                "socket_updated",
                &json!({"id": id, "nsp": ns.name(), "transport": "websocket"}),
            );
        });
    }

    if !is_admin {
        let a = admin.clone();
        socket.on_any(move |socket, event, args| {
            tell(
                &a,
                "event_received",
                &(
                    socket.ns().name(),
                    socket.id(),
                    event_with_args(event, args),
                    now(),
                ),
            );
        });
        let a = admin.clone();
        socket.on_any_outgoing(move |socket, event, args| {
            tell(
                &a,
                "event_sent",
                &(
                    socket.ns().name(),
                    socket.id(),
                    event_with_args(event, args),
                    now(),
                ),
            );
        });
    }

    let a = admin.clone();
    socket.on_disconnect(move |socket, reason| {
        tell(
            &a,
            "socket_disconnected",
            &(socket.ns().name(), socket.id(), reason.as_str(), now()),
        );
    });
}
