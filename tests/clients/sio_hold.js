// A real socket.io-client 4.x socket that connects and then holds its connection until it is
// killed (examples/tests/socketio_close_reasons.rs kills it with SIGKILL, as a crashed process
// or a killed tab, or freezes it with SIGSTOP, as a cut network). Prints `READY {"id": ...}`
// once connected and `DISCONNECT {"reason": ...}` when it is disconnected.
//
//   node tests/clients/sio_hold.js '{"url":"http://127.0.0.1:3000","transports":["websocket"]}'
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const socket = io(config.url, {
  forceNew: true,
  reconnection: false,
  transports: config.transports ?? ["websocket"],
});
socket.on("connect", () => {
  process.stdout.write(`READY ${JSON.stringify({ id: socket.id })}\n`);
});
socket.on("disconnect", (reason) => {
  process.stdout.write(`DISCONNECT ${JSON.stringify({ reason })}\n`);
});
socket.on("connect_error", (e) => {
  process.stdout.write(`RESULT ${JSON.stringify({ ok: false, error: e.message })}\n`);
  process.exit(1);
});
// Bounded: never outlives a test that forgot it.
setTimeout(() => process.exit(2), 60000);
