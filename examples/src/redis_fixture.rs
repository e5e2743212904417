//! The Redis interop fixture's behaviour on namespace `/` (`redis-interop-fixture.md` §2):
//! what the `interop_node` example and the `redis_*` integration tests run, so a Node
//! reference node (`tests/clients/redis_node.js`) and a Rust node behave alike on one Redis.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use socketio::{AckSender, AnyValue, Args, BroadcastAckError, BroadcastOperator, Server};

/// The `broadcast` event's target.
#[derive(Debug, Deserialize)]
struct Target {
    #[serde(default)]
    rooms: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
}

fn error_text(e: &BroadcastAckError) -> String {
    e.to_string()
}

/// `io` or `io.in(room)`.
fn within(io: &Server, room: Option<String>) -> BroadcastOperator {
    match room {
        Some(room) => io.to(room),
        None => io.broadcast(),
    }
}

/// The first argument (a handler typed `AnyValue` would take the whole argument list).
fn first(args: Args) -> AnyValue {
    args.0.into_iter().next().unwrap_or_default()
}

fn done(ack: AckSender) {
    let _ = ack.send(&());
}

/// Installs the fixture's handlers on `io`'s namespace `/`.
pub fn install(io: &Server) {
    let ns = io.of("/");
    let local = io.clone();
    ns.on_server_event("ping-nodes", move |args: Args, _ack| {
        let payload = args.0.into_iter().next().unwrap_or_default();
        let _ = local.local().emit("node-pinged", &payload);
    });
    ns.on_server_event("ping-nodes-ack", |args: Args, ack| {
        let payload = args.0.into_iter().next().unwrap_or_default();
        let _ = ack.send(&json!({ "pong": payload }));
    });
    let io2 = io.clone();
    io.on_connection(move |socket| {
        let name = socket
            .handshake()
            .auth
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let _ = socket.set_data(&json!({ "name": name }));
        socket.on("join", |socket, room: String, ack: AckSender| {
            let _ = socket.join(room);
            done(ack);
        });
        let io = io2.clone();
        socket.on(
            "to-room",
            move |_s, (room, payload): (String, AnyValue), ack: AckSender| {
                let _ = io.to(room.clone()).emit("room-message", &(room, payload));
                done(ack);
            },
        );
        let io = io2.clone();
        socket.on(
            "broadcast",
            move |_s, (target, payload): (Target, AnyValue), ack: AckSender| {
                let mut op = io.broadcast();
                for room in target.rooms {
                    op = op.to(room);
                }
                for room in target.except {
                    op = op.except(room);
                }
                let _ = op.emit("broadcast-message", &payload);
                done(ack);
            },
        );
        let io = io2.clone();
        socket.on_async(
            "fetch-sockets",
            move |_s, room: Option<String>, ack: AckSender| {
                let op = within(&io, room);
                async move {
                    let answer = match op.fetch_sockets().await {
                        Ok(sockets) => Value::Array(
                            sockets
                                .iter()
                                .map(|s| {
                                    json!({
                                        "id": s.id(),
                                        "rooms": s.rooms().iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                                        "data": s.data::<Value>().unwrap_or(Value::Null),
                                    })
                                })
                                .collect(),
                        ),
                        Err(e) => json!({ "error": error_text(&e) }),
                    };
                    let _ = ack.send(&answer);
                }
            },
        );
        let io = io2.clone();
        socket.on("server-side-emit", move |_s, args: Args, ack: AckSender| {
            let _ = io.server_side_emit("ping-nodes", &first(args));
            done(ack);
        });
        let io = io2.clone();
        socket.on_async(
            "server-side-emit-ack",
            move |_s, args: Args, ack: AckSender| {
                let io = io.clone();
                let payload = first(args);
                async move {
                    let answer = match io.server_side_emit_with_ack("ping-nodes-ack", &payload).await {
                        Ok(responses) => json!({ "error": null, "responses": responses }),
                        Err(BroadcastAckError::Timeout { responses }) => json!({
                            "error": "timeout reached: missing responses",
                            "responses": responses,
                        }),
                        Err(e) => json!({ "error": error_text(&e), "responses": [] }),
                    };
                    let _ = ack.send(&answer);
                }
            },
        );
        let io = io2.clone();
        socket.on_async(
            "broadcast-with-ack",
            move |_s, (room, payload): (Option<String>, AnyValue), ack: AckSender| {
                let op = within(&io, room).timeout(Duration::from_millis(1500));
                async move {
                    let answer = match op.emit_with_ack("question", &payload).await {
                        Ok(answers) => json!({ "error": null, "answers": answers }),
                        Err(BroadcastAckError::Timeout { responses }) => json!({
                            "error": "operation has timed out",
                            "answers": responses,
                        }),
                        Err(e) => json!({ "error": error_text(&e), "answers": [] }),
                    };
                    let _ = ack.send(&answer);
                }
            },
        );
        let io = io2.clone();
        socket.on(
            "sockets-join",
            move |_s, (in_room, room): (Option<String>, String), ack: AckSender| {
                let _ = within(&io, in_room).sockets_join([room]);
                done(ack);
            },
        );
        let io = io2.clone();
        socket.on(
            "sockets-leave",
            move |_s, (in_room, room): (Option<String>, String), ack: AckSender| {
                let _ = within(&io, in_room).sockets_leave([room]);
                done(ack);
            },
        );
        let io = io2.clone();
        socket.on("disconnect-room", move |_s, room: String, ack: AckSender| {
            done(ack);
            let _ = io.to(room).disconnect_sockets(true);
        });
    });
}
