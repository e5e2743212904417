//! The framed wire form of a packet: the Engine.IO text message (its `4` included) and the
//! attachments, encoded once and shared by every recipient of one protocol revision.

use engineio::Str;
use socketio_protocol::{encode_into, Packet, ProtocolRevision};

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

/// A packet encoded for one protocol revision as Engine.IO packets: the text message framed
/// once (`4` included), then each attachment. Cloning it per recipient copies no payload.
#[derive(Debug, Clone)]
pub(crate) struct Wire(Vec<engineio::Packet>);

impl Wire {
    pub(crate) fn encode(packet: &Packet, rev: ProtocolRevision) -> Self {
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
}
