//! `httpCompression`: gzip or deflate of polling responses, as Node's polling transport.

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use http::HeaderValue;

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

/// The preferred of gzip and deflate by `Accept-Encoding`, with the `negotiator` package's rules:
/// the highest `q` wins (0 and unparsable mean "not acceptable"), an exact name beats `*`, then
/// the order in the header, then gzip before deflate. No header: none.
pub(crate) fn negotiate(accept: Option<&HeaderValue>) -> Option<Encoding> {
    let accept = accept?.to_str().ok()?;
    // (quality, specificity, position in the header) of the best spec for each coding.
    let mut best: [Option<(f32, u8, usize)>; 2] = [None, None];
    for (pos, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let mut q = 1.0f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        for (i, coding) in ["gzip", "deflate"].iter().enumerate() {
            let s = if name.eq_ignore_ascii_case(coding) {
                1
            } else if name == "*" {
                0
            } else {
                continue;
            };
            let better = match best[i] {
                None => true,
                Some((bq, bs, bo)) => s > bs || (s == bs && (q > bq || (q == bq && pos > bo))),
            };
            if better {
                best[i] = Some((q, s, pos));
            }
        }
    }
    let candidates = [(Encoding::Gzip, best[0]), (Encoding::Deflate, best[1])];
    let mut chosen: Option<(Encoding, (f32, u8, usize))> = None;
    for (enc, spec) in candidates {
        let Some(spec) = spec.filter(|s| s.0 > 0.0) else {
            continue;
        };
        chosen = match chosen {
            None => Some((enc, spec)),
            Some((c, cs)) => {
                let wins = spec.0 > cs.0
                    || (spec.0 == cs.0 && (spec.1 > cs.1 || (spec.1 == cs.1 && spec.2 < cs.2)));
                if wins {
                    Some((enc, spec))
                } else {
                    Some((c, cs))
                }
            }
        };
    }
    chosen.map(|(e, _)| e)
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

    fn neg(s: &str) -> Option<Encoding> {
        negotiate(Some(&HeaderValue::from_str(s).unwrap()))
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None), None);
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
