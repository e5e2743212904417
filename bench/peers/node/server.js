// Node.js socket.io 4.x peer for scripts/bench.sh: the same events as our `conformance` fixture.
//
//   node server.js [--port N]
//
// Default engine (`ws`), production heartbeats (25 s / 20 s). The first line printed records
// the versions and whether ws found the native bufferutil / utf-8-validate add-ons.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const i = process.argv.indexOf("--port");
const port = i > 0 ? Number(process.argv[i + 1]) : 3002;

function has(name) {
  try {
    require.resolve(name);
    require(name);
    return true;
  } catch {
    return false;
  }
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: 25000,
  pingTimeout: 20000,
  serveClient: false,
});

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
      `bufferutil=${has("bufferutil")} utf-8-validate=${has("utf-8-validate")} ` +
      `listening on http://127.0.0.1:${port}`
  );
});
