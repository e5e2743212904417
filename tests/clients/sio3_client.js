// A scripted socket.io-client (2.x or 4.x) for the SIO-3 tests (examples/tests/sio3_*.rs): the
// test sends a list of steps, the script runs them in order and prints one `STEP {json}` line
// per step (so that the test can act between steps) and a final `RESULT {json}`.
//
//   node tests/clients/sio3_client.js '{"url":"http://127.0.0.1:3000","client":"v2",
//        "mode":"polling","steps":[{"op":"open","s":"a","nsp":"/"},{"op":"connect","s":"a"}]}'
//
// Config: url; client: "v2" (socket.io-client 2.5, Socket.IO protocol 4 over Engine.IO 3) or
// "v4" (4.8); mode: "polling" | "websocket" | "upgrade" (the default transports); timeoutMs;
// steps. Binary values are written `{"$bin":[bytes]}` both ways. Every wait is bounded.
//
// Steps (`s` names a socket):
//   open {s, nsp, opts}          create a socket (opts go to io(): query, auth, path...)
//   connect {s}                  wait for connect or its refusal: {connected, id, error}
//   emit {s, event, args, ack}   emit; with ack, wait for it: {ack: [args]}
//   wait {s, event}              the next such event (received any time since open): {args}
//   none {s, event, ms}          no such event within ms
//   answer {s, event, reply}     answer this event's acks from now on: reply args, or "echo"
//   disconnect {s}               client-side disconnect
//   closed {s}                   wait for the disconnect event: {reason}
//   reconnect {s}                connect() again and wait: {connected, id}
//   upgraded {s}                 wait until the transport is websocket: {transport}
//   transport {s}                {transport, engineId, id, pingInterval, pingTimeout}
//   sleep {ms}
"use strict";

const config = JSON.parse(process.argv[2]);
const client = config.client ?? "v4";
const mode = config.mode ?? "websocket";
const deadlineMs = config.timeoutMs ?? 20000;
const STEP = config.stepMs ?? 5000;
const started = Date.now();
const sockets = {};
const results = [];

const lib = client === "v2" ? require("socket.io-client-v2") : require("socket.io-client");
const io = client === "v2" ? lib : lib.io;

function report(result) {
  for (const s of Object.values(sockets)) {
    try {
      s.close();
    } catch (_) {}
  }
  process.stdout.write(`RESULT ${JSON.stringify({ client, mode, results, ...result })}\n`, () =>
    process.exit(0),
  );
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function norm(value) {
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
    return { $bin: Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (value instanceof ArrayBuffer) return { $bin: Array.from(new Uint8Array(value)) };
  if (value instanceof Error) return { message: value.message, data: norm(value.data) };
  if (Array.isArray(value)) return value.map(norm);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, norm(v)]));
  }
  return value;
}

function denorm(value) {
  if (Array.isArray(value)) return value.map(denorm);
  if (value && typeof value === "object") {
    if (Array.isArray(value.$bin)) return Buffer.from(value.$bin);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, denorm(v)]));
  }
  return value;
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function transports() {
  const t = { polling: ["polling"], websocket: ["websocket"], upgrade: ["polling", "websocket"] }[
    mode
  ];
  if (!t) throw new Error(`unknown mode ${mode}`);
  return t;
}

// Every event a socket receives is queued from its creation, so none is missed.
function record(socket) {
  socket.seen = [];
  socket.waiters = [];
  socket.answers = {};
  socket.outcomes = [];
  const push = (event, args) => {
    const fn = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (fn) {
      const reply = socket.answers[event];
      if (reply === "echo") fn(...args);
      else if (reply) fn(...denorm(reply));
    }
    socket.seen.push({ event, args: norm(args) });
    for (const w of socket.waiters.splice(0)) w();
  };
  if (client === "v2") {
    const onevent = socket.onevent;
    socket.onevent = function (packet) {
      const args = packet.data || [];
      if (packet.id != null) args.push(this.ack(packet.id));
      push(args[0], args.slice(1));
    };
    void onevent;
  } else {
    socket.onAny((event, ...args) => push(event, args));
  }
  const outcome = (o) => {
    socket.outcomes.push(o);
    for (const w of socket.waiters.splice(0)) w();
  };
  socket.on("connect", () => outcome({ kind: "connect" }));
  socket.on("disconnect", (reason) => outcome({ kind: "disconnect", reason }));
  if (client === "v2") {
    // 2.x: a CONNECT_ERROR is the `error` event with its payload; `connect_error` is the
    // transport failing.
    socket.on("error", (e) => outcome({ kind: "refused", error: norm(e) }));
    socket.on("connect_error", (e) => outcome({ kind: "failed", error: String(e) }));
  } else {
    socket.on("connect_error", (e) =>
      outcome({ kind: "refused", error: { message: e.message, data: norm(e.data) } }),
    );
  }
}

function until(socket, pick, what, ms = STEP) {
  return within(
    new Promise((resolve) => {
      const check = () => {
        const got = pick();
        if (got !== undefined) resolve(got);
        else socket.waiters.push(check);
      };
      check();
    }),
    ms,
    what,
  );
}

function takeOutcome(socket, kinds) {
  const i = socket.outcomes.findIndex((o) => kinds.includes(o.kind));
  if (i < 0) return undefined;
  return socket.outcomes.splice(i, 1)[0];
}

function takeEvent(socket, event) {
  const i = socket.seen.findIndex((e) => e.event === event);
  if (i < 0) return undefined;
  return socket.seen.splice(i, 1)[0];
}

function engineOf(socket) {
  return socket.io.engine;
}

const ops = {
  async open({ s, nsp, opts }) {
    const socket = io(config.url + (nsp ?? "/"), {
      forceNew: true,
      reconnection: false,
      timeout: STEP,
      transports: transports(),
      ...(opts ?? {}),
    });
    record(socket);
    sockets[s] = socket;
    return {};
  },
  async connect({ s }) {
    const socket = sockets[s];
    const o = await until(socket, () => takeOutcome(socket, ["connect", "refused", "failed"]), "connect");
    if (o.kind === "connect") return { connected: true, id: socket.id };
    return { connected: false, error: o.error };
  },
  async emit({ s, event, args, ack, timeoutMs }) {
    const socket = sockets[s];
    const values = denorm(args ?? []);
    if (!ack) {
      socket.emit(event, ...values);
      return {};
    }
    const answer = await within(
      new Promise((resolve) => socket.emit(event, ...values, (...a) => resolve(a))),
      timeoutMs ?? STEP,
      `ack of ${event}`,
    );
    return { ack: norm(answer) };
  },
  async wait({ s, event, ms }) {
    const socket = sockets[s];
    const e = await until(socket, () => takeEvent(socket, event), event, ms ?? STEP);
    return { args: e.args };
  },
  async none({ s, event, ms }) {
    const socket = sockets[s];
    await new Promise((r) => setTimeout(r, ms ?? 400));
    const e = takeEvent(socket, event);
    if (e) throw new Error(`unexpected ${event}: ${JSON.stringify(e.args)}`);
    return {};
  },
  async answer({ s, event, reply }) {
    sockets[s].answers[event] = reply ?? "echo";
    return {};
  },
  async disconnect({ s }) {
    sockets[s].disconnect();
    return {};
  },
  async closed({ s }) {
    const socket = sockets[s];
    const o = await until(socket, () => takeOutcome(socket, ["disconnect"]), "disconnect");
    return { reason: o.reason };
  },
  async reconnect({ s }) {
    const socket = sockets[s];
    socket.connect();
    const o = await until(socket, () => takeOutcome(socket, ["connect", "refused", "failed"]), "reconnect");
    if (o.kind === "connect") return { connected: true, id: socket.id };
    return { connected: false, error: o.error };
  },
  async upgraded({ s }) {
    const engine = engineOf(sockets[s]);
    if (engine.transport.name !== "websocket") {
      await within(new Promise((r) => engine.once("upgrade", r)), STEP, "upgrade");
    }
    return { transport: engine.transport.name };
  },
  async transport({ s }) {
    const socket = sockets[s];
    const engine = engineOf(socket);
    return {
      transport: engine.transport.name,
      engineId: engine.id,
      id: socket.id,
      pingInterval: engine.pingInterval ?? engine._pingInterval,
      pingTimeout: engine.pingTimeout ?? engine._pingTimeout,
    };
  },
  async sleep({ ms }) {
    await new Promise((r) => setTimeout(r, ms));
    return {};
  },
};

(async () => {
  for (const [i, step] of (config.steps ?? []).entries()) {
    const op = ops[step.op];
    if (!op) throw new Error(`unknown op ${step.op}`);
    let out;
    try {
      out = await op(step);
    } catch (e) {
      throw new Error(`step ${i} ${JSON.stringify(step)}: ${e.message}`);
    }
    const entry = { i, op: step.op, ...(step.s ? { s: step.s } : {}), ...out };
    results.push(entry);
    process.stdout.write(`STEP ${JSON.stringify(entry)}\n`);
  }
  report({ ok: true, elapsedMs: Date.now() - started });
})().catch((err) => report({ ok: false, error: String(err && err.stack ? err.stack : err) }));
