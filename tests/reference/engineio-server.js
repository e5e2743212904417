// Node's real engine.io 6.6 server, configured as our `conformance` example: an echo at
// /engine.io/ on 127.0.0.1:$PORT (default 3000; 0 picks a free port). Every message, text or
// binary, goes back to its own session. Used to check the integration tests against the
// reference implementation:
//
//   PORT=3000 node tests/reference/engineio-server.js &
//   EIO_FIXTURE_URL=http://127.0.0.1:3000 cargo test -p examples --test engineio_suite
//
// Prints `listening on <port>` once bound. PING_INTERVAL / PING_TIMEOUT (ms) override the
// heartbeat, like the example's --ping-interval / --ping-timeout.
"use strict";

const http = require("node:http");
const path = require("node:path");

const { Server } = require(path.join(__dirname, "..", "clients", "node_modules", "engine.io"));

const port = Number(process.env.PORT ?? 3000);
const pingInterval = Number(process.env.PING_INTERVAL ?? 300);
const pingTimeout = Number(process.env.PING_TIMEOUT ?? 200);

const httpServer = http.createServer();
const engine = new Server({
  pingInterval,
  pingTimeout,
  maxHttpBufferSize: 1e6,
  allowEIO3: true,
  cors: { origin: "*" },
});
engine.attach(httpServer, { path: "/engine.io" });

engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
  if (process.env.VERBOSE) {
    console.error(`open ${socket.id} eio=${socket.protocol} transport=${socket.transport.name}`);
    socket.on("upgrade", (t) => console.error(`upgrade ${socket.id} -> ${t.name}`));
    socket.on("close", (reason, desc) => console.error(`close ${socket.id} ${reason}`, desc ?? ""));
  }
});
engine.on("connection_error", (err) => {
  if (process.env.VERBOSE) {
    console.error(`connection_error ${err.code} ${err.message} ${err.req.url}`);
  }
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on ${httpServer.address().port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    engine.close();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
