//! The registry of a server's namespaces: the map by name, the dynamic parents (Node's
//! `io.of(regex)` and `io.of(fn)`) that make a child namespace for each matching name a client
//! connects to, and the resolution of a CONNECT's name (what a client's `ClientHost` answers).
//!
//! socket.io 4.x `parent-namespace.ts`: parents are tried in the order they were made, the
//! first match wins; the child is created (and registered) before its middleware runs; the
//! parent's middleware and connection handlers *as they are then* are copied into it; the
//! parent's emits reach every child. Here the parent's broadcasts go through a
//! [`ParentAdapter`], which applies each operation to every child, as Node's
//! `ParentBroadcastAdapter` does. A `local` operation never reaches an adapter: the broadcast
//! operators apply it to each child's local sockets themselves ([`Namespace::children`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};

use serde_json::Value;
use tokio::sync::mpsc;

use std::collections::HashMap;

use crate::adapter::{
    Adapter, AdapterError, AdapterFactory, ClusterRequest, ClusterResponse, LocalAdapter,
    NamespaceHandle, Responses,
};
use crate::client::Resolved;
use crate::config::ConnectionStateRecovery;
use crate::guard::{self, Site};
use crate::namespace::{ChildList, Namespace};
use crate::rooms::{RoomEvent, RoomLimits};
use crate::state::AppState;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub(crate) type PredicateFn = Arc<dyn Fn(String, Value) -> BoxFuture<bool> + Send + Sync>;

/// How a parent namespace matches names.
pub(crate) enum Matcher {
    Regex(regex::Regex),
    Predicate(PredicateFn),
}

type Children = ChildList;

struct Parent {
    matcher: Matcher,
    ns: Namespace,
    children: Arc<Children>,
}

/// The parent namespaces of a server, in creation order.
#[derive(Default)]
struct Parents {
    list: RwLock<Vec<Arc<Parent>>>,
    count: AtomicUsize,
}

impl Parents {
    fn snapshot(&self) -> Vec<Arc<Parent>> {
        self.list.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn is_empty(&self) -> bool {
        self.list
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// Every namespace of a server, and how new ones are made.
pub(crate) struct Registry {
    namespaces: RwLock<HashMap<String, Namespace>>,
    parents: Parents,
    adapter: RwLock<Arc<dyn AdapterFactory>>,
    room_limits: RoomLimits,
    /// `connectionStateRecovery`, for every namespace made.
    recovery: Option<ConnectionStateRecovery>,
    /// The shared app state every namespace reads.
    pub(crate) state: AppState,
    /// `cleanupEmptyChildNamespaces`.
    cleanup_empty_children: bool,
    /// Node's `io.on("new_namespace")` listeners.
    created: RwLock<Vec<CreatedFn>>,
}

/// A listener for namespaces created (Node's `new_namespace` event).
pub(crate) type CreatedFn = Arc<dyn Fn(&Namespace) + Send + Sync>;

impl Registry {
    pub(crate) fn new(
        room_limits: RoomLimits,
        recovery: Option<ConnectionStateRecovery>,
        cleanup_empty_children: bool,
    ) -> Self {
        Registry {
            recovery,
            namespaces: RwLock::new(HashMap::new()),
            parents: Parents::default(),
            adapter: RwLock::new(Arc::new(LocalAdapter)),
            room_limits,
            state: AppState::default(),
            cleanup_empty_children,
            created: RwLock::new(Vec::new()),
        }
    }

    /// Adds a `new_namespace` listener.
    pub(crate) fn on_created(&self, f: CreatedFn) {
        self.created
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    /// Tells the `new_namespace` listeners (a panic is logged; the others still run).
    fn announce(&self, ns: &Namespace) {
        let listeners = self
            .created
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let site = Site {
            nsp: ns.name(),
            socket: "",
            what: "new_namespace",
        };
        for l in listeners {
            guard::call(site, || l(ns));
        }
    }

    /// The namespace named exactly `name`, if it exists.
    pub(crate) fn get(&self, name: &str) -> Option<Namespace> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The namespace `name` (with its leading `/`), created if needed.
    pub(crate) fn of(&self, name: String) -> Namespace {
        if let Some(ns) = self.get(&name) {
            return ns;
        }
        // The adapter factory is user code (it may call `io.of()` itself): it runs outside the
        // lock, and a namespace made meanwhile by another caller wins.
        let factory = self.adapter();
        let made = Namespace::new(
            name.clone(),
            factory.as_ref(),
            self.room_limits,
            self.recovery,
            &self.state,
        );
        let (ns, created) = {
            let mut map = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
            match map.get(&name) {
                Some(existing) => (existing.clone(), false),
                None => {
                    map.insert(name, made.clone());
                    (made, true)
                }
            }
        };
        if created {
            tracing::debug!(target: "socketio::namespace", name = %ns.name(), "created");
            self.announce(&ns);
        }
        ns
    }

    /// Every namespace by name (parents are not in it).
    pub(crate) fn namespaces(&self) -> Vec<Namespace> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The adapter factory new namespaces get theirs from.
    pub(crate) fn adapter(&self) -> Arc<dyn AdapterFactory> {
        self.adapter
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets the adapter factory: every namespace, existing and future, gets one from it.
    pub(crate) fn set_adapter(&self, factory: Arc<dyn AdapterFactory>) {
        *self.adapter.write().unwrap_or_else(|e| e.into_inner()) = factory.clone();
        for ns in self.namespaces() {
            ns.set_adapter(factory.as_ref());
        }
    }

    /// A new parent namespace, `/_0`, `/_1`... in creation order.
    pub(crate) fn add_parent(&self, matcher: Matcher) -> Namespace {
        let n = self.parents.count.fetch_add(1, Ordering::Relaxed);
        let children: Arc<Children> = Arc::default();
        let ns = Namespace::new(
            format!("/_{n}"),
            &ParentAdapterFactory(Arc::downgrade(&children)),
            self.room_limits,
            // A parent has no sockets of its own: nothing to recover.
            None,
            &self.state,
        );
        ns.set_children(Arc::downgrade(&children));
        self.parents
            .list
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(Parent {
                matcher,
                ns: ns.clone(),
                children,
            }));
        ns
    }

    /// The children a parent namespace made so far (empty for any other namespace).
    pub(crate) fn children_of(&self, parent: &Namespace) -> Vec<Namespace> {
        self.parents
            .snapshot()
            .iter()
            .find(|p| Arc::ptr_eq(&p.ns.0, &parent.0))
            .map(|p| p.children.read().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// The namespace a client joining `name` with `auth` gets: the exact match (synchronous),
    /// else the first parent that matches, which creates the child. Regex parents answer at
    /// once; from the first predicate parent on, the answer is a future.
    ///
    /// The namespace returned counts one more client connecting to it
    /// ([`Namespace::begin_connect`], under the registry's lock), until the client calls
    /// [`Namespace::end_connect`]: an empty dynamic child is not removed meanwhile, so no socket
    /// joins a namespace that is no longer registered.
    pub(crate) fn resolve(self: &Arc<Self>, name: &str, auth: &Value) -> Resolved {
        let found = {
            let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
            map.get(name).inspect(|ns| ns.begin_connect()).cloned()
        };
        if let Some(ns) = found {
            return Resolved::Found(ns);
        }
        if self.parents.is_empty() {
            return Resolved::Missing;
        }
        let parents = self.parents.snapshot();
        for (i, parent) in parents.iter().enumerate() {
            match &parent.matcher {
                Matcher::Regex(re) => {
                    if re.is_match(name) {
                        return Resolved::Found(self.create_child(parent, name));
                    }
                }
                Matcher::Predicate(_) => {
                    let registry = self.clone();
                    let rest: Vec<Arc<Parent>> = parents[i..].to_vec();
                    let name = name.to_owned();
                    let auth = auth.clone();
                    return Resolved::Pending(Box::pin(async move {
                        for parent in rest {
                            let matched = match &parent.matcher {
                                Matcher::Regex(re) => re.is_match(&name),
                                Matcher::Predicate(p) => p(name.clone(), auth.clone()).await,
                            };
                            if matched {
                                return Some(registry.create_child(&parent, &name));
                            }
                        }
                        None
                    }));
                }
            }
        }
        Resolved::Missing
    }

    /// Creates (or, if one was made in the meantime, returns) the child `name` of `parent`, with
    /// one client counted as connecting to it (see [`Registry::resolve`]).
    fn create_child(self: &Arc<Self>, parent: &Parent, name: &str) -> Namespace {
        {
            let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
            if let Some(existing) = map.get(name) {
                existing.begin_connect();
                return existing.clone();
            }
        }
        // As in `of`: the factory runs outside the lock.
        let factory = self.adapter();
        let made = Namespace::new(
            name.to_owned(),
            factory.as_ref(),
            self.room_limits,
            self.recovery,
            &self.state,
        );
        made.inherit(&parent.ns);
        let child = {
            let mut map = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
            if let Some(existing) = map.get(name) {
                existing.begin_connect();
                return existing.clone();
            }
            made.begin_connect();
            map.insert(name.to_owned(), made.clone());
            made
        };
        parent
            .children
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(child.clone());
        tracing::debug!(target: "socketio::namespace", %name, parent = %parent.ns.name(), "dynamic namespace created");
        self.announce(&child);
        if self.cleanup_empty_children {
            let registry = Arc::downgrade(self);
            let children = Arc::downgrade(&parent.children);
            let weak = Arc::downgrade(&child.0);
            child.on_room_event(move |event| {
                if let RoomEvent::DeleteRoom(_) = event {
                    if let Some(ns) = weak.upgrade().map(Namespace) {
                        remove_if_empty(&registry, &children, &ns);
                    }
                }
            });
        }
        child
    }

    /// After a refusal by the middleware: a child left without sockets goes when cleanup is on.
    pub(crate) fn after_refusal(self: &Arc<Self>, ns: &Namespace) {
        if !self.cleanup_empty_children {
            return;
        }
        for parent in self.parents.snapshot() {
            let is_child = parent
                .children
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|c| Arc::ptr_eq(&c.0, &ns.0));
            if is_child {
                remove_if_empty(&Arc::downgrade(self), &Arc::downgrade(&parent.children), ns);
                return;
            }
        }
    }
}

/// `cleanupEmptyChildNamespaces`: drops `ns` from the server and its parent once empty.
fn remove_if_empty(registry: &Weak<Registry>, children: &Weak<Children>, ns: &Namespace) {
    if !ns.is_idle() {
        return;
    }
    if let Some(registry) = registry.upgrade() {
        let mut map = registry
            .namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner());
        // Checked again under the lock a connecting client is counted under.
        if !ns.is_idle() {
            return;
        }
        if map.get(ns.name()).is_some_and(|n| Arc::ptr_eq(&n.0, &ns.0)) {
            map.remove(ns.name());
            tracing::debug!(target: "socketio::namespace", name = %ns.name(), "empty dynamic namespace removed");
        }
    }
    if let Some(children) = children.upgrade() {
        children
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|c| !Arc::ptr_eq(&c.0, &ns.0));
    }
}

/// The adapter of a parent namespace: every operation goes to each child (locally, and
/// through the child's own adapter to the other nodes). `fetch_sockets` and
/// `server_side_emit` are refused, as in Node.
struct ParentAdapter {
    children: Weak<Children>,
}

impl ParentAdapter {
    fn children(&self) -> Vec<Namespace> {
        self.children
            .upgrade()
            .map(|c| c.read().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }
}

impl Adapter for ParentAdapter {
    /// One "node" per child per node serving it, so that the broadcast operators, which
    /// publish whenever there is more than one node, always publish to the children (at
    /// least 2, so that an empty parent still refuses `fetch_sockets`).
    fn server_count(&self) -> usize {
        let children: usize = self
            .children()
            .iter()
            .map(|c| c.adapter().server_count())
            .sum();
        1 + children.max(1)
    }

    /// As [`server_count`](Adapter::server_count), each child's count asked afresh.
    fn count_servers(&self) -> BoxFuture<usize> {
        let children = self.children();
        Box::pin(async move {
            let mut sum = 0;
            for child in children {
                let adapter = child.adapter();
                sum += adapter.count_servers().await;
            }
            1 + sum.max(1)
        })
    }

    fn publish(&self, request: ClusterRequest) -> Result<Responses, AdapterError> {
        match &request {
            ClusterRequest::FetchSockets { .. } => {
                return Err(AdapterError::Unsupported(
                    "fetch_sockets on a parent namespace",
                ))
            }
            ClusterRequest::ServerSideEmit { .. } => {
                return Err(AdapterError::Unsupported(
                    "server_side_emit on a parent namespace",
                ))
            }
            _ => {}
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let children = self.children();
        if children.is_empty() {
            // A broadcast with acks waits for one count per "node" (see `server_count`).
            if matches!(request, ClusterRequest::Broadcast { with_ack: true, .. }) {
                let _ = tx.send(ClusterResponse::BroadcastClientCount(0));
            }
            return Ok(rx);
        }
        for child in children {
            let adapter = child.adapter();
            if adapter.server_count() > 1 {
                let mut remote = adapter.publish(request.clone())?;
                let tx = tx.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        while let Some(r) = remote.recv().await {
                            if tx.send(r).is_err() {
                                return;
                            }
                        }
                    });
                }
            }
            child.apply_remote(request.clone(), tx.clone());
        }
        Ok(rx)
    }
}

/// Makes the [`ParentAdapter`] of a new parent.
struct ParentAdapterFactory(Weak<Children>);

impl AdapterFactory for ParentAdapterFactory {
    fn create(&self, _handle: NamespaceHandle) -> Arc<dyn Adapter> {
        Arc::new(ParentAdapter {
            children: self.0.clone(),
        })
    }
}
