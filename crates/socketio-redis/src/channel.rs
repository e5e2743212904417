//! Redis channel names of the classic adapter, and reading them back.

use std::borrow::Cow;

use crate::room::Room;

/// The default channel prefix (`key` option of the adapter and the emitter).
pub const DEFAULT_PREFIX: &str = "socket.io";

/// The channels of one namespace under one prefix, as `@socket.io/redis-adapter` 8.x names
/// them. As in Node, neither the prefix nor the namespace is escaped: a namespace holding glob
/// characters (`*`, `?`, `[`) widens the broadcast pattern the same way it does for Node.
///
/// | channel | name (`socket.io`, namespace `/chat`) | carries |
/// |---|---|---|
/// | [`broadcast`](Self::broadcast) | `socket.io#/chat#` | broadcasts to no room or several |
/// | [`room`](Self::room) | `socket.io#/chat#<room>#` | broadcasts to exactly one room |
/// | [`broadcast_pattern`](Self::broadcast_pattern) | `socket.io#/chat#*` | what to PSUBSCRIBE for both |
/// | [`request`](Self::request) | `socket.io-request#/chat#` | every request |
/// | [`response`](Self::response) | `socket.io-response#/chat#` | responses (Node's default) |
/// | [`specific_response`](Self::specific_response) | `socket.io-response#/chat#<uid>#` | responses from nodes configured with `publishOnSpecificResponseChannel` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    nsp: String,
    broadcast: String,
    request: String,
    response: String,
}

/// What a channel a subscriber heard from is, for one namespace ([`Channels::classify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind<'c> {
    /// A broadcast channel: the base one (`None`), or a room's.
    Broadcast(Option<&'c str>),
    /// The request channel.
    Request,
    /// The shared or a specific response channel.
    Response,
}

impl Channels {
    /// The channels of namespace `nsp` (with its leading `/`) under `prefix`.
    pub fn new(prefix: &str, nsp: &str) -> Self {
        Self {
            nsp: nsp.to_owned(),
            broadcast: format!("{prefix}#{nsp}#"),
            request: format!("{prefix}-request#{nsp}#"),
            response: format!("{prefix}-response#{nsp}#"),
        }
    }

    /// The channels of `nsp` under [`DEFAULT_PREFIX`].
    pub fn with_default_prefix(nsp: &str) -> Self {
        Self::new(DEFAULT_PREFIX, nsp)
    }

    /// The namespace.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }

    /// `<prefix>#<nsp>#`: broadcasts to every socket, or to several rooms.
    pub fn broadcast(&self) -> &str {
        &self.broadcast
    }

    /// `<prefix>#<nsp>#*`: the pattern covering the base and every room channel.
    pub fn broadcast_pattern(&self) -> String {
        format!("{}*", self.broadcast)
    }

    /// `<prefix>#<nsp>#<room>#`: broadcasts to exactly this room (an integer room as its
    /// decimal text, as Node's string concatenation spells it).
    pub fn room(&self, room: Room<'_>) -> String {
        format!("{}{room}#", self.broadcast)
    }

    /// Where a broadcast to `rooms` is published: the room's channel iff there is exactly one
    /// room (Node's `rooms.size === 1`, so pass rooms without duplicates), else the base
    /// channel.
    pub fn broadcast_for(&self, rooms: &[Room<'_>]) -> Cow<'_, str> {
        match rooms {
            [room] => Cow::Owned(self.room(*room)),
            _ => Cow::Borrowed(&self.broadcast),
        }
    }

    /// `<prefix>-request#<nsp>#`.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// `<prefix>-response#<nsp>#`, where responses go by default.
    pub fn response(&self) -> &str {
        &self.response
    }

    /// `<prefix>-response#<nsp>#<uid>#`: the responses meant for node `uid` alone.
    pub fn specific_response(&self, uid: &str) -> String {
        format!("{}{uid}#", self.response)
    }

    /// What `channel` is for this namespace, as Node's adapter tells (`None`: not one of its
    /// channels). Node takes the text between the base channel and the last character as the
    /// room (`channel.slice(base.length, -1)`), an empty one meaning no room; so does this.
    /// Node skips a room broadcast without decoding it when no local socket is in that room
    /// (the room may be an integer's decimal text): worth doing too.
    pub fn classify<'c>(&self, channel: &'c str) -> Option<ChannelKind<'c>> {
        if let Some(rest) = channel.strip_prefix(self.broadcast.as_str()) {
            return Some(ChannelKind::Broadcast(room_of(rest)));
        }
        if channel.starts_with(self.response.as_str()) {
            return Some(ChannelKind::Response);
        }
        if channel.starts_with(self.request.as_str()) {
            return Some(ChannelKind::Request);
        }
        None
    }
}

/// The room in what follows a base broadcast channel: all but its last character (the closing
/// `#`, not checked, as in Node), `None` when that leaves nothing.
fn room_of(rest: &str) -> Option<&str> {
    let mut chars = rest.chars();
    chars.next_back();
    Some(chars.as_str()).filter(|room| !room.is_empty())
}

/// Splits a broadcast channel heard under `prefix` into its namespace and room, for one
/// subscriber serving every namespace: `socket.io#/chat#room#` gives `("/chat", Some("room"))`,
/// `socket.io#/chat#` gives `("/chat", None)`. The namespace ends at the first `#` after the
/// prefix, so a namespace that holds `#` is misread: a subscriber that knows the pattern a
/// message came through should use that namespace's [`Channels::classify`], which is exact.
/// `None` when the channel does not start with `<prefix>#` or has no `#` after the namespace.
pub fn parse_broadcast_channel<'c>(
    prefix: &str,
    channel: &'c str,
) -> Option<(&'c str, Option<&'c str>)> {
    let rest = channel.strip_prefix(prefix)?.strip_prefix('#')?;
    let (nsp, after_base) = rest.split_once('#')?;
    Some((nsp, room_of(after_base)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_node() {
        let c = Channels::with_default_prefix("/");
        assert_eq!(c.broadcast(), "socket.io#/#");
        assert_eq!(c.broadcast_pattern(), "socket.io#/#*");
        assert_eq!(c.room(Room::Name("room1")), "socket.io#/#room1#");
        assert_eq!(c.room(Room::Number(123)), "socket.io#/#123#");
        assert_eq!(c.request(), "socket.io-request#/#");
        assert_eq!(c.response(), "socket.io-response#/#");
        assert_eq!(
            c.specific_response("N72wa5"),
            "socket.io-response#/#N72wa5#"
        );
        let admin = Channels::new("my-app", "/admin");
        assert_eq!(admin.broadcast(), "my-app#/admin#");
        assert_eq!(admin.request(), "my-app-request#/admin#");
        assert_eq!(admin.nsp(), "/admin");
    }

    #[test]
    fn broadcast_channel_depends_on_exactly_one_room() {
        let c = Channels::with_default_prefix("/");
        assert_eq!(c.broadcast_for(&[]), "socket.io#/#");
        assert_eq!(c.broadcast_for(&[Room::Name("a")]), "socket.io#/#a#");
        assert_eq!(
            c.broadcast_for(&[Room::Name("a"), Room::Name("b")]),
            "socket.io#/#"
        );
    }

    #[test]
    fn classify_reads_rooms_like_node() {
        let c = Channels::with_default_prefix("/");
        assert_eq!(
            c.classify("socket.io#/#"),
            Some(ChannelKind::Broadcast(None))
        );
        assert_eq!(
            c.classify("socket.io#/#room1#"),
            Some(ChannelKind::Broadcast(Some("room1")))
        );
        // Node slices off the last character whatever it is, and keeps inner `#`.
        assert_eq!(
            c.classify("socket.io#/#a#b#"),
            Some(ChannelKind::Broadcast(Some("a#b")))
        );
        assert_eq!(
            c.classify("socket.io#/#x"),
            Some(ChannelKind::Broadcast(None))
        );
        assert_eq!(
            c.classify("socket.io#/#é€#"),
            Some(ChannelKind::Broadcast(Some("é€")))
        );
        assert_eq!(
            c.classify("socket.io-request#/#"),
            Some(ChannelKind::Request)
        );
        assert_eq!(
            c.classify("socket.io-response#/#"),
            Some(ChannelKind::Response)
        );
        assert_eq!(
            c.classify("socket.io-response#/#abc#"),
            Some(ChannelKind::Response)
        );
        assert_eq!(c.classify("socket.io#/admin#"), None);
        assert_eq!(c.classify("other#/#"), None);
    }

    #[test]
    fn parse_splits_namespace_and_room() {
        assert_eq!(
            parse_broadcast_channel("socket.io", "socket.io#/#"),
            Some(("/", None))
        );
        assert_eq!(
            parse_broadcast_channel("socket.io", "socket.io#/chat#r1#"),
            Some(("/chat", Some("r1")))
        );
        assert_eq!(
            parse_broadcast_channel("socket.io", "socket.io#/#a#b#"),
            Some(("/", Some("a#b")))
        );
        assert_eq!(
            parse_broadcast_channel("socket.io", "socket.io-request#/#"),
            None
        );
        assert_eq!(parse_broadcast_channel("socket.io", "socket.io#/"), None);
        assert_eq!(parse_broadcast_channel("app", "socket.io#/#"), None);
    }
}
