// Real socket.io-client 4.x users of the axum_chat example (examples/src/axum_chat.rs), for
// examples/tests/axum_chat.rs: every flow of the app, with three users on the three
// transports (alice: polling then WebSocket, bob: WebSocket, carol: polling only).
//
//   node tests/clients/axum_chat.js '{"url":"http://127.0.0.1:3000","maxText":1000,"maxRoom":64}'
//
// Prints `READY {json}` with what each flow observed, then waits for the server to shut down
// and prints `RESULT {json}` with the disconnect reasons alice and carol saw. Every wait is
// bounded; a failure is reported as `RESULT {"ok": false, "error": ...}`.
//
// That an event did not reach a client is shown without sleeping: the server writes the
// event before it answers the sender's ack, so once that ack is in, a round trip of the
// other client (an ack of its own, on the same connection) comes after anything the event
// could have brought it.
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const deadlineMs = config.timeoutMs ?? 25000;
const waitMs = config.waitMs ?? 5000;
const quietAckMs = config.quietAckMs ?? 300;
const sockets = [];

let reported = false;
function report(result) {
  if (reported) return;
  reported = true;
  for (const s of sockets) s.disconnect();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

function client(name, options) {
  const socket = io(config.url, { forceNew: true, reconnection: false, ...options });
  sockets.push(socket);
  socket.seen = { message: [], stats: [] };
  socket.on("message", (m) => socket.seen.message.push(m));
  socket.on("stats", (s) => socket.seen.stats.push(s));
  socket.label = name;
  return socket;
}

function bounded(promise, label) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${label} within ${waitMs} ms`)), waitMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

// The first `event` on `socket` (its first argument) for which `accept` holds.
function next(socket, event, accept = () => true) {
  return bounded(
    new Promise((resolve) => {
      const listener = (value) => {
        if (accept(value)) {
          socket.off(event, listener);
          resolve(value);
        }
      };
      socket.on(event, listener);
    }),
    `${event} on ${socket.label}`,
  );
}

function connected(socket) {
  return bounded(
    new Promise((resolve, reject) => {
      socket.on("connect", resolve);
      socket.on("connect_error", (e) => reject(new Error(`${socket.label}: connect_error ${e.message}`)));
    }),
    `connect of ${socket.label}`,
  );
}

// The connect_error of a client the middleware refuses.
async function refused(options) {
  const socket = client("refused", options);
  const error = await bounded(
    new Promise((resolve, reject) => {
      socket.on("connect", () => reject(new Error("a refused client connected")));
      socket.on("connect_error", resolve);
    }),
    "connect_error",
  );
  return { message: error.message, data: error.data ?? null, connected: socket.connected };
}

function ask(socket, event, ...args) {
  return socket.timeout(waitMs).emitWithAck(event, ...args);
}

// An ack that should not come: `{ timeout: true }` after `quietAckMs`.
async function askQuiet(socket, event, ...args) {
  try {
    return { answer: await socket.timeout(quietAckMs).emitWithAck(event, ...args) };
  } catch (e) {
    return { timeout: true };
  }
}

async function flows() {
  const out = {};
  out.badToken = await refused({ auth: { token: "not-a-token" } });
  out.noToken = await refused({});

  const alice = client("alice", { auth: { token: config.tokens.alice } });
  const bob = client("bob", { auth: { token: config.tokens.bob }, transports: ["websocket"] });
  const carol = client("carol", { auth: { token: config.tokens.carol }, transports: ["polling"] });
  await Promise.all([connected(alice), connected(bob), connected(carol)]);

  out.whoami = await ask(alice, "whoami");
  out.aliceId = alice.id;

  out.aliceJoin = await ask(alice, "join", "general");
  out.firstMessage = await ask(alice, "message", "general", "hello");
  const bobJoined = next(alice, "joined");
  out.bobJoin = await ask(bob, "join", "general");
  out.joinedNotice = await bobJoined;

  const bobGets = next(bob, "message");
  out.secondMessage = await ask(alice, "message", "general", "hi bob");
  out.bobGot = await bobGets;
  await ask(carol, "whoami");
  out.carolMessages = carol.seen.message.slice();
  out.aliceMessages = alice.seen.message.slice();

  const bobTyping = next(bob, "typing");
  alice.emit("typing", "general");
  out.typing = await bobTyping;
  // Not in the room: no notice (shown by bob's round trip after carol's).
  carol.emit("typing", "general");
  await ask(carol, "whoami");
  const bobSawTyping = next(bob, "typing");
  alice.emit("typing", "general");
  out.typingAfterCarol = await bobSawTyping;

  out.users = await ask(carol, "users", "general");
  out.usersOfEmptyRoom = await ask(carol, "users", "nobody-here");

  out.stats = await next(carol, "stats", (s) => s.connected === 3 && s.rooms === 1);
  out.aliceStats = await next(alice, "stats");

  out.longMessage = await ask(alice, "message", "general", "x".repeat(config.maxText + 1));
  out.longRoom = await ask(alice, "join", "r".repeat(config.maxRoom + 1));
  out.longRoomMessage = await ask(alice, "message", "r".repeat(config.maxRoom + 1), "hi");
  out.emptyMessage = await ask(alice, "message", "general", "");
  out.notInRoom = await ask(carol, "message", "general", "let me in");
  out.maxMessage = await ask(alice, "message", "general", "y".repeat(config.maxText));

  // Wrong shapes: each handler is skipped (message's answers the ack); the connection stays.
  alice.emit("message", 42);
  alice.emit("join", { room: "general" });
  alice.emit("message", "general");
  alice.emit("typing");
  out.wrongShapeAck = await ask(alice, "message", "general", { text: "an object" });
  out.wrongShapeJoinAck = await askQuiet(alice, "join", { room: "general" });
  out.afterWrongShape = await ask(alice, "whoami");
  out.aliceStillConnected = alice.connected;
  await ask(bob, "whoami");
  out.bobMessageTexts = bob.seen.message.map((m) => m.text.slice(0, 10));

  const bobLeft = next(alice, "left");
  out.leave = await ask(bob, "leave", "general");
  out.leftNotice = await bobLeft;
  out.usersAfterLeave = await ask(alice, "users", "general");

  await ask(bob, "join", "general");
  const bobGone = next(alice, "left");
  bob.disconnect();
  out.disconnectNotice = await bobGone;

  // The history keeps the last 50 messages of a room.
  await ask(carol, "join", "flood");
  for (let i = 0; i < 55; i++) await ask(carol, "message", "flood", `m${i}`);
  const flood = await ask(carol, "join", "flood");
  out.flood = {
    length: flood.history.length,
    first: flood.history[0].text,
    last: flood.history[flood.history.length - 1].text,
  };
  return { out, alice, carol };
}

flows()
  .then(async ({ out, alice, carol }) => {
    const aliceGone = next(alice, "disconnect");
    const carolGone = next(carol, "disconnect");
    process.stdout.write(`READY ${JSON.stringify(out)}\n`);
    // The test now shuts the server down.
    const [aliceReason, carolReason] = await Promise.all([aliceGone, carolGone]);
    report({ ok: true, reasons: { alice: aliceReason, carol: carolReason } });
  })
  .catch((e) => report({ ok: false, error: String((e && e.stack) || e) }));
