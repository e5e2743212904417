//! Where operators start: the convenience constructors on [`Namespace`] and [`Socket`]
//! (`broadcast`, `to`, `within`, `except`, `local`, `compress`, `volatile`), written beside the
//! operators they return.

use serde::Serialize;

use super::{BroadcastOperator, SocketEmitter};
use crate::error::EmitError;
use crate::namespace::Namespace;
use crate::socket::Socket;
use crate::IntoRoom;

impl Namespace {
    /// An operator targeting every socket of the namespace: chain `to`, `except`, flags...
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// Emits to every socket of the namespace, on every node.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.broadcast().emit(event, data)
    }

    /// A broadcast to the sockets in `room`.
    pub fn to(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// Synonym of [`Namespace::to`] (Node's `in`).
    ///
    /// ```
    /// let io = socketio::Server::new();
    /// let _ = io.of("/chat").within("general").emit("news", &"hello");
    /// ```
    pub fn within(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket but those in `room`.
    pub fn except(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// This node only (Node's `local`). On a dynamic parent namespace (`io.of_regex`...), the
    /// local sockets of each of its children.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// The ids of the sockets of this namespace on every node (the seed's
    /// `namespace.clients(cb)`).
    ///
    /// ```no_run
    /// # async fn f(io: socketio::Server) {
    /// let everyone = io.of("/chat").clients().await;
    /// let in_general = io.of("/chat").within("general").clients().await;
    /// # let _ = (everyone, in_general);
    /// # }
    /// ```
    pub async fn clients(&self) -> Vec<String> {
        self.broadcast().clients().await
    }
}

impl Socket {
    /// Emit modifiers (Node's `socket.compress(v)`): `socket.compress(false).emit(...)` sends
    /// to this socket, asking for no compression; chain `to(room)` for a broadcast.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.compress(false).emit("an event", &serde_json::json!({"some": "data"}));
    /// # }
    /// ```
    pub fn compress(&self, compress: bool) -> SocketEmitter {
        SocketEmitter::new(self.clone()).compress(compress)
    }

    /// An emit dropped when the client cannot take it now (Node's `socket.volatile`).
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.volatile().emit("tick", &42);
    /// # }
    /// ```
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter::new(self.clone()).volatile()
    }

    /// A broadcast to `room` from this socket: every socket in it but this one.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.to("others").emit("an event", &serde_json::json!({"some": "data"}));
    /// # }
    /// ```
    pub fn to(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// Synonym of [`Socket::to`].
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// let _ = socket.within("others").emit("an event", &());
    /// # }
    /// ```
    pub fn within(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket of the namespace but those in `room` and this one.
    pub fn except(&self, room: impl IntoRoom) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// A broadcast to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.ns().broadcast().except(self.id_arc().clone())
    }
}
