// Opens tests/browser/page.html in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from tests/clients/node_modules) and prints its outcome as one
// `RESULT {json}` line. Run by examples/tests/eio3_browser.rs:
//
//   node tests/browser/run.js '{"page":"http://127.0.0.1:PAGE/?server=...&transports=polling"}'
//
// Console messages and failed requests of the page are reported too, so that a test can tell
// a request blocked by CORS from one refused by the server.
"use strict";

const path = require("path");
const { createRequire } = require("module");
const clientsRequire = createRequire(path.join(__dirname, "..", "clients", "package.json"));
const { chromium } = clientsRequire("playwright-core");

const config = JSON.parse(process.argv[2]);

function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const console = [];
  const failed = [];
  try {
    const page = await browser.newPage();
    page.on("console", (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on("requestfailed", (r) => failed.push(`${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(config.page);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 12000 });
    const result = await page.evaluate(() => window.result);
    report({ ...result, console, failed });
  } catch (e) {
    report({ ok: false, error: String(e), console, failed });
  } finally {
    await browser.close().catch(() => {});
  }
})().catch((e) => report({ ok: false, error: String(e) }));
