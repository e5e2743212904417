// Real socket.io-client 4.x sockets for examples/tests/socketio_harden.rs (HARDEN-2): what real
// apps do to a server. Reports one `RESULT {json}` line on stdout (and `STAGE {json}` lines on
// the way, for the Rust side to check the server in between).
//
//   node tests/clients/sio_harden.js '{"url":"http://127.0.0.1:3000","scenario":"burst",
//        "nsp":"/slow","n":1000,"transports":["websocket"]}'
//
// Scenarios:
// - burst: `n` clients connect to `nsp` at once; each emits `hello` with an ack the moment it is
//   connected (the most common client code), then `second` right after. Every ack must come.
// - panic: a bystander joins `/`; a victim joins `nsp`, whose server code panics (on the event
//   `boom` the victim emits on connect, or in the middleware, the connection handler, or the
//   disconnect handler when the victim leaves). Once the victim is gone the script prints
//   `STAGE {"victimGone":...}` and waits for the server's `finish` event on the bystander, then
//   checks the bystander is still served (an echo with an ack).
// Every wait is bounded; a failure is reported as `"ok": false` with the error.
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const { url, scenario } = config;
const deadlineMs = config.timeoutMs ?? 30000;
const transports = config.transports ?? ["polling", "websocket"];
const sockets = [];

let reported = false;
function report(result) {
  if (reported) return;
  reported = true;
  for (const s of sockets) s.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify({ scenario, ...result })}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function open(nsp, extra = {}) {
  const s = io(url + nsp, { forceNew: true, reconnection: false, transports, ...extra });
  sockets.push(s);
  return s;
}

function burst() {
  const n = config.n;
  let acks = 0;
  let connected = 0;
  const errors = [];
  for (let i = 0; i < n; i++) {
    const s = open(config.nsp);
    s.on("connect", () => {
      connected++;
      s.emit("hello", i, (back) => {
        if (back !== i) errors.push(`client ${i} got ack ${JSON.stringify(back)}`);
        acks++;
        // The last `second` events may still be on their way (a later POST on polling).
        if (acks === n) setTimeout(() => report({ ok: errors.length === 0, acks, connected, errors: errors.slice(0, 5) }), 1000);
      });
      s.emit("second", i);
    });
    s.on("connect_error", (e) => errors.push(`client ${i}: connect_error ${e.message}`));
  }
  setInterval(() => {
    if (errors.length > 0) report({ ok: false, acks, connected, errors: errors.slice(0, 5) });
  }, 200).unref();
}

function panic() {
  const bystander = open("/");
  bystander.on("connect", () => {
    const victim = open(config.nsp);
    let gone = null;
    const victimGone = (how) => {
      if (gone) return;
      gone = how;
      process.stdout.write(`STAGE ${JSON.stringify({ victimGone: how })}\n`);
    };
    victim.on("connect", () => {
      if (config.trigger === "boom") victim.emit("boom", { secret: "payload-not-logged" });
      if (config.trigger === "leave") {
        victim.disconnect();
        // A client-side disconnect ends the socket here; the server closes the connection
        // after its panicking disconnect handler.
        victim.io.on("close", (reason) => victimGone(`close: ${reason}`));
        victim.io.engine.on("close", (reason) => victimGone(`engine close: ${reason}`));
      }
    });
    victim.on("disconnect", (reason) => {
      if (config.trigger !== "leave") victimGone(`disconnect: ${reason}`);
    });
    victim.on("connect_error", (e) => victimGone(`connect_error: ${e.message}`));
    victim.io.on("close", (reason) => victimGone(`close: ${reason}`));
  });
  bystander.on("finish", () => {
    bystander.timeout(5000).emit("echo", "still here", (err, back) => {
      if (err) return report({ ok: false, error: `bystander echo: ${err.message}` });
      report({ ok: back === "still here", back, bystanderConnected: bystander.connected });
    });
  });
  bystander.on("disconnect", (reason) => report({ ok: false, error: `bystander disconnected: ${reason}` }));
}

const SCENARIOS = { burst, panic };
if (!SCENARIOS[scenario]) report({ ok: false, error: `unknown scenario ${scenario}` });
else SCENARIOS[scenario]();
