import { describe, expect, test } from "vitest";
import type { Lineage, LineageNode } from "../api";
import { artifact, edges, generations, mnist, run, zoo } from "./fixtures";
import {
  buildModel,
  CLUSTER_MIN,
  initialState,
  levels,
  pullOut,
  searchMembers,
  setExploded,
  viewGraph,
  type ClusterState,
  type ViewGraph,
} from "./model";

const ids = (ns: { id: string }[]) => ns.map((n) => n.id);
const clusters = (g: ViewGraph) => g.nodes.filter((n) => n.kind === "cluster");
const edgeIDs = (g: ViewGraph) => g.edges.map((e) => e.id).sort();

describe("levels", () => {
  test("mnist chain around each focus", () => {
    const m = mnist();
    const byFocus = (f: LineageNode) => {
      const l = levels(m.lineage, f.id);
      return [m.prep, m.data, m.train, m.model, m.evaluate].map((n) => l.get(n.id));
    };
    expect(byFocus(m.train)).toEqual([-2, -1, 0, 1, 2]);
    expect(byFocus(m.model)).toEqual([-3, -2, -1, 0, 1]);
    expect(byFocus(m.data)).toEqual([-1, 0, 1, 2, 3]);
  });

  test("zoo: the six split runs share a level", () => {
    const z = zoo();
    const l = levels(z.lineage, z.model.id);
    expect(l.get(z.fetch.id)).toBe(-5);
    expect(l.get(z.raw.id)).toBe(-4);
    for (const s of z.splits) expect(l.get(s.id)).toBe(-3);
    expect(l.get(z.split.id)).toBe(-2);
    expect(l.get(z.train.id)).toBe(-1);
    expect(l.get(z.model.id)).toBe(0);
    expect(l.get(z.evaluate.id)).toBe(1);
    expect(l.get(z.result.id)).toBe(2);
  });

  // A run that uses both the focus and an artifact made from the focus: by
  // BFS distance it is one step from the focus and its other input two, so
  // the edge input → run would point right to left. Longest paths do not.
  test("longest path, not BFS distance: no edge points right to left", () => {
    const focus = artifact("raw", "v0", "dataset");
    const prep = run("p", "prep", "preprocess");
    const clean = artifact("clean", "v0", "dataset");
    const join = run("j", "join", "join");
    const out = artifact("joined", "v0", "dataset");
    const lineage: Lineage = {
      nodes: [focus, prep, clean, join, out],
      edges: edges([focus, prep], [prep, clean], [clean, join], [focus, join], [join, out]),
    };
    // BFS distance along edges from the focus, for contrast.
    const bfs = new Map([[focus.id, 0]]);
    for (let frontier = [focus.id]; frontier.length; ) {
      const next: string[] = [];
      for (const id of frontier)
        for (const e of lineage.edges)
          if (e.from === id && !bfs.has(e.to)) {
            bfs.set(e.to, bfs.get(id)! + 1);
            next.push(e.to);
          }
      frontier = next;
    }
    expect(bfs.get(clean.id)! >= bfs.get(join.id)!).toBe(true); // BFS: clean → join goes backwards

    const l = levels(lineage, focus.id);
    expect(l.get(join.id)).toBe(3);
    expect(l.get(out.id)).toBe(4);
    for (const e of lineage.edges) expect(l.get(e.from)!).toBeLessThan(l.get(e.to)!);
  });

  test("upstream by longest path too", () => {
    // a → r1 → b → r2 → focus, and a → r2 directly: a is 4 levels up, not 2.
    const a = artifact("a", "v0", "dataset");
    const r1 = run("r1", "r1", "prep");
    const b = artifact("b", "v0", "dataset");
    const r2 = run("r2", "r2", "train");
    const focus = artifact("m", "v0", "model");
    const lineage = { nodes: [focus, r2, b, r1, a], edges: edges([a, r1], [r1, b], [b, r2], [a, r2], [r2, focus]) };
    const l = levels(lineage, focus.id);
    expect([a, r1, b, r2, focus].map((n) => l.get(n.id))).toEqual([-4, -3, -2, -1, 0]);
  });

  test("a cycle does not hang and every node gets a level", () => {
    // A run that used and re-logged the same content, and a longer loop.
    const a = artifact("a", "v0", "dataset");
    const r = run("r", "r", "loop");
    const b = artifact("b", "v0", "dataset");
    const s = run("s", "s", "loop");
    const lineage = { nodes: [a, r, b, s], edges: edges([a, r], [r, a], [r, b], [b, s], [s, a]) };
    const m = buildModel(lineage, a.id);
    expect(m.order).toHaveLength(4);
    for (const n of lineage.nodes) expect(Number.isFinite(m.level.get(n.id))).toBe(true);
    expect(m.backEdges).toBeGreaterThan(0);
    const g = viewGraph(m, initialState);
    expect(g.nodes).toHaveLength(4);
  });

  test("nodes with no path to or from the focus get levels by longest path from the sources", () => {
    // The focus' producer also logged x, which y used: x and y are not
    // connected to the focus by a directed path.
    const p = run("p", "p", "prep");
    const focus = artifact("f", "v0", "dataset");
    const x = artifact("x", "v0", "dataset");
    const y = run("y", "y", "train");
    const lone = artifact("lone", "v0", "dataset");
    const lineage = { nodes: [p, focus, x, y, lone], edges: edges([p, focus], [p, x], [x, y]) };
    const l = levels(lineage, focus.id);
    expect(l.get(p.id)).toBe(-1);
    expect(l.get(x.id)).toBe(0);
    expect(l.get(y.id)).toBe(1);
    expect(l.get(lone.id)).toBe(-1); // a source: the leftmost level
    for (const e of lineage.edges) expect(l.get(e.from)!).toBeLessThan(l.get(e.to)!);
  });

  test("an unconnected chain into a downstream node pushes it right", () => {
    const focus = artifact("f", "v0", "dataset");
    const r = run("r", "r", "train");
    const u1 = artifact("u1", "v0", "dataset");
    const u2 = run("u2", "u2", "prep");
    const u3 = artifact("u3", "v0", "dataset");
    const lineage = { nodes: [focus, r, u1, u2, u3], edges: edges([focus, r], [u1, u2], [u2, u3], [u3, r]) };
    const l = levels(lineage, focus.id);
    for (const e of lineage.edges) expect(l.get(e.from)!).toBeLessThan(l.get(e.to)!);
  });

  test("malformed input: duplicates, unknown ends and self-loops are ignored", () => {
    const m = mnist();
    const lineage: Lineage = {
      nodes: [...m.lineage.nodes, m.train],
      edges: [...m.lineage.edges, ...m.lineage.edges, { from: m.train.id, to: "artifact:nobody/x/y:v0" }, { from: m.model.id, to: m.model.id }],
    };
    const model = buildModel(lineage, m.model.id);
    expect(model.order).toHaveLength(5);
    expect(model.edges).toHaveLength(4);
    const g = viewGraph(model, initialState);
    expect(edgeIDs(g)).toEqual(edgeIDs(viewGraph(buildModel(m.lineage, m.model.id), initialState)));
  });

  test("a focus missing from the lineage: every node is still placed", () => {
    const m = mnist();
    const l = levels(m.lineage, "artifact:admin/mnist/gone:v9");
    expect([m.prep, m.data, m.train, m.model, m.evaluate].map((n) => l.get(n.id))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("clustering", () => {
  test("mnist: five plain nodes, four edges", () => {
    const m = mnist();
    const g = viewGraph(buildModel(m.lineage, m.model.id), initialState);
    expect(g.nodes.map((n) => [n.kind, n.label, n.name])).toEqual([
      ["run", "preprocess", "jumping-monkey-1"],
      ["artifact", "dataset", "mnist_dataset:v0"],
      ["run", "train_model", "vague-morning-5"],
      ["artifact", "model", "mnist_model:v0"],
      ["run", "evaluate", "serene-haze-6"],
    ]);
    expect(g.nodes.filter((n) => n.focus).map((n) => n.id)).toEqual([m.model.id]);
    expect(edgeIDs(g)).toEqual(
      [
        `${m.prep.id}->${m.data.id}`,
        `${m.data.id}->${m.train.id}`,
        `${m.train.id}->${m.model.id}`,
        `${m.model.id}->${m.evaluate.id}`,
      ].sort(),
    );
  });

  test("zoo: six split_data runs fold into one cluster with deduplicated edges", () => {
    const z = zoo();
    const g = viewGraph(buildModel(z.lineage, z.model.id), initialState);
    const cs = clusters(g);
    expect(cs).toHaveLength(1);
    const c = cs[0];
    expect(c).toMatchObject({ kind: "cluster", memberKind: "run", label: "split_data", name: "6 runs", level: -3 });
    expect(ids(c.members!)).toEqual(ids(z.splits));
    expect(g.nodes).toHaveLength(z.lineage.nodes.length - 6 + 1);
    // 12 member edges become 2.
    expect(edgeIDs(g)).toEqual(
      [
        `${z.fetch.id}->${z.raw.id}`,
        `${z.raw.id}->${c.id}`,
        `${c.id}->${z.split.id}`,
        `${z.split.id}->${z.train.id}`,
        `${z.train.id}->${z.model.id}`,
        `${z.model.id}->${z.evaluate.id}`,
        `${z.evaluate.id}->${z.result.id}`,
      ].sort(),
    );
    for (const e of g.edges) expect(e.id).toBe(`${e.source}->${e.target}`);
  });

  test(`${CLUSTER_MIN} form a cluster, ${CLUSTER_MIN - 1} do not`, () => {
    const z = zoo();
    const keep = (n: number): Lineage => {
      const drop = new Set(ids(z.splits.slice(n)));
      return {
        nodes: z.lineage.nodes.filter((x) => !drop.has(x.id)),
        edges: z.lineage.edges.filter((e) => !drop.has(e.from) && !drop.has(e.to)),
      };
    };
    const five = viewGraph(buildModel(keep(5), z.model.id), initialState);
    expect(clusters(five).map((c) => c.name)).toEqual(["5 runs"]);
    const four = viewGraph(buildModel(keep(4), z.model.id), initialState);
    expect(clusters(four)).toHaveLength(0);
    expect(four.nodes.filter((n) => n.label === "split_data")).toHaveLength(4);
  });

  test("the focus is never clustered, nor counted", () => {
    // The focus is one of six split runs at its level (its siblings are not
    // connected to it by a directed path, which a server lineage never
    // returns, but the model must cope).
    const z = zoo();
    const focus = z.splits[0];
    const withSiblings = (n: number): Lineage => {
      const drop = new Set(ids(z.splits.slice(n)));
      return {
        nodes: z.lineage.nodes.filter((x) => !drop.has(x.id)),
        edges: z.lineage.edges.filter((e) => !drop.has(e.from) && !drop.has(e.to)),
      };
    };
    const six = viewGraph(buildModel(withSiblings(6), focus.id), initialState);
    const cs = clusters(six);
    expect(cs).toHaveLength(1);
    expect(ids(cs[0].members!)).toEqual(ids(z.splits.slice(1)));
    expect(six.nodes.find((n) => n.id === focus.id)).toMatchObject({ kind: "run", focus: true });
    // Focus and four others: four candidates, no cluster.
    const five = viewGraph(buildModel(withSiblings(5), focus.id), initialState);
    expect(clusters(five)).toHaveLength(0);
  });

  test("mixed types at one level form separate clusters; mixed small groups form none", () => {
    const src = artifact("src", "v0", "dataset");
    const mk = (job: string, n: number) => Array.from({ length: n }, (_, i) => run(`${job}${i}`, `${job}-${i}`, job));
    const build = (a: number, b: number) => {
      const runs = [...mk("train", a), ...mk("evaluate", b)];
      return viewGraph(buildModel({ nodes: [src, ...runs], edges: runs.map((r) => ({ from: src.id, to: r.id })) }, src.id), initialState);
    };
    const big = build(5, 7);
    expect(clusters(big).map((c) => [c.label, c.name]).sort()).toEqual([
      ["evaluate", "7 runs"],
      ["train", "5 runs"],
    ]);
    expect(big.edges).toHaveLength(2);
    const small = build(3, 4); // seven runs at one level, but no type has five
    expect(clusters(small)).toHaveLength(0);
    expect(small.nodes).toHaveLength(8);
  });

  test("artifact clusters, and cluster-to-cluster edges are deduplicated", () => {
    // One run logs five datasets; five runs each use all five.
    const maker = run("mk", "maker", "split");
    const parts = Array.from({ length: 5 }, (_, i) => artifact(`part${i}`, "v0", "dataset"));
    const users = Array.from({ length: 5 }, (_, i) => run(`u${i}`, `user-${i}`, "train"));
    const lineage: Lineage = {
      nodes: [maker, ...parts, ...users],
      edges: [...parts.map((p) => ({ from: maker.id, to: p.id })), ...parts.flatMap((p) => users.map((u) => ({ from: p.id, to: u.id })))],
    };
    const g = viewGraph(buildModel(lineage, maker.id), initialState);
    const cs = clusters(g);
    expect(cs.map((c) => [c.memberKind, c.label, c.name])).toEqual([
      ["artifact", "dataset", "5 artifacts"],
      ["run", "train", "5 runs"],
    ]);
    expect(edgeIDs(g)).toEqual([`${maker.id}->${cs[0].id}`, `${cs[0].id}->${cs[1].id}`].sort());
  });
});

describe("search", () => {
  const z = zoo();
  const members = z.splits;
  test("case-insensitive substring of name, id or alias", () => {
    expect(ids(searchMembers(members, "RIVER"))).toEqual([z.splits[0].id]);
    expect(ids(searchMembers(members, "  hill "))).toEqual([z.splits[4].id]);
    expect(ids(searchMembers(members, "run:s5"))).toEqual([z.splits[5].id]);
    expect(ids(searchMembers(members, "-1"))).toHaveLength(6); // every name has "-1x"
    const arts = [artifact("a", "v0", "model", "p", ["prod"]), artifact("b", "v1", "model", "p", ["staging"])];
    expect(ids(searchMembers(arts, "PROD"))).toEqual([arts[0].id]);
    expect(ids(searchMembers(arts, "b:v1"))).toEqual([arts[1].id]);
  });
  test("an empty query matches all, a miss matches none", () => {
    expect(searchMembers(members, "")).toHaveLength(6);
    expect(searchMembers(members, "   ")).toHaveLength(6);
    expect(searchMembers(members, "no such run")).toEqual([]);
  });
});

describe("pull-out and explode", () => {
  const z = zoo();
  const model = buildModel(z.lineage, z.model.id);
  const cid = clusters(viewGraph(model, initialState))[0].id;

  test("a pulled node becomes a plain node and its edges follow", () => {
    const s = pullOut(initialState, z.splits[2].id);
    const g = viewGraph(model, s);
    const c = clusters(g)[0];
    expect(c.id).toBe(cid);
    expect(c.name).toBe("5 runs");
    expect(ids(c.members!)).not.toContain(z.splits[2].id);
    expect(g.nodes.find((n) => n.id === z.splits[2].id)).toMatchObject({ kind: "run", label: "split_data", name: "brisk-wave-16" });
    expect(edgeIDs(g)).toEqual(
      expect.arrayContaining([
        `${z.raw.id}->${z.splits[2].id}`,
        `${z.splits[2].id}->${z.split.id}`,
        `${z.raw.id}->${cid}`,
        `${cid}->${z.split.id}`,
      ]),
    );
    expect(pullOut(s, z.splits[2].id)).toBe(s); // idempotent
  });

  test("a cluster left with fewer than two members dissolves", () => {
    let s: ClusterState = initialState;
    for (const n of z.splits.slice(0, 4)) s = pullOut(s, n.id);
    let g = viewGraph(model, s);
    expect(clusters(g).map((c) => c.name)).toEqual(["2 runs"]);
    s = pullOut(s, z.splits[4].id);
    g = viewGraph(model, s);
    expect(clusters(g)).toHaveLength(0);
    expect(g.nodes).toHaveLength(z.lineage.nodes.length);
    expect(g.edges).toHaveLength(z.lineage.edges.length);
  });

  test("explode opens every cluster; collapsing restores them with the pulled nodes", () => {
    const pulled = pullOut(initialState, z.splits[0].id);
    const exploded = setExploded(pulled, true);
    const g = viewGraph(model, exploded);
    expect(clusters(g)).toHaveLength(0);
    expect(g.nodes).toHaveLength(z.lineage.nodes.length);
    expect(edgeIDs(g)).toEqual(z.lineage.edges.map((e) => `${e.from}->${e.to}`).sort());
    const back = setExploded(exploded, false);
    expect(back.pulled).toBe(pulled.pulled);
    const c = clusters(viewGraph(model, back));
    expect(c.map((x) => x.name)).toEqual(["5 runs"]);
    expect(setExploded(back, false)).toBe(back);
  });

  test("the pulled set is not shared between states", () => {
    const a = pullOut(initialState, z.splits[0].id);
    pullOut(a, z.splits[1].id);
    expect([...a.pulled]).toEqual([z.splits[0].id]);
    expect(initialState.pulled.size).toBe(0);
  });
});

test("2,000-node generated lineage: clusters fold it to a few dozen nodes", () => {
  const { lineage, focus } = generations(10, 100);
  expect(lineage.nodes).toHaveLength(2001);
  const model = buildModel(lineage, focus.id);
  const g = viewGraph(model, initialState);
  expect(g.nodes.length).toBeLessThan(100);
  expect(viewGraph(model, setExploded(initialState, true)).nodes).toHaveLength(2001);
  const level = new Map(g.nodes.map((n) => [n.id, n.level] as const));
  for (const e of g.edges) expect(level.get(e.source)!).toBeLessThan(level.get(e.target)!);
});
