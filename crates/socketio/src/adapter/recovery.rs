//! Connection state recovery (Node's `connectionStateRecovery`, socket.io 4.6+): a client that
//! drops for a few seconds gets back its socket id, rooms, data and every packet it missed.
//!
//! With recovery on, a socket gets a private session id (`pid`, sent only in its CONNECT reply
//! `{sid, pid}`), and every event that goes out through a broadcast without an ack and not
//! `volatile` (a `socket.emit` to one socket counts: it is a broadcast to the socket's own
//! room, as in Node) gets an *offset* appended as its last argument, and is kept by the
//! namespace's [`SessionStore`]. The 4.x client remembers the last offset it saw and sends
//! `{pid, offset}` in the auth of its next CONNECT. When the socket went away for a reason
//! that allows it ([`DisconnectReason::is_recoverable`](crate::DisconnectReason::is_recoverable)),
//! its session was kept; the new socket takes over its id, rooms and data, is
//! [`recovered`](crate::Socket::recovered), and gets the kept packets after the offset that
//! were meant for it, in order, before anything else.
//!
//! The store is the adapter's business ([`Adapter::session_store`](crate::Adapter::session_store)):
//! the single-node [`LocalAdapter`](crate::LocalAdapter) keeps one
//! [`MemorySessionStore`] per namespace; an adapter that returns none (as Node's classic Redis
//! adapter, which keeps nothing) leaves recovery off for its namespaces: every reconnect then
//! gets a fresh session.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use super::{BroadcastOptions, ClusterPacket};
use crate::config::ConnectionStateRecovery;
use crate::Room;

/// What is kept of a socket that went away (Node's `SessionToPersist`).
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedSession {
    /// The public socket id, taken over by the recovered socket.
    pub sid: String,
    /// The private session id the client proves the session with.
    pub pid: String,
    /// Its rooms (its own id among them).
    pub rooms: Vec<Room>,
    /// Its [`data`](crate::Socket::data_value).
    pub data: Value,
    /// Where the store stood when the session's first socket connected
    /// ([`SessionStore::position`]), so that the store can refuse an offset that socket never
    /// saw; `None` when the store does not tell.
    pub joined_at: Option<String>,
}

/// A session given back by [`SessionStore::restore`] (Node's `Session`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredSession {
    /// What was kept.
    pub session: PersistedSession,
    /// The kept packets after the client's offset that were meant for the session, oldest
    /// first, each `[event, ...args, offset]`.
    pub missed: Vec<ClusterPacket>,
    /// The offset through which `missed` looked: [`SessionStore::catch_up`] starts after it.
    pub through: String,
}

/// What a [`SessionStore`] holds ([`Namespace::recovery_usage`](crate::Namespace::recovery_usage)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreUsage {
    /// Sessions kept.
    pub sessions: usize,
    /// Packets kept for replay.
    pub packets: usize,
    /// Their bytes, as the store counts them.
    pub bytes: usize,
}

/// A boxed future, as the store's async methods return.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a namespace keeps sessions and the packets they may miss (the seam a persistent
/// adapter, such as a Redis streams adapter, implements).
///
/// The namespace calls [`record`](Self::record) on the broadcast path and
/// [`persist`](Self::persist) on a socket's disconnect; both must not block. On a CONNECT with
/// `{pid, offset}` it awaits [`restore`](Self::restore), then, with broadcasts of the
/// namespace held for that moment, calls [`catch_up`](Self::catch_up) for what was recorded
/// since and joins the socket to its rooms, so that no packet is lost or sent twice between
/// the two. A store that cannot answer `catch_up` from memory returns nothing there and
/// accepts that window (as Node's persistent adapters do).
pub trait SessionStore: Send + Sync + 'static {
    /// Keeps `packet` (an event about to be broadcast with `opts`, no ack, not volatile):
    /// appends its offset to `packet.data` (an array `[event, ...args]`) as the last argument.
    fn record(&self, packet: &mut ClusterPacket, opts: &BroadcastOptions);

    /// The position now, for [`PersistedSession::joined_at`]; `None` by default.
    fn position(&self) -> Option<String> {
        None
    }

    /// Keeps `session` for the recovery window.
    fn persist(&self, session: PersistedSession);

    /// The session `pid` with the packets it missed after `offset`, taken out of the store;
    /// `None` when it does not exist, has expired, or `offset` is unknown, too old, or not
    /// one the session could have seen.
    fn restore<'a>(
        &'a self,
        pid: &'a str,
        offset: &'a str,
    ) -> StoreFuture<'a, Option<RecoveredSession>>;

    /// What the store holds now, for monitoring; `None` by default.
    fn usage(&self) -> Option<StoreUsage> {
        None
    }

    /// The kept packets after offset `through` meant for a session in `rooms`, oldest first.
    fn catch_up(&self, through: &str, rooms: &[Room]) -> Vec<ClusterPacket> {
        let _ = (through, rooms);
        Vec::new()
    }
}

/// The in-memory [`SessionStore`] of the single-node adapter (Node's `SessionAwareAdapter`),
/// bounded by time, bytes and session count (see [`ConnectionStateRecovery`]).
///
/// Offsets are the base-36 sequence numbers of the kept packets. Expired entries are dropped
/// as the store is used; a restore checks expiry itself, so nothing expired is ever given back.
pub struct MemorySessionStore {
    config: ConnectionStateRecovery,
    inner: Mutex<Memory>,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.lock();
        f.debug_struct("MemorySessionStore")
            .field("sessions", &m.sessions.len())
            .field("packets", &m.packets.len())
            .field("bytes", &m.bytes)
            .finish()
    }
}

#[derive(Default)]
struct Memory {
    sessions: HashMap<Box<str>, (PersistedSession, Instant)>,
    /// Sessions by disconnect time; an entry whose session was taken or kept again since is
    /// skipped when it comes up.
    expiry: VecDeque<(Instant, Box<str>)>,
    packets: VecDeque<Kept>,
    /// The sequence number of `packets[0]`.
    first: u64,
    /// The next sequence number.
    next: u64,
    bytes: usize,
}

struct Kept {
    rooms: Vec<Room>,
    except: Vec<Room>,
    data: Value,
    attachments: Vec<Bytes>,
    at: Instant,
    size: usize,
}

impl Kept {
    fn meant_for(&self, rooms: &[Room]) -> bool {
        let included = self.rooms.is_empty() || rooms.iter().any(|r| self.rooms.contains(r));
        included && !rooms.iter().any(|r| self.except.contains(r))
    }

    fn packet(&self) -> ClusterPacket {
        ClusterPacket {
            data: self.data.clone(),
            attachments: self.attachments.clone(),
        }
    }
}

/// The longest offset this store writes (`u64::MAX` in base 36 has 13 digits).
const MAX_OFFSET_LEN: usize = 13;

fn offset_of(seq: u64) -> String {
    let mut digits = [0u8; MAX_OFFSET_LEN];
    let mut n = seq;
    let mut i = MAX_OFFSET_LEN;
    loop {
        i -= 1;
        let d = (n % 36) as u8;
        digits[i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        n /= 36;
        if n == 0 {
            break;
        }
    }
    String::from_utf8_lossy(&digits[i..]).into_owned()
}

/// The sequence number of an offset this store wrote; `None` for anything else (any length,
/// any characters).
fn seq_of(offset: &str) -> Option<u64> {
    if offset.is_empty()
        || offset.len() > MAX_OFFSET_LEN
        || !offset
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return None;
    }
    let seq = u64::from_str_radix(offset, 36).ok()?;
    // One spelling per number: `0a` is not `a`.
    (offset_of(seq) == offset).then_some(seq)
}

/// Counts the bytes serde_json writes.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bookkeeping of a kept packet beside its data.
const KEPT_OVERHEAD: usize = 128;

impl MemorySessionStore {
    /// An empty store with these bounds.
    pub fn new(config: ConnectionStateRecovery) -> Self {
        MemorySessionStore {
            config,
            inner: Mutex::new(Memory {
                first: 1,
                next: 1,
                ..Memory::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn window(&self) -> Duration {
        self.config.max_disconnection_duration
    }

    /// Drops what has expired, and what is past the bounds.
    fn prune(&self, m: &mut Memory, now: Instant) {
        let window = self.window();
        while let Some(p) = m.packets.front() {
            if now.saturating_duration_since(p.at) <= window
                && m.bytes <= self.config.max_buffered_bytes
            {
                break;
            }
            m.bytes -= p.size;
            m.packets.pop_front();
            m.first += 1;
        }
        while let Some((at, _)) = m.expiry.front() {
            let expired = now.saturating_duration_since(*at) > window;
            if !expired && m.sessions.len() <= self.config.max_sessions {
                break;
            }
            let Some((at, pid)) = m.expiry.pop_front() else {
                break;
            };
            if m.sessions.get(&pid).is_some_and(|(_, t)| *t == at) {
                m.sessions.remove(&pid);
            }
        }
    }
}

impl SessionStore for MemorySessionStore {
    fn record(&self, packet: &mut ClusterPacket, opts: &BroadcastOptions) {
        let Value::Array(args) = &mut packet.data else {
            return;
        };
        let now = Instant::now();
        let mut m = self.lock();
        let seq = m.next;
        m.next += 1;
        args.push(Value::String(offset_of(seq)));
        let mut counter = Counter(0);
        let _ = serde_json::to_writer(&mut counter, &packet.data);
        let size = counter.0
            + packet.attachments.iter().map(Bytes::len).sum::<usize>()
            + KEPT_OVERHEAD
            + (opts.rooms.len() + opts.except.len()) * 32;
        m.bytes += size;
        m.packets.push_back(Kept {
            rooms: opts.rooms.clone(),
            except: opts.except.clone(),
            data: packet.data.clone(),
            attachments: packet.attachments.clone(),
            at: now,
            size,
        });
        self.prune(&mut m, now);
    }

    fn usage(&self) -> Option<StoreUsage> {
        let m = self.lock();
        Some(StoreUsage {
            sessions: m.sessions.len(),
            packets: m.packets.len(),
            bytes: m.bytes,
        })
    }

    fn position(&self) -> Option<String> {
        Some(offset_of(self.lock().next))
    }

    fn persist(&self, session: PersistedSession) {
        let now = Instant::now();
        let mut m = self.lock();
        let pid: Box<str> = session.pid.as_str().into();
        m.expiry.push_back((now, pid.clone()));
        m.sessions.insert(pid, (session, now));
        self.prune(&mut m, now);
    }

    fn restore<'a>(
        &'a self,
        pid: &'a str,
        offset: &'a str,
    ) -> StoreFuture<'a, Option<RecoveredSession>> {
        let now = Instant::now();
        let mut m = self.lock();
        self.prune(&mut m, now);
        let restored = (|| {
            let (session, at) = m.sessions.get(pid)?;
            if now.saturating_duration_since(*at) > self.window() {
                return None;
            }
            let seq = seq_of(offset)?;
            if seq < m.first || seq >= m.next {
                // Unknown, or older than the oldest kept packet.
                return None;
            }
            if let Some(joined) = session.joined_at.as_deref().and_then(seq_of) {
                if seq < joined {
                    // Recorded before the session's socket existed.
                    return None;
                }
            }
            let index = usize::try_from(seq - m.first).ok()?;
            if !m.packets.get(index)?.meant_for(&session.rooms) {
                // Not a packet this session was sent: another client's offset.
                return None;
            }
            let missed = m
                .packets
                .iter()
                .skip(index + 1)
                .filter(|p| p.meant_for(&session.rooms))
                .map(Kept::packet)
                .collect();
            Some(RecoveredSession {
                session: session.clone(),
                missed,
                through: offset_of(m.next - 1),
            })
        })();
        if restored.is_some() {
            // One recovery per session: a second CONNECT with the same pid gets a fresh one.
            m.sessions.remove(pid);
        }
        Box::pin(std::future::ready(restored))
    }

    fn catch_up(&self, through: &str, rooms: &[Room]) -> Vec<ClusterPacket> {
        let Some(seq) = seq_of(through) else {
            return Vec::new();
        };
        let m = self.lock();
        let start = seq.saturating_add(1).max(m.first);
        let Ok(skip) = usize::try_from(start - m.first) else {
            return Vec::new();
        };
        m.packets
            .iter()
            .skip(skip)
            .filter(|p| p.meant_for(rooms))
            .map(Kept::packet)
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> MemorySessionStore {
        MemorySessionStore::new(ConnectionStateRecovery::default())
    }

    fn opts(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
        BroadcastOptions {
            rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
            except: except.iter().map(|r| Room::from(*r)).collect(),
            ..BroadcastOptions::default()
        }
    }

    fn record(s: &MemorySessionStore, event: &str, o: &BroadcastOptions) -> String {
        let mut p = ClusterPacket {
            data: json!([event]),
            attachments: Vec::new(),
        };
        s.record(&mut p, o);
        p.data
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn session(pid: &str, rooms: &[&str], joined_at: Option<String>) -> PersistedSession {
        PersistedSession {
            sid: format!("sid-{pid}"),
            pid: pid.into(),
            rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
            data: json!({"n": 1}),
            joined_at,
        }
    }

    fn restore(s: &MemorySessionStore, pid: &str, offset: &str) -> Option<RecoveredSession> {
        futures_util::FutureExt::now_or_never(s.restore(pid, offset)).expect("ready")
    }

    fn events(missed: &[ClusterPacket]) -> Vec<String> {
        missed
            .iter()
            .map(|p| p.data[0].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn offsets_round_trip_and_have_one_spelling() {
        for seq in [0, 1, 35, 36, u64::MAX] {
            assert_eq!(seq_of(&offset_of(seq)), Some(seq));
        }
        assert_eq!(offset_of(u64::MAX).len(), MAX_OFFSET_LEN);
        for bad in ["", "0a", "A", "+1", "-1", "1 ", "zzzzzzzzzzzzzz", "ü"] {
            assert_eq!(seq_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn replays_what_the_session_missed_in_order() {
        let s = store();
        let joined = s.position();
        let seen = record(&s, "seen", &opts(&["a"], &[]));
        s.persist(session("p", &["sid-p", "a", "b"], joined));
        record(&s, "one", &opts(&["a"], &[]));
        record(&s, "other-room", &opts(&["c"], &[]));
        record(&s, "two", &opts(&[], &[]));
        record(&s, "excluded", &opts(&[], &["b"]));
        record(&s, "three", &opts(&["b", "c"], &[]));
        let r = restore(&s, "p", &seen).expect("restored");
        assert_eq!(events(&r.missed), ["one", "two", "three"]);
        assert_eq!(r.session.data, json!({"n": 1}));
        // Each keeps its offset as the last argument.
        assert!(r.missed[0].data[1].is_string());
        // Taken: a second restore fails.
        assert!(restore(&s, "p", &seen).is_none());
        assert!(s.catch_up(&r.through, &r.session.rooms).is_empty());
        record(&s, "four", &opts(&["a"], &[]));
        assert_eq!(events(&s.catch_up(&r.through, &r.session.rooms)), ["four"]);
    }

    #[test]
    fn refuses_unknown_foreign_and_stale() {
        let s = store();
        let early = record(&s, "before", &opts(&[], &[]));
        let joined = s.position();
        let mine = record(&s, "mine", &opts(&["a"], &[]));
        let theirs = record(&s, "theirs", &opts(&["z"], &[]));
        s.persist(session("p", &["a"], joined));
        assert!(restore(&s, "forged", &mine).is_none());
        assert!(
            restore(&s, "p", "zzzz").is_none(),
            "an offset never written"
        );
        assert!(
            restore(&s, "p", &theirs).is_none(),
            "another client's offset"
        );
        assert!(
            restore(&s, "p", &early).is_none(),
            "from before the session"
        );
        assert!(restore(&s, "p", &"9".repeat(10_000)).is_none());
        // None of those took the session.
        assert!(restore(&s, "p", &mine).is_some());
    }

    #[test]
    fn expires_after_the_window() {
        let s = MemorySessionStore::new(ConnectionStateRecovery {
            max_disconnection_duration: Duration::from_millis(30),
            ..ConnectionStateRecovery::default()
        });
        let off = record(&s, "x", &opts(&[], &[]));
        s.persist(session("p", &["a"], None));
        std::thread::sleep(Duration::from_millis(60));
        assert!(restore(&s, "p", &off).is_none());
        let u = s.usage().unwrap();
        assert_eq!((u.sessions, u.packets, u.bytes), (0, 0, 0));
    }

    #[test]
    fn bounded_by_bytes_and_sessions() {
        let s = MemorySessionStore::new(ConnectionStateRecovery {
            max_buffered_bytes: 10_000,
            max_sessions: 100,
            ..ConnectionStateRecovery::default()
        });
        let first = record(&s, "first", &opts(&[], &[]));
        for _ in 0..1000 {
            record(&s, "filler", &opts(&[], &[]));
        }
        let u = s.usage().unwrap();
        assert!(u.bytes <= 10_000 && u.packets < 100, "{u:?}");
        for i in 0..10_000 {
            s.persist(session(&format!("p{i}"), &["a"], None));
        }
        assert_eq!(s.usage().unwrap().sessions, 100);
        s.persist(session("last", &["a"], None));
        // The oldest offset is gone: a fresh session.
        assert!(restore(&s, "last", &first).is_none());
    }
}
