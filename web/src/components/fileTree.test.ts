import { describe, expect, test } from "vitest";
import type { Entry } from "../api";
import { buildTree, filterEntries, flatten, initialOpen } from "./fileTree";

const e = (path: string, size = 1): Entry => ({ path, size, digest: `sha256:${path.length.toString(16).padStart(64, "0")}` });

const names = (rows: ReturnType<typeof flatten>) => rows.map((r) => `${"  ".repeat(r.depth)}${r.node.name}${r.node.kind === "dir" ? "/" : ""}`);

describe("buildTree", () => {
  const entries = [e("README.md", 10), e("data/test.csv", 5), e("data/train.csv", 7), e("data/img/a.png", 3), e("model.h5", 100)];
  const root = buildTree(entries);

  test("folders first, then files, by name; sizes and counts add up", () => {
    expect(root.files).toBe(5);
    expect(root.size).toBe(125);
    expect(names(flatten(root, "all"))).toEqual(["data/", "  img/", "    a.png", "  test.csv", "  train.csv", "README.md", "model.h5"]);
    const data = root.children[0];
    expect(data.kind === "dir" && [data.path, data.files, data.size]).toEqual(["data", 3, 15]);
  });

  test("closed folders hide their children", () => {
    expect(names(flatten(root, new Set()))).toEqual(["data/", "README.md", "model.h5"]);
    expect(names(flatten(root, new Set(["data"])))).toEqual(["data/", "  img/", "  test.csv", "  train.csv", "README.md", "model.h5"]);
    // An open folder inside a closed one stays hidden.
    expect(names(flatten(root, new Set(["data/img"])))).toEqual(["data/", "README.md", "model.h5"]);
  });

  test("file rows keep their entry and full path", () => {
    const rows = flatten(root, "all");
    const png = rows.find((r) => r.node.name === "a.png")!.node;
    expect(png.kind).toBe("file");
    expect(png.path).toBe("data/img/a.png");
    expect(png.kind === "file" && png.entry.size).toBe(3);
  });

  test("empty manifest", () => {
    const r = buildTree([]);
    expect(r.files).toBe(0);
    expect(flatten(r, "all")).toEqual([]);
  });
});

describe("filterEntries", () => {
  const entries = [e("data/Train.csv"), e("data/test.csv"), { ...e("remote/x"), ref: "s3://bucket/train-2.csv" }];
  test("case-insensitive substring of path or reference", () => {
    expect(filterEntries(entries, "TRAIN").map((x) => x.path)).toEqual(["data/Train.csv", "remote/x"]);
    expect(filterEntries(entries, "  ").length).toBe(3);
    expect(filterEntries(entries, "nothing")).toEqual([]);
  });
});

describe("initialOpen", () => {
  test("a small tree opens every folder", () => {
    const root = buildTree([e("a/b/c.txt"), e("a/d.txt"), e("x/y.txt")]);
    expect([...initialOpen(root)].sort()).toEqual(["a", "a/b", "x"]);
  });
  test("a big tree opens only the chain of lone folders", () => {
    const entries = Array.from({ length: 300 }, (_, i) => e(`data/images/${String(i).padStart(3, "0")}/img.png`));
    const root = buildTree(entries);
    expect([...initialOpen(root)]).toEqual(["data", "data/images"]);
  });
});

describe("scale", () => {
  test("100,000 entries: build, flatten the open rows, filter", () => {
    const entries: Entry[] = [];
    for (let d = 0; d < 100; d++) for (let f = 0; f < 1000; f++) entries.push(e(`shard-${String(d).padStart(3, "0")}/part/${String(f).padStart(4, "0")}.bin`, 10));
    const t0 = performance.now();
    const root = buildTree(entries);
    const t1 = performance.now();
    const closed = flatten(root, initialOpen(root));
    const t2 = performance.now();
    const all = flatten(root, "all");
    const t3 = performance.now();
    const hits = filterEntries(entries, "0999.bin");
    const t4 = performance.now();
    expect(root.files).toBe(100_000);
    expect(root.size).toBe(1_000_000);
    expect(closed.length).toBe(100); // only the shard folders
    expect(all.length).toBe(100_000 + 200); // files + shard and part folders
    expect(hits.length).toBe(100);
    console.log(`100k entries: build ${(t1 - t0).toFixed(0)} ms, flatten closed ${(t2 - t1).toFixed(1)} ms, flatten all ${(t3 - t2).toFixed(0)} ms, filter ${(t4 - t3).toFixed(0)} ms`);
  });
});
