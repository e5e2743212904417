//! socketioxide peer for `scripts/bench.sh`: the same events as our `conformance` fixture.
//!
//! ```text
//! peer-socketioxide [--port N] [--max-buffer-size PACKETS] [--parser text|msgpack]
//! ```
//!
//! hyper 1 standalone (HTTP/1.1 with upgrades), no axum, so only socketioxide is measured.
//! socketioxide's default per-socket buffer is 128 packets; `emit` fails once it is full, and a
//! broadcast silently skips that socket. The benchmark raises it (default here 65536) so every
//! delivery happens; the setting is printed at start-up and recorded beside the figures.
//!
//! `--parser msgpack` (or `BENCH_PARSER=msgpack`, as our `conformance` fixture takes it):
//! socketioxide's socket.io-msgpack-parser (`ParserConfig::msgpack()`, the `msgpack` feature)
//! instead of the default text parser.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::{ParserConfig, SocketIo};

fn arg_text(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg(name: &str, default: usize) -> usize {
    arg_text(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--parser`, else `BENCH_PARSER`: `text` (the default) or `msgpack`.
fn msgpack() -> std::io::Result<bool> {
    let parser = arg_text("--parser")
        .or_else(|| std::env::var("BENCH_PARSER").ok())
        .unwrap_or_else(|| "text".to_owned());
    match parser.trim() {
        "text" => Ok(false),
        "msgpack" => Ok(true),
        other => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("--parser text|msgpack, not {other}"),
        )),
    }
}

/// The same runtime as ours (the `conformance` example): with `TOKIO_WORKER_THREADS=1` (how the
/// benchmark runs every Rust server) the current-thread scheduler, else the multi-thread one.
fn main() -> std::io::Result<()> {
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
    builder.enable_all().build()?.block_on(serve())
}

async fn serve() -> std::io::Result<()> {
    let port = arg("--port", 3001);
    let max_buffer_size = arg("--max-buffer-size", 65536);
    let msgpack = msgpack()?;
    let mut builder = SocketIo::builder()
        .ping_interval(Duration::from_millis(25_000))
        .ping_timeout(Duration::from_millis(20_000))
        .max_buffer_size(max_buffer_size);
    if msgpack {
        builder = builder.with_parser(ParserConfig::msgpack());
    }
    let (svc, io) = builder.build_svc();

    let main_io = io.clone();
    io.ns("/", async move |s: SocketRef| {
        s.on(
            "echo",
            async |_s: SocketRef, Data::<Value>(data), ack: AckSender| {
                let _ = ack.send(&data);
            },
        );
        let io = main_io.clone();
        s.on("broadcast", async move |Data::<Value>(data)| {
            let _ = io.emit("msg", &data).await;
        });
        s.on(
            "join",
            async |s: SocketRef, Data::<String>(room), ack: AckSender| {
                s.join(room.clone());
                let _ = ack.send(&room);
            },
        );
        let io = main_io.clone();
        s.on(
            "to-room",
            async move |Data::<(String, Value)>((room, payload))| {
                let _ = io
                    .to(room.clone())
                    .emit("room-message", &(room, payload))
                    .await;
            },
        );
    });

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port as u16)).await?;
    println!(
        "socketioxide max_buffer_size={max_buffer_size} parser={} listening on http://{}",
        if msgpack { "msgpack" } else { "text" },
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}
