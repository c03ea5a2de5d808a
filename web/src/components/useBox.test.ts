import { describe, expect, it } from "vitest";
import { downloads } from "../api";
import { getEntryCommand, pinnedVersion, shellQuote, useLines } from "./UseBox";

describe("use lines", () => {
  it("are the exact CLI, Go and Python lines of the version", () => {
    const l = Object.fromEntries(useLines("admin/mnist/model:v3").map((x) => [x.id, x.code]));
    expect(l.cli).toBe("trove artifact get admin/mnist/model:v3");
    expect(l.go).toContain('c.Artifact(ctx, "admin/mnist/model:v3")');
    expect(l.go).toContain("v.Download(ctx)");
    expect(l.python).toContain('trove.Api().artifact("admin/mnist/model:v3").download()');
  });
  it("quote what a shell would split or expand", () => {
    expect(shellQuote("a/b/c:v0")).toBe("a/b/c:v0");
    expect(shellQuote("my file.txt")).toBe("'my file.txt'");
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(getEntryCommand("e/p/n:v1", "data/x y.csv")).toBe("trove artifact get e/p/n:v1 --path 'data/x y.csv'");
  });
  it("show a reference's pinned version", () => {
    expect(pinnedVersion({ path: "a", digest: "d", size: 1, ref: "s3://b/k", extra: { etag: '"e1"', version_id: "v9" } })).toBe('version_id v9 · etag "e1"');
    expect(pinnedVersion({ path: "a", digest: "d", size: 1, ref: "s3://b/k" })).toBe("");
  });
});

describe("download links", () => {
  it("encode every segment and the path", () => {
    expect(downloads.file("e", "p", "n", "v0", "a b/c&d.txt")).toBe("/api/v1/projects/e/p/artifacts/n/versions/v0/file?path=a%20b%2Fc%26d.txt");
    expect(downloads.archive("registry", "model", "M", "v1", "zip")).toBe("/api/v1/projects/registry/model/artifacts/M/versions/v1/archive?format=zip");
  });
});
