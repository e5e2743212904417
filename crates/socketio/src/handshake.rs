//! The handshake details of a socket, in the shape of Node's `socket.handshake`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use engineio::HandshakeRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request that opened the connection, as Node's `socket.handshake` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Handshake {
    /// The request headers (lower-case names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// When the handshake happened, as JavaScript's `Date#toString` writes it (in UTC).
    pub time: String,
    /// The client's IP address.
    pub address: String,
    /// Whether the request came from another origin (it had an `Origin` header).
    pub xdomain: bool,
    /// Whether the connection is encrypted.
    pub secure: bool,
    /// When the handshake happened, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query).
    pub url: String,
    /// The query of the connection's first request.
    pub query: BTreeMap<String, String>,
    /// The auth payload of the CONNECT packet (`{}` when none).
    pub auth: Value,
}

impl Handshake {
    pub(crate) fn new(req: &HandshakeRequest, auth: Value) -> Self {
        let mut headers = BTreeMap::new();
        for (name, value) in &req.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        let since_epoch = req.time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let issued = since_epoch.as_millis() as u64;
        let address = req
            .remote_addr
            .map(|a| match a.ip() {
                std::net::IpAddr::V4(ip) => format!("::ffff:{ip}"),
                std::net::IpAddr::V6(ip) => ip.to_string(),
            })
            .unwrap_or_default();
        Handshake {
            xdomain: req.headers.contains_key(http::header::ORIGIN),
            headers,
            time: js_date_string(req.time),
            address,
            secure: req.secure,
            issued,
            url: req.uri.to_string(),
            query: req.query_pairs().into_iter().collect(),
            auth,
        }
    }
}

/// `Date#toString` in UTC: `Thu Nov 26 2026 00:43:34 GMT+0000 (Coordinated Universal Time)`.
fn js_date_string(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let month_name = MONTHS[((month - 1).clamp(0, 11)) as usize];
    format!(
        "{weekday} {month_name} {day:02} {year} {h:02}:{m:02}:{s:02} GMT+0000 (Coordinated Universal Time)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn date_string() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_653_814);
        assert_eq!(
            js_date_string(t),
            "Thu Nov 26 2026 00:43:34 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            js_date_string(UNIX_EPOCH),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }
}
