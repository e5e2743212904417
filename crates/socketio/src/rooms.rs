//! Room membership on this node: who is in which room of one namespace.
//!
//! Reads (a broadcast's targets) take a read lock only while the ids are collected; the fan-out
//! itself runs without it, so joins elsewhere never wait on a broadcast.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::Room;

/// A change of membership, for the namespace's room listeners (Node's adapter events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomEvent {
    /// `create-room`: the first socket joined `room`.
    CreateRoom(Room),
    /// `delete-room`: the last socket left `room`.
    DeleteRoom(Room),
    /// `join-room`: socket `id` joined `room`.
    JoinRoom(Room, Arc<str>),
    /// `leave-room`: socket `id` left `room`.
    LeaveRoom(Room, Arc<str>),
}

/// Why a join was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The socket is already in [`RoomLimits::max_rooms_per_socket`] rooms.
    #[error("too many rooms for one socket (limit {0})")]
    TooManyRooms(usize),
    /// The room name is longer than [`RoomLimits::max_room_name_len`] bytes.
    #[error("room name too long (limit {0} bytes)")]
    NameTooLong(usize),
}

/// Bounds on membership (ours: Node has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoomLimits {
    /// The most rooms one socket may be in, its own-id room included. Default 10,000.
    pub max_rooms_per_socket: usize,
    /// The longest room name, in bytes. Default 1,024.
    pub max_room_name_len: usize,
}

impl Default for RoomLimits {
    fn default() -> Self {
        RoomLimits {
            max_rooms_per_socket: 10_000,
            max_room_name_len: 1024,
        }
    }
}

#[derive(Default)]
struct State {
    rooms: HashMap<Room, IdSet>,
    sids: HashMap<Arc<str>, IdSet>,
}

/// A set of ids (socket ids, or room names) that allocates nothing while it holds one: every
/// socket's own room, and the only room of most sockets, cost no table of their own.
#[derive(Debug, Default)]
enum IdSet {
    #[default]
    Empty,
    One(Arc<str>),
    /// Boxed: an entry of the room tables is then three words, not eight, for every socket.
    #[allow(clippy::box_collection)] // on purpose: see above
    Many(Box<HashSet<Arc<str>>>),
}

impl IdSet {
    fn insert(&mut self, id: Arc<str>) -> bool {
        match self {
            IdSet::Empty => {
                *self = IdSet::One(id);
                true
            }
            IdSet::One(one) if *one == id => false,
            IdSet::One(one) => {
                let mut set = HashSet::with_capacity(2);
                set.insert(one.clone());
                set.insert(id);
                *self = IdSet::Many(Box::new(set));
                true
            }
            IdSet::Many(set) => set.insert(id),
        }
    }

    fn remove(&mut self, id: &str) -> bool {
        match self {
            IdSet::One(one) if &**one == id => {
                *self = IdSet::Empty;
                true
            }
            IdSet::Many(set) => set.remove(id),
            _ => false,
        }
    }

    fn contains(&self, id: &str) -> bool {
        match self {
            IdSet::Empty => false,
            IdSet::One(one) => &**one == id,
            IdSet::Many(set) => set.contains(id),
        }
    }

    fn len(&self) -> usize {
        match self {
            IdSet::Empty => 0,
            IdSet::One(_) => 1,
            IdSet::Many(set) => set.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn iter(&self) -> IdSetIter<'_> {
        match self {
            IdSet::Empty => IdSetIter::One(None),
            IdSet::One(one) => IdSetIter::One(Some(one)),
            IdSet::Many(set) => IdSetIter::Many(set.iter()),
        }
    }
}

enum IdSetIter<'a> {
    One(Option<&'a Arc<str>>),
    Many(std::collections::hash_set::Iter<'a, Arc<str>>),
}

impl<'a> Iterator for IdSetIter<'a> {
    type Item = &'a Arc<str>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            IdSetIter::One(one) => one.take(),
            IdSetIter::Many(it) => it.next(),
        }
    }
}

/// The membership table of one namespace on this node.
#[derive(Default)]
pub(crate) struct Rooms {
    state: RwLock<State>,
    pub(crate) limits: RoomLimits,
}

impl Rooms {
    pub(crate) fn new(limits: RoomLimits) -> Self {
        Rooms {
            state: RwLock::default(),
            limits,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `id` to `rooms`; all or nothing against the limits. Returns the events.
    pub(crate) fn add_all(
        &self,
        id: &Arc<str>,
        rooms: &[Room],
    ) -> Result<Vec<RoomEvent>, JoinError> {
        if let Some(_long) = rooms
            .iter()
            .find(|r| r.len() > self.limits.max_room_name_len)
        {
            return Err(JoinError::NameTooLong(self.limits.max_room_name_len));
        }
        let mut st = self.write();
        let st = &mut *st;
        let mine = st.sids.entry(id.clone()).or_default();
        let new: Vec<&Room> = rooms.iter().filter(|r| !mine.contains(r)).collect();
        if mine.len() + new.len() > self.limits.max_rooms_per_socket {
            if mine.is_empty() {
                st.sids.remove(id);
            }
            return Err(JoinError::TooManyRooms(self.limits.max_rooms_per_socket));
        }
        let mut events = Vec::new();
        for room in new {
            if !mine.insert(room.clone()) {
                continue;
            }
            let members = st.rooms.entry(room.clone()).or_default();
            if members.is_empty() {
                events.push(RoomEvent::CreateRoom(room.clone()));
            }
            members.insert(id.clone());
            events.push(RoomEvent::JoinRoom(room.clone(), id.clone()));
        }
        Ok(events)
    }

    /// Removes `id` from `room`.
    pub(crate) fn del(&self, id: &Arc<str>, room: &str) -> Vec<RoomEvent> {
        let mut st = self.write();
        let mut events = Vec::new();
        let removed = st.sids.get_mut(id).is_some_and(|r| r.remove(room));
        if removed {
            Self::leave_room(&mut st, id, room, &mut events);
        }
        events
    }

    /// Removes `id` from every room.
    pub(crate) fn del_all(&self, id: &Arc<str>) -> Vec<RoomEvent> {
        let mut st = self.write();
        let mut events = Vec::new();
        if let Some(rooms) = st.sids.remove(id) {
            for room in rooms.iter() {
                Self::leave_room(&mut st, id, room, &mut events);
            }
        }
        events
    }

    fn leave_room(st: &mut State, id: &Arc<str>, room: &str, events: &mut Vec<RoomEvent>) {
        let Some((key, members)) = st.rooms.get_key_value(room) else {
            return;
        };
        let key = key.clone();
        let _ = members;
        if let Some(members) = st.rooms.get_mut(room) {
            members.remove(id);
            events.push(RoomEvent::LeaveRoom(key.clone(), id.clone()));
            if members.is_empty() {
                st.rooms.remove(room);
                events.push(RoomEvent::DeleteRoom(key));
            }
        }
    }

    /// The rooms of socket `id`.
    pub(crate) fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.read()
            .sids
            .get(id)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every room with at least one socket.
    pub(crate) fn all_rooms(&self) -> Vec<Room> {
        self.read().rooms.keys().cloned().collect()
    }

    /// The ids in any of `rooms` (all when empty) and in none of `except`, each once.
    pub(crate) fn sockets(&self, rooms: &[Room], except: &[Room]) -> Vec<Arc<str>> {
        let st = self.read();
        let excluded: HashSet<&Arc<str>> = except
            .iter()
            .filter_map(|r| st.rooms.get(r))
            .flat_map(IdSet::iter)
            .collect();
        if rooms.is_empty() {
            return st
                .sids
                .keys()
                .filter(|id| !excluded.contains(id))
                .cloned()
                .collect();
        }
        if let [room] = rooms {
            return st
                .rooms
                .get(room)
                .into_iter()
                .flat_map(IdSet::iter)
                .filter(|id| !excluded.contains(id))
                .cloned()
                .collect();
        }
        let mut seen: HashSet<&Arc<str>> = HashSet::new();
        let mut out = Vec::new();
        for room in rooms {
            for id in st.rooms.get(room).into_iter().flat_map(IdSet::iter) {
                if !excluded.contains(id) && seen.insert(id) {
                    out.push(id.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(mut v: Vec<Arc<str>>) -> Vec<String> {
        v.sort();
        v.into_iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rooms_union_except_and_events() {
        let a = Rooms::default();
        let (s1, s2, s3): (Arc<str>, Arc<str>, Arc<str>) = ("s1".into(), "s2".into(), "s3".into());
        let ev = a.add_all(&s1, &["a".into(), "b".into()]).unwrap();
        assert!(ev.contains(&RoomEvent::CreateRoom("a".into())));
        assert!(ev.contains(&RoomEvent::JoinRoom("b".into(), s1.clone())));
        a.add_all(&s2, &["b".into()]).unwrap();
        a.add_all(&s3, &["c".into()]).unwrap();
        assert_eq!(ids(a.sockets(&["a".into(), "b".into()], &[])), ["s1", "s2"]);
        assert_eq!(ids(a.sockets(&["b".into()], &["a".into()])), ["s2"]);
        assert_eq!(ids(a.sockets(&[], &["c".into()])), ["s1", "s2"]);
        let ev = a.del_all(&s1);
        assert!(ev.contains(&RoomEvent::DeleteRoom("a".into())));
        assert_eq!(ids(a.sockets(&["a".into(), "b".into()], &[])), ["s2"]);
        a.del(&s2, "b");
        assert!(a.sockets(&["b".into()], &[]).is_empty());
        assert!(a.socket_rooms("s2").is_empty());
    }

    #[test]
    fn limits() {
        let a = Rooms::new(RoomLimits {
            max_rooms_per_socket: 3,
            max_room_name_len: 4,
        });
        let s: Arc<str> = "s".into();
        assert_eq!(
            a.add_all(&s, &["toolong".into()]),
            Err(JoinError::NameTooLong(4))
        );
        a.add_all(&s, &["a".into(), "b".into(), "c".into()])
            .unwrap();
        assert_eq!(
            a.add_all(&s, &["d".into()]),
            Err(JoinError::TooManyRooms(3))
        );
        assert!(a.add_all(&s, &["a".into()]).unwrap().is_empty());
        assert_eq!(a.socket_rooms("s").len(), 3);
    }
}
