//! Broadcast operators: `to`/`in`, `except`, `broadcast`, and the emit that fans out.

use std::sync::Arc;

use serde::Serialize;
use socketio_protocol::{encode, Encoded, Packet, ProtocolRevision, RESERVED_EVENTS};

use crate::args::to_payload;
use crate::error::EmitError;
use crate::namespace::Namespace;
use crate::Room;

/// A broadcast being built: chain `to`, `except`... then `emit`.
///
/// ```no_run
/// # fn f(io: socketio::Server) {
/// // Everyone in "a" or "b" but those in "muted", each once.
/// let _ = io.to("a").to("b").except("muted").emit("news", &"hello");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BroadcastOperator {
    ns: Namespace,
    rooms: Vec<Room>,
    except: Vec<Room>,
    except_socket: Option<Arc<str>>,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace) -> Self {
        BroadcastOperator {
            ns,
            rooms: Vec::new(),
            except: Vec::new(),
            except_socket: None,
        }
    }

    pub(crate) fn except_socket(mut self, id: Arc<str>) -> Self {
        self.except_socket = Some(id);
        self
    }

    /// Adds `room` to the targets (union with the rooms already named).
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Synonym of [`BroadcastOperator::to`] (Node's `in`).
    pub fn within(self, room: impl Into<Room>) -> Self {
        self.to(room)
    }

    /// Excludes the sockets in `room`.
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.except.push(room.into());
        self
    }

    fn targets(&self) -> Vec<Arc<str>> {
        let mut ids = self.ns.adapter().sockets(&self.rooms, &self.except);
        if let Some(me) = &self.except_socket {
            ids.retain(|id| id != me);
        }
        ids
    }

    /// Emits `event` to every target, encoding the packet once per protocol revision.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let payload = to_payload(Some(event), data)?;
        let packet = Packet::event(self.ns.name(), payload, None);
        let mut v5: Option<Encoded> = None;
        let mut v4: Option<Encoded> = None;
        for id in self.targets() {
            let Some(socket) = self.ns.get_socket(&id) else {
                continue;
            };
            let client = &socket.0.client;
            let encoded = match client.rev {
                ProtocolRevision::V5 => {
                    v5.get_or_insert_with(|| encode(&packet, ProtocolRevision::V5))
                }
                ProtocolRevision::V4 => {
                    v4.get_or_insert_with(|| encode(&packet, ProtocolRevision::V4))
                }
            };
            let _ = client.send_encoded(encoded);
        }
        Ok(())
    }

    /// The ids of the targeted sockets.
    pub fn clients(&self) -> Vec<String> {
        self.targets().iter().map(|s| s.to_string()).collect()
    }
}
