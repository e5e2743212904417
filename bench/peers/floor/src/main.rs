//! The floor of the benchmark: a raw WebSocket server with no Engine.IO or Socket.IO stack that
//! answers the load generator with the bytes it expects, as cheaply as this machine allows.
//!
//! ```text
//! peer-floor [--port N]
//! ```
//!
//! What makes it the floor rather than a server:
//! - one thread (a current-thread runtime), so no cross-thread wake-ups or atomics contention;
//! - one read buffer and one write buffer for the whole process: an idle connection owns no
//!   buffer at all, only its socket, its task and a queue header;
//! - replies are found by byte prefixes (`42<id>["echo",` becomes `43<id>[`), never parsed;
//! - a broadcast is framed once (WebSocket header included) and every recipient gets a
//!   reference-counted handle to the same bytes;
//! - writes are batched per wake-up with one vectored write;
//! - it sends no heartbeat pings (the others send one per connection every 25 s).
//!
//! It speaks enough Engine.IO 4 / Socket.IO 5 for the load generator's WebSocket scenarios
//! (open packet, `40` connect, `2`/`3` heartbeats, `echo`, `broadcast`, `join`, `to-room`) and
//! no long-polling, so the polling scenario has no floor.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, IoSlice};
use std::rc::Rc;

use base64::Engine as _;
use bytes::Bytes;
use sha1::{Digest, Sha1};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Size of the process-wide read buffer.
const SCRATCH: usize = 64 * 1024;
/// Largest frame accepted from a client.
const MAX_FRAME: usize = 1 << 20;
/// RFC 6455 §1.3.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

thread_local! {
    static READ: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
    static WRITE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(SCRATCH));
}

/// One connection as the hub sees it.
struct Conn {
    /// Shared frames (broadcasts) waiting for the connection's task.
    queue: RefCell<Vec<Bytes>>,
    /// Wakes the task when `queue` gets something.
    notify: Notify,
    /// Rooms joined, each a quoted JSON string as received (`"room-7"`).
    rooms: RefCell<Vec<Box<[u8]>>>,
}

impl Conn {
    fn push(&self, frame: &Bytes) {
        self.queue.borrow_mut().push(frame.clone());
        self.notify.notify_one();
    }
}

/// Members of a room: connection id and handle.
type Members = Vec<(u64, Rc<Conn>)>;

#[derive(Default)]
struct Hub {
    conns: RefCell<HashMap<u64, Rc<Conn>>>,
    rooms: RefCell<HashMap<Box<[u8]>, Members>>,
}

impl Hub {
    fn broadcast(&self, frame: Bytes) {
        for conn in self.conns.borrow().values() {
            conn.push(&frame);
        }
    }

    fn to_room(&self, room: &[u8], frame: Bytes) {
        if let Some(members) = self.rooms.borrow().get(room) {
            for (_, conn) in members {
                conn.push(&frame);
            }
        }
    }

    fn join(&self, id: u64, conn: &Rc<Conn>, room: &[u8]) {
        let mut rooms = conn.rooms.borrow_mut();
        if rooms.iter().any(|r| &**r == room) {
            return;
        }
        rooms.push(room.into());
        self.rooms
            .borrow_mut()
            .entry(room.into())
            .or_default()
            .push((id, conn.clone()));
    }

    fn remove(&self, id: u64, conn: &Conn) {
        self.conns.borrow_mut().remove(&id);
        let mut all = self.rooms.borrow_mut();
        for room in conn.rooms.borrow().iter() {
            if let Some(members) = all.get_mut(room) {
                members.retain(|(m, _)| *m != id);
                if members.is_empty() {
                    all.remove(room);
                }
            }
        }
    }
}

/// Appends one unmasked server frame (FIN + `opcode`) made of `parts` to `out`.
fn frame_into(out: &mut Vec<u8>, opcode: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.push(0x80 | opcode);
    if len < 126 {
        out.push(len as u8);
    } else if len <= 0xffff {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    for p in parts {
        out.extend_from_slice(p);
    }
}

fn shared_frame(parts: &[&[u8]]) -> Bytes {
    let mut v = Vec::with_capacity(10 + parts.iter().map(|p| p.len()).sum::<usize>());
    frame_into(&mut v, 1, parts);
    Bytes::from(v)
}

/// A client frame: FIN, opcode, where its payload is, and its whole length.
type Frame = (bool, u8, std::ops::Range<usize>, usize);

/// One complete client frame at the start of `buf`, with the payload unmasked in place;
/// `Ok(None)` when more bytes are needed.
fn parse_frame(buf: &mut [u8]) -> Result<Option<Frame>, ()> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fin = buf[0] & 0x80 != 0;
    let opcode = buf[0] & 0x0f;
    if buf[1] & 0x80 == 0 {
        return Err(()); // RFC 6455 §5.1: client frames are masked
    }
    let (len, mut at) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b) as usize, 10)
        }
        126 | 127 => return Ok(None),
        n => (n as usize, 2),
    };
    if len > MAX_FRAME {
        return Err(());
    }
    if buf.len() < at + 4 + len {
        return Ok(None);
    }
    let mask = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
    at += 4;
    for (i, b) in buf[at..at + len].iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
    Ok(Some((fin, opcode, at..at + len, at + len)))
}

/// What the connection does after a frame.
enum Next {
    Go,
    Close,
}

struct Session {
    id: u64,
    sid: String,
    conn: Rc<Conn>,
    hub: Rc<Hub>,
}

impl Session {
    /// Answers one text message: the Engine.IO/Socket.IO packet found by its prefix.
    fn on_text(&self, p: &[u8], out: &mut Vec<u8>) {
        match p {
            b"2" => frame_into(out, 1, &[b"3"]),
            b"3" => {}
            _ if p.starts_with(b"40") => {
                frame_into(out, 1, &[b"40{\"sid\":\"", self.sid.as_bytes(), b"\"}"])
            }
            _ if p.starts_with(b"42") => self.on_event(&p[2..], out),
            _ => {}
        }
    }

    fn on_event(&self, rest: &[u8], out: &mut Vec<u8>) {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (ack, body) = rest.split_at(digits);
        if let Some(args) = body.strip_prefix(b"[\"echo\",") {
            frame_into(out, 1, &[b"43", ack, b"[", args]);
        } else if let Some(args) = body.strip_prefix(b"[\"broadcast\",") {
            self.hub.broadcast(shared_frame(&[b"42[\"msg\",", args]));
        } else if let Some(args) = body.strip_prefix(b"[\"join\",") {
            if let Some(room) = args.strip_suffix(b"]") {
                self.hub.join(self.id, &self.conn, room);
                frame_into(out, 1, &[b"43", ack, b"[", args]);
            }
        } else if let Some(args) = body.strip_prefix(b"[\"to-room\",") {
            // args = `"room",payload]`: the room is the first JSON string
            if let Some(end) = args.windows(2).position(|w| w == b"\",") {
                let room = &args[..=end];
                self.hub
                    .to_room(room, shared_frame(&[b"42[\"room-message\",", args]));
            }
        }
    }

    /// Handles every complete frame in `buf`; returns how many bytes were used.
    fn on_bytes(&self, buf: &mut [u8], out: &mut Vec<u8>) -> io::Result<(usize, Next)> {
        let mut used = 0;
        loop {
            let frame = parse_frame(&mut buf[used..])
                .map_err(|()| io::Error::new(io::ErrorKind::InvalidData, "bad frame"))?;
            let Some((fin, opcode, range, len)) = frame else {
                return Ok((used, Next::Go));
            };
            let start = used;
            used += len;
            let payload = &buf[start + range.start..start + range.end];
            if !fin {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "fragmented"));
            }
            match opcode {
                1 | 2 => self.on_text(payload, out),
                8 => {
                    frame_into(out, 8, &[]);
                    return Ok((used, Next::Close));
                }
                9 => frame_into(out, 10, &[payload]),
                _ => {}
            }
        }
    }
}

/// Writes `head` then `frames` with vectored writes until done or the socket is full; returns
/// a copy of what is left (empty when all went), so no shared buffer is held while waiting.
fn write_now(stream: &TcpStream, head: &[u8], frames: &[Bytes]) -> io::Result<Vec<u8>> {
    let parts = || std::iter::once(head).chain(frames.iter().map(|f| &f[..]));
    let mut skip = 0usize; // bytes already written, across head and frames
    loop {
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(64);
        let mut offset = skip;
        for part in parts() {
            if offset >= part.len() {
                offset -= part.len();
                continue;
            }
            slices.push(IoSlice::new(&part[offset..]));
            offset = 0;
            if slices.len() == 64 {
                break;
            }
        }
        if slices.is_empty() {
            return Ok(Vec::new());
        }
        match stream.try_write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => skip += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut rest = Vec::new();
                let mut offset = skip;
                for part in parts() {
                    if offset >= part.len() {
                        offset -= part.len();
                        continue;
                    }
                    rest.extend_from_slice(&part[offset..]);
                    offset = 0;
                }
                return Ok(rest);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Waits for the socket to take `rest`.
async fn write_rest(stream: &TcpStream, rest: &[u8]) -> io::Result<()> {
    let mut at = 0;
    while at < rest.len() {
        stream.writable().await?;
        match stream.try_write(&rest[at..]) {
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn write_all(stream: &TcpStream, head: &[u8]) -> io::Result<()> {
    let rest = write_now(stream, head, &[])?;
    write_rest(stream, &rest).await
}

/// Reads the HTTP upgrade request and answers it with the 101 and the Engine.IO open packet.
async fn handshake(stream: &TcpStream, sid: &str) -> io::Result<Vec<u8>> {
    let mut req = Vec::with_capacity(1024);
    let end = loop {
        stream.readable().await?;
        let mut chunk = [0u8; 1024];
        match stream.try_read(&mut chunk) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => req.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
        if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if req.len() > 16 * 1024 {
            return Err(io::ErrorKind::InvalidData.into());
        }
    };
    let head = String::from_utf8_lossy(&req[..end]);
    let key = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_owned())
    });
    let Some(key) = key else {
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        write_all(stream, bad).await?;
        return Err(io::ErrorKind::InvalidData.into());
    };
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(WS_GUID.as_bytes());
    let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes();
    let open = format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\
         \"maxPayload\":1000000}}"
    );
    frame_into(&mut out, 1, &[open.as_bytes()]);
    write_all(stream, &out).await?;
    req.drain(..end);
    Ok(req)
}

async fn serve(stream: TcpStream, hub: Rc<Hub>, id: u64) -> io::Result<()> {
    let sid = format!("floor{id:015}");
    let mut partial = handshake(&stream, &sid).await?;
    partial.shrink_to_fit();
    let conn = Rc::new(Conn {
        queue: RefCell::new(Vec::new()),
        notify: Notify::new(),
        rooms: RefCell::new(Vec::new()),
    });
    hub.conns.borrow_mut().insert(id, conn.clone());
    let session = Session {
        id,
        sid,
        conn,
        hub: hub.clone(),
    };
    let result = run(&stream, &session, partial).await;
    hub.remove(id, &session.conn);
    result
}

async fn run(stream: &TcpStream, s: &Session, mut partial: Vec<u8>) -> io::Result<()> {
    let mut spare: Vec<Bytes> = Vec::new();
    let mut readable = !partial.is_empty();
    loop {
        if !readable {
            tokio::select! {
                biased;
                r = stream.readable() => { r?; readable = true; }
                () = s.conn.notify.notified() => {}
            }
        }
        let mut out = WRITE.take();
        let mut next = Next::Go;
        if readable {
            readable = false;
            let mut buf = READ.take();
            let got = match stream.try_read(&mut buf) {
                Ok(0) => Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                Err(e) => Err(e),
            };
            let handled = got.and_then(|n| {
                // a full buffer means there may be more: come back without waiting
                readable = n == buf.len();
                if partial.is_empty() {
                    let (used, nx) = s.on_bytes(&mut buf[..n], &mut out)?;
                    partial.extend_from_slice(&buf[used..n]);
                    Ok(nx)
                } else {
                    partial.extend_from_slice(&buf[..n]);
                    let (used, nx) = s.on_bytes(&mut partial, &mut out)?;
                    partial.drain(..used);
                    if partial.is_empty() {
                        partial = Vec::new();
                    }
                    Ok(nx)
                }
            });
            READ.set(buf);
            match handled {
                Ok(nx) => next = nx,
                Err(e) => {
                    out.clear();
                    WRITE.set(out);
                    return Err(e);
                }
            }
        }
        let queued = std::mem::replace(&mut *s.conn.queue.borrow_mut(), std::mem::take(&mut spare));
        let result = if out.is_empty() && queued.is_empty() {
            Ok(Vec::new())
        } else {
            write_now(stream, &out, &queued)
        };
        out.clear();
        WRITE.set(out);
        spare = queued;
        spare.clear();
        let rest = result?;
        if !rest.is_empty() {
            write_rest(stream, &rest).await?;
        }
        if let Next::Close = next {
            return Ok(());
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3003);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "floor (raw WebSocket, one thread) listening on http://{}",
            listener.local_addr()?
        );
        let hub = Rc::new(Hub::default());
        let mut next_id = 0u64;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            next_id += 1;
            tokio::task::spawn_local(serve(stream, hub.clone(), next_id));
        }
    })
}
