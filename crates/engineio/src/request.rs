//! What the server keeps of the request that opened a session, and query-string parsing.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::SystemTime;

use http::{HeaderMap, Method, Uri};

/// The remote address of an HTTP connection, as a request extension.
///
/// [`serve`](crate::serve) inserts it; an app with its own accept loop can insert it too, so that
/// sessions know their peer. Under axum, feature `axum` reads axum's `ConnectInfo<SocketAddr>`
/// instead (serve the app with `into_make_service_with_connect_info::<SocketAddr>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// The request that opened a session (the handshake), kept for the layers above: headers, URL,
/// remote address, time.
#[derive(Debug, Clone)]
pub struct HandshakeRequest {
    /// The request method.
    pub method: Method,
    /// The request URI (path and query).
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The peer's address, when the server knows it (see [`RemoteAddr`]); with
    /// [`EngineConfig::trust_proxy`](crate::EngineConfig::trust_proxy), the first address of
    /// `X-Forwarded-For` (port 0).
    pub remote_addr: Option<SocketAddr>,
    /// Whether the client's connection is encrypted: an `https` request URI, or, with
    /// [`EngineConfig::trust_proxy`](crate::EngineConfig::trust_proxy), `X-Forwarded-Proto:
    /// https` from the proxy in front.
    pub secure: bool,
    /// When the handshake was received.
    pub time: SystemTime,
}

impl HandshakeRequest {
    /// What the session keeps of `parts`, built at once (tests; sessions keep a
    /// [`StoredRequest`]).
    #[cfg(test)]
    pub(crate) fn from_parts(parts: &http::request::Parts, trust_proxy: bool) -> Self {
        StoredRequest::from_parts(parts, trust_proxy).build()
    }

    /// The query's pairs, percent-decoded (`+` as space), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_query(self.uri.query().unwrap_or(""))
    }
}

/// What a session keeps of its handshake request until someone asks for it: the URI and the
/// headers packed in one allocation, the [`HandshakeRequest`] built from them on the first
/// [`get`](Self::get).
///
/// Most sessions are never asked (Socket.IO builds `socket.handshake` on first use), and a
/// `HeaderMap` costs an allocation per value and about 100 bytes per entry: a handful of
/// headers held about 900 bytes per idle connection, where the packed copy holds their length.
/// A copy on purpose, too: hyper's header values and URI are slices of the connection's read
/// buffer (8–16 KiB), and a clone would keep that whole buffer alive for the session's
/// lifetime.
pub(crate) struct StoredRequest {
    method: Method,
    /// The URI, then each header as `name:value`, every one ended by `\n` (which neither a
    /// URI nor a header name or value holds).
    packed: Box<[u8]>,
    remote_addr: Option<SocketAddr>,
    secure: bool,
    time: SystemTime,
    full: OnceLock<Box<HandshakeRequest>>,
}

impl StoredRequest {
    /// Copies what the session keeps of `parts`.
    pub(crate) fn from_parts(parts: &http::request::Parts, trust_proxy: bool) -> Self {
        let uri = parts.uri.to_string();
        let mut len = uri.len() + 1;
        for (name, value) in &parts.headers {
            len += name.as_str().len() + value.len() + 2;
        }
        let mut packed = Vec::with_capacity(len);
        packed.extend_from_slice(uri.as_bytes());
        packed.push(b'\n');
        for (name, value) in &parts.headers {
            // No valid value holds a line feed; one that did would not parse back.
            if value.as_bytes().contains(&b'\n') {
                continue;
            }
            packed.extend_from_slice(name.as_str().as_bytes());
            packed.push(b':');
            packed.extend_from_slice(value.as_bytes());
            packed.push(b'\n');
        }
        let first = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let mut remote_addr = parts.extensions.get::<RemoteAddr>().map(|a| a.0);
        #[cfg(feature = "axum")]
        if remote_addr.is_none() {
            remote_addr = parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0);
        }
        let mut secure = parts.uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        if trust_proxy {
            if let Some(ip) = first("x-forwarded-for").and_then(|ip| ip.parse().ok()) {
                remote_addr = Some(SocketAddr::new(ip, 0));
            }
            secure |= first("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        }
        StoredRequest {
            method: parts.method.clone(),
            packed: packed.into_boxed_slice(),
            remote_addr,
            secure,
            time: SystemTime::now(),
            full: OnceLock::new(),
        }
    }

    /// The request, built on first use.
    pub(crate) fn get(&self) -> &HandshakeRequest {
        self.full.get_or_init(|| Box::new(self.build()))
    }

    fn build(&self) -> HandshakeRequest {
        let mut lines = self.packed.split(|&b| b == b'\n');
        let uri = lines
            .next()
            .and_then(|u| Uri::try_from(u).ok())
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        for line in lines {
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name),
                http::HeaderValue::from_bytes(value),
            ) {
                headers.append(name, value);
            }
        }
        HandshakeRequest {
            method: self.method.clone(),
            uri,
            headers,
            remote_addr: self.remote_addr,
            secure: self.secure,
            time: self.time,
        }
    }
}

/// The Engine.IO parameters of a request's query string.
#[derive(Debug, Default)]
pub(crate) struct EngineQuery<'a> {
    pub(crate) eio: Option<&'a str>,
    pub(crate) transport: Option<&'a str>,
    pub(crate) sid: Option<&'a str>,
    pub(crate) b64: bool,
    pub(crate) jsonp: bool,
}

impl<'a> EngineQuery<'a> {
    /// Reads the raw (not percent-decoded) values: every value we compare is plain ASCII, and a
    /// percent-encoded one simply fails to match.
    pub(crate) fn parse(query: &'a str) -> Self {
        let mut q = EngineQuery::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "EIO" => q.eio = Some(value),
                "transport" => q.transport = Some(value),
                "sid" => q.sid = Some(value),
                "b64" => q.b64 = true,
                "j" => q.jsonp = true,
                _ => {}
            }
        }
        q
    }
}

/// Percent-decodes a query string into pairs (`+` as space; invalid escapes kept as written).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_query() {
        let q = EngineQuery::parse("EIO=4&transport=polling&t=N8hyd6w&sid=abc&b64=1");
        assert_eq!(q.eio, Some("4"));
        assert_eq!(q.transport, Some("polling"));
        assert_eq!(q.sid, Some("abc"));
        assert!(q.b64);
        assert!(!q.jsonp);
        let q = EngineQuery::parse("");
        assert!(q.eio.is_none());
    }

    #[test]
    fn decoding() {
        assert_eq!(
            parse_query("a=b+c&d=%41%zz&e"),
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "A%zz".into()),
                ("e".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("%e2%82%ac%"), "€%");
    }

    #[test]
    fn stored_request_builds_what_came() {
        let (parts, ()) = http::Request::builder()
            .method("POST")
            .uri("/socket.io/?EIO=4&transport=polling&x=a%20b")
            .header("host", "localhost:3000")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("x-custom", "v: with colon")
            .header("x-empty", "")
            .header(
                "x-latin",
                http::HeaderValue::from_bytes(b"caf\xe9").unwrap_or_else(|_| unreachable!()),
            )
            .body(())
            .map(|r| r.into_parts())
            .unwrap_or_else(|_| unreachable!());
        let stored = StoredRequest::from_parts(&parts, false);
        let req = stored.get();
        assert_eq!(req.method, http::Method::POST);
        assert_eq!(req.uri, parts.uri);
        assert_eq!(req.headers, parts.headers);
        let cookies: Vec<_> = req.headers.get_all("cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(req.headers["x-custom"], "v: with colon");
        assert_eq!(req.headers["x-empty"], "");
        assert_eq!(req.headers["x-latin"].as_bytes(), b"caf\xe9");
        // Built once: the same value on every call.
        assert!(std::ptr::eq(stored.get(), req));
        assert_eq!(req.time, stored.time);
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let (mut parts, ()) = http::Request::builder()
            .uri("/socket.io/?EIO=4")
            .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
            .header("x-forwarded-proto", "HTTPS")
            .body(())
            .map(|r| r.into_parts())
            .unwrap_or_else(|_| unreachable!());
        let direct: SocketAddr = ([127, 0, 0, 1], 5555).into();
        parts.extensions.insert(RemoteAddr(direct));
        let plain = HandshakeRequest::from_parts(&parts, false);
        assert_eq!(plain.remote_addr, Some(direct));
        assert!(!plain.secure);
        let proxied = HandshakeRequest::from_parts(&parts, true);
        assert_eq!(proxied.remote_addr, Some(([203, 0, 113, 7], 0).into()));
        assert!(proxied.secure);
        // A header that does not parse leaves the connection's own address.
        parts
            .headers
            .insert("x-forwarded-for", http::HeaderValue::from_static("unknown"));
        assert_eq!(
            HandshakeRequest::from_parts(&parts, true).remote_addr,
            Some(direct)
        );
    }
}
