// End-to-end scenarios of downloads, run by run.mjs in a real Chromium
// against a real `trove server --demo`. A version of its own is logged
// through the API (admin/e2e-download/dl_files:v0: stored files with awkward
// names, an HTML file, a binary one, and a reference entry pinned by ETag);
// then, in the page:
//
//   Files tab         a download link per stored file; the downloaded bytes
//                     equal the API's blob, under the entry's base name
//   a reference       shows its URI, its pinned ETag and the CLI line; the
//                     server refuses to fetch it (409 naming the URI)
//   Download all      the .tar unpacks (tar(1)) to exactly the manifest's
//                     stored files, and lists the reference in REFERENCES.json;
//                     the .zip is a zip of the same size class
//   Use this version  the exact CLI, Go and Python lines

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const ENTITY = "admin";
const PROJECT = "e2e-download";
const NAME = "dl_files";
const REF_URI = "https://example.invalid/never-fetched/labels.parquet";

const sha256 = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export async function downloadScenarios({ page, baseURL, apiKey, shot, shotsDir, assert }) {
  const q = (s) => JSON.stringify(s);
  const byTestId = (id) => page.locator(`[data-testid=${q(id)}]`);
  const enc = encodeURIComponent;
  const versionAPI = `/projects/${ENTITY}/${PROJECT}/artifacts/${NAME}/versions/v0`;
  const fullName = `${ENTITY}/${PROJECT}/${NAME}:v0`;

  /** A request with the bearer key: the truth the page is compared with. */
  const apiRaw = async (method, path, body, headers = {}) => {
    const res = await fetch(`${baseURL}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${apiKey}`, ...headers }, body });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const apiJSON = async (method, path, body) => {
    const r = await apiRaw(method, path, body, body ? { "Content-Type": "application/json" } : {});
    assert.ok(r.status < 300, `${method} ${path}: HTTP ${r.status}: ${r.bytes}`);
    return r.bytes.length ? JSON.parse(r.bytes.toString()) : null;
  };
  const step = async (name, fn) => {
    const t0 = Date.now();
    await fn();
    console.log(`ok - download: ${name} (${Date.now() - t0} ms)`);
  };

  const files = {
    "README.md": "# dl_files\nthe e2e download version\n",
    "page.html": "<script>window.pwned = 1</script>",
    "data/weights.bin": Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256)),
    "data/naïve name (1).txt": "unicode and spaces\n",
  };

  await step("log a version with stored files and a reference through the API", async () => {
    const manifest = [];
    for (const [path, content] of Object.entries(files)) {
      const b = Buffer.from(content);
      const d = sha256(b);
      const put = await apiRaw("PUT", `/blobs/${d}`, b);
      assert.ok(put.status === 204 || put.status === 200, `PUT blob ${path}: ${put.status} ${put.bytes}`);
      manifest.push({ path, digest: d, size: b.length });
    }
    manifest.push({ path: "remote/labels.parquet", digest: sha256(REF_URI), size: 4242, ref: REF_URI, extra: { etag: '"e2e-etag-1"' } });
    await apiJSON("POST", `/projects/${ENTITY}/${PROJECT}/artifacts/${NAME}/versions`, JSON.stringify({ type: "dataset", manifest }));
  });

  await step("Files tab: Download all, the Use box, a download link per stored file", async () => {
    await page.goto(`${baseURL}/${ENTITY}/${PROJECT}/artifacts/dataset/${NAME}/v0/files`);
    await byTestId("file-tree").waitFor();
    await page.locator('[data-testid="file-row"][data-path="data/weights.bin"]').waitFor();
    for (const f of ["tar", "zip"]) {
      const href = await byTestId(`download-all-${f}`).getAttribute("href");
      assert.equal(href, `/api/v1${versionAPI}/archive?format=${f}`);
    }
    assert.equal(await byTestId("use-cli").innerText(), `trove artifact get ${fullName}`);
    assert.match(await byTestId("use-go").innerText(), new RegExp(`c\\.Artifact\\(ctx, "${fullName}"\\)[\\s\\S]*v\\.Download\\(ctx\\)`));
    assert.match(await byTestId("use-python").innerText(), new RegExp(`trove\\.Api\\(\\)\\.artifact\\("${fullName}"\\)\\.download\\(\\)`));
    // Every stored file has a link; the reference has none.
    const manifest = await apiJSON("GET", `${versionAPI}/manifest`);
    for (const e of manifest) {
      const row = page.locator(`[data-testid="file-row"][data-path=${q(e.path)}]`);
      if (e.ref) continue; // checked below
      await row.waitFor();
      const link = row.locator('[data-testid="file-download"]');
      assert.equal(await link.count(), 1, `${e.path} has a download link`);
      assert.equal(await link.getAttribute("href"), `/api/v1${versionAPI}/file?path=${enc(e.path)}`);
    }
    await shot("download-files.png");
    await byTestId("use-box").screenshot({ path: join(shotsDir, "download-use-box.png") });
    console.log(`    screenshot ${join(shotsDir, "download-use-box.png")}`);
  });

  await step("a file downloads through the page with the API blob's bytes and its base name", async () => {
    const manifest = await apiJSON("GET", `${versionAPI}/manifest`);
    for (const path of ["data/weights.bin", "data/naïve name (1).txt", "page.html"]) {
      const e = manifest.find((x) => x.path === path);
      const [dl] = await Promise.all([
        page.waitForEvent("download"),
        page.locator(`[data-testid="file-row"][data-path=${q(path)}] [data-testid="file-download"]`).click(),
      ]);
      assert.equal(await dl.failure(), null, `${path}: the download failed`);
      const got = await readFile(await dl.path());
      const blob = await apiRaw("GET", `/blobs/${e.digest}`);
      assert.equal(blob.status, 200);
      assert.ok(got.equals(blob.bytes), `${path}: downloaded ${got.length} bytes, the API's blob has ${blob.bytes.length}`);
      assert.equal(sha256(got), e.digest, `${path}: the digest of the downloaded bytes`);
      assert.equal(dl.suggestedFilename(), path.split("/").pop(), `${path}: saved under its base name`);
    }
    // The HTML file was saved, not rendered: the page ran nothing of it.
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(new URL(page.url()).pathname, `/${ENTITY}/${PROJECT}/artifacts/dataset/${NAME}/v0/files`, "the page stays");
  });

  await step("a reference shows its URI, pinned ETag and CLI line; the server never fetches it", async () => {
    const entry = page.locator('[data-testid="reference-entry"][data-path="remote/labels.parquet"]');
    await entry.waitFor();
    assert.equal(await entry.locator('[data-testid="reference-uri"]').innerText(), REF_URI);
    assert.match(await entry.locator('[data-testid="reference-pinned"]').innerText(), /etag "e2e-etag-1"/);
    assert.equal(await entry.locator('[data-testid="reference-cli"]').innerText(), `trove artifact get ${fullName} --path remote/labels.parquet`);
    // A small tree opens every folder.
    assert.equal(await page.locator('[data-testid="folder-row"][data-path="remote"]').getAttribute("aria-expanded"), "true");
    const row = page.locator('[data-testid="file-row"][data-path="remote/labels.parquet"]');
    await row.waitFor();
    assert.equal(await row.locator('[data-testid="file-download"]').count(), 0, "no download link on a reference");
    assert.equal(await row.locator('[data-testid="file-ref"]').innerText(), REF_URI);
    // Asked anyway (with the page's session), the server refuses, naming the URI.
    const res = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, text: await r.text() };
    }, `/api/v1${versionAPI}/file?path=${enc("remote/labels.parquet")}`);
    assert.equal(res.status, 409, `GET file of a reference: ${res.status} ${res.text}`);
    assert.ok(res.text.includes(REF_URI), `the refusal names the URI: ${res.text}`);
    await entry.scrollIntoViewIfNeeded();
    await shot("download-references.png");
  });

  await step("Download all (.tar) unpacks to exactly the version's files", async () => {
    const [dl] = await Promise.all([page.waitForEvent("download"), byTestId("download-all-tar").click()]);
    assert.equal(await dl.failure(), null, "the tar download failed");
    assert.equal(dl.suggestedFilename(), `${NAME}-v0.tar`);
    const dir = await mkdtemp(join(tmpdir(), "trove-e2e-tar-"));
    try {
      execFileSync("tar", ["-xf", await dl.path(), "-C", dir]);
      const got = new Map();
      const walk = async (d) => {
        for (const ent of await readdir(d, { withFileTypes: true })) {
          const p = join(d, ent.name);
          if (ent.isDirectory()) await walk(p);
          else got.set(relative(dir, p), await readFile(p));
        }
      };
      await walk(dir);
      const manifest = await apiJSON("GET", `${versionAPI}/manifest`);
      const want = new Map();
      for (const e of manifest) if (!e.ref) want.set(`${NAME}-v0/${e.path}`, e);
      const refsFile = `${NAME}-v0/REFERENCES.json`;
      assert.deepEqual([...got.keys()].sort(), [...want.keys(), refsFile].sort(), "the tar's files are the manifest's stored files and REFERENCES.json");
      for (const [p, e] of want) {
        assert.equal(sha256(got.get(p)), e.digest, `${p}: digest`);
        assert.equal(got.get(p).length, e.size, `${p}: size`);
      }
      const refs = JSON.parse(got.get(refsFile).toString());
      assert.equal(refs.version, fullName);
      assert.deepEqual(
        refs.references.map((r) => [r.path, r.uri, r.size, r.extra?.etag]),
        [["remote/labels.parquet", REF_URI, 4242, '"e2e-etag-1"']],
      );
      assert.ok((await stat(join(dir, `${NAME}-v0`))).isDirectory());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  await step("Download all (.zip) is a zip of the version", async () => {
    const [dl] = await Promise.all([page.waitForEvent("download"), byTestId("download-all-zip").click()]);
    assert.equal(await dl.failure(), null, "the zip download failed");
    assert.equal(dl.suggestedFilename(), `${NAME}-v0.zip`);
    const b = await readFile(await dl.path());
    assert.equal(b.subarray(0, 4).toString("latin1"), "PK\x03\x04", "a zip's first local header");
    // Stored, not deflated: the archive is at least as big as the files.
    const total = Object.values(files).reduce((n, c) => n + Buffer.from(c).length, 0);
    assert.ok(b.length > total, `zip of ${b.length} bytes for ${total} bytes of files`);
  });
}
