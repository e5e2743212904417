//! The conformance fixture for the official Engine.IO and Socket.IO test suites and the
//! real-client tests.
//!
//! ```text
//! cargo run --release --example conformance -- --port 3000 [--ping-interval MS] [--ping-timeout MS]
//!     [--redis redis://127.0.0.1:6379] [--parser text|msgpack] [--recovery on|off]
//!     [--deflate on|off]
//! ```
//!
//! `--redis`: the Socket.IO side runs on the Redis adapter, a node of a cluster (the cluster
//! scenario of `scripts/bench.sh`). `--parser msgpack`: the msgpack packet codec.
//! `--recovery on`: connection state recovery with its defaults. `--deflate on`:
//! permessage-deflate with its defaults (threshold 1024 bytes) for the WebSocket clients that
//! offer it. The environment variables `BENCH_PARSER`, `BENCH_RECOVERY` and `BENCH_DEFLATE`
//! set the same (for `scripts/bench.sh`).

use std::time::Duration;

use examples::conformance::{start, Options};

fn usage() -> ! {
    eprintln!(
        "usage: conformance [--port N] [--ping-interval MS] [--ping-timeout MS] [--redis URL] [--parser text|msgpack] [--recovery on|off] [--deflate on|off]"
    );
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    // One worker (`TOKIO_WORKER_THREADS=1`, how the benchmarks run every Rust server): the
    // current-thread scheduler, whose run queue is one unbounded FIFO. Several: the multi-thread
    // scheduler, taking from its global queue every other task.
    //
    // Why: a multi-thread worker's local queue holds 256 tasks, and when more connections are
    // ready at once the oldest half moves to the global queue, which a worker looks at only every
    // 31st task by default; those connections wait behind hundreds of turns of the others (p99
    // echo latency ~250 ms at 1000 clients on one worker, against a 3 ms median). Looking at the
    // global queue on every task is worse: while it never empties, the 128 tasks left in the
    // local queue never run at all. Every other task serves both (p99 ~25 ms); the
    // current-thread scheduler does best (p99 ~14 ms) for the same CPU.
    let one = std::env::var("TOKIO_WORKER_THREADS").is_ok_and(|v| v.trim() == "1");
    // `BENCH_RUNTIME=tokio-main`: the multi-thread runtime exactly as `#[tokio::main]` builds it
    // (its worker count from TOKIO_WORKER_THREADS), what a user's app starts with.
    let tokio_main = std::env::var("BENCH_RUNTIME").is_ok_and(|v| v.trim() == "tokio-main");
    let mut builder = if tokio_main {
        tokio::runtime::Builder::new_multi_thread()
    } else if one {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.global_queue_interval(2);
        b
    };
    builder.enable_all().build()?.block_on(run())
}

async fn run() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut options = Options::default();
    options.addr.set_port(3000);
    let parser = |v: &str| match v {
        "text" => socketio::Parser::Text,
        "msgpack" => socketio::Parser::MsgPack,
        _ => usage(),
    };
    let recovery = |v: &str| match v {
        "on" => Some(socketio::ConnectionStateRecovery::default()),
        "off" => None,
        _ => usage(),
    };
    let deflate = |v: &str| match v {
        "on" => Some(engineio::PerMessageDeflate::default()),
        "off" => None,
        _ => usage(),
    };
    if let Ok(v) = std::env::var("BENCH_PARSER") {
        options.parser = parser(v.trim());
    }
    if let Ok(v) = std::env::var("BENCH_RECOVERY") {
        options.recovery = recovery(v.trim());
    }
    if let Ok(v) = std::env::var("BENCH_DEFLATE") {
        options.deflate = deflate(v.trim());
    }
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let text = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--redis" => {
                options.redis = Some(text);
                continue;
            }
            "--parser" => {
                options.parser = parser(&text);
                continue;
            }
            "--recovery" => {
                options.recovery = recovery(&text);
                continue;
            }
            "--deflate" => {
                options.deflate = deflate(&text);
                continue;
            }
            _ => {}
        }
        let value: u64 = text.parse().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--port" => options
                .addr
                .set_port(u16::try_from(value).unwrap_or_else(|_| usage())),
            "--ping-interval" => options.ping_interval = Duration::from_millis(value),
            "--ping-timeout" => options.ping_timeout = Duration::from_millis(value),
            _ => usage(),
        }
    }
    let fixture = start(options).await?;
    println!(
        "conformance fixture listening on http://{}",
        fixture.local_addr()
    );
    tokio::signal::ctrl_c().await?;
    fixture.shutdown().await;
    Ok(())
}
