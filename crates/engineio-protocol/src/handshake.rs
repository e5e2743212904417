//! The handshake: the JSON of the open packet.

use serde::{Deserialize, Serialize};

use crate::packet::{Packet, Str};

/// The data of the open packet (`0{...}`) that starts every session.
///
/// Node's `engine.io` sends exactly these five keys, in this order, in protocol 3 and 4 alike, and
/// so do we: `{"sid":"...","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,
/// "maxPayload":1000000}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The session id (see [`Sid`](crate::Sid)).
    pub sid: String,
    /// The transports the client may upgrade to from the current one: `["websocket"]` on polling
    /// when upgrades are allowed, else empty.
    pub upgrades: Vec<String>,
    /// `pingInterval`, in milliseconds.
    pub ping_interval: u64,
    /// `pingTimeout`, in milliseconds.
    pub ping_timeout: u64,
    /// `maxPayload`: the largest body or message the server accepts, in bytes
    /// (`maxHttpBufferSize`).
    pub max_payload: u64,
}

impl OpenPacket {
    /// The open packet carrying this JSON.
    pub fn to_packet(&self) -> Packet {
        // Serialising strings and integers into a `Vec` cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        Packet::Open(Str::from(json))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ws::{encode_frame, Frame};
    use crate::ProtocolVersion;

    #[test]
    fn open_packet_has_exactly_node_keys_in_order() {
        let open = OpenPacket {
            sid: "lv_VI97HAXpY6yYWAAAC".into(),
            upgrades: vec!["websocket".into()],
            ping_interval: 25000,
            ping_timeout: 20000,
            max_payload: 1_000_000,
        };
        let packet = open.to_packet();
        let expected = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        for version in [ProtocolVersion::V3, ProtocolVersion::V4] {
            assert_eq!(
                encode_frame(&packet, version, false),
                Frame::Text(Str::from(expected))
            );
        }
        let Packet::Open(json) = packet else {
            panic!("expected an open packet")
        };
        assert_eq!(serde_json::from_str::<OpenPacket>(&json).unwrap(), open);
    }

    #[test]
    fn empty_upgrades() {
        let open = OpenPacket {
            sid: "a".into(),
            upgrades: vec![],
            ping_interval: 300,
            ping_timeout: 200,
            max_payload: 1,
        };
        assert_eq!(
            open.to_packet(),
            Packet::Open(Str::from(
                r#"{"sid":"a","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1}"#
            ))
        );
    }
}
