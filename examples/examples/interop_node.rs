//! The node under test of the Redis interop harness (`redis-interop-fixture.md`): a Socket.IO
//! server on `127.0.0.1:PORT` whose namespace `/` behaves as the Node reference node, sharing
//! a cluster through Redis with `@socket.io/redis-adapter` 8.x nodes.
//!
//! ```text
//! interop_node --port N --redis redis://127.0.0.1:R [--adapter classic|sharded]
//! ```
//! Only the classic adapter exists: `--adapter sharded` exits with status 2.

use socketio::Server;
use socketio_redis::RedisAdapter;

struct Flags {
    port: u16,
    redis: String,
}

fn parse() -> Result<Flags, String> {
    let mut port = None;
    let mut redis = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => port = Some(value()?.parse().map_err(|e| format!("--port: {e}"))?),
            "--redis" => redis = Some(value()?),
            "--adapter" => match value()?.as_str() {
                "classic" => {}
                "sharded" => return Err("the sharded adapter is not yet supported".into()),
                other => return Err(format!("unknown adapter {other}")),
            },
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Flags {
        port: port.ok_or("--port is required")?,
        redis: redis.ok_or("--redis is required")?,
    })
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let flags = match parse() {
        Ok(flags) => flags,
        Err(e) => {
            eprintln!("interop_node: {e}");
            std::process::exit(2);
        }
    };
    let adapter = match RedisAdapter::new(&flags.redis) {
        Ok(adapter) => adapter,
        Err(e) => {
            eprintln!("interop_node: {e}");
            std::process::exit(2);
        }
    };
    let io = Server::new();
    io.set_adapter(adapter);
    examples::redis_fixture::install(&io);
    let addr = match io.listen(("127.0.0.1", flags.port)).await {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("interop_node: cannot listen on port {}: {e}", flags.port);
            std::process::exit(1);
        }
    };
    eprintln!("interop_node: listening on http://{addr}");
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            eprintln!("interop_node: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    io.close().await;
}
