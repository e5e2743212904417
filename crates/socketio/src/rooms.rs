//! The adapter: who is in which room. One instance per namespace, as in Node.
//!
//! The in-memory [`LocalAdapter`] is the default. A cluster adapter (Redis) implements the
//! same trait and adds the remote half of each operation.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::Room;

/// Room bookkeeping for one namespace.
pub trait Adapter: Send + Sync + 'static {
    /// Adds socket `id` to `rooms`.
    fn add_all(&self, id: &Arc<str>, rooms: &[Room]);
    /// Removes socket `id` from `room`.
    fn del(&self, id: &Arc<str>, room: &str);
    /// Removes socket `id` from every room.
    fn del_all(&self, id: &Arc<str>);
    /// The rooms of socket `id`.
    fn socket_rooms(&self, id: &str) -> Vec<Room>;
    /// The ids of the sockets in any of `rooms` (every socket when `rooms` is empty) and in
    /// none of `except`, each once.
    fn sockets(&self, rooms: &[Room], except: &[Room]) -> Vec<Arc<str>>;
}

#[derive(Default)]
struct Rooms {
    rooms: HashMap<Room, HashSet<Arc<str>>>,
    sids: HashMap<Arc<str>, HashSet<Room>>,
}

/// The in-memory adapter.
#[derive(Default)]
pub struct LocalAdapter {
    state: RwLock<Rooms>,
}

impl std::fmt::Debug for LocalAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAdapter").finish_non_exhaustive()
    }
}

impl LocalAdapter {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Rooms> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Rooms> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Adapter for LocalAdapter {
    fn add_all(&self, id: &Arc<str>, rooms: &[Room]) {
        let mut st = self.write();
        for room in rooms {
            st.rooms.entry(room.clone()).or_default().insert(id.clone());
            st.sids.entry(id.clone()).or_default().insert(room.clone());
        }
    }

    fn del(&self, id: &Arc<str>, room: &str) {
        let mut st = self.write();
        if let Some(rooms) = st.sids.get_mut(id) {
            rooms.remove(room);
        }
        if let Some(members) = st.rooms.get_mut(room) {
            members.remove(id);
            if members.is_empty() {
                st.rooms.remove(room);
            }
        }
    }

    fn del_all(&self, id: &Arc<str>) {
        let mut st = self.write();
        let Some(rooms) = st.sids.remove(id) else {
            return;
        };
        for room in rooms {
            if let Some(members) = st.rooms.get_mut(&room) {
                members.remove(id);
                if members.is_empty() {
                    st.rooms.remove(&room);
                }
            }
        }
    }

    fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.read()
            .sids
            .get(id)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn sockets(&self, rooms: &[Room], except: &[Room]) -> Vec<Arc<str>> {
        let st = self.read();
        let excluded: HashSet<&Arc<str>> = except
            .iter()
            .filter_map(|r| st.rooms.get(r))
            .flatten()
            .collect();
        if rooms.is_empty() {
            return st
                .sids
                .keys()
                .filter(|id| !excluded.contains(id))
                .cloned()
                .collect();
        }
        let mut seen: HashSet<&Arc<str>> = HashSet::new();
        let mut out = Vec::new();
        for room in rooms {
            for id in st.rooms.get(room).into_iter().flatten() {
                if !excluded.contains(id) && seen.insert(id) {
                    out.push(id.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(mut v: Vec<Arc<str>>) -> Vec<String> {
        v.sort();
        v.into_iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rooms_union_except() {
        let a = LocalAdapter::default();
        let (s1, s2, s3): (Arc<str>, Arc<str>, Arc<str>) = ("s1".into(), "s2".into(), "s3".into());
        a.add_all(&s1, &["a".into(), "b".into()]);
        a.add_all(&s2, &["b".into()]);
        a.add_all(&s3, &["c".into()]);
        assert_eq!(ids(a.sockets(&["a".into(), "b".into()], &[])), ["s1", "s2"]);
        assert_eq!(ids(a.sockets(&["b".into()], &["a".into()])), ["s2"]);
        assert_eq!(ids(a.sockets(&[], &["c".into()])), ["s1", "s2"]);
        a.del_all(&s1);
        assert_eq!(ids(a.sockets(&["a".into(), "b".into()], &[])), ["s2"]);
        a.del(&s2, "b");
        assert!(a.sockets(&["b".into()], &[]).is_empty());
        assert!(a.socket_rooms("s2").is_empty());
    }
}
