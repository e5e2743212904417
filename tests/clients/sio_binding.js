// A real socket.io-client 4.x socket for examples/tests/socketio_binding.rs (API-1): how the
// server binds the arguments of an event to a handler's Rust type, and how many arguments a
// Rust value becomes when the server emits it. Reports one `RESULT {json}` line on stdout.
//
//   node tests/clients/sio_binding.js '{"url":"http://127.0.0.1:3000","ackTimeoutMs":500}'
//
// Each case is an `emitWithAck` with a timeout; the server's handlers answer with what they
// bound, as one argument. `results` maps each case to the answer, or to `{"timeout": true}` when
// none came within `ackTimeoutMs`. `acks` and `events` record the arguments, as lists, of an ack
// and of the events the server emits back, so the Rust side can count them.
// Every wait is bounded; a failure is reported as `"ok": false` with the error.
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const deadlineMs = config.timeoutMs ?? 20000;
const ackTimeoutMs = config.ackTimeoutMs ?? 500;
const socket = io(config.url, { forceNew: true, reconnection: false, transports: ["websocket"] });

let reported = false;
function report(result) {
  if (reported) return;
  reported = true;
  socket.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

async function ask(event, ...args) {
  try {
    return await socket.timeout(ackTimeoutMs).emitWithAck(event, ...args);
  } catch (e) {
    return { timeout: true, message: e.message };
  }
}

// Every argument of an ack (emitWithAck resolves with the first one only).
function askAll(event, ...args) {
  return new Promise((resolve) => {
    socket.timeout(ackTimeoutMs).emit(event, ...args, (err, ...answer) => {
      resolve(err ? { timeout: true } : answer);
    });
  });
}

const events = {};
socket.onAny((event, ...args) => {
  events[event] = args;
});

socket.on("connect", async () => {
  try {
    const results = {};
    results.extra = await ask("two", "a", "b", "c");
    results.missingOptional = await ask("optional", "a");
    results.bothOptional = await ask("optional", "a", "b");
    results.noArguments = await ask("none");
    results.unitWithArguments = await ask("none", 1, "two");
    results.string = await ask("string", "hi");
    results.stringExtra = await ask("string", "hi", "there");
    results.mismatch = await ask("string", 42);
    results.objectMismatch = await ask("string", { secret: "payload-not-logged" });
    // The server is still serving this socket after the mismatch.
    results.afterMismatch = await ask("string", "still here");
    // A handler taking `Result<String, BindError>` sees the mismatch and answers it.
    results.caughtOk = await ask("caught", "hi");
    results.caughtErr = await ask("caught", 42);
    results.caughtNone = await ask("caught");
    results.caughtPair = await ask("caught-pair", "a");
    results.caughtPairErr = await ask("caught-pair", "a", "b");
    const acks = {};
    acks.array = await askAll("array-ack");
    acks.tuple = await askAll("tuple-ack");
    await ask("push");
    report({ ok: true, results, acks, events });
  } catch (e) {
    report({ ok: false, error: String(e && e.stack || e) });
  }
});
socket.on("connect_error", (e) => report({ ok: false, error: `connect_error ${e.message}` }));
