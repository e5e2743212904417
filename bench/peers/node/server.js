// Node.js socket.io 4.x peer for scripts/bench.sh: the same events as our `conformance` fixture.
//
//   node server.js [--port N] [--redis redis://127.0.0.1:6379] [--parser text|msgpack]
//                  [--deflate on|off]
//
// Default engine (`ws`), production heartbeats (25 s / 20 s). The first line printed records
// the versions and whether ws found the native bufferutil / utf-8-validate add-ons.
// `--redis`: a node of a cluster, on @socket.io/redis-adapter (classic `createAdapter(pub,
// sub)`, default options) over node-redis 4, as the cluster scenario of scripts/bench.sh runs.
// `--parser msgpack` (or BENCH_PARSER=msgpack): socket.io-msgpack-parser 3.x instead of the
// default parser, every packet one binary frame of MessagePack.
// `--deflate on` (or BENCH_DEFLATE=on): `perMessageDeflate: { threshold: 1024 }` (ws's
// defaults otherwise) for the clients that offer it; off by default, as socket.io's default.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

function flag(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const port = Number(flag("--port") ?? 3002);
const redisUrl = flag("--redis");
const parserName = flag("--parser") ?? process.env.BENCH_PARSER ?? "text";
if (parserName !== "text" && parserName !== "msgpack") {
  console.error(`--parser text|msgpack, not ${parserName}`);
  process.exit(2);
}

function has(name) {
  try {
    require.resolve(name);
    require(name);
    return true;
  } catch {
    return false;
  }
}

// The notepack.io that socket.io-msgpack-parser loads (its own copy, not the adapter's).
function notepackVersion() {
  const parserDir = require("path").dirname(require.resolve("socket.io-msgpack-parser"));
  return require(require.resolve("notepack.io/package.json", { paths: [parserDir] })).version;
}

const deflateName = flag("--deflate") ?? process.env.BENCH_DEFLATE ?? "off";
if (deflateName !== "on" && deflateName !== "off") {
  console.error(`--deflate on|off, not ${deflateName}`);
  process.exit(2);
}

async function main() {
  const httpServer = http.createServer();
  const options = {
    pingInterval: 25000,
    pingTimeout: 20000,
    serveClient: false,
  };
  let deflateText = "";
  if (deflateName === "on") {
    options.perMessageDeflate = { threshold: 1024 };
    deflateText = " perMessageDeflate={threshold:1024}";
  }
  let adapterText = "";
  let parserText = "";
  if (parserName === "msgpack") {
    options.parser = require("socket.io-msgpack-parser");
    parserText =
      ` socket.io-msgpack-parser ${require("socket.io-msgpack-parser/package.json").version}` +
      ` notepack.io ${notepackVersion()}`;
  }
  if (redisUrl) {
    const { createAdapter } = require("@socket.io/redis-adapter");
    const { createClient } = require("redis");
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    options.adapter = createAdapter(pub, sub);
    adapterText =
      ` redis-adapter ${require("@socket.io/redis-adapter/package.json").version}` +
      ` redis ${require("redis/package.json").version}`;
  }
  const io = new Server(httpServer, options);

  io.on("connection", (socket) => {
    socket.on("echo", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
    socket.on("broadcast", (payload) => {
      io.emit("msg", payload);
    });
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack(room);
    });
    socket.on("to-room", (room, payload) => {
      io.to(room).emit("room-message", room, payload);
    });
  });

  httpServer.listen(port, "127.0.0.1", () => {
    const version = require("socket.io/package.json").version;
    const ws = require("ws/package.json").version;
    console.log(
      `node ${process.version} socket.io ${version} ws ${ws} ` +
        `bufferutil=${has("bufferutil")} utf-8-validate=${has("utf-8-validate")}${parserText}${deflateText}${adapterText} ` +
        `listening on http://127.0.0.1:${port}`
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
