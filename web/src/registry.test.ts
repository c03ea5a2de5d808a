import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "./api";
import { artifactNodeID, isBuiltIn, isRegistryEntity, markAliases, parseVersionRef, versionRef } from "./registry";

describe("parseVersionRef", () => {
  test.each([
    ["admin/zoo/zoo-ylbchv20:v0", { entity: "admin", project: "zoo", name: "zoo-ylbchv20", version: "v0" }],
    ["team/p.1/My_Model-2.b:v12", { entity: "team", project: "p.1", name: "My_Model-2.b", version: "v12" }],
    ["registry/model/Zoo_Classifier_Models:production", { entity: "registry", project: "model", name: "Zoo_Classifier_Models", version: "production" }],
  ])("%s", (ref, want) => {
    expect(parseVersionRef(ref)).toEqual(want);
  });

  test.each([[""], [null], [undefined], ["zoo-ylbchv20:v0"], ["zoo/zoo-ylbchv20:v0"], ["admin/zoo/zoo-ylbchv20"], ["admin/zoo/a/b:v0"], ["admin/zoo/x:"], ["/zoo/x:v0"], ["admin/zoo/x:v0:v1"]])(
    "%s → null",
    (ref) => {
      expect(parseVersionRef(ref)).toBeNull();
    },
  );

  test("round trip with versionRef and the lineage node id", () => {
    const v = { entity: "registry", project: "model", name: "Zoo_Classifier_Models", index: 3 };
    const ref = versionRef(v);
    expect(ref).toBe("registry/model/Zoo_Classifier_Models:v3");
    const parsed = parseVersionRef(ref);
    expect(parsed).toEqual({ entity: "registry", project: "model", name: "Zoo_Classifier_Models", version: "v3" });
    expect(artifactNodeID(parsed!)).toBe("artifact:registry/model/Zoo_Classifier_Models:v3");
  });
});

test("isRegistryEntity", () => {
  expect(isRegistryEntity("registry")).toBe(true);
  expect(isRegistryEntity("admin")).toBe(false);
  expect(isRegistryEntity("registries")).toBe(false);
  expect(isRegistryEntity("Registry")).toBe(false);
});

test("isBuiltIn: created at the Unix epoch (by the migration)", () => {
  expect(isBuiltIn("1970-01-01T00:00:00Z")).toBe(true);
  expect(isBuiltIn("1970-01-01T00:00:00.000Z")).toBe(true);
  expect(isBuiltIn("1970-01-01T00:00:01Z")).toBe(false);
  expect(isBuiltIn("2026-11-26T03:05:14.379996Z")).toBe(false);
  expect(isBuiltIn("0001-01-01T00:00:00Z")).toBe(false);
  expect(isBuiltIn("")).toBe(false);
  expect(isBuiltIn(undefined)).toBe(false);
  expect(isBuiltIn("not a date")).toBe(false);
});

describe("markAliases", () => {
  test("protected first, each group in its given order", () => {
    expect(markAliases(["latest", "staging", "production", "best"], ["production", "best"])).toEqual([
      { alias: "production", protected: true },
      { alias: "best", protected: true },
      { alias: "latest", protected: false },
      { alias: "staging", protected: false },
    ]);
  });
  test("no protected aliases keeps the order", () => {
    expect(markAliases(["latest", "a", "b"], undefined).map((a) => a.alias)).toEqual(["latest", "a", "b"]);
    expect(markAliases(["b", "a"], []).every((a) => !a.protected)).toBe(true);
  });
  test("none", () => {
    expect(markAliases(null, ["production"])).toEqual([]);
    expect(markAliases([], ["production"])).toEqual([]);
  });
  test("a protected alias the version does not carry is not shown", () => {
    expect(markAliases(["latest"], ["production"])).toEqual([{ alias: "latest", protected: false }]);
  });
});

describe("api: registries and links (fetch mocked)", () => {
  const calls: string[] = [];
  const answer = (body: unknown, status = 200) =>
    vi.fn(async (url: string) => {
      calls.push(url);
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    });
  afterEach(() => {
    vi.unstubAllGlobals();
    calls.length = 0;
  });

  test("registries: GET /api/v1/registries, null lists become empty", async () => {
    vi.stubGlobal(
      "fetch",
      answer([
        { name: "model", types: ["model"], protected_aliases: ["production"], collection_count: 1, created_at: "2026-11-26T00:00:00Z" },
        { name: "dataset", types: null, protected_aliases: null, collection_count: 0, created_at: "2026-11-26T00:00:00Z" },
      ]),
    );
    const regs = await api.registries();
    expect(calls).toEqual(["/api/v1/registries"]);
    expect(regs[0]).toEqual({ name: "model", types: ["model"], protected_aliases: ["production"], collection_count: 1, created_at: "2026-11-26T00:00:00Z" });
    expect(regs[1].types).toEqual([]);
    expect(regs[1].protected_aliases).toEqual([]);
  });

  test("registries: a null answer is no registries", async () => {
    vi.stubGlobal("fetch", answer(null));
    expect(await api.registries()).toEqual([]);
  });

  test("versionLinks: the path is escaped; null is []", async () => {
    vi.stubGlobal("fetch", answer(null));
    expect(await api.versionLinks("admin", "zoo", "a b/c", "v0")).toEqual([]);
    expect(calls).toEqual(["/api/v1/projects/admin/zoo/artifacts/a%20b%2Fc/versions/v0/links"]);
  });

  test("versionLinks: an error is thrown with the server's message", async () => {
    vi.stubGlobal("fetch", answer({ error: { code: "not_found", message: "no version v9" } }, 404));
    await expect(api.versionLinks("admin", "zoo", "x", "v9")).rejects.toMatchObject({ status: 404, code: "not_found", message: "no version v9" });
  });
});
