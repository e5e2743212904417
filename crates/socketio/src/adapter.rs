//! The adapter: the seam where a cluster plugs in.
//!
//! Each namespace keeps its own room membership on this node and applies every operation to its
//! local sockets itself. An [`Adapter`] (one instance per namespace, as in Node) carries the
//! *remote* half: it publishes a [`ClusterRequest`] to the other nodes and hands back their
//! [`ClusterResponse`]s, and it delivers requests from other nodes to the namespace through the
//! [`NamespaceHandle`] it was created with. The messages are the shapes of Node's
//! `ClusterAdapter` (`@socket.io/cluster-adapter`, the sharded Redis adapter): broadcast with
//! options and flags, sockets join/leave/disconnect by options, fetch sockets, server-side emit,
//! broadcast acks with a client count.
//!
//! The default [`LocalAdapter`] is the single-node case: no other node, `server_count` 1.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::handshake::Handshake;

pub(crate) mod recovery;
use crate::Room;

/// Which sockets an operation targets: Node's `BroadcastOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BroadcastOptions {
    /// Sockets in any of these rooms; every socket of the namespace when empty.
    pub rooms: Vec<Room>,
    /// Minus the sockets in any of these rooms (a socket id is a room).
    pub except: Vec<Room>,
    /// Modifiers.
    #[serde(default)]
    pub flags: BroadcastFlags,
}

/// Broadcast modifiers: Node's `BroadcastFlags`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BroadcastFlags {
    /// This node only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
    /// Dropped for a recipient whose transport cannot take it now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
    /// Compression wish for the WebSocket frame (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<bool>,
    /// The ack timeout of a broadcast with acks, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// A socket as other nodes see it (`fetchSockets`): Node's `RemoteSocket` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocketData {
    /// The socket id.
    pub id: String,
    /// Its handshake.
    pub handshake: Handshake,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its user data.
    pub data: Value,
}

/// An event packet as it crosses nodes: `[event, ...args]`, binary inline as bytes (the
/// receiving node encodes it for its clients).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPacket {
    /// `[event, ...args]` with placeholders.
    pub data: Value,
    /// The bytes the placeholders name.
    pub attachments: Vec<bytes::Bytes>,
}

/// A request from one node to the others (Node's `ClusterMessage`, requests side).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClusterRequest {
    /// Emit to the matching sockets; with `with_ack`, each node answers one
    /// [`ClusterResponse::BroadcastClientCount`] then one [`ClusterResponse::BroadcastAck`] per
    /// client answer.
    Broadcast {
        /// The event.
        packet: ClusterPacket,
        /// The targets.
        opts: BroadcastOptions,
        /// Whether acks are collected.
        with_ack: bool,
    },
    /// Make the matching sockets join `rooms`.
    SocketsJoin {
        /// The targets.
        opts: BroadcastOptions,
        /// The rooms to join.
        rooms: Vec<Room>,
    },
    /// Make the matching sockets leave `rooms`.
    SocketsLeave {
        /// The targets.
        opts: BroadcastOptions,
        /// The rooms to leave.
        rooms: Vec<Room>,
    },
    /// Disconnect the matching sockets (`close`: their whole connection).
    DisconnectSockets {
        /// The targets.
        opts: BroadcastOptions,
        /// Close the underlying connections too.
        close: bool,
    },
    /// Describe the matching sockets: each node answers [`ClusterResponse::FetchSockets`].
    FetchSockets {
        /// The targets.
        opts: BroadcastOptions,
    },
    /// A server-side event for the namespace's listeners on the other nodes; with `with_ack`,
    /// each answers [`ClusterResponse::ServerSideEmit`].
    ServerSideEmit {
        /// `[event, ...args]`.
        packet: ClusterPacket,
        /// Whether each node answers.
        with_ack: bool,
    },
}

/// A response from another node (Node's `ClusterResponse`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClusterResponse {
    /// How many of its sockets a broadcast with acks reached.
    BroadcastClientCount(usize),
    /// One client's ack: its first argument.
    BroadcastAck(ClusterPacket),
    /// The node's matching sockets.
    FetchSockets(Vec<SocketData>),
    /// The node's answer to a server-side emit: its listener's first ack argument.
    ServerSideEmit(ClusterPacket),
}

/// Why a cluster operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The transport between nodes failed.
    #[error("adapter transport failed: {0}")]
    Transport(String),
    /// The operation is not allowed (e.g. `fetch_sockets` on a dynamic parent namespace).
    #[error("operation not supported: {0}")]
    Unsupported(&'static str),
}

/// The stream of responses to one request, ended when every node has answered all it will
/// (or the adapter gives up).
pub type Responses = mpsc::UnboundedReceiver<ClusterResponse>;

/// What an adapter reaches of its namespace: implemented by the namespace, so that this
/// contract names nothing above it.
pub(crate) trait LocalNamespace: Send + Sync + 'static {
    /// Applies a request from another node to this node's sockets.
    fn apply_remote(
        self: Arc<Self>,
        request: ClusterRequest,
        reply: mpsc::UnboundedSender<ClusterResponse>,
    );
}

/// The local side of a namespace, given to its adapter: where requests from other nodes go.
#[derive(Clone)]
pub struct NamespaceHandle {
    ns: Weak<dyn LocalNamespace>,
    name: Arc<str>,
}

impl std::fmt::Debug for NamespaceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceHandle")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NamespaceHandle {
    pub(crate) fn new(ns: Weak<dyn LocalNamespace>, name: &str) -> Self {
        NamespaceHandle {
            ns,
            name: name.into(),
        }
    }

    /// The namespace's name, such as `/` or `/chat`: known from the start, while
    /// [`AdapterFactory::create`] runs (before the namespace itself can be reached).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the namespace still exists (a dynamic child removed when its last socket
    /// left, or a server dropped, is gone).
    pub fn is_alive(&self) -> bool {
        self.ns.strong_count() > 0
    }

    /// Applies a request from another node to this node's sockets; responses (if the request
    /// wants any) are sent on `reply`. Returns at once; ack answers arrive later.
    pub fn apply_remote(
        &self,
        request: ClusterRequest,
        reply: mpsc::UnboundedSender<ClusterResponse>,
    ) {
        if let Some(ns) = self.ns.upgrade() {
            ns.apply_remote(request, reply);
        }
    }
}

/// The remote half of a namespace's operations. One instance per namespace.
///
/// Both methods are called on the emitting path and must not block: an adapter that talks to
/// a network queues the request for its own task.
pub trait Adapter: Send + Sync + 'static {
    /// How many nodes serve this namespace, this one included.
    fn server_count(&self) -> usize;

    /// Whether a broadcast that is not `local` is published to the other nodes. By default
    /// only while [`server_count`](Self::server_count) counts another node; an adapter whose
    /// count is an estimate (a cached `PUBSUB NUMSUB`, say) returns `true`, so that a node that
    /// has just joined gets every broadcast at once, as Node's adapters always publish.
    fn publishes_broadcasts(&self) -> bool {
        self.server_count() > 1
    }

    /// The node count for a call that is about to wait for an answer from every other node
    /// (fetch sockets, broadcasts and server-side emits with acks). By default
    /// [`server_count`](Self::server_count); an adapter whose count is a cached estimate asks
    /// afresh here, as Node's adapters count their nodes for each request.
    fn count_servers(&self) -> Pin<Box<dyn Future<Output = usize> + Send + '_>> {
        Box::pin(std::future::ready(self.server_count()))
    }

    /// Publishes `request` to every other node. Requests that want answers (fetch, acks)
    /// get them on the returned stream, which ends when all nodes have answered or the
    /// adapter gives up; the caller applies its own timeout.
    fn publish(&self, request: ClusterRequest) -> Result<Responses, AdapterError>;

    /// Where this namespace keeps sessions and packets for connection state recovery, called
    /// once when the namespace is made with recovery on. `None` by default, as Node's base
    /// adapter: recovery stays off for the namespace (every reconnect is a fresh session).
    /// [`LocalAdapter`] returns a [`MemorySessionStore`](recovery::MemorySessionStore).
    fn session_store(
        &self,
        config: &crate::config::ConnectionStateRecovery,
    ) -> Option<Arc<dyn recovery::SessionStore>> {
        let _ = config;
        None
    }
}

/// Makes the adapter of each namespace (Node's `adapter` option).
pub trait AdapterFactory: Send + Sync + 'static {
    /// The adapter of the namespace behind `handle`.
    fn create(&self, handle: NamespaceHandle) -> Arc<dyn Adapter>;
}

impl<F> AdapterFactory for F
where
    F: Fn(NamespaceHandle) -> Arc<dyn Adapter> + Send + Sync + 'static,
{
    fn create(&self, handle: NamespaceHandle) -> Arc<dyn Adapter> {
        self(handle)
    }
}

/// The single-node adapter, the default: no other node.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalAdapter;

impl Adapter for LocalAdapter {
    fn server_count(&self) -> usize {
        1
    }

    fn publish(&self, _request: ClusterRequest) -> Result<Responses, AdapterError> {
        let (_tx, rx) = mpsc::unbounded_channel();
        Ok(rx)
    }

    fn session_store(
        &self,
        config: &crate::config::ConnectionStateRecovery,
    ) -> Option<Arc<dyn recovery::SessionStore>> {
        Some(Arc::new(recovery::MemorySessionStore::new(*config)))
    }
}

impl AdapterFactory for LocalAdapter {
    fn create(&self, _handle: NamespaceHandle) -> Arc<dyn Adapter> {
        Arc::new(LocalAdapter)
    }
}

/// The default ack timeout of cluster requests (`fetchSockets`, `serverSideEmit`), as Node.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
