//! The framed wire form of a packet: the Engine.IO text message (its `4` included) and the
//! attachments, encoded once and shared by every recipient of one protocol revision.

use std::fmt;

use engineio::Str;
use socketio_protocol::{encode_into, encode_msgpack_into, Packet, ProtocolRevision};

use crate::config::Parser;

/// How much of a packet's wire form the `trace` of a sent packet shows.
pub(crate) const TRACE_WIRE_BYTES: usize = 200;

/// A packet's text as logged at `trace`: its first [`TRACE_WIRE_BYTES`] bytes (cut on a
/// character boundary), then how long it is when cut. Formatted only when the event is
/// enabled: building one costs nothing.
pub(crate) struct Truncated<'a>(pub(crate) &'a str);

impl fmt::Display for Truncated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.len() <= TRACE_WIRE_BYTES {
            return f.write_str(text);
        }
        let mut end = TRACE_WIRE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}... ({} bytes)", &text[..end], text.len())
    }
}

/// The attachments of a packet as logged: how many, and their total size.
pub(crate) struct Attachments<'a>(pub(crate) &'a [engineio::Packet]);

impl fmt::Display for Attachments<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (count, bytes) = self.0.iter().fold((0, 0), |(n, b), p| match p {
            engineio::Packet::Binary(data) => (n + 1, b + data.len()),
            _ => (n, b),
        });
        write!(f, "{count} ({bytes} bytes)")
    }
}

thread_local! {
    /// Where [`framed_text`] encodes a packet before copying it out.
    static ENCODE_BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// `packet` as one Engine.IO text message (`4` included), encoded in a buffer kept by the
/// thread and copied out at its exact size.
pub(crate) fn framed_text(packet: &Packet, rev: ProtocolRevision) -> Str {
    ENCODE_BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        buf.push('4');
        encode_into(packet, rev, &mut buf);
        let text = Str::copy_from_str(&buf);
        if buf.capacity() > 64 * 1024 {
            *buf = String::new();
        }
        text
    })
}

thread_local! {
    /// Where [`msgpack`] encodes a packet before copying it out.
    static MSGPACK_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `packet` as one msgpack binary message, encoded in a buffer kept by the thread and copied
/// out at its exact size.
pub(crate) fn msgpack(packet: &Packet) -> bytes::Bytes {
    MSGPACK_BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        encode_msgpack_into(packet, &mut buf);
        let out = bytes::Bytes::copy_from_slice(&buf);
        if buf.capacity() > 64 * 1024 {
            *buf = Vec::new();
        }
        out
    })
}

/// How a connection's packets are framed: the text codec of its protocol revision, or
/// msgpack (protocol 5 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text(ProtocolRevision),
    MsgPack,
}

impl Format {
    /// The format of a connection speaking `rev` on a server using `parser`.
    pub(crate) fn new(parser: Parser, rev: ProtocolRevision) -> Self {
        match (parser, rev) {
            (Parser::MsgPack, ProtocolRevision::V5) => Format::MsgPack,
            _ => Format::Text(rev),
        }
    }
}

/// A packet encoded for one wire format as Engine.IO packets: the text message framed
/// once (`4` included), then each attachment. Cloning it per recipient copies no payload.
#[derive(Debug, Clone)]
pub(crate) struct Wire(Vec<engineio::Packet>);

impl Wire {
    pub(crate) fn encode(packet: &Packet, format: Format) -> Self {
        let rev = match format {
            Format::Text(rev) => rev,
            Format::MsgPack => {
                return Wire(vec![engineio::Packet::Binary(msgpack(packet))]);
            }
        };
        let mut out = Vec::with_capacity(1 + packet.attachments().len());
        out.push(engineio::Packet::MessageFramed(framed_text(packet, rev)));
        out.extend(
            packet
                .attachments()
                .iter()
                .cloned()
                .map(engineio::Packet::Binary),
        );
        Wire(out)
    }

    /// The Engine.IO packets: the text message, then each attachment.
    pub(crate) fn packets(&self) -> &[engineio::Packet] {
        &self.0
    }

    /// The text message (`4` included); for msgpack, a mark.
    pub(crate) fn text(&self) -> &str {
        match self.0.first() {
            Some(engineio::Packet::MessageFramed(text)) => text,
            Some(engineio::Packet::Binary(_)) => "(msgpack)",
            _ => "",
        }
    }

    /// The attachments, for the log; for msgpack, the one binary message.
    pub(crate) fn attachments(&self) -> Attachments<'_> {
        match self.0.first() {
            Some(engineio::Packet::Binary(_)) => Attachments(&self.0),
            _ => Attachments(self.0.get(1..).unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(Truncated("42[\"m\"]").to_string(), "42[\"m\"]");
        let exact = "a".repeat(TRACE_WIRE_BYTES);
        assert_eq!(Truncated(&exact).to_string(), exact);
        // "é" is two bytes: the cut at 200 falls inside the one at 199..201.
        let text = format!("{}é{}", "a".repeat(TRACE_WIRE_BYTES - 1), "b".repeat(50));
        let shown = Truncated(&text).to_string();
        assert_eq!(
            shown,
            format!(
                "{}... ({} bytes)",
                "a".repeat(TRACE_WIRE_BYTES - 1),
                text.len()
            )
        );
    }

    #[test]
    fn attachments_by_count_and_size() {
        let packet = Packet::event(
            "/",
            socketio_protocol::to_payload(
                Some("m"),
                &(
                    bytes::Bytes::from_static(b"abc"),
                    bytes::Bytes::from_static(b"de"),
                ),
            )
            .unwrap_or_default(),
            None,
        );
        let wire = Wire::encode(&packet, Format::Text(ProtocolRevision::V5));
        assert!(wire.text().starts_with("452-[\"m\""), "{}", wire.text());
        assert_eq!(wire.attachments().to_string(), "2 (5 bytes)");
        // The msgpack form: one binary message, attachments inline.
        let wire = Wire::encode(&packet, Format::MsgPack);
        assert_eq!(wire.packets().len(), 1);
        assert_eq!(wire.text(), "(msgpack)");
        assert_eq!(
            wire.packets()[0],
            engineio::Packet::Binary(socketio_protocol::encode_msgpack(&packet))
        );
    }
}
