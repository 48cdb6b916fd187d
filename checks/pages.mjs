// Every kind of page starpunk serves, checked with tools the world uses: each page's HTML is
// saved for the Nu Html Checker (run by checks/run.sh), and axe-core runs in headless Chromium
// at 1280 px and 390 px, where no page may scroll sideways nor break its Content-Security-Policy
// (the site's own policy stays on: axe is evaluated through DevTools, not as an inline script).
//
// Usage: node checks/pages.mjs BASE_URL OUT_DIR
// BASE_URL is a running starpunk with DEV_MODE=true and an empty database; the script writes
// the notes it needs through the admin, as the owner would.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { launch } from "./browser.mjs";

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node checks/pages.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const axeSource = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

// A note that uses every Markdown feature the site renders.
const EVERYTHING = `# Trip to the lighthouse

A short walk along the **harbour**, with *gulls* and \`code\`, a [link](https://example.com/),
a [bad link](javascript:alert(1)) and a footnote[^1].

## A second heading

> A quotation, with a line
> that continues.

- one
- two
  - nested

1. first
2. second

| Tide | Time |
|------|------|
| high | 06:10 |
| low  | 12:25 |

\`\`\`rust
fn main() { println!("hello"); }
\`\`\`

A long address: https://example.com/a/very/long/path/that/never/breaks/anywhere/at/all/ok

שלום עולם — right-to-left text.

---

[^1]: The footnote's text.
`;

const browser = await launch();
const owner = await browser.newContext();
const visitor = await browser.newContext();
// Every CSP violation a page reports, whether or not the browser also logs it.
for (const context of [owner, visitor]) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`));
  });
}

async function csrf(page) {
  await page.goto(`${base}/admin/new`);
  return page.locator("input[name=csrf_token]").first().getAttribute("value");
}

// Seed: the owner signs in and writes notes.
const setup = await owner.newPage();
const login = await setup.goto(`${base}/dev/login`);
if (!login.ok()) throw new Error(`dev login failed: ${login.status()}`);
const token = await csrf(setup);
async function create(content, published = true) {
  const form = { csrf_token: token, content, action: "save" };
  if (published) form.published = "true";
  const res = await owner.request.post(`${base}/admin/new`, { form, maxRedirects: 0 });
  if (res.status() !== 303) throw new Error(`creating a note: ${res.status()} ${await res.text()}`);
}
for (let i = 1; i <= 22; i++) {
  await create(`Note number ${i} about the sea and the harbour.`);
}
await create(EVERYTHING);
await create("A draft that is not published yet.", false);
await create("A note that will be deleted.");
// The newest notes' ids and slugs, from the admin list.
await setup.goto(`${base}/admin/`);
const editHref = await setup.locator("a[href^='/admin/edit/']").first().getAttribute("href");
// The list's Delete leads to a page that asks first; its form posts to the same address.
const deleted = await setup.locator("a[href^='/admin/delete/']").first().getAttribute("href");
const confirmDelete = await setup.locator("a[href^='/admin/delete/']").nth(1).getAttribute("href");
const deletedSlug = await setup.locator("a[href^='/notes/']").first().getAttribute("href");
const del = await owner.request.post(`${base}${deleted}`, { form: { csrf_token: token }, maxRedirects: 0 });
if (del.status() !== 303) throw new Error(`deleting: ${del.status()}`);
await setup.goto(`${base}/`);
const everything = await setup.locator("a[href*='/notes/trip-to-the-lighthouse']").first().getAttribute("href")
  ?? "/notes/trip-to-the-lighthouse";
const older = await setup.locator("a[rel=next]").first().getAttribute("href");

// [name, context, path, expected status, optional action before reading]
const PAGES = [
  ["home", visitor, "/", 200],
  ["older-page", visitor, older, 200],
  ["permalink-everything", visitor, everything, 200],
  ["search-results", visitor, "/search?q=harbour", 200],
  ["search-none", visitor, "/search?q=zebracorn", 200],
  ["sign-in", visitor, "/auth/login", 200],
  ["not-found", visitor, "/notes/no-such-note", 404],
  ["gone", visitor, deletedSlug, 410],
  ["admin-list", owner, "/admin/", 200],
  ["admin-new", owner, "/admin/new", 200],
  ["admin-edit", owner, editHref, 200],
  ["admin-preview", owner, "/admin/new", 200, async (page) => {
    await page.fill("#content", EVERYTHING);
    await Promise.all([page.waitForNavigation(), page.click("button[value=preview]")]);
    // The preview is in view after pressing Preview: beside the editor, or scrolled to.
    const top = await page.evaluate(() => document.querySelector("#preview").getBoundingClientRect().top);
    const height = page.viewportSize().height;
    if (top < 0 || top >= height) throw new Error(`the preview starts at y = ${top} in a ${height} px window`);
  }],
  ["admin-delete-confirmation", owner, confirmDelete, 200],
  ["admin-deleted-confirmation", owner, deleted, 200],
  ["admin-metrics", owner, "/admin/metrics", 200],
  ["admin-health", owner, "/admin/health", 200],
  ["admin-sign-in", owner, "/admin/sign-in", 200],
  ["admin-apps", owner, "/admin/apps", 200],
];

let failures = 0;
const summary = [];
for (const [name, context, path, status, act] of PAGES) {
  for (const width of [1280, 390]) {
    const page = await context.newPage();
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    const errors = [];
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      // The browser reports the page's own 404/410 status as a console error: expected.
      const own = m.location().url === (path.startsWith("http") ? path : `${base}${path}`);
      if (own && /status of (404|410)/.test(m.text())) return;
      errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    const url = path.startsWith("http") ? path : `${base}${path}`;
    try {
      const res = await page.goto(url);
      if (act) await act(page);
      else if (res.status() !== status) {
        console.log(`FAIL ${name}: status ${res.status()}, expected ${status}`);
        failures++;
      }
    } catch (e) {
      console.log(`FAIL ${name} @${width}: ${e.message.split("\n")[0]}`);
      failures++;
      await page.close();
      continue;
    }
    if (width === 1280) writeFileSync(`${out}/${name}.html`, await page.content());
    const csp = await page.evaluate(() => window.__cspViolations || []);
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`));
    const sideways = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    for (const v of axe) { console.log(`FAIL ${name} @${width}: axe ${v}`); failures++; }
    if (sideways > 0) { console.log(`FAIL ${name} @${width}: scrolls sideways by ${sideways} px`); failures++; }
    for (const e of errors) { console.log(`FAIL ${name} @${width}: console: ${e}`); failures++; }
    for (const v of csp) { console.log(`FAIL ${name} @${width}: CSP: ${v}`); failures++; }
    await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: true });
    summary.push(`${name} @${width}: ${axe.length} axe violations, sideways ${sideways} px, ${errors.length} console errors, ${csp.length} CSP violations`);
    await page.close();
  }
}
await browser.close();
console.log(summary.join("\n"));
console.log(failures ? `${failures} page problems` : "pages: no axe violations, no sideways scroll, no console errors, no CSP violations");
process.exit(failures ? 1 : 0);
