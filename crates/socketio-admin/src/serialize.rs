//! `SerializedSocket`: a socket as the UI lists it (Node's `serialize`), from a socket of
//! this node or from another node's `fetch_sockets` answer.

use serde::Serialize;
use serde_json::{Map, Value};
use socketio::{Handshake, RemoteSocket, Socket};

/// The key of the admin data in a socket's data, as Node keeps it (`socket.data._admin`).
pub(crate) const ADMIN_KEY: &str = "_admin";

/// How many characters of the engine's session id the UI gets as `clientId` (Node: "this
/// information is quite sensitive": enough to group a client's sockets, not to hijack it).
const CLIENT_ID_LEN: usize = 12;

/// The UI's `clientId` of a connection.
pub(crate) fn client_id(socket: &Socket) -> String {
    let sid = socket.conn().id();
    sid.as_str().chars().take(CLIENT_ID_LEN).collect()
}

/// `{clientId, transport}`: the admin data of a socket.
pub(crate) fn admin_data(socket: &Socket) -> Value {
    let mut m = Map::new();
    m.insert("clientId".into(), Value::String(client_id(socket)));
    m.insert(
        "transport".into(),
        Value::String(socket.conn().transport().as_str().to_owned()),
    );
    Value::Object(m)
}

#[derive(Serialize)]
struct SerializedHandshake<'a> {
    address: &'a str,
    headers: &'a std::collections::BTreeMap<String, String>,
    query: &'a std::collections::BTreeMap<String, String>,
    issued: u64,
    secure: bool,
    time: &'a str,
    url: &'a str,
    xdomain: bool,
}

/// The socket as the UI's `SerializedSocket`.
#[derive(Serialize)]
pub(crate) struct SerializedSocket<'a> {
    id: &'a str,
    #[serde(rename = "clientId", skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transport: Option<String>,
    nsp: &'a str,
    data: Value,
    handshake: SerializedHandshake<'a>,
    rooms: Vec<String>,
}

/// `data` without the admin data; `{}` when unset.
pub(crate) fn user_data(data: Value) -> Value {
    match data {
        Value::Object(mut m) => {
            m.remove(ADMIN_KEY);
            Value::Object(m)
        }
        Value::Null => Value::Object(Map::new()),
        other => other,
    }
}

fn handshake(h: &Handshake) -> SerializedHandshake<'_> {
    // As Node: a proxy's view of the client first.
    let address = h
        .headers
        .get("cf-connecting-ip")
        .or_else(|| h.headers.get("x-forwarded-for"))
        .unwrap_or(&h.address);
    SerializedHandshake {
        address,
        headers: &h.headers,
        query: &h.query,
        issued: h.issued,
        secure: h.secure,
        time: &h.time,
        url: &h.url,
        xdomain: h.xdomain,
    }
}

/// A socket of this node, as JSON.
pub(crate) fn local(socket: &Socket) -> Value {
    let h = socket.handshake();
    let s = SerializedSocket {
        id: socket.id(),
        client_id: Some(client_id(socket)),
        transport: Some(socket.conn().transport().as_str().to_owned()),
        nsp: socket.ns().name(),
        data: user_data(socket.data_value()),
        handshake: handshake(h),
        rooms: socket.rooms().iter().map(|r| r.to_string()).collect(),
    };
    serde_json::to_value(&s).unwrap_or(Value::Null)
}

/// A socket of any node of the cluster, from `fetch_sockets`, as JSON.
pub(crate) fn remote(socket: &RemoteSocket, nsp: &str) -> Value {
    if let RemoteSocket::Local(s) = socket {
        return local(s);
    }
    let data = socket.data_value();
    let admin = data.get(ADMIN_KEY);
    let field = |k: &str| {
        admin
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let h = socket.handshake();
    let s = SerializedSocket {
        id: socket.id(),
        client_id: field("clientId"),
        transport: field("transport"),
        nsp,
        data: user_data(data.clone()),
        handshake: handshake(&h),
        rooms: socket.rooms().iter().map(|r| r.to_string()).collect(),
    };
    serde_json::to_value(&s).unwrap_or(Value::Null)
}

/// Now, as JavaScript's `Date#toJSON` writes it: `2026-12-03T10:00:00.123Z`.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_with_milliseconds() {
        let t = now();
        assert_eq!(t.len(), 24, "{t}");
        let b = t.as_bytes();
        assert!(
            t.ends_with('Z') && b[4] == b'-' && b[10] == b'T' && b[19] == b'.',
            "{t}"
        );
    }

    #[test]
    fn user_data_hides_the_admin_data() {
        let d = serde_json::json!({"_admin": {"clientId": "x"}, "count": 1});
        assert_eq!(user_data(d), serde_json::json!({"count": 1}));
        assert_eq!(user_data(Value::Null), serde_json::json!({}));
        assert_eq!(
            user_data(serde_json::json!("alice")),
            serde_json::json!("alice")
        );
    }
}
