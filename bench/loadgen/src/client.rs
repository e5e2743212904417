//! One WebSocket client's life in a scenario: join its room, wait for the start, play its role
//! (echo, fan-out sender, room sender or plain receiver), answer every ping, count every
//! delivery, stop when told.
//!
//! Wire formats (Socket.IO 5 over Engine.IO 4, text frames):
//! - echo: `42<id>["echo","<payload>"]`, answered by exactly `43<id>["<payload>"]`;
//! - fan-out: `42["broadcast","<payload>"]`, delivered as `42["msg","<payload>"]`;
//! - rooms: `42<id>["join","room-K"]` acked by `43<id>["room-K"]`, then
//!   `42["to-room","room-K","<payload>"]` delivered as `42["room-message","room-K","<payload>"]`.
//!
//! With `--parser msgpack` the same packets, each one binary frame of socket.io-msgpack-parser
//! (see [`crate::msgpack`]): `{type: 2, data: ["echo", "<payload>"], nsp: "/", id}` answered
//! by `{type: 3, data: ["<payload>"], nsp: "/", id}`, and so on; pings stay text.
//!
//! A payload is a JSON string of `--payload` bytes whose first 16 are the decimal sequence
//! number of the broadcast, so each delivery is counted against the broadcast it belongs to.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{watch, Notify};
use tokio::time::timeout_at;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

use crate::msgpack;
use crate::net::{clip, Error, Parser, Ws};

/// How long a round trip or a broadcast may take before it is counted as lost.
pub(crate) const OP_TIMEOUT: Duration = Duration::from_secs(5);

/// The timed phase: operations started before `start` are warm-up, none start after `end`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phase {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
}

/// What the scenario driver tells every client.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ctl {
    /// Connected: keep answering pings.
    Wait,
    /// Play the role within the phase.
    Go(Phase),
    /// Leave.
    Stop,
}

/// The part a client plays once told to go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    /// Only receives (answers pings, counts deliveries).
    Receiver,
    /// Emits `echo` with an ack and waits for it, again and again.
    Echo,
    /// Emits `broadcast` and waits until every client got it, again and again; the number
    /// picks the sender's completion signal (the cluster scenario has several senders).
    FanoutSender(usize),
    /// Emits `to-room` to a random room and waits until the whole room got it, again and
    /// again; the number picks the sender's completion signal and seeds its choice of rooms.
    RoomSender(usize),
}

/// The `--payload` bytes long payload of sequence number `seq`.
pub(crate) fn payload(seq: u64, len: usize) -> String {
    let mut s = format!("{seq:016}");
    while s.len() < len {
        s.push('x');
    }
    s
}

/// [`payload`] as text (`--deflate`): after the sequence number, words drawn from a small
/// vocabulary, the same for a given `seq` on every server; compressible as prose is.
pub(crate) fn payload_words(seq: u64, len: usize) -> String {
    const WORDS: [&str; 32] = [
        "the",
        "socket",
        "server",
        "sends",
        "every",
        "client",
        "a",
        "message",
        "of",
        "text",
        "and",
        "room",
        "event",
        "with",
        "payload",
        "to",
        "broadcast",
        "all",
        "its",
        "namespace",
        "when",
        "engine",
        "packet",
        "is",
        "ready",
        "for",
        "delivery",
        "over",
        "websocket",
        "frame",
        "ack",
        "data",
    ];
    let mut s = format!("{seq:016}");
    let mut rng = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while s.len() < len {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        s.push(' ');
        s.push_str(WORDS[(rng % WORDS.len() as u64) as usize]);
    }
    s.truncate(len);
    s
}

/// One slot of the delivery tracker.
#[derive(Debug, Default)]
struct Slot {
    seq: AtomicU64,
    count: AtomicU32,
    target: AtomicU32,
    owner: AtomicU32,
}

/// Counts deliveries per broadcast and tells the sender when all recipients have it.
#[derive(Debug)]
pub(crate) struct Tracker {
    slots: Vec<Slot>,
    done: Vec<Notify>,
    /// Every delivery seen, in phase or not.
    pub(crate) deliveries: AtomicU64,
    /// Deliveries of a broadcast no longer tracked (late beyond the ring) or unknown.
    pub(crate) stray: AtomicU64,
    /// Room messages that reached a client outside the room, or malformed deliveries.
    pub(crate) wrong: AtomicU64,
    /// Next sequence number.
    next_seq: AtomicU64,
    /// Members of each room, for the rooms scenario.
    pub(crate) room_sizes: Vec<u32>,
    /// Clients connected, sender included: the recipients of a fan-out broadcast.
    pub(crate) everyone: AtomicU32,
}

impl Tracker {
    /// A tracker for `senders` concurrent senders.
    pub(crate) fn new(senders: usize, room_sizes: Vec<u32>) -> Tracker {
        Tracker {
            slots: (0..1 << 16).map(|_| Slot::default()).collect(),
            done: (0..senders.max(1)).map(|_| Notify::new()).collect(),
            deliveries: AtomicU64::new(0),
            stray: AtomicU64::new(0),
            wrong: AtomicU64::new(0),
            next_seq: AtomicU64::new(1),
            room_sizes,
            everyone: AtomicU32::new(0),
        }
    }

    fn slot(&self, seq: u64) -> &Slot {
        &self.slots[(seq as usize) & (self.slots.len() - 1)]
    }

    fn open(&self, owner: usize, target: u32) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let slot = self.slot(seq);
        slot.count.store(0, Ordering::Relaxed);
        slot.target.store(target, Ordering::Relaxed);
        slot.owner.store(owner as u32, Ordering::Relaxed);
        slot.seq.store(seq, Ordering::Release);
        seq
    }

    fn deliver(&self, seq: u64) {
        self.deliveries.fetch_add(1, Ordering::Relaxed);
        let slot = self.slot(seq);
        if slot.seq.load(Ordering::Acquire) != seq {
            self.stray.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let count = slot.count.fetch_add(1, Ordering::Relaxed) + 1;
        if count == slot.target.load(Ordering::Relaxed) {
            let owner = slot.owner.load(Ordering::Relaxed) as usize;
            if let Some(n) = self.done.get(owner) {
                n.notify_one();
            }
        }
    }

    /// Deliveries so far of broadcast `seq`, if still tracked.
    pub(crate) fn count(&self, seq: u64) -> Option<u32> {
        let slot = self.slot(seq);
        (slot.seq.load(Ordering::Acquire) == seq).then(|| slot.count.load(Ordering::Relaxed))
    }
}

/// One broadcast sent by a sender.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sent {
    pub(crate) seq: u64,
    pub(crate) target: u32,
    pub(crate) at: Instant,
    /// Time until the last recipient had it, if all did within [`OP_TIMEOUT`].
    pub(crate) reach_all: Option<Duration>,
}

/// What a client brings back.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Round trips completed within the phase (echo).
    pub(crate) ops: u64,
    /// Their latencies in microseconds.
    pub(crate) latencies_us: Vec<u32>,
    /// Broadcasts sent (senders).
    pub(crate) sent: Vec<Sent>,
    /// Why the client stopped early, if it did.
    pub(crate) error: Option<Error>,
}

/// A client's fixed context.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) role: Role,
    /// The room joined before the start (rooms scenario): `room-K`.
    pub(crate) room: Option<usize>,
    /// Its name.
    pub(crate) room_name: Option<String>,
    pub(crate) payload_len: usize,
    /// Payloads of words ([`payload_words`]) rather than `x`s.
    pub(crate) words: bool,
    /// The Socket.IO packet codec.
    pub(crate) parser: Parser,
    pub(crate) tracker: Arc<Tracker>,
    /// Counts clients that have joined their room.
    pub(crate) joined: Arc<(AtomicU64, Notify)>,
}

impl Client {
    /// The payload of sequence number `seq`.
    fn payload(&self, seq: u64) -> String {
        if self.words {
            payload_words(seq, self.payload_len)
        } else {
            payload(seq, self.payload_len)
        }
    }

    /// Runs the client until told to stop or until it fails.
    pub(crate) async fn run(self, mut ws: Ws, mut ctl: watch::Receiver<Ctl>) -> Outcome {
        let mut out = Outcome::default();
        if let Err(e) = self.life(&mut ws, &mut ctl, &mut out).await {
            out.error = Some(e);
        }
        out
    }

    async fn life(
        &self,
        ws: &mut Ws,
        ctl: &mut watch::Receiver<Ctl>,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        if let Some(room) = self.room {
            self.join(ws, room).await?;
        }
        let phase = loop {
            let now = *ctl.borrow_and_update();
            match now {
                Ctl::Go(phase) => break phase,
                Ctl::Stop => return Ok(()),
                Ctl::Wait => {}
            }
            tokio::select! {
                r = ctl.changed() => if r.is_err() { return Ok(()) },
                m = ws.next() => self.on_message(ws, m).await?,
            }
        };
        match self.role {
            Role::Receiver => {}
            Role::Echo => self.echo(ws, phase, out).await?,
            Role::FanoutSender(_) | Role::RoomSender(_) => self.send(ws, phase, out).await?,
        }
        loop {
            if let Ctl::Stop = *ctl.borrow_and_update() {
                return Ok(());
            }
            tokio::select! {
                r = ctl.changed() => if r.is_err() { return Ok(()) },
                m = ws.next() => self.on_message(ws, m).await?,
            }
        }
    }

    async fn join(&self, ws: &mut Ws, room: usize) -> Result<(), Error> {
        let name = format!("room-{room}");
        let (frame, expected) = match self.parser {
            Parser::Text => (
                Message::text(format!("421[\"join\",\"{name}\"]")),
                format!("431[\"{name}\"]"),
            ),
            Parser::MsgPack => (
                Message::binary(msgpack::event(Some(1), &["join", &name])),
                String::new(),
            ),
        };
        ws.send(frame).await.map_err(|e| format!("send: {e}"))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let acked = match timeout_at(deadline, ws.next()).await {
                Err(_) => return Err("join: no ack within 60 s".to_owned()),
                Ok(m) => match self.frame(m)? {
                    None => false,
                    Some(Frame::Text(text)) if text.as_str() == expected => true,
                    Some(Frame::Text(text)) => {
                        self.on_text(ws, &text).await?;
                        false
                    }
                    Some(Frame::Binary(b)) => {
                        if self.msgpack_ack(&b, 1, &name, "join")? {
                            true
                        } else {
                            self.on_binary(&b)?;
                            false
                        }
                    }
                },
            };
            if acked {
                let (count, notify) = &*self.joined;
                count.fetch_add(1, Ordering::Relaxed);
                notify.notify_one();
                return Ok(());
            }
        }
    }

    /// Echo round trips until the phase ends.
    async fn echo(&self, ws: &mut Ws, phase: Phase, out: &mut Outcome) -> Result<(), Error> {
        let mut id = 1u64;
        loop {
            let t0 = Instant::now();
            if t0 >= phase.end {
                return Ok(());
            }
            id += 1;
            let data = self.payload(id);
            let (frame, expected) = match self.parser {
                Parser::Text => (
                    Message::text(format!("42{id}[\"echo\",\"{data}\"]")),
                    format!("43{id}[\"{data}\"]"),
                ),
                Parser::MsgPack => (
                    Message::binary(msgpack::event(Some(id), &["echo", &data])),
                    String::new(),
                ),
            };
            ws.send(frame).await.map_err(|e| format!("send: {e}"))?;
            let deadline = tokio::time::Instant::from_std(t0 + OP_TIMEOUT);
            loop {
                let frame = match timeout_at(deadline, ws.next()).await {
                    Err(_) => return Err("echo: no ack within 5 s".to_owned()),
                    Ok(m) => match self.frame(m)? {
                        Some(f) => f,
                        None => continue,
                    },
                };
                match frame {
                    Frame::Text(text) => {
                        if text.as_str() == expected {
                            break;
                        }
                        if text.starts_with("43") {
                            return Err(format!("echo: unexpected ack {}", clip(&text)));
                        }
                        self.on_text(ws, &text).await?;
                    }
                    Frame::Binary(b) => {
                        if self.msgpack_ack(&b, id, &data, "echo")? {
                            break;
                        }
                        self.on_binary(&b)?;
                    }
                }
            }
            let t1 = Instant::now();
            if t0 >= phase.start && t1 <= phase.end {
                out.ops += 1;
                let us = t1.duration_since(t0).as_micros();
                out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
        }
    }

    /// Broadcasts (fan-out or to a room), one at a time, until the phase ends.
    async fn send(&self, ws: &mut Ws, phase: Phase, out: &mut Outcome) -> Result<(), Error> {
        let tracker = self.tracker.clone();
        let (owner, mut rng) = match self.role {
            Role::RoomSender(k) => (k, 0x9E37_79B9_7F4A_7C15_u64 ^ (k as u64 + 1)),
            Role::FanoutSender(k) => (k, 1),
            _ => (0, 1),
        };
        let rooms = tracker.room_sizes.len();
        loop {
            let t0 = Instant::now();
            if t0 >= phase.end {
                return Ok(());
            }
            let (frame, seq, target) = if rooms > 0 {
                // xorshift64: no dependency, and the same sequence of rooms on every server
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let room = (rng % rooms as u64) as usize;
                let target = tracker.room_sizes[room];
                let seq = tracker.open(owner, target);
                let data = self.payload(seq);
                let frame = match self.parser {
                    Parser::Text => {
                        Message::text(format!("42[\"to-room\",\"room-{room}\",\"{data}\"]"))
                    }
                    Parser::MsgPack => Message::binary(msgpack::event(
                        None,
                        &["to-room", &format!("room-{room}"), &data],
                    )),
                };
                (frame, seq, target)
            } else {
                let target = tracker.everyone.load(Ordering::Relaxed);
                let seq = tracker.open(owner, target);
                let data = self.payload(seq);
                let frame = match self.parser {
                    Parser::Text => Message::text(format!("42[\"broadcast\",\"{data}\"]")),
                    Parser::MsgPack => Message::binary(msgpack::event(None, &["broadcast", &data])),
                };
                (frame, seq, target)
            };
            ws.send(frame).await.map_err(|e| format!("send: {e}"))?;
            let deadline = tokio::time::Instant::from_std(t0 + OP_TIMEOUT);
            let done = &tracker.done[owner.min(tracker.done.len() - 1)];
            let reach_all = loop {
                if tracker.count(seq).is_some_and(|c| c >= target) {
                    break Some(t0.elapsed());
                }
                tokio::select! {
                    biased;
                    () = done.notified() => {}
                    m = ws.next() => self.on_message(ws, m).await?,
                    () = tokio::time::sleep_until(deadline) => break None,
                }
            };
            if t0 >= phase.start {
                out.sent.push(Sent {
                    seq,
                    target,
                    at: t0,
                    reach_all,
                });
            }
        }
    }

    /// The text or (msgpack parser) binary frame of a message, `None` for frames to skip; an
    /// error when the socket ended.
    fn frame(
        &self,
        m: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<Option<Frame>, Error> {
        match m {
            None => Err("closed by the server".to_owned()),
            Some(Err(e)) => Err(format!("websocket: {e}")),
            Some(Ok(Message::Text(t))) => Ok(Some(Frame::Text(t))),
            Some(Ok(Message::Binary(b))) if self.parser == Parser::MsgPack => {
                Ok(Some(Frame::Binary(b)))
            }
            Some(Ok(Message::Close(_))) => Err("closed by the server".to_owned()),
            Some(Ok(_)) => Ok(None),
        }
    }

    async fn on_message(
        &self,
        ws: &mut Ws,
        m: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), Error> {
        match self.frame(m)? {
            Some(Frame::Text(t)) => self.on_text(ws, &t).await,
            Some(Frame::Binary(b)) => self.on_binary(&b),
            None => Ok(()),
        }
    }

    /// Whether the msgpack frame `b` is the ack `id` of `what` carrying exactly `[want]`; an
    /// error for any other ack.
    fn msgpack_ack(&self, b: &[u8], id: u64, want: &str, what: &str) -> Result<bool, Error> {
        let Some(p) = msgpack::Packet::decode(b) else {
            return Ok(false);
        };
        if p.kind != msgpack::ACK {
            return Ok(false);
        }
        let mut args: [&[u8]; 2] = [b""; 2];
        if p.id == Some(id)
            && p.nsp == b"/"
            && p.strings(&mut args) == Some(1)
            && args[0] == want.as_bytes()
        {
            return Ok(true);
        }
        Err(format!(
            "{what}: unexpected ack {:?} {}",
            p.id,
            clip(&String::from_utf8_lossy(p.data.unwrap_or_default()))
        ))
    }

    /// A msgpack packet other than an awaited ack: deliveries, and anything else the server
    /// sends (ignored, as in [`Client::on_text`]).
    fn on_binary(&self, b: &[u8]) -> Result<(), Error> {
        let Some(p) = msgpack::Packet::decode(b) else {
            return Err(format!(
                "malformed msgpack packet {}",
                clip(&String::from_utf8_lossy(b))
            ));
        };
        match p.kind {
            msgpack::DISCONNECT => return Err("socket.io disconnect packet".to_owned()),
            msgpack::EVENT => {}
            _ => return Ok(()),
        }
        let mut args: [&[u8]; 4] = [b""; 4];
        let Some(n) = p.strings(&mut args) else {
            return Ok(());
        };
        // With connection state recovery on, the server appends an offset (a short string)
        // as the last argument, as in the text path.
        let offset_ok = |extra: &[&[u8]]| match extra {
            [] => true,
            [o] => o.iter().all(u8::is_ascii_alphanumeric),
            _ => false,
        };
        match (args[0], n) {
            (b"msg", 2..=3) if offset_ok(&args[2..n]) => {
                self.count(self.seq_of(args[1]), None);
            }
            (b"room-message", 3..=4) if offset_ok(&args[3..n]) => {
                match std::str::from_utf8(args[1]) {
                    Ok(room) => self.count(self.seq_of(args[2]), Some(room)),
                    Err(_) => {
                        self.tracker.wrong.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            (b"msg" | b"room-message", _) => {
                self.tracker.wrong.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        Ok(())
    }

    /// The sequence number of an exact payload.
    fn seq_of(&self, payload: &[u8]) -> Option<u64> {
        if payload.len() != self.payload_len {
            return None;
        }
        std::str::from_utf8(payload.get(..16)?).ok()?.parse().ok()
    }

    /// Pings, deliveries, and anything else the server sends (ignored: our fixture emits an
    /// `auth` event on connect).
    async fn on_text(&self, ws: &mut Ws, text: &str) -> Result<(), Error> {
        if text == "2" {
            return ws
                .send(Message::text("3"))
                .await
                .map_err(|e| format!("send: {e}"));
        }
        if text.starts_with('1') {
            return Err("engine.io close packet".to_owned());
        }
        if text.starts_with("41") {
            return Err("socket.io disconnect packet".to_owned());
        }
        if let Some(rest) = text.strip_prefix("42[\"msg\",\"") {
            self.delivered(rest, None);
        } else if let Some(rest) = text.strip_prefix("42[\"room-message\",\"") {
            match rest.split_once("\",\"") {
                Some((room, rest)) => self.delivered(rest, Some(room)),
                None => {
                    self.tracker.wrong.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }

    /// Counts one delivery whose payload (and closing `"]`) is `rest`.
    fn delivered(&self, rest: &str, room: Option<&str>) {
        // With connection state recovery on, the server appends an offset (a short string)
        // as the last argument: `<payload>","<offset>"]`.
        let seq = rest
            .strip_suffix("\"]")
            .map(|p| match p.get(self.payload_len..) {
                Some(tail)
                    if tail
                        .strip_prefix("\",\"")
                        .is_some_and(|o| o.bytes().all(|b| b.is_ascii_alphanumeric())) =>
                {
                    &p[..self.payload_len]
                }
                _ => p,
            })
            .filter(|p| p.len() == self.payload_len)
            .and_then(|p| p.get(..16))
            .and_then(|d| d.parse::<u64>().ok());
        self.count(seq, room);
    }

    /// Counts one delivery of broadcast `seq` (`None`: malformed) to `room`, if a room message.
    fn count(&self, seq: Option<u64>, room: Option<&str>) {
        let in_room = match (room, &self.room_name) {
            (None, _) => true,
            (Some(r), Some(mine)) => r == mine,
            (Some(_), None) => false,
        };
        match seq {
            Some(seq) if in_room => self.tracker.deliver(seq),
            _ => {
                self.tracker.wrong.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A frame of the server that a client looks at.
enum Frame {
    Text(Utf8Bytes),
    /// Only with the msgpack parser (a text client skips binary frames).
    Binary(Bytes),
}

#[cfg(test)]
mod tests {
    use super::{payload, payload_words, Tracker};

    #[test]
    fn payload_carries_its_sequence_number() {
        for p in [
            payload(42, 64),
            payload_words(42, 64),
            payload_words(42, 2048),
        ] {
            assert!(p.len() == 64 || p.len() == 2048);
            assert_eq!(p.get(..16).and_then(|d| d.parse::<u64>().ok()), Some(42));
            assert!(!p.contains(['"', '\\']));
        }
        assert_eq!(payload_words(7, 100), payload_words(7, 100));
    }

    #[test]
    fn tracker_counts_deliveries_and_strays() {
        let t = Tracker::new(1, Vec::new());
        let seq = t.open(0, 2);
        t.deliver(seq);
        assert_eq!(t.count(seq), Some(1));
        t.deliver(seq);
        assert_eq!(t.count(seq), Some(2));
        t.deliver(seq + 1000);
        assert_eq!(t.stray.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(t.deliveries.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}
