// Drives a real engine.io-client (6.x for protocol 4, 3.x for protocol 3) against a server and
// reports what it saw as one `RESULT {json}` line on stdout. Run by examples/tests/engineio_clients.rs:
//
//   node tests/clients/eio-client.js '{"url":"http://127.0.0.1:3000","version":4,
//        "transports":["polling","websocket"],"scenario":"echo"}'
//
// Config: url, version (3|4), transports (as the client option), upgrade (default true),
// scenario:
//   echo              text and binary echo (again after the upgrade when one is expected),
//                     then the client closes;
//   heartbeat-timeout the client stops answering pings (4) or sending them (3) after the
//                     handshake; reports how the session ended;
//   wait-close        one echo, then `READY {...}` and waits for the server to close.
// Every wait is bounded; failures are reported as `"ok": false` with an error.
"use strict";

const config = JSON.parse(process.argv[2]);
const version = config.version ?? 4;
const scenario = config.scenario ?? "echo";
const deadlineMs = config.timeoutMs ?? 8000;
const started = Date.now();

const TEXT = "hello é€😀";
const BINARY = [0, 1, 2, 255];

function makeSocket() {
  const opts = {
    transports: config.transports ?? ["polling", "websocket"],
    upgrade: config.upgrade ?? true,
    path: "/engine.io",
  };
  if (version === 3) {
    const eio = require("engine.io-client-v3");
    return eio(config.url, opts);
  }
  const { Socket } = require("engine.io-client");
  return new Socket(config.url, opts);
}

function bytes(data) {
  if (typeof data === "string") return null;
  if (data instanceof ArrayBuffer) return Array.from(new Uint8Array(data));
  return Array.from(data);
}

function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

function fail(error, extra = {}) {
  report({ ok: false, error: String(error), elapsedMs: Date.now() - started, ...extra });
}

setTimeout(() => fail(`scenario ${scenario} timed out after ${deadlineMs} ms`), deadlineMs).unref();

const socket = makeSocket();
const result = { ok: true, version, scenario, echoes: [], events: [] };
const waiters = [];
let closed = null;

function note(event) {
  result.events.push(`${Date.now() - started}ms ${event}`);
}

socket.on("message", (data) => {
  const waiter = waiters.shift();
  if (waiter) waiter(data);
});
socket.on("upgrade", (t) => note(`upgrade ${t.name}`));
socket.on("upgradeError", (e) => note(`upgradeError ${e}`));
socket.on("error", (e) => note(`error ${e}`));
socket.on("close", (reason, desc) => {
  closed = { reason, description: desc ? String(desc.description ?? desc.message ?? desc) : null, at: Date.now() };
  note(`close ${reason}`);
  for (const w of closeWaiters.splice(0)) w();
});
const closeWaiters = [];

function nextMessage() {
  return new Promise((resolve, reject) => {
    if (closed) return reject(new Error(`closed: ${closed.reason}`));
    waiters.push(resolve);
  });
}

function waitClose() {
  return new Promise((resolve) => (closed ? resolve() : closeWaiters.push(resolve)));
}

function waitEvent(name) {
  return new Promise((resolve, reject) => {
    socket.once(name, resolve);
    socket.once("close", (r) => reject(new Error(`closed (${r}) while waiting for ${name}`)));
  });
}

async function echo(label) {
  const sentOn = socket.transport.name;
  const textReply = nextMessage();
  socket.send(`${TEXT} ${label}`);
  const text = await textReply;
  const binReply = nextMessage();
  socket.send(Buffer.from(BINARY));
  const bin = await binReply;
  result.echoes.push({
    label,
    sentOn,
    receivedOn: socket.transport.name,
    text,
    textOk: text === `${TEXT} ${label}`,
    binary: bytes(bin),
    binaryOk: JSON.stringify(bytes(bin)) === JSON.stringify(BINARY),
  });
}

async function main() {
  await waitEvent("open");
  result.sid = socket.id;
  result.openTransport = socket.transport.name;
  note(`open ${socket.transport.name}`);
  const transports = config.transports ?? ["polling", "websocket"];
  const expectUpgrade =
    (config.upgrade ?? true) && transports[0] === "polling" && transports.includes("websocket");

  if (scenario === "echo") {
    await echo("first");
    if (expectUpgrade) {
      if (socket.transport.name !== "websocket") await waitEvent("upgrade");
      await echo("after upgrade");
    }
    result.finalTransport = socket.transport.name;
    socket.close();
    await waitClose();
    result.closeReason = closed.reason;
    return report(result);
  }

  if (scenario === "heartbeat-timeout") {
    if (version === 3) {
      // Protocol 3: the client pings; a client that stops pinging is dropped by the server.
      socket.ping = () => note("ping suppressed");
    } else {
      // Protocol 4: the server pings; drop our pongs.
      const send = socket._sendPacket.bind(socket);
      socket._sendPacket = (type, ...rest) => {
        if (type === "pong") return note("pong suppressed");
        return send(type, ...rest);
      };
    }
    const since = Date.now();
    await waitClose();
    result.closeReason = closed.reason;
    result.closeDescription = closed.description;
    result.closedAfterMs = closed.at - since;
    result.transport = socket.transport ? socket.transport.name : null;
    return report(result);
  }

  if (scenario === "wait-close") {
    if (expectUpgrade && socket.transport.name !== "websocket") await waitEvent("upgrade");
    await echo("before close");
    result.transport = socket.transport.name;
    const readyAt = Date.now();
    process.stdout.write(`READY ${JSON.stringify({ sid: socket.id, transport: socket.transport.name })}\n`);
    await waitClose();
    result.closeReason = closed.reason;
    result.closeDescription = closed.description;
    result.closedAfterReadyMs = closed.at - readyAt;
    return report(result);
  }

  throw new Error(`unknown scenario ${scenario}`);
}

main().catch((e) => fail(e && e.stack ? e.stack : e, { events: result.events }));
