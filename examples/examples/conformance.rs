//! The conformance fixture for the official Engine.IO and Socket.IO test suites and the
//! real-client tests.
//!
//! ```text
//! cargo run --release --example conformance -- --port 3000 [--ping-interval MS] [--ping-timeout MS]
//! ```

use std::time::Duration;

use examples::conformance::{start, Options};

fn usage() -> ! {
    eprintln!("usage: conformance [--port N] [--ping-interval MS] [--ping-timeout MS]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut options = Options::default();
    options.addr.set_port(3000);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: u64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage());
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
