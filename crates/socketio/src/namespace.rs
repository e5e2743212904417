//! Namespaces: a name, its sockets, its middleware and connection handlers, its adapter.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::adapter::{Adapter, LocalAdapter};
use crate::error::{EmitError, MiddlewareError};
use crate::operators::BroadcastOperator;
use crate::socket::Socket;
use crate::Room;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type MiddlewareFn = Arc<dyn Fn(Socket) -> BoxFuture<Result<(), MiddlewareError>> + Send + Sync>;
type ConnectionFn = Arc<dyn Fn(Socket) + Send + Sync>;

pub(crate) struct NamespaceInner {
    name: String,
    sockets: RwLock<HashMap<Arc<str>, Socket>>,
    middleware: RwLock<Vec<MiddlewareFn>>,
    connection: RwLock<Vec<ConnectionFn>>,
    adapter: Arc<dyn Adapter>,
}

/// A namespace (Node's `io.of(name)`): a cheap-clone handle.
///
/// ```no_run
/// # fn f(io: socketio::Server) {
/// let chat = io.of("/chat");
/// chat.middleware(|socket| async move {
///     match socket.handshake().auth.get("token") {
///         Some(_) => Ok(()),
///         None => Err(socketio::MiddlewareError::new("not authorized")),
///     }
/// });
/// chat.on_connection(|socket| {
///     let _ = socket.emit("welcome", &"hi");
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NamespaceInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.0.name)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    pub(crate) fn new(name: String) -> Self {
        Namespace(Arc::new(NamespaceInner {
            name,
            sockets: RwLock::new(HashMap::new()),
            middleware: RwLock::new(Vec::new()),
            connection: RwLock::new(Vec::new()),
            adapter: Arc::new(LocalAdapter::default()),
        }))
    }

    /// The name, such as `/` or `/chat`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.0.adapter
    }

    /// Adds an async middleware (Node's `namespace.use`), run in order for every client
    /// joining this namespace, before it is connected. An `Err` refuses the client with
    /// CONNECT_ERROR; the connection stays open.
    #[doc(alias = "use")]
    pub fn middleware<F, Fut>(&self, f: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), MiddlewareError>> + Send + 'static,
    {
        let f: MiddlewareFn = Arc::new(move |s| Box::pin(f(s)));
        self.0
            .middleware
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    /// Adds a connection handler (Node's `connection`/`connect` event).
    #[doc(alias = "connect")]
    pub fn on_connection<F>(&self, f: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        self.0
            .connection
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(f));
    }

    pub(crate) fn has_middleware(&self) -> bool {
        !self
            .0
            .middleware
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    pub(crate) async fn run_middleware(&self, socket: &Socket) -> Result<(), MiddlewareError> {
        let chain = self
            .0
            .middleware
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for m in chain {
            m(socket.clone()).await?;
        }
        Ok(())
    }

    pub(crate) fn run_connection_handlers(&self, socket: &Socket) {
        let handlers = self
            .0
            .connection
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in handlers {
            h(socket.clone());
        }
    }

    pub(crate) fn add(&self, socket: &Socket) {
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id_arc().clone(), socket.clone());
        self.0
            .adapter
            .add_all(socket.id_arc(), &[Room::from(socket.id_arc().clone())]);
    }

    pub(crate) fn remove(&self, socket: &Socket) {
        self.0.adapter.del_all(socket.id_arc());
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(socket.id());
    }

    /// A connected socket by id.
    pub fn get_socket(&self, id: &str) -> Option<Socket> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every connected socket of this namespace on this node (Node's `namespace.sockets`).
    pub fn sockets(&self) -> Vec<Socket> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The number of connected sockets on this node.
    pub fn len(&self) -> usize {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether no socket is connected on this node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        BroadcastOperator::new(self.clone()).emit(event, data)
    }

    /// A broadcast to the sockets in `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        BroadcastOperator::new(self.clone()).to(room)
    }

    /// Synonym of [`Namespace::to`] (Node's `in`).
    pub fn within(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket but those in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        BroadcastOperator::new(self.clone()).except(room)
    }

    /// The ids of the sockets of this namespace (the seed's `namespace.clients`).
    pub fn clients(&self) -> Vec<String> {
        BroadcastOperator::new(self.clone()).clients()
    }
}
