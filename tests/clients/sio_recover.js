// A real socket.io-client 4.x socket for the connection state recovery tests
// (examples/tests/socketio_recovery.rs). It reconnects quickly after its connection is cut and
// prints what it sees, one line each:
//   CONNECT {"id":..., "recovered": bool}   on every connect
//   EVENT {"event":..., "args":[...]}       every event, with its arguments as the client's
//                                           listeners get them (the offset last)
//   DISCONNECT {"reason":...}
//
//   node tests/clients/sio_recover.js '{"url":"http://127.0.0.1:3000","transports":["websocket"]}'
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const socket = io(config.url, {
  forceNew: true,
  transports: config.transports ?? ["websocket"],
  upgrade: config.upgrade ?? true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 200,
  randomizationFactor: 0,
  auth: config.auth ?? {},
});
const say = (tag, value) => process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
socket.on("connect", () => say("CONNECT", { id: socket.id, recovered: socket.recovered }));
socket.onAny((event, ...args) => say("EVENT", { event, args }));
socket.on("disconnect", (reason) => say("DISCONNECT", { reason }));
socket.on("connect_error", (e) => say("CONNECT_ERROR", { message: e.message }));
// Bounded: never outlives a test that forgot it.
setTimeout(() => process.exit(2), 60000);
