//! `httpCompression`: gzip or deflate of polling responses, as Node's polling transport.

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use http::{header, HeaderMap, HeaderValue};

/// Node's `httpCompression` option: polling responses whose body is at least `threshold` bytes
/// are compressed with gzip or deflate when the request's `Accept-Encoding` takes one (gzip
/// preferred on a tie, as Node's `accepts(req).encodings(["gzip", "deflate"])`).
///
/// On by default (threshold 1024 bytes, zlib's default level); set
/// [`EngineConfig::http_compression`](crate::EngineConfig::http_compression) to `None` to turn
/// it off. Only payload answers are compressed; errors and the `ok` of a POST are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpCompression {
    /// `threshold`: the smallest body compressed, in bytes. Default 1024.
    pub threshold: usize,
    /// `level`: the zlib level, 0 (none) to 9 (smallest). Default 6, zlib's default.
    pub level: u32,
}

impl Default for HttpCompression {
    fn default() -> Self {
        HttpCompression {
            threshold: 1024,
            level: 6,
        }
    }
}

impl HttpCompression {
    /// Options with this threshold and the default level.
    pub fn with_threshold(threshold: usize) -> Self {
        HttpCompression {
            threshold,
            ..HttpCompression::default()
        }
    }
}

/// A content coding we produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Deflate,
}

impl Encoding {
    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        })
    }
}

impl Encoding {
    const NAMES: [&'static str; 2] = ["gzip", "deflate"];
}

/// The preferred of gzip and deflate by `Accept-Encoding` (Node's
/// `accepts(req).encodings(["gzip", "deflate"])`); no header: none.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Encoding> {
    match preferred_encoding(headers, &Encoding::NAMES)? {
        0 => Some(Encoding::Gzip),
        _ => Some(Encoding::Deflate),
    }
}

/// The longest `Accept-Encoding` read (all its header lines together), in bytes; a longer one
/// is treated as absent (real clients send a few dozen bytes).
pub const MAX_ACCEPT_ENCODING: usize = 1024;

/// The content coding a request's `Accept-Encoding` (its lines joined, as Node joins them)
/// prefers among `provided` (at most four,
/// in the server's order of preference), as an index into `provided`; `None` for none of them
/// (identity). The rules are those of the `negotiator` package 0.6.3 that Node's `accepts`
/// uses for polling compression and socket.io uses for its client bundle: the highest `q`
/// wins (`q=0`, or a `q` that `parseFloat` cannot read, means "not acceptable"); for each
/// coding an exact name beats `*` whatever their `q`; then the client's order, then ours.
/// No header, an empty one, one that is not visible ASCII or one longer than
/// [`MAX_ACCEPT_ENCODING`]: none.
///
/// Linear in the header's length: every entry is read once.
///
/// ```
/// use engineio::http::{header, HeaderMap, HeaderValue};
/// use engineio::preferred_encoding;
/// let provided = ["br", "gzip", "deflate"];
/// let mut headers = HeaderMap::new();
/// assert_eq!(preferred_encoding(&headers, &provided), None);
/// headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0.8, br;q=0.5, *;q=0.1"));
/// assert_eq!(preferred_encoding(&headers, &provided), Some(1));
/// ```
pub fn preferred_encoding(headers: &HeaderMap, provided: &[&str]) -> Option<usize> {
    const MAX_PROVIDED: usize = 4;
    let lines = headers.get_all(header::ACCEPT_ENCODING);
    let total: usize = lines.iter().map(|v| v.len() + 2).sum();
    if total > MAX_ACCEPT_ENCODING + 2 {
        return None;
    }
    let mut texts = Vec::new();
    for line in lines {
        texts.push(line.to_str().ok()?);
    }
    let provided = &provided[..provided.len().min(MAX_PROVIDED)];

    /// negotiator's "priority" of one spec for one provided coding.
    #[derive(Clone, Copy)]
    struct Spec {
        /// Position in the header.
        o: usize,
        q: f64,
        /// 1 for an exact name, 0 for `*`.
        s: u8,
    }
    let mut best: [Option<Spec>; MAX_PROVIDED] = [None; MAX_PROVIDED];
    let parts = texts.iter().flat_map(|t| t.split(','));
    for (o, part) in parts.enumerate() {
        let part = part.trim();
        let (name, params) = match part.split_once(';') {
            Some((n, p)) => (n.trim_end(), Some(p)),
            None => (part, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        let mut q = 1.0;
        if let Some(params) = params {
            for p in params.split(';') {
                let mut kv = p.trim().split('=');
                if kv.next() == Some("q") {
                    q = js_parse_float(kv.next().unwrap_or(""));
                    break;
                }
            }
        }
        for (i, coding) in provided.iter().enumerate() {
            let s = if name.eq_ignore_ascii_case(coding) {
                1
            } else if name == "*" {
                0
            } else {
                continue;
            };
            let spec = Spec { o, q, s };
            // negotiator: `(best.s - spec.s) || (best.q - spec.q) || (best.o - spec.o)` < 0
            // replaces the best, where a NaN difference counts as 0.
            let replace = match best[i] {
                None => true,
                Some(b) => {
                    if b.s != s {
                        b.s < s
                    } else if !(b.q - q).is_nan() && b.q != q {
                        b.q < q
                    } else {
                        b.o < o
                    }
                }
            };
            if replace {
                best[i] = Some(spec);
            }
        }
    }
    // Sorted by q (higher first), then specificity, then the header's order, then ours.
    let mut chosen: Option<(usize, Spec)> = None;
    for (i, spec) in best.iter().enumerate().take(provided.len()) {
        let Some(spec) = spec.filter(|p| p.q > 0.0) else {
            continue;
        };
        let wins = match chosen {
            None => true,
            Some((_, c)) => {
                if !(spec.q - c.q).is_nan() && spec.q != c.q {
                    spec.q > c.q
                } else if spec.s != c.s {
                    spec.s > c.s
                } else {
                    spec.o < c.o
                }
            }
        };
        if wins {
            chosen = Some((i, spec));
        }
    }
    chosen.map(|(i, _)| i)
}

/// JavaScript's `parseFloat`: the longest leading decimal number (or `Infinity`), else NaN.
/// One pass to find where the number ends, one parse of that prefix.
fn js_parse_float(s: &str) -> f64 {
    let s = s.trim_start();
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    if s[i..].starts_with("Infinity") {
        return if b.first() == Some(&b'-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(i);
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return f64::NAN;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp = digits(j);
        if exp > 0 {
            i = j + exp;
        }
    }
    s[..i].parse().unwrap_or(f64::NAN)
}

/// Compresses a body; `None` if the encoder fails (the body is then sent as is).
pub(crate) fn compress(encoding: Encoding, level: u32, data: &[u8]) -> Option<Vec<u8>> {
    let level = Compression::new(level.min(9));
    let out = Vec::with_capacity(data.len() / 3 + 64);
    match encoding {
        Encoding::Gzip => {
            let mut e = GzEncoder::new(out, level);
            e.write_all(data).ok()?;
            e.finish().ok()
        }
        Encoding::Deflate => {
            let mut e = ZlibEncoder::new(out, level);
            e.write_all(data).ok()?;
            e.finish().ok()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(s: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(s).unwrap());
        h
    }

    fn neg(s: &str) -> Option<Encoding> {
        negotiate(&headers(s))
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), None);
        assert_eq!(neg(""), None);
        assert_eq!(neg("identity"), None);
        assert_eq!(neg("gzip, deflate, br"), Some(Encoding::Gzip));
        assert_eq!(neg("deflate, gzip"), Some(Encoding::Deflate));
        assert_eq!(neg("deflate;q=0.5, gzip;q=0.8"), Some(Encoding::Gzip));
        assert_eq!(neg("gzip;q=0, deflate"), Some(Encoding::Deflate));
        assert_eq!(neg("gzip;q=0"), None);
        assert_eq!(neg("*"), Some(Encoding::Gzip));
        assert_eq!(neg("*, gzip;q=0"), Some(Encoding::Deflate));
        assert_eq!(neg("br;q=1, deflate;q=0.1"), Some(Encoding::Deflate));
        assert_eq!(neg("gzip;q=abc"), None);
    }

    fn pref(s: &str) -> Option<&'static str> {
        const PROVIDED: [&str; 3] = ["br", "gzip", "deflate"];
        preferred_encoding(&headers(s), &PROVIDED).map(|i| PROVIDED[i])
    }

    #[test]
    fn negotiator_rules_with_three_codings() {
        assert_eq!(pref(""), None);
        // The client's order breaks ties, as in negotiator 0.6.3.
        assert_eq!(pref("gzip, deflate, br"), Some("gzip"));
        assert_eq!(pref("deflate;q=0.9, br;q=0.9, gzip;q=0.9"), Some("deflate"));
        assert_eq!(pref("*;q=0.5, br;q=0.5"), Some("br"));
        assert_eq!(pref("br, gzip"), Some("br"));
        assert_eq!(pref("gzip;q=0.5, br;q=0.4"), Some("gzip"));
        assert_eq!(pref("deflate, gzip;q=1.0, *;q=0.5"), Some("deflate"));
        assert_eq!(pref("*"), Some("br"));
        assert_eq!(pref("identity"), None);
        assert_eq!(pref("gzip;q=0"), None);
        assert_eq!(pref("*;q=0.1, gzip;q=0"), Some("br"));
        assert_eq!(pref("identity;q=1, gzip;q=0.5"), Some("gzip"));
        assert_eq!(pref("compress, x-foo"), None);
        assert_eq!(pref("GZIP"), Some("gzip"));
        assert_eq!(pref("gzip;q=abc, deflate"), Some("deflate"));
        // `q` is read by `parseFloat`: a number's longest prefix, exponents, `Infinity`.
        assert_eq!(pref("gzip;q=0.5x, br;q=0.4"), Some("gzip"));
        assert_eq!(pref("gzip;q=1e-1, br;q=0.05"), Some("gzip"));
        assert_eq!(pref("gzip;q=5e, br;q=4"), Some("gzip"));
        assert_eq!(pref("gzip;q=Infinity, br"), Some("gzip"));
        assert_eq!(pref("gzip;q=., br;q=0.1"), Some("br"));
        assert_eq!(pref("gzip;Q=0.1, br;q=0.5"), Some("gzip"));
    }

    #[test]
    fn lines_are_joined_in_order() {
        let mut h = HeaderMap::new();
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("deflate;q=0.5"),
        );
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0.5"),
        );
        assert_eq!(negotiate(&h), Some(Encoding::Deflate));
        // negotiator keeps each coding's best entry: a later `q=0` does not undo an earlier one.
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("deflate;q=0"),
        );
        assert_eq!(negotiate(&h), Some(Encoding::Deflate));
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0.9"),
        );
        assert_eq!(negotiate(&h), Some(Encoding::Gzip));
        // Together past the cap: absent.
        let half = format!("gzip;q=0.{}", "1".repeat(MAX_ACCEPT_ENCODING / 2));
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(&half).unwrap(),
        );
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(&half).unwrap(),
        );
        assert_eq!(negotiate(&h), None);
    }

    #[test]
    fn js_parse_float_reads_the_longest_number() {
        assert_eq!(js_parse_float("0.5"), 0.5);
        assert_eq!(js_parse_float("  1.5e2xyz"), 150.0);
        assert_eq!(js_parse_float("1."), 1.0);
        assert_eq!(js_parse_float(".25"), 0.25);
        assert_eq!(js_parse_float("-2"), -2.0);
        assert_eq!(js_parse_float("1e"), 1.0);
        assert_eq!(js_parse_float("1e+"), 1.0);
        assert_eq!(js_parse_float("-Infinity"), f64::NEG_INFINITY);
        assert!(js_parse_float("").is_nan());
        assert!(js_parse_float(".").is_nan());
        assert!(js_parse_float("e5").is_nan());
        assert!(js_parse_float("+").is_nan());
    }

    #[test]
    fn long_headers_are_absent_and_cheap() {
        // The shape that cost 0.6 s when every prefix of the q-value was re-parsed.
        let long = format!("gzip;q={}", "1".repeat(60_000));
        let started = std::time::Instant::now();
        assert_eq!(preferred_encoding(&headers(&long), &["gzip"]), None);
        // Just under the cap it is read, in one pass.
        let near = format!("gzip;q=0.{}", "1".repeat(MAX_ACCEPT_ENCODING - 10));
        assert_eq!(pref(&near), Some("gzip"));
        let many = "x, ".repeat(MAX_ACCEPT_ENCODING / 3);
        assert_eq!(pref(&many), None);
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn round_trips() {
        use std::io::Read;
        let data = "4hello world ".repeat(200);
        let gz = compress(Encoding::Gzip, 6, data.as_bytes()).unwrap();
        assert!(gz.len() < data.len() / 4);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let z = compress(Encoding::Deflate, 6, data.as_bytes()).unwrap();
        let mut back = String::new();
        flate2::read::ZlibDecoder::new(&z[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }
}
