// A real socket.io-client 4.x socket for the `compress(false)` tests of
// examples/tests/socketio_harden.rs (HARDEN-2). Reports one `RESULT {json}` line on stdout.
//
//   node tests/clients/sio_compress.js '{"url":"http://127.0.0.1:3000","transport":"websocket"}'
//
// Against the test's `compress_server()`: emits `normal` and waits for one `big` (2 KiB, sent
// compressed), then `plain` and waits for two `big` (sent `compress(false)`, to the socket and
// through a broadcast). Reports every `big` as received, so the Rust side checks their content.
// - transport "websocket": `transports: ["websocket"]` with `perMessageDeflate: true` (a `ws`
//   option); reports the extensions the server accepted.
// - transport "polling": the built-in `fetch()` transport (which asks for gzip and inflates
//   what it gets), wrapped to report each poll's `Content-Encoding` and how many `big` packets
//   it carried, in order.
// Every wait is bounded; a failure is reported as `"ok": false` with the error.
"use strict";

const { io } = require("socket.io-client");
const { Fetch } = require("engine.io-client");

const config = JSON.parse(process.argv[2]);
const deadlineMs = config.timeoutMs ?? 15000;

let socket = null;
let reported = false;
function report(result) {
  if (reported) return;
  reported = true;
  if (socket) socket.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

const polls = [];
if (config.transport === "polling") {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const res = await realFetch(url, init);
    if (init && init.method === "GET") {
      const text = await res.clone().text();
      const bigs = text.split('42["big",').length - 1;
      if (bigs > 0) polls.push({ encoding: res.headers.get("content-encoding"), bigs });
    }
    return res;
  };
}

const options =
  config.transport === "polling"
    ? { transports: [Fetch], upgrade: false }
    : { transports: ["websocket"], perMessageDeflate: true };
socket = io(config.url, { forceNew: true, reconnection: false, ...options });

const received = [];
let phase = "normal";
socket.on("big", (text) => {
  received.push({ phase, text });
  const inPlain = received.filter((r) => r.phase === "plain").length;
  if (phase === "normal") {
    phase = "plain";
    socket.emit("plain");
  } else if (inPlain === 2) {
    const ws = socket.io.engine.transport.ws;
    report({
      ok: true,
      transport: socket.io.engine.transport.name,
      extensions: ws ? ws.extensions : null,
      received,
      polls,
    });
  }
});
socket.on("connect", () => socket.emit("normal"));
socket.on("connect_error", (e) => report({ ok: false, error: `connect_error: ${e.message}` }));
socket.on("disconnect", (reason) => report({ ok: false, error: `disconnected: ${reason}`, received }));
