//! The demo: a chat in the browser, on the in-memory adapter or, with `--redis`, as one node
//! of a cluster.
//!
//! ```text
//! cargo run --release --example demo                  # http://localhost:3000/
//! cargo run --release --example demo -- --port 3001   # or PORT=3001
//! cargo run --release --example demo -- --redis redis://127.0.0.1:6379
//! ```
//!
//! Open the printed address in two tabs and chat. `RUST_LOG=socketio=debug` shows handshakes,
//! namespaces and rooms. The page and the events are described in `examples/src/demo.rs`.

use std::net::SocketAddr;

use examples::demo::{start, Options};

fn usage() -> ! {
    eprintln!("usage: demo [--port N] [--redis redis://HOST:PORT]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mut port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let mut redis = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--port" => port = value.parse().unwrap_or_else(|_| usage()),
            "--redis" => redis = Some(value),
            _ => usage(),
        }
    }
    let demo = start(Options {
        addr: SocketAddr::from(([0, 0, 0, 0], port)),
        redis,
    })
    .await?;
    println!(
        "demo chat on http://localhost:{}/ (Socket.IO at /socket.io/); Ctrl-C stops it",
        demo.addr.port()
    );
    tokio::signal::ctrl_c().await?;
    demo.shutdown().await;
    Ok(())
}
