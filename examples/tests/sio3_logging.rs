//! Debug logging (the seed's `DEBUG=socket.io*`): `RUST_LOG=socketio=debug` with any
//! `tracing` subscriber shows namespace creation, connects and disconnects, here of a real
//! socket.io-client 2.x; every broadcast at `debug` with its target and reach; every sent
//! packet at `trace` (`socketio::packet`) in its wire form; and the Engine.IO session id and
//! the Socket.IO socket id under their own field names (`session`, `socket`). Alone in its test
//! binary, as it installs the global subscriber.
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

/// The first line of `log` containing `needle`.
fn line(log: &str, needle: &str) -> String {
    log.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle}: {log}"))
        .to_owned()
}

/// The value of `name=` in a `fmt` line.
fn field(line: &str, name: &str) -> String {
    let start = line
        .find(&format!(" {name}="))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        + name.len()
        + 2;
    line[start..]
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn debug_logging() {
    with_timeout(LIMIT, async {
        let captured = Captured::default();
        let writer = captured.clone();
        // `RUST_LOG=socketio=debug` plays `DEBUG=socket.io*`.
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "socketio=debug,socketio::packet=trace,engineio=debug",
            ))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        let io = Server::with_config(fast_config().build());
        io.of("/chat").on_connection(|socket| {
            socket.emit("welcome", &("hi", 1)).unwrap();
            socket.join("lobby").unwrap();
            socket
                .ns()
                .to("lobby")
                .except("muted")
                .volatile()
                .emit("news", &"x".repeat(500))
                .unwrap();
        });
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

        // An outgoing emit at trace, in its wire form (protocol 4: `/chat#<session>` ids).
        let sent = line(&log, r#"wire=42/chat,["welcome","hi",1]"#);
        assert!(sent.contains("TRACE socketio::packet"), "{sent}");
        assert!(sent.contains("session="), "{sent}");
        // The broadcast at debug: its target, its flags and how many sockets it reached here.
        let b = line(&log, "socketio::broadcast");
        assert!(b.contains("DEBUG"), "{b}");
        for field in [
            "nsp=/chat",
            r#"rooms=["lobby"]"#,
            r#"except=["muted"]"#,
            "local=false",
            "volatile=true",
            "reached=1",
        ] {
            assert!(b.contains(field), "{field}: {b}");
        }
        assert!(!b.contains("xxx"), "no payload at debug: {b}");
        // Its wire form once, at trace, cut at 200 bytes.
        let bt = line(&log, "broadcast sent");
        assert!(bt.contains(r#"wire=42/chat,["news","xxx"#), "{bt}");
        assert!(
            bt.contains("... (") && !bt.contains(&"x".repeat(300)),
            "{bt}"
        );
        // One field name per kind of id: the connected line has both, distinct (a 2.x client
        // joins `/` first, where the socket id is the session id).
        let c = line(&log, "connected socket=/chat#");
        let session = field(&c, "session");
        let socket = field(&c, "socket");
        assert_eq!(socket, format!("/chat#{session}"), "{c}");
        let handshake = line(&log, "handshake");
        assert_eq!(field(&handshake, "session"), session, "{handshake}");
        assert!(!log.contains(" sid="), "{log}");
    })
    .await;
}
