// Drives the real Socket.IO Admin UI (@socket.io/admin-ui 0.5.1 ui/dist, from
// scripts/setup-admin-ui.sh) in headless Chromium (Debian's /usr/bin/chromium, playwright-core
// from tests/clients/node_modules) against the admin fixture (our Rust server, or the Node
// reference tests/clients/admin_node.js), with two app clients (socket.io-client in Node). The
// steps of admin-ui.md §6.3.7. Prints `STEP {...}` as it goes and one `RESULT {json}`; saves
// screenshots in config.shots. Run by the Rust tests:
//
//   node tests/browser/admin_ui.js '{"ui":"http://127.0.0.1:P/admin-ui/","server":"http://127.0.0.1:P",
//        "auth":"basic","wsOnly":false,"shots":"/tmp/shots"}'
//
// `ui` is where the UI's files are served (the server itself, or another origin: then the server
// must allow that origin with credentials); `server` the Socket.IO server (no trailing slash);
// `auth` what the server runs ("none"|"basic": user "admin", password "changeit"); `appServer`
// where the app clients connect (default `server`: another node of the cluster shows the UI
// that node's sockets); `servers` how many healthy servers the UI must list (default 1); `tag`
// names the screenshots.
// The UI is pointed at the server by pre-seeding its localStorage (server_url, namespace, path,
// ws_only, parser). With basic auth the first auto-connect must fail with "Invalid credentials",
// then the modal's form logs in; at the end a reload shows whether the UI re-authenticated with
// its saved session (`reloadReauth`: false against Node 0.5.1, whose `session` event comes before
// CONNECT and is dropped by the UI; true when the server emits it after CONNECT).
// Any Vue error or page error in the console fails the run.
"use strict";

const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");
const clientsRequire = createRequire(path.join(__dirname, "..", "clients", "package.json"));
const { chromium } = clientsRequire("playwright-core");
const { io } = clientsRequire("socket.io-client");

const config = JSON.parse(process.argv[2]);
const T = 10000;
const FULL = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"];
const steps = [];
const started = Date.now();
const step = (name) => {
  steps.push(`${Date.now() - started}ms ${name}`);
  process.stdout.write(`STEP ${JSON.stringify({ name })}\n`);
};
const clients = [];
let browser;
let reported = false;
const report = async (result) => {
  if (reported) return;
  reported = true;
  for (const c of clients) c.disconnect();
  try {
    if (browser) await browser.close();
  } catch (e) {
    // ignore
  }
  process.stdout.write(`RESULT ${JSON.stringify({ ...result, steps })}\n`, () => process.exit(0));
};
setTimeout(() => report({ ok: false, error: "timed out after 120 s" }), 120000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function appClient(name, auth) {
  const socket = io((config.appServer || config.server) + "/", { forceNew: true, reconnection: false, timeout: T, auth });
  socket.name = name;
  socket.inbox = [];
  socket.onAny((event, ...args) => socket.inbox.push({ event, args }));
  socket.disconnects = [];
  socket.on("disconnect", (r) => socket.disconnects.push(r));
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => reject(new Error(`${name}: ${e.message}`)));
  });
}

async function until(what, check, ms = T) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

// The Vuex state, as plain JSON.
const state = (page) =>
  page.evaluate(() => {
    const el = document.querySelector("[data-app]");
    if (!el || !el.__vue__) return null;
    return JSON.parse(JSON.stringify(el.__vue__.$store.state));
  });

const modalText = async (page) => {
  const m = page.locator(".v-dialog--active");
  return (await m.count()) ? (await m.first().textContent()).replace(/\s+/g, " ").trim() : null;
};

const nsp = (s, name) => s && s.main.namespaces.find((n) => n.name === name);

(async () => {
  const shots = config.shots || "/tmp";
  fs.mkdirSync(shots, { recursive: true });
  const tag = config.tag || `${config.auth || "none"}${config.wsOnly ? "-ws" : ""}`;
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `admin-${tag}-${name}.png`) });
  const errors = [];
  const result = { ok: false };
  let page;
  try {
    const c1 = await appClient("c1", { room: "room1" });
    const c2 = await appClient("c2", {});
    const c1id = c1.id;
    step("app clients connected");

    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript((seed) => {
      for (const [k, v] of Object.entries(seed)) localStorage.setItem(k, v);
    }, {
      server_url: config.server,
      namespace: "/admin",
      path: "/socket.io",
      ws_only: config.wsOnly ? "true" : "false",
      parser: "default",
    });
    page = await context.newPage();
    // What the UI sends on the admin namespace (WebSocket frames, and polling POST bodies).
    const sent = [];
    const connects = [];
    result.sent = sent;
    result.connects = connects;
    const record = (payload) => {
      for (const part of String(payload).split("\x1e")) {
        const c = /^40\/admin,(.*)$/s.exec(part);
        if (c) connects.push(c[1]);
        const m = /^42\/admin,(\d*)(\[.*)$/s.exec(part);
        if (m) {
          try {
            sent.push(JSON.parse(m[2]));
          } catch (e) {
            sent.push(part);
          }
        }
      }
    };
    page.on("websocket", (ws) => ws.on("framesent", (f) => record(f.payload)));
    page.on("request", (r) => {
      if (r.method() === "POST" && r.postData()) record(r.postData());
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
    page.on("console", (m) => {
      const text = m.text();
      // The CDN stylesheets fail by design (--host-resolver-rules); anything from Vue counts.
      if (/\[Vue warn\]|Error in |TypeError|ReferenceError/.test(text)) errors.push(`console.${m.type()}: ${text}`);
    });

    await page.goto(config.ui);
    step("page loaded");

    if (config.auth === "basic") {
      const err = page.locator(".v-dialog--active .red--text");
      await err.waitFor({ timeout: T }).catch(async () => {
        throw new Error(`no error in the modal (modal: ${JSON.stringify(await modalText(page))})`);
      });
      await until("Invalid credentials", async () => (await err.textContent()).trim() === "Invalid credentials")
        .catch(async (e) => {
          throw new Error(`${e.message}: the modal says ${JSON.stringify(await modalText(page))}`);
        });
      result.modalError = (await err.textContent()).trim();
      await shot(page, "modal");
      step("modal shows Invalid credentials");
      await page.locator(".v-dialog--active input[type=text]:not([required])").fill("admin");
      await page.locator(".v-dialog--active input[type=password]").fill("changeit");
      await page.locator(".v-dialog--active button[type=submit]").click();
      step("credentials submitted");
    }

    await until("connected", async () => {
      const s = await state(page);
      return s && s.connection.connected;
    }).catch(async (e) => {
      throw new Error(`${e.message} (modal: ${JSON.stringify(await modalText(page))})`);
    });
    await page.waitForFunction(
      () => [...document.querySelectorAll(".v-chip")].some((c) => c.textContent.trim() === "connected"),
      null,
      { timeout: T },
    );
    step("connected");

    let s = await until("supportedFeatures", async () => {
      const st = await state(page);
      return st && st.config.supportedFeatures.length ? st : null;
    });
    result.supportedFeatures = s.config.supportedFeatures;
    if (JSON.stringify([...s.config.supportedFeatures].sort()) !== JSON.stringify([...FULL].sort())) {
      throw new Error(`supportedFeatures ${JSON.stringify(s.config.supportedFeatures)}`);
    }
    step("features");

    s = await until("2 sockets in /, room1 with 1 socket", async () => {
      const st = await state(page);
      const root = nsp(st, "/");
      if (!root) return null;
      const ids = root.sockets.map((x) => x.id).sort();
      const room1 = root.rooms.find((r) => r.name === "room1");
      return JSON.stringify(ids) === JSON.stringify([c1.id, c2.id].sort()) &&
        room1 && room1.sockets.length === 1 && room1.sockets[0].id === c1.id ? st : null;
    });
    const admin = nsp(s, "/admin");
    result.adminSockets = admin ? admin.sockets.length : 0;
    if (result.adminSockets !== 1) throw new Error(`/admin has ${result.adminSockets} sockets`);
    result.uiTransport = admin.sockets[0].transport;
    if (config.wsOnly && result.uiTransport !== "websocket") throw new Error(`ws-only UI on ${result.uiTransport}`);
    result.selectedNamespace = s.main.selectedNamespace && s.main.selectedNamespace.name;
    step("sockets and rooms");

    const nodes = config.servers || 1;
    s = await until(`${nodes} healthy server(s)`, async () => {
      const st = await state(page);
      return st && st.servers.servers.length === nodes && st.servers.servers.every((x) => x.healthy) ? st : null;
    }, 5000);
    const srv = s.servers.servers[0];
    result.server = { serverId: srv.serverId, clientsCount: srv.clientsCount, pollingClientsCount: srv.pollingClientsCount };
    result.serverIds = s.servers.servers.map((x) => x.serverId).sort();
    step("servers healthy");

    c1.emit("hello", "from c1");
    await until("event received in the store", async () => {
      const st = await state(page);
      const root = nsp(st, "/");
      return root && root.events.some((e) => e.type === "event_received" && e.id === c1.id && e.eventName === "hello");
    });
    step("hello shows as an event received");
    await sleep(500);
    await shot(page, "dashboard");

    // Sockets page, through the drawer.
    await page.locator(".v-navigation-drawer .v-list-item", { hasText: "Sockets" }).first().click();
    await page.waitForFunction(() => location.hash.startsWith("#/sockets"), null, { timeout: T });
    const row = page.locator("tbody tr:not(.v-data-table__empty-wrapper)", { hasText: c1.id });
    await row.waitFor({ timeout: T });
    // Two rows (c1, c2) once the page transition is over (the dashboard's tables fade out).
    const rows = page.locator("tbody tr:not(.v-data-table__empty-wrapper)");
    await until("2 socket rows", async () => (await rows.count()) === 2);
    result.socketRows = await rows.count();
    await sleep(500);
    await shot(page, "sockets");
    step("sockets page");
    await row.click();
    await page.waitForFunction((id) => location.hash.includes(`/sockets/${id}`), c1.id, { timeout: T });
    await page.getByText("Initial HTTP request").first().waitFor({ timeout: T });
    await sleep(300);
    await shot(page, "socket");
    step("socket page");

    // Join room2 from the UI.
    await page.getByLabel("Join a room").fill("room2");
    await page.locator("button:has(i.mdi-tag-plus-outline)").click();
    await until("c1 in room2 (server side)", async () => {
      c1.inbox = c1.inbox.filter((m) => m.event !== "news");
      await c2.emitWithAck("broadcast", "room2");
      await sleep(150);
      return c1.inbox.some((m) => m.event === "news");
    });
    await until("room2 in the store", async () => {
      const root = nsp(await state(page), "/");
      const me = root && root.sockets.find((x) => x.id === c1.id);
      return me && me.rooms.includes("room2");
    });
    await page.locator("td, span, div", { hasText: /^room2$/ }).first().waitFor({ timeout: T });
    await shot(page, "joined");
    step("joined room2 from the UI");

    const joinCmd = sent.find((c) => Array.isArray(c) && c[0] === "join");
    if (JSON.stringify(joinCmd) !== JSON.stringify(["join", "/", "room2", c1id])) {
      throw new Error(`the UI sent ${JSON.stringify(joinCmd)}`);
    }

    // Disconnect the socket from the UI: the Details card has the client's button (close=true)
    // then the socket's (close=false).
    const logout = page.locator("button:has(i.mdi-logout)");
    await until("2 disconnect buttons", async () => (await logout.count()) === 2);
    await logout.last().click();
    const reason = await until("c1 disconnected", async () => c1.disconnects[0]);
    result.disconnectReason = reason;
    if (reason !== "io server disconnect") throw new Error(`c1 disconnect reason ${reason}`);
    await until("c1 gone from the store", async () => {
      const root = nsp(await state(page), "/");
      return root && !root.sockets.some((x) => x.id === c1id);
    });
    await page.locator(".v-navigation-drawer .v-list-item", { hasText: "Sockets" }).first().click();
    await page.waitForFunction(() => location.hash.startsWith("#/sockets"), null, { timeout: T });
    await page.locator("tbody tr:not(.v-data-table__empty-wrapper)", { hasText: c2.id }).waitFor({ timeout: T });
    await until("c1's row gone", async () =>
      (await page.locator("tbody tr:not(.v-data-table__empty-wrapper)", { hasText: c1id }).count()) === 0 &&
      (await page.locator("tbody tr:not(.v-data-table__empty-wrapper)").count()) === 1);
    await sleep(500);
    await shot(page, "disconnected");
    const discCmd = sent.find((c) => Array.isArray(c) && c[0] === "_disconnect");
    if (JSON.stringify(discCmd) !== JSON.stringify(["_disconnect", "/", false, c1id])) {
      throw new Error(`the UI sent ${JSON.stringify(discCmd)}`);
    }
    step("disconnected from the UI");

    if (config.auth === "basic") {
      result.savedSessionId = await page.evaluate(() => localStorage.getItem("session_id"));
      await page.reload();
      // Either it connects by session, or the modal comes back with "Invalid credentials".
      const outcome = await until("reload outcome", async () => {
        const st = await state(page);
        if (st && st.connection.connected) return "connected";
        const err = await page.locator(".v-dialog--active .red--text").count();
        return err ? "modal" : null;
      });
      if (outcome === "connected") {
        // Make sure it stays so (no modal).
        await sleep(500);
        const st = await state(page);
        result.reloadReauth = !!(st && st.connection.connected) && (await page.locator(".v-dialog--active").count()) === 0;
      } else {
        result.reloadReauth = false;
      }
      await shot(page, "reload");
      step(`reload: ${result.reloadReauth ? "re-authenticated by session" : "modal again"}`);
    }

    await sleep(300);
    result.errors = errors;
    if (errors.length) throw new Error(`errors in the page: ${errors.slice(0, 5).join(" | ")}`);
    result.ok = true;
    await report(result);
  } catch (e) {
    if (page) await shot(page, "failure").catch(() => {});
    await report({ ...result, ok: false, error: String(e && e.message ? e.message : e), errors });
  }
})();
