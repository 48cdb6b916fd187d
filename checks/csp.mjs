// The site's Content-Security-Policy in a real browser (headless Chromium), on what the policy
// could break: the passkey script registers and signs in with a passkey (a virtual
// authenticator) through same-origin fetch; the metrics dashboard's script refreshes its
// panels; the consent page of the site's own authorization server shows an app's logo from
// another origin, and its Allow reaches the app's redirect_uri on that origin (a form-action
// would block that redirect); and another site cannot frame the admin (clickjacking).
// No page of the site may report a CSP violation or log a console error.
//
// Usage: node checks/csp.mjs BASE_URL
// BASE_URL is a running starpunk with DEV_MODE=true whose owner is the site itself (no
// ADMIN_ME), reachable as http://localhost:PORT; the app runs on http://127.0.0.1:ANOTHER.

import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { launch } from "./browser.mjs";

const [base] = process.argv.slice(2);
if (!base) {
  console.error("usage: node checks/csp.mjs BASE_URL");
  process.exit(2);
}

// A 1×1 PNG: the app's logo.
const LOGO = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

// The app: its client metadata, logo, callback, and a page that tries to frame the admin.
const app = createServer((req, res) => {
  const here = `http://127.0.0.1:${app.address().port}/`;
  const path = new URL(req.url, here).pathname;
  if (path === "/") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({
      client_id: here, client_name: "CSP Check App", client_uri: here,
      logo_uri: `${here}logo.png`, redirect_uris: [`${here}callback`],
    }));
  } else if (path === "/logo.png") {
    res.writeHead(200, { "Content-Type": "image/png" });
    res.end(LOGO);
  } else if (path === "/callback") {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>callback</title><p>back at the app</p>");
  } else if (path === "/frame") {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>framer</title><iframe src="${base}/admin/"></iframe>`);
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const appUrl = `http://127.0.0.1:${app.address().port}/`;

const browser = await launch();
const context = await browser.newContext();
await context.addInitScript(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) =>
    window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`));
});

let failures = 0;
function fail(message) {
  console.log(`FAIL ${message}`);
  failures++;
}
const page = await context.newPage();
const problems = [];
page.on("console", (m) => {
  if (m.type() === "error" && m.location().url.startsWith(base)) {
    problems.push(`console: ${m.text()} (${m.location().url})`);
  }
});
page.on("pageerror", (e) => problems.push(`page error: ${e}`));
// Collects the current site page's CSP violations and console errors under `name`.
async function check(name) {
  const violations = page.url().startsWith(base)
    ? await page.evaluate(() => window.__cspViolations || [])
    : [];
  for (const v of violations) fail(`${name}: CSP: ${v}`);
  for (const p of problems.splice(0)) fail(`${name}: ${p}`);
  console.log(`${name}: ${violations.length} CSP violations`);
}
async function step(name, action) {
  try {
    await action();
    await check(name);
  } catch (e) {
    fail(`${name}: ${e.message.split("\n")[0]}`);
  }
}

const login = await page.goto(`${base}/dev/login`);
if (!login.ok()) throw new Error(`dev login failed: ${login.status()}`);

// Passkeys: register one on the admin's Sign-in page, log out, sign in with it.
const cdp = await context.newCDPSession(page);
await cdp.send("WebAuthn.enable");
await cdp.send("WebAuthn.addVirtualAuthenticator", {
  options: {
    protocol: "ctap2", transport: "internal", hasResidentKey: true,
    hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
  },
});
await step("passkey registration (admin Sign-in page)", async () => {
  await page.goto(`${base}/admin/sign-in`);
  await Promise.all([page.waitForURL(/\/admin\/sign-in\?/), page.click("#passkey-register-button")]);
});
await step("log out", async () => {
  await Promise.all([page.waitForURL(`${base}/`), page.click("form[action='/auth/logout'] button")]);
});
await step("passkey sign-in (sign-in page)", async () => {
  await page.goto(`${base}/auth/login`);
  const signedIn = page.waitForURL(/\/admin\//);
  // The browser may already have signed in through the autofill offer (conditional
  // mediation, which the virtual authenticator answers at once); otherwise the button does.
  await page.click("#passkey-button", { timeout: 5000 }).catch(() => {});
  await signedIn;
});

// The metrics dashboard replaces its panels with fresh ones every 10 seconds.
await step("metrics dashboard refresh", async () => {
  await page.goto(`${base}/admin/metrics`);
  await page.evaluate(() => { document.getElementById("panels").dataset.stale = "yes"; });
  await page.waitForFunction(() => !document.getElementById("panels").dataset.stale, null, { timeout: 15000 });
});

// The consent page: the app's logo from another origin shows; Allow reaches the app.
const verifier = randomBytes(32).toString("hex");
const challenge = createHash("sha256").update(verifier).digest("base64url");
const authorize = new URL(`${base}/auth/authorize`);
for (const [k, v] of Object.entries({
  response_type: "code", client_id: appUrl, redirect_uri: `${appUrl}callback`, state: "csp-check",
  code_challenge: challenge, code_challenge_method: "S256", scope: "create", me: `${base}/`,
})) authorize.searchParams.set(k, v);
await step("consent page (the app's logo from another origin)", async () => {
  await page.goto(authorize.toString());
  const logo = page.locator("img.app-logo");
  await logo.waitFor();
  const width = await logo.evaluate((img) => img.complete ? img.naturalWidth : new Promise((resolve) => {
    img.addEventListener("load", () => resolve(img.naturalWidth));
    img.addEventListener("error", () => resolve(0));
  }));
  if (width !== 1) fail(`consent page: the app's logo did not load (natural width ${width})`);
});
await step("consent page, Allow", async () => {
  await check("consent page before Allow");
  await Promise.all([
    page.waitForURL((url) => url.toString().startsWith(`${appUrl}callback`)),
    page.click("button[value=approve]"),
  ]);
  const back = new URL(page.url());
  if (!back.searchParams.get("code") || back.searchParams.get("state") !== "csp-check") {
    fail(`Allow: the app got ${page.url()}`);
  }
});

// Another site framing the admin gets an error page in the frame, not the admin.
await step("the admin in another site's frame", async () => {
  await page.goto(`${appUrl}frame`);
  await page.waitForTimeout(1000);
  const framed = page.frames().filter((f) => f !== page.mainFrame());
  // (Without its session cookie, which stays home, the framed admin is its sign-in page: any
  // page of the site showing in the frame is a failure.)
  const shown = await Promise.all(framed.map((f) =>
    f.evaluate(() => document.querySelectorAll(".site-header").length).catch(() => 0)));
  if (framed.length !== 1 || shown.some((n) => n > 0)) {
    fail(`framing: ${framed.length} frames, the site shown in ${shown.filter((n) => n > 0).length}`);
  }
  problems.splice(0); // the browser's own report of the refused frame
});

await browser.close();
app.close();
console.log(failures ? `${failures} CSP problems` : "csp: no violations; passkeys, metrics refresh, consent and its redirect work; framing refused");
process.exit(failures ? 1 : 0);
