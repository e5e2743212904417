// Drives real socket.io-client 4.x sockets against the Socket.IO conformance fixture (SIO-1 §3,
// SIO-2 §6) and reports one `RESULT {json}` line on stdout. Run by
// examples/tests/socketio_clients.rs:
//
//   node tests/clients/sio_client.js '{"url":"http://127.0.0.1:3000","mode":"websocket",
//        "scenario":"acks"}'
//
// Config: url; mode: "polling" | "websocket" | "upgrade" (polling first, then the scenario runs
// once the upgrade to WebSocket is done); scenario (see SCENARIOS below); timeoutMs.
// Every wait is bounded; a failure is reported as `"ok": false` with the error.
"use strict";

const assert = require("node:assert/strict");
const { io, Manager } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const { url, mode, scenario } = config;
const deadlineMs = config.timeoutMs ?? 20000;
const STEP = 5000;
const QUIET = 400;
const started = Date.now();
const nonce = `${process.pid}-${started}`;
const sockets = [];
const events = [];

function note(event) {
  events.push(`${Date.now() - started}ms ${event}`);
}

function report(result) {
  for (const s of sockets) s.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify({ mode, scenario, events, ...result })}\n`, () =>
    process.exit(0),
  );
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function options(extra = {}) {
  const transports = {
    polling: ["polling"],
    websocket: ["websocket"],
    upgrade: ["polling", "websocket"],
  }[mode];
  assert.ok(transports, `unknown mode ${mode}`);
  // `"parser": "msgpack"`: socket.io-msgpack-parser, as the server's (examples/tests/socketio_msgpack.rs).
  const parser = config.parser === "msgpack" ? { parser: require("socket.io-msgpack-parser") } : {};
  return { forceNew: true, reconnection: false, timeout: STEP, transports, upgrade: true, ...parser, ...extra };
}

// Binary values compare as `{"$bin":[bytes]}`, whatever type the client decoded them to.
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

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Records every event a socket receives (from its creation, so that none is missed) and lets
// the scenario take them in order.
function record(socket, name) {
  socket.seen = [];
  socket.waiters = [];
  socket.onAny((event, ...args) => {
    const clean = args.filter((a) => typeof a !== "function");
    socket.seen.push({ event, args: clean });
    for (const w of socket.waiters.splice(0)) w();
  });
  socket.on("connect", () => note(`${name} connect ${socket.id}`));
  socket.on("connect_error", (err) => note(`${name} connect_error ${err.message}`));
  socket.on("disconnect", (reason) => note(`${name} disconnect ${reason}`));
  sockets.push(socket);
  return socket;
}

// The args of the next `event` matching `filter`, removed from the record.
async function next(socket, event, filter = () => true, ms = STEP) {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = socket.seen.findIndex((e) => e.event === event && filter(e.args));
    if (i >= 0) return socket.seen.splice(i, 1)[0].args;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${event} within ${ms} ms; seen ${JSON.stringify(socket.seen)}`);
    await withTimeout(new Promise((r) => socket.waiters.push(r)), left, event).catch(() => {});
  }
}

// Asserts that no `event` matching `filter` arrives within QUIET.
async function none(socket, event, filter = () => true) {
  await new Promise((r) => setTimeout(r, QUIET));
  const got = socket.seen.filter((e) => e.event === event && filter(e.args));
  assert.equal(got.length, 0, `unexpected ${event}: ${JSON.stringify(got)}`);
}

function waitConnect(socket) {
  return withTimeout(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once("connect", resolve);
      socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
    }),
    STEP,
    "connect",
  );
}

// In upgrade mode, waits until the connection runs over WebSocket.
async function settled(socket) {
  const engine = socket.io.engine;
  if (mode === "upgrade" && engine.transport.name !== "websocket") {
    await withTimeout(new Promise((r) => engine.once("upgrade", r)), STEP, "upgrade");
  }
  const want = mode === "polling" ? "polling" : "websocket";
  assert.equal(engine.transport.name, want, "transport");
}

async function connect(nsp = "/", extra = {}, name = nsp) {
  const socket = record(io(url + nsp, options(extra)), name);
  await waitConnect(socket);
  await settled(socket);
  return socket;
}

const echoTexts = [1, "2", { 3: [true] }, null, "é€😀", [1.5, -2, { deep: { er: [] } }]];

const SCENARIOS = {
  // `/` with and without auth: the `auth` event echoes the CONNECT payload; the socket id.
  async connect() {
    const plain = await connect("/");
    assert.deepEqual(await next(plain, "auth"), [{}]);
    assert.equal(typeof plain.id, "string");
    assert.equal(plain.id.length, 20, `socket id ${plain.id}`);
    assert.notEqual(plain.id, plain.io.engine.id, "socket id is not the Engine.IO id");
    const authed = await connect("/", { auth: { token: "abc", n: 1 } });
    assert.deepEqual(await next(authed, "auth"), [{ token: "abc", n: 1 }]);
    return { id: plain.id };
  },

  async custom() {
    const socket = await connect("/custom", { auth: { token: "xyz" } });
    assert.deepEqual(await next(socket, "auth"), [{ token: "xyz" }]);
    socket.emit("message", "on custom");
    assert.deepEqual(await next(socket, "message-back"), ["on custom"]);
    return {};
  },

  // The `/restricted` middleware: the auth token, the query token, refusals.
  async restricted() {
    const byAuth = await connect("/restricted", { auth: { token: "s3cret" } });
    assert.deepEqual(await next(byAuth, "welcome"), ["restricted"]);
    const byQuery = await connect("/restricted", { query: { token: "s3cret" } });
    assert.deepEqual(await next(byQuery, "welcome"), ["restricted"]);
    const refusals = [];
    for (const auth of [undefined, { token: "wrong" }]) {
      const socket = record(io(`${url}/restricted`, options(auth ? { auth } : {})), "refused");
      const err = await withTimeout(
        new Promise((resolve) => socket.once("connect_error", resolve)),
        STEP,
        "connect_error",
      );
      assert.equal(err.message, "not authorized");
      // The fixture's middleware sets no `data`.
      assert.equal(err.data, undefined);
      await new Promise((r) => setTimeout(r, QUIET));
      assert.equal(socket.connected, false);
      assert.equal(socket.active, false, "a middleware refusal is not retried");
      refusals.push({ message: err.message, data: err.data ?? null });
    }
    return { refusals };
  },

  // `message` → `message-back`, JSON and binary, on `/` and `/custom`.
  async message() {
    for (const nsp of ["/", "/custom"]) {
      const socket = await connect(nsp);
      socket.emit("message", ...echoTexts);
      assert.deepEqual(await next(socket, "message-back"), echoTexts);
      const binary = [
        Buffer.from([1, 2, 3]),
        { nested: Buffer.from([4, 5]), list: [Buffer.from([]), Buffer.from([255])] },
        "text",
        Buffer.alloc(100_000, 7),
      ];
      socket.emit("message", ...binary);
      assert.deepEqual(norm(await next(socket, "message-back")), norm(binary));
    }
    return {};
  },

  // Client → server acks, with and without timeouts, JSON and binary.
  async acks() {
    const socket = await connect("/");
    const all = await withTimeout(
      new Promise((resolve) => socket.emit("message-with-ack", 1, "2", { 3: [false] }, (...a) => resolve(a))),
      STEP,
      "message-with-ack ack",
    );
    assert.deepEqual(all, [1, "2", { 3: [false] }]);
    assert.equal(await socket.emitWithAck("echo", "first", "second"), "first");
    assert.deepEqual(norm(await socket.emitWithAck("echo", Buffer.from([1, 2]))), { $bin: [1, 2] });
    assert.deepEqual(await socket.timeout(STEP).emitWithAck("echo", { t: 1 }), { t: 1 });
    const withErr = await new Promise((resolve) =>
      socket.timeout(STEP).emit("echo", "a", Buffer.from([3]), (err, ...args) => resolve([err, ...args])),
    );
    assert.deepEqual(norm(withErr), [null, "a", { $bin: [3] }]);
    // No handler acks `unanswered`: the timeout fires.
    const startedAt = Date.now();
    const err = await socket
      .timeout(200)
      .emitWithAck("unanswered", 1)
      .then(
        () => null,
        (e) => e,
      );
    assert.ok(err instanceof Error, "expected a timeout");
    assert.equal(err.message, "operation has timed out");
    const took = Date.now() - startedAt;
    assert.ok(took >= 190 && took < 2000, `timed out after ${took} ms`);
    // Many acks in flight at once, answered each to its own id.
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => socket.timeout(STEP).emitWithAck("echo", i)),
    );
    assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => i));
    return {};
  },

  // Server → client acks: `server-ack` makes the server emit `server-ack-request` with an ack;
  // our answer comes back as `server-ack-response`.
  async "server-ack"() {
    const socket = await connect("/");
    let round = 0;
    socket.on("server-ack-request", (...args) => {
      const ack = args.pop();
      assert.equal(typeof ack, "function", "server-ack-request carries an ack");
      round += 1;
      ack(`v${round}`, { round }, Buffer.from([9, round]));
    });
    for (const r of [1, 2]) {
      socket.emit("server-ack", r, "x", Buffer.from([r]));
      assert.deepEqual(norm(await next(socket, "server-ack-request")), [r, "x", { $bin: [r] }]);
      assert.deepEqual(norm(await next(socket, "server-ack-response")), [
        `v${r}`,
        { round: r },
        { $bin: [9, r] },
      ]);
    }
    return {};
  },

  // Several namespaces over one Manager (one Engine.IO connection).
  async multiplex() {
    const manager = new Manager(url, options());
    const root = record(manager.socket("/"), "/");
    const custom = record(manager.socket("/custom", { auth: { token: "c" } }), "/custom");
    const restricted = record(manager.socket("/restricted", { auth: { token: "s3cret" } }), "/restricted");
    const unknown = record(manager.socket("/nope"), "/nope");
    const refused = new Promise((resolve) => unknown.once("connect_error", resolve));
    await Promise.all([root, custom, restricted].map(waitConnect));
    await settled(root);
    const unknownErr = await withTimeout(refused, STEP, "connect_error on /nope");
    assert.equal(unknownErr.message, "Invalid namespace");
    assert.equal(root.io, custom.io);
    assert.equal(root.io.engine, restricted.io.engine);
    const ids = new Set([root.id, custom.id, restricted.id]);
    assert.equal(ids.size, 3, "one socket id per namespace");
    assert.deepEqual(await next(root, "auth"), [{}]);
    assert.deepEqual(await next(custom, "auth"), [{ token: "c" }]);
    assert.deepEqual(await next(restricted, "welcome"), ["restricted"]);

    custom.emit("message", "to custom");
    root.emit("message", "to root");
    assert.deepEqual(await next(custom, "message-back"), ["to custom"]);
    assert.deepEqual(await next(root, "message-back"), ["to root"]);
    await none(root, "message-back");
    await none(custom, "message-back");

    // Leaving one namespace keeps the connection for the others.
    custom.disconnect();
    root.emit("message", "still here");
    assert.deepEqual(await next(root, "message-back"), ["still here"]);
    assert.equal(manager.engine.readyState, "open");
    assert.ok(restricted.connected);
    return { sockets: ids.size };
  },

  // The server disconnects the socket; it does not come back by itself; `connect()` does.
  async "force-disconnect"() {
    const socket = await connect("/");
    await next(socket, "auth");
    const firstId = socket.id;
    const reason = withTimeout(new Promise((r) => socket.once("disconnect", r)), STEP, "disconnect");
    socket.emit("force-disconnect");
    assert.equal(await reason, "io server disconnect");
    await new Promise((r) => setTimeout(r, QUIET));
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false, "no automatic reconnection after a server disconnect");
    socket.connect();
    await waitConnect(socket);
    await settled(socket);
    assert.notEqual(socket.id, firstId);
    assert.deepEqual(await next(socket, "auth"), [{}]);
    socket.emit("message", "back again");
    assert.deepEqual(await next(socket, "message-back"), ["back again"]);
    return { firstId, secondId: socket.id };
  },

  // `join` + `to-room`: the room's members get `room-message`, sender included; others not.
  async rooms() {
    const a = await connect("/", {}, "a");
    const b = await connect("/", {}, "b");
    const room = `room-${nonce}`;
    const other = `other-${nonce}`;
    const inRoom = (args) => args[0] === room;
    assert.equal(await a.timeout(STEP).emitWithAck("join", room), room);
    assert.equal(await b.timeout(STEP).emitWithAck("join", other), other);
    a.emit("to-room", room, { p: 1 });
    assert.deepEqual(await next(a, "room-message", inRoom), [room, { p: 1 }]);
    await none(b, "room-message", inRoom);

    assert.equal(await b.timeout(STEP).emitWithAck("join", room), room);
    b.emit("to-room", room, Buffer.from([1, 2]));
    for (const s of [a, b]) {
      assert.deepEqual(norm(await next(s, "room-message", inRoom)), [room, { $bin: [1, 2] }]);
    }
    // Each member gets it once, however many rooms it is in.
    await none(a, "room-message", inRoom);
    await none(b, "room-message", inRoom);
    return {};
  },

  // `broadcast` reaches every socket of `/`, sender included, once each.
  async broadcast() {
    const all = [];
    for (const name of ["a", "b", "c"]) all.push(await connect("/", {}, name));
    const custom = await connect("/custom", {}, "custom");
    const mine = (args) => args[0] && args[0].nonce === nonce;
    all[0].emit("broadcast", { nonce, text: "hello" });
    for (const s of all) {
      assert.deepEqual(await next(s, "msg", mine), [{ nonce, text: "hello" }]);
    }
    for (const s of all) await none(s, "msg", mine);
    await none(custom, "msg", mine);
    return {};
  },

  // Watchers get `peer-disconnected` with the id of a socket of `/` that left, however it left.
  async "peer-disconnected"() {
    const watcher = await connect("/", {}, "watcher");
    const bystander = await connect("/", {}, "bystander");
    assert.equal(await watcher.timeout(STEP).emitWithAck("join", "disconnect-watchers"), "disconnect-watchers");
    const leaving = await connect("/", {}, "leaving");
    const leftId = leaving.id;
    leaving.disconnect();
    assert.deepEqual(await next(watcher, "peer-disconnected", (a) => a[0] === leftId), [leftId]);
    const kicked = await connect("/", {}, "kicked");
    const kickedId = kicked.id;
    kicked.emit("force-disconnect");
    assert.deepEqual(await next(watcher, "peer-disconnected", (a) => a[0] === kickedId), [kickedId]);
    await none(bystander, "peer-disconnected", (a) => a[0] === leftId || a[0] === kickedId);
    return { leftId, kickedId };
  },

  // A socket leaves its rooms when it disconnects, even when its connection stays up for another
  // namespace and the same client reconnects to `/` right away.
  async "auto-leave"() {
    const manager = new Manager(url, options());
    const root = record(manager.socket("/"), "root");
    const custom = record(manager.socket("/custom"), "custom");
    await Promise.all([root, custom].map(waitConnect));
    await settled(root);
    const b = await connect("/", {}, "b");
    const room = `leave-${nonce}`;
    const inRoom = (args) => args[0] === room;
    assert.equal(await root.timeout(STEP).emitWithAck("join", room), room);
    assert.equal(await b.timeout(STEP).emitWithAck("join", room), room);
    b.emit("to-room", room, 1);
    assert.deepEqual(await next(root, "room-message", inRoom), [room, 1]);
    assert.deepEqual(await next(b, "room-message", inRoom), [room, 1]);

    const firstId = root.id;
    root.disconnect();
    assert.equal(manager.engine.readyState, "open", "/custom keeps the connection");
    root.connect();
    await waitConnect(root);
    assert.notEqual(root.id, firstId);
    b.emit("to-room", room, 2);
    assert.deepEqual(await next(b, "room-message", inRoom), [room, 2]);
    await none(root, "room-message", inRoom);

    assert.equal(await root.timeout(STEP).emitWithAck("join", room), room);
    b.emit("to-room", room, 3);
    assert.deepEqual(await next(root, "room-message", inRoom), [room, 3]);
    assert.deepEqual(await next(b, "room-message", inRoom), [room, 3]);
    await none(root, "room-message", inRoom);
    return {};
  },
};

(async () => {
  const run = SCENARIOS[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  const result = await run();
  report({ ok: true, ...result, elapsedMs: Date.now() - started });
})().catch((err) => report({ ok: false, error: String(err && err.stack ? err.stack : err) }));
