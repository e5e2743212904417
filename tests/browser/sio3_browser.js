// Loads a page in headless Chromium (playwright-core from tests/clients/node_modules, the
// browser from scripts/setup-browser.sh) and reports what the page put in `window.result` as
// one `RESULT {json}` line. Run by examples/tests/sio3_client_bundle.rs:
//
//   node tests/browser/sio3_browser.js '{"url":"http://127.0.0.1:3000/"}'
"use strict";

const path = require("node:path");
const { chromium } = require(path.join(__dirname, "..", "clients", "node_modules", "playwright-core"));

const config = JSON.parse(process.argv[2]);
const deadlineMs = config.timeoutMs ?? 20000;
let browser;

function report(result) {
  const done = () =>
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
  if (browser) browser.close().then(done, done);
  else done();
}

setTimeout(() => report({ ok: false, error: `timed out after ${deadlineMs} ms` }), deadlineMs).unref();

(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(config.url);
  const handle = await page.waitForFunction(() => window.result, null, { timeout: deadlineMs - 2000 });
  const result = await handle.jsonValue();
  report({ ...result, logs });
})().catch((err) => report({ ok: false, error: String(err && err.stack ? err.stack : err) }));
