// End-to-end scenarios of Find (issue 15): the header's search box and the
// projects page, run by run.mjs in a real Chromium against a real
// `trove server --demo`, signed in as admin. Every result on screen is
// compared with the API's answer, fetched by the page itself with its
// session cookie. (The rule that a user never finds what it may not read is
// tested in Go: internal/server TestSearchAgreesWithAccess, internal/meta
// conformance SearchAccess on SQLite and PostgreSQL; no e2e creates users.)
//
//   type a name        the dropdown lists the API's hits, grouped by kind; screenshot
//   a digest prefix    the version is found; Enter opens its page
//   a run name         arrows move the selection; Enter opens the run; Esc closes
//   the projects page  lists GET /api/v1/projects; screenshot

export async function searchScenarios({ page, baseURL, shot, assert }) {
  const q = (s) => JSON.stringify(s);
  const byTestId = (id) => page.locator(`[data-testid=${q(id)}]`);
  const enc = encodeURIComponent;
  const api = (path) =>
    page.evaluate(async (p) => {
      const res = await fetch(`/api/v1${p}`, { headers: { Accept: "application/json" } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /api/v1${p}: HTTP ${res.status}: ${text}`);
      return JSON.parse(text);
    }, path);
  /** A write from the page: its session cookie and the CSRF header, as the UI's writes. */
  const send = (method, path, body) =>
    page.evaluate(
      async ([m, p, b]) => {
        const res = await fetch(`/api/v1${p}`, {
          method: m,
          headers: { Accept: "application/json", "Content-Type": "application/json", "X-Trove-CSRF": "1" },
          body: JSON.stringify(b),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`${m} /api/v1${p}: HTTP ${res.status}: ${text}`);
        return text ? JSON.parse(text) : null;
      },
      [method, path, body],
    );
  const step = async (name, fn) => {
    const t0 = Date.now();
    await fn();
    console.log(`ok - search: ${name} (${Date.now() - t0} ms)`);
  };
  const waitPath = (want) => page.waitForURL((u) => u.pathname === want, { timeout: 10_000 });
  /** The page a hit links to: the same rule as Search.tsx hitHref. */
  const href = (h) => {
    const ep = `/${enc(h.entity)}/${enc(h.project)}`;
    switch (h.kind) {
      case "project":
        return h.entity === "registry" ? `/registries/${enc(h.project)}` : `${ep}/artifacts`;
      case "artifact":
        return `${ep}/artifacts/${enc(h.type)}/${enc(h.name)}`;
      case "version":
        return `${ep}/artifacts/${enc(h.type)}/${enc(h.name)}/v${h.version}`;
      case "run":
        return `${ep}/runs/${enc(h.run_id)}`;
    }
  };
  const kinds = ["project", "artifact", "version", "run"];
  /** Types text into the box and waits for its answer; returns the hits shown and the API's. */
  const search = async (text) => {
    const box = byTestId("search-input");
    await box.fill("");
    await box.click();
    await box.fill(text);
    await page.locator('[data-testid="search-results"][data-status="ready"]').waitFor();
    const shown = await byTestId("search-hit").evaluateAll((els) => els.map((e) => ({ kind: e.dataset.kind, href: e.dataset.href })));
    const want = await api(`/search?q=${enc(text)}&limit=20`);
    // Shown grouped by kind, in the API's order within each kind.
    const expected = kinds.flatMap((k) => want.filter((h) => h.kind === k).map((h) => ({ kind: h.kind, href: href(h) })));
    assert.deepEqual(shown, expected, `the dropdown for ${q(text)} shows the API's hits, grouped by kind`);
    return { shown, want };
  };

  await page.goto(`${baseURL}/`);
  await byTestId("search-input").waitFor();

  await step("a name: the dropdown lists the API's hits, grouped by kind", async () => {
    const { want } = await search("mnist");
    assert.ok(want.length > 0, "mnist finds something");
    assert.ok(want.some((h) => h.kind === "project" && h.entity === "admin" && h.project === "mnist"), "the project admin/mnist");
    const groups = await page.locator('[data-testid="search-results"] .search-group').evaluateAll((els) => els.map((e) => e.dataset.kind));
    assert.deepEqual(groups, kinds.filter((k) => want.some((h) => h.kind === k)), "one group per kind, in order");
    await shot("search-dropdown.png");
    await page.keyboard.press("Escape");
    await byTestId("search-results").waitFor({ state: "detached" });
  });

  await step("a digest prefix finds the version; Enter opens it", async () => {
    const cols = await api("/projects/admin/mnist/artifacts");
    const col = cols[0];
    const versions = await api(`/projects/admin/mnist/artifacts/${enc(col.name)}/versions`);
    const v = versions[0];
    const hex = v.digest.replace(/^sha256:/, "");
    const { want } = await search(hex.slice(0, 8));
    const hit = want.find((h) => h.kind === "version" && h.field === "digest" && h.digest === v.digest);
    assert.ok(hit, `the digest prefix ${hex.slice(0, 8)} finds ${col.name}:v${v.index ?? v.version}`);
    // Only the version hits of that digest (and none of another).
    for (const h of want.filter((h) => h.field === "digest")) assert.ok(h.digest.startsWith(`sha256:${hex.slice(0, 8)}`));
    // Select it (it is the first version hit) and press Enter.
    const shown = await byTestId("search-hit").evaluateAll((els) => els.map((e) => e.dataset.href));
    const at = shown.indexOf(href(hit));
    for (let i = 0; i < at; i++) await page.keyboard.press("ArrowDown");
    await shot("search-digest.png");
    await page.keyboard.press("Enter");
    await waitPath(href(hit));
    assert.equal(await byTestId("search-input").inputValue(), "", "the box is cleared after opening a hit");
  });

  await step("a run name: arrows move the selection, Enter opens the run, Esc closes", async () => {
    const runs = await api("/projects/admin/mnist/runs");
    const run = runs[runs.length - 1];
    const { shown, want } = await search(run.name);
    const i = shown.findIndex((s) => s.href === href({ kind: "run", entity: "admin", project: "mnist", run_id: run.id }));
    assert.ok(i >= 0, `the run ${run.name} (${run.id}) is found: ${JSON.stringify(want)}`);
    const selected = async () => page.locator('[data-testid="search-hit"][aria-selected="true"]').getAttribute("data-href");
    assert.equal(await selected(), shown[0].href, "the first hit is selected");
    for (let k = 0; k < i; k++) await page.keyboard.press("ArrowDown");
    assert.equal(await selected(), shown[i].href, "ArrowDown moves to the run");
    if (shown.length > 1) {
      await page.keyboard.press("ArrowUp");
      await page.keyboard.press("ArrowDown");
      assert.equal(await selected(), shown[i].href, "ArrowUp then ArrowDown comes back");
    }
    await page.keyboard.press("Enter");
    await waitPath(href(want.find((h) => h.kind === "run" && h.run_id === run.id)));
    // By id too.
    await search(run.id);
    await page.keyboard.press("Escape");
    await byTestId("search-results").waitFor({ state: "detached" });
    assert.equal(new URL(page.url()).pathname, `/admin/mnist/runs/${enc(run.id)}`, "Esc navigates nowhere");
  });

  await step("nothing found says so", async () => {
    const { want } = await search("no-such-thing-anywhere");
    assert.equal(want.length, 0);
    assert.match(await byTestId("search-results").innerText(), /Nothing found/);
    await page.keyboard.press("Escape");
  });

  await step("the projects page lists every project the user may read, with visibility and counts", async () => {
    // Two projects of another entity, one private, one public (the site admin may write anywhere).
    await send("POST", "/projects/e2e-lab/search-shared/runs", { job_type: "e2e" });
    await send("POST", "/projects/e2e-lab/search-public/runs", { job_type: "e2e" });
    await send("PUT", "/projects/e2e-lab/search-public/visibility", { public: true });
    await page.goto(`${baseURL}/`);
    await byTestId("public-projects").waitFor();
    const section = (id) => page.locator(`[data-testid=${q(id)}] li.project-card`).evaluateAll((els) => els.map((e) => `${e.dataset.entity}/${e.dataset.project}`));
    assert.ok((await section("public-projects")).includes("e2e-lab/search-public"), "the public project is under Public projects");
    assert.ok((await section("shared-projects")).includes("e2e-lab/search-shared"), "the other private project is under Other projects (site admin)");
    assert.ok(!(await section("shared-projects")).includes("e2e-lab/search-public"));
    const want = await api("/projects");
    await page.locator("[data-testid=project-link], [data-testid=other-project-link]").first().waitFor();
    const cards = await page.locator("li.project-card").evaluateAll((els) =>
      els.map((e) => ({ entity: e.dataset.entity, name: e.dataset.project, counts: e.querySelector('[data-testid="project-counts"]').textContent, pub: /public/.test(e.querySelector("a").textContent) })),
    );
    const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
    assert.deepEqual(
      [...cards].sort((a, b) => `${a.entity}/${a.name}`.localeCompare(`${b.entity}/${b.name}`)),
      [...want]
        .map((p) => ({ entity: p.entity, name: p.name, counts: `${plural(p.artifacts, "collection")} · ${plural(p.runs, "run")}`, pub: p.public }))
        .sort((a, b) => `${a.entity}/${a.name}`.localeCompare(`${b.entity}/${b.name}`)),
      "one card per readable project, its counts and visibility as the API says",
    );
    await shot("projects-readable.png");
  });
}
