// End-to-end tests of the web UI in a real Chromium against a real
// `trove server --demo` (run by cmd/trove/ui_test.go, or by hand):
//
//   TROVE_URL=http://127.0.0.1:8080 TROVE_KEY=$(cat DATA/admin-api-key) \
//   TROVE_SCREENSHOTS=/tmp/shots node web/e2e/run.mjs
//
// Scenarios: sign-in (cookie flags, CSRF), the pages (artifacts, collection,
// version overview and files, runs, run), the type graph, the lineage
// scenarios of lineage.mjs, the registry pages of registry.mjs, the
// downloads of download.mjs, a
// 100,000-file tree, sign-out. Every value the pages show is compared with
// the API's answer (fetched with the bearer key, not through the page).
// Fails fast: the first failed check stops the run with a screenshot
// (failure-<step>.png) and exit code 1.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const baseURL = (process.env.TROVE_URL ?? "").replace(/\/+$/, "");
const apiKey = process.env.TROVE_KEY ?? "";
const shotsDir = process.env.TROVE_SCREENSHOTS || new URL("./screenshots", import.meta.url).pathname;
const chromiumPath = process.env.TROVE_CHROMIUM || "/usr/bin/chromium";

if (!baseURL || !apiKey) {
  console.error("run.mjs: set TROVE_URL (the server) and TROVE_KEY (an API key of admin)");
  process.exit(1);
}

// ---------- helpers ----------

/** GET /api/v1<path> with the bearer key: the truth the pages are compared with. */
async function apiGet(path) {
  const res = await fetch(`${baseURL}/api/v1${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}: ${body}`);
  return JSON.parse(body);
}

async function apiSend(method, path, body, headers = {}) {
  const res = await fetch(`${baseURL}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, ...headers },
    body,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

const enc = encodeURIComponent;
const versionAPI = (e, p, n, v) => `/projects/${enc(e)}/${enc(p)}/artifacts/${enc(n)}/versions/${enc(v)}`;

/** The same flattening as format.ts flattenObject: dotted keys, arrays whole. */
function flatten(obj, prefix = "", out = []) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) flatten(v, key, out);
    else out.push([key, v]);
  }
  return out;
}
const cell = (v) => (v === null || v === undefined ? "null" : typeof v === "string" ? v : JSON.stringify(v));

let page;
let context;
let browser;
let current = "start";
const pageErrors = [];

async function shot(name) {
  const file = join(shotsDir, name.endsWith(".png") ? name : `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  console.log(`    screenshot ${file}`);
}

async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  await fn();
  assert.deepEqual(pageErrors, [], `uncaught errors in the page during "${name}"`);
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

const byTestId = (id) => page.locator(`[data-testid="${id}"]`);

/** The value cell of an overview field: its data-value and its visible text. */
async function field(name) {
  const loc = byTestId(`field-${name}`);
  await loc.waitFor();
  return { value: await loc.getAttribute("data-value"), text: (await loc.innerText()).trim() };
}

/** Waits until the URL's path (and query) is want. */
async function waitPath(want) {
  await page.waitForURL((u) => u.pathname + u.search === want || u.pathname === want, { timeout: 10_000 });
}

async function sessionCookie() {
  return (await context.cookies(baseURL)).find((c) => c.name === "trove_session");
}

// ---------- scenarios ----------

async function signIn() {
  await step("signed out: every page goes to the sign-in page", async () => {
    await page.goto(`${baseURL}/admin/mnist/runs`);
    await waitPath("/signin?next=%2Fadmin%2Fmnist%2Fruns");
    await byTestId("signin-key").waitFor();
    assert.equal(await byTestId("signin-key").getAttribute("type"), "password");
    assert.equal(await byTestId("signin-key").getAttribute("autocomplete"), "off");
    await page.goto(`${baseURL}/`);
    await waitPath("/signin");
    await byTestId("signin-submit").waitFor();
    await shot("signin.png");
  });

  await step("sign-in: an empty key is refused without a request", async () => {
    await byTestId("signin-submit").click();
    await byTestId("signin-error").waitFor();
    assert.match(await byTestId("signin-error").innerText(), /enter an api key/i);
  });

  await step("sign-in: a wrong key shows the server's error and sets no cookie", async () => {
    await byTestId("signin-key").fill("trove_this-is-not-a-key");
    await byTestId("signin-submit").click();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="signin-error"]');
      return el && !/enter an api key/i.test(el.textContent ?? "");
    });
    const msg = (await byTestId("signin-error").innerText()).trim();
    assert.ok(msg.length > 3, `error message: ${JSON.stringify(msg)}`);
    assert.equal(await sessionCookie(), undefined, "a wrong key must not set trove_session");
    assert.equal(new URL(page.url()).pathname, "/signin");
    await shot("signin-error.png");
  });

  await step("sign-in: the right key opens the projects page listing mnist and zoo", async () => {
    await byTestId("signin-key").fill(apiKey);
    await byTestId("signin-submit").click();
    await waitPath("/");
    await byTestId("project-link").first().waitFor();
    const names = await byTestId("project-link").allInnerTexts();
    const projects = names.map((t) => t.replace(/^.*\/\s*/, "").trim());
    for (const p of ["mnist", "zoo"]) assert.ok(projects.includes(p), `projects page lists ${p}: ${JSON.stringify(projects)}`);
    const api = await apiGet("/entities/admin/projects");
    assert.deepEqual([...projects].sort(), [...api].sort(), "the projects page lists the API's projects");
    assert.match(await byTestId("user-menu").innerText(), /admin/);
    // Counts come from the type graph of each project.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="project-counts"]')].every((e) => /collection/.test(e.textContent ?? "")));
    assert.match(await page.locator('[data-project="mnist"] [data-testid="project-counts"]').innerText(), /2 collections · 3 runs/);
    await shot("projects.png");
  });

  await step("session cookie: HttpOnly, SameSite=Strict, invisible to scripts", async () => {
    const c = await sessionCookie();
    assert.ok(c, "trove_session is set after signing in");
    assert.equal(c.httpOnly, true, "HttpOnly");
    assert.equal(c.sameSite, "Strict", "SameSite=Strict");
    assert.equal(c.path, "/");
    const visible = await page.evaluate(() => document.cookie);
    assert.ok(!visible.includes("trove_session"), `document.cookie must not show the session: ${visible}`);
    assert.ok(!visible.includes(c.value), "document.cookie must not contain the token");
  });

  await step("CSRF: a cookie-authenticated POST without X-Trove-CSRF is refused 403 and changes nothing", async () => {
    const before = await apiGet("/projects/admin/mnist/runs");
    const res = await page.request.post(`${baseURL}/api/v1/projects/admin/mnist/runs`, {
      data: { job_type: "csrf-attack", name: "csrf-attack" },
      headers: { "Content-Type": "application/json" },
    });
    assert.equal(res.status(), 403, `POST without the CSRF header: HTTP ${res.status()} ${await res.text()}`);
    const err = await res.json();
    assert.ok(err.error?.message, "the refusal is a JSON error with a message");
    // The cookie alone does authenticate a GET (so the 403 above is the CSRF check, not a missing session).
    const who = await page.request.get(`${baseURL}/api/v1/session`);
    assert.equal(who.status(), 200);
    // A foreign Origin is refused even with the header.
    const foreign = await page.request.post(`${baseURL}/api/v1/projects/admin/mnist/runs`, {
      data: { job_type: "csrf-attack", name: "csrf-attack-2" },
      headers: { "Content-Type": "application/json", "X-Trove-CSRF": "1", Origin: "https://evil.example" },
    });
    assert.equal(foreign.status(), 403, `POST from a foreign origin: HTTP ${foreign.status()}`);
    const after = await apiGet("/projects/admin/mnist/runs");
    assert.equal(after.length, before.length, "no run was created");
  });
}

async function pages() {
  const [e, p] = ["admin", "mnist"];

  await step("artifacts page: mnist's collections grouped by type", async () => {
    await page.locator('[data-project="mnist"] [data-testid="project-link"]').click();
    await waitPath("/admin/mnist/artifacts");
    await byTestId("type-section").first().waitFor();
    const cols = await apiGet(`/projects/${e}/${p}/artifacts`);
    const types = [...new Set(cols.map((c) => c.type))].sort();
    const sections = await byTestId("type-section").evaluateAll((els) => els.map((el) => el.getAttribute("data-type")));
    assert.deepEqual(sections, types, "one section per type, sorted");
    for (const t of types) {
      const section = page.locator(`[id="type-${t}"]`);
      const names = (await section.locator('[data-testid="collection-link"]').allInnerTexts()).map((s) => s.trim()).sort();
      assert.deepEqual(names, cols.filter((c) => c.type === t).map((c) => c.name).sort(), `collections of type ${t}`);
    }
    assert.deepEqual(types, ["dataset", "model"]);
    await shot("artifacts.png");
  });

  await step("collection page: mnist_model's versions", async () => {
    await page.locator('[id="type-model"] [data-testid="collection-link"]', { hasText: "mnist_model" }).click();
    await waitPath("/admin/mnist/artifacts/model/mnist_model");
    await byTestId("version-link").first().waitFor();
    const versions = await apiGet(`/projects/${e}/${p}/artifacts/mnist_model/versions`);
    const shown = (await byTestId("version-link").allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(shown, versions.map((v) => `v${v.index}`).sort().reverse(), "every version, newest first");
    const row = page.locator('tr[data-version="v0"]');
    for (const a of versions.find((v) => v.index === 0).aliases) assert.match(await row.innerText(), new RegExp(`\\b${a}\\b`));
    await shot("collection.png");
  });

  await step("version page: mnist_model:v0 overview shows every field right", async () => {
    await page.locator('[data-testid="version-link"]', { hasText: /^v0$/ }).click();
    await waitPath("/admin/mnist/artifacts/model/mnist_model/v0");
    const v = await apiGet(versionAPI(e, p, "mnist_model", "v0"));
    const logged = await apiGet(`${versionAPI(e, p, "mnist_model", "v0")}/logged-by`);
    const used = await apiGet(`${versionAPI(e, p, "mnist_model", "v0")}/used-by`);
    assert.ok(logged && logged.name === "vague-morning-5", `demo: logged by vague-morning-5, got ${JSON.stringify(logged)}`);

    const full = await field("full_name");
    assert.equal(full.text, "admin/mnist/mnist_model:v0");
    assert.equal((await field("type")).value, v.type);
    assert.equal((await field("type")).text, v.type);
    const created = await field("created");
    assert.equal(created.value, v.created_at);
    assert.match(created.text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$/);
    const aliases = await field("aliases");
    assert.equal(aliases.value, v.aliases.join(","));
    for (const a of v.aliases) assert.ok(aliases.text.includes(a), `alias ${a} shown`);
    const desc = await field("description");
    assert.equal(desc.value, v.description);
    assert.equal(desc.text, v.description);
    const size = await field("size");
    assert.equal(size.value, String(v.size));
    assert.ok(size.text.includes(`${v.size.toLocaleString("en-US")} bytes`), `size text ${size.text}`);
    assert.equal((await field("file_count")).value, String(v.file_count));
    assert.equal((await field("file_count")).text, String(v.file_count));
    const digest = await field("digest");
    assert.equal(digest.value, v.digest);
    assert.ok(digest.text.includes(v.digest.slice("sha256:".length, "sha256:".length + 24)), `digest text ${digest.text}`);
    assert.equal(await byTestId("field-digest").locator("code").getAttribute("title"), v.digest, "full digest on hover");

    await page.waitForFunction(() => document.querySelector('[data-testid="field-used_by"]')?.hasAttribute("data-value"));
    const lb = await field("logged_by");
    assert.equal(lb.value, logged.id);
    assert.ok(lb.text.includes(logged.name));
    const ub = await field("used_by");
    assert.equal(ub.value, used.map((r) => r.id).join(","));
    for (const r of used) assert.ok(ub.text.includes(r.name), `used by ${r.name}`);
    assert.deepEqual(used.map((r) => r.name), ["serene-haze-6"]);

    const meta = flatten(v.metadata);
    assert.ok(meta.length > 0, "demo: mnist_model:v0 has metadata");
    for (const [k, val] of meta) {
      const row = page.locator(`[data-testid="metadata"] tr[data-key="${k}"] td`);
      assert.equal((await row.innerText()).trim(), cell(val), `metadata ${k}`);
    }
    // The logged-by link goes to the run's page.
    assert.equal(await byTestId("field-logged_by").locator('[data-testid="run-link"]').getAttribute("href"), `/admin/mnist/runs/${logged.id}`);
    await shot("version.png");
  });

  await step("version page: Files tab shows the tree with sizes and digests", async () => {
    await byTestId("tab-files").click();
    await waitPath("/admin/mnist/artifacts/model/mnist_model/v0/files");
    await byTestId("file-row").first().waitFor();
    const manifest = await apiGet(`${versionAPI(e, p, "mnist_model", "v0")}/manifest`);
    const paths = await byTestId("file-row").evaluateAll((els) => els.map((el) => el.getAttribute("data-path")));
    assert.deepEqual(paths.sort(), manifest.map((m) => m.path).sort(), "a row per file");
    for (const m of manifest) {
      const row = page.locator(`[data-testid="file-row"][data-path="${m.path}"]`);
      assert.equal(await row.locator('[data-testid="file-size"]').getAttribute("data-value"), String(m.size), `size of ${m.path}`);
      assert.equal(await row.locator('[data-testid="file-digest"]').getAttribute("data-value"), m.digest, `digest of ${m.path}`);
      assert.ok((await row.innerText()).includes(m.digest.slice(7, 19)), `short digest of ${m.path} shown`);
    }
    assert.equal(await byTestId("tab-files").getAttribute("aria-current"), "page");
    await shot("files.png");
    // The filter narrows the rows.
    const first = manifest[0].path;
    await byTestId("file-filter").fill(first);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="file-row"]').length === n, manifest.filter((m) => m.path.includes(first)).length);
    await byTestId("file-filter").fill("no-such-file-anywhere");
    await page.getByText("No file matches the filter.").waitFor();
  });

  await step("version page: an unknown version shows the server's error, not a blank page", async () => {
    await page.goto(`${baseURL}/admin/mnist/artifacts/model/no_such_model/v0`);
    await byTestId("error").waitFor();
    const text = await byTestId("error").innerText();
    assert.match(text, /not found/i);
    assert.match(text, /no_such_model/);
    await page.goto(`${baseURL}/admin/mnist/no-such-page`);
    await byTestId("not-found").waitFor();
  });

  await step("runs page: every run, job type filter", async () => {
    await page.goto(`${baseURL}/admin/mnist/runs`);
    await byTestId("run-link").first().waitFor();
    const runs = await apiGet(`/projects/${e}/${p}/runs`);
    const names = (await byTestId("run-link").allInnerTexts()).map((s) => s.trim()).sort();
    assert.deepEqual(names, runs.map((r) => r.name).sort());
    for (const r of runs) {
      const row = page.locator(`tr[data-run-id="${r.id}"]`);
      const text = await row.innerText();
      for (const want of [r.id, r.state, r.job_type, r.group].filter(Boolean)) assert.ok(text.includes(want), `run row ${r.name} shows ${want}`);
    }
    await shot("runs.png");
    await byTestId("runs-job-type").selectOption("train_model");
    await waitPath("/admin/mnist/runs?job_type=train_model");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-link"]').length === 1);
    assert.equal((await byTestId("run-link").innerText()).trim(), "vague-morning-5");
    await byTestId("runs-job-type").selectOption("");
    await byTestId("runs-filter").fill("serene");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-link"]').length === 1);
    assert.equal((await byTestId("run-link").innerText()).trim(), "serene-haze-6");
    await byTestId("runs-filter").fill("");
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-link"]').length === n, runs.length);
  });

  await step("run page: vague-morning-5 shows its fields, config, inputs and outputs", async () => {
    await page.locator('[data-testid="run-link"]', { hasText: "vague-morning-5" }).click();
    const runs = await apiGet(`/projects/${e}/${p}/runs`);
    const r = runs.find((x) => x.name === "vague-morning-5");
    assert.ok(r, "demo: run vague-morning-5 exists");
    await waitPath(`/admin/mnist/runs/${r.id}`);
    const run = await apiGet(`/runs/${r.id}`);
    assert.equal((await field("id")).value, run.id);
    assert.equal((await field("id")).text, run.id);
    assert.equal((await field("name")).text, run.name);
    assert.equal((await field("state")).value, run.state);
    assert.ok((await field("state")).text.includes(run.state));
    assert.equal((await field("job_type")).text, run.job_type);
    assert.equal((await field("group")).value, run.group);
    assert.equal((await field("started")).value, run.started_at);
    assert.equal((await field("finished")).value, run.finished_at ?? "");
    assert.match((await field("duration")).text, /^\d+(ms|s)|^\d+m/);

    const cfg = flatten(run.config);
    assert.deepEqual(Object.fromEntries(cfg), { batch_size: 128, epochs: 5, optimizer: "adam", validation_split: 0.1 }, "demo config");
    for (const [k, val] of cfg) {
      assert.equal((await page.locator(`[data-testid="config"] tr[data-key="${k}"] td`).innerText()).trim(), cell(val), `config ${k}`);
    }
    const inputs = await apiGet(`/runs/${r.id}/inputs`);
    const outputs = await apiGet(`/runs/${r.id}/outputs`);
    await page.locator('[data-testid="run-inputs"] [data-testid="version-link"]').first().waitFor();
    await page.locator('[data-testid="run-outputs"] [data-testid="version-link"]').first().waitFor();
    const shownIn = (await page.locator('[data-testid="run-inputs"] [data-testid="version-link"]').allInnerTexts()).map((s) => s.trim());
    const shownOut = (await page.locator('[data-testid="run-outputs"] [data-testid="version-link"]').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(shownIn, inputs.map((v) => `${v.name}:v${v.index}`));
    assert.deepEqual(shownOut, outputs.map((v) => `${v.name}:v${v.index}`));
    assert.deepEqual(shownIn, ["mnist_dataset:v0"]);
    assert.deepEqual(shownOut, ["mnist_model:v0"]);
    await shot("run.png");
    // An input links to its version page.
    await page.locator('[data-testid="run-inputs"] [data-testid="version-link"]').first().click();
    await waitPath("/admin/mnist/artifacts/dataset/mnist_dataset/v0");
    assert.equal((await field("full_name")).text, "admin/mnist/mnist_dataset:v0");
  });
}

async function types() {
  await step("types page: dataset → train_model → model → evaluate", async () => {
    await page.goto(`${baseURL}/admin/mnist/types`);
    await byTestId("type-node").first().waitFor();
    const graph = await apiGet("/projects/admin/mnist/types");
    const ids = await byTestId("type-node").evaluateAll((els) => els.map((el) => el.getAttribute("data-node-id")));
    assert.deepEqual(ids.sort(), graph.nodes.map((n) => n.id).sort(), "a node per type");
    for (const n of graph.nodes) {
      const node = page.locator(`[data-testid="type-node"][data-node-id="${n.id}"]`);
      assert.equal(await node.getAttribute("data-count"), String(n.count), `count of ${n.id}`);
      const colour = await node.evaluate((el) => getComputedStyle(el).borderLeftColor);
      assert.equal(colour, n.kind === "artifact_type" ? "rgb(47, 111, 222)" : "rgb(31, 157, 85)", `colour of ${n.id}`);
    }
    for (const ed of graph.edges) {
      assert.equal(await page.locator(`[data-testid="rf__edge-${ed.from}->${ed.to}"]`).count(), 1, `edge ${ed.from} -> ${ed.to}`);
    }
    // The chain reads left to right.
    const chain = ["job_type:preprocess", "artifact_type:dataset", "job_type:train_model", "artifact_type:model", "job_type:evaluate"];
    for (const [a, b] of [
      ["artifact_type:dataset", "job_type:train_model"],
      ["job_type:train_model", "artifact_type:model"],
      ["artifact_type:model", "job_type:evaluate"],
    ]) {
      assert.ok(graph.edges.some((x) => x.from === a && x.to === b), `API edge ${a} -> ${b}`);
    }
    const xs = [];
    for (const id of chain) xs.push((await page.locator(`[data-testid="type-node"][data-node-id="${id}"]`).boundingBox()).x);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i - 1] < xs[i], `${chain[i - 1]} is left of ${chain[i]}`);
    await shot("types.png");
  });

  await step("types page: nodes link to their instances", async () => {
    await page.locator('[data-testid="type-node"][data-node-id="job_type:train_model"] a').click();
    await waitPath("/admin/mnist/runs?job_type=train_model");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-link"]').length === 1);
    await page.goBack();
    await byTestId("type-node").first().waitFor();
    await page.locator('[data-testid="type-node"][data-node-id="artifact_type:model"] a').click();
    await page.waitForURL((u) => u.pathname === "/admin/mnist/artifacts" && u.hash === "#type-model");
    await page.locator('[id="type-model"]').waitFor();
  });
}

async function bigTree() {
  // A version of 100,000 files (one blob, many paths) in a project of its own.
  const content = "0123456789\n";
  const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
  const entries = [];
  for (let d = 0; d < 100; d++)
    for (let f = 0; f < 1000; f++) entries.push({ path: `images/class-${String(d).padStart(3, "0")}/img-${String(f).padStart(5, "0")}.png`, digest, size: content.length });
  entries.push({ path: "remote/labels.parquet", digest, size: content.length, ref: "s3://trove-e2e/labels.parquet" });

  await step("files tab: a 100,000-file version renders and filters without freezing", async () => {
    await apiSend("PUT", `/blobs/${digest}`, content);
    await apiSend("POST", "/projects/admin/e2e-files/artifacts/big_tree/versions", JSON.stringify({ type: "dataset", description: "100,000 files", manifest: entries }), {
      "Content-Type": "application/json",
    });
    const t0 = Date.now();
    await page.goto(`${baseURL}/admin/e2e-files/artifacts/dataset/big_tree/v0/files`);
    await byTestId("folder-row").first().waitFor({ timeout: 30_000 });
    const firstRender = Date.now() - t0;
    // Only the open folders' rows are in the DOM: a few dozen, not 100,000.
    const rows = await page.locator('[data-testid="folder-row"], [data-testid="file-row"]').count();
    assert.ok(rows > 0 && rows < 200, `rows in the DOM: ${rows}`);
    assert.equal(await page.locator('[data-testid="folder-row"][data-path="images"]').getAttribute("aria-expanded"), "false");
    await page.locator('[data-testid="folder-row"][data-path="images"] button').click();
    await page.locator('[data-testid="folder-row"][data-path="images/class-000"]').waitFor();
    // Rows are virtualised: the last class folder is not in the DOM until scrolled to.
    assert.equal(await page.locator('[data-testid="folder-row"][data-path="images/class-099"]').count(), 0, "rows far below are not rendered");
    const scroller = page.locator(".ft-scroll");
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-testid="folder-row"][data-path="images/class-099"]').waitFor();
    // Open a class folder: its 1,000 files become rows, rendered lazily.
    await scroller.evaluate((el) => (el.scrollTop = 40 * 34));
    await page.locator('[data-testid="folder-row"][data-path="images/class-042"] button').click();
    await page.locator('[data-testid="file-row"][data-path="images/class-042/img-00000.png"]').waitFor();
    assert.ok((await page.locator('[data-testid="file-row"]').count()) < 200, "the open folder's files are virtualised");
    // The reference entry, at the very end, shows its URI.
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-testid="folder-row"][data-path="remote"] button').click();
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const ref = page.locator('[data-testid="file-row"][data-path="remote/labels.parquet"]');
    await ref.waitFor();
    assert.ok((await ref.innerText()).includes("s3://trove-e2e/labels.parquet"));
    // Filtering 100,000 paths answers quickly.
    const t1 = Date.now();
    await byTestId("file-filter").fill("img-00999");
    await page.waitForFunction(() => /100 files of 100,001 match/.test(document.querySelector(".ft-summary")?.textContent ?? ""));
    const filterTime = Date.now() - t1;
    // The main thread stays responsive: the next frame is not held up (a frozen page takes seconds).
    const frame = await page.evaluate(() => new Promise((res) => { const t = performance.now(); requestAnimationFrame(() => res(performance.now() - t)); }));
    assert.ok(frame < 1000, `next frame after ${frame} ms (the main thread is blocked)`);
    console.log(`    100,001 files: first render ${firstRender} ms (fetch + tree), filter ${filterTime} ms`);
    await shot("files-100k.png");
  });
}

async function lineage() {
  const { lineageScenarios } = await import("./lineage.mjs");
  current = "lineage scenarios";
  await lineageScenarios({ page, baseURL, shot, assert });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page during the lineage scenarios");
  console.log("ok - lineage scenarios");
}

async function registry() {
  const { registryScenarios } = await import("./registry.mjs");
  current = "registry scenarios";
  await registryScenarios({ page, baseURL, shot, assert });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page during the registry scenarios");
  console.log("ok - registry scenarios");
}

async function download() {
  const { downloadScenarios } = await import("./download.mjs");
  current = "download scenarios";
  await downloadScenarios({ page, baseURL, apiKey, shot, shotsDir, assert });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page during the download scenarios");
  console.log("ok - download scenarios");
}

async function search() {
  const { searchScenarios } = await import("./search.mjs");
  current = "search scenarios";
  await searchScenarios({ page, baseURL, shot, assert });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page during the search scenarios");
  console.log("ok - search scenarios");
}

async function fixes() {
  const { fixesScenarios } = await import("./fixes.mjs");
  current = "fixes scenarios";
  await fixesScenarios({ page, baseURL, shot, assert });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page during the fixes scenarios");
  console.log("ok - fixes scenarios");
}

async function signOut() {
  await step("sign out: back to sign-in, and the old cookie no longer works", async () => {
    await page.goto(`${baseURL}/admin/mnist/artifacts`);
    await byTestId("signout").waitFor();
    const old = await sessionCookie();
    assert.ok(old, "signed in before signing out");
    await byTestId("signout").click();
    await waitPath("/signin");
    await byTestId("signin-key").waitFor();
    assert.equal(await sessionCookie(), undefined, "the cookie is cleared");
    const res = await fetch(`${baseURL}/api/v1/session`, { headers: { Cookie: `trove_session=${old.value}` } });
    assert.equal(res.status, 401, `the old session token after sign-out: HTTP ${res.status}`);
    const res2 = await fetch(`${baseURL}/api/v1/projects/admin/mnist/artifacts`, { headers: { Cookie: `trove_session=${old.value}` } });
    assert.equal(res2.status, 401, `an API call with the old token: HTTP ${res2.status}`);
  });

  await step("after sign-out: a page asks to sign in and returns there after", async () => {
    await page.goto(`${baseURL}/admin/zoo/runs`);
    await waitPath("/signin?next=%2Fadmin%2Fzoo%2Fruns");
    await byTestId("signin-key").fill(apiKey);
    await byTestId("signin-submit").click();
    await waitPath("/admin/zoo/runs");
    await byTestId("run-link").first().waitFor();
  });

  await step("a session ended elsewhere: the next request sends the page to sign-in", async () => {
    const del = await page.request.delete(`${baseURL}/api/v1/session`, { headers: { "X-Trove-CSRF": "1" } });
    assert.equal(del.status(), 204, `DELETE /api/v1/session: HTTP ${del.status()}`);
    await byTestId("nav-artifacts").click();
    await waitPath("/signin?next=%2Fadmin%2Fzoo%2Fartifacts");
    await byTestId("signin-key").waitFor();
  });
}

// ---------- main ----------

async function main() {
  await mkdir(shotsDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 401|status of 403|status of 404/.test(msg.text())) console.log(`    [browser] ${msg.text()}`);
  });

  await signIn();
  await pages();
  await types();
  await lineage();
  await registry();
  await download();
  await search();
  await fixes();
  await bigTree();
  await signOut();
}

try {
  await main();
  await browser.close();
  console.log("e2e: all scenarios passed");
} catch (err) {
  console.error(`not ok - ${current}`);
  console.error(err?.stack ?? String(err));
  if (pageErrors.length) console.error(`page errors: ${pageErrors.join("\n")}`);
  if (page) {
    const safe = current.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60);
    await page.screenshot({ path: join(shotsDir, `failure-${safe}.png`), fullPage: true }).catch(() => {});
    console.error(`    screenshot ${join(shotsDir, `failure-${safe}.png`)} (at ${page.url()})`);
  }
  await browser?.close().catch(() => {});
  process.exit(1);
}
