//! socket.io 2.x's `origins`: which page origins may open a session.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::{header, HeaderMap};

use crate::hooks::BoxFuture;

type Predicate = Arc<dyn Fn(String) -> BoxFuture<bool> + Send + Sync>;

#[derive(Clone)]
enum Kind {
    Any,
    List(Arc<[String]>),
    Predicate(Predicate),
}

/// The origins allowed to open a session, with socket.io 2.x's semantics (`Server#origins`).
///
/// Checked on every handshake over both transports (not on the requests of an open session, nor
/// on its upgrade). A refused handshake gets polling `403 {"code":4,"message":"Forbidden"}` or,
/// for a WebSocket, `400` with the text `Forbidden`, before any `101`.
///
/// The origin is the `Origin` header, else the `Referer`'s scheme, host and port; with neither
/// (or the literal `null` of a `file://` page) it is `*`, which only [`Origins::any`] or a
/// predicate allows.
///
/// The default is [`Origins::any`] (`*:*`), as socket.io 2.4.1 and later: **set a list in
/// production**, since a page on any site can otherwise open sessions with your users' cookies.
///
/// ```
/// use engineio::Origins;
/// // Exact entries: `scheme://host:port`, `host:port`, `host:*`, `*:port`, `*:*`. An origin
/// // without a port counts as 443 for https and 80 otherwise.
/// let list = Origins::list(["https://example.com:443", "localhost:*"]);
/// // Or decide per origin, asynchronously.
/// let check = Origins::predicate(|origin: String| async move { origin.ends_with(".example.com") });
/// # let _ = (list, check);
/// ```
#[derive(Clone)]
pub struct Origins(Kind);

impl fmt::Debug for Origins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Any => f.write_str("Origins(*:*)"),
            Kind::List(l) => f.debug_tuple("Origins").field(l).finish(),
            Kind::Predicate(_) => f.write_str("Origins(<predicate>)"),
        }
    }
}

impl Default for Origins {
    fn default() -> Self {
        Origins::any()
    }
}

impl Origins {
    /// Every origin (`*:*`), including requests with no `Origin` or `Referer`.
    pub fn any() -> Self {
        Origins(Kind::Any)
    }

    /// Only origins matching one of these exact entries: `scheme://host:port`, `host:port`,
    /// `host:*`, `*:port`, or `*:*` (which allows everything). Hosts compare lowercased, as
    /// browsers send them.
    pub fn list<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let entries: Vec<String> = entries.into_iter().map(Into::into).collect();
        if entries.iter().any(|e| e == "*:*") {
            return Origins::any();
        }
        Origins(Kind::List(entries.into()))
    }

    /// Origins for which `allowed(origin)` resolves to true. It gets the `Origin` header, else the
    /// `Referer`, else `*`.
    pub fn predicate<F, Fut>(allowed: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Origins(Kind::Predicate(Arc::new(move |origin| {
            Box::pin(allowed(origin))
        })))
    }

    /// Whether every origin is allowed (no check to run).
    pub(crate) fn is_any(&self) -> bool {
        matches!(self.0, Kind::Any)
    }

    /// Whether the request's origin is allowed.
    pub(crate) async fn allows(&self, headers: &HeaderMap) -> bool {
        let origin = headers
            .get(header::ORIGIN)
            .or_else(|| headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .filter(|o| !o.is_empty() && *o != "null")
            .unwrap_or("*");
        match &self.0 {
            Kind::Any => true,
            Kind::Predicate(p) => p(origin.to_owned()).await,
            Kind::List(list) => {
                let Some(o) = ParsedOrigin::parse(origin) else {
                    return false;
                };
                let candidates = [
                    format!("{}://{}:{}", o.scheme, o.host, o.port),
                    format!("{}:{}", o.host, o.port),
                    format!("{}:*", o.host),
                    format!("*:{}", o.port),
                ];
                list.iter().any(|e| candidates.contains(e))
            }
        }
    }
}

/// The scheme, host and port of an origin or a URL, as Node's legacy `url.parse` gives them
/// (lowercased; IPv6 hosts without their brackets; port 443 for https and 80 otherwise when
/// none is given). Ours: something that does not parse as `scheme://host[:port]` is refused, where
/// socket.io 2.x would still match it against `*:80`.
#[derive(Debug, PartialEq, Eq)]
struct ParsedOrigin {
    scheme: String,
    host: String,
    port: u16,
}

impl ParsedOrigin {
    fn parse(s: &str) -> Option<Self> {
        let (scheme, rest) = s.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            match after {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':')?)),
            }
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        let port = match port {
            None | Some("") => default_port,
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        Some(ParsedOrigin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap_or_else(|_| panic!("{value}")));
        h
    }

    fn check(origins: &Origins, h: &HeaderMap) -> bool {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(origins.allows(h)))
            .unwrap_or(false)
    }

    #[test]
    fn parse() {
        let p = ParsedOrigin::parse("HTTPS://Example.COM").unwrap_or_else(|| panic!());
        assert_eq!(
            (p.scheme.as_str(), p.host.as_str(), p.port),
            ("https", "example.com", 443)
        );
        let p = ParsedOrigin::parse("http://[::1]:3000/x?y").unwrap_or_else(|| panic!());
        assert_eq!((p.host.as_str(), p.port), ("::1", 3000));
        let p = ParsedOrigin::parse("http://u:p@host:81/").unwrap_or_else(|| panic!());
        assert_eq!((p.host.as_str(), p.port), ("host", 81));
        assert!(ParsedOrigin::parse("host:80").is_none());
        assert!(ParsedOrigin::parse("http://host:8x").is_none());
        assert!(ParsedOrigin::parse("http://:80").is_none());
        assert!(ParsedOrigin::parse("http://host:99999").is_none());
    }

    #[test]
    fn entries() {
        let o = Origins::list(["http://a.test:3000", "b.test:80", "c.test:*", "*:8443"]);
        let allowed = |origin: &str| check(&o, &headers(header::ORIGIN, origin));
        assert!(allowed("http://a.test:3000"));
        assert!(!allowed("https://a.test:3000"));
        assert!(allowed("http://b.test"));
        assert!(allowed("https://b.test:80"));
        assert!(!allowed("https://b.test"));
        assert!(allowed("http://c.test:1"));
        assert!(allowed("https://other.test:8443"));
        assert!(!allowed("http://other.test"));
        assert!(!allowed("null"));
        assert!(!check(&o, &HeaderMap::new()));
        // The Referer stands in for a missing Origin.
        assert!(check(
            &o,
            &headers(header::REFERER, "http://a.test:3000/page.html")
        ));
        assert!(check(&Origins::list(["x:1", "*:*"]), &HeaderMap::new()));
    }

    #[test]
    fn predicate_sees_star_without_origin() {
        let o = Origins::predicate(|origin| async move { origin == "*" });
        assert!(check(&o, &HeaderMap::new()));
        assert!(check(&o, &headers(header::ORIGIN, "null")));
        assert!(!check(&o, &headers(header::ORIGIN, "http://x")));
    }
}
