// The lineage explorer's benchmark: first render of a large lineage graph in
// Chromium, clustered (the default view) and exploded (every node drawn),
// and how quickly the graph answers zooming and panning. Prints JSON.
//
//   TROVE_URL=http://127.0.0.1:8080 TROVE_KEY=KEY TROVE_FOCUS=admin/scale/seed:v0 \
//   node web/e2e/bench-lineage.mjs
//
// TROVE_FOCUS is a version (entity/project/name:vN) or run:ID; TROVE_FOCUS_PATH,
// when set, is its lineage page (else it is looked up through the API).
// BENCH_RUNS (default 5) page loads per view; TROVE_CHROMIUM the browser.
//
// First render is measured from navigation start to the moment the page
// says the graph is laid out and painted (window.__troveLineage.renderedAt,
// set by LineageView after the frame that shows it): the whole page —
// HTML, scripts, session check, API requests, graph model, layout, paint.
// Each load is a new page in one browser context (HTTP cache warm after the
// first, as when a user comes back to the page).

import { chromium } from "playwright-core";

const baseURL = (process.env.TROVE_URL ?? "").replace(/\/+$/, "");
const apiKey = process.env.TROVE_KEY ?? "";
const focus = process.env.TROVE_FOCUS ?? "";
const runs = Number(process.env.BENCH_RUNS ?? 5);
const chromiumPath = process.env.TROVE_CHROMIUM || "/usr/bin/chromium";

function fail(msg) {
  console.error(`bench-lineage: ${msg}`);
  process.exit(2);
}

if (!baseURL || !apiKey || !focus) fail("set TROVE_URL, TROVE_KEY and TROVE_FOCUS (entity/project/name:vN or run:ID)");
if (!Number.isInteger(runs) || runs < 1) fail(`BENCH_RUNS must be a positive integer, got ${JSON.stringify(process.env.BENCH_RUNS)}`);

const enc = encodeURIComponent;

async function apiGet(path) {
  const res = await fetch(`${baseURL}/api/v1${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  const text = await res.text();
  if (!res.ok) fail(`GET /api/v1${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** The focus's lineage page, as links.ts builds it. */
async function focusPath() {
  if (process.env.TROVE_FOCUS_PATH) return process.env.TROVE_FOCUS_PATH;
  if (focus.startsWith("run:")) {
    const run = await apiGet(`/runs/${enc(focus.slice(4))}`);
    return `/${enc(run.entity)}/${enc(run.project)}/runs/${enc(run.id)}/lineage`;
  }
  const m = /^([^/]+)\/([^/]+)\/([^:]+):(v\d+)$/.exec(focus);
  if (!m) fail(`TROVE_FOCUS ${JSON.stringify(focus)}: want entity/project/name:vN or run:ID`);
  const [, e, p, n, v] = m;
  const ver = await apiGet(`/projects/${enc(e)}/${enc(p)}/artifacts/${enc(n)}/versions/${enc(v)}`);
  return `/${enc(e)}/${enc(p)}/artifacts/${enc(ver.type)}/${enc(n)}/${enc(v)}/lineage`;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 10) / 10;
  return { median: r(s[Math.floor((s.length - 1) / 2)]), max: r(s[s.length - 1]), all: xs.map(r) };
};

/** Loads the page `runs` times and returns the figures of each load. */
async function firstRenders(context, url) {
  const loads = [];
  for (let i = 0; i < runs; i++) {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('[data-testid="lineage"]')?.dataset.ready === "true" && window.__troveLineage, null, {
      timeout: 60_000,
    });
    const m = await page.evaluate(() => {
      const r = window.__troveLineage;
      const lineage = performance.getEntriesByType("resource").filter((e) => /\/lineage\?/.test(e.name));
      const nav = performance.getEntriesByType("navigation")[0];
      return {
        renderedAt: r.renderedAt,
        nodes: r.nodes,
        edges: r.edges,
        domNodes: document.querySelectorAll('[data-testid="lineage-node"], [data-testid="lineage-cluster"]').length,
        engine: document.querySelector('[data-testid="lineage"]').dataset.engine,
        lineageRequest: lineage.length ? { start: lineage[0].startTime, end: lineage[0].responseEnd, bytes: lineage[0].encodedBodySize } : null,
        domContentLoaded: nav?.domContentLoadedEventEnd ?? null,
      };
    });
    if (errors.length) fail(`errors in the page: ${errors.join("; ")}`);
    loads.push(m);
    await page.close();
  }
  const last = loads[loads.length - 1];
  return {
    nodes: last.nodes,
    edges: last.edges,
    engine: last.engine,
    domNodesAtFit: last.domNodes,
    firstRenderMs: stats(loads.map((l) => l.renderedAt)),
    lineageRequestMs: stats(loads.filter((l) => l.lineageRequest).map((l) => l.lineageRequest.end - l.lineageRequest.start)),
    afterLineageResponseMs: stats(loads.filter((l) => l.lineageRequest).map((l) => l.renderedAt - l.lineageRequest.end)),
    domContentLoadedMs: stats(loads.map((l) => l.domContentLoaded ?? 0)),
    lineageBytes: last.lineageRequest?.bytes ?? null,
  };
}

/**
 * Zooms in and out with wheel events at the centre of the canvas, timing
 * each from the event to the painted frame that shows it; then pans with
 * the mouse while recording frame gaps.
 */
async function interaction(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[data-testid="lineage"]')?.dataset.ready === "true", null, { timeout: 60_000 });
  const zoom = await page.evaluate(async () => {
    const pane = document.querySelector(".react-flow__pane");
    const box = pane.getBoundingClientRect();
    const at = { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 };
    const painted = () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => resolve();
          ch.port2.postMessage(0);
        }),
      );
    const zoomOf = () => {
      const t = getComputedStyle(document.querySelector(".react-flow__viewport")).transform;
      return t === "none" ? 1 : new DOMMatrix(t).a;
    };
    const steps = [];
    // In four steps, then out four, then in and out again.
    for (const dy of [-500, -500, -500, -500, 500, 500, 500, 500, -500, -500, 500, 500]) {
      await painted();
      const before = zoomOf();
      const t0 = performance.now();
      pane.dispatchEvent(new WheelEvent("wheel", { deltaY: dy, deltaMode: 0, bubbles: true, cancelable: true, ...at }));
      await painted();
      steps.push({ ms: performance.now() - t0, zoom: zoomOf(), from: before, domNodes: document.querySelectorAll(".react-flow__node").length });
    }
    return steps;
  });
  if (zoom.every((s) => Math.abs(s.zoom - s.from) < 1e-9)) fail("wheel events did not zoom the graph");

  const overviewPan = await pan(page);
  // Zoom in to where nodes are DOM elements (readable), and pan there: nodes
  // enter and leave the rendered set as they cross the edge of the view.
  const detailZoom = await page.evaluate(async () => {
    const pane = document.querySelector(".react-flow__pane");
    const box = pane.getBoundingClientRect();
    for (let i = 0; i < 4; i++) {
      pane.dispatchEvent(new WheelEvent("wheel", { deltaY: -500, bubbles: true, cancelable: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    return new DOMMatrix(getComputedStyle(document.querySelector(".react-flow__viewport")).transform).a;
  });
  const detailPan = await pan(page);
  await page.close();
  return {
    zoomStepMs: stats(zoom.map((s) => s.ms)),
    zoomLevels: zoom.map((s) => Math.round(s.zoom * 1000) / 1000),
    domNodesPerZoomStep: zoom.map((s) => s.domNodes),
    panOverview: overviewPan,
    panDetail: { zoom: Math.round(detailZoom * 1000) / 1000, ...detailPan },
  };
}

/** Drags across the canvas (60 mouse moves) while recording the gaps between frames. */
async function pan(page) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__stop = false;
    const rec = (t) => {
      window.__frames.push(t);
      if (!window.__stop) requestAnimationFrame(rec);
    };
    requestAnimationFrame(rec);
  });
  const box = await page.locator(".react-flow__pane").boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const t0 = Date.now();
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 30; i++) await page.mouse.move(cx - i * 12, cy - i * 6);
  for (let i = 1; i <= 30; i++) await page.mouse.move(cx - 360 + i * 12, cy - 180 + i * 6);
  await page.mouse.up();
  const wallMs = Date.now() - t0;
  const frames = await page.evaluate(() => {
    window.__stop = true;
    return window.__frames;
  });
  const domNodes = await page.locator(".react-flow__node").count();
  const gaps = frames.slice(1).map((t, i) => t - frames[i]);
  const sorted = [...gaps].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 10) / 10;
  return {
    mouseMoves: 60,
    wallMs,
    frames: frames.length,
    domNodesAfter: domNodes,
    frameGapMs: { median: r(sorted[Math.floor(sorted.length / 2)]), p95: r(sorted[Math.floor(sorted.length * 0.95)]), max: r(sorted[sorted.length - 1]) },
  };
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const res = await context.request.post(`${baseURL}/api/v1/session`, { headers: { "X-Trove-CSRF": "1" }, data: { api_key: apiKey } });
  if (res.status() !== 200) fail(`sign-in: HTTP ${res.status()}: ${await res.text()}`);
  const path = await focusPath();
  const url = `${baseURL}${path}`;
  const clustered = await firstRenders(context, url);
  const exploded = await firstRenders(context, `${url}?explode=1`);
  const interactive = await interaction(context, `${url}?explode=1`);
  const out = {
    focus,
    page: path,
    viewport: "1440x900",
    runs,
    chromium: browser.version(),
    clustered,
    exploded,
    explodedPanZoom: interactive,
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await browser.close();
}
