//! Connections: the loopback-only target, rotating 127.0.0.x source addresses, the Engine.IO +
//! Socket.IO handshake over WebSocket, and a minimal HTTP/1.1 client for long-polling.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::deflate::Wire;

/// A client's WebSocket.
pub(crate) type Ws = WebSocketStream<Wire>;

/// Error of the load generator: a message for the report.
pub(crate) type Error = String;

/// The Socket.IO packet codec the clients speak (`--parser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    /// The default parser: text frames (`42["echo",..]`).
    Text,
    /// socket.io-msgpack-parser: one binary frame of MessagePack per packet.
    MsgPack,
}

impl Parser {
    /// Parses `text` or `msgpack`.
    pub(crate) fn parse(s: &str) -> Option<Parser> {
        match s {
            "text" | "default" => Some(Parser::Text),
            "msgpack" => Some(Parser::MsgPack),
            _ => None,
        }
    }

    /// Its name in the output.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Parser::Text => "text",
            Parser::MsgPack => "msgpack",
        }
    }
}

/// The server under test.
#[derive(Debug)]
pub(crate) struct Target {
    /// Loopback address of the server.
    pub(crate) addr: SocketAddr,
    /// Socket.IO path, `/socket.io/` by default.
    pub(crate) path: String,
    /// Next source address, counted from a base chosen at start.
    next_source: AtomicU32,
}

/// Source addresses used in turn: 127.0.0.2 ..= 127.0.0.254.
const SOURCES: u32 = 253;

impl Target {
    /// Parses `http://HOST:PORT` or `ws://HOST:PORT` and refuses anything that is not loopback.
    pub(crate) async fn parse(url: &str, path: &str) -> Result<Target, Error> {
        let rest = ["http://", "ws://"]
            .iter()
            .find_map(|s| url.strip_prefix(s))
            .ok_or_else(|| format!("url must start with http:// or ws://: {url}"))?;
        let hostport = rest.split('/').next().unwrap_or(rest);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(hostport)
            .await
            .map_err(|e| format!("cannot resolve {hostport}: {e}"))?
            .collect();
        let addr = *addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .ok_or_else(|| format!("{hostport} resolves to nothing"))?;
        if addrs.iter().any(|a| !a.ip().is_loopback()) {
            return Err(format!(
                "refusing {hostport}: the load generator only targets loopback addresses"
            ));
        }
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Ok(Target {
            addr,
            path: format!("/{}/", path.trim_matches('/')),
            next_source: AtomicU32::new(base),
        })
    }

    /// Opens a TCP connection from the next 127.0.0.x source address, so that 10 000s of
    /// connections and their TIME_WAIT leftovers never run one address out of ports. The socket
    /// closes with a reset (zero linger) for the same reason.
    pub(crate) async fn tcp(&self) -> io::Result<TcpStream> {
        let socket = match self.addr.ip() {
            IpAddr::V4(_) => {
                let socket = TcpSocket::new_v4()?;
                let n = self.next_source.fetch_add(1, Ordering::Relaxed) % SOURCES;
                let octet = u8::try_from(2 + n).unwrap_or(2);
                socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, octet), 0)))?;
                socket
            }
            IpAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_nodelay(true)?;
        socket.set_zero_linger()?;
        socket.connect(self.addr).await
    }

    /// The Engine.IO query for a transport, with the session id once known.
    pub(crate) fn query(&self, transport: &str, sid: Option<&str>) -> String {
        match sid {
            Some(sid) => format!("{}?EIO=4&transport={transport}&sid={sid}", self.path),
            None => format!("{}?EIO=4&transport={transport}", self.path),
        }
    }

    /// A connected Socket.IO client on WebSocket: Engine.IO open packet read, `40` sent and
    /// the namespace's `40{"sid":..}` received (with the msgpack parser, the binary
    /// `{type: 0, nsp: "/"}` and its answer). Anything the server sends after that (our
    /// fixture emits an `auth` event) is left to the caller.
    ///
    /// `deflate`: the handshake offers permessage-deflate without context takeover, the
    /// server must accept it, and its compressed messages are inflated ([`crate::deflate`]).
    pub(crate) async fn socketio_ws(&self, parser: Parser, deflate: bool) -> Result<Ws, Error> {
        let stream = self.tcp().await.map_err(|e| format!("connect: {e}"))?;
        let url = format!("ws://{}{}", self.addr, self.query("websocket", None));
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| format!("websocket request: {e}"))?;
        if deflate {
            request.headers_mut().insert(
                header::SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_static(crate::deflate::OFFER),
            );
        }
        // small buffers: 10 000 clients must stay cheap; messages here are < 200 bytes
        // (a few KiB with --payload)
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(crate::deflate::MAX_MESSAGE));
        let (mut ws, response) = tokio_tungstenite::client_async_with_config(
            request,
            Wire::new(stream, deflate),
            Some(config),
        )
        .await
        .map_err(|e| format!("websocket handshake: {e}"))?;
        if deflate {
            let answer: Vec<&str> = response
                .headers()
                .get_all(header::SEC_WEBSOCKET_EXTENSIONS)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let answer = answer.join(", ");
            if !answer.contains("permessage-deflate") {
                return Err(format!(
                    "--deflate: the server did not accept permessage-deflate (Sec-WebSocket-Extensions \
                     in its 101: {:?}); is it started with perMessageDeflate on?",
                    if answer.is_empty() { "none" } else { answer.as_str() }
                ));
            }
            if !answer.contains("server_no_context_takeover") {
                return Err(format!(
                    "--deflate: the server accepted permessage-deflate without \
                     server_no_context_takeover ({answer:?}); this client inflates each message on its own"
                ));
            }
        }
        let open = match next_frame(&mut ws).await? {
            Message::Text(t) => t,
            _ => return Err("expected the open packet, got a binary frame".to_owned()),
        };
        if !open.starts_with("0{") {
            return Err(format!("expected the open packet, got {}", clip(&open)));
        }
        let connect = match parser {
            Parser::Text => Message::text("40"),
            Parser::MsgPack => Message::binary(crate::msgpack::connect()),
        };
        ws.send(connect).await.map_err(|e| format!("send: {e}"))?;
        loop {
            match next_frame(&mut ws).await? {
                Message::Text(text) if text.as_str() == "2" => {
                    ws.send(Message::text("3"))
                        .await
                        .map_err(|e| format!("send: {e}"))?;
                }
                Message::Text(text) if parser == Parser::Text && text.starts_with("40") => {
                    return Ok(ws);
                }
                Message::Text(text) => {
                    return Err(format!("expected the connect packet, got {}", clip(&text)))
                }
                Message::Binary(b) if parser == Parser::MsgPack => {
                    match crate::msgpack::Packet::decode(&b) {
                        Some(p) if p.kind == crate::msgpack::CONNECT => return Ok(ws),
                        _ => {
                            return Err(format!(
                                "expected the msgpack connect packet, got {}",
                                clip(&String::from_utf8_lossy(&b))
                            ))
                        }
                    }
                }
                _ => return Err("expected the connect packet, got a binary frame".to_owned()),
            }
        }
    }
}

/// The next text or binary message, within 30 s.
async fn next_frame(ws: &mut Ws) -> Result<Message, Error> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .map_err(|_| "no answer within 30 s".to_owned())?
            .ok_or_else(|| "closed by the server".to_owned())?
            .map_err(|e| format!("websocket: {e}"))?;
        match msg {
            Message::Text(_) | Message::Binary(_) => return Ok(msg),
            Message::Close(_) => return Err("closed by the server".to_owned()),
            _ => {}
        }
    }
}

/// At most 80 characters of a message, for errors.
pub(crate) fn clip(s: &str) -> &str {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A keep-alive HTTP/1.1 connection for long-polling requests, one at a time.
#[derive(Debug)]
pub(crate) struct Http {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl Http {
    /// Opens the connection.
    pub(crate) async fn connect(target: &Target) -> Result<Http, Error> {
        let stream = target.tcp().await.map_err(|e| format!("connect: {e}"))?;
        Ok(Http {
            stream,
            buf: Vec::with_capacity(1024),
            host: target.addr.to_string(),
        })
    }

    /// `GET path`: the status and the body.
    pub(crate) async fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), Error> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.request(req.as_bytes(), &[]).await
    }

    /// `POST path` with a text body.
    pub(crate) async fn post(&mut self, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
             Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.request(req.as_bytes(), body).await
    }

    async fn request(&mut self, head: &[u8], body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        let mut req = Vec::with_capacity(head.len() + body.len());
        req.extend_from_slice(head);
        req.extend_from_slice(body);
        self.stream
            .write_all(&req)
            .await
            .map_err(|e| format!("http write: {e}"))?;
        self.response().await
    }

    /// Reads one response: Content-Length or chunked bodies.
    async fn response(&mut self) -> Result<(u16, Vec<u8>), Error> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line: {}", clip(&head)))?;
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let chunked = header("transfer-encoding")
            .map(|v| v.eq_ignore_ascii_case("chunked"))
            .unwrap_or(false);
        self.buf.drain(..head_end);
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| format!("bad chunk size: {}", clip(&size_text)))?;
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    break body;
                }
            }
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| "response without a length".to_owned())?;
            while self.buf.len() < len {
                self.fill().await?;
            }
            self.buf.drain(..len).collect()
        };
        Ok((status, body))
    }

    async fn fill(&mut self) -> Result<(), Error> {
        let mut chunk = [0u8; 4096];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("http read: {e}"))?;
        if n == 0 {
            return Err("http connection closed".to_owned());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[tokio::test]
    async fn only_loopback_targets() {
        for ok in [
            "http://127.0.0.1:3000",
            "ws://127.0.0.9:1",
            "http://[::1]:80",
        ] {
            assert!(Target::parse(ok, "/socket.io/").await.is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:3000",
            "http://192.168.1.1:80",
            "ftp://127.0.0.1:1",
        ] {
            assert!(
                Target::parse(refused, "/socket.io/").await.is_err(),
                "{refused}"
            );
        }
    }

    #[tokio::test]
    async fn engine_io_query() {
        let t = Target::parse("http://127.0.0.1:3000", "socket.io")
            .await
            .map_err(|e| e.to_string());
        let t = t
            .as_ref()
            .map(|t| (t.query("polling", None), t.query("websocket", Some("ab"))));
        assert_eq!(
            t,
            Ok((
                "/socket.io/?EIO=4&transport=polling".to_owned(),
                "/socket.io/?EIO=4&transport=websocket&sid=ab".to_owned()
            ))
        );
    }
}
