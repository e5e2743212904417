//! The Admin UI fixture (`examples::admin_fixture`) as a process, the twin of
//! `tests/clients/admin_node.js`: takes the same JSON and prints `READY {"port":N,"serverId":...}`
//! once listening; SIGTERM or Ctrl-C stops it. The UI is at `/admin-ui/` when its files are in
//! `.cache/admin-ui/dist` (`scripts/setup-admin-ui.sh`).
//!
//! ```text
//! cargo run -p examples --example admin_node -- '{"port":3000,"auth":"basic"}'
//! ```

use examples::admin_fixture::{start, Config};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let raw = std::env::args().nth(1).unwrap_or_else(|| "{}".to_owned());
    let value: serde_json::Value = match serde_json::from_str(&raw) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("admin_node: the argument is not JSON: {e}");
            std::process::exit(2);
        }
    };
    let port = value.get("port").and_then(|p| p.as_u64()).unwrap_or(0) as u16;
    let config: Config = match serde_json::from_value(value) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("admin_node: bad config: {e}");
            std::process::exit(2);
        }
    };
    let running = match start(&config, ([127, 0, 0, 1], port).into()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("admin_node: {e}");
            std::process::exit(1);
        }
    };
    let server_id = config.server_id.clone().unwrap_or_default();
    println!(
        "READY {}",
        serde_json::json!({"port": running.addr.port(), "serverId": server_id})
    );
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            eprintln!("admin_node: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    running.shutdown().await;
}
