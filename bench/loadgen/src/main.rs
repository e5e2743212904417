//! Load generator for the Socket.IO benchmarks (BENCH-1).
//!
//! It speaks Engine.IO 4 and Socket.IO 5 itself, over WebSocket (tokio-tungstenite with small
//! buffers, one task per client on one thread) and over HTTP long-polling (a minimal HTTP/1.1
//! client), so any Socket.IO 4.x server can be measured with the same bytes. It only targets
//! loopback addresses, and every run is bounded in clients and time.
//!
//! ```text
//! loadgen run --url http://127.0.0.1:3000 --scenario echo --clients 100 \
//!             [--duration 5] [--warmup 1] [--server-pid PID] [--label ours] [--parser msgpack]
//! loadgen run --scenario fanout --clients 1000 --deflate --payload 2048 [--window 4]
//! loadgen run --scenario cluster --url http://127.0.0.1:3001 --url http://127.0.0.1:3002 \
//!             --server-pid P1 --server-pid P2 --redis 127.0.0.1:6379 --clients 1000
//! loadgen report results.jsonl [--baseline ours] [--servers ours-msgpack,node-msgpack]
//! ```
//!
//! `run` prints one JSON line per scenario on stdout and a human summary on stderr, and exits
//! with 1 when the scenario broke (errors, missing deliveries, no operation at all), never
//! because of timing. `report` turns the JSON lines of `scripts/bench.sh` into the Markdown
//! table of `BENCHMARKS.md`: medians per server and ratios against the baseline.
//!
//! Layout: `net` (target, source addresses, WebSocket handshake, HTTP client), `deflate`
//! (permessage-deflate on the receiving side, for `--deflate`), `client` (one
//! WebSocket client's roles and the delivery tracker), `msgpack` (socket.io-msgpack-parser
//! packets for `--parser msgpack`), `scenario` (drivers and measurement),
//! `polling` (the long-polling scenario), `sys` (`/proc` and rlimits), `redis` (a cluster's
//! Redis traffic and CPU), `report`.

mod client;
mod deflate;
mod msgpack;
mod net;
mod polling;
mod redis;
mod report;
mod scenario;
mod sys;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::scenario::{Params, Scenario};

const USAGE: &str = "\
usage: loadgen run [options]    one scenario against one server
       loadgen report FILE... [--baseline LABEL] [--servers LABEL,..]

run options:
  --url URL                  server, loopback only (default http://127.0.0.1:3000); cluster:
                             repeat it, once per node, clients spread over them in turn
  --path PATH                Socket.IO path (default /socket.io/)
  --scenario NAME            echo | fanout | cluster | rooms | idle | polling (default echo)
  --clients N                clients or connections (default 100, at most 60000)
  --duration S               timed phase in seconds; for idle, how long they are held (default 5)
  --warmup S                 untimed start (default 1)
  --payload BYTES            payload string length, at least 16 (default 64)
  --rooms N                  rooms scenario: rooms (default 100)
  --window N                 fanout, rooms and cluster scenarios: concurrent senders, each
                             with one broadcast in flight (default 16 for rooms, 1 for
                             fanout and cluster)
  --connect-concurrency N    handshakes in flight while connecting (default 64)
  --server-pid PID           the server process, for its CPU time and memory; repeat it for
                             every node of a cluster (CPU summed)
  --redis HOST:PORT          cluster: the Redis, for its bytes and CPU per broadcast
  --parser text|msgpack      the clients' Socket.IO packet codec (default text): msgpack is
                             socket.io-msgpack-parser, one binary frame per packet; WebSocket
                             scenarios only (not polling)
  --deflate                  fanout scenario: offer permessage-deflate (no context takeover
                             either way) and inflate what the server compresses; the server
                             must accept it. Needs --payload 1024 or more (the servers'
                             threshold); the payload is then text of random words. Scenario
                             name fanout-deflate (fanout-deflate-wK with --window K)
  --label NAME               server name in the output (default server)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("report") => report::main(&args[1..]),
        Some("run") => run_main(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

struct Cli {
    urls: Vec<String>,
    path: String,
    label: String,
    params: Params,
}

fn parse(args: &[String]) -> Result<Cli, String> {
    let mut cli = Cli {
        urls: Vec::new(),
        path: "/socket.io/".to_owned(),
        label: "server".to_owned(),
        params: Params {
            scenario: Scenario::Echo,
            clients: 100,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            payload: 64,
            rooms: 100,
            window: 16,
            connect_concurrency: 64,
            server_pids: Vec::new(),
            redis: None,
            parser: Parser::Text,
            deflate: false,
        },
    };
    let mut window_set = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--deflate" {
            cli.params.deflate = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .as_str();
        let num = |max: u64| -> Result<u64, String> {
            let v: u64 = value
                .parse()
                .map_err(|_| format!("{flag}: not a number: {value}"))?;
            if v > max {
                return Err(format!("{flag}: at most {max}"));
            }
            Ok(v)
        };
        let secs = |max: f64| -> Result<Duration, String> {
            let v: f64 = value
                .parse()
                .map_err(|_| format!("{flag}: not a number: {value}"))?;
            if !(0.0..=max).contains(&v) {
                return Err(format!("{flag}: between 0 and {max} seconds"));
            }
            Ok(Duration::from_secs_f64(v))
        };
        let p = &mut cli.params;
        match flag.as_str() {
            "--url" => cli.urls.push(value.to_owned()),
            "--path" => cli.path = value.to_owned(),
            "--label" => cli.label = value.to_owned(),
            "--scenario" => {
                p.scenario =
                    Scenario::parse(value).ok_or_else(|| format!("unknown scenario {value}"))?
            }
            "--clients" => p.clients = num(60_000)? as usize,
            "--duration" => p.duration = secs(300.0)?,
            "--warmup" => p.warmup = secs(60.0)?,
            "--payload" => p.payload = num(65_536)?.max(16) as usize,
            "--rooms" => p.rooms = num(10_000)?.max(1) as usize,
            "--window" => {
                p.window = num(1024)?.max(1) as usize;
                window_set = true;
            }
            "--connect-concurrency" => p.connect_concurrency = num(4096)?.max(1) as usize,
            "--server-pid" => p.server_pids.push(num(u64::from(u32::MAX))? as u32),
            "--redis" => p.redis = Some(value.to_owned()),
            "--parser" => {
                p.parser = Parser::parse(value).ok_or_else(|| format!("unknown parser {value}"))?
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if matches!(cli.params.scenario, Scenario::Cluster | Scenario::Fanout) && !window_set {
        cli.params.window = 1;
    }
    if cli.params.parser == Parser::MsgPack && cli.params.scenario == Scenario::Polling {
        return Err(
            "--parser msgpack: the polling scenario speaks the text parser only".to_owned(),
        );
    }
    if cli.params.deflate {
        if cli.params.scenario != Scenario::Fanout {
            return Err("--deflate: the fanout scenario only".to_owned());
        }
        if cli.params.payload < 1024 {
            return Err(
                "--deflate: --payload 1024 or more (smaller messages are not compressed)"
                    .to_owned(),
            );
        }
    }
    if cli.urls.is_empty() {
        cli.urls.push("http://127.0.0.1:3000".to_owned());
    }
    if cli.urls.len() > 16 {
        return Err("at most 16 --url".to_owned());
    }
    Ok(cli)
}

fn run_main(args: &[String]) -> i32 {
    let cli = match parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("loadgen: {e}\n{USAGE}");
            return 2;
        }
    };
    // two descriptors per polling client, one per WebSocket client, and some slack
    let per_client = if cli.params.scenario == Scenario::Polling {
        2
    } else {
        1
    };
    let nofile = sys::raise_nofile(1 << 20);
    if nofile < (per_client * cli.params.clients + 64) as u64 {
        eprintln!(
            "loadgen: RLIMIT_NOFILE is {nofile}, too low for {} clients",
            cli.params.clients
        );
        return 2;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: runtime: {e}");
            return 2;
        }
    };
    let p = cli.params.clone();
    // a hard bound on the whole run, whatever the server does
    let budget = p.warmup + p.duration + Duration::from_secs(120 + p.clients as u64 / 100);
    let result = rt.block_on(async {
        let mut targets = Vec::with_capacity(cli.urls.len());
        for url in &cli.urls {
            targets.push(Arc::new(Target::parse(url, &cli.path).await?));
        }
        tokio::time::timeout(budget, scenario::run(&p, targets))
            .await
            .map_err(|_| format!("gave up after {} s", budget.as_secs()))
    });
    let mut out = match result {
        Ok(out) => out,
        Err(e) => {
            let mut m = serde_json::Map::new();
            m.insert("scenario".into(), json!(p.scenario.name()));
            m.insert("size".into(), json!(p.clients));
            m.insert("ok".into(), json!(false));
            m.insert("errors".into(), json!(1));
            m.insert("first_error".into(), json!(e));
            m
        }
    };
    out.insert("server".into(), json!(cli.label));
    out.insert("duration_s".into(), json!(p.duration.as_secs_f64()));
    out.insert("payload".into(), json!(p.payload));
    let ok = out.get("ok").and_then(Value::as_bool).unwrap_or(false);
    let line = Value::Object(out);
    println!("{line}");
    eprintln!("{}", report::summary_line(&line));
    rt.shutdown_timeout(Duration::from_millis(100));
    if ok {
        0
    } else {
        1
    }
}

use crate::net::{Parser, Target};
