//! Sans-IO Socket.IO protocol codec. Docs to come.

mod de;
mod decode;
mod encode;
mod json;
mod packet;
mod ser;
mod text;

pub use de::{from_value, AnyValue, DeError};
pub use decode::{DecodeError, Decoder, DecoderLimits, RESERVED_EVENTS};
pub use encode::{encode, encode_into, Encoded};
pub use packet::{
    placeholder, placeholder_ref, Packet, PacketData, PacketType, Payload, PlaceholderRef,
    ProtocolRevision,
};
pub use ser::{to_value, SerError};
pub use text::Utf8Bytes;
