//! The Engine.IO open packet, as both test helpers check it.

use serde_json::Value;

/// Parses an Engine.IO open packet (`0{...}`) and checks its keys.
pub fn parse_open(packet: &str) -> Value {
    let json = packet
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {packet:?}"));
    let value: Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("open packet {json:?}: {e}"));
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("open packet is not an object: {json}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ],
        "open packet keys"
    );
    value
}
