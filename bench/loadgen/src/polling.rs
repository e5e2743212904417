//! The polling scenario: Socket.IO clients on HTTP long-polling only, each with one connection
//! for its pending `GET` and one for its `POST`s, playing echo.
//!
//! Engine.IO 4 polling: the handshake `GET` answers `0{"sid":..}`; packets in a body are
//! separated by `\x1e`; a session has at most one `POST` in flight, so a pong waits for the
//! echo's `POST` to be answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{payload, Ctl, Outcome, Phase, OP_TIMEOUT};
use crate::net::{clip, Error, Http, Target};
use crate::scenario::{percentiles, record, Params};

/// One connected polling client: its `POST` connection, its session path and the packets its
/// `GET` loop receives.
#[derive(Debug)]
struct Session {
    post: Http,
    path: String,
    packets: mpsc::UnboundedReceiver<Result<Vec<u8>, Error>>,
    getter: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.getter.abort();
    }
}

/// Runs the scenario; fills `out`, returns the errors.
pub(crate) async fn run(
    p: &Params,
    target: Arc<Target>,
    out: &mut Map<String, Value>,
) -> Vec<Error> {
    let mut errors = Vec::new();
    let mut connecting = JoinSet::new();
    for _ in 0..p.clients {
        let target = target.clone();
        connecting.spawn(async move { open(&target).await });
    }
    let mut sessions = Vec::new();
    while let Some(r) = connecting.join_next().await {
        match r {
            Ok(Ok(s)) => sessions.push(s),
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    let n = sessions.len();
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Wait);
    let mut set = JoinSet::new();
    for s in sessions {
        set.spawn(echo(s, p.payload, ctl_rx.clone()));
    }
    let start = Instant::now() + p.warmup;
    let phase = Phase {
        start,
        end: start + p.duration,
    };
    let _ = ctl_tx.send(Ctl::Go(phase));
    tokio::time::sleep_until(start.into()).await;
    let server0 = crate::sys::cpu_seconds_all(&p.server_pids);
    let own0 = crate::sys::own_cpu_seconds().unwrap_or(0.0);
    tokio::time::sleep_until(phase.end.into()).await;
    let server1 = crate::sys::cpu_seconds_all(&p.server_pids);
    let own1 = crate::sys::own_cpu_seconds().unwrap_or(0.0);
    let wall = phase.end.duration_since(phase.start).as_secs_f64();

    let mut ops = 0;
    let mut lat = Vec::new();
    let deadline = tokio::time::Instant::now() + OP_TIMEOUT + Duration::from_secs(2);
    while let Ok(Some(r)) = tokio::time::timeout_at(deadline, set.join_next()).await {
        match r {
            Ok(o) => {
                ops += o.ops;
                lat.extend(o.latencies_us);
                if let Some(e) = o.error {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    if !set.is_empty() {
        errors.push(format!("{} clients did not stop", set.len()));
        set.abort_all();
    }
    out.insert("connected".into(), json!(n));
    let server_cpu = server0.zip(server1).map(|(a, b)| b - a);
    record(out, "round trip", ops, server_cpu, own1 - own0, wall);
    percentiles(out, "", lat);
    errors
}

/// Handshake over polling: open packet, `40` posted, the namespace's `40` received.
async fn open(target: &Target) -> Result<Session, Error> {
    let mut get = Http::connect(target).await?;
    let mut post = Http::connect(target).await?;
    let (status, body) = get.get(&target.query("polling", None)).await?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if status != 200 || !text.starts_with("0{") {
        return Err(format!("polling handshake: {status} {}", clip(&text)));
    }
    let sid = text
        .split_once("\"sid\":\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(sid, _)| sid.to_owned())
        .ok_or_else(|| format!("no sid in {}", clip(&text)))?;
    let path = target.query("polling", Some(&sid));
    let (status, body) = post.post(&path, b"40").await?;
    if status != 200 {
        return Err(format!(
            "POST 40: {status} {}",
            clip(&String::from_utf8_lossy(&body))
        ));
    }
    let (tx, packets) = mpsc::unbounded_channel();
    let get_path = path.clone();
    let getter = tokio::spawn(async move {
        loop {
            let r = match get.get(&get_path).await {
                Ok((200, body)) => Ok(body),
                Ok((status, body)) => Err(format!(
                    "GET: {status} {}",
                    clip(&String::from_utf8_lossy(&body))
                )),
                Err(e) => Err(e),
            };
            let failed = r.is_err();
            if tx.send(r).is_err() || failed {
                return;
            }
        }
    });
    // from here on, dropping the session stops its GET loop
    let mut session = Session {
        post,
        path,
        packets,
        getter,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let body = tokio::time::timeout_at(deadline, session.packets.recv())
            .await
            .map_err(|_| "no connect packet within 30 s".to_owned())?
            .ok_or_else(|| "polling GET loop ended".to_owned())??;
        if body.split(|b| *b == 0x1e).any(|p| p.starts_with(b"40")) {
            return Ok(session);
        }
    }
}

/// Echo round trips over polling until the phase ends.
async fn echo(mut s: Session, payload_len: usize, mut ctl: watch::Receiver<Ctl>) -> Outcome {
    let mut out = Outcome::default();
    let phase = loop {
        if let Ctl::Go(phase) = *ctl.borrow_and_update() {
            break phase;
        }
        if ctl.changed().await.is_err() {
            return out;
        }
    };
    if let Err(e) = echo_loop(&mut s, payload_len, phase, &mut out).await {
        out.error = Some(e);
    }
    out
}

async fn echo_loop(
    s: &mut Session,
    payload_len: usize,
    phase: Phase,
    out: &mut Outcome,
) -> Result<(), Error> {
    let mut id = 1u64;
    let mut pong = false;
    loop {
        let t0 = Instant::now();
        if t0 >= phase.end {
            return Ok(());
        }
        id += 1;
        let data = payload(id, payload_len);
        let frame = format!("42{id}[\"echo\",\"{data}\"]");
        let expected = format!("43{id}[\"{data}\"]");
        let (status, body) = s.post.post(&s.path, frame.as_bytes()).await?;
        if status != 200 {
            return Err(format!(
                "POST: {status} {}",
                clip(&String::from_utf8_lossy(&body))
            ));
        }
        let deadline = tokio::time::Instant::from_std(t0 + OP_TIMEOUT);
        let mut acked = false;
        while !acked {
            let body = tokio::time::timeout_at(deadline, s.packets.recv())
                .await
                .map_err(|_| "echo: no ack within 5 s".to_owned())?
                .ok_or_else(|| "polling GET loop ended".to_owned())??;
            for packet in body.split(|b| *b == 0x1e) {
                if packet == expected.as_bytes() {
                    acked = true;
                } else if packet == b"2" {
                    pong = true;
                } else if packet.starts_with(b"1") {
                    return Err("engine.io close packet".to_owned());
                } else if packet.starts_with(b"43") {
                    return Err(format!(
                        "echo: unexpected ack {}",
                        clip(&String::from_utf8_lossy(packet))
                    ));
                }
            }
        }
        let t1 = Instant::now();
        if t0 >= phase.start && t1 <= phase.end {
            out.ops += 1;
            out.latencies_us
                .push(u32::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u32::MAX));
        }
        if std::mem::take(&mut pong) {
            s.post.post(&s.path, b"3").await?;
        }
    }
}
