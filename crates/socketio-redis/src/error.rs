//! The error every encoder of this crate returns.

/// Why a value or message could not be encoded.
///
/// Encoding only fails on input no peer could have produced: a payload whose placeholder
/// names a missing attachment, or a string, binary or container past MessagePack's 32-bit
/// lengths.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A placeholder `{"_placeholder":true,"num":index}` names an attachment the payload does
    /// not have (it has `count`).
    #[error("placeholder names attachment {index}, but the payload has {count}")]
    MissingAttachment {
        /// The attachment index the placeholder names.
        index: usize,
        /// How many attachments the payload has.
        count: usize,
    },
    /// A string, binary, array or map of `len` bytes or elements: MessagePack lengths stop at
    /// `u32::MAX`.
    #[error("{len} bytes or elements do not fit a MessagePack 32-bit length")]
    TooLong {
        /// The length that does not fit.
        len: usize,
    },
    /// serde_json could not write a JSON message.
    #[error("JSON encoding failed: {0}")]
    Json(#[source] serde_json::Error),
}
