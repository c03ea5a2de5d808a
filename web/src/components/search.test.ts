import { describe, expect, it } from "vitest";
import type { SearchHit } from "../api";
import { hitHref } from "./Search";

const base = { match: "exact", field: "name", entity: "alice", project: "p 1", name: "ds" } as const;

describe("hitHref", () => {
  it("links every kind of hit to its page", () => {
    const cases: [SearchHit, string][] = [
      [{ ...base, kind: "project", name: "p 1" }, "/alice/p%201/artifacts"],
      [{ ...base, kind: "project", entity: "registry", project: "model", name: "model" }, "/registries/model"],
      [{ ...base, kind: "artifact", type: "data set" }, "/alice/p%201/artifacts/data%20set/ds"],
      [{ ...base, kind: "version", type: "dataset", version: 3, field: "digest" }, "/alice/p%201/artifacts/dataset/ds/v3"],
      [{ ...base, kind: "run", name: "train", run_id: "a/b" }, "/alice/p%201/runs/a%2Fb"],
    ];
    for (const [hit, want] of cases) expect(hitHref(hit)).toBe(want);
  });
});
