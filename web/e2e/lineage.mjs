// End-to-end scenarios of the lineage explorer, run by run.mjs in a real
// Chromium against a real `trove server --demo` (entity admin, projects mnist
// and zoo), with a signed-in page. Every value on screen is compared with
// the API's answer, fetched by the page itself with its session cookie.
//
//   mnist_model:v0   exactly its five nodes, colours, four arrows, focus
//   zoo-ylbchv20:v0  the six-run split_data cluster: search, pull out, explode
//   preview          every field of a run and of an artifact; the link to the run page
//   run lineage      a run as the focus

const RUN_COLOR = "rgb(31, 157, 85)"; // #1f9d55
const ARTIFACT_COLOR = "rgb(47, 111, 222)"; // #2f6fde

export async function lineageScenarios({ page, baseURL, shot, assert }) {
  const sel = {
    view: '[data-testid="lineage"]',
    node: '[data-testid="lineage-node"]',
    cluster: '[data-testid="lineage-cluster"]',
    edge: ".react-flow__edge",
  };
  const q = (s) => JSON.stringify(s); // a CSS attribute value, quoted
  const nodeSel = (id) => `${sel.node}[data-node-id=${q(id)}]`;
  const edgeSel = (from, to) => `[data-testid=${q(`rf__edge-${from}->${to}`)}]`;

  /** GET /api/v1<path> from the page (its session cookie). */
  const api = (path) =>
    page.evaluate(async (p) => {
      const res = await fetch(`/api/v1${p}`, { headers: { Accept: "application/json" } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /api/v1${p}: HTTP ${res.status}: ${text}`);
      return JSON.parse(text);
    }, path);

  const step = async (name, fn) => {
    const t0 = Date.now();
    await fn();
    console.log(`ok - lineage: ${name} (${Date.now() - t0} ms)`);
  };

  /** Waits for the graph to be laid out and painted, newer than `after` (a renderedAt). */
  const ready = async (after = -1) => {
    await page.waitForFunction(
      ([view, after]) => {
        const el = document.querySelector(view);
        const r = window.__troveLineage;
        return el?.dataset.ready === "true" && r && r.renderedAt > after;
      },
      [sel.view, after],
      { timeout: 20_000 },
    );
    return page.evaluate(() => window.__troveLineage);
  };
  const renderedAt = () => page.evaluate(() => window.__troveLineage?.renderedAt ?? -1);

  /** Every plain node on screen: id, kind, focus, type and name text, border, box. */
  const readNodes = () =>
    page.$$eval(sel.node, (els) =>
      els.map((el) => {
        const cs = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          id: el.dataset.nodeId,
          kind: el.dataset.kind,
          focus: el.dataset.focus === "true",
          type: el.querySelector('[data-part="type"]')?.textContent ?? "",
          name: el.querySelector('[data-part="name"]')?.textContent ?? "",
          text: el.innerText,
          border: cs.borderTopColor,
          borderWidth: parseFloat(cs.borderTopWidth),
          left: box.left,
          right: box.right,
        };
      }),
    );
  const edgeIDs = () => page.$$eval(sel.edge, (els) => els.map((e) => e.getAttribute("data-id")).sort());
  const expectedEdges = (lineage, rename = (id) => id) => [...new Set(lineage.edges.map((e) => `${rename(e.from)}->${rename(e.to)}`))].sort();

  /** Checks what every plain node shows against its lineage node. */
  const checkNodes = (nodes, lineage) => {
    const byID = new Map(lineage.nodes.map((n) => [n.id, n]));
    for (const n of nodes) {
      const want = byID.get(n.id);
      assert.ok(want, `node ${n.id} on screen is in the API's lineage`);
      assert.equal(n.kind, want.kind, `${n.id}: kind`);
      assert.equal(n.name, want.name, `${n.id}: name`);
      const type = want.kind === "run" ? want.job_type : want.type;
      assert.equal(n.type, type, `${n.id}: its type (artifact type or job type)`);
      const ti = n.text.indexOf(type);
      const ni = n.text.indexOf(want.name);
      assert.ok(ti >= 0 && ni > ti, `${n.id}: the type "${type}" shows before the name: ${JSON.stringify(n.text)}`);
      assert.equal(n.border, want.kind === "run" ? RUN_COLOR : ARTIFACT_COLOR, `${n.id}: ${want.kind} colour`);
    }
  };

  // ---------- mnist ----------

  await step("mnist_model:v0: exactly its five nodes, colours, arrows and focus", async () => {
    await page.goto(`${baseURL}/admin/mnist/artifacts/model/mnist_model/v0/lineage`);
    const r = await ready();
    const lineage = await api("/projects/admin/mnist/artifacts/mnist_model/versions/v0/lineage");
    const nodes = await readNodes();
    assert.equal(nodes.length, 5, `five nodes: ${nodes.map((n) => n.name)}`);
    assert.equal(r.nodes, 5);
    assert.equal(await page.locator(sel.cluster).count(), 0, "no cluster");
    assert.deepEqual(
      nodes.map((n) => `${n.kind} ${n.type} ${n.name}`).sort(),
      [
        "artifact dataset mnist_dataset:v0",
        "artifact model mnist_model:v0",
        "run evaluate serene-haze-6",
        "run preprocess jumping-monkey-1",
        "run train_model vague-morning-5",
      ],
    );
    assert.deepEqual(nodes.map((n) => n.id).sort(), lineage.nodes.map((n) => n.id).sort(), "the API's nodes");
    checkNodes(nodes, lineage);

    // The four arrows, in the direction data flows: left to right, with an arrowhead.
    const edges = await edgeIDs();
    assert.deepEqual(edges, expectedEdges(lineage));
    assert.equal(edges.length, 4);
    const name = (id) => lineage.nodes.find((n) => n.id === id).name;
    assert.deepEqual(
      lineage.edges.map((e) => `${name(e.from)} -> ${name(e.to)}`),
      ["jumping-monkey-1 -> mnist_dataset:v0", "mnist_dataset:v0 -> vague-morning-5", "vague-morning-5 -> mnist_model:v0", "mnist_model:v0 -> serene-haze-6"],
    );
    const box = new Map(nodes.map((n) => [n.id, n]));
    for (const e of lineage.edges) {
      assert.ok(box.get(e.from).right < box.get(e.to).left, `${name(e.from)} is left of ${name(e.to)}`);
      const marker = await page.locator(`${edgeSel(e.from, e.to)} path.react-flow__edge-path`).getAttribute("marker-end");
      assert.match(marker ?? "", /^url\(/, `${e.from}->${e.to} has an arrowhead`);
    }

    // The focus: highlighted, badged, and the only one.
    const focus = nodes.filter((n) => n.focus);
    assert.deepEqual(
      focus.map((n) => n.name),
      ["mnist_model:v0"],
    );
    for (const n of nodes) if (!n.focus) assert.ok(focus[0].borderWidth > n.borderWidth, `the focus has a thicker outline than ${n.name}`);
    assert.match(await page.locator(`${nodeSel(focus[0].id)} .ln-focus-badge`).innerText(), /focus/i);
    await shot("mnist-lineage.png");
  });

  // ---------- zoo: cluster, search, pull out, explode ----------

  const zooURL = `${baseURL}/admin/zoo/artifacts/model/zoo-ylbchv20/v0/lineage`;
  const zoo = { lineage: null, splits: [], picked: null };
  const clusterLoc = () => page.locator(`${sel.cluster}[data-kind="run"]`);

  await step("zoo-ylbchv20:v0: the six split_data runs form one cluster", async () => {
    await page.goto(zooURL);
    await ready();
    zoo.lineage = await api("/projects/admin/zoo/artifacts/zoo-ylbchv20/versions/v0/lineage");
    zoo.splits = zoo.lineage.nodes.filter((n) => n.kind === "run" && n.job_type === "split_data");
    assert.equal(zoo.splits.length, 6, "the demo has six split_data runs");
    assert.equal(await page.locator(sel.cluster).count(), 1, "one cluster");
    const c = clusterLoc();
    assert.equal(await c.getAttribute("data-count"), "6");
    const head = await c.locator(".ln-cluster-head").innerText();
    assert.match(head, /6 runs/);
    assert.match(head, /split_data/);
    assert.equal(await c.evaluate((el) => getComputedStyle(el).borderTopColor), RUN_COLOR, "a run cluster is green");
    const members = await c.locator('[data-testid="cluster-member"]').evaluateAll((els) => els.map((e) => e.dataset.nodeId).sort());
    assert.deepEqual(members, zoo.splits.map((n) => n.id).sort());
    // The cluster's edges replace its members': one in, one out.
    const cid = await c.getAttribute("data-node-id");
    const split = zoo.lineage.nodes.find((n) => n.name === "split_zoo_dataset:v4").id;
    const raw = zoo.lineage.nodes.find((n) => n.name === "zoo_dataset:v0").id;
    const inCluster = new Set(members);
    assert.deepEqual(await edgeIDs(), expectedEdges(zoo.lineage, (id) => (inCluster.has(id) ? cid : id)));
    assert.equal(await page.locator(edgeSel(raw, cid)).count(), 1, "raw data → cluster");
    assert.equal(await page.locator(edgeSel(cid, split)).count(), 1, "cluster → split_zoo_dataset:v4");
    // Everything else is a plain node showing the right things.
    const nodes = await readNodes();
    assert.equal(nodes.length, zoo.lineage.nodes.length - 6);
    checkNodes(nodes, zoo.lineage);
    await shot("zoo-cluster.png");
  });

  await step("zoo: the cluster's search box filters its members", async () => {
    const c = clusterLoc();
    zoo.picked = [...zoo.splits].sort((a, b) => a.name.localeCompare(b.name))[0];
    await c.locator('[data-testid="cluster-search"]').fill(zoo.picked.name.toUpperCase());
    const rows = c.locator('[data-testid="cluster-member"]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lineage-cluster"] [data-testid="cluster-member"]').length === n, 1);
    assert.equal(await rows.getAttribute("data-node-id"), zoo.picked.id);
    assert.equal((await rows.innerText()).trim(), zoo.picked.name);
    await shot("zoo-search.png");
    await c.locator('[data-testid="cluster-search"]').fill("no-such-run");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lineage-cluster"] [data-testid="cluster-member"]').length === 0);
    await c.locator('[data-testid="cluster-search"]').fill(zoo.picked.name);
    await rows.first().waitFor();
  });

  await step("zoo: a run pulled out of the cluster is a plain node with its edges", async () => {
    const before = await renderedAt();
    const c = clusterLoc();
    await c.locator(`[data-testid="cluster-member"][data-node-id=${q(zoo.picked.id)}] [data-testid="cluster-pull"]`).click();
    await ready(before);
    const node = page.locator(nodeSel(zoo.picked.id));
    assert.equal(await node.count(), 1, "the pulled run is a node of its own");
    assert.equal(await node.getAttribute("data-kind"), "run");
    assert.equal(await node.evaluate((el) => getComputedStyle(el).borderTopColor), RUN_COLOR);
    assert.equal(await clusterLoc().getAttribute("data-count"), "5", "five runs remain in the cluster");
    const ins = zoo.lineage.edges.filter((e) => e.to === zoo.picked.id);
    const outs = zoo.lineage.edges.filter((e) => e.from === zoo.picked.id);
    assert.ok(ins.length > 0 && outs.length > 0);
    for (const e of [...ins, ...outs]) assert.equal(await page.locator(edgeSel(e.from, e.to)).count(), 1, `edge ${e.from}->${e.to}`);
    const remaining = await clusterLoc().getAttribute("data-node-id");
    const members = new Set(zoo.splits.filter((n) => n.id !== zoo.picked.id).map((n) => n.id));
    assert.deepEqual(await edgeIDs(), expectedEdges(zoo.lineage, (id) => (members.has(id) ? remaining : id)));
    await clusterLoc().locator('[data-testid="cluster-search"]').fill("");
    await shot("zoo-pulled.png");
  });

  await step("zoo: Explode opens every cluster; Collapse folds them again", async () => {
    const explode = page.locator('[data-testid="lineage-explode"]');
    assert.equal((await explode.innerText()).trim(), "Explode");
    let before = await renderedAt();
    await explode.click();
    let r = await ready(before);
    assert.equal(await page.locator(sel.cluster).count(), 0, "no cluster left");
    const nodes = await readNodes();
    assert.equal(nodes.length, zoo.lineage.nodes.length, "every node is plain");
    assert.equal(r.nodes, zoo.lineage.nodes.length);
    checkNodes(nodes, zoo.lineage);
    assert.deepEqual(await edgeIDs(), expectedEdges(zoo.lineage));
    assert.equal((await explode.innerText()).trim(), "Collapse");
    await shot("zoo-exploded.png");

    before = await renderedAt();
    await explode.click();
    r = await ready(before);
    assert.equal(await clusterLoc().getAttribute("data-count"), "5", "collapsing restores the cluster, minus the pulled run");
    assert.equal(await page.locator(nodeSel(zoo.picked.id)).count(), 1, "the pulled run stays out");
  });

  await step("zoo: direction and depth controls refetch the lineage", async () => {
    let before = await renderedAt();
    await page.locator('[data-testid="lineage-direction"]').selectOption("downstream");
    await ready(before);
    const down = await api("/projects/admin/zoo/artifacts/zoo-ylbchv20/versions/v0/lineage?direction=downstream&depth=0");
    assert.deepEqual((await readNodes()).map((n) => n.id).sort(), down.nodes.map((n) => n.id).sort(), "downstream nodes");
    before = await renderedAt();
    await page.locator('[data-testid="lineage-direction"]').selectOption("upstream");
    await page.locator('[data-testid="lineage-depth"]').selectOption("1");
    await ready(before);
    const up1 = await api("/projects/admin/zoo/artifacts/zoo-ylbchv20/versions/v0/lineage?direction=upstream&depth=1");
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lineage-node"]').length === n, up1.nodes.length);
    assert.deepEqual((await readNodes()).map((n) => n.id).sort(), up1.nodes.map((n) => n.id).sort(), "upstream, depth 1");
    const fit = page.locator('[data-testid="lineage-fit"]');
    await fit.click();
  });

  await step("a failed lineage request shows the server's message; Retry recovers", async () => {
    const message = "lineage store unavailable (injected by the test)";
    const failing = (route) =>
      route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: { code: "unavailable", message } }) });
    await page.route(/\/api\/v1\/.*\/lineage\?/, failing);
    try {
      await page.goto(zooURL);
      const box = page.locator('[data-testid="lineage-error"]');
      await box.waitFor();
      assert.match(await box.innerText(), new RegExp(message.replace(/[()]/g, "\\$&")));
      assert.equal(await page.locator(sel.node).count(), 0, "no graph drawn from a failed request");
    } finally {
      await page.unroute(/\/api\/v1\/.*\/lineage\?/, failing);
    }
    await page.locator('[data-testid="lineage-error"] button', { hasText: "Retry" }).click();
    await ready();
    assert.equal(await page.locator(sel.cluster).count(), 1, "the graph after retrying");
  });

  // ---------- preview ----------

  const field = async (key) => {
    const row = page.locator(`[data-testid="lineage-preview"] [data-field=${q(key)}]`);
    await row.waitFor();
    return { value: await row.getAttribute("data-value"), text: (await row.locator("dd").innerText()).trim() };
  };
  const localTime = (iso) =>
    page.evaluate((t) => {
      const d = new Date(t);
      const p = (n) => String(n).padStart(2, "0");
      return { date: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, time: `${p(d.getHours())}:${p(d.getMinutes())}` };
    }, iso);
  /** Reads a duration as the UI writes it ("850ms", "42s", "3m 12s", "2h 5m") into [low, high) ms. */
  const durationRange = (text) => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)\b/g)];
    assert.ok(parts.length > 0 && parts.map((p) => p[0]).join(" ") === text, `a duration: ${JSON.stringify(text)}`);
    const low = parts.reduce((s, [, n, u]) => s + Number(n) * units[u], 0);
    return [low - (parts.at(-1)[2] === "ms" ? 1 : 0), low + units[parts.at(-1)[2]]];
  };

  const train = { run: null };
  await step("preview of a run: every field, as the API says", async () => {
    await page.goto(zooURL);
    await ready();
    const node = zoo.lineage.nodes.find((n) => n.name === "rural-feather-20");
    await page.locator(nodeSel(node.id)).click();
    await page.locator('[data-testid="lineage-preview"] [data-field="id"]').waitFor();
    const run = await api(`/runs/${encodeURIComponent(node.run_id)}`);
    train.run = run;
    assert.deepEqual(await field("id"), { value: run.id, text: run.id });
    assert.deepEqual(await field("name"), { value: run.name, text: run.name });
    assert.deepEqual(await field("state"), { value: run.state, text: run.state });
    assert.deepEqual(await field("job_type"), { value: run.job_type, text: run.job_type });
    const started = await field("started");
    assert.equal(started.value, run.started_at);
    const t = await localTime(run.started_at);
    assert.ok(started.text.includes(t.date) && started.text.includes(t.time), `started ${JSON.stringify(started.text)} shows ${t.date} ${t.time}`);
    const duration = await field("duration");
    assert.ok(run.finished_at, "the demo's runs are finished");
    const ms = Date.parse(run.finished_at) - Date.parse(run.started_at);
    const [low, high] = durationRange(duration.text);
    assert.ok(low <= ms && ms < high, `duration ${duration.text} for ${ms} ms`);
    assert.match(await page.locator('[data-testid="preview-link"]').innerText(), /Open run page/);
    await shot("preview-run.png");
    // The keyboard: Escape closes the preview; Enter on a focused node opens it.
    await page.keyboard.press("Escape");
    await page.locator('[data-testid="lineage-preview"]').waitFor({ state: "detached" });
    await page.locator(`.react-flow__node[data-id=${q(node.id)}]`).focus();
    await page.keyboard.press("Enter");
    await page.locator(`[data-testid="lineage-preview"][data-node-id=${q(node.id)}]`).waitFor();
  });

  await step("preview of an artifact: every field, as the API says", async () => {
    const node = zoo.lineage.nodes.find((n) => n.name === "zoo-ylbchv20:v0");
    await page.locator(nodeSel(node.id)).click();
    await page.locator('[data-testid="lineage-preview"] [data-field="full_name"]').waitFor();
    const path = "/projects/admin/zoo/artifacts/zoo-ylbchv20/versions/v0";
    const v = await api(path);
    const by = await api(`${path}/logged-by`);
    assert.deepEqual(await field("full_name"), { value: "admin/zoo/zoo-ylbchv20:v0", text: "admin/zoo/zoo-ylbchv20:v0" });
    assert.deepEqual(await field("type"), { value: v.type, text: v.type });
    const created = await field("created");
    assert.equal(created.value, v.created_at);
    const t = await localTime(v.created_at);
    assert.ok(created.text.includes(t.date) && created.text.includes(t.time), `created ${JSON.stringify(created.text)}`);
    const aliases = await field("aliases");
    assert.equal(aliases.value, v.aliases.join(","));
    assert.ok(v.aliases.length > 0, "the demo model has aliases");
    for (const a of v.aliases) assert.ok(aliases.text.includes(a), `alias ${a} shown`);
    const size = await field("size");
    assert.equal(size.value, String(v.size));
    const m = /^(\d+(?:\.\d)?) (B|kB|MB|GB)\b/.exec(size.text);
    assert.ok(m, `a human size: ${JSON.stringify(size.text)}`);
    const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2]];
    assert.ok(Math.abs(Number(m[1]) * scale - v.size) <= 0.05 * scale + 0.5, `${size.text} is about ${v.size} bytes`);
    const logged = await field("logged_by");
    assert.ok(by, "the model has a logging run");
    assert.deepEqual(logged, { value: by.id, text: by.name });
    assert.match(await page.locator('[data-testid="preview-link"]').innerText(), /Open artifact page/);
    await shot("preview-artifact.png");
  });

  await step("preview link: to the run's page", async () => {
    const node = zoo.lineage.nodes.find((n) => n.name === "rural-feather-20");
    await page.locator(nodeSel(node.id)).click();
    await page.locator(`[data-testid="lineage-preview"][data-node-id=${q(node.id)}] [data-field="id"]`).waitFor();
    await page.locator('[data-testid="preview-link"]').click();
    const want = `/admin/zoo/runs/${train.run.id}`;
    await page.waitForURL((u) => u.pathname === want, { timeout: 10_000 });
    await page.waitForFunction((name) => document.querySelector("h1")?.textContent?.includes(name), train.run.name, { timeout: 10_000 });
  });

  await step("a run's lineage: the run is the focus, every node is there", async () => {
    const id = train.run.id;
    await page.goto(`${baseURL}/admin/zoo/runs/${encodeURIComponent(id)}/lineage`);
    await ready();
    const lineage = await api(`/runs/${encodeURIComponent(id)}/lineage`);
    const nodes = await readNodes();
    assert.deepEqual(
      nodes.filter((n) => n.focus).map((n) => n.id),
      [`run:${id}`],
    );
    checkNodes(nodes, lineage);
    const members = await page.$$eval('[data-testid="cluster-member"]', (els) => els.map((e) => e.dataset.nodeId));
    assert.deepEqual([...nodes.map((n) => n.id), ...members].sort(), lineage.nodes.map((n) => n.id).sort(), "plain nodes and cluster members are the API's nodes");
  });
}
