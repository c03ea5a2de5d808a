// End-to-end scenarios of the registry pages, run by run.mjs in a real
// Chromium against a real `trove server --demo`, which links
// admin/zoo/zoo-ylbchv20:v0 into registry model, collection
// Zoo_Classifier_Models, with the protected alias production. The page is
// signed in; every value on screen is compared with the API's answer,
// fetched by the page itself with its session cookie.
//
//   /registries                 the top navigation's entry; every registry's row
//   /registries/model           its collections
//   collection and link v0      crumbs "Registries / model / …", Source, the lock on production
//   Lineage of the link         the source's graph, centred on the source, every node of the chain
//   the source version          "Linked in" lists the link and goes back to it
//   /registry/model             the registry's page too

const REGISTRY = "model";
const COLLECTION = "Zoo_Classifier_Models";
const SOURCE = "admin/zoo/zoo-ylbchv20:v0";

export async function registryScenarios({ page, baseURL, shot, assert }) {
  const q = (s) => JSON.stringify(s); // a CSS attribute value, quoted
  const byTestId = (id) => page.locator(`[data-testid=${q(id)}]`);
  const enc = encodeURIComponent;

  /** GET /api/v1<path> from the page (its session cookie). */
  const api = (path) =>
    page.evaluate(async (p) => {
      const res = await fetch(`/api/v1${p}`, { headers: { Accept: "application/json" } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /api/v1${p}: HTTP ${res.status}: ${text}`);
      return JSON.parse(text);
    }, path);
  const versionAPI = (e, p, n, v) => `/projects/${enc(e)}/${enc(p)}/artifacts/${enc(n)}/versions/${enc(v)}`;

  const step = async (name, fn) => {
    const t0 = Date.now();
    await fn();
    console.log(`ok - registry: ${name} (${Date.now() - t0} ms)`);
  };
  const waitPath = (want) => page.waitForURL((u) => u.pathname === want, { timeout: 10_000 });
  const crumbs = async () => (await page.locator(".crumbs li").allInnerTexts()).map((s) => s.trim());
  const ref = (v) => `${v.entity}/${v.project}/${v.name}:v${v.index}`;

  await step("the top navigation opens /registries, one row per registry of the API", async () => {
    await page.goto(`${baseURL}/`);
    await byTestId("topnav-registries").click();
    await waitPath("/registries");
    await byTestId("registries-table").waitFor();
    const want = await api("/registries");
    assert.ok(want.some((r) => r.name === REGISTRY), `the demo has registry ${REGISTRY}: ${JSON.stringify(want)}`);
    const rows = await page.$$eval("[data-registry]", (els) =>
      els.map((el) => ({
        name: el.dataset.registry,
        link: el.querySelector('[data-testid="registry-link"]')?.getAttribute("href"),
        types: el.querySelector('[data-testid="registry-types"]')?.getAttribute("data-value"),
        typesText: el.querySelector('[data-testid="registry-types"]')?.textContent ?? "",
        protected: el.querySelector('[data-testid="registry-protected"]')?.getAttribute("data-value"),
        locks: el.querySelectorAll('[data-testid="registry-protected"] .alias-protected svg').length,
        count: el.querySelector('[data-testid="registry-count"]')?.textContent?.trim(),
        created: el.querySelector('[data-testid="registry-created"]')?.textContent?.trim(),
      })),
    );
    assert.deepEqual(rows.map((r) => r.name), want.map((r) => r.name).sort(), "one row per registry, by name");
    for (const r of want) {
      const row = rows.find((x) => x.name === r.name);
      assert.equal(row.link, `/registries/${enc(r.name)}`, `${r.name}: its link`);
      assert.equal(row.types, (r.types ?? []).join(","), `${r.name}: accepted types`);
      for (const t of r.types ?? []) assert.ok(row.typesText.includes(t), `${r.name}: type ${t} shown`);
      assert.equal(row.protected, (r.protected_aliases ?? []).join(","), `${r.name}: protected aliases`);
      assert.equal(row.locks, (r.protected_aliases ?? []).length, `${r.name}: a lock per protected alias`);
      assert.equal(row.count, String(r.collection_count), `${r.name}: number of collections`);
      // The built-in registries are created by the migration at the Unix epoch.
      if (Date.parse(r.created_at) === 0) assert.equal(row.created, "Built in", `${r.name}: created`);
      else assert.match(row.created, /ago|just now/, `${r.name}: created ${row.created}`);
    }
    assert.match((await byTestId("topnav-registries").getAttribute("class")) ?? "", /\bactive\b/, "Registries is the active entry");
    assert.doesNotMatch((await byTestId("topnav-projects").getAttribute("class")) ?? "", /\bactive\b/);
    assert.deepEqual(await crumbs(), ["Registries"]);
    await shot("registries.png");
  });

  await step(`registry ${REGISTRY}: its collections, as the API lists them`, async () => {
    await page.locator(`[data-registry=${q(REGISTRY)}] [data-testid="registry-link"]`).click();
    await waitPath(`/registries/${REGISTRY}`);
    await byTestId("registry-collections").waitFor();
    const want = await api(`/projects/registry/${REGISTRY}/artifacts`);
    const rows = await page.$$eval("[data-collection]", (els) =>
      els.map((el) => ({
        name: el.dataset.collection,
        href: el.querySelector('[data-testid="collection-link"]')?.getAttribute("href"),
        count: el.querySelector('[data-testid="collection-count"]')?.textContent?.trim(),
        latest: el.querySelector('[data-testid="latest-link"]')?.textContent?.trim() ?? "",
      })),
    );
    assert.deepEqual(rows.map((r) => r.name), want.map((c) => c.name).sort());
    assert.ok(rows.some((r) => r.name === COLLECTION), `collection ${COLLECTION} listed`);
    for (const c of want) {
      const row = rows.find((r) => r.name === c.name);
      assert.equal(row.href, `/registry/${REGISTRY}/artifacts/${enc(c.type)}/${enc(c.name)}`, `${c.name}: link`);
      assert.equal(row.count, String(c.version_count), `${c.name}: versions`);
      assert.equal(row.latest, c.latest, `${c.name}: latest`);
    }
    assert.deepEqual(await crumbs(), ["Registries", REGISTRY]);
    const summary = await byTestId("registry-summary").innerText();
    const reg = (await api("/registries")).find((r) => r.name === REGISTRY);
    for (const t of reg.types ?? []) assert.ok(summary.includes(t), `summary shows type ${t}: ${summary}`);
    for (const a of reg.protected_aliases ?? []) assert.ok(summary.includes(a), `summary shows protected ${a}: ${summary}`);
    await shot("registry.png");
  });

  let versions;
  await step(`collection ${COLLECTION}: crumbs, versions, sources, protected aliases`, async () => {
    await page.locator(`[data-collection=${q(COLLECTION)}] [data-testid="collection-link"]`).click();
    await waitPath(`/registry/${REGISTRY}/artifacts/model/${COLLECTION}`);
    await byTestId("versions-table").waitFor();
    assert.deepEqual(await crumbs(), ["Registries", REGISTRY, COLLECTION], 'crumbs "Registries / model / collection", not "registry / model"');
    await byTestId("registry-bar").waitFor();
    versions = await api(`/projects/registry/${REGISTRY}/artifacts/${COLLECTION}/versions`);
    const v0 = versions.find((v) => v.index === 0);
    assert.ok(v0, "the link v0 exists");
    assert.equal(v0.source, SOURCE, "the demo's link has the contract's source");
    const prot = (await api("/registries")).find((r) => r.name === REGISTRY).protected_aliases ?? [];
    assert.ok(v0.aliases.includes("production") && prot.includes("production"), `v0 carries the protected alias production: ${JSON.stringify(v0.aliases)}`);
    for (const v of versions) {
      const row = page.locator(`tr[data-version="v${v.index}"]`);
      assert.equal(await row.locator('[data-testid="version-source"]').getAttribute("data-value"), v.source ?? "", `v${v.index}: source`);
      if (v.source) {
        const [, e, p, n, ver] = /^([^/]+)\/([^/]+)\/([^:]+):(.+)$/.exec(v.source);
        assert.equal(await row.locator('[data-testid="source-link"]').getAttribute("href"), `/${e}/${p}/artifacts/${enc(v.type)}/${enc(n)}/${ver}`);
      }
      const locked = (await row.locator('[data-testid="alias-protected"]').evaluateAll((els) => els.map((e) => e.dataset.alias))).sort();
      assert.deepEqual(locked, v.aliases.filter((a) => prot.includes(a)).sort(), `v${v.index}: the protected aliases carry a lock`);
      for (const a of v.aliases) assert.equal(await row.locator(`[data-alias=${q(a)}]`).count(), 1, `v${v.index}: alias ${a} shown once`);
    }
    await shot("registry-collection.png");
  });

  await step("the link v0: Source links to the source version, production locked", async () => {
    await page.locator('tr[data-version="v0"] [data-testid="version-link"]').click();
    await waitPath(`/registry/${REGISTRY}/artifacts/model/${COLLECTION}/v0`);
    const src = byTestId("field-source");
    await src.waitFor();
    assert.equal(await src.getAttribute("data-value"), SOURCE);
    assert.equal((await src.innerText()).trim(), SOURCE);
    assert.equal(await src.locator("a").getAttribute("href"), "/admin/zoo/artifacts/model/zoo-ylbchv20/v0");
    assert.equal((await byTestId("version-source-line").innerText()).replace(/\s+/g, " ").trim(), `Linked from ${SOURCE}`);
    assert.deepEqual(await crumbs(), ["Registries", REGISTRY, COLLECTION, "v0"]);
    const lock = byTestId("field-aliases").locator('[data-testid="alias-protected"][data-alias="production"]');
    await lock.first().waitFor({ timeout: 10000 }).catch(() => {}); // the registries may answer after the version
    assert.equal(await lock.count(), 1, "production locked");
    assert.equal(await byTestId("field-linked_in").count(), 0, "a link lists no links of its own");
    assert.equal((await byTestId("version-full-name").innerText()).trim(), `registry/${REGISTRY}/${COLLECTION}:v0`);
    await shot("registry-version.png");
  });

  await step("Lineage of the link: the source's graph, centred on the source, the whole chain", async () => {
    await byTestId("tab-lineage").click();
    await waitPath(`/registry/${REGISTRY}/artifacts/model/${COLLECTION}/v0/lineage`);
    await page.waitForFunction(() => document.querySelector('[data-testid="lineage"]')?.dataset.ready === "true", null, { timeout: 20_000 });
    const want = await api(`${versionAPI("registry", REGISTRY, COLLECTION, "v0")}/lineage?direction=both&depth=0`);
    const sourceID = `artifact:${SOURCE}`;
    assert.ok(want.nodes.some((n) => n.id === sourceID), "the link's lineage holds its source");
    const shown = await page.$$eval('[data-testid="lineage-node"], [data-testid="cluster-member"]', (els) => els.map((e) => e.dataset.nodeId));
    assert.deepEqual([...new Set(shown)].sort(), want.nodes.map((n) => n.id).sort(), "every node of the API's lineage is on screen (plain or in a cluster)");
    const focus = await page.$$eval('[data-testid="lineage-node"][data-focus="true"]', (els) => els.map((e) => e.dataset.nodeId));
    assert.deepEqual(focus, [sourceID], "the focus is the source");
    // The demo's chain: dataset → split runs → split → train → the source → eval → its result.
    for (const id of ["artifact:admin/zoo/zoo_dataset:v0", "artifact:admin/zoo/split_zoo_dataset:v4", sourceID, "artifact:admin/zoo/zoo-eval:v0"]) {
      assert.ok(shown.includes(id), `chain node ${id} on screen`);
    }
    const note = byTestId("lineage-source-note");
    assert.match(await note.innerText(), new RegExp(SOURCE));
    await shot("registry-lineage.png");
  });

  await step("the source version lists the link under Linked in, which leads back", async () => {
    await byTestId("lineage-source-link").click();
    await waitPath("/admin/zoo/artifacts/model/zoo-ylbchv20/v0");
    const want = await api(`${versionAPI("admin", "zoo", "zoo-ylbchv20", "v0")}/links`);
    assert.ok(want.some((v) => ref(v) === `registry/${REGISTRY}/${COLLECTION}:v0`), `the API lists the link: ${JSON.stringify(want.map(ref))}`);
    const f = byTestId("field-linked_in");
    await page.waitForFunction(() => document.querySelector('[data-testid="field-linked_in"]')?.hasAttribute("data-value"));
    assert.equal(await f.getAttribute("data-value"), want.map(ref).join(","));
    const texts = (await f.locator('[data-testid="linked-in-link"]').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(texts, want.map(ref));
    // Which aliases are protected comes with the registries, a request of
    // its own that may answer after the links: wait for the lock.
    const locked = f.locator('[data-alias="production"][data-testid="alias-protected"]');
    await locked.first().waitFor({ timeout: 10000 }).catch(() => {});
    assert.equal(await locked.count(), 1, "production locked here too");
    assert.equal(await byTestId("field-source").count(), 0, "an ordinary version has no Source");
    assert.match((await byTestId("topnav-projects").getAttribute("class")) ?? "", /\bactive\b/);
    await shot("registry-linked-in.png");
    await f.locator('[data-testid="linked-in-link"]', { hasText: `registry/${REGISTRY}/${COLLECTION}:v0` }).click();
    await waitPath(`/registry/${REGISTRY}/artifacts/model/${COLLECTION}/v0`);
    await byTestId("field-source").waitFor();
  });

  await step("/registry/model is the registry's page too; an unknown registry says so", async () => {
    await page.goto(`${baseURL}/registry/${REGISTRY}`);
    await byTestId("registry-collections").waitFor();
    assert.deepEqual(await crumbs(), ["Registries", REGISTRY]);
    await page.goto(`${baseURL}/registries/no-such-registry`);
    await byTestId("error").waitFor();
    assert.match(await byTestId("error").innerText(), /no registry named/i);
    await shot("registry-unknown.png");
  });
}
