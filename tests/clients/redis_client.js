// Drives real socket.io-client 4.x sockets against two nodes of one Redis cluster, each
// running the Redis interop fixture (redis-interop-fixture.md §2): our Rust node
// (examples/src/redis_fixture.rs) or the Node reference (tests/clients/redis_node.js). Reports
// one `RESULT {json}` line on stdout. Run by examples/tests/redis_*.rs:
//
//   node tests/clients/redis_client.js '{"a":"http://127.0.0.1:3001","b":"http://127.0.0.1:3002",
//        "scenario":"cluster"}'
//
// Scenarios: "cluster" (every operation, clients on both nodes), "serving" (one client per node
// still gets a cross-node broadcast and a fetch; after hostile traffic or a Redis restart),
// "emitter" (@socket.io/redis-emitter 5.1 on `config.redis` into the two nodes), "rust-emitter"
// (the same checks, each emitter call printed as `OP {json}` for the Rust test to perform with
// socketio_redis::Emitter, then `OP {"action":"end"}`); `config.admin` adds the namespace
// "/admin" to the emitter checks.
// Every wait is bounded; a failure is reported as `"ok": false` with the error and the steps.
"use strict";

const assert = require("node:assert/strict");
const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const deadlineMs = config.timeoutMs ?? 60000;
const STEP = 8000;
const QUIET = 500;
const started = Date.now();
const sockets = [];
const steps = [];

function note(step) {
  steps.push(`${Date.now() - started}ms ${step}`);
}

function report(result) {
  for (const s of sockets) s.disconnect();
  if (config.scenario === "rust-emitter") process.stdout.write(`OP {"action":"end"}\n`);
  process.stdout.write(`RESULT ${JSON.stringify({ steps, ...result })}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

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

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function connect(url, name, { answers = true } = {}) {
  const socket = io(url, {
    forceNew: true,
    reconnection: false,
    timeout: STEP,
    transports: ["websocket"],
    auth: { name },
  });
  sockets.push(socket);
  socket.inbox = [];
  socket.onAny((event, ...args) => socket.inbox.push({ event, args }));
  socket.on("question", (payload, cb) => {
    if (answers) cb(name);
  });
  await within(new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  }), STEP, `${name} connect`);
  socket.name = name;
  return socket;
}

function call(socket, event, ...args) {
  return within(socket.emitWithAck(event, ...args), STEP, `${socket.name} ${event}`);
}

// Waits for the next `event` in the socket's inbox (taking it out).
async function next(socket, event, ms = STEP) {
  const until = Date.now() + ms;
  for (;;) {
    const i = socket.inbox.findIndex((m) => m.event === event);
    if (i >= 0) return socket.inbox.splice(i, 1)[0].args;
    if (Date.now() > until) throw new Error(`${socket.name}: no ${event} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function quiet(socketsToCheck, event) {
  await new Promise((r) => setTimeout(r, QUIET));
  for (const s of socketsToCheck) {
    const got = s.inbox.filter((m) => m.event === event);
    assert.equal(got.length, 0, `${s.name} got an unexpected ${event}: ${JSON.stringify(norm(got))}`);
  }
}

// Repeats `check` until it passes (operations are acked when issued, not when applied).
async function eventually(what, check, ms = STEP) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw new Error(`${what}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function payload() {
  return {
    text: "héllo wörld €𝄞",
    big: Number.MAX_SAFE_INTEGER,
    neg: -123456789012,
    float: 1.5,
    flags: [true, false, null],
    bin: Buffer.from([0, 1, 2, 255]),
    nested: { deep: [{ bytes: Buffer.from("xyz") }] },
  };
}

async function fetchNames(socket, room) {
  const list = await call(socket, "fetch-sockets", room);
  assert.ok(Array.isArray(list), `fetch-sockets failed: ${JSON.stringify(list)}`);
  return list;
}

async function cluster() {
  const a1 = await connect(config.a, "a1");
  const b1 = await connect(config.b, "b1");
  const b2 = await connect(config.b, "b2");
  const all = [a1, b1, b2];
  const ids = Object.fromEntries(all.map((s) => [s.name, s.id]));
  const expected = norm(payload());

  await call(b1, "join", "r");
  await call(a1, "join", "r2");
  note("joined");

  // A room on the other node: only its member gets it, once.
  await call(a1, "to-room", "r", payload());
  const [room, got] = await next(b1, "room-message");
  assert.equal(room, "r");
  assert.deepEqual(norm(got), expected);
  await quiet(all, "room-message");
  note("to-room across nodes");

  // Everyone, from the other side.
  await call(b2, "broadcast", { rooms: [], except: [] }, payload());
  for (const s of all) assert.deepEqual(norm((await next(s, "broadcast-message"))[0]), expected);
  await quiet(all, "broadcast-message");
  note("broadcast to all");

  // Except a room.
  await call(a1, "broadcast", { rooms: [], except: ["r"] }, "x");
  await next(a1, "broadcast-message");
  await next(b2, "broadcast-message");
  await quiet(all, "broadcast-message");
  note("broadcast except");

  // Two rooms (the base channel): each member once; except a socket id.
  await call(b2, "broadcast", { rooms: ["r", "r2"], except: [] }, "two");
  await next(a1, "broadcast-message");
  await next(b1, "broadcast-message");
  await quiet(all, "broadcast-message");
  await call(b2, "broadcast", { rooms: [], except: [ids.a1] }, "not-a1");
  await next(b1, "broadcast-message");
  await next(b2, "broadcast-message");
  await quiet(all, "broadcast-message");
  note("multi-room and except id");

  // fetchSockets across nodes, with data and rooms.
  let list = await fetchNames(a1, null);
  assert.deepEqual(list.map((s) => s.data.name).sort(), ["a1", "b1", "b2"]);
  const b1Seen = list.find((s) => s.id === ids.b1);
  assert.ok(b1Seen, "b1 missing from fetch-sockets");
  assert.deepEqual([...b1Seen.rooms].sort(), [ids.b1, "r"].sort());
  list = await fetchNames(b2, "r2");
  assert.deepEqual(list.map((s) => s.id), [ids.a1]);
  note("fetch-sockets");

  // socketsJoin / socketsLeave across nodes.
  await call(a1, "sockets-join", null, "everyone");
  await eventually("sockets-join", async () =>
    assert.equal((await fetchNames(b1, "everyone")).length, 3));
  await call(b2, "sockets-leave", "r", "everyone");
  await eventually("sockets-leave", async () =>
    assert.deepEqual((await fetchNames(a1, "everyone")).map((s) => s.id).sort(), [ids.a1, ids.b2].sort()));
  note("sockets-join/leave");

  // serverSideEmit: the other node's sockets hear it, the origin's do not.
  await call(a1, "server-side-emit", { n: 1 });
  assert.deepEqual((await next(b1, "node-pinged"))[0], { n: 1 });
  assert.deepEqual((await next(b2, "node-pinged"))[0], { n: 1 });
  await quiet([a1], "node-pinged");
  // One answer per other node (`nodes`: the cluster's size, 2 unless told).
  const reply = await call(b1, "server-side-emit-ack", "hi");
  assert.equal(reply.error, null, JSON.stringify(reply));
  assert.deepEqual(reply.responses, Array((config.nodes ?? 2) - 1).fill({ pong: "hi" }));
  note("server-side-emit");

  // Broadcast with acks counting clients on both nodes; then one silent client.
  let answer = await call(a1, "broadcast-with-ack", null, "q?");
  assert.equal(answer.error, null, JSON.stringify(answer));
  assert.deepEqual([...answer.answers].sort(), ["a1", "b1", "b2"]);
  answer = await call(b1, "broadcast-with-ack", "r2", "q?");
  assert.equal(answer.error, null, JSON.stringify(answer));
  assert.deepEqual(answer.answers, ["a1"]);
  const silent = await connect(config.b, "silent", { answers: false });
  answer = await call(a1, "broadcast-with-ack", null, "q?");
  assert.ok(typeof answer.error === "string" && answer.error.length > 0, JSON.stringify(answer));
  assert.deepEqual([...answer.answers].sort(), ["a1", "b1", "b2"]);
  silent.disconnect();
  note("broadcast-with-ack");

  // disconnectSockets across nodes.
  const gone = within(new Promise((r) => b1.once("disconnect", r)), STEP, "b1 disconnect");
  await call(a1, "disconnect-room", "r");
  assert.equal(await gone, "io server disconnect");
  note("disconnect-room");
}

async function serving() {
  const a1 = await connect(config.a, "a1");
  const b1 = await connect(config.b, "b1");
  await eventually("cross-node broadcast", async () => {
    await call(a1, "broadcast", { rooms: [], except: [] }, "still");
    await next(b1, "broadcast-message", 1000);
  }, 30000);
  const list = await eventually("fetch", () => fetchNames(b1, null), 30000);
  // Named sockets only: a test may keep a raw client of its own.
  assert.deepEqual(list.map((s) => s.data.name).filter((n) => n).sort(), ["a1", "b1"]);
  note("serving");
}

// @socket.io/redis-emitter 5.1 publishing into the cluster (config.redis): every modifier and
// request it has takes effect on both nodes.
async function emitter() {
  const { createClient } = require("redis");
  const { Emitter } = require("@socket.io/redis-emitter");
  const redis = createClient({ url: config.redis });
  redis.on("error", () => {});
  await within(redis.connect(), STEP, "redis connect");
  await emitterChecks(new Emitter(redis));
  await redis.quit();
}

// Our Rust emitter (socketio_redis::Emitter) publishing into the cluster, driven by the test
// process: each call of `OpEmitter` is printed as a line `OP {json}` on stdout, which the test
// (examples/tests/redis_emitter.rs) performs with the Rust emitter, in order. Binary arguments
// travel as JSON.stringify writes a Buffer, `{"type":"Buffer","data":[..]}`; dates as ISO text.
class OpEmitter {
  // The state lives in `s`: `except` and `to` are methods.
  constructor(s = { nsp: "/", rooms: [], except: [], flags: {} }) {
    this.s = s;
  }
  with(changes) {
    return new OpEmitter({ ...this.s, ...changes });
  }
  of(nsp) {
    return this.with({ nsp: (nsp[0] !== "/" ? "/" : "") + nsp });
  }
  to(room) {
    const rooms = [...this.s.rooms];
    for (const r of Array.isArray(room) ? room : [room]) if (!rooms.includes(r)) rooms.push(r);
    return this.with({ rooms });
  }
  in(room) {
    return this.to(room);
  }
  except(room) {
    const except = [...this.s.except];
    for (const r of Array.isArray(room) ? room : [room]) if (!except.includes(r)) except.push(r);
    return this.with({ except });
  }
  get volatile() {
    return this.with({ flags: { ...this.s.flags, volatile: true } });
  }
  compress(compress) {
    return this.with({ flags: { ...this.s.flags, compress } });
  }
  op(action, args) {
    process.stdout.write(`OP ${JSON.stringify({ action, ...this.s, args })}\n`);
  }
  emit(ev, ...args) {
    this.op("emit", [ev, ...args]);
  }
  socketsJoin(rooms) {
    this.op("socketsJoin", Array.isArray(rooms) ? rooms : [rooms]);
  }
  socketsLeave(rooms) {
    this.op("socketsLeave", Array.isArray(rooms) ? rooms : [rooms]);
  }
  disconnectSockets(close = false) {
    this.op("disconnectSockets", [close]);
  }
  serverSideEmit(...args) {
    this.op("serverSideEmit", args);
  }
}

async function rustEmitter() {
  await emitterChecks(new OpEmitter());
}

// What an emitter (`e`, Node's or the OpEmitter) must achieve on the nodes `config.a` and
// `config.b` (the same URL for a one-node cluster).
async function emitterChecks(e) {
  const c1 = await connect(config.a, "c1");
  const c2 = await connect(config.b, "c2");
  const c3 = await connect(config.b, "c3");
  const all = [c1, c2, c3];
  await call(c1, "join", "r");
  await call(c3, "join", "r");
  const expected = norm(payload());

  e.emit("e1", payload(), 2);
  for (const s of all) {
    const args = await next(s, "e1");
    assert.deepEqual(norm(args), [expected, 2]);
  }
  note("emit to all (nested binary)");
  e.to("r").emit("e2", 1);
  await next(c1, "e2");
  await next(c3, "e2");
  await quiet(all, "e2");
  e.to(c2.id).emit("e3");
  await next(c2, "e3");
  await quiet(all, "e3");
  e.except("r").emit("e4");
  await next(c2, "e4");
  await quiet(all, "e4");
  e.to("r").except(c1.id).emit("e5");
  await next(c3, "e5");
  await quiet(all, "e5");
  e.to(["r", c2.id]).except(c3.id).emit("e5b");
  await next(c1, "e5b");
  await next(c2, "e5b");
  await quiet(all, "e5b");
  note("rooms, ids, except");
  // A number room (Node's `join(123)`) reaches the Rust room "123"; dates arrive as ISO
  // text, NaN as null.
  if (config.numberRoom !== false) {
    await call(c2, "join", "123");
    e.to(123).emit("num", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), 1.5, NaN);
    assert.deepEqual(await next(c2, "num"), ["2024-01-02T03:04:05.678Z", 1.5, null]);
    await quiet(all, "num");
    note("number room, date, NaN");
  }
  e.volatile.emit("e6");
  e.compress(false).emit("e7");
  for (const s of all) {
    await next(s, "e6");
    await next(s, "e7");
  }
  note("volatile, compress");
  if (config.admin) {
    const a1 = await connect(`${config.a}/admin`, "a1");
    const a2 = await connect(`${config.b}/admin`, "a2");
    e.of("admin").emit("adm", "x");
    for (const s of [a1, a2]) assert.deepEqual(await next(s, "adm"), ["x"]);
    await quiet(all, "adm");
    e.of("/admin").to(a2.id).emit("adm2");
    await next(a2, "adm2");
    await quiet([a1], "adm2");
    note("other namespace");
  }

  e.socketsJoin("j");
  await eventually("socketsJoin", async () =>
    assert.equal((await fetchNames(c2, "j")).length, 3));
  e.to("j").emit("in-j", 1);
  for (const s of all) assert.deepEqual(await next(s, "in-j"), [1]);
  e.in("r").socketsLeave("j");
  await eventually("socketsLeave", async () =>
    assert.deepEqual((await fetchNames(c1, "j")).map((s) => s.id), [c2.id]));
  e.to("j").emit("in-j", 2);
  assert.deepEqual(await next(c2, "in-j"), [2]);
  await quiet(all, "in-j");
  note("socketsJoin/Leave");

  e.serverSideEmit("ping-nodes", { from: "emitter" });
  for (const s of all) assert.deepEqual((await next(s, "node-pinged"))[0], { from: "emitter" });
  note("serverSideEmit");

  const gone = [c1, c3].map((s) =>
    within(new Promise((r) => s.once("disconnect", r)), STEP, `${s.name} disconnect`));
  e.in("r").disconnectSockets(true);
  for (const reason of await Promise.all(gone)) assert.equal(reason, "io server disconnect");
  assert.ok(c2.connected, "c2 was disconnected too");
  note("disconnectSockets");
}

const SCENARIOS = { cluster, serving, emitter, "rust-emitter": rustEmitter };

(async () => {
  const run = SCENARIOS[config.scenario];
  assert.ok(run, `unknown scenario ${config.scenario}`);
  await run();
  report({ ok: true });
})().catch((e) => report({ ok: false, error: String(e && e.stack ? e.stack : e) }));
