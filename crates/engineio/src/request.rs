//! What the server keeps of the request that opened a session, and query-string parsing.

use std::net::SocketAddr;
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
    /// Copies what the session keeps. A deep copy on purpose: hyper's header values and URI
    /// are slices of the connection's read buffer (8–16 KiB), and a clone would keep that whole
    /// buffer alive for the session's lifetime.
    pub(crate) fn from_parts(parts: &http::request::Parts, trust_proxy: bool) -> Self {
        let mut headers = HeaderMap::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            if let Ok(mut copy) = http::HeaderValue::from_bytes(value.as_bytes()) {
                copy.set_sensitive(value.is_sensitive());
                if let Ok(name) = http::HeaderName::from_bytes(name.as_str().as_bytes()) {
                    headers.append(name, copy);
                }
            }
        }
        let uri = parts
            .uri
            .to_string()
            .parse::<Uri>()
            .unwrap_or_else(|_| parts.uri.clone());
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
        HandshakeRequest {
            method: parts.method.clone(),
            uri,
            headers,
            remote_addr,
            secure,
            time: SystemTime::now(),
        }
    }

    /// The query's pairs, percent-decoded (`+` as space), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_query(self.uri.query().unwrap_or(""))
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
