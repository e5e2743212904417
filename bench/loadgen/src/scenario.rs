//! Scenario drivers: connect the clients, start them together, measure the server over the
//! timed phase only, stop them, and sum up what they saw.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;

use crate::client::{Client, Ctl, Outcome, Phase, Role, Tracker};
use crate::net::{Error, Parser, Target, Ws};
use crate::sys;

/// The scenarios of BENCH-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    Echo,
    Fanout,
    /// Fan-out across the nodes of a cluster: the clients are spread over every `--url`
    /// in turn, and every broadcast must reach all of them. `--window` senders (the first
    /// clients, so spread over the nodes too) each keep one broadcast in flight.
    Cluster,
    Rooms,
    Idle,
    Polling,
}

impl Scenario {
    /// Parses a scenario name.
    pub(crate) fn parse(s: &str) -> Option<Scenario> {
        Some(match s {
            "echo" => Scenario::Echo,
            "fanout" | "fan-out" => Scenario::Fanout,
            "cluster" => Scenario::Cluster,
            "rooms" => Scenario::Rooms,
            "idle" => Scenario::Idle,
            "polling" => Scenario::Polling,
            _ => return None,
        })
    }

    /// Its name in the output.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::Fanout => "fanout",
            Scenario::Cluster => "cluster",
            Scenario::Rooms => "rooms",
            Scenario::Idle => "idle",
            Scenario::Polling => "polling",
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub(crate) scenario: Scenario,
    /// Clients (echo, polling) or connections (fan-out, rooms, idle).
    pub(crate) clients: usize,
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    pub(crate) payload: usize,
    pub(crate) rooms: usize,
    /// Concurrent room senders.
    pub(crate) window: usize,
    /// Handshakes in flight at once while connecting.
    pub(crate) connect_concurrency: usize,
    /// The server processes (every node of a cluster), for their CPU time and memory.
    pub(crate) server_pids: Vec<u32>,
    /// The Redis of a cluster (`HOST:PORT`, loopback), for its traffic and CPU over the phase.
    pub(crate) redis: Option<String>,
    /// The Socket.IO packet codec of the WebSocket clients.
    pub(crate) parser: Parser,
    /// `--deflate`: the clients offer permessage-deflate and inflate what they receive.
    pub(crate) deflate: bool,
}

/// CPU of the server and of the load generator over a span of time.
#[derive(Debug)]
struct Meter {
    pids: Vec<u32>,
    server: Option<f64>,
    own: f64,
    at: Instant,
}

#[derive(Debug)]
struct Measured {
    server_cpu_s: Option<f64>,
    own_cpu_s: f64,
    wall_s: f64,
}

impl Meter {
    fn start(pids: &[u32]) -> Meter {
        Meter {
            pids: pids.to_vec(),
            server: sys::cpu_seconds_all(pids),
            own: sys::own_cpu_seconds().unwrap_or(0.0),
            at: Instant::now(),
        }
    }

    fn stop(self) -> Measured {
        let server = sys::cpu_seconds_all(&self.pids);
        Measured {
            server_cpu_s: match (self.server, server) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            },
            own_cpu_s: sys::own_cpu_seconds().unwrap_or(0.0) - self.own,
            wall_s: self.at.elapsed().as_secs_f64(),
        }
    }
}

/// Result fields shared by every scenario: throughput and CPU per operation.
fn common(out: &mut Map<String, Value>, unit: &str, ops: u64, m: &Measured) {
    record(out, unit, ops, m.server_cpu_s, m.own_cpu_s, m.wall_s);
}

/// Records throughput, the server's CPU per operation and the load generator's CPU use.
pub(crate) fn record(
    out: &mut Map<String, Value>,
    unit: &str,
    ops: u64,
    server_cpu_s: Option<f64>,
    own_cpu_s: f64,
    wall_s: f64,
) {
    out.insert("unit".into(), json!(unit));
    out.insert("ops".into(), json!(ops));
    out.insert("wall_s".into(), json!(round(wall_s, 3)));
    out.insert("ops_per_s".into(), json!(round(ops as f64 / wall_s, 1)));
    if let Some(cpu) = server_cpu_s {
        out.insert("server_cpu_s".into(), json!(round(cpu, 3)));
        out.insert(
            "server_cpu_pct".into(),
            json!(round(100.0 * cpu / wall_s, 1)),
        );
        if ops > 0 {
            out.insert(
                "cpu_us_per_op".into(),
                json!(round(cpu * 1e6 / ops as f64, 3)),
            );
        }
    }
    out.insert(
        "loadgen_cpu_pct".into(),
        json!(round(100.0 * own_cpu_s / wall_s, 1)),
    );
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// p50, p99, p99.9 and max of latencies in microseconds.
pub(crate) fn percentiles(out: &mut Map<String, Value>, prefix: &str, mut us: Vec<u32>) {
    us.sort_unstable();
    let at = |q: f64| -> u32 {
        if us.is_empty() {
            return 0;
        }
        let i = ((us.len() as f64 * q).ceil() as usize).clamp(1, us.len()) - 1;
        us[i]
    };
    out.insert(format!("{prefix}p50_us"), json!(at(0.50)));
    out.insert(format!("{prefix}p99_us"), json!(at(0.99)));
    out.insert(format!("{prefix}p999_us"), json!(at(0.999)));
    out.insert(
        format!("{prefix}max_us"),
        json!(us.last().copied().unwrap_or(0)),
    );
}

/// Connects `n` Socket.IO WebSocket clients, `concurrency` handshakes at a time; client `i`
/// goes to target `i % targets.len()`.
async fn connect_all(
    targets: &[Arc<Target>],
    n: usize,
    concurrency: usize,
    parser: Parser,
    deflate: bool,
) -> (Vec<Ws>, Vec<Error>) {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = JoinSet::new();
    for i in 0..n {
        let target = targets[i % targets.len()].clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, target.socketio_ws(parser, deflate).await)
        });
    }
    let mut slots: Vec<Option<Ws>> = (0..n).map(|_| None).collect();
    let mut errors = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok((i, Ok(ws))) => slots[i] = Some(ws),
            Ok((_, Err(e))) => errors.push(e),
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    (slots.into_iter().flatten().collect(), errors)
}

/// Runs one scenario; the JSON object of its results.
///
/// `targets` is never empty; only the cluster scenario uses more than the first.
pub(crate) async fn run(p: &Params, targets: Vec<Arc<Target>>) -> Map<String, Value> {
    let mut out = Map::new();
    // broadcasts in flight change the figures: a cluster run with more than one is a
    // scenario of its own in the report
    // so is a fan-out with permessage-deflate
    let mut name = p.scenario.name().to_owned();
    if p.deflate {
        name.push_str("-deflate");
    }
    if matches!(p.scenario, Scenario::Cluster | Scenario::Fanout) && p.window > 1 {
        name.push_str(&format!("-w{}", p.window));
    }
    out.insert("scenario".into(), json!(name));
    out.insert("size".into(), json!(p.clients));
    out.insert("parser".into(), json!(p.parser.name()));
    let first = targets[0].clone();
    let mut errors = match p.scenario {
        Scenario::Polling => crate::polling::run(p, first, &mut out).await,
        Scenario::Idle => idle(p, first, &mut out).await,
        Scenario::Cluster => websocket(p, &targets, &mut out).await,
        _ => websocket(p, &targets[..1], &mut out).await,
    };
    if p.deflate {
        let frames = crate::deflate::COMPRESSED_FRAMES.load(Ordering::Relaxed);
        let wire = crate::deflate::COMPRESSED_BYTES.load(Ordering::Relaxed);
        let inflated = crate::deflate::INFLATED_BYTES.load(Ordering::Relaxed);
        out.insert("deflate".into(), json!(true));
        out.insert("compressed_frames".into(), json!(frames));
        out.insert("compressed_bytes".into(), json!(wire));
        out.insert("inflated_bytes".into(), json!(inflated));
        if wire > 0 {
            out.insert(
                "compression_ratio".into(),
                json!(round(inflated as f64 / wire as f64, 2)),
            );
        }
        if frames == 0 && errors.is_empty() {
            errors.push("--deflate: the server compressed no message".to_owned());
        }
    }
    out.insert("errors".into(), json!(errors.len()));
    if let Some(e) = errors.first() {
        out.insert("first_error".into(), json!(e));
    }
    let ok = errors.is_empty()
        && out.get("ops").and_then(Value::as_u64).unwrap_or(0) > 0
        && out.get("missing").and_then(Value::as_u64).unwrap_or(0) == 0
        && out.get("wrong").and_then(Value::as_u64).unwrap_or(0) == 0;
    out.insert("ok".into(), json!(ok));
    out
}

/// Echo, fan-out, cluster and rooms over WebSocket.
async fn websocket(
    p: &Params,
    targets: &[Arc<Target>],
    out: &mut Map<String, Value>,
) -> Vec<Error> {
    let (wss, mut errors) = connect_all(
        targets,
        p.clients,
        p.connect_concurrency,
        p.parser,
        p.deflate,
    )
    .await;
    let n = wss.len();
    let rooms = if p.scenario == Scenario::Rooms {
        p.rooms.max(1)
    } else {
        0
    };
    let mut room_sizes = vec![0u32; rooms];
    for i in 0..n {
        if rooms > 0 {
            room_sizes[i % rooms] += 1;
        }
    }
    let senders = match p.scenario {
        Scenario::Rooms => p.window.clamp(1, n.max(1)),
        Scenario::Fanout | Scenario::Cluster => p.window.clamp(1, n.max(1)),
        _ => 0,
    };
    let tracker = Arc::new(Tracker::new(senders, room_sizes));
    tracker.everyone.store(n as u32, Ordering::Relaxed);
    let joined = Arc::new((AtomicU64::new(0), Notify::new()));
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Wait);
    let mut set = JoinSet::new();
    for (index, ws) in wss.into_iter().enumerate() {
        let role = match p.scenario {
            Scenario::Echo => Role::Echo,
            Scenario::Fanout | Scenario::Cluster if index < senders => Role::FanoutSender(index),
            Scenario::Rooms if index < senders => Role::RoomSender(index),
            _ => Role::Receiver,
        };
        let room = (rooms > 0).then_some(index % rooms.max(1));
        let client = Client {
            role,
            room,
            room_name: room.map(|r| format!("room-{r}")),
            payload_len: p.payload,
            words: p.deflate,
            parser: p.parser,
            tracker: tracker.clone(),
            joined: joined.clone(),
        };
        set.spawn(client.run(ws, ctl_rx.clone()));
    }
    if rooms > 0 {
        let deadline = Instant::now() + Duration::from_secs(120);
        while joined.0.load(Ordering::Relaxed) < n as u64 && Instant::now() < deadline {
            let _ = tokio::time::timeout(Duration::from_millis(100), joined.1.notified()).await;
        }
        let got = joined.0.load(Ordering::Relaxed);
        if got < n as u64 {
            errors.push(format!("only {got} of {n} clients joined their room"));
        }
    }

    let start = Instant::now() + p.warmup;
    let phase = Phase {
        start,
        end: start + p.duration,
    };
    let _ = ctl_tx.send(Ctl::Go(phase));
    tokio::time::sleep_until(phase.start.into()).await;
    let redis_before = match &p.redis {
        Some(addr) => match crate::redis::Stats::read(addr).await {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => None,
    };
    let meter = Meter::start(&p.server_pids);
    tokio::time::sleep_until(phase.end.into()).await;
    let measured = meter.stop();
    let redis_after = match (&p.redis, &redis_before) {
        (Some(addr), Some(_)) => match crate::redis::Stats::read(addr).await {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        _ => None,
    };
    // let the last broadcasts arrive before the clients stop counting; echo clients finish
    // the round trip in flight by themselves
    if p.scenario != Scenario::Echo {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = ctl_tx.send(Ctl::Stop);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(n);
    let deadline = tokio::time::Instant::now() + crate::client::OP_TIMEOUT + Duration::from_secs(2);
    while let Ok(Some(r)) = tokio::time::timeout_at(deadline, set.join_next()).await {
        match r {
            Ok(o) => outcomes.push(o),
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    if !set.is_empty() {
        errors.push(format!("{} clients did not stop", set.len()));
        set.abort_all();
    }
    for o in &mut outcomes {
        if let Some(e) = o.error.take() {
            errors.push(e);
        }
    }
    out.insert("connected".into(), json!(n));

    match p.scenario {
        Scenario::Echo => {
            let ops: u64 = outcomes.iter().map(|o| o.ops).sum();
            common(out, "round trip", ops, &measured);
            let lat: Vec<u32> = outcomes
                .iter_mut()
                .flat_map(|o| std::mem::take(&mut o.latencies_us))
                .collect();
            percentiles(out, "", lat);
        }
        _ => {
            let sent: Vec<_> = outcomes
                .iter()
                .flat_map(|o| o.sent.iter().copied())
                .collect();
            let in_phase: Vec<_> = sent.iter().filter(|s| s.at < phase.end).collect();
            let expected: u64 = in_phase.iter().map(|s| u64::from(s.target)).sum();
            let delivered: u64 = in_phase
                .iter()
                .map(|s| u64::from(tracker.count(s.seq).unwrap_or(0).min(s.target)))
                .sum();
            common(out, "delivery", delivered, &measured);
            out.insert("broadcasts".into(), json!(in_phase.len()));
            if let (Some(a), Some(b)) = (&redis_before, &redis_after) {
                crate::redis::record(out, a, b, in_phase.len() as u64);
            }
            if targets.len() > 1 {
                out.insert("nodes".into(), json!(targets.len()));
            }
            out.insert("expected".into(), json!(expected));
            out.insert("missing".into(), json!(expected - delivered));
            out.insert(
                "incomplete".into(),
                json!(in_phase.iter().filter(|s| s.reach_all.is_none()).count()),
            );
            out.insert("stray".into(), json!(tracker.stray.load(Ordering::Relaxed)));
            out.insert("wrong".into(), json!(tracker.wrong.load(Ordering::Relaxed)));
            let reach: Vec<u32> = in_phase
                .iter()
                .filter_map(|s| s.reach_all)
                .map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX))
                .collect();
            percentiles(out, "reach_all_", reach);
            if rooms > 0 {
                out.insert("rooms".into(), json!(rooms));
                out.insert("senders".into(), json!(senders));
            }
        }
    }
    errors
}

/// Idle connections: setups per second and server CPU per setup while connecting, then the
/// server's resident memory per connection once they have been held for `--duration`.
async fn idle(p: &Params, target: Arc<Target>, out: &mut Map<String, Value>) -> Vec<Error> {
    let pid = p.server_pids.first().copied();
    let rss_before = pid.and_then(|p| sys::rss_kib(p).ok());
    let meter = Meter::start(&p.server_pids);
    let (wss, mut errors) = connect_all(
        &[target],
        p.clients,
        p.connect_concurrency,
        p.parser,
        p.deflate,
    )
    .await;
    let measured = meter.stop();
    let n = wss.len();
    common(out, "connection setup", n as u64, &measured);
    out.insert("connected".into(), json!(n));
    out.insert(
        "setups_per_s".into(),
        json!(round(n as f64 / measured.wall_s, 1)),
    );

    let tracker = Arc::new(Tracker::new(0, Vec::new()));
    let joined = Arc::new((AtomicU64::new(0), Notify::new()));
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Wait);
    let mut set = JoinSet::new();
    for ws in wss {
        let client = Client {
            role: Role::Receiver,
            room: None,
            room_name: None,
            payload_len: p.payload,
            words: p.deflate,
            parser: p.parser,
            tracker: tracker.clone(),
            joined: joined.clone(),
        };
        set.spawn(client.run(ws, ctl_rx.clone()));
    }
    tokio::time::sleep(p.duration).await;
    let rss_after = pid.and_then(|p| sys::rss_kib(p).ok());
    // clients that left early are reported; the others stop now
    let still = set.len();
    let _ = ctl_tx.send(Ctl::Stop);
    while let Some(r) = set.join_next().await {
        match r {
            Ok(o) => {
                if let Some(e) = o.error {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        out.insert("rss_before_kib".into(), json!(a));
        out.insert("rss_after_kib".into(), json!(b));
        if n > 0 {
            out.insert(
                "rss_per_conn_bytes".into(),
                json!(round((b as f64 - a as f64) * 1024.0 / n as f64, 0)),
            );
        }
    }
    out.insert("held".into(), json!(still));
    errors
}
