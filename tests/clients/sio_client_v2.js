// Drives socket.io-client 2.x (Socket.IO protocol 4 over Engine.IO 3) against the Socket.IO
// conformance fixture and reports one `RESULT {json}` line on stdout. Run by
// examples/tests/socketio_clients.rs:
//
//   node tests/clients/sio_client_v2.js '{"url":"http://127.0.0.1:3000","mode":"polling","nsp":"/custom"}'
//
// Config: url; mode: "polling" | "websocket"; nsp: "/" or "/custom"; timeoutMs. The smoke test
// connects (a 2.x client's query is its `handshake.auth` on a namespace other than `/`), checks
// the `auth` event, a JSON and a binary `message` → `message-back`, an ack, and `/restricted`
// with the token in the query. Every wait is bounded.
"use strict";

const assert = require("node:assert/strict");
const io = require("socket.io-client-v2");

const config = JSON.parse(process.argv[2]);
const { url, mode } = config;
const nsp = config.nsp ?? "/";
const deadlineMs = config.timeoutMs ?? 15000;
const STEP = 5000;
const started = Date.now();
const sockets = [];

function report(result) {
  for (const s of sockets) s.close();
  process.stdout.write(`RESULT ${JSON.stringify({ mode, nsp, ...result })}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function norm(value) {
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
    return { $bin: Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (value instanceof ArrayBuffer) return { $bin: Array.from(new Uint8Array(value)) };
  if (Array.isArray(value)) return value.map(norm);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, norm(v)]));
  }
  return value;
}

function within(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP} ms`)), STEP);
    }),
  ]).finally(() => clearTimeout(timer));
}

function once(socket, event) {
  return within(new Promise((resolve) => socket.once(event, (...args) => resolve(args))), event);
}

function open(path, query) {
  const transports = { polling: ["polling"], websocket: ["websocket"] }[mode];
  assert.ok(transports, `unknown mode ${mode}`);
  const socket = io(url + path, {
    forceNew: true,
    reconnection: false,
    timeout: STEP,
    transports,
    ...(query ? { query } : {}),
  });
  sockets.push(socket);
  return socket;
}

async function connected(socket) {
  const outcome = within(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (e) => reject(new Error(`connect_error ${e}`)));
      socket.once("error", (e) => reject(new Error(`error ${JSON.stringify(e)}`)));
    }),
    "connect",
  );
  await outcome;
  assert.equal(socket.io.engine.transport.name, mode);
}

(async () => {
  const query = nsp === "/" ? undefined : { token: "abc" };
  const socket = open(nsp, query);
  const auth = once(socket, "auth");
  await connected(socket);
  // On `/` the auth is `{}`; elsewhere a 2.x client's namespace query becomes the auth.
  assert.deepEqual((await auth)[0], query ?? {});
  const expectedId = nsp === "/" ? socket.io.engine.id : `${nsp}#${socket.io.engine.id}`;
  assert.equal(socket.id, expectedId, "protocol 4 socket ids");

  const args = [1, "2", { 3: [true] }, "é€😀"];
  let back = once(socket, "message-back");
  socket.emit("message", ...args);
  assert.deepEqual(await back, args);

  const binary = [Buffer.from([1, 2, 3]), { nested: Buffer.from([255]) }, "x"];
  back = once(socket, "message-back");
  socket.emit("message", ...binary);
  assert.deepEqual(norm(await back), norm(binary));

  if (nsp === "/") {
    const acked = await within(
      new Promise((resolve) => socket.emit("message-with-ack", 7, { a: Buffer.from([4]) }, (...a) => resolve(a))),
      "ack",
    );
    assert.deepEqual(norm(acked), [7, { a: { $bin: [4] } }]);
  }

  // A 2.x client cannot send a CONNECT payload: the fixture takes the token from the query.
  const restricted = open("/restricted", { token: "s3cret" });
  const welcome = once(restricted, "welcome");
  await connected(restricted);
  assert.deepEqual(await welcome, ["restricted"]);

  report({ ok: true, id: socket.id, elapsedMs: Date.now() - started });
})().catch((err) => report({ ok: false, error: String(err && err.stack ? err.stack : err) }));
