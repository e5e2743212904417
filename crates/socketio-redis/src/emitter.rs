//! The emitter: a process that is not a Socket.IO server publishes into a cluster, as
//! `@socket.io/redis-emitter` 5.x does, byte for byte.
//!
//! ```no_run
//! use socketio_redis::Emitter;
//!
//! # async fn run() -> Result<(), socketio_redis::EmitterError> {
//! let emitter = Emitter::new("redis://127.0.0.1:6379")?;
//! // Every client of every node, Node nodes included.
//! emitter.emit("time", &"12:00").await?;
//! // The members of "news" but those of "muted", in the namespace "/admin".
//! emitter.of("admin").to("news").except("muted").emit("headline", &("hi", 1)).await?;
//! // Room membership and disconnection, on every node.
//! emitter.to("news").sockets_join(["readers"]).await?;
//! emitter.to("muted").disconnect_sockets(true).await?;
//! // The `serverSideEmit` listeners of every node.
//! emitter.server_side_emit("ping-nodes", &"hello").await?;
//! # Ok(())
//! # }
//! ```
//!
//! What it writes (see the wire layer for the encoders):
//!
//! | call | channel | message |
//! |---|---|---|
//! | [`BroadcastOperator::emit`] | `<prefix>#<nsp>#`, or `<prefix>#<nsp>#<room>#` for exactly one room | MessagePack `["emitter", {type:2, data:[ev, ...args], nsp}, {rooms, flags, except}]` |
//! | [`BroadcastOperator::sockets_join`] / [`sockets_leave`](BroadcastOperator::sockets_leave) | `<prefix>-request#<nsp>#` | JSON `{type:2\|3, opts:{rooms, except}, rooms}` |
//! | [`BroadcastOperator::disconnect_sockets`] | the same | JSON `{type:4, opts:{rooms, except}, close}` |
//! | [`Emitter::server_side_emit`] | the same | JSON `{uid:"emitter", type:6, data:[ev, ...args]}` |
//!
//! As Node's, the emitter has no acknowledgements, no `timeout`, no `local`, and no calls
//! that wait for answers (`fetchSockets`, `allRooms`). Messages are published as they are
//! made, in order, over one connection; Redis pub/sub is at-most-once, so a message
//! published while no node is subscribed is lost.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client};
use serde::Serialize;
use socketio_protocol::Payload;
use tokio::sync::Mutex;

use crate::channel::{Channels, DEFAULT_PREFIX};
use crate::error::EncodeError;
use crate::id::EMITTER_UID;
use crate::payload::buffers_to_json;
use crate::room::Room;
use crate::wire::{encode_emitter_broadcast, Flags, PacketRef, RequestRef, Target};

/// A connection attempt, or a PUBLISH, that takes longer has failed.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// The event names a client reserves (socket.io-parser's `RESERVED_EVENTS`): the emitter
/// refuses to emit them, as Node's does.
pub const EMITTER_RESERVED_EVENTS: [&str; 6] = socketio_protocol::RESERVED_EVENTS;

/// Why an emitter call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitterError {
    /// The Redis URL could not be parsed.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// The event name is one of [`EMITTER_RESERVED_EVENTS`].
    #[error("\"{0}\" is a reserved event name")]
    ReservedEvent(String),
    /// The data could not be serialized.
    #[error("cannot serialize the event data: {0}")]
    Serialize(String),
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Redis could not be reached, or refused the PUBLISH. The next call connects again.
    #[error("redis: {0}")]
    Redis(#[source] redis::RedisError),
    /// Redis did not answer within 2 s. The next call connects again.
    #[error("redis did not answer in time")]
    Timeout,
}

/// A room to name in an emitter call: a string (socket ids are rooms too), or an integer for
/// a Node socket that joined a number (`socket.join(123)`; Node matches room keys exactly).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EmitterRoom {
    /// A room named by a string.
    Name(String),
    /// A room named by an integer.
    Number(i64),
}

impl EmitterRoom {
    fn as_room(&self) -> Room<'_> {
        match self {
            EmitterRoom::Name(name) => Room::Name(name),
            EmitterRoom::Number(n) => Room::Number(*n),
        }
    }
}

impl From<&str> for EmitterRoom {
    fn from(name: &str) -> Self {
        EmitterRoom::Name(name.to_owned())
    }
}

impl From<String> for EmitterRoom {
    fn from(name: String) -> Self {
        EmitterRoom::Name(name)
    }
}

impl From<&String> for EmitterRoom {
    fn from(name: &String) -> Self {
        EmitterRoom::Name(name.clone())
    }
}

impl From<i64> for EmitterRoom {
    fn from(number: i64) -> Self {
        EmitterRoom::Number(number)
    }
}

/// Where the emitter publishes.
enum Link {
    /// Its own connection, opened on the first call and again after a failure.
    Own {
        client: Client,
        conn: Mutex<Option<MultiplexedConnection>>,
    },
    /// A connection the caller gave; the `redis` crate's multiplexed connection does not
    /// reconnect by itself, so a failure is returned every time once it is lost.
    Given(Mutex<MultiplexedConnection>),
}

struct Inner {
    prefix: String,
    link: Link,
}

impl Inner {
    /// PUBLISHes one message, in call order (one lock around each PUBLISH).
    async fn publish(&self, channel: &str, message: &[u8]) -> Result<(), EmitterError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(channel).arg(message);
        match &self.link {
            Link::Given(conn) => {
                let mut conn = conn.lock().await;
                run(&cmd, &mut conn).await
            }
            Link::Own { client, conn } => {
                let mut slot = conn.lock().await;
                let mut current = match slot.take() {
                    Some(c) => c,
                    None => {
                        let config = AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(IO_TIMEOUT))
                            .set_response_timeout(Some(IO_TIMEOUT));
                        client
                            .get_multiplexed_async_connection_with_config(&config)
                            .await
                            .map_err(EmitterError::Redis)?
                    }
                };
                let result = run(&cmd, &mut current).await;
                if result.is_ok() {
                    *slot = Some(current);
                }
                result
            }
        }
    }
}

async fn run(cmd: &redis::Cmd, conn: &mut MultiplexedConnection) -> Result<(), EmitterError> {
    match tokio::time::timeout(IO_TIMEOUT, cmd.query_async::<i64>(conn)).await {
        Ok(Ok(_receivers)) => Ok(()),
        Ok(Err(e)) => Err(EmitterError::Redis(e)),
        Err(_) => Err(EmitterError::Timeout),
    }
}

/// Publishes into a cluster of Socket.IO nodes running the classic Redis adapter (ours or
/// Node's `@socket.io/redis-adapter`), wire-compatible with `@socket.io/redis-emitter` 5.x.
///
/// Cheap to clone; clones share the connection. Each value is bound to one namespace
/// (`/` from [`Emitter::new`]; another through [`Emitter::of`]). See the
/// [module docs](crate::emitter) for what it writes.
#[derive(Clone)]
pub struct Emitter {
    inner: Arc<Inner>,
    channels: Arc<Channels>,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("prefix", &self.inner.prefix)
            .field("nsp", &self.channels.nsp())
            .finish_non_exhaustive()
    }
}

impl Emitter {
    /// An emitter for the namespace `/` with the default prefix `socket.io`, over its own
    /// connection to `url` (`redis://host:port/db`), opened on the first call and opened again
    /// after a failure. Does not connect yet.
    pub fn new(url: &str) -> Result<Self, EmitterError> {
        Self::with_prefix(url, DEFAULT_PREFIX)
    }

    /// As [`Emitter::new`], with the adapter's `key` (its channel prefix).
    pub fn with_prefix(url: &str, prefix: &str) -> Result<Self, EmitterError> {
        let client = Client::open(url).map_err(EmitterError::InvalidUrl)?;
        Ok(Self::from_link(
            prefix,
            Link::Own {
                client,
                conn: Mutex::new(None),
            },
        ))
    }

    /// An emitter over an existing connection, with the channel prefix `prefix`
    /// ([`DEFAULT_PREFIX`] for Node's default). It is not re-established when lost.
    pub fn with_connection(conn: MultiplexedConnection, prefix: &str) -> Self {
        Self::from_link(prefix, Link::Given(Mutex::new(conn)))
    }

    fn from_link(prefix: &str, link: Link) -> Self {
        Self {
            inner: Arc::new(Inner {
                prefix: prefix.to_owned(),
                link,
            }),
            channels: Arc::new(Channels::new(prefix, "/")),
        }
    }

    /// The namespace of this emitter.
    pub fn nsp(&self) -> &str {
        self.channels.nsp()
    }

    /// The same emitter for namespace `nsp` (a leading `/` is added when missing, as Node's
    /// `of("admin")` does).
    pub fn of(&self, nsp: &str) -> Emitter {
        let nsp = if nsp.starts_with('/') {
            nsp.to_owned()
        } else {
            format!("/{nsp}")
        };
        Self {
            inner: self.inner.clone(),
            channels: Arc::new(Channels::new(&self.inner.prefix, &nsp)),
        }
    }

    /// An operator for every socket of the namespace, without flags: the starting point of
    /// [`Emitter::to`] and the other modifiers, for building one step at a time.
    pub fn operator(&self) -> BroadcastOperator {
        BroadcastOperator {
            emitter: self.clone(),
            rooms: Vec::new(),
            except: Vec::new(),
            flags: Flags::NONE,
        }
    }

    /// Targets the members of `room` (a socket id reaches that socket).
    pub fn to(&self, room: impl Into<EmitterRoom>) -> BroadcastOperator {
        self.operator().to(room)
    }

    /// Same as [`Emitter::to`].
    pub fn in_room(&self, room: impl Into<EmitterRoom>) -> BroadcastOperator {
        self.to(room)
    }

    /// Targets every socket but the members of `room`.
    pub fn except(&self, room: impl Into<EmitterRoom>) -> BroadcastOperator {
        self.operator().except(room)
    }

    /// Flags the broadcast `volatile`: sockets that cannot take it at once skip it.
    pub fn volatile(&self) -> BroadcastOperator {
        self.operator().volatile()
    }

    /// Sets the broadcast's `compress` flag.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.operator().compress(compress)
    }

    /// Emits `event` to every socket of the namespace; see [`BroadcastOperator::emit`].
    pub async fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitterError> {
        self.operator().emit(event, data).await
    }

    /// Makes every socket of the namespace join `rooms`.
    pub async fn sockets_join<R: Into<EmitterRoom>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), EmitterError> {
        self.operator().sockets_join(rooms).await
    }

    /// Makes every socket of the namespace leave `rooms`.
    pub async fn sockets_leave<R: Into<EmitterRoom>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), EmitterError> {
        self.operator().sockets_leave(rooms).await
    }

    /// Disconnects every socket of the namespace (`close`: their connections too).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), EmitterError> {
        self.operator().disconnect_sockets(close).await
    }

    /// Emits `event` to the server-side listeners (`io.on(event)` in Node,
    /// `on_server_event` of a `socketio` namespace) of every node, as uid `"emitter"`, without
    /// acknowledgement. `data` is spread into arguments as in [`BroadcastOperator::emit`];
    /// the message is JSON, so binary travels as Node's `{"type":"Buffer","data":[…]}`.
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitterError> {
        let message = server_side_emit_message(event, data)?;
        self.inner.publish(self.channels.request(), &message).await
    }
}

/// A broadcast being set up: rooms, exceptions and flags, then one action. Made by
/// [`Emitter::to`] and the other modifiers; each modifier returns the updated operator.
#[derive(Debug, Clone)]
#[must_use = "an operator does nothing until emit or another action is awaited"]
pub struct BroadcastOperator {
    emitter: Emitter,
    rooms: Vec<EmitterRoom>,
    except: Vec<EmitterRoom>,
    flags: Flags,
}

/// A request over an operator's target.
enum Membership<'a> {
    Join(&'a [Room<'a>]),
    Leave(&'a [Room<'a>]),
    Disconnect(bool),
}

fn add_unique(list: &mut Vec<EmitterRoom>, room: EmitterRoom) {
    if !list.contains(&room) {
        list.push(room);
    }
}

impl BroadcastOperator {
    /// Also targets the members of `room` (rooms are a set, in the order first named).
    pub fn to(mut self, room: impl Into<EmitterRoom>) -> Self {
        add_unique(&mut self.rooms, room.into());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn in_room(self, room: impl Into<EmitterRoom>) -> Self {
        self.to(room)
    }

    /// Also skips the members of `room`.
    pub fn except(mut self, room: impl Into<EmitterRoom>) -> Self {
        add_unique(&mut self.except, room.into());
        self
    }

    /// Flags the broadcast `volatile`.
    pub fn volatile(mut self) -> Self {
        self.flags.volatile = true;
        self
    }

    /// Sets the `compress` flag.
    pub fn compress(mut self, compress: bool) -> Self {
        self.flags.compress = Some(compress);
        self
    }

    /// The message [`emit`](BroadcastOperator::emit) publishes, and its channel.
    pub fn emit_message<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(String, Vec<u8>), EmitterError> {
        if EMITTER_RESERVED_EVENTS.contains(&event) {
            return Err(EmitterError::ReservedEvent(event.to_owned()));
        }
        let payload = event_payload(event, data)?;
        let rooms: Vec<Room<'_>> = self.rooms.iter().map(EmitterRoom::as_room).collect();
        let except: Vec<Room<'_>> = self.except.iter().map(EmitterRoom::as_room).collect();
        let mut message = Vec::new();
        encode_emitter_broadcast(
            &mut message,
            &PacketRef::new(self.emitter.nsp(), &payload),
            Target::new(&rooms, &except),
            &self.flags,
        )?;
        let channel = self.emitter.channels.broadcast_for(&rooms).into_owned();
        Ok((channel, message))
    }

    /// Emits `event` with `data` to the targeted sockets of every node.
    ///
    /// `data` is serialized as the `socketio` crate's emit does: a tuple is spread into the
    /// arguments (`&("a", 1)` sends `[event, "a", 1]`), `&()` sends none, any other value
    /// (an array or a `Vec` included) is one argument; `bytes::Bytes` anywhere inside travels
    /// as binary. Fails with
    /// [`EmitterError::ReservedEvent`] for a reserved name, without publishing.
    pub async fn emit<T: Serialize + ?Sized>(
        self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitterError> {
        let (channel, message) = self.emit_message(event, data)?;
        self.emitter.inner.publish(&channel, &message).await
    }

    /// The JSON request of a join, leave or disconnect over this operator's target.
    fn target_request(&self, kind: Membership<'_>) -> Result<Vec<u8>, EmitterError> {
        let rooms: Vec<Room<'_>> = self.rooms.iter().map(EmitterRoom::as_room).collect();
        let except: Vec<Room<'_>> = self.except.iter().map(EmitterRoom::as_room).collect();
        let target = Target::new(&rooms, &except);
        let request = match kind {
            Membership::Join(rooms) => RequestRef::SocketsJoin {
                uid: None,
                target,
                rooms,
            },
            Membership::Leave(rooms) => RequestRef::SocketsLeave {
                uid: None,
                target,
                rooms,
            },
            Membership::Disconnect(close) => RequestRef::DisconnectSockets {
                uid: None,
                target,
                close,
            },
        };
        let mut out = Vec::new();
        request.encode(&mut out)?;
        Ok(out)
    }

    /// The message [`sockets_join`](BroadcastOperator::sockets_join) publishes (on the
    /// request channel).
    pub fn sockets_join_message<R: Into<EmitterRoom>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<Vec<u8>, EmitterError> {
        self.membership_message(rooms, true)
    }

    /// The message [`sockets_leave`](BroadcastOperator::sockets_leave) publishes.
    pub fn sockets_leave_message<R: Into<EmitterRoom>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<Vec<u8>, EmitterError> {
        self.membership_message(rooms, false)
    }

    fn membership_message<R: Into<EmitterRoom>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
        join: bool,
    ) -> Result<Vec<u8>, EmitterError> {
        let rooms: Vec<EmitterRoom> = rooms.into_iter().map(Into::into).collect();
        let rooms: Vec<Room<'_>> = rooms.iter().map(EmitterRoom::as_room).collect();
        self.target_request(if join {
            Membership::Join(&rooms)
        } else {
            Membership::Leave(&rooms)
        })
    }

    /// The message [`disconnect_sockets`](BroadcastOperator::disconnect_sockets) publishes.
    pub fn disconnect_sockets_message(&self, close: bool) -> Result<Vec<u8>, EmitterError> {
        self.target_request(Membership::Disconnect(close))
    }

    /// Makes the targeted sockets of every node join `rooms`. The flags do not apply.
    pub async fn sockets_join<R: Into<EmitterRoom>>(
        self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), EmitterError> {
        let message = self.sockets_join_message(rooms)?;
        self.publish_request(&message).await
    }

    /// Makes the targeted sockets of every node leave `rooms`.
    pub async fn sockets_leave<R: Into<EmitterRoom>>(
        self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), EmitterError> {
        let message = self.sockets_leave_message(rooms)?;
        self.publish_request(&message).await
    }

    /// Disconnects the targeted sockets of every node (`close`: their connections too).
    pub async fn disconnect_sockets(self, close: bool) -> Result<(), EmitterError> {
        let message = self.disconnect_sockets_message(close)?;
        self.publish_request(&message).await
    }

    async fn publish_request(&self, message: &[u8]) -> Result<(), EmitterError> {
        self.emitter
            .inner
            .publish(self.emitter.channels.request(), message)
            .await
    }
}

/// The JSON message [`Emitter::server_side_emit`] publishes on the request channel.
pub fn server_side_emit_message<T: Serialize + ?Sized>(
    event: &str,
    data: &T,
) -> Result<Vec<u8>, EmitterError> {
    let payload = event_payload(event, data)?;
    let data = buffers_to_json(&payload);
    let mut out = Vec::new();
    RequestRef::ServerSideEmit {
        uid: EMITTER_UID,
        request_id: None,
        data: &data,
    }
    .encode(&mut out)?;
    Ok(out)
}

/// `[event, ...args]` with the `socketio` crate's spreading rule.
fn event_payload<T: Serialize + ?Sized>(event: &str, data: &T) -> Result<Payload, EmitterError> {
    socketio_protocol::to_payload(Some(event), data)
        .map_err(|e| EmitterError::Serialize(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    #[test]
    fn spreading_matches_socketio() {
        let p = event_payload("m", &("a", 1)).unwrap();
        assert_eq!(p.data, json!(["m", "a", 1]));
        let p = event_payload("m", &vec![1, 2]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2]]));
        // one value is one argument, as Node's emitter.emit("m", [1, 2, 3])
        let p = event_payload("m", &[1, 2, 3]).unwrap();
        assert_eq!(p.data, json!(["m", [1, 2, 3]]));
        let p = event_payload("m", &()).unwrap();
        assert_eq!(p.data, json!(["m"]));
        let p = event_payload("m", &(Bytes::from_static(b"\x01"),)).unwrap();
        assert_eq!(p.data, json!(["m", {"_placeholder": true, "num": 0}]));
        assert_eq!(p.attachments.len(), 1);
    }

    #[test]
    fn reserved_names_are_refused() {
        let e = Emitter::new("redis://127.0.0.1:1").unwrap();
        for name in EMITTER_RESERVED_EVENTS {
            assert!(matches!(
                e.to("r").emit_message(name, &()),
                Err(EmitterError::ReservedEvent(n)) if n == name
            ));
        }
        assert!(e.to("r").emit_message("error", &()).is_ok());
    }

    #[test]
    fn namespaces_and_channels() {
        let e = Emitter::new("redis://127.0.0.1:1").unwrap();
        assert_eq!(e.of("admin").nsp(), "/admin");
        assert_eq!(e.of("/admin").nsp(), "/admin");
        let (channel, _) = e
            .of("admin")
            .to("r")
            .to("r")
            .emit_message("x", &())
            .unwrap();
        assert_eq!(channel, "socket.io#/admin#r#");
        let (channel, _) = e.to("r").to(5).emit_message("x", &()).unwrap();
        assert_eq!(channel, "socket.io#/#");
        let (channel, _) = e.except("r").emit_message("x", &()).unwrap();
        assert_eq!(channel, "socket.io#/#");
    }

    #[test]
    fn decodes_as_the_adapter_reads_it() {
        let e = Emitter::new("redis://127.0.0.1:1").unwrap();
        let (_, message) = e
            .to("r")
            .except("x")
            .volatile()
            .compress(false)
            .emit_message("ev", &(1, Bytes::from_static(b"ab")))
            .unwrap();
        let heard = crate::decode_broadcast(&message).unwrap();
        assert_eq!(heard.uid, "emitter");
        assert_eq!(heard.opts.rooms, ["r"]);
        assert_eq!(heard.opts.except, ["x"]);
        assert!(heard.opts.flags.volatile);
        assert_eq!(heard.opts.flags.compress, Some(false));
        assert_eq!(
            heard.packet.payload.attachments,
            [Bytes::from_static(b"ab")]
        );
        let request =
            crate::decode_request(&e.to("r").disconnect_sockets_message(true).unwrap()).unwrap();
        assert!(matches!(
            request,
            crate::Request::DisconnectSockets {
                uid: None,
                close: true,
                ..
            }
        ));
    }
}
