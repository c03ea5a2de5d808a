import ELK from "elkjs/lib/elk.bundled.js";
import { describe, expect, test } from "vitest";
import { generations, mnist, zoo } from "./fixtures";
import { crossings, elkLayout, ELK_MAX_NODES, layout, levelLayout, nodeSize, type ElkLike, type Positions } from "./layout";
import { buildModel, initialState, pullOut, setExploded, viewGraph, type ViewGraph } from "./model";

/** Every edge's source ends left of its target's start; nodes of a column do not overlap. */
function checkLayout(g: ViewGraph, pos: Positions) {
  expect(pos.size).toBe(g.nodes.length);
  const byID = new Map(g.nodes.map((n) => [n.id, n] as const));
  for (const e of g.edges) {
    const s = pos.get(e.source)!;
    const t = pos.get(e.target)!;
    expect(s.x + nodeSize(byID.get(e.source)!).width, e.id).toBeLessThan(t.x);
  }
  const byLevel = new Map<number, { y: number; h: number }[]>();
  for (const n of g.nodes) {
    const p = pos.get(n.id)!;
    expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    const col = byLevel.get(n.level) ?? [];
    col.push({ y: p.y, h: nodeSize(n).height });
    byLevel.set(n.level, col);
  }
  for (const col of byLevel.values()) {
    col.sort((a, b) => a.y - b.y);
    for (let i = 1; i < col.length; i++) expect(col[i].y).toBeGreaterThanOrEqual(col[i - 1].y + col[i - 1].h);
  }
}

const graphs = () => {
  const m = mnist();
  const z = zoo();
  const big = generations(10, 100);
  const mid = generations(4, 12, 7);
  const zm = buildModel(z.lineage, z.model.id);
  return {
    mnist: viewGraph(buildModel(m.lineage, m.model.id), initialState),
    zoo: viewGraph(zm, initialState),
    "zoo exploded": viewGraph(zm, setExploded(initialState, true)),
    "generated 97 nodes": viewGraph(buildModel(mid.lineage, mid.focus.id), setExploded(initialState, true)),
    "2,000 clustered": viewGraph(buildModel(big.lineage, big.focus.id), initialState),
    "2,000 exploded": viewGraph(buildModel(big.lineage, big.focus.id), setExploded(initialState, true)),
  };
};

describe("level layout", () => {
  for (const [name, g] of Object.entries(graphs())) {
    test(`${name}: edges point left to right, no overlaps`, () => checkLayout(g, levelLayout(g)));
  }

  test("a chain is a straight line", () => {
    const m = mnist();
    const g = viewGraph(buildModel(m.lineage, m.model.id), initialState);
    const pos = levelLayout(g);
    const ys = new Set(g.nodes.map((n) => pos.get(n.id)!.y));
    expect(ys.size).toBe(1);
    const xs = g.nodes.map((n) => pos.get(n.id)!.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  test("one-to-one edges are straight, even next to a fan", () => {
    const z = zoo();
    const g = viewGraph(buildModel(z.lineage, z.model.id), pullOut(initialState, z.splits[5].id));
    const pos = levelLayout(g);
    const mid = (id: string) => pos.get(id)!.y + nodeSize(g.nodes.find((n) => n.id === id)!).height / 2;
    const line = [z.fetch, z.raw, z.split, z.train, z.model, z.evaluate, z.result].map((n) => mid(n.id));
    expect(new Set(line).size).toBe(1);
    // The cluster and the pulled run sit on either side of that line.
    const c = g.nodes.find((n) => n.kind === "cluster")!;
    expect(Math.sign(mid(c.id) - line[0])).toBe(-Math.sign(mid(z.splits[5].id) - line[0]));
  });

  test("an empty graph", () => {
    expect(levelLayout({ nodes: [], edges: [] }).size).toBe(0);
  });
});

describe("elk layout", () => {
  const elk = new ELK();
  const g = graphs();
  for (const name of ["mnist", "zoo", "zoo exploded", "generated 97 nodes"] as const) {
    test(`${name}: elk's layers are our levels`, async () => checkLayout(g[name], await elkLayout(g[name], elk)), 30_000);
  }

  test("layout(): the level layout for crossing-free and large graphs, elk when it has fewer crossings", async () => {
    let asked = 0;
    const counting = async () => {
      asked++;
      return elk;
    };
    // The zoo and mnist pipelines have no crossings: elk is never loaded.
    for (const name of ["mnist", "zoo", "zoo exploded"] as const) {
      expect(crossings(g[name], levelLayout(g[name]))).toBe(0);
      expect((await layout(g[name], { elk: counting })).engine).toBe("levels");
    }
    expect(asked).toBe(0);
    // Too large for elk.
    const big = g["2,000 exploded"];
    expect(big.nodes.length).toBeGreaterThan(ELK_MAX_NODES);
    const r = await layout(big, { elk: counting });
    expect(r.engine).toBe("levels");
    expect(asked).toBe(0);
    checkLayout(big, r.positions);
    // A tangled small graph: elk is asked, and kept only when it does better.
    const mid = g["generated 97 nodes"];
    const ours = crossings(mid, levelLayout(mid));
    expect(ours).toBeGreaterThan(0);
    const m = await layout(mid, { elk: counting });
    expect(asked).toBe(1);
    checkLayout(mid, m.positions);
    if (m.engine === "elk") expect(crossings(mid, m.positions)).toBeLessThan(ours);
    else expect(crossings(mid, await elkLayout(mid, elk))).toBeGreaterThanOrEqual(ours);
    // Forced engines.
    expect((await layout(g.zoo, { elk: counting, engine: "elk" })).engine).toBe("elk");
    expect((await layout(mid, { elk: counting, engine: "levels" })).engine).toBe("levels");
  }, 60_000);

  test("a failing or stuck elk falls back to the level layout", async () => {
    const mid = g["generated 97 nodes"];
    const broken: ElkLike = { layout: () => Promise.reject(new Error("boom")) };
    const stuck: ElkLike = { layout: () => new Promise(() => {}) };
    const quiet = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...a: unknown[]) => warnings.push(a);
    try {
      const a = await layout(mid, { elk: async () => broken });
      expect(a.engine).toBe("levels");
      checkLayout(mid, a.positions);
      const b = await layout(mid, { elk: async () => stuck, timeoutMs: 50 });
      expect(b.engine).toBe("levels");
      checkLayout(mid, b.positions);
      const c = await layout(mid, { elk: () => Promise.reject(new Error("no worker")) });
      expect(c.engine).toBe("levels");
    } finally {
      console.warn = quiet;
    }
    expect(warnings).toHaveLength(3);
  });
});

describe("crossings", () => {
  // a → d and b → c, with a above b and c above d: one crossing; swap c and d: none.
  const n = (id: string, level: number) => ({ id, kind: "artifact" as const, level, label: "t", name: id, focus: false });
  const g: ViewGraph = {
    nodes: [n("a", 0), n("b", 0), n("c", 1), n("d", 1)],
    edges: [
      { id: "a->d", source: "a", target: "d" },
      { id: "b->c", source: "b", target: "c" },
    ],
  };
  test("counts a crossing and not a parallel pair", () => {
    const at = (ya: number, yb: number, yc: number, yd: number): Positions =>
      new Map([
        ["a", { x: 0, y: ya }],
        ["b", { x: 0, y: yb }],
        ["c", { x: 400, y: yc }],
        ["d", { x: 400, y: yd }],
      ]);
    expect(crossings(g, at(0, 100, 0, 100))).toBe(1);
    expect(crossings(g, at(0, 100, 100, 0))).toBe(0);
    // Our layout orders c and d by their neighbours: no crossing.
    expect(crossings(g, levelLayout(g))).toBe(0);
  });
  test("edges that share an end do not cross", () => {
    const fan: ViewGraph = { nodes: [n("a", 0), n("c", 1), n("d", 1)], edges: [{ id: "1", source: "a", target: "c" }, { id: "2", source: "a", target: "d" }] };
    expect(crossings(fan, levelLayout(fan))).toBe(0);
  });
});

// Not a timed assertion (the machine is shared): the figure is printed for
// the report. Chromium's figure for the whole page comes from
// web/e2e/bench-lineage.mjs.
test("2,000-node model build + layout", () => {
  const { lineage, focus } = generations(10, 100);
  const times: number[] = [];
  let nodes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const g = viewGraph(buildModel(lineage, focus.id), setExploded(initialState, true));
    const pos = levelLayout(g);
    times.push(performance.now() - t0);
    nodes = pos.size;
  }
  expect(nodes).toBe(2001);
  times.sort((a, b) => a - b);
  console.log(`2,000-node model + level layout: median ${times[2].toFixed(1)} ms, max ${times[4].toFixed(1)} ms (5 runs)`);
});
