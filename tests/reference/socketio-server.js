// Node's real socket.io 4.8 server, configured as the Socket.IO part of our `conformance` example
// (SIO-1 §3, SIO-2 §6) at /socket.io/ on 127.0.0.1:$PORT (default 3000; 0 picks a free port).
// Used to check the Socket.IO integration tests against the reference implementation:
//
//   PORT=3000 node tests/reference/socketio-server.js &
//   SIO_FIXTURE_URL=http://127.0.0.1:3000 cargo test -p examples --test socketio_suite
//
// Prints `listening on <port>` once bound. VERBOSE=1 logs connections, refusals and disconnect
// reasons on stderr.
"use strict";

const http = require("node:http");
const path = require("node:path");

const { Server } = require(path.join(__dirname, "..", "clients", "node_modules", "socket.io"));

const port = Number(process.env.PORT ?? 3000);
const verbose = Boolean(process.env.VERBOSE);
const log = (...args) => verbose && console.error(...args);

const httpServer = http.createServer();
const io = new Server(httpServer, {
  path: "/socket.io",
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  connectTimeout: 1000,
  allowEIO3: true,
  cors: { origin: "*" },
});

// Handlers shared by `/` and `/custom`.
function common(socket) {
  log(`connect ${socket.nsp.name} ${socket.id} eio=${socket.conn.protocol}`);
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("disconnect", (reason) => log(`disconnect ${socket.nsp.name} ${socket.id} ${reason}`));
}

io.on("connection", (socket) => {
  common(socket);

  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("server-ack", (...args) => {
    socket.emit("server-ack-request", ...args, (...values) => {
      socket.emit("server-ack-response", ...values);
    });
  });
  socket.on("force-disconnect", () => socket.disconnect());

  // SIO-2 §6: rooms and broadcasts.
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(room);
  });
  socket.on("to-room", (room, payload) => io.to(room).emit("room-message", room, payload));
  socket.on("broadcast", (payload) => io.emit("msg", payload));
  socket.on("disconnect", () => io.to("disconnect-watchers").emit("peer-disconnected", socket.id));
});

io.of("/custom").on("connection", common);

const restricted = io.of("/restricted");
restricted.use((socket, next) => {
  const { auth, query } = socket.handshake;
  // Clients that cannot send a CONNECT payload (protocol 4) put the token in the request query.
  if ((auth && auth.token === "s3cret") || query.token === "s3cret") {
    next();
  } else {
    log(`refuse /restricted ${socket.id}`);
    next(new Error("not authorized"));
  }
});
restricted.on("connection", (socket) => {
  log(`connect /restricted ${socket.id}`);
  socket.emit("welcome", "restricted");
});

// Any other namespace is refused with {"message":"Invalid namespace"}: socket.io's default.

io.engine.on("connection_error", (err) => {
  log(`connection_error ${err.code} ${err.message} ${err.req.url}`);
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on ${httpServer.address().port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
