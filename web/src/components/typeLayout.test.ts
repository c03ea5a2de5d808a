import { describe, expect, test } from "vitest";
import type { LineageEdge, TypeGraphNode } from "../api";
import { edgeKey, layoutTypes } from "./typeLayout";

const a = (name: string, count = 1): TypeGraphNode => ({ id: `artifact_type:${name}`, kind: "artifact_type", name, count });
const j = (name: string, count = 1): TypeGraphNode => ({ id: `job_type:${name}`, kind: "job_type", name, count });
const ed = (from: TypeGraphNode, to: TypeGraphNode): LineageEdge => ({ from: from.id, to: to.id });

describe("layoutTypes", () => {
  test("the mnist chain: preprocess → dataset → train_model → model → evaluate", () => {
    const [pre, ds, train, model, ev] = [j("preprocess"), a("dataset"), j("train_model"), a("model"), j("evaluate")];
    const l = layoutTypes([ev, model, train, ds, pre], [ed(pre, ds), ed(ds, train), ed(train, model), ed(model, ev)]);
    const level = Object.fromEntries(l.placed.map((p) => [p.node.name, p.level]));
    expect(level).toEqual({ preprocess: 0, dataset: 1, train_model: 2, model: 3, evaluate: 4 });
    expect(l.levels).toBe(5);
    expect(l.maxPerLevel).toBe(1);
    expect(l.backEdges.size).toBe(0);
  });

  test("longest path, not shortest: a shortcut edge still points right", () => {
    // dataset → train → model, and dataset → evaluate, model → evaluate.
    const [ds, train, model, ev] = [a("dataset"), j("train"), a("model"), j("evaluate")];
    const edges = [ed(ds, train), ed(train, model), ed(model, ev), ed(ds, ev)];
    const l = layoutTypes([ds, train, model, ev], edges);
    const x = new Map(l.placed.map((p) => [p.node.id, p.x]));
    for (const e of edges) expect(x.get(e.from)!).toBeLessThan(x.get(e.to)!);
    expect(l.placed.find((p) => p.node.name === "evaluate")!.level).toBe(3);
  });

  test("a cycle does not hang; only its closing edge points left", () => {
    const [ds, transform, train, model] = [a("dataset"), j("transform"), j("train"), a("model")];
    const edges = [ed(ds, transform), ed(transform, ds), ed(ds, train), ed(train, model)];
    const l = layoutTypes([ds, transform, train, model], edges);
    expect(l.backEdges.size).toBe(1);
    const x = new Map(l.placed.map((p) => [p.node.id, p.x]));
    for (const e of edges) {
      if (l.backEdges.has(edgeKey(e))) expect(x.get(e.from)!).toBeGreaterThanOrEqual(x.get(e.to)!);
      else expect(x.get(e.from)!).toBeLessThan(x.get(e.to)!);
    }
  });

  test("nodes of one level are spread and centred; edges to unknown nodes are ignored", () => {
    const [ds, t1, t2, t3] = [a("dataset"), j("a"), j("b"), j("c")];
    const l = layoutTypes([ds, t1, t2, t3], [ed(ds, t1), ed(ds, t2), ed(ds, t3), { from: ds.id, to: "job_type:ghost" }]);
    const ys = l.placed.filter((p) => p.level === 1).map((p) => p.y).sort((x, y) => x - y);
    expect(ys).toEqual([-96, 0, 96]);
    expect(l.maxPerLevel).toBe(3);
  });

  test("empty graph", () => {
    expect(layoutTypes([], [])).toEqual({ placed: [], backEdges: new Set(), levels: 0, maxPerLevel: 0 });
  });
});
