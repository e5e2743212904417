//! The Redis of a cluster, seen from outside: its traffic and CPU over the timed phase, read
//! with one `INFO` command before and one after (a raw RESP exchange on a fresh loopback
//! connection, so the load generator needs no Redis client).
//!
//! Bytes per broadcast are what the cluster scenario compares between servers: what the nodes
//! publish into Redis (`total_net_input_bytes`, nearly all of it `PUBLISH` commands while the
//! phase runs) and what Redis sends to the subscribed nodes (`total_net_output_bytes`). The
//! measurement's own `INFO` exchange is taken out of both.

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::net::Error;

/// `INFO` with its default sections (`stats` and `cpu` among them), in RESP.
const INFO: &[u8] = b"*1\r\n$4\r\nINFO\r\n";

/// Bounds the reply: a default `INFO` is a few KiB.
const MAX_REPLY: usize = 1 << 20;

/// The counters of one `INFO` reply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    input_bytes: u64,
    output_bytes: u64,
    /// `used_cpu_user + used_cpu_sys`, seconds.
    cpu_s: f64,
    commands: u64,
    /// Bytes of the reply on the wire, counted in the next reading's output.
    reply_len: u64,
}

impl Stats {
    /// Reads the counters of the Redis at `addr` (`HOST:PORT`, loopback only).
    pub(crate) async fn read(addr: &str) -> Result<Stats, Error> {
        let mut tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("redis {addr}: {e}"))?;
        let peer = tcp.peer_addr().map_err(|e| format!("redis {addr}: {e}"))?;
        if !peer.ip().is_loopback() {
            return Err(format!("refusing redis {addr}: not a loopback address"));
        }
        tcp.write_all(INFO)
            .await
            .map_err(|e| format!("redis {addr}: {e}"))?;
        let mut buf = Vec::with_capacity(8192);
        let body = loop {
            let mut chunk = [0u8; 8192];
            let n = tcp
                .read(&mut chunk)
                .await
                .map_err(|e| format!("redis {addr}: {e}"))?;
            if n == 0 {
                return Err(format!("redis {addr}: closed before the INFO reply"));
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_REPLY {
                return Err(format!("redis {addr}: INFO reply over {MAX_REPLY} bytes"));
            }
            if let Some(body) = bulk(&buf)? {
                break body;
            }
        };
        let text = String::from_utf8_lossy(body);
        let field = |name: &str| -> Result<&str, Error> {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
                .ok_or_else(|| format!("redis {addr}: INFO has no {name}"))
        };
        let int = |name: &str| -> Result<u64, Error> {
            field(name)?
                .parse()
                .map_err(|_| format!("redis {addr}: {name} is not a number"))
        };
        let float = |name: &str| -> Result<f64, Error> {
            field(name)?
                .parse()
                .map_err(|_| format!("redis {addr}: {name} is not a number"))
        };
        Ok(Stats {
            input_bytes: int("total_net_input_bytes")?,
            output_bytes: int("total_net_output_bytes")?,
            cpu_s: float("used_cpu_user")? + float("used_cpu_sys")?,
            commands: int("total_commands_processed")?,
            reply_len: buf.len() as u64,
        })
    }
}

/// The body of a complete RESP bulk string at the start of `buf`; `None` while incomplete.
fn bulk(buf: &[u8]) -> Result<Option<&[u8]>, Error> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let head = &buf[..eol];
    let len: usize = match head.split_first() {
        Some((b'$', digits)) => std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or("redis: malformed INFO reply length")?,
        _ => {
            return Err(format!(
                "redis: unexpected INFO reply {:?}",
                String::from_utf8_lossy(&head[..head.len().min(80)])
            ))
        }
    };
    let start = eol + 2;
    if buf.len() < start + len + 2 {
        return Ok(None);
    }
    Ok(Some(&buf[start..start + len]))
}

/// Records Redis's traffic and CPU between two readings, per broadcast when there were any.
pub(crate) fn record(out: &mut Map<String, Value>, before: &Stats, after: &Stats, broadcasts: u64) {
    // The second INFO request is counted in `after`'s input, the first reply in its output.
    let input = after
        .input_bytes
        .saturating_sub(before.input_bytes)
        .saturating_sub(INFO.len() as u64);
    let output = after
        .output_bytes
        .saturating_sub(before.output_bytes)
        .saturating_sub(before.reply_len);
    let cpu = after.cpu_s - before.cpu_s;
    let commands = after
        .commands
        .saturating_sub(before.commands)
        .saturating_sub(1);
    out.insert("redis_in_bytes".into(), json!(input));
    out.insert("redis_out_bytes".into(), json!(output));
    out.insert("redis_commands".into(), json!(commands));
    out.insert("redis_cpu_s".into(), json!((cpu * 1e3).round() / 1e3));
    if broadcasts > 0 {
        let per = |x: f64| (x * 10.0 / broadcasts as f64).round() / 10.0;
        out.insert(
            "redis_in_bytes_per_broadcast".into(),
            json!(per(input as f64)),
        );
        out.insert(
            "redis_out_bytes_per_broadcast".into(),
            json!(per(output as f64)),
        );
        out.insert(
            "redis_commands_per_broadcast".into(),
            json!(per(commands as f64)),
        );
        out.insert("redis_cpu_us_per_broadcast".into(), json!(per(cpu * 1e6)));
    }
}

#[cfg(test)]
mod tests {
    use super::bulk;

    #[test]
    fn bulk_reply() {
        assert_eq!(bulk(b"$5\r\nhel"), Ok(None));
        assert_eq!(bulk(b"$5\r\nhello\r"), Ok(None));
        assert_eq!(bulk(b"$5\r\nhello\r\n"), Ok(Some(&b"hello"[..])));
        assert!(bulk(b"-ERR no\r\n").is_err());
        assert!(bulk(b"$x\r\n").is_err());
    }
}
