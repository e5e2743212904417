//! The demo: a chat in the browser, on the in-memory adapter or, with `--redis`, as one node
//! of a cluster.
//!
//! ```text
//! cargo run --release --example demo                  # http://localhost:3000/
//! cargo run --release --example demo -- --port 3001   # or PORT=3001
//! cargo run --release --example demo -- --redis redis://127.0.0.1:6379
//! ADMIN_PASSWORD=changeit cargo run --release --example demo -- --admin
//! ```
//!
//! `--admin` instruments the server for the Socket.IO Admin UI (namespace `/admin`) and serves
//! the UI at `/admin-ui/` (its files come from `scripts/setup-admin-ui.sh`). With
//! `ADMIN_PASSWORD` set, the UI asks for user `admin` and that password; without it, anyone
//! who reaches the port may use it (a warning says so).
//!
//! Open the printed address in two tabs and chat. `RUST_LOG=socketio=debug` shows handshakes,
//! namespaces and rooms. The page and the events are described in `examples/src/demo.rs`.

use std::net::SocketAddr;

use examples::demo::{start, Options};

fn usage() -> ! {
    eprintln!("usage: demo [--port N] [--redis redis://HOST:PORT] [--admin]");
    std::process::exit(2)
}

/// `--admin`: basic auth with `ADMIN_PASSWORD` when it is set.
fn admin_options() -> socketio_admin::AdminOptions {
    use socketio_admin::{AdminOptions, Auth};
    match std::env::var("ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => {
            let hash = socketio_admin::hash_password(&password).unwrap_or_else(|e| {
                eprintln!("demo: {e}");
                std::process::exit(2)
            });
            AdminOptions::new(Auth::basic("admin", hash))
        }
        _ => {
            eprintln!("demo: WARNING: the Admin UI has no password (set ADMIN_PASSWORD): anyone who reaches this port can see and disconnect every client");
            AdminOptions::new(Auth::Disabled)
        }
    }
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
    let mut admin = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--admin" {
            admin = Some(admin_options());
            continue;
        }
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
        admin: admin.clone(),
    })
    .await?;
    println!(
        "demo chat on http://localhost:{}/ (Socket.IO at /socket.io/); Ctrl-C stops it",
        demo.addr.port()
    );
    if admin.is_some() {
        println!(
            "Admin UI on http://localhost:{}/admin-ui/ (server URL http://localhost:{}, namespace /admin)",
            demo.addr.port(),
            demo.addr.port()
        );
    }
    tokio::signal::ctrl_c().await?;
    demo.shutdown().await;
    Ok(())
}
