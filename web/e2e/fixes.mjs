// End-to-end checks of issue 15's fixes from trying the UI as a new user
// would, run by run.mjs in a real Chromium (1440×900) against a real
// `trove server --demo`, signed in. Each effect is checked against the API,
// fetched by the page with its session cookie.
//
//   graph state in the URL   direction, depth, explode, pulled-out nodes: reload, Back, Forward
//   pull out                 the cluster search is cleared, the pulled node has the focus
//   preview panel            the clicked node is panned out from under it; a click on a
//                            node half under it selects that node
//   artifact preview         Version, every producer in "Logged by", "Used by"
//   1440×900                 the lineage controls and the graph fit the window
//   not found / wrong type   a missing project is a 404; a wrong type redirects
//   times and names          times carry their zone and a full title; names break at separators

export async function fixesScenarios({ page, baseURL, shot, assert }) {
  const q = (s) => JSON.stringify(s);
  const byTestId = (id) => page.locator(`[data-testid=${q(id)}]`);
  const enc = encodeURIComponent;
  const nodeSel = (id) => `[data-testid="lineage-node"][data-node-id=${q(id)}]`;
  const api = (path) =>
    page.evaluate(async (p) => {
      const res = await fetch(`/api/v1${p}`, { headers: { Accept: "application/json" } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /api/v1${p}: HTTP ${res.status}: ${text}`);
      return JSON.parse(text);
    }, path);
  const status = (path) => page.evaluate(async (p) => (await fetch(`/api/v1${p}`)).status, path);
  const step = async (name, fn) => {
    const t0 = Date.now();
    await fn();
    console.log(`ok - fixes: ${name} (${Date.now() - t0} ms)`);
  };
  const ready = async (after = -1) => {
    await page.waitForFunction(
      (after) => document.querySelector('[data-testid="lineage"]')?.dataset.ready === "true" && (window.__troveLineage?.renderedAt ?? -1) > after,
      after,
      { timeout: 20_000 },
    );
    return page.evaluate(() => window.__troveLineage);
  };
  const renderedAt = () => page.evaluate(() => window.__troveLineage?.renderedAt ?? -1);
  const search = () => page.evaluate(() => new URLSearchParams(location.search));
  const params = () => page.evaluate(() => Object.fromEntries([...new URLSearchParams(location.search).keys()].map((k) => [k, new URLSearchParams(location.search).getAll(k).join("|")])));
  const controls = async () => ({
    direction: await byTestId("lineage-direction").inputValue(),
    depth: await byTestId("lineage-depth").inputValue(),
    explode: (await byTestId("lineage-explode").innerText()).trim(),
  });
  const box = (sel) => page.locator(sel).first().evaluate((el) => el.getBoundingClientRect().toJSON());
  const overlaps = (a, b) => a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
  /** Nodes and clusters the graph shows, as the API's node count (a cluster counts its members). */
  const shownNodes = () =>
    page.evaluate(
      () =>
        document.querySelectorAll('[data-testid="lineage-node"]').length +
        [...document.querySelectorAll('[data-testid="lineage-cluster"]')].reduce((s, c) => s + Number(c.dataset.count), 0),
    );

  const zooPath = "/admin/zoo/artifacts/model/zoo-ylbchv20/v0/lineage";
  const zooAPI = "/projects/admin/zoo/artifacts/zoo-ylbchv20/versions/v0";

  await step("graph state lives in the URL: reload restores it, Back and Forward walk it", async () => {
    await page.goto(`${baseURL}${zooPath}`);
    await ready();
    let t = await renderedAt();
    await byTestId("lineage-direction").selectOption("upstream");
    await page.waitForURL((u) => u.searchParams.get("direction") === "upstream");
    await ready(t);
    assert.deepEqual(await params(), { direction: "upstream" });
    t = await renderedAt();
    await byTestId("lineage-depth").selectOption("2");
    await page.waitForURL((u) => u.searchParams.get("depth") === "2");
    await ready(t);
    t = await renderedAt();
    await byTestId("lineage-explode").click();
    await ready(t);
    assert.deepEqual(await params(), { direction: "upstream", depth: "2", explode: "1" });
    const want = await api(`${zooAPI}/lineage?direction=upstream&depth=2`);
    assert.equal(await shownNodes(), want.nodes.length, "the graph is the API's upstream lineage at depth 2");

    await page.reload();
    await ready();
    assert.deepEqual(await controls(), { direction: "upstream", depth: "2", explode: "Collapse" }, "reload restores the controls");
    assert.equal(await page.locator('[data-testid="lineage-cluster"]').count(), 0, "exploded after reload");
    assert.equal(await shownNodes(), want.nodes.length);

    t = await renderedAt();
    await page.goBack();
    await ready(t);
    assert.deepEqual(await params(), { direction: "upstream", depth: "2" });
    assert.deepEqual(await controls(), { direction: "upstream", depth: "2", explode: "Explode" }, "Back folds the clusters again");
    t = await renderedAt();
    await page.goBack();
    await ready(t);
    assert.deepEqual(await controls(), { direction: "upstream", depth: "0", explode: "Explode" }, "Back again: all depths");
    assert.equal(await shownNodes(), (await api(`${zooAPI}/lineage?direction=upstream`)).nodes.length);
    t = await renderedAt();
    await page.goForward();
    await ready(t);
    assert.deepEqual(await controls(), { direction: "upstream", depth: "2", explode: "Explode" }, "Forward: depth 2 again");
  });

  await step("pull out: the search is cleared, the pulled node has the focus, and the URL keeps it", async () => {
    await page.goto(`${baseURL}${zooPath}`);
    await ready();
    const lineage = await api(`${zooAPI}/lineage`);
    const splits = lineage.nodes.filter((n) => n.kind === "run" && n.job_type === "split_data").sort((a, b) => a.name.localeCompare(b.name));
    const picked = splits[splits.length - 1];
    const cluster = page.locator('[data-testid="lineage-cluster"]').filter({ has: page.locator(`[data-node-id=${q(picked.id)}]`) });
    const input = cluster.locator('[data-testid="cluster-search"]');
    await input.fill(picked.name);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lineage-cluster"] [data-testid="cluster-member"]').length === n, 1);
    const t = await renderedAt();
    await cluster.locator(`[data-testid="cluster-member"][data-node-id=${q(picked.id)}] [data-testid="cluster-pull"]`).click();
    await ready(t);
    assert.equal(await page.locator(nodeSel(picked.id)).count(), 1, "the run is a node of its own");
    assert.deepEqual(await params(), { pull: picked.id });
    const left = page.locator('[data-testid="lineage-cluster"][data-kind="run"]').first();
    assert.equal(await left.locator('[data-testid="cluster-search"]').inputValue(), "", "the search text is cleared");
    assert.equal(await left.locator('[data-testid="cluster-member"]').count(), splits.length - 1, "the cluster lists all its members again");
    await page.waitForFunction((id) => document.activeElement?.getAttribute("data-id") === id, picked.id);
    // Enter on the focused node opens its preview: the focus is usable.
    await page.keyboard.press("Enter");
    await page.locator(`[data-testid="lineage-preview"][data-node-id=${q(picked.id)}]`).waitFor();
    await page.keyboard.press("Escape");

    await page.reload();
    await ready();
    assert.equal(await page.locator(nodeSel(picked.id)).count(), 1, "reload keeps the run pulled out");
    let t2 = await renderedAt();
    await page.goBack();
    await ready(t2);
    assert.equal(await page.locator(nodeSel(picked.id)).count(), 0, "Back puts it into its cluster again");
    assert.equal(await page.locator(`[data-testid="lineage-cluster"] [data-node-id=${q(picked.id)}]`).count(), 1);
  });

  await step("a shared link opens the same graph (direction, depth, explode, pulled)", async () => {
    const lineage = await api(`${zooAPI}/lineage?direction=upstream&depth=3`);
    const run = lineage.nodes.find((n) => n.kind === "run" && n.job_type === "split_data");
    await page.goto(`${baseURL}${zooPath}?direction=upstream&depth=3&pull=${enc(run.id)}`);
    await ready();
    assert.deepEqual(await controls(), { direction: "upstream", depth: "3", explode: "Explode" });
    assert.equal(await page.locator(nodeSel(run.id)).count(), 1);
    assert.equal(await shownNodes(), lineage.nodes.length);
  });

  await step("preview panel: the clicked node is panned out from under it; a click on a node half under it is not lost", async () => {
    await page.goto(`${baseURL}${zooPath}?explode=1`);
    await ready();
    const canvas = await box(".ln-canvas");
    // The panel's place (lineage.css: 12px from the top right, 340px wide).
    const panelArea = { left: canvas.right - 352, right: canvas.right - 12, top: canvas.top + 12, bottom: canvas.bottom - 12 };
    const nodes = await page.$$eval('[data-testid="lineage-node"]', (els) => els.map((el) => ({ id: el.dataset.nodeId, ...el.getBoundingClientRect().toJSON() })));
    const under = nodes.filter((n) => overlaps(n, panelArea)).sort((a, b) => b.right - a.right);
    assert.ok(under.length >= 2, `nodes lie where the panel opens: ${JSON.stringify(under.map((n) => n.id))} (else this proves nothing)`);
    const panel = '[data-testid="lineage-preview"]';
    /** Waits until node id is the previewed one and lies left of the panel, in the canvas. */
    const revealed = async (id) => {
      await page.locator(`${panel}[data-node-id=${q(id)}]`).waitFor();
      await page.waitForFunction(
        ([id, panel]) => {
          const n = document.querySelector(`[data-testid="lineage-node"][data-node-id=${JSON.stringify(id)}]`)?.getBoundingClientRect();
          const p = document.querySelector(panel)?.getBoundingClientRect();
          return n && p && n.right <= p.left;
        },
        [id, panel],
        { timeout: 5000 },
      );
      const n = await box(nodeSel(id));
      assert.ok(n.left >= canvas.left && n.right <= (await box(panel)).left, `${id} ${JSON.stringify(n)} is visible, left of the panel`);
    };
    // A node where the panel opens: clicked, it is panned out from under it.
    await page.locator(nodeSel(under[0].id)).click();
    await revealed(under[0].id);
    // With the panel open, a node it half covers: a click on its visible part selects it.
    const now = await page.$$eval('[data-testid="lineage-node"]', (els) => els.map((el) => ({ id: el.dataset.nodeId, ...el.getBoundingClientRect().toJSON() })));
    const p = await box(panel);
    // Drag the graph so that another node sits half under the panel.
    const other = now.filter((n) => n.id !== under[0].id && n.right < p.left).sort((a, b) => b.right - a.right)[0];
    const dx = p.left + 40 - other.right;
    const from = { x: canvas.left + 12, y: canvas.top + 12 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + dx / 2, from.y, { steps: 4 });
    await page.mouse.move(from.x + dx, from.y, { steps: 4 });
    await page.mouse.up();
    const half = await box(nodeSel(other.id));
    assert.ok(half.left < p.left - 8 && half.right > p.left, `${other.id} is half under the panel: ${JSON.stringify(half)}`);
    await page.mouse.click(p.left - 6, half.top + half.height / 2);
    await revealed(other.id);
    await shot("fixes-preview-panned.png");
  });

  await step("artifact preview: Version, every run that logged it, the runs that used it", async () => {
    const lineage = await api(`${zooAPI}/lineage`);
    // A version logged by several runs: the split runs all logged the same split.
    const counts = new Map();
    for (const e of lineage.edges) if (e.from.startsWith("run:") && e.to.startsWith("artifact:")) counts.set(e.to, (counts.get(e.to) ?? 0) + 1);
    const [id] = [...counts.entries()].find(([, c]) => c > 1) ?? [];
    assert.ok(id, "the demo has a version logged by several runs");
    const m = /^artifact:([^/]+)\/([^/]+)\/(.+):(v\d+)$/.exec(id);
    const path = `/projects/${enc(m[1])}/${enc(m[2])}/artifacts/${enc(m[3])}/versions/${m[4]}`;
    const [v, by, used] = await Promise.all([api(path), api(`${path}/logged-by`), api(`${path}/used-by`)]);
    assert.ok(by.producers.length > 1 && by.producers[0].id === by.id, `logged-by lists every producer, the first logger first: ${by.producers.length}`);
    await page.goto(`${baseURL}${zooPath}?explode=1`);
    await ready();
    await page.locator(nodeSel(id)).click();
    const f = (name) => page.locator(`[data-testid="lineage-preview"] [data-field=${q(name)}]`);
    await f("used_by").waitFor();
    assert.equal(await f("version").getAttribute("data-value"), `v${v.index}`);
    assert.equal((await f("version").innerText()).replace(/\s+/g, " ").includes(`v${v.index}`), true);
    assert.equal(await f("logged_by").getAttribute("data-value"), by.producers.map((r) => r.id).join(","));
    const loggedRows = await f("logged_by").locator("li[data-run-id]").count();
    assert.equal(loggedRows, Math.min(5, by.producers.length));
    if (by.producers.length > 5) assert.match(await f("logged_by").innerText(), new RegExp(`and ${by.producers.length - 5} more`));
    assert.equal(await f("used_by").getAttribute("data-value"), used.map((r) => r.id).join(","));
    for (const r of used.slice(0, 5)) assert.ok((await f("used_by").innerText()).includes(r.name), `used by ${r.name}`);
    await shot("fixes-preview-producers.png");
  });

  await step("1440×900: the lineage panel and its controls fit the window", async () => {
    const vp = page.viewportSize();
    assert.deepEqual(vp, { width: 1440, height: 900 });
    await page.goto(`${baseURL}${zooPath}`);
    await ready();
    for (const id of ["lineage-direction", "lineage-depth", "lineage-explode", "lineage-fit"]) {
      const b = await box(`[data-testid=${q(id)}]`);
      assert.ok(b.top >= 0 && b.bottom <= vp.height && b.right <= vp.width, `${id} is in the window: ${JSON.stringify(b)}`);
    }
    for (const sel of [".ln-canvas", ".react-flow__controls"]) {
      const b = await box(sel);
      assert.ok(b.bottom <= vp.height && b.right <= vp.width, `${sel} is in the window: ${JSON.stringify(b)}`);
    }
    assert.equal(await page.evaluate(() => document.scrollingElement.scrollHeight <= innerHeight + 1), true, "no page scroll needed");
    const node = (await api(`${zooAPI}/lineage`)).nodes.find((n) => n.name === "zoo-ylbchv20:v0");
    await page.locator(nodeSel(node.id)).click();
    await page.locator('[data-testid="lineage-preview"] [data-field="logged_by"]').waitFor();
    const p = await box('[data-testid="lineage-preview"]');
    assert.ok(p.bottom <= vp.height, `the preview fits: ${JSON.stringify(p)}`);
    await shot("fixes-lineage-1440x900.png");
  });

  await step("a project that does not exist is not found; an existing one is not", async () => {
    const projects = await api("/entities/admin/projects");
    assert.ok(!projects.includes("no-such-project") && projects.includes("mnist"));
    await page.goto(`${baseURL}/admin/no-such-project`);
    await byTestId("not-found").waitFor();
    assert.match(await byTestId("not-found").innerText(), /Project not found[\s\S]*admin\/no-such-project/);
    await shot("fixes-project-not-found.png");
    await page.goto(`${baseURL}/admin/no-such-project/artifacts`);
    await byTestId("not-found").waitFor();
    await page.goto(`${baseURL}/admin/mnist`);
    await byTestId("type-section").first().waitFor();
    assert.equal(await byTestId("not-found").count(), 0);
  });

  await step("a wrong type in the URL redirects to the right one", async () => {
    const v = await api("/projects/admin/zoo/artifacts/split_zoo_dataset/versions/v0");
    assert.notEqual(v.type, "model");
    await page.goto(`${baseURL}/admin/zoo/artifacts/model/split_zoo_dataset`);
    await page.waitForURL((u) => u.pathname === `/admin/zoo/artifacts/${enc(v.type)}/split_zoo_dataset`);
    await byTestId("versions-table").waitFor();
    await page.goto(`${baseURL}/admin/zoo/artifacts/model/split_zoo_dataset/v0/lineage?direction=upstream`);
    await page.waitForURL((u) => u.pathname === `/admin/zoo/artifacts/${enc(v.type)}/split_zoo_dataset/v0/lineage` && u.search === "?direction=upstream");
    await ready();
    assert.equal(await byTestId("lineage-direction").inputValue(), "upstream");
    // Replaced, not pushed: Back does not return to the wrong address.
    assert.equal(await page.evaluate(() => history.length >= 1), true);
  });

  await step("times show their zone and the full timestamp on hover; names break only after / : -", async () => {
    const v = await api("/projects/admin/mnist/artifacts/mnist_model/versions/v0");
    await page.goto(`${baseURL}/admin/mnist/artifacts/model/mnist_model/v0`);
    const t = page.locator('[data-field="created"] time, [data-testid="field-created"] time').first();
    await t.waitFor();
    const zone = await page.evaluate(() => new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(new Date()).find((p) => p.type === "timeZoneName").value);
    assert.ok((await t.innerText()).trim().endsWith(zone), `created ${JSON.stringify(await t.innerText())} ends with the zone ${zone}`);
    assert.equal(await t.getAttribute("datetime"), v.created_at);
    const title = await t.getAttribute("title");
    assert.match(title, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC[+-]\d\d:\d\d/, `title ${title}`);
    // Relative times too carry the full timestamp.
    await page.goto(`${baseURL}/admin/mnist/artifacts/model/mnist_model`);
    const rel = byTestId("versions-table").locator("time").first();
    await rel.waitFor();
    assert.match((await rel.getAttribute("title")) ?? "", /UTC[+-]\d\d:\d\d/);

    await page.goto(`${baseURL}/admin/mnist/artifacts/model/mnist_model/v0`);
    const full = byTestId("version-full-name");
    await full.waitFor();
    const name = `${v.entity}/${v.project}/${v.name}:v${v.index}`;
    const wbr = await full.locator("wbr").count();
    assert.equal(wbr, (name.match(/[/:-]/g) ?? []).length, "a break opportunity after each separator");
    assert.ok((await full.innerText()).includes(name));
    await page.goto(`${baseURL}${zooPath}`);
    await ready();
    const node = (await api(`${zooAPI}/lineage`)).nodes.find((n) => n.name === "zoo-ylbchv20:v0");
    await page.locator(nodeSel(node.id)).click();
    const dd = page.locator('[data-testid="lineage-preview"] [data-field="full_name"] dd');
    await dd.waitFor();
    assert.notEqual(await dd.evaluate((el) => getComputedStyle(el).overflowWrap), "anywhere");
    assert.ok((await dd.locator("wbr").count()) > 0);
    const created = page.locator('[data-testid="lineage-preview"] [data-field="created"]');
    assert.ok((await created.innerText()).trim().endsWith(zone), `preview created ${await created.innerText()}`);
  });
}
