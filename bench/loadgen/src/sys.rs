//! What the load generator reads from the kernel: a process's CPU time and resident memory
//! (`/proc/<pid>/stat`, `/proc/<pid>/status`), and its own file limit.

use std::io;

/// CPU time (user + system, all threads, dead ones included) of `pid`, in seconds, from
/// fields 14 and 15 of `/proc/<pid>/stat` (`proc(5)`); the resolution is one clock tick.
pub(crate) fn cpu_seconds(pid: u32) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_ticks(&stat)
        .map(|ticks| ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc stat"))
}

/// The CPU time of several processes (the nodes of a cluster) together; `None` without any
/// process, or when one of them cannot be read.
pub(crate) fn cpu_seconds_all(pids: &[u32]) -> Option<f64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|&p| cpu_seconds(p).ok()).sum()
}

/// The load generator's own CPU time, in seconds.
pub(crate) fn own_cpu_seconds() -> io::Result<f64> {
    cpu_seconds(std::process::id())
}

/// `utime + stime` in ticks. The command name (field 2) may hold spaces and parentheses, so the
/// fields are counted from the last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    // after the `)`: field 3 (state) is the first one
    let mut fields = after.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` of `pid` in KiB, from `/proc/<pid>/status`.
pub(crate) fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS"))
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, and the hard one to `want` when allowed
/// (root). Returns the soft limit now in force.
pub(crate) fn raise_nofile(want: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let hard = now.maximum.unwrap_or(u64::MAX);
    if hard < want {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: Some(want),
            },
        );
    }
    let now = getrlimit(Resource::Nofile);
    let hard = now.maximum.unwrap_or(u64::MAX);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(hard.min(want.max(now.current.unwrap_or(0)))),
            maximum: now.maximum,
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::parse_stat_ticks;

    #[test]
    fn stat_fields_after_a_tricky_name() {
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0 99 1 2";
        assert_eq!(parse_stat_ticks(line), Some(22));
    }
}
