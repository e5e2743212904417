//! Debug logging (the seed's `DEBUG=socket.io*`): `RUST_LOG=socketio=debug` with any
//! `tracing` subscriber shows namespace creation, connects and disconnects, here of a real
//! socket.io-client 2.x. Alone in its test binary, as it installs the global subscriber.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio3_common/mod.rs"]
mod sio3_common;
#[path = "sio_common/mod.rs"]
mod sio_common;

use std::sync::{Arc, Mutex};

use serde_json::json;
use sio3_common::*;
use sio_common::with_timeout;
use socketio::Server;

// ---------------------------------------------------------------------------------------------
// Debug logging

/// A writer collecting what the `fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn debug_logging() {
    with_timeout(LIMIT, async {
        let captured = Captured::default();
        let writer = captured.clone();
        // `RUST_LOG=socketio=debug` plays `DEBUG=socket.io*`.
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("socketio=debug"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        let io = Server::with_config(fast_config().build());
        io.of("/chat");
        let s = serve(io).await;
        let r = run(
            &s.url(),
            Client::V2,
            "websocket",
            json!([{"op": "open", "s": "a", "nsp": "/chat"}, {"op": "connect", "s": "a"}]),
        )
        .await;
        assert_eq!(step(&r, "connect", "a")["connected"], true);
        s.close().await;
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("socketio::namespace"), "{log}");
        assert!(log.contains("connected") && log.contains("/chat"), "{log}");
        assert!(log.contains("disconnect"), "{log}");
    })
    .await;
}
