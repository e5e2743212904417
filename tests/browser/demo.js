// Drives the demo chat (examples/src/demo.rs) in headless Chromium (Debian's /usr/bin/chromium,
// playwright-core from tests/clients/node_modules) with two pages: A on long-polling at
// config.a, B on WebSocket at config.b (the same server, or two nodes through Redis). Prints
// `STEP {...}` as it goes and one `RESULT {json}`; saves a screenshot of each page in
// config.shots. Run by examples/tests/demo.rs:
//
//   node tests/browser/demo.js '{"a":"http://127.0.0.1:P/","b":"http://127.0.0.1:P/","shots":"/tmp","full":true}'
//
// With `full` false, only the cross-node part runs: both pages log in and a message typed on A
// appears on B.
"use strict";

const path = require("path");
const { createRequire } = require("module");
const clientsRequire = createRequire(path.join(__dirname, "..", "clients", "package.json"));
const { chromium } = clientsRequire("playwright-core");

const config = JSON.parse(process.argv[2]);
const T = 15000;
const step = (name) => process.stdout.write(`STEP ${JSON.stringify({ name })}\n`);
const report = (result) =>
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
// The nickname: if it ran, a dialog would open (recorded below).
const XSS = "<img src=x onerror=alert(1)>";
const dialogs = [];

async function login(page, url, nick) {
  await page.goto(url);
  await page.fill("#nick", nick);
  await page.click("#enter");
  await page.waitForFunction((n) => document.querySelector("#me")?.textContent === n, nick, { timeout: T });
  await page.waitForFunction(() => /you joined general/.test(document.querySelector("#log").textContent), null, { timeout: T });
}

async function send(page, text) {
  await page.fill("#text", text);
  await page.click("#send-button");
}

const logHas = (page, text) =>
  page.waitForFunction((t) => document.querySelector("#log").textContent.includes(t), text, { timeout: T });

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
  });
  const errors = [];
  try {
    const a = await browser.newPage();
    const b = await browser.newPage();
    const watch = (p) => {
      p.on("pageerror", (e) => errors.push(String(e)));
      p.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
    };
    watch(a);
    watch(b);
    await login(a, config.a + "?transport=polling", "ada");
    await login(b, config.b + "?transport=websocket", "bob");
    step("logged in");
    const transports = [
      await a.textContent("#status"),
      await b.textContent("#status"),
    ];
    await send(a, "hello from A");
    await logHas(b, "hello from A");
    step("message A to B");
    if (!config.full) {
      await a.screenshot({ path: path.join(config.shots, "cluster-a.png") });
      await b.screenshot({ path: path.join(config.shots, "cluster-b.png") });
      return report({ ok: true, transports, errors });
    }
    // The delivery tick on the sender's own message.
    await a.waitForFunction(() => [...document.querySelectorAll("#log .mine .tick")].length === 1, null, { timeout: T });
    await send(b, "hello from B");
    await logHas(a, "hello from B");
    // Both in the user list.
    await a.waitForFunction(() => document.querySelector("#users").textContent === "adabob", null, { timeout: T });
    step("users");
    // Typing.
    await b.type("#text", "typ");
    await a.waitForFunction(() => /bob is typing/.test(document.querySelector("#typing").textContent), null, { timeout: T });
    await a.waitForFunction(() => document.querySelector("#typing").textContent === "", null, { timeout: T });
    await b.fill("#text", "");
    step("typing");
    // An image from B, shown on A.
    await b.setInputFiles("#image", { name: "dot.png", mimeType: "image/png", buffer: PNG });
    await b.click("#send-button");
    await a.waitForFunction(() => {
      const img = document.querySelector("#log .image img");
      return img && img.complete && img.naturalWidth === 1;
    }, null, { timeout: T });
    await b.waitForFunction(() => document.querySelector("#log .image.mine .tick") !== null, null, { timeout: T });
    step("image");
    // Hostile strings render as text and run nothing.
    await send(a, XSS);
    await logHas(b, XSS);
    // Shown as text on both pages, not as an element.
    const asText = await b.evaluate((x) => [...document.querySelectorAll("#log .text")].some((s) => s.textContent === x), XSS);
    if (!asText) throw new Error("the hostile message is not shown as text");
    // Too long: a clear error to the sender, and the connection stays.
    await send(a, "x".repeat(501));
    await logHas(a, "message too long (at most 500 characters)");
    await send(a, "still here");
    await logHas(b, "still here");
    step("hostile");
    // Rooms: B switches to a room of its own; A sees B leave, then B's messages stay there.
    await b.fill("#room-name", "lounge");
    await b.click("#new-room button");
    await b.waitForFunction(() => /you joined lounge/.test(document.querySelector("#log").textContent), null, { timeout: T });
    await logHas(a, "bob left");
    await a.waitForFunction(() => document.querySelector("#users").textContent === "ada", null, { timeout: T });
    await send(b, "only the lounge");
    await a.click('#rooms li[data-room="random"]');
    await a.click('#rooms li[data-room="general"]');
    await a.waitForFunction(() => /you joined general/.test(document.querySelector("#log").textContent), null, { timeout: T });
    // The history of general came back to A (its messages, the image excepted), and nothing of the lounge.
    const history = await a.textContent("#log");
    if (!history.includes("hello from B") || history.includes("only the lounge")) {
      throw new Error("wrong history: " + history);
    }
    step("rooms");
    await a.screenshot({ path: path.join(config.shots, "demo-a.png") });
    await b.screenshot({ path: path.join(config.shots, "demo-b.png") });
    // A nickname with markup is shown as text.
    const c = await browser.newPage();
    watch(c);
    await login(c, config.a, XSS);
    await send(c, "hi from markup");
    await logHas(a, "hi from markup");
    const nickShown = await a.evaluate((x) => [...document.querySelectorAll("#log .nick")].some((s) => s.textContent === x), XSS);
    if (!nickShown) throw new Error("the hostile nickname is not shown as text");
    if (dialogs.length) throw new Error("a hostile string ran script: " + dialogs.join(", "));
    // B leaves: A's list drops it.
    await b.close();
    await a.fill("#room-name", "lounge");
    await a.click("#new-room button");
    await a.waitForFunction(() => /you joined lounge/.test(document.querySelector("#log").textContent), null, { timeout: T });
    await a.waitForFunction(() => document.querySelector("#users").textContent === "ada", null, { timeout: T });
    step("left");
    report({ ok: errors.length === 0 && dialogs.length === 0, transports, errors, dialogs });
  } catch (e) {
    report({ ok: false, error: String(e && e.stack || e), errors });
  } finally {
    await browser.close().catch(() => {});
  }
})();
