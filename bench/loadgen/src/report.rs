//! The human side of the results: one summary line per run, and the Markdown table of
//! `BENCHMARKS.md` built from the JSON lines of `scripts/bench.sh` (medians over rounds, ratios
//! of the baseline against every other server).
//!
//! `--servers a,b,..` keeps only those servers' runs and configurations, and only the scenarios
//! the baseline ran (the msgpack table of `scripts/bench.sh`: `ours-msgpack` against the
//! msgpack peers).
//!
//! Lines of the results file are either a run (`{"scenario": .., "server": .., ...}`) or a
//! server's configuration (`{"config": "<label>", "text": "..."}`).

use std::collections::BTreeMap;

use serde_json::Value;

/// One metric of the table: its label, the JSON field, a scale and its decimals.
struct Metric {
    label: &'static str,
    field: &'static str,
    scale: f64,
    digits: usize,
}

const fn m(label: &'static str, field: &'static str, scale: f64, digits: usize) -> Metric {
    Metric {
        label,
        field,
        scale,
        digits,
    }
}

fn metrics(scenario: &str) -> &'static [Metric] {
    const ECHO: &[Metric] = &[
        m("server CPU µs / round trip", "cpu_us_per_op", 1.0, 2),
        m("round trips / s", "ops_per_s", 1.0, 0),
        m("p50 latency ms", "p50_us", 1e-3, 2),
        m("p99 latency ms", "p99_us", 1e-3, 2),
        m("p99.9 latency ms", "p999_us", 1e-3, 2),
    ];
    const BROADCAST: &[Metric] = &[
        m("server CPU µs / delivery", "cpu_us_per_op", 1.0, 3),
        m("deliveries / s", "ops_per_s", 1.0, 0),
        m("reach all p50 ms", "reach_all_p50_us", 1e-3, 2),
        m("missing deliveries", "missing", 1.0, 0),
    ];
    const CLUSTER: &[Metric] = &[
        m(
            "server CPU µs / delivery (all nodes)",
            "cpu_us_per_op",
            1.0,
            3,
        ),
        m("deliveries / s", "ops_per_s", 1.0, 0),
        m("reach all p50 ms", "reach_all_p50_us", 1e-3, 2),
        m("missing deliveries", "missing", 1.0, 0),
        m(
            "bytes into Redis / broadcast",
            "redis_in_bytes_per_broadcast",
            1.0,
            0,
        ),
        m(
            "bytes out of Redis / broadcast",
            "redis_out_bytes_per_broadcast",
            1.0,
            0,
        ),
        m(
            "Redis CPU µs / broadcast",
            "redis_cpu_us_per_broadcast",
            1.0,
            1,
        ),
    ];
    const ROOMS: &[Metric] = &[
        m("server CPU µs / delivery", "cpu_us_per_op", 1.0, 3),
        m("deliveries / s", "ops_per_s", 1.0, 0),
        m("missing deliveries", "missing", 1.0, 0),
    ];
    const IDLE: &[Metric] = &[
        m(
            "server RSS bytes / connection",
            "rss_per_conn_bytes",
            1.0,
            0,
        ),
        m("setups / s", "setups_per_s", 1.0, 0),
        m("server CPU µs / setup", "cpu_us_per_op", 1.0, 1),
    ];
    const POLLING: &[Metric] = &[
        m("server CPU µs / round trip", "cpu_us_per_op", 1.0, 2),
        m("round trips / s", "ops_per_s", 1.0, 0),
        m("p99 latency ms", "p99_us", 1e-3, 2),
    ];
    match scenario {
        "echo" => ECHO,
        s if s.starts_with("fanout") => BROADCAST,
        s if s.starts_with("cluster") => CLUSTER,
        "rooms" => ROOMS,
        "idle" => IDLE,
        _ => POLLING,
    }
}

/// One line for a terminal.
pub(crate) fn summary_line(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
    let scenario = s("scenario");
    let mut line = format!(
        "{:<8} {:<20} size {:>6}  {}",
        scenario,
        s("server"),
        v.get("size").and_then(Value::as_u64).unwrap_or(0),
        if v.get("ok").and_then(Value::as_bool) == Some(true) {
            "ok  "
        } else {
            "FAIL"
        }
    );
    for metric in metrics(&scenario) {
        if let Some(x) = v.get(metric.field).and_then(Value::as_f64) {
            line.push_str(&format!(
                "  {} {:.*}",
                metric.label,
                metric.digits,
                x * metric.scale
            ));
        }
    }
    if let Some(x) = v.get("loadgen_cpu_pct").and_then(Value::as_f64) {
        line.push_str(&format!("  (loadgen CPU {x:.0}%)"));
    }
    if let Some(e) = v.get("first_error").and_then(Value::as_str) {
        line.push_str(&format!("  error: {e}"));
    }
    line
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

const ORDER: [&str; 6] = ["echo", "fanout", "cluster", "rooms", "idle", "polling"];

/// `loadgen report FILE... [--baseline LABEL] [--servers LABEL,..]`.
pub(crate) fn main(args: &[String]) -> i32 {
    let mut files = Vec::new();
    let mut baseline = "ours".to_owned();
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--baseline" || a == "--servers" {
            let Some(v) = it.next() else {
                eprintln!("loadgen report: {a} needs a value");
                return 2;
            };
            if a == "--baseline" {
                baseline = v.clone();
            } else {
                only = Some(v.split(',').map(str::to_owned).collect());
            }
        } else {
            files.push(a.clone());
        }
    }
    if files.is_empty() {
        eprintln!("usage: loadgen report FILE... [--baseline LABEL] [--servers LABEL,..]");
        return 2;
    }
    let mut runs: Vec<Value> = Vec::new();
    let mut configs: BTreeMap<String, String> = BTreeMap::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("loadgen report: {f}: {e}");
                return 2;
            }
        };
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let (Some(c), Some(t)) = (
                v.get("config").and_then(Value::as_str),
                v.get("text").and_then(Value::as_str),
            ) {
                configs.insert(c.to_owned(), t.to_owned());
            } else if v.get("scenario").is_some() {
                runs.push(v);
            }
        }
    }
    if let Some(only) = &only {
        (runs, configs) = keep(runs, configs, only, &baseline);
    }
    print!(
        "{}",
        table(
            &runs,
            &configs,
            &baseline,
            only.as_deref().unwrap_or_default()
        )
    );
    0
}

/// The runs and configurations of the servers in `only`, in the scenarios `baseline` ran.
fn keep(
    runs: Vec<Value>,
    configs: BTreeMap<String, String>,
    only: &[String],
    baseline: &str,
) -> (Vec<Value>, BTreeMap<String, String>) {
    let server = |r: &Value| {
        r.get("server")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let group = |r: &Value| {
        (
            r.get("scenario")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            r.get("size").and_then(Value::as_u64).unwrap_or(0),
        )
    };
    let ran: Vec<(String, u64)> = runs
        .iter()
        .filter(|r| server(r) == baseline)
        .map(group)
        .collect();
    let runs: Vec<Value> = runs
        .into_iter()
        .filter(|r| only.contains(&server(r)) && ran.contains(&group(r)))
        .collect();
    // a server's configuration, or a scenario's (`cluster`) while one of its runs is kept
    let configs = configs
        .into_iter()
        .filter(|(label, _)| {
            only.contains(label) || runs.iter().any(|r| group(r).0 == label.as_str())
        })
        .collect();
    (runs, configs)
}

/// The Markdown table: the baseline's column first, then the servers in `order` (`--servers`),
/// then the others by name.
fn table(
    runs: &[Value],
    configs: &BTreeMap<String, String>,
    baseline: &str,
    order: &[String],
) -> String {
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut servers: Vec<String> = Vec::new();
    for r in runs {
        let s = field(r, "server");
        if !servers.contains(&s) {
            servers.push(s);
        }
    }
    servers.sort_by_key(|s| {
        (
            s != baseline,
            order.iter().position(|o| o == s).unwrap_or(usize::MAX),
            s.clone(),
        )
    });
    let others: Vec<&String> = servers.iter().filter(|s| *s != baseline).collect();
    let mut groups: Vec<(String, u64)> = Vec::new();
    for r in runs {
        let key = (
            field(r, "scenario"),
            r.get("size").and_then(Value::as_u64).unwrap_or(0),
        );
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    groups.sort_by_key(|(s, n)| {
        let base = s.split('-').next().unwrap_or(s);
        (
            ORDER.iter().position(|o| *o == base).unwrap_or(9),
            s.clone(),
            *n,
        )
    });

    let mut md = String::new();
    md.push_str("| scenario | metric |");
    for s in &servers {
        md.push_str(&format!(" {s} |"));
    }
    for o in &others {
        md.push_str(&format!(" {baseline} / {o} |"));
    }
    md.push_str("\n|---|---|");
    for _ in 0..servers.len() + others.len() {
        md.push_str("---:|");
    }
    md.push('\n');
    for (scenario, size) in &groups {
        let of = |server: &str| -> Vec<&Value> {
            runs.iter()
                .filter(|r| {
                    field(r, "scenario") == *scenario
                        && r.get("size").and_then(Value::as_u64) == Some(*size)
                        && field(r, "server") == server
                })
                .collect()
        };
        for (i, metric) in metrics(scenario).iter().enumerate() {
            let name = if i == 0 {
                format!("{scenario} {size}")
            } else {
                String::new()
            };
            md.push_str(&format!("| {name} | {} |", metric.label));
            let med = |server: &str| -> Option<f64> {
                median(
                    of(server)
                        .iter()
                        .filter_map(|r| r.get(metric.field).and_then(Value::as_f64))
                        .collect(),
                )
                .map(|x| x * metric.scale)
            };
            for s in &servers {
                let rs = of(s);
                let failed = rs
                    .iter()
                    .filter(|r| r.get("ok").and_then(Value::as_bool) != Some(true))
                    .count();
                let cell = match med(s) {
                    Some(x) => format!("{x:.*}", metric.digits),
                    None if rs.is_empty() => "–".to_owned(),
                    None => "n/a".to_owned(),
                };
                let mark = if failed > 0 && i == 0 {
                    format!(" ({failed}/{} failed)", rs.len())
                } else {
                    String::new()
                };
                md.push_str(&format!(" {cell}{mark} |"));
            }
            for o in &others {
                let cell = match (med(baseline), med(o)) {
                    (Some(a), Some(b)) if b != 0.0 && metric.field != "missing" => {
                        format!("{:.2}", a / b)
                    }
                    _ => "–".to_owned(),
                };
                md.push_str(&format!(" {cell} |"));
            }
            md.push('\n');
        }
    }
    let rounds = groups
        .iter()
        .map(|(scenario, size)| {
            runs.iter()
                .filter(|r| {
                    field(r, "scenario") == *scenario
                        && r.get("size").and_then(Value::as_u64) == Some(*size)
                        && field(r, "server") == baseline
                })
                .count()
        })
        .max()
        .unwrap_or(0);
    md.push_str(&format!(
        "\nMedians over {rounds} round(s) per server and scenario. Ratios are {baseline} / peer: below 1 \
         is better for CPU, memory, latency and missing deliveries, above 1 for throughput.\n"
    ));
    if !configs.is_empty() {
        md.push_str("\nServer configurations:\n\n");
        for (label, text) in configs {
            md.push_str(&format!("- **{label}**: {text}\n"));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::{keep, median, table};

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn ratios_of_the_baseline_against_each_peer() {
        let runs = vec![
            json!({"scenario": "echo", "size": 100, "server": "ours", "ok": true, "cpu_us_per_op": 10.0}),
            json!({"scenario": "echo", "size": 100, "server": "peer", "ok": true, "cpu_us_per_op": 20.0}),
        ];
        let md = table(&runs, &BTreeMap::new(), "ours", &[]);
        assert!(
            md.starts_with("| scenario | metric | ours | peer | ours / peer |"),
            "{md}"
        );
        assert!(
            md.contains("| echo 100 | server CPU µs / round trip | 10.00 | 20.00 | 0.50 |"),
            "{md}"
        );
    }

    #[test]
    fn a_msgpack_baseline_and_a_subset_of_servers() {
        let run = |scenario: &str, server: &str, cpu: f64| {
            json!({"scenario": scenario, "size": 20, "server": server, "ok": true,
                   "cpu_us_per_op": cpu, "ops_per_s": 1000.0 / cpu})
        };
        let runs = vec![
            run("fanout", "ours", 1.0),
            run("fanout", "ours-msgpack", 2.0),
            run("fanout", "socketioxide-msgpack", 4.0),
            run("fanout", "socketioxide", 8.0),
            run("polling", "ours", 3.0),
        ];
        let mut configs = BTreeMap::new();
        configs.insert("ours-msgpack".to_owned(), "ours, msgpack".to_owned());
        configs.insert("socketioxide".to_owned(), "text".to_owned());
        configs.insert("cluster".to_owned(), "two nodes".to_owned());
        // the columns in this order, not by name
        let only: Vec<String> = ["ours-msgpack", "socketioxide-msgpack", "ours"]
            .map(str::to_owned)
            .to_vec();
        let (runs, configs) = keep(runs, configs, &only, "ours-msgpack");
        let md = table(&runs, &configs, "ours-msgpack", &only);
        assert!(
            md.starts_with(
                "| scenario | metric | ours-msgpack | socketioxide-msgpack | ours | \
                 ours-msgpack / socketioxide-msgpack | ours-msgpack / ours |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| fanout 20 | server CPU µs / delivery | 2.000 | 4.000 | 1.000 | 0.50 | 2.00 |"
            ),
            "{md}"
        );
        // the baseline ran no polling; socketioxide (text) is left out
        assert!(
            !md.contains("polling") && !md.contains("| socketioxide |"),
            "{md}"
        );
        assert!(
            md.contains("**ours-msgpack**") && !md.contains("**socketioxide**"),
            "{md}"
        );
        // the configuration of a scenario stays while one of its runs does
        assert!(!md.contains("**cluster**"), "{md}");
        let runs = vec![run("cluster", "ours", 1.0), run("cluster", "node", 2.0)];
        let mut configs = BTreeMap::new();
        configs.insert("cluster".to_owned(), "two nodes".to_owned());
        let only = ["ours", "node"].map(str::to_owned).to_vec();
        let (runs, configs) = keep(runs, configs, &only, "ours");
        assert_eq!((runs.len(), configs.len()), (2, 1));
    }
}
