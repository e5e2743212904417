//! The client side of `socket.io-msgpack-parser` 3.x (`--parser msgpack`): every Socket.IO
//! packet is one binary WebSocket frame holding one MessagePack map `{type, data, nsp, id?}`
//! (`type` 0..=4, binary data inline), while Engine.IO's own packets (open, ping, pong, close)
//! stay text frames.
//!
//! Only what the scenarios send and receive: CONNECT and events written, packets read without
//! building any value (the map's fields are slices of the frame), in whatever key order the
//! server writes them (ours: `type, data, id?, nsp`, an ACK's `id` first; socketioxide: `type,
//! nsp, data, id?`; Node: the order its packet object was built in).

/// Socket.IO packet types.
pub(crate) const CONNECT: u64 = 0;
pub(crate) const DISCONNECT: u64 = 1;
pub(crate) const EVENT: u64 = 2;
pub(crate) const ACK: u64 = 3;
pub(crate) const CONNECT_ERROR: u64 = 4;

/// `{type: 0, nsp: "/"}`: the client's CONNECT to the main namespace.
pub(crate) fn connect() -> Vec<u8> {
    let mut out = Vec::with_capacity(12);
    map_len(&mut out, 2);
    str(&mut out, "type");
    uint(&mut out, CONNECT);
    str(&mut out, "nsp");
    str(&mut out, "/");
    out
}

/// `{type: 2, data: [args...], nsp: "/", id?}`: an event (`args[0]` its name) to the main
/// namespace, with an ack id when `id` is given.
pub(crate) fn event(id: Option<u64>, args: &[&str]) -> Vec<u8> {
    let len: usize = args.iter().map(|a| a.len() + 5).sum();
    let mut out = Vec::with_capacity(24 + len);
    map_len(&mut out, if id.is_some() { 4 } else { 3 });
    str(&mut out, "type");
    uint(&mut out, EVENT);
    str(&mut out, "data");
    array_len(&mut out, args.len());
    for a in args {
        str(&mut out, a);
    }
    str(&mut out, "nsp");
    str(&mut out, "/");
    if let Some(id) = id {
        str(&mut out, "id");
        uint(&mut out, id);
    }
    out
}

fn map_len(out: &mut Vec<u8>, n: usize) {
    // the packets written here have at most 4 keys
    out.push(0x80 | (n as u8 & 0x0f));
}

fn array_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x90 | n as u8);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(0xdc);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend_from_slice(&[0xd9, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(0xda);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn uint(out: &mut Vec<u8>, v: u64) {
    if v < 128 {
        out.push(v as u8);
    } else if let Ok(v) = u8::try_from(v) {
        out.extend_from_slice(&[0xcc, v]);
    } else if let Ok(v) = u16::try_from(v) {
        out.push(0xcd);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(v) {
        out.push(0xce);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// One decoded packet: slices of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packet<'a> {
    pub(crate) kind: u64,
    pub(crate) nsp: &'a [u8],
    pub(crate) id: Option<u64>,
    /// The MessagePack bytes of `data`, if present.
    pub(crate) data: Option<&'a [u8]>,
}

impl<'a> Packet<'a> {
    /// The packet of one binary frame; `None` when it is not one well-formed map with an
    /// integer `type` (other keys are skipped, as socket.io-client's `options`).
    pub(crate) fn decode(frame: &'a [u8]) -> Option<Packet<'a>> {
        let mut r = Reader(frame);
        let n = r.map_len()?;
        let mut p = Packet {
            kind: u64::MAX,
            nsp: b"/",
            id: None,
            data: None,
        };
        for _ in 0..n {
            let key = r.str()?;
            match key {
                b"type" => p.kind = r.uint()?,
                b"nsp" => p.nsp = r.str()?,
                b"id" => p.id = r.id()?,
                b"data" => {
                    let start = r.0;
                    r.skip()?;
                    p.data = Some(&start[..start.len() - r.0.len()]);
                }
                _ => r.skip()?,
            }
        }
        (r.0.is_empty() && p.kind <= CONNECT_ERROR).then_some(p)
    }

    /// The strings of a `data` array, into `out`; `None` when `data` is absent, not an array,
    /// holds anything but strings or more than `out` has room for. The count otherwise.
    pub(crate) fn strings(&self, out: &mut [&'a [u8]]) -> Option<usize> {
        let mut r = Reader(self.data?);
        let n = r.array_len()?;
        if n > out.len() {
            return None;
        }
        for slot in out.iter_mut().take(n) {
            *slot = r.str()?;
        }
        r.0.is_empty().then_some(n)
    }
}

/// A cursor over MessagePack bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        )
    }

    fn map_len(&mut self) -> Option<usize> {
        match self.byte()? {
            m @ 0x80..=0x8f => Some(usize::from(m & 0x0f)),
            0xde => self.be(2).map(|n| n as usize),
            0xdf => self.be(4).map(|n| n as usize),
            _ => None,
        }
    }

    fn array_len(&mut self) -> Option<usize> {
        match self.byte()? {
            m @ 0x90..=0x9f => Some(usize::from(m & 0x0f)),
            0xdc => self.be(2).map(|n| n as usize),
            0xdd => self.be(4).map(|n| n as usize),
            _ => None,
        }
    }

    fn str(&mut self) -> Option<&'a [u8]> {
        let n = match self.byte()? {
            m @ 0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 => self.be(1)? as usize,
            0xda => self.be(2)? as usize,
            0xdb => self.be(4)? as usize,
            _ => return None,
        };
        self.take(n)
    }

    /// A non-negative integer, whatever its width or signedness marker.
    fn uint(&mut self) -> Option<u64> {
        let m = self.byte()?;
        let v = match m {
            0x00..=0x7f => return Some(u64::from(m)),
            0xcc => self.be(1)?,
            0xcd => self.be(2)?,
            0xce => self.be(4)?,
            0xcf => self.be(8)?,
            0xd0 => self.be(1)? as u8 as i8 as i64 as u64,
            0xd1 => self.be(2)? as u16 as i16 as i64 as u64,
            0xd2 => self.be(4)? as u32 as i32 as i64 as u64,
            0xd3 => self.be(8)?,
            _ => return None,
        };
        // a negative signed value reads as a huge one: not a valid type or id
        (matches!(m, 0xcc..=0xcf) || (v as i64) >= 0).then_some(v)
    }

    /// An ack id: an integer, an integral float, or nil / notepack's `undefined` for none.
    fn id(&mut self) -> Option<Option<u64>> {
        match self.0.first()? {
            0xc0 => {
                self.take(1)?;
                Some(None)
            }
            0xd4 => {
                self.take(3)?;
                Some(None)
            }
            0xcb => {
                self.take(1)?;
                let f = f64::from_bits(self.be(8)?);
                (f >= 0.0 && f.fract() == 0.0 && f < 1.8e19).then_some(Some(f as u64))
            }
            _ => self.uint().map(Some),
        }
    }

    /// Skips one value, nested ones included (depth bounded).
    fn skip(&mut self) -> Option<()> {
        // values still to skip: a container adds its elements
        let mut pending: usize = 1;
        let mut steps = 0usize;
        while pending > 0 {
            pending -= 1;
            steps += 1;
            if steps > 1 << 20 {
                return None;
            }
            let m = self.byte()?;
            let (skip, more) = match m {
                0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
                0x80..=0x8f => (0, 2 * usize::from(m & 0x0f)),
                0x90..=0x9f => (0, usize::from(m & 0x0f)),
                0xa0..=0xbf => (usize::from(m & 0x1f), 0),
                0xc4 | 0xd9 => (self.be(1)? as usize, 0),
                0xc5 | 0xda => (self.be(2)? as usize, 0),
                0xc6 | 0xdb => (self.be(4)? as usize, 0),
                0xc7 => (self.be(1)? as usize + 1, 0),
                0xc8 => (self.be(2)? as usize + 1, 0),
                0xc9 => (self.be(4)? as usize + 1, 0),
                0xca => (4, 0),
                0xcb => (8, 0),
                0xcc | 0xd0 => (1, 0),
                0xcd | 0xd1 => (2, 0),
                0xce | 0xd2 => (4, 0),
                0xcf | 0xd3 => (8, 0),
                0xd4 => (2, 0),
                0xd5 => (3, 0),
                0xd6 => (5, 0),
                0xd7 => (9, 0),
                0xd8 => (17, 0),
                0xdc => (0, self.be(2)? as usize),
                0xdd => (0, self.be(4)? as usize),
                0xde => (0, 2 * self.be(2)? as usize),
                0xdf => (0, 2 * self.be(4)? as usize),
                0xc1 => return None,
            };
            self.take(skip)?;
            // every element takes at least one byte
            if more > self.0.len() {
                return None;
            }
            pending += more;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;
    use socketio_protocol::{
        decode_msgpack, encode_msgpack, DecoderLimits, Packet as P, PacketType, Payload,
    };

    use super::{connect, event, Packet, ACK, CONNECT, EVENT};

    #[test]
    fn what_we_write_is_what_the_server_reads() {
        let limits = DecoderLimits::default();
        let c = decode_msgpack(&Bytes::from(connect()), &limits);
        assert!(
            matches!(c, Ok(p) if p.nsp == "/" && p.packet_type() == PacketType::Connect),
            "connect"
        );
        let long = "y".repeat(300);
        for (id, args) in [
            (Some(7), vec!["echo", "0000000000000007xxxx"]),
            (None, vec!["broadcast", long.as_str()]),
            (Some(70_000), vec!["join", "room-3"]),
        ] {
            let got = decode_msgpack(&Bytes::from(event(id, &args)), &limits).map(|p| p.data);
            let want = P::event("/", Payload::new(json!(args)), id).data;
            assert_eq!(got.ok(), Some(want), "{args:?}");
        }
    }

    #[test]
    fn what_the_server_writes_is_what_we_read() {
        let payload = "0000000000000042xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        let ack = encode_msgpack(&P::ack("/", Payload::new(json!([payload])), 300));
        let p = Packet::decode(&ack).expect("ack");
        assert_eq!((p.kind, p.id, p.nsp), (ACK, Some(300), &b"/"[..]));
        let mut args: [&[u8]; 2] = [b""; 2];
        assert_eq!(p.strings(&mut args), Some(1));
        assert_eq!(args[0], payload.as_bytes());

        let ev = encode_msgpack(&P::event(
            "/",
            Payload::new(json!(["msg", payload, "A1"])),
            None,
        ));
        let p = Packet::decode(&ev).expect("event");
        assert_eq!((p.kind, p.id), (EVENT, None));
        let mut args: [&[u8]; 4] = [b""; 4];
        assert_eq!(p.strings(&mut args), Some(3));
        assert_eq!(args[..3], [&b"msg"[..], payload.as_bytes(), b"A1"]);
        // not only strings
        let ev = encode_msgpack(&P::event(
            "/",
            Payload::new(json!(["auth", {"a": [1, 2.5, null]}])),
            None,
        ));
        let p = Packet::decode(&ev).expect("auth event");
        assert_eq!(p.strings(&mut args), None);

        let connect = encode_msgpack(&P::connect("/", Some(json!({"sid": "abc"}))));
        assert_eq!(Packet::decode(&connect).map(|p| p.kind), Some(CONNECT));
    }

    #[test]
    fn socketioxide_key_order_and_signed_ids() {
        // {type: 3, nsp: "/", data: ["p"], id: sint 5} as socketioxide writes it, and
        // socket.io-client's extra `options` key
        let f = b"\x84\xa4type\x03\xa3nsp\xa1/\xa4data\x91\xa1p\xa2id\xd0\x05";
        let p = Packet::decode(f).expect("ack");
        assert_eq!((p.kind, p.id), (ACK, Some(5)));
        let f = b"\x84\xa4type\x02\xa4data\x91\xa1e\xa7options\x81\xa8compress\xc3\xa3nsp\xa1/";
        assert_eq!(Packet::decode(f).map(|p| p.kind), Some(EVENT));
        // truncated, trailing bytes, negative id
        assert_eq!(Packet::decode(&f[..f.len() - 1]), None);
        assert_eq!(Packet::decode(&[&f[..], b"\x00"].concat()), None);
        assert_eq!(Packet::decode(b"\x82\xa4type\x03\xa2id\xff"), None);
    }
}
