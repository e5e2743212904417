// The Node reference of the Admin UI fixture: socket.io 4.8 instrumented by
// @socket.io/admin-ui 0.5.1 (`instrument`), serving a small app that the scenarios of
// tests/clients/admin_client.js and tests/browser/admin_ui.js drive. The Rust fixture implements
// the same contract. Prints `READY {"port":N,"serverId":"..."}` once listening; SIGTERM stops it.
//
//   node tests/clients/admin_node.js '{"port":0,"auth":"basic","readonly":false,"mode":"development",
//        "namespaceName":"/admin","serverId":"node-1","redis":"redis://127.0.0.1:6379",
//        "corsOrigin":"http://127.0.0.1:8080"}'
//
// Config: `auth` "none" (default) or "basic" (user "admin", password "changeit", as a bcrypt
// hash); `mode` "development" (default) or "production"; `redis` (optional) puts the node on
// @socket.io/redis-adapter (classic createAdapter(pub, sub), redis 4) with its sessions in Redis
// under the admin-ui key format `socket.io-admin#<sessionId>`; `corsOrigin` (optional) allows that
// origin with credentials.
//
// The app, on "/" and on the dynamic namespaces /^\/dynamic-\d+$/: a socket joins
// `handshake.auth.room` when it is a string; events `join`(room, ack), `leave`(room, ack),
// `set_data`(obj, ack) (merges obj's keys into socket.data), `send_me`(ack) (emits
// `hello`, 1, "2", <Buffer 01 02 03> to the socket), `broadcast`(room, ack) (emits `news`, "x" to
// the room), each acked with "ok"; `hello`(...args) acks "ok" when its last argument is an ack.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { instrument } = require("@socket.io/admin-ui");

const config = JSON.parse(process.argv[2] || "{}");

// bcryptjs hash of "changeit" (checked at start).
const PASSWORD_HASH = "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS";

// admin-ui 0.5.1 exports only a redis@3 (callback) RedisStore: this store keeps sessions as it
// does (`SET <prefix>#<id> 1`, expiring after the session duration, found with EXISTS), with
// the redis@4 API.
class RedisV4Store {
  constructor(client, options = {}) {
    this.client = client;
    this.prefix = options.prefix ?? "socket.io-admin";
    this.sessionDuration = options.sessionDuration ?? 86400;
  }
  key(id) {
    return `${this.prefix}#${id}`;
  }
  async doesSessionExist(id) {
    return (await this.client.exists(this.key(id))) === 1;
  }
  saveSession(id) {
    const key = this.key(id);
    this.client.multi().set(key, "1").expire(key, this.sessionDuration).exec().catch(() => {});
  }
}

function registerApp(nsp) {
  nsp.on("connection", (socket) => {
    const room = socket.handshake.auth && socket.handshake.auth.room;
    if (typeof room === "string") socket.join(room);
    const ok = (ack) => {
      if (typeof ack === "function") ack("ok");
    };
    socket.on("join", (r, ack) => {
      socket.join(r);
      ok(ack);
    });
    socket.on("leave", (r, ack) => {
      socket.leave(r);
      ok(ack);
    });
    socket.on("set_data", (obj, ack) => {
      if (obj && typeof obj === "object") {
        for (const [k, v] of Object.entries(obj)) socket.data[k] = v;
      }
      ok(ack);
    });
    socket.on("send_me", (ack) => {
      socket.emit("hello", 1, "2", Buffer.from([1, 2, 3]));
      ok(ack);
    });
    socket.on("broadcast", (r, ack) => {
      socket.nsp.to(r).emit("news", "x");
      ok(ack);
    });
    socket.on("hello", (...args) => ok(args[args.length - 1]));
  });
}

async function main() {
  const bcrypt = require("bcryptjs");
  if (!bcrypt.compareSync("changeit", PASSWORD_HASH)) throw new Error("bad bcrypt hash");

  const options = {};
  if (config.corsOrigin) options.cors = { origin: [config.corsOrigin], credentials: true };
  let store;
  let redisClients = [];
  if (config.redis) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: config.redis });
    const sub = pub.duplicate();
    redisClients = [pub, sub];
    for (const c of redisClients) c.on("error", () => {});
    await Promise.all(redisClients.map((c) => c.connect()));
    options.adapter = createAdapter(pub, sub);
    store = new RedisV4Store(pub);
  }

  const httpServer = http.createServer();
  const io = new Server(httpServer, options);

  const serverId = config.serverId || undefined;
  instrument(io, {
    auth:
      config.auth === "basic"
        ? { type: "basic", username: "admin", password: PASSWORD_HASH }
        : false,
    readonly: !!config.readonly,
    mode: config.mode || "development",
    namespaceName: config.namespaceName || "/admin",
    serverId,
    ...(store ? { store } : {}),
  });

  registerApp(io.of("/"));
  registerApp(io.of(/^\/dynamic-\d+$/));

  httpServer.listen(config.port ?? 0, "127.0.0.1", () => {
    const id = serverId || require("node:os").hostname();
    process.stdout.write(
      `READY ${JSON.stringify({ port: httpServer.address().port, serverId: id })}\n`,
    );
  });
  process.on("SIGTERM", () => {
    io.close();
    for (const c of redisClients) c.disconnect().catch(() => {});
    process.exit(0);
  });
}

main().catch((e) => {
  process.stderr.write(`admin_node.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
