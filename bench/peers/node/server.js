// Node.js socket.io 4.x peer for scripts/bench.sh: the same events as our `conformance` fixture.
//
//   node server.js [--port N] [--redis redis://127.0.0.1:6379]
//
// Default engine (`ws`), production heartbeats (25 s / 20 s). The first line printed records
// the versions and whether ws found the native bufferutil / utf-8-validate add-ons.
// `--redis`: a node of a cluster, on @socket.io/redis-adapter (classic `createAdapter(pub,
// sub)`, default options) over node-redis 4, as the cluster scenario of scripts/bench.sh runs.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

function flag(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const port = Number(flag("--port") ?? 3002);
const redisUrl = flag("--redis");

function has(name) {
  try {
    require.resolve(name);
    require(name);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const httpServer = http.createServer();
  const options = {
    pingInterval: 25000,
    pingTimeout: 20000,
    serveClient: false,
  };
  let adapterText = "";
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
        `bufferutil=${has("bufferutil")} utf-8-validate=${has("utf-8-validate")}${adapterText} ` +
        `listening on http://127.0.0.1:${port}`
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
