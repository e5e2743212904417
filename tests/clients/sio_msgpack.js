// socket.io-client 4.x with socket.io-msgpack-parser 3.x against a msgpack server
// (examples/tests/socketio_msgpack.rs); one `RESULT {json}` line on stdout.
//
//   node tests/clients/sio_msgpack.js '{"url":"http://127.0.0.1:3000","mode":"websocket",
//        "scenario":"values"}'
//
// mode: "polling" | "websocket" | "upgrade" (the scenario runs once upgraded).
// Scenarios:
// - values: client → server `echo` with an ack (nested binary, large integers, floats,
//   unicode, a Date, which arrives as its ISO string); the typed handler `typed`; then the
//   server asks (`ask` → `question` with an ack → `answer`).
// - guarded: `/guarded` refuses with CONNECT_ERROR `{message, data}`.
"use strict";

const assert = require("node:assert/strict");
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");

const config = JSON.parse(process.argv[2]);
const { url, mode, scenario } = config;
const deadlineMs = config.timeoutMs ?? 20000;
const sockets = [];

function report(result) {
  for (const s of sockets) s.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify({ mode, scenario, ...result })}\n`, () =>
    process.exit(0),
  );
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function options() {
  const transports = {
    polling: ["polling"],
    websocket: ["websocket"],
    upgrade: ["polling", "websocket"],
  }[mode];
  return { forceNew: true, reconnection: false, transports, parser };
}

function norm(value) {
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
    return { $bin: Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (value instanceof ArrayBuffer) return { $bin: Array.from(new Uint8Array(value)) };
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return value.map(norm);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, norm(v)]));
  }
  return value;
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

async function ready(socket) {
  await connected(socket);
  if (mode === "upgrade" && socket.io.engine.transport.name !== "websocket") {
    await new Promise((resolve) => socket.io.engine.once("upgrade", resolve));
  }
  assert.equal(socket.io.engine.transport.name, mode === "polling" ? "polling" : "websocket");
}

const SCENARIOS = {
  async values() {
    const socket = io(url, options());
    sockets.push(socket);
    await ready(socket);
    const args = [
      { blob: Buffer.from([0, 1, 2, 255]), deep: [[{ b: Buffer.alloc(0) }]] },
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      1.5,
      -0.1,
      1e300,
      "héllo 😀 ✓",
      new Date(1700000000123),
      null,
      true,
    ];
    const back = await new Promise((resolve, reject) =>
      socket.timeout(5000).emit("echo", ...args, (err, ...all) => (err ? reject(err) : resolve(all))),
    );
    const expected = norm(args);
    // notepack writes 1e300 (an integral number) as a wrapped u64 (0): what the server got.
    expected[5] = 0;
    assert.deepEqual(norm(back), expected);

    const typed = await socket
      .timeout(5000)
      .emitWithAck("typed", Buffer.from([9, 8]), 4294967296, -5, 0.25, "ünï");
    assert.deepEqual(norm(typed), [{ $bin: [9, 8, 9, 8] }, 4294967297, -6, 0.5, "ÜNÏ"]);

    const asked = new Promise((resolve) => {
      socket.on("question", (blob, big, neg, f, s, ack) => {
        assert.deepEqual(norm(blob), { $bin: [7, 7] });
        // u64::MAX, as the nearest double.
        assert.equal(big, 18446744073709551615);
        assert.equal(neg, -9007199254740991);
        assert.equal(f, 2.5);
        assert.equal(s, "ß");
        ack(Buffer.from([6]), "ok");
      });
      socket.once("answer", (...a) => resolve(a));
    });
    socket.emit("ask");
    const answer = await asked;
    assert.deepEqual(norm(answer), [{ $bin: [6] }, "ok"]);
    return {};
  },

  async guarded() {
    const socket = io(`${url}/guarded`, options());
    sockets.push(socket);
    const err = await new Promise((resolve, reject) => {
      socket.once("connect", () => reject(new Error("connected to /guarded")));
      socket.once("connect_error", resolve);
    });
    assert.equal(err.message, "denied");
    assert.deepEqual(err.data, { code: 7, why: "ü" });
    return {};
  },
};

(async () => {
  try {
    const run = SCENARIOS[scenario];
    assert.ok(run, `unknown scenario ${scenario}`);
    const extra = await run();
    report({ ok: true, ...extra });
  } catch (e) {
    report({ ok: false, error: String(e && e.stack ? e.stack : e) });
  }
})();
