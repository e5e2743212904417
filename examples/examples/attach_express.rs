//! Socket.IO in an axum app (the seed's Express example).
//!
//! ```text
//! cargo run --example attach_express            # listens on 127.0.0.1:3000
//! PORT=4000 cargo run --example attach_express
//! ```
//!
//! `/` answers with the app's own text; `/socket.io/` is Socket.IO (the client bundle at
//! `/socket.io/socket.io.js` once `scripts/fetch-client.sh` has run). Events: `event` is
//! sent back to its sender. `RUST_LOG=socketio=debug` logs as Node's `DEBUG=socket.io*`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("socketio=info")),
        )
        .init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let running = examples::attach::express(([127, 0, 0, 1], port).into()).await?;
    println!(
        "listening on http://{} (Socket.IO at /socket.io/); Ctrl-C stops it",
        running.addr
    );
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    Ok(())
}
