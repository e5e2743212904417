//! `server_stats`: what this node tells the UI every two seconds, with the engine's counts
//! since the last report (`aggregatedEvents`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use socketio::Server;

/// How often `server_stats` goes out (Node: 2000 ms; the UI calls a server unhealthy after
/// 10 s without one).
pub(crate) const INTERVAL: Duration = Duration::from_secs(2);

/// At most this many distinct `(second, type, subType)` entries wait for the next report;
/// past it, new kinds are dropped (a flood of odd close reasons cannot grow it).
const MAX_BUCKETS: usize = 1024;

/// One entry of `aggregatedEvents`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct AggregatedEvent {
    /// Epoch milliseconds, truncated to the second.
    pub(crate) timestamp: u64,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(rename = "subType", skip_serializing_if = "Option::is_none")]
    pub(crate) sub_type: Option<&'static str>,
    pub(crate) count: u64,
}

/// `(second, type, subType)`.
type BucketKey = (u64, &'static str, Option<&'static str>);

/// The engine's events since the last report. Connections and closes are kept per second,
/// as Node keeps them; message and byte counts are atomics (they happen for every message),
/// reported under the second of the report.
#[derive(Default)]
pub(crate) struct EventBuffer {
    buckets: Mutex<HashMap<BucketKey, u64>>,
    packets_in: AtomicU64,
    bytes_in: AtomicU64,
    packets_out: AtomicU64,
    bytes_out: AtomicU64,
}

fn this_second() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    ms - ms % 1000
}

impl EventBuffer {
    pub(crate) fn push(&self, kind: &'static str, sub_type: Option<&'static str>) {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let key = (this_second(), kind, sub_type);
        if let Some(n) = b.get_mut(&key) {
            *n += 1;
        } else if b.len() < MAX_BUCKETS {
            b.insert(key, 1);
        }
    }

    /// Everything since the last call, oldest first.
    pub(crate) fn drain(&self) -> Vec<AggregatedEvent> {
        let mut out: Vec<AggregatedEvent> = {
            let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            b.drain()
                .map(|((timestamp, kind, sub_type), count)| AggregatedEvent {
                    timestamp,
                    kind,
                    sub_type,
                    count,
                })
                .collect()
        };
        let now = this_second();
        for (kind, counter) in [
            ("packetsIn", &self.packets_in),
            ("bytesIn", &self.bytes_in),
            ("packetsOut", &self.packets_out),
            ("bytesOut", &self.bytes_out),
        ] {
            let count = counter.swap(0, Ordering::Relaxed);
            if count > 0 {
                out.push(AggregatedEvent {
                    timestamp: now,
                    kind,
                    sub_type: None,
                    count,
                });
            }
        }
        out.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.kind.cmp(b.kind)));
        out
    }
}

/// Feeds the [`EventBuffer`] from the engine (Node's `io.engine.on("connection")` listeners).
pub(crate) struct EngineTap(pub(crate) std::sync::Arc<EventBuffer>);

impl engineio::Observer for EngineTap {
    fn on_open(&self, _socket: &engineio::Socket) {
        self.0.push("rawConnection", None);
    }

    fn on_close(&self, _socket: &engineio::Socket, reason: engineio::CloseReason) {
        self.0.push("rawDisconnection", Some(reason.as_str()));
    }

    fn on_message_in(&self, bytes: usize) {
        self.0.packets_in.fetch_add(1, Ordering::Relaxed);
        self.0.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn on_messages_out(&self, count: usize, bytes: usize) {
        self.0
            .packets_out
            .fetch_add(count as u64, Ordering::Relaxed);
        self.0.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

#[derive(Serialize)]
struct NamespaceDetails {
    name: String,
    #[serde(rename = "socketsCount")]
    sockets_count: usize,
}

/// The `server_stats` payload.
#[derive(Serialize)]
pub(crate) struct ServerStats<'a> {
    #[serde(rename = "serverId")]
    server_id: &'a str,
    hostname: &'a str,
    pid: u32,
    /// Seconds, fractional, as Node's `process.uptime()`.
    uptime: f64,
    #[serde(rename = "clientsCount")]
    clients_count: usize,
    #[serde(rename = "pollingClientsCount")]
    polling_clients_count: usize,
    #[serde(rename = "aggregatedEvents")]
    aggregated_events: Vec<AggregatedEvent>,
    namespaces: Vec<NamespaceDetails>,
}

impl<'a> ServerStats<'a> {
    pub(crate) fn collect(
        io: &Server,
        server_id: &'a str,
        hostname: &'a str,
        events: &EventBuffer,
    ) -> Self {
        let (clients_count, polling_clients_count) = match io.engine_if_attached() {
            Some(engine) => {
                let sockets = engine.sockets();
                let polling = sockets
                    .iter()
                    .filter(|s| s.transport() == engineio::TransportKind::Polling)
                    .count();
                (sockets.len(), polling)
            }
            None => (0, 0),
        };
        let mut namespaces: Vec<NamespaceDetails> = io
            .namespaces()
            .into_iter()
            .map(|ns| NamespaceDetails {
                name: ns.name().to_owned(),
                sockets_count: ns.len(),
            })
            .collect();
        namespaces.sort_by(|a, b| a.name.cmp(&b.name));
        ServerStats {
            server_id,
            hostname,
            pid: std::process::id(),
            uptime: io.uptime().as_secs_f64(),
            clients_count,
            polling_clients_count,
            aggregated_events: events.drain(),
            namespaces,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_counts_per_kind_and_empties_on_drain() {
        let b = EventBuffer::default();
        b.push("rawConnection", None);
        b.push("rawConnection", None);
        b.push("rawDisconnection", Some("transport close"));
        b.packets_in.fetch_add(3, Ordering::Relaxed);
        b.bytes_in.fetch_add(42, Ordering::Relaxed);
        let events = b.drain();
        let count = |kind: &str| {
            events
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.count)
                .sum::<u64>()
        };
        assert_eq!(count("rawConnection"), 2);
        assert_eq!(count("rawDisconnection"), 1);
        assert_eq!(count("packetsIn"), 3);
        assert_eq!(count("bytesIn"), 42);
        assert_eq!(count("packetsOut"), 0, "nothing out: no entry");
        assert!(events.iter().all(|e| e.timestamp % 1000 == 0));
        let json = serde_json::to_value(&events).unwrap();
        let closed = json
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "rawDisconnection")
            .unwrap();
        assert_eq!(closed["subType"], "transport close");
        let opened = json
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "rawConnection")
            .unwrap();
        assert!(opened.get("subType").is_none(), "no subType key: {opened}");
        assert!(b.drain().is_empty());
    }

    #[test]
    fn the_buffer_is_bounded() {
        let b = EventBuffer::default();
        // Distinct kinds can only come from our own static strings, but the bound holds.
        let kinds: Vec<&'static str> = (0..2000)
            .map(|i| &*Box::leak(format!("k{i}").into_boxed_str()))
            .collect();
        for k in &kinds {
            b.push(k, None);
        }
        assert!(b.drain().len() <= MAX_BUCKETS);
    }
}
