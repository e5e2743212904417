//! Argument binding as Node's (API-1), against a real socket.io-client 4.x
//! (`tests/clients/sio_binding.js`): a handler runs whatever the number of arguments (a tuple
//! ignores extra ones, a trailing `Option` takes a missing one, `()` takes any, a single type
//! takes the first), a mismatch is skipped with a `warn` that describes what arrived without
//! its content and reaches the socket's `on_error` handlers, a handler taking
//! `Result<T, BindError>` sees the mismatch and answers the ack, and one Rust value is one
//! argument when the server emits it (an array, a `Vec`), a tuple several. Each case names
//! what Node's server does for the same emit.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "sio_common/mod.rs"]
mod sio_common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use sio_common::{run_node, with_timeout};
use socketio::{AckSender, BindError, Server};

/// `warn` events of target `socketio::socket`, each as its message and fields.
static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={value} ", field.name()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target() == "socketio::socket" {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            WARNINGS.lock().unwrap().push(fields.0);
        }
    }
}

fn capture_warnings() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// The messages the sockets' `on_error` handlers got.
type Errors = Arc<Mutex<Vec<String>>>;

async fn binding_server() -> (Server, std::net::SocketAddr, Errors) {
    let io = Server::new();
    let errors = Errors::default();
    let seen = errors.clone();
    io.on_connection(move |socket| {
        let seen = seen.clone();
        socket.on_error(move |s, message| {
            assert!(s.connected());
            seen.lock().unwrap().push(message.to_owned());
        });
        socket.on(
            "caught",
            |_s, r: Result<String, BindError>, ack: AckSender| match r {
                Ok(s) => {
                    let _ = ack.send(&json!({ "ok": s }));
                }
                Err(e) => {
                    let _ = ack.send(&json!({
                        "error": e.to_string(),
                        "arrived": e.arrived().to_string(),
                    }));
                }
            },
        );
        socket.on(
            "caught-pair",
            |_s, r: Result<(String, Option<u8>), BindError>, ack: AckSender| match r {
                Ok(pair) => {
                    let _ = ack.send(&json!({ "ok": pair }));
                }
                Err(e) => {
                    let _ = ack.send(&json!({ "error": e.to_string() }));
                }
            },
        );
        socket.on("two", |_s, (a, b): (String, String), ack: AckSender| {
            let _ = ack.send(&json!([a, b]));
        });
        socket.on(
            "optional",
            |_s, (a, b): (String, Option<String>), ack: AckSender| {
                let _ = ack.send(&json!([a, b]));
            },
        );
        socket.on("none", |_s, (): (), ack: AckSender| {
            let _ = ack.send(&"ran");
        });
        socket.on("string", |_s, s: String, ack: AckSender| {
            let _ = ack.send(&s);
        });
        socket.on("array-ack", |_s, (): (), ack: AckSender| {
            let _ = ack.send(&[1, 2, 3]);
        });
        socket.on("tuple-ack", |_s, (): (), ack: AckSender| {
            let _ = ack.send(&(1, 2));
        });
        socket.on("push", |s, (): (), ack: AckSender| {
            s.emit("array", &[1, 2, 3]).unwrap();
            s.emit("vec", &vec![1, 2]).unwrap();
            s.emit("pair", &(1, 2)).unwrap();
            s.emit("one-tuple", &([1, 2],)).unwrap();
            s.emit("nothing", &()).unwrap();
            let _ = ack.send(&());
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_bind_and_spread_as_in_node() {
    capture_warnings();
    with_timeout(Duration::from_secs(30), async {
        let (io, addr, errors) = binding_server().await;
        let result = run_node(
            "sio_binding.js",
            &json!({ "url": format!("http://{addr}"), "ackTimeoutMs": 1000 }),
            Duration::from_secs(25),
        )
        .await;
        assert_eq!(result["ok"], true, "{result}");
        let r = &result["results"];

        // Node: `socket.on("two", (a, b, ack) => ...)` given ("a", "b", "c"): the handler runs
        // with a = "a", b = "b" ("c" ignored; in Node the ack is the last argument only when
        // it is a function).
        assert_eq!(r["extra"], json!(["a", "b"]), "{result}");
        // Node: `(a, b, ack)` given ("a"): b is `undefined`; `None` here, `null` on the wire.
        assert_eq!(r["missingOptional"], json!(["a", null]), "{result}");
        assert_eq!(r["bothOptional"], json!(["a", "b"]), "{result}");
        // Node: `socket.on("none", (ack) => ack("ran"))` given no arguments: runs.
        assert_eq!(r["noArguments"], json!("ran"), "{result}");
        // Node: the same handler given (1, "two", ack) runs (positionally: its `ack` parameter
        // is 1, the real callback is the last argument); here `()` ignores the arguments.
        assert_eq!(r["unitWithArguments"], json!("ran"), "{result}");
        // Node: `(s, ack) => ack(s)` given ("hi"): "hi".
        assert_eq!(r["string"], json!("hi"), "{result}");
        // Node: given ("hi", "there"): s = "hi", "there" ignored.
        assert_eq!(r["stringExtra"], json!("hi"), "{result}");
        // Node: given (42) the handler runs with s = 42 (JavaScript has no types); a `String`
        // handler cannot take 42: it is skipped, the ack never comes, the client's timeout
        // fires.
        assert_eq!(r["mismatch"]["timeout"], true, "{result}");
        // Node: given ({secret}) the handler runs with an object; here a mismatch too.
        assert_eq!(r["objectMismatch"]["timeout"], true, "{result}");
        assert_eq!(r["afterMismatch"], json!("still here"), "{result}");

        // Node has no types, so no mismatch; here a handler taking `Result<String, BindError>`
        // runs for any arguments and answers the ack: `Ok` when they fit, else `Err` with what
        // arrived and serde's reason.
        assert_eq!(r["caughtOk"], json!({"ok": "hi"}), "{result}");
        assert_eq!(
            r["caughtErr"],
            json!({
                "error": "integer 42: invalid type: integer `42`, expected a string",
                "arrived": "integer 42",
            }),
            "{result}"
        );
        assert_eq!(
            r["caughtNone"],
            json!({
                "error": "no arguments: invalid type: unit value, expected a string",
                "arrived": "no arguments",
            }),
            "{result}"
        );
        // The inner type's rules hold: the tuple pads a missing `Option` with `None`.
        assert_eq!(r["caughtPair"], json!({"ok": ["a", null]}), "{result}");
        assert_eq!(
            r["caughtPairErr"],
            json!({"error": "2 arguments: string of 1 bytes, string of 1 bytes: invalid type: string, expected u8"}),
            "{result}"
        );

        let acks = &result["acks"];
        // Node: `ack([1, 2, 3])` is one argument.
        assert_eq!(acks["array"], json!([[1, 2, 3]]), "{result}");
        // Node: `ack(1, 2)` is two.
        assert_eq!(acks["tuple"], json!([1, 2]), "{result}");

        let events = &result["events"];
        // Node: `socket.emit("array", [1, 2, 3])`: one argument.
        assert_eq!(events["array"], json!([[1, 2, 3]]), "{result}");
        // Node: `socket.emit("vec", [1, 2])`: one argument.
        assert_eq!(events["vec"], json!([[1, 2]]), "{result}");
        // Node: `socket.emit("pair", 1, 2)`: two arguments.
        assert_eq!(events["pair"], json!([1, 2]), "{result}");
        // Node: `socket.emit("one-tuple", [1, 2])`: one argument.
        assert_eq!(events["one-tuple"], json!([[1, 2]]), "{result}");
        // Node: `socket.emit("nothing")`: none.
        assert_eq!(events["nothing"], json!([]), "{result}");

        // The mismatch was logged with what arrived, in JSON terms, and serde's reason.
        let warnings = WARNINGS.lock().unwrap().clone();
        let mismatch: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("event=string"))
            .collect();
        assert_eq!(mismatch.len(), 2, "{warnings:?}");
        let w = mismatch[0];
        assert!(w.contains("arrived=integer 42"), "{w}");
        assert!(w.contains("expected a string"), "{w}");
        assert!(w.contains("nsp=/"), "{w}");
        assert!(w.contains("socket="), "{w}");
        assert!(!w.contains("sid="), "{w}");
        // Never the content: an object by its size only.
        let w = mismatch[1];
        assert!(w.contains("arrived=object of 1 keys"), "{w}");
        assert!(!w.contains("payload-not-logged"), "{w}");

        // The same mismatches reached the socket's `on_error` handlers, with the event named;
        // the ones a `Result` handler took did not.
        let errors = errors.lock().unwrap().clone();
        assert_eq!(
            errors,
            [
                "event \"string\": integer 42: invalid type: integer `42`, expected a string",
                "event \"string\": object of 1 keys: invalid type: map, expected a string",
            ],
            "{errors:?}"
        );
        io.close().await;
    })
    .await;
}
