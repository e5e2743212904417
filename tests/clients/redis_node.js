// The Node reference node of the Redis interop fixture (redis-interop-fixture.md §2):
// socket.io 4.8 + @socket.io/redis-adapter 8.3 (classic `createAdapter(pub, sub)`, default
// options) + redis 4, beside our Rust nodes in examples/tests/redis_*.rs. Prints
// `READY {"port":N}` once listening and subscribed; SIGTERM stops it.
//
//   node tests/clients/redis_node.js '{"port":0,"redis":"redis://127.0.0.1:6379"}'
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const config = JSON.parse(process.argv[2]);

async function main() {
  const pub = createClient({ url: config.redis });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });

  // A second namespace, for the emitter's `of("/admin")` (redis_emitter.rs).
  io.of("/admin");
  io.on("ping-nodes", (payload) => io.local.emit("node-pinged", payload));
  io.on("ping-nodes-ack", (payload, reply) => reply({ pong: payload }));

  io.on("connection", (socket) => {
    const name = socket.handshake.auth && socket.handshake.auth.name;
    socket.data = { name: typeof name === "string" ? name : null };
    const scope = (room) => (room == null ? io : io.in(room));
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack();
    });
    socket.on("to-room", (room, payload, ack) => {
      io.to(room).emit("room-message", room, payload);
      ack();
    });
    socket.on("broadcast", ({ rooms = [], except = [] }, payload, ack) => {
      io.to(rooms).except(except).emit("broadcast-message", payload);
      ack();
    });
    socket.on("fetch-sockets", async (room, ack) => {
      try {
        const sockets = await scope(room).fetchSockets();
        ack(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data })));
      } catch (e) {
        ack({ error: String(e && e.message ? e.message : e) });
      }
    });
    socket.on("server-side-emit", (payload, ack) => {
      io.serverSideEmit("ping-nodes", payload);
      ack();
    });
    socket.on("server-side-emit-ack", (payload, ack) => {
      io.serverSideEmit("ping-nodes-ack", payload, (err, responses) => {
        ack({ error: err ? String(err.message || err) : null, responses });
      });
    });
    socket.on("broadcast-with-ack", (room, payload, ack) => {
      (room == null ? io : io.to(room)).timeout(1500).emit("question", payload, (err, answers) => {
        ack({ error: err ? String(err.message || err) : null, answers });
      });
    });
    socket.on("sockets-join", (inRoom, room, ack) => {
      scope(inRoom).socketsJoin(room);
      ack();
    });
    socket.on("sockets-leave", (inRoom, room, ack) => {
      scope(inRoom).socketsLeave(room);
      ack();
    });
    socket.on("disconnect-room", (room, ack) => {
      ack();
      io.in(room).disconnectSockets(true);
    });
  });

  httpServer.listen(config.port ?? 0, "127.0.0.1", () => {
    process.stdout.write(`READY ${JSON.stringify({ port: httpServer.address().port })}\n`);
  });
  process.on("SIGTERM", () => {
    io.close();
    process.exit(0);
  });
}

main().catch((e) => {
  process.stderr.write(`redis_node.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
