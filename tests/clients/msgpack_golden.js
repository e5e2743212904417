// Prints the encodings socket.io-msgpack-parser 3.0.2 (notepack.io 2.2.0) gives to sample
// packets, shaped as Node's socket.io 4.x server and socket.io-client 4.x build them (key
// order included), one `name hex` line each. The golden vectors of
// crates/socketio-protocol/src/msgpack/tests.rs were produced by `node msgpack_golden.js`.
"use strict";
const { Encoder } = require("socket.io-msgpack-parser");

const enc = new Encoder();
const samples = {
  // Server side (socket.io 4.8 `socket.emit`, `ack`, `_onconnect`, `_error`, broadcast).
  server_connect: { type: 0, data: { sid: "abc" }, nsp: "/" },
  server_event: { type: 2, data: ["hello", 1, "é😀"], nsp: "/" },
  server_event_ack: { type: 2, data: ["q"], id: 7, nsp: "/chat" },
  server_ack: { id: 7, type: 3, data: ["ok", null, true], nsp: "/" },
  server_binary: {
    type: 2,
    data: ["bin", Buffer.from([1, 2, 3]), { nested: [Buffer.alloc(0)] }],
    nsp: "/",
  },
  server_numbers: {
    type: 2,
    data: ["n", 0, -1, -33, 127, 128, 255, 256, 65535, 65536, -129, -32769, 4294967296,
      9007199254740991, -9007199254740991, 1.5, -0.25, 1e300],
    nsp: "/",
  },
  server_connect_error: { type: 4, data: { message: "nope", data: { code: 42 } }, nsp: "/" },
  server_disconnect: { type: 1, nsp: "/admin" },
  // Client side (socket.io-client 4.8: `emit` adds `options`; CONNECT without auth carries
  // `data: undefined`).
  client_connect: { type: 0, data: undefined, nsp: "/" },
  client_connect_auth: { type: 0, data: { token: "t" }, nsp: "/" },
  client_event: { type: 2, data: ["m", "x"], options: { compress: true }, nsp: "/" },
  client_event_ack: { type: 2, data: ["m"], options: { compress: true }, id: 0, nsp: "/" },
  client_ack: { type: 3, id: 3, data: [Buffer.from([255])], nsp: "/" },
  client_date_undefined: {
    type: 2,
    data: ["d", new Date(1700000000123), undefined, { u: undefined, k: 1 }],
    options: { compress: true },
    nsp: "/",
  },
  client_long_string: { type: 2, data: ["s", "a".repeat(40)], nsp: "/" },
};
for (const [name, packet] of Object.entries(samples)) {
  const [bytes] = enc.encode(packet);
  console.log(name, Buffer.from(bytes).toString("hex"));
}
