//! The demo server: Socket.IO on port 3000 with the in-memory adapter.
//!
//! ```text
//! cargo run --release --example demo            # listens on 0.0.0.0:3000
//! PORT=4000 cargo run --release --example demo
//! ```
//!
//! Events: `echo` (acked with its arguments), `join` (room; acked with the room), `chat` (room,
//! text; sent to the others in the room as `chat` with the sender's id), `broadcast` (payload;
//! `msg` to everyone). Try it from Node with socket.io-client:
//! `io("http://localhost:3000").emitWithAck("echo", "hi")`.

use socketio::{AckSender, Args, Server};

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

    let io = Server::new();
    let everyone = io.clone();
    io.on_connection(move |socket| {
        tracing::info!(id = socket.id(), "connected");
        socket.on("echo", |_socket, args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
        socket.on("join", |socket, room: String, ack: AckSender| {
            let _ = socket.join(room.as_str());
            let _ = ack.send(&room);
        });
        socket.on("chat", |socket, (room, text): (String, String), _ack| {
            let _ = socket.to(room).emit("chat", &(socket.id(), text));
        });
        let io = everyone.clone();
        socket.on(
            "broadcast",
            move |_socket, payload: socketio::AnyValue, _ack| {
                let _ = io.emit("msg", &payload);
            },
        );
        socket.on_disconnect(|socket, reason| {
            tracing::info!(id = socket.id(), %reason, "disconnected");
        });
    });

    let addr = io.listen(("0.0.0.0", port)).await?;
    println!("demo Socket.IO server on http://{addr} (path /socket.io/); Ctrl-C stops it");
    tokio::signal::ctrl_c().await?;
    io.close().await;
    Ok(())
}
