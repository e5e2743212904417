// Protocol scenarios of the Socket.IO Admin UI (@socket.io/admin-ui 0.5.1): socket.io-client 4.x
// plays the UI on the admin namespace, beside app clients on "/" (and /dynamic-N), against the
// admin fixture: our Rust server or the Node reference (tests/clients/admin_node.js), which share
// one contract (see admin_node.js). Ported from upstream's test/index.ts and test/events.ts
// (admin-ui.md §6.1/6.2). Prints one `RESULT {json}` line and exits 0; a failure is
// `"ok": false` with `error` and the steps done.
//
//   node tests/clients/admin_client.js '{"url":"http://127.0.0.1:P","scenario":"tracking",
//        "namespace":"/admin","auth":"basic","readonly":false,"mode":"development"}'
//
// Config: `url` (the node), `url2` (a second node on the same Redis, "cluster"), `scenario`,
// `namespace` (the admin namespace, default "/admin"), `auth` ("none"|"basic": what the server
// runs; the admin always sends user "admin", password "changeit"), `readonly`, `mode`
// ("development"|"production"), `serverId`/`serverId2` (expected in server_stats when given),
// `expectFeatures` (overrides the derived list), `origin` ("cors"), `hostile` ("flood": add the
// inputs that crash Node 0.5.1: reserved event names in `emit`, a non-string password),
// `timeoutMs`.
//
// Scenarios: auth_refused, auth_accepted, features, all_sockets, tracking, events, server_stats,
// commands, readonly_ignores_commands, production, dynamic_namespace, cors, flood, cluster.
"use strict";

const assert = require("node:assert/strict");
const http = require("node:http");
const { io, Manager } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const NSP = config.namespace || "/admin";
const DEV = (config.mode || "development") === "development";
const CREDS = { username: "admin", password: "changeit" };
const deadlineMs = config.timeoutMs ?? 60000;
const STEP = 8000;
const QUIET = 500;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TRACKING = [
  "all_sockets",
  "socket_connected",
  "socket_updated",
  "socket_disconnected",
  "room_joined",
  "room_left",
  "event_received",
  "event_sent",
];
const started = Date.now();
const sockets = [];
const steps = [];
const details = {};

function note(step) {
  steps.push(`${Date.now() - started}ms ${step}`);
}

let reported = false;
function report(result) {
  if (reported) return;
  reported = true;
  for (const s of sockets) s.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify({ ...result, steps, ...details })}\n`, () =>
    process.exit(0),
  );
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Every event lands in `socket.inbox` (listening from before the connection, so events sent
// before CONNECT are kept too), with the time it arrived.
function track(socket, name) {
  socket.name = name;
  socket.inbox = [];
  socket.onAny((event, ...args) => socket.inbox.push({ event, args, at: Date.now() }));
  socket.disconnects = [];
  socket.on("disconnect", (reason) => socket.disconnects.push(reason));
  sockets.push(socket);
  return socket;
}

function connected(socket) {
  return within(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve(socket);
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (e) => reject(new Error(`${socket.name}: connect_error ${e.message}`)));
    }),
    STEP,
    `${socket.name} connect`,
  );
}

// The UI: forceNew, no reconnection, polling then websocket unless `transports` says otherwise.
async function admin(name = "admin", { url = config.url, auth = CREDS, transports } = {}) {
  const socket = track(
    io(url + NSP, {
      forceNew: true,
      reconnection: false,
      timeout: STEP,
      auth,
      ...(transports ? { transports } : {}),
    }),
    name,
  );
  return connected(socket);
}

// Resolves with the connect_error message (fails if it connects).
function refused(auth, name) {
  const socket = track(
    io(config.url + NSP, { forceNew: true, reconnection: false, timeout: STEP, auth }),
    name,
  );
  return within(
    new Promise((resolve, reject) => {
      socket.once("connect", () => reject(new Error(`${name}: connected, expected a refusal`)));
      socket.once("connect_error", (e) => resolve(e.message));
    }),
    STEP,
    `${name} refusal`,
  );
}

async function app(name, { url = config.url, nsp = "/", transports = ["websocket"], auth = {} } = {}) {
  const socket = track(
    io(url + nsp, { forceNew: true, reconnection: false, timeout: STEP, transports, auth }),
    name,
  );
  return connected(socket);
}

function call(socket, event, ...args) {
  return within(socket.emitWithAck(event, ...args), STEP, `${socket.name} ${event}`);
}

// Takes the first `event` in the inbox whose args satisfy `pred` (waiting up to `ms`).
async function next(socket, event, pred = () => true, ms = STEP, what = "") {
  const until = Date.now() + ms;
  for (;;) {
    const i = socket.inbox.findIndex((m) => m.event === event && pred(m.args));
    if (i >= 0) return socket.inbox.splice(i, 1)[0].args;
    if (Date.now() > until) {
      const seen = socket.inbox.map((m) => m.event).join(",");
      throw new Error(`${socket.name}: no ${event}${what ? ` (${what})` : ""} within ${ms} ms; inbox: [${seen}]`);
    }
    await sleep(20);
  }
}

function none(socket, event, pred = () => true, what = "") {
  const got = socket.inbox.filter((m) => m.event === event && pred(m.args));
  assert.equal(got.length, 0, `${socket.name} got an unexpected ${event}${what ? ` (${what})` : ""}: ${JSON.stringify(norm(got.map((m) => m.args)))}`);
}

async function eventually(what, check, ms = STEP) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw new Error(`${what}: ${e.message}`);
      await sleep(100);
    }
  }
}

function disconnected(socket, ms = STEP) {
  return within(
    new Promise((resolve) => {
      if (socket.disconnects.length) return resolve(socket.disconnects[0]);
      socket.once("disconnect", resolve);
    }),
    ms,
    `${socket.name} disconnect`,
  );
}

function isTs(ts, what) {
  assert.equal(typeof ts, "string", `${what}: timestamp is not a string: ${JSON.stringify(ts)}`);
  assert.match(ts, ISO, `${what}: timestamp ${ts}`);
  assert.equal(new Date(ts).toISOString(), ts, `${what}: timestamp ${ts} is not a valid date`);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// The SerializedSocket shape the UI needs (admin-ui.md §2.3).
function checkSerialized(s, what) {
  const w = `${what} ${JSON.stringify(s)}`;
  assert.ok(isObject(s), `${what}: not an object`);
  assert.deepEqual(
    Object.keys(s).sort(),
    ["clientId", "data", "handshake", "id", "nsp", "rooms", "transport"],
    `${w}: keys`,
  );
  assert.equal(typeof s.id, "string", `${w}: id`);
  assert.equal(typeof s.clientId, "string", `${w}: clientId`);
  assert.equal(s.clientId.length, 12, `${w}: clientId is not 12 characters`);
  assert.ok(["polling", "websocket"].includes(s.transport), `${w}: transport`);
  assert.equal(typeof s.nsp, "string", `${w}: nsp`);
  assert.ok(isObject(s.data), `${w}: data is not an object`);
  assert.ok(!("_admin" in s.data), `${w}: data has _admin`);
  const h = s.handshake;
  assert.ok(isObject(h), `${w}: handshake`);
  assert.deepEqual(
    Object.keys(h).sort(),
    ["address", "headers", "issued", "query", "secure", "time", "url", "xdomain"],
    `${w}: handshake keys`,
  );
  assert.ok(isObject(h.headers), `${w}: handshake.headers is not an object`);
  assert.equal(typeof h.headers.host, "string", `${w}: handshake.headers.host`);
  for (const k of Object.keys(h.headers)) assert.equal(k, k.toLowerCase(), `${w}: header ${k} not lower-case`);
  assert.equal(typeof h.time, "string", `${w}: handshake.time`);
  assert.equal(typeof h.address, "string", `${w}: handshake.address`);
  assert.equal(typeof h.xdomain, "boolean", `${w}: handshake.xdomain`);
  assert.equal(typeof h.secure, "boolean", `${w}: handshake.secure`);
  assert.equal(typeof h.issued, "number", `${w}: handshake.issued`);
  assert.ok(Math.abs(h.issued - Date.now()) < 120000, `${w}: handshake.issued is not epoch ms now`);
  assert.doesNotThrow(() => new Date(h.issued).toISOString(), `${w}: issued`);
  assert.equal(typeof h.url, "string", `${w}: handshake.url`);
  assert.ok(h.url.startsWith("/socket.io/"), `${w}: handshake.url`);
  assert.ok(isObject(h.query), `${w}: handshake.query is not an object`);
  assert.equal(h.query.EIO, "4", `${w}: handshake.query.EIO`);
  assert.ok(Array.isArray(s.rooms), `${w}: rooms is not an array`);
  for (const r of s.rooms) assert.equal(typeof r, "string", `${w}: room`);
  assert.ok(s.rooms.includes(s.id), `${w}: rooms lacks the private room`);
}

function clientIdOf(socket) {
  return socket.io.engine.id.substring(0, 12);
}

function expectedFeatures() {
  if (config.expectFeatures) return config.expectFeatures;
  const f = config.readonly ? [] : ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"];
  f.push("AGGREGATED_EVENTS");
  if (DEV) f.push("ALL_EVENTS");
  return f;
}

const AGG_TYPES = ["rawConnection", "rawDisconnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"];

function checkStats(st, what) {
  const w = `${what} ${JSON.stringify(st).slice(0, 600)}`;
  assert.ok(isObject(st), `${what}: not an object`);
  assert.equal(typeof st.serverId, "string", `${w}: serverId`);
  assert.equal(typeof st.hostname, "string", `${w}: hostname`);
  assert.equal(typeof st.pid, "number", `${w}: pid`);
  assert.equal(typeof st.uptime, "number", `${w}: uptime`);
  assert.ok(st.uptime >= 0, `${w}: uptime`);
  assert.equal(typeof st.clientsCount, "number", `${w}: clientsCount`);
  assert.equal(typeof st.pollingClientsCount, "number", `${w}: pollingClientsCount`);
  assert.ok(st.pollingClientsCount >= 0 && st.pollingClientsCount <= st.clientsCount, `${w}: pollingClientsCount`);
  assert.ok(Array.isArray(st.namespaces), `${w}: namespaces`);
  for (const n of st.namespaces) {
    assert.equal(typeof n.name, "string", `${w}: namespace name`);
    assert.equal(typeof n.socketsCount, "number", `${w}: namespace socketsCount`);
  }
  assert.ok(Array.isArray(st.aggregatedEvents), `${w}: aggregatedEvents`);
  for (const e of st.aggregatedEvents) {
    assert.equal(typeof e.timestamp, "number", `${w}: aggregated timestamp`);
    assert.equal(e.timestamp % 1000, 0, `${w}: aggregated timestamp not truncated to the second`);
    assert.ok(AGG_TYPES.includes(e.type), `${w}: aggregated type ${e.type}`);
    assert.equal(typeof e.count, "number", `${w}: aggregated count`);
    if ("subType" in e) assert.equal(typeof e.subType, "string", `${w}: subType`);
  }
}

// Waits for the admin's `config` (and `all_sockets` in development).
async function ready(a) {
  const [cfg] = await next(a, "config");
  let all = null;
  if (DEV) [all] = await next(a, "all_sockets");
  return { cfg, all };
}

// --- scenarios ---------------------------------------------------------------------------------

async function authRefused() {
  const cases = {
    none: undefined,
    empty: {},
    wrongPassword: { username: "admin", password: "wrong" },
    wrongUser: { username: "root", password: "changeit" },
    emptyStrings: { username: "", password: "" },
    bogusSession: { sessionId: "0123456789abcdef" },
    nullSession: { sessionId: null },
  };
  details.messages = {};
  for (const [name, auth] of Object.entries(cases)) {
    const msg = await refused(auth, name);
    details.messages[name] = msg;
    assert.equal(msg, "invalid credentials", `${name}: connect_error message`);
  }
  note("all refused");
}

async function authAccepted() {
  const a = await admin("admin");
  const connectedAt = Date.now();
  const i = await eventually("session", async () => {
    const k = a.inbox.findIndex((m) => m.event === "session");
    assert.ok(k >= 0, "no session event");
    return k;
  }, 3000);
  const [entry] = a.inbox.splice(i, 1);
  // Node emits it before CONNECT (the client replays it just before `connect`); ours after.
  details.sessionOrder = entry.at < connectedAt || (entry.at === connectedAt && i === 0) ? "before-or-at-connect" : "after-connect";
  const [sessionId] = entry.args;
  details.sessionId = sessionId;
  assert.equal(typeof sessionId, "string");
  assert.match(sessionId, /^[0-9a-f]{16}$/, `session id ${sessionId}`);
  note("session");
  const b = await admin("by-session", { auth: { sessionId } });
  await ready(b);
  note("reconnected with the session id");
  // A session is no password: a wrong one with a valid session still connects (Node checks the session first).
  const c = await admin("session-wrong-password", { auth: { sessionId, username: "x", password: "y" } });
  await ready(c);
  note("session wins over wrong credentials");
}

async function features() {
  const a = await admin();
  const [cfg] = await next(a, "config");
  details.supportedFeatures = cfg.supportedFeatures;
  assert.deepEqual(Object.keys(cfg), ["supportedFeatures"]);
  assert.deepEqual(cfg.supportedFeatures, expectedFeatures());
  note("features");
}

async function allSockets() {
  const c = await app("app");
  const a = await admin();
  const { all } = await ready(a);
  details.allSockets = all;
  assert.ok(Array.isArray(all), "all_sockets is not an array");
  assert.equal(all.length, 2, `all_sockets has ${all.length} entries`);
  for (const s of all) checkSerialized(s, "all_sockets entry");
  const mine = all.find((s) => s.id === c.id);
  assert.ok(mine, "all_sockets lacks the app client");
  assert.equal(mine.nsp, "/");
  assert.equal(mine.clientId, clientIdOf(c));
  assert.equal(mine.transport, "websocket");
  assert.deepEqual(mine.rooms, [c.id]);
  const self = all.find((s) => s.id === a.id);
  assert.ok(self, "all_sockets lacks the admin socket");
  assert.equal(self.nsp, NSP);
  assert.equal(self.clientId, clientIdOf(a));
  note("all_sockets");
}

async function tracking() {
  const a = await admin();
  await ready(a);
  note("admin ready");
  // Starts on polling and upgrades.
  const c = await app("app", { transports: ["polling", "websocket"] });
  const id = c.id;
  const [sc, scTs] = await next(a, "socket_connected", ([s]) => s.id === id);
  details.socketConnected = [sc, scTs];
  checkSerialized(sc, "socket_connected");
  isTs(scTs, "socket_connected");
  assert.equal(sc.nsp, "/");
  assert.equal(sc.clientId, clientIdOf(c));
  assert.equal(sc.transport, "polling");
  assert.deepEqual(sc.data, {});
  const priv = await next(a, "room_joined", ([n, r, i]) => n === "/" && r === id && i === id, STEP, "private room");
  isTs(priv[3], "room_joined");
  note("socket_connected + private room_joined");
  const up = await next(a, "socket_updated", ([u]) => u.id === id && "transport" in u, STEP, "upgrade");
  details.socketUpdatedTransport = up;
  assert.deepEqual(up[0], { id, nsp: "/", transport: "websocket" });
  note("socket_updated transport");

  assert.equal(await call(c, "join", "room1"), "ok");
  const j = await next(a, "room_joined", ([n, r, i]) => n === "/" && r === "room1" && i === id);
  details.roomJoined = j;
  assert.equal(j.length, 4);
  isTs(j[3], "room_joined");
  assert.equal(await call(c, "leave", "room1"), "ok");
  const l = await next(a, "room_left", ([n, r, i]) => n === "/" && r === "room1" && i === id);
  details.roomLeft = l;
  assert.equal(l.length, 4);
  isTs(l[3], "room_left");
  note("room_joined/room_left");

  assert.equal(await call(c, "set_data", { count: 1 }), "ok");
  const d = await next(a, "socket_updated", ([u]) => u.id === id && "data" in u);
  details.socketUpdatedData = d;
  assert.equal(d[0].nsp, "/");
  assert.equal(d[0].data.count, 1);
  assert.ok(!("_admin" in d[0].data), "socket_updated data has _admin");
  note("socket_updated data");

  assert.equal(await call(c, "join", "room2"), "ok");
  await next(a, "room_joined", ([n, r, i]) => n === "/" && r === "room2" && i === id);
  c.disconnect();
  const sd = await next(a, "socket_disconnected", ([n, i]) => n === "/" && i === id);
  details.socketDisconnected = sd;
  assert.deepEqual(sd.slice(0, 3), ["/", id, "client namespace disconnect"]);
  isTs(sd[3], "socket_disconnected");
  for (const room of [id, "room2"]) {
    await next(a, "room_left", ([n, r, i]) => n === "/" && r === room && i === id, STEP, `room_left ${room} on disconnect`);
  }
  note("socket_disconnected + room_left");
  // The admin's own upgrade was reported too (the fixture's admin starts on polling).
  await next(a, "socket_updated", ([u]) => u.id === a.id && u.transport === "websocket", 3000, "admin's own upgrade");
  note("admin's own upgrade");
}

async function events() {
  const a = await admin();
  await ready(a);
  const c = await app("app", { auth: { room: "room-b" } });
  const c2 = await app("app2", { auth: { room: "room-b" } });
  const bin = { $bin: [1, 2, 3] };

  c.emit("hello", 1, "2", Buffer.from([1, 2, 3]));
  const r1 = await next(a, "event_received", ([n, i, ar]) => n === "/" && i === c.id && ar[0] === "hello");
  details.eventReceived = norm(r1);
  assert.deepEqual(norm(r1.slice(0, 3)), ["/", c.id, ["hello", 1, "2", bin]]);
  isTs(r1[3], "event_received");
  note("event_received with binary");

  assert.equal(await call(c, "hello"), "ok");
  const r2 = await next(a, "event_received", ([n, i, ar]) => i === c.id && ar[0] === "hello");
  details.eventReceivedAck = r2;
  assert.deepEqual(r2.slice(0, 3), ["/", c.id, ["hello"]]);
  assert.equal(await call(c, "hello", 7, { k: "v" }), "ok");
  const r3 = await next(a, "event_received", ([n, i, ar]) => i === c.id && ar[0] === "hello");
  assert.deepEqual(r3.slice(0, 3), ["/", c.id, ["hello", 7, { k: "v" }]]);
  note("event_received, ack stripped");

  assert.equal(await call(c, "send_me"), "ok");
  await next(c, "hello");
  const s1 = await next(a, "event_sent", ([n, i, ar]) => i === c.id && ar[0] === "hello");
  details.eventSent = norm(s1);
  assert.deepEqual(norm(s1.slice(0, 3)), ["/", c.id, ["hello", 1, "2", bin]]);
  isTs(s1[3], "event_sent");
  await next(a, "event_received", ([n, i, ar]) => i === c.id && ar[0] === "send_me" && ar.length === 1);
  note("event_sent with binary");

  assert.equal(await call(c, "broadcast", "room-b"), "ok");
  await next(c, "news");
  await next(c2, "news");
  const got = [];
  for (let k = 0; k < 2; k++) {
    const s = await next(a, "event_sent", ([n, , ar]) => n === "/" && ar[0] === "news");
    assert.deepEqual(s[2], ["news", "x"]);
    got.push(s[1]);
  }
  assert.deepEqual(got.sort(), [c.id, c2.id].sort());
  await sleep(QUIET);
  none(a, "event_sent", ([, , ar]) => ar[0] === "news", "a third news");
  // No event_sent for ack replies, and none for the admin namespace itself.
  none(a, "event_sent", ([n]) => n === NSP, "admin namespace");
  none(a, "event_received", ([n]) => n === NSP, "admin namespace");
  none(a, "event_sent", ([, i]) => i === c.id, "more than the hello and the news");
  note("broadcast: one event_sent per recipient");
}

async function serverStats() {
  const a = await admin();
  if (DEV) await ready(a);
  const c = await app("app");
  c.emit("hello", "traffic");
  await call(c, "hello", "traffic");
  const want = config.serverId;
  const mine = ([st]) => !want || st.serverId === want;
  const stats = () => a.inbox.filter((m) => m.event === "server_stats" && mine(m.args));
  await eventually("two server_stats", async () => assert.ok(stats().length >= 2, `${stats().length} server_stats`), 6000);
  const [first, second] = stats().slice(0, 2).map((m) => m.args);
  const gaps = stats().slice(1).map((m, k) => m.at - stats()[k].at);
  details.serverStats = [first[0], second[0]];
  details.gapsMs = gaps;
  assert.ok(Math.max(...gaps) <= 2600, `server_stats gaps ${gaps} ms`);
  for (const [st] of [first, second]) {
    checkStats(st, "server_stats");
    if (want) assert.equal(st.serverId, want);
    assert.ok(st.clientsCount >= 2, `clientsCount ${st.clientsCount} (admin + app)`);
    const names = st.namespaces.map((n) => n.name);
    assert.ok(names.includes("/"), `namespaces ${JSON.stringify(st.namespaces)}`);
    assert.ok(names.includes(NSP), `namespaces ${JSON.stringify(st.namespaces)}`);
    assert.ok(st.namespaces.find((n) => n.name === "/").socketsCount >= 1);
    assert.ok(st.namespaces.find((n) => n.name === NSP).socketsCount >= 1);
  }
  assert.ok(second[0].uptime > first[0].uptime, "uptime does not grow");
  assert.ok(second[0].uptime - first[0].uptime > 1, "uptime is not in seconds");
  // The types seen since the app connected (the stats are drained at each emission).
  const types = new Set();
  for (const [st] of [first, second]) for (const e of st.aggregatedEvents) types.add(e.type);
  await eventually("aggregated events", async () => {
    for (const m of a.inbox.filter((m) => m.event === "server_stats" && mine(m.args))) {
      checkStats(m.args[0], "server_stats");
      for (const e of m.args[0].aggregatedEvents) types.add(e.type);
    }
    for (const t of ["rawConnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"]) {
      assert.ok(types.has(t), `no ${t} in aggregatedEvents (seen: ${[...types]})`);
    }
  }, 5000);
  details.aggregatedTypes = [...types];
  note("server_stats");
  // A polling client counts as such until it upgrades.
  const p = await app("polling-app", { transports: ["polling"] });
  await eventually("pollingClientsCount", async () => {
    const last = a.inbox.filter((m) => m.event === "server_stats" && mine(m.args)).pop();
    assert.ok(last && last.args[0].pollingClientsCount >= 1, `pollingClientsCount ${last && last.args[0].pollingClientsCount}`);
  }, 5000);
  p.disconnect();
  note("pollingClientsCount");
  // A raw disconnection carries the close reason as subType.
  await eventually("rawDisconnection", async () => {
    const ev = a.inbox
      .filter((m) => m.event === "server_stats" && mine(m.args))
      .flatMap((m) => m.args[0].aggregatedEvents)
      .find((e) => e.type === "rawDisconnection");
    assert.ok(ev, "no rawDisconnection");
    assert.equal(typeof ev.subType, "string");
    details.rawDisconnection = ev;
  }, 5000);
  note("rawDisconnection");
}

// Does `c` receive the `news` of a `broadcast` to `room` (sent by `via`)?
async function inRoom(via, c, room, ms = QUIET) {
  c.inbox = c.inbox.filter((m) => m.event !== "news");
  assert.equal(await call(via, "broadcast", room), "ok");
  await sleep(ms);
  return c.inbox.some((m) => m.event === "news");
}

async function commands() {
  const a = await admin();
  await ready(a);
  const c = await app("app");
  const other = await app("other");
  if (DEV) await next(a, "socket_connected", ([s]) => s.id === c.id);

  a.emit("join", "/", "r2", c.id);
  if (DEV) await next(a, "room_joined", ([n, r, i]) => n === "/" && r === "r2" && i === c.id);
  await eventually("join r2", async () => assert.ok(await inRoom(other, c, "r2", 200), "not in r2"));
  assert.ok(!(await inRoom(other, other, "r2")), "the other client joined r2 too");
  note("join");

  a.emit("leave", "/", "r2", c.id);
  if (DEV) await next(a, "room_left", ([n, r, i]) => n === "/" && r === "r2" && i === c.id);
  await eventually("leave r2", async () => assert.ok(!(await inRoom(other, c, "r2", 200)), "still in r2"));
  note("leave");

  a.emit("emit", "/", c.id, "cmd", 1, "two", { three: [3] }, Buffer.from([4, 5]));
  const got = await next(c, "cmd");
  assert.deepEqual(norm(got), [1, "two", { three: [3] }, { $bin: [4, 5] }]);
  await sleep(200);
  none(other, "cmd", () => true, "emit to one socket");
  a.emit("emit", "/", null, "cmd-all", "x");
  await next(c, "cmd-all");
  await next(other, "cmd-all");
  note("emit (one socket, then the namespace)");

  // Join by room filter: every member of "r3" joins "r4".
  assert.equal(await call(other, "join", "r3"), "ok");
  a.emit("join", "/", "r4", "r3");
  await eventually("join by room", async () => assert.ok(await inRoom(c, other, "r4", 200), "other not in r4"));
  assert.ok(!(await inRoom(other, c, "r4")), "c joined r4 without being in r3");
  note("join by room filter");

  const cid = c.id; // the client forgets its id on disconnect
  a.emit("_disconnect", "/", false, cid);
  const reason = await disconnected(c);
  details.disconnectReason = reason;
  assert.equal(reason, "io server disconnect");
  if (DEV) {
    const sd = await next(a, "socket_disconnected", ([n, i]) => n === "/" && i === cid);
    details.socketDisconnectedByCommand = sd;
    assert.equal(sd[2], "server namespace disconnect");
  }
  assert.ok(other.connected, "the other client was disconnected too");
  note("_disconnect close=false");

  // close=false on a two-namespace client: only that namespace goes.
  const m1 = new Manager(config.url, { reconnection: false, transports: ["websocket"], timeout: STEP });
  const k1 = track(m1.socket("/"), "k1");
  const k1d = track(m1.socket("/dynamic-1"), "k1-dynamic");
  await Promise.all([connected(k1), connected(k1d)]);
  a.emit("_disconnect", "/", false, k1.id);
  assert.equal(await disconnected(k1), "io server disconnect");
  await sleep(QUIET);
  assert.ok(k1d.connected, "close=false dropped the client's other namespace");
  assert.equal(await call(k1d, "hello", 1), "ok");
  note("_disconnect close=false keeps the other namespace");

  // close=true: the whole engine connection, both namespaces.
  const m2 = new Manager(config.url, { reconnection: false, transports: ["websocket"], timeout: STEP });
  const s1 = track(m2.socket("/"), "two-nsp");
  const s2 = track(m2.socket("/dynamic-1"), "two-nsp-dynamic");
  await Promise.all([connected(s1), connected(s2)]);
  a.emit("_disconnect", "/", true, s1.id);
  const reasons = await Promise.all([disconnected(s1), disconnected(s2)]);
  details.closeReasons = reasons;
  for (const r of reasons) assert.ok(["io server disconnect", "transport close"].includes(r), `reason ${r}`);
  assert.ok(other.connected, "the other client was disconnected too");
  assert.equal(await call(other, "hello"), "ok");
  note("_disconnect close=true drops every namespace");
}

async function readonlyIgnoresCommands() {
  const a = await admin();
  const { cfg } = await ready(a);
  details.supportedFeatures = cfg.supportedFeatures;
  const c = await app("app");
  const other = await app("other");
  a.emit("join", "/", "r2", c.id);
  a.emit("emit", "/", c.id, "cmd", 1);
  a.emit("emit", "/", null, "cmd", 2);
  a.emit("_disconnect", "/", false, c.id);
  a.emit("_disconnect", "/", true, other.id);
  a.emit("_disconnect", "/", false);
  a.emit("join", "/", "r5");
  await sleep(QUIET);
  assert.ok(c.connected && other.connected, "a client was disconnected");
  none(c, "cmd");
  none(other, "cmd");
  assert.ok(!(await inRoom(other, c, "r2")), "joined r2");
  assert.ok(!(await inRoom(c, other, "r5")), "joined r5");
  if (DEV) none(a, "room_joined", ([, r]) => r === "r2" || r === "r5");
  assert.ok(a.connected, "the admin was disconnected");
  note("commands ignored");
}

async function production() {
  const a = await admin();
  const [cfg] = await next(a, "config");
  details.supportedFeatures = cfg.supportedFeatures;
  assert.deepEqual(cfg.supportedFeatures, expectedFeatures());
  const c = await app("app", { transports: ["polling", "websocket"] });
  assert.equal(await call(c, "join", "room1"), "ok");
  assert.equal(await call(c, "set_data", { count: 1 }), "ok");
  assert.equal(await call(c, "send_me"), "ok");
  c.emit("hello", 1);
  const d = await app("app-gone");
  d.disconnect();
  await sleep(1000);
  for (const ev of TRACKING) none(a, ev);
  const [st] = await next(a, "server_stats", () => true, 5000);
  checkStats(st, "server_stats");
  note("no tracking, config + server_stats");
  if (!config.readonly) {
    a.emit("emit", "/", c.id, "cmd", 1);
    assert.deepEqual(await next(c, "cmd"), [1]);
    a.emit("join", "/", "r2", c.id);
    await eventually("join r2", async () => assert.ok(await inRoom(c, c, "r2", 200), "not in r2"));
    a.emit("_disconnect", "/", false, c.id);
    assert.equal(await disconnected(c), "io server disconnect");
    note("commands still work");
  }
  for (const ev of TRACKING) none(a, ev);
}

async function dynamicNamespace() {
  const a = await admin();
  await ready(a);
  const c = await app("dyn", { nsp: "/dynamic-101" });
  const [sc, ts] = await next(a, "socket_connected", ([s]) => s.id === c.id);
  details.socketConnected = sc;
  checkSerialized(sc, "socket_connected");
  isTs(ts, "socket_connected");
  assert.equal(sc.nsp, "/dynamic-101");
  await next(a, "room_joined", ([n, r, i]) => n === "/dynamic-101" && r === c.id && i === c.id);
  c.emit("hello", "dyn");
  const r = await next(a, "event_received", ([n, i]) => n === "/dynamic-101" && i === c.id);
  assert.deepEqual(r[2], ["hello", "dyn"]);
  note("tracked");
  await eventually("server_stats namespaces", async () => {
    const last = a.inbox.filter((m) => m.event === "server_stats").pop();
    assert.ok(last, "no server_stats");
    const n = last.args[0].namespaces.find((x) => x.name === "/dynamic-101");
    assert.ok(n && n.socketsCount === 1, `namespaces ${JSON.stringify(last.args[0].namespaces)}`);
    details.namespaces = last.args[0].namespaces;
  }, 5000);
  note("in server_stats");
  const b = await admin("admin2");
  const { all } = await ready(b);
  const seen = all.find((s) => s.id === c.id);
  assert.ok(seen, "a new admin's all_sockets lacks the dynamic socket");
  assert.equal(seen.nsp, "/dynamic-101");
  note("in all_sockets");
}

function httpGet(url, headers) {
  return within(
    new Promise((resolve, reject) => {
      const req = http.get(url, { headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
      req.on("error", reject);
    }),
    STEP,
    `GET ${url}`,
  );
}

async function cors() {
  const origin = config.origin || "http://127.0.0.1:8080";
  const url = `${config.url}/socket.io/?EIO=4&transport=polling`;
  const res = await httpGet(url, { Origin: origin });
  details.headers = {
    "access-control-allow-origin": res.headers["access-control-allow-origin"],
    "access-control-allow-credentials": res.headers["access-control-allow-credentials"],
  };
  assert.equal(res.status, 200, `status ${res.status}: ${res.body}`);
  assert.ok(res.body.startsWith("0{"), `body ${res.body}`);
  assert.equal(res.headers["access-control-allow-origin"], origin);
  assert.equal(res.headers["access-control-allow-credentials"], "true");
  note("allowed origin");
  const foreign = await httpGet(url, { Origin: "http://evil.example" });
  details.foreignAcao = foreign.headers["access-control-allow-origin"] ?? null;
  assert.notEqual(foreign.headers["access-control-allow-origin"], "http://evil.example");
  assert.notEqual(foreign.headers["access-control-allow-origin"], "*");
  note("foreign origin not echoed");
}

function nested(depth) {
  let v = [1];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

async function flood() {
  const a = await admin();
  await ready(a);
  const c = await app("app");
  const big = Array.from({ length: 10000 }, (_, i) => i);
  const deep = nested(40);
  // Odd commands that leave `c` alone (no falsy filter on "/" for _disconnect/leave, no odd
  // event names delivered to real clients).
  const odd = [
    ["emit"],
    ["emit", 123, null, "x"],
    ["emit", "/", {}, "ev", 1],
    ["emit", "/", 42, "ev"],
    ["emit", "/", ["nomatch"], "ev"],
    ["emit", "/", "nomatch", 42],
    ["emit", "/", "nomatch", { o: 1 }],
    ["emit", "/", "nomatch", null],
    ["emit", "/", "nomatch", "ev", big],
    ["emit", "/", "nomatch", "ev", deep],
    ["emit", "/", "nomatch", "ev", Buffer.alloc(1000, 7)],
    ["emit", "/nonexistent", null, "ev"],
    ["emit", null, "nomatch", "ev"],
    ["emit", "/", "nomatch"],
    ["join"],
    ["join", "/", { a: 1 }, "nomatch"],
    ["join", 7, "r", "nomatch"],
    ["join", "/", "r", { x: 1 }],
    ["join", "/", big, "nomatch"],
    ["join", "/", "r", deep],
    ["leave"],
    ["leave", "/", [], "nomatch"],
    ["leave", "/", { o: 1 }, "nomatch"],
    ["leave", 3.5, "r", "nomatch"],
    ["_disconnect"],
    ["_disconnect", "/", false, {}],
    ["_disconnect", "/", "yes", "nomatch"],
    ["_disconnect", 9, true, "nomatch"],
    ["_disconnect", "/", true, 12345],
    ["_disconnect", "/", { close: true }, ["nomatch"]],
    ["unknown_event", 1, 2],
    ["config", { supportedFeatures: [] }],
    ["session", "0123456789abcdef"],
    ["server_stats", {}],
    ["hello", 1],
  ];
  if (config.hostile) {
    // These crash the Node 0.5.1 server (a throw in an event handler).
    odd.push(["emit", "/", "nomatch", "connect"], ["emit", "/", "nomatch", "disconnect"], ["emit", "/", "nomatch", "newListener"]);
  }
  const withAck = () => {};
  for (let i = 0; i < 2000; i++) {
    const cmd = odd[i % odd.length];
    if (i % 7 === 0) a.emit(...cmd, withAck);
    else a.emit(...cmd);
  }
  note("2000 odd commands sent");
  // The admin is still served: a valid command still works.
  await sleep(200);
  assert.ok(a.connected, "the admin was disconnected by the flood");
  a.emit("emit", "/", c.id, "after_flood", 1);
  assert.deepEqual(await next(c, "after_flood"), [1]);
  assert.ok(c.connected, "the app client was disconnected by the flood");
  const fresh = await app("fresh");
  assert.equal(await call(fresh, "hello", 1), "ok");
  const b = await admin("fresh-admin");
  await ready(b);
  await next(b, "server_stats", () => true, 5000);
  note("still serving after the command flood");

  if (config.auth === "basic") {
    const auths = [undefined, {}, { username: "admin", password: "nope" }, { sessionId: "x" }, { sessionId: 42 }, { username: ["admin"], password: "changeit" }, { username: "admin", password: "" }];
    // A missing or non-string password with the right username crashes Node 0.5.1 (bcryptjs throws).
    if (config.hostile) auths.push({ username: "admin" }, { username: "admin", password: 5 }, { username: "admin", password: { a: 1 } });
    const tries = Array.from({ length: 60 }, (_, i) => refused(auths[i % auths.length], `bad-${i}`));
    const msgs = await Promise.all(tries);
    for (const m of msgs) assert.equal(m, "invalid credentials");
    details.refusedFlood = msgs.length;
    const z = await admin("after-refusals");
    await ready(z);
    const fresh2 = await app("fresh2");
    assert.equal(await call(fresh2, "hello"), "ok");
    note("unauthenticated flood refused, still serving");
  }
}

async function cluster() {
  assert.ok(config.url2, "cluster needs url2");
  const c2 = await app("app-node2", { url: config.url2 });
  const a = await admin("admin-node1");
  const { all } = await ready(a);
  const seen = all.find((s) => s.id === c2.id);
  assert.ok(seen, `all_sockets from node 1 lacks the node-2 socket: ${JSON.stringify(all.map((s) => s.id))}`);
  checkSerialized(seen, "remote all_sockets entry");
  assert.equal(seen.clientId, clientIdOf(c2));
  details.remoteSocket = seen;
  note("all_sockets across nodes");

  const ids = new Set();
  await eventually("server_stats of both nodes", async () => {
    for (const m of a.inbox.filter((m) => m.event === "server_stats")) {
      checkStats(m.args[0], "server_stats");
      ids.add(m.args[0].serverId);
    }
    assert.ok(ids.size >= 2, `serverIds seen: ${[...ids]}`);
  }, 6000);
  details.serverIds = [...ids];
  for (const want of [config.serverId, config.serverId2]) {
    if (want) assert.ok(ids.has(want), `no server_stats from ${want}: ${[...ids]}`);
  }
  note("server_stats from both nodes");

  const d2 = await app("new-node2", { url: config.url2 });
  const [sc] = await next(a, "socket_connected", ([s]) => s.id === d2.id);
  checkSerialized(sc, "remote socket_connected");
  d2.emit("hello", "from node 2");
  const r = await next(a, "event_received", ([, i]) => i === d2.id);
  assert.deepEqual(r[2], ["hello", "from node 2"]);
  note("tracking across nodes");

  a.emit("join", "/", "rc", c2.id);
  await next(a, "room_joined", ([n, rm, i]) => rm === "rc" && i === c2.id);
  a.emit("emit", "/", "rc", "cmd", "remote");
  assert.deepEqual(await next(c2, "cmd"), ["remote"]);
  const c2id = c2.id; // the client forgets its id on disconnect
  a.emit("_disconnect", "/", false, c2id);
  assert.equal(await disconnected(c2), "io server disconnect");
  await next(a, "socket_disconnected", ([, i]) => i === c2id);
  assert.ok(d2.connected, "the other node-2 client was disconnected too");
  note("commands across nodes");

  if (config.auth === "basic") {
    // The session store is shared: a session made on node 1 lets the admin into node 2.
    const k = a.inbox.findIndex((m) => m.event === "session");
    assert.ok(k >= 0, "no session event from node 1");
    const [sessionId] = a.inbox[k].args;
    const b = await admin("admin-node2-by-session", { url: config.url2, auth: { sessionId } });
    await ready(b);
    note("session shared across nodes");
  }
}

const scenarios = {
  auth_refused: authRefused,
  auth_accepted: authAccepted,
  features,
  all_sockets: allSockets,
  tracking,
  events,
  server_stats: serverStats,
  commands,
  readonly_ignores_commands: readonlyIgnoresCommands,
  production,
  dynamic_namespace: dynamicNamespace,
  cors,
  flood,
  cluster,
};

(async () => {
  const run = scenarios[config.scenario];
  if (!run) return report({ ok: false, error: `unknown scenario ${config.scenario}` });
  try {
    await run();
    report({ ok: true, scenario: config.scenario });
  } catch (e) {
    const state = sockets.map((s) => `${s.name}:${s.connected ? "connected" : "not connected"}${s.disconnects.length ? ` (${s.disconnects.join(",")})` : ""}`);
    report({ ok: false, scenario: config.scenario, error: String(e && e.message ? e.message : e), sockets: state });
  }
})();
