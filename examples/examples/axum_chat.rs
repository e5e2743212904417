//! A chat server in an axum app: token auth in a middleware, rooms with history, typing
//! notices, a room's user list, a periodic `stats` broadcast, and `GET /health` and
//! `GET /stats` beside Socket.IO. The app is `examples/src/axum_chat.rs` (its docs list the
//! events); this file parses the flags and runs it.
//!
//! ```text
//! cargo run --example axum_chat                      # listens on 127.0.0.1:3000
//! cargo run --example axum_chat -- --port 0 --stats-interval-ms 1000
//! PORT=4000 STATS_INTERVAL_MS=1000 cargo run --example axum_chat
//! ```
//!
//! The first line on stdout is `listening on http://ADDR` (the port chosen when it is 0).
//! Ctrl-C or SIGTERM stops it. From Node, with socket.io-client 4.x:
//!
//! ```text
//! const socket = io("http://localhost:3000", { auth: { token: "alice-token" } });
//! const { history } = await socket.emitWithAck("join", "general");
//! const { id } = await socket.emitWithAck("message", "general", "hello");
//! ```
//!
//! The demo tokens are `alice-token`, `bob-token` and `carol-token`.
//! `RUST_LOG=socketio=debug` logs as Node's `DEBUG=socket.io*`.

use std::time::Duration;

use examples::axum_chat::{start, Options};

fn usage(problem: &str) -> ! {
    eprintln!("axum_chat: {problem}\nusage: axum_chat [--port N] [--stats-interval-ms MS]");
    std::process::exit(2)
}

/// The options: the environment (`PORT`, `STATS_INTERVAL_MS`), overridden by the flags.
fn options() -> Options {
    let mut port = std::env::var("PORT").ok();
    let mut stats_ms = std::env::var("STATS_INTERVAL_MS").ok();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--port" => &mut port,
            "--stats-interval-ms" => &mut stats_ms,
            other => usage(&format!("unknown flag {other}")),
        };
        *slot = Some(
            args.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value"))),
        );
    }
    let mut options = Options::default();
    if let Some(port) = port {
        let port = port
            .parse()
            .unwrap_or_else(|_| usage(&format!("bad port {port:?}")));
        options.addr.set_port(port);
    }
    if let Some(ms) = stats_ms {
        let ms: u64 = ms
            .parse()
            .unwrap_or_else(|_| usage(&format!("bad stats interval {ms:?}")));
        options.stats_every = Duration::from_millis(ms.max(1));
    }
    options
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Logs on stderr: stdout's first line is the address.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("socketio=info,info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let running = start(options()).await?;
    println!("listening on http://{}", running.addr);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    running.shutdown().await;
    Ok(())
}
