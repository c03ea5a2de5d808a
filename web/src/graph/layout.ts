// Positions for a view graph, left to right: one column per level.
//
// Two layouts place the same columns: our own level layout (barycentre
// ordering within columns, then each node pulled towards its neighbours)
// and elkjs (layered, its layers pinned to our levels). Elk costs too much
// to be the default: measured on this project's 2-core machine (node 20,
// elkjs 0.12, the 10-generation graph of fixtures.ts), 100 nodes take
// 0.1–0.3 s, 600 nodes 0.3–0.7 s and 2,000 nodes 0.9–6 s depending on
// options, against a 1 s budget for the whole page; in Chromium, starting
// its worker (a 1.4 MB script) adds ~0.4 s even for 8 nodes. The level
// layout handles 2,000 nodes in tens of milliseconds. So every graph gets
// the level layout, and elk is asked only for small graphs on which the
// level layout leaves crossings, and kept when it has fewer (layout()).

import type { ElkNode } from "elkjs/lib/elk-api";
import type { ViewGraph, ViewNode } from "./model";

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Top-left positions by node id. */
export type Positions = Map<string, Point>;

export const NODE_WIDTH = 208;
export const NODE_HEIGHT = 56;
export const CLUSTER_WIDTH = 236;
/** Member rows a cluster shows before its list scrolls. */
export const CLUSTER_ROWS = 5;
export const CLUSTER_ROW_HEIGHT = 30;
const CLUSTER_CHROME = 56 + 44 + 10; // header, search box, padding

/** Above this many nodes or edges the level layout replaces elk (see the file comment). */
export const ELK_MAX_NODES = 150;
export const ELK_MAX_EDGES = 200;

const GAP_X = 52; // between columns
const GAP_Y = 20; // between nodes of a column

/** The size a node is drawn at; the component renders nodes at exactly this size. */
export function nodeSize(n: ViewNode): Size {
  if (n.kind !== "cluster") return { width: NODE_WIDTH, height: NODE_HEIGHT };
  const rows = Math.max(1, Math.min(CLUSTER_ROWS, n.members?.length ?? 0));
  return { width: CLUSTER_WIDTH, height: CLUSTER_CHROME + rows * CLUSTER_ROW_HEIGHT };
}

interface Column {
  level: number;
  x: number;
  nodes: number[]; // indexes into g.nodes, top to bottom
}

function columns(g: ViewGraph, size: (n: ViewNode) => Size): Column[] {
  const byLevel = new Map<number, number[]>();
  g.nodes.forEach((n, i) => {
    const c = byLevel.get(n.level);
    if (c) c.push(i);
    else byLevel.set(n.level, [i]);
  });
  const levels = [...byLevel.keys()].sort((a, b) => a - b);
  const width = g.nodes.reduce((w, n) => Math.max(w, size(n).width), NODE_WIDTH);
  const min = levels.length ? levels[0] : 0;
  // Columns are spaced by level, so a level with no node (possible only in a
  // malformed lineage) leaves a gap rather than pulling later columns in.
  return levels.map((level) => ({ level, x: (level - min) * (width + GAP_X), nodes: byLevel.get(level)! }));
}

/**
 * The level layout: x by level; within a column, nodes ordered by the
 * barycentre of their neighbours' y (sweeps left to right and back, which
 * removes most crossings), then each placed as near as the order and the gaps
 * allow to the mean y of its neighbours. Linear in edges per sweep.
 */
export function levelLayout(g: ViewGraph, size: (n: ViewNode) => Size = nodeSize, sweeps = 4, straightenSweeps = 2): Positions {
  const n = g.nodes.length;
  const index = new Map<string, number>();
  g.nodes.forEach((v, i) => index.set(v.id, i));
  const left: number[][] = Array.from({ length: n }, () => []);
  const right: number[][] = Array.from({ length: n }, () => []);
  for (const e of g.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined) continue;
    right[s].push(t);
    left[t].push(s);
  }
  const h = g.nodes.map((v) => size(v).height);
  const w = g.nodes.map((v) => size(v).width);
  const cols = columns(g, size);
  const y = new Float64Array(n); // centre of each node

  const stack = (c: Column) => {
    let total = -GAP_Y;
    for (const i of c.nodes) total += h[i] + GAP_Y;
    let top = -total / 2;
    for (const i of c.nodes) {
      y[i] = top + h[i] / 2;
      top += h[i] + GAP_Y;
    }
  };
  cols.forEach(stack);

  const key = new Float64Array(n);
  const reorder = (c: Column, nbrs: number[][]) => {
    for (const i of c.nodes) {
      const ns = nbrs[i];
      if (ns.length === 0) {
        key[i] = y[i];
        continue;
      }
      let sum = 0;
      for (const j of ns) sum += y[j];
      key[i] = sum / ns.length;
    }
    // Stable: ties keep their order (Array.prototype.sort is stable).
    c.nodes.sort((a, b) => key[a] - key[b]);
    stack(c);
  };
  for (let s = 0; s < sweeps; s++) {
    for (let k = 1; k < cols.length; k++) reorder(cols[k], left);
    for (let k = cols.length - 2; k >= 0; k--) reorder(cols[k], right);
  }

  // Straighten: pull each node towards its neighbours, keeping the order and
  // the gaps (desired positions, then a forward and a backward pass that
  // resolve overlaps, averaged). A node that is the only successor of its
  // only predecessor (or, sweeping right to left, the only predecessor of
  // its only successor) wants that neighbour's y exactly, so chains come
  // out as straight lines; other nodes want the mean of their neighbours.
  const straighten = (c: Column, fromLeft: boolean) => {
    const m = c.nodes.length;
    const want = new Float64Array(m);
    c.nodes.forEach((i, k) => {
      const [near, far] = fromLeft ? [left[i], right] : [right[i], left];
      if (near.length === 1 && far[near[0]].length === 1) {
        want[k] = y[near[0]];
        return;
      }
      const ns = left[i].length + right[i].length;
      if (ns === 0) {
        want[k] = y[i];
        return;
      }
      let sum = 0;
      for (const j of left[i]) sum += y[j];
      for (const j of right[i]) sum += y[j];
      want[k] = sum / ns;
    });
    const down = new Float64Array(m);
    const up = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const i = c.nodes[k];
      down[k] = k === 0 ? want[k] : Math.max(want[k], down[k - 1] + (h[c.nodes[k - 1]] + h[i]) / 2 + GAP_Y);
    }
    for (let k = m - 1; k >= 0; k--) {
      const i = c.nodes[k];
      up[k] = k === m - 1 ? want[k] : Math.min(want[k], up[k + 1] - (h[c.nodes[k + 1]] + h[i]) / 2 - GAP_Y);
    }
    // Each pass alone is a valid packing; their mean is too (gaps are linear).
    c.nodes.forEach((i, k) => (y[i] = (down[k] + up[k]) / 2));
  };
  for (let s = 0; s < straightenSweeps; s++) {
    for (let k = 0; k < cols.length; k++) straighten(cols[k], true);
    for (let k = cols.length - 1; k >= 0; k--) straighten(cols[k], false);
  }
  for (let k = 0; k < cols.length; k++) straighten(cols[k], true);

  const colWidth = g.nodes.reduce((m, v) => Math.max(m, size(v).width), NODE_WIDTH);
  const pos: Positions = new Map();
  for (const c of cols) {
    for (const i of c.nodes) {
      pos.set(g.nodes[i].id, { x: c.x + (colWidth - w[i]) / 2, y: y[i] - h[i] / 2 });
    }
  }
  return pos;
}

/** What elkLayout needs of elkjs: an ELK instance (main thread or worker). */
export interface ElkLike {
  layout(graph: ElkNode): Promise<ElkNode>;
}

/**
 * The elk layout: layered, left to right, with elk's layers pinned to our
 * levels (interactive layering reads the layer from each node's initial x,
 * which is its level's column), so that the same node is in the same column
 * in both layouts. Throws when elk's layers do not match the levels.
 */
export async function elkLayout(g: ViewGraph, elk: ElkLike, size: (n: ViewNode) => Size = nodeSize): Promise<Positions> {
  const cols = columns(g, size);
  const start = levelLayout(g, size, 2);
  const colX = new Map(cols.map((c) => [c.level, c.x] as const));
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.layering.strategy": "INTERACTIVE",
      "elk.layered.thoroughness": "3",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.nodePlacement.bk.fixedAlignment": "BALANCED",
      "elk.spacing.nodeNode": String(GAP_Y),
      "elk.layered.spacing.nodeNodeBetweenLayers": String(GAP_X),
      "elk.separateConnectedComponents": "false",
    },
    children: g.nodes.map((n) => {
      const s = size(n);
      const p = start.get(n.id)!;
      return { id: n.id, width: s.width, height: s.height, x: colX.get(n.level)!, y: p.y };
    }),
    edges: g.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const out = await elk.layout(graph);
  const pos: Positions = new Map();
  for (const c of out.children ?? []) pos.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  // Elk's layers must be our columns; if a version of elk ever disagrees,
  // say so (layout() then uses the level layout) rather than draw edges
  // pointing backwards.
  const layerX = new Map<number, number>();
  for (const n of g.nodes) {
    const x = pos.get(n.id)?.x;
    if (x === undefined) throw new Error(`elk layout: no position for ${n.id}`);
    const l = layerX.get(n.level);
    if (l === undefined) layerX.set(n.level, x);
    else if (Math.abs(l - x) > size(n).width) throw new Error(`elk layout: level ${n.level} spans several layers`);
  }
  const sorted = [...layerX.entries()].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i][1] <= sorted[i - 1][1]) throw new Error(`elk layout: level ${sorted[i][0]} is not right of level ${sorted[i - 1][0]}`);
  }
  return pos;
}

/**
 * The number of edge crossings of a layout, counted gap by gap between
 * adjacent columns, with each edge taken as the straight line between its
 * ends (close enough to the drawn curve for counting). Quadratic in the
 * edges of a gap: for the small graphs elk may lay out.
 */
export function crossings(g: ViewGraph, pos: Positions, size: (n: ViewNode) => Size = nodeSize): number {
  const byID = new Map(g.nodes.map((n) => [n.id, n] as const));
  const levels = [...new Set(g.nodes.map((n) => n.level))].sort((a, b) => a - b);
  const right = new Map<number, number>(); // level → rightmost node edge
  const left = new Map<number, number>(); // level → leftmost node edge
  for (const n of g.nodes) {
    const p = pos.get(n.id)!;
    right.set(n.level, Math.max(right.get(n.level) ?? -Infinity, p.x + size(n).width));
    left.set(n.level, Math.min(left.get(n.level) ?? Infinity, p.x));
  }
  const ends = g.edges.map((e) => {
    const s = byID.get(e.source)!;
    const t = byID.get(e.target)!;
    const ps = pos.get(s.id)!;
    const pt = pos.get(t.id)!;
    return {
      ls: s.level,
      lt: t.level,
      x0: ps.x + size(s).width,
      y0: ps.y + size(s).height / 2,
      x1: pt.x,
      y1: pt.y + size(t).height / 2,
    };
  });
  let count = 0;
  for (let k = 0; k + 1 < levels.length; k++) {
    const xl = right.get(levels[k])!;
    const xr = left.get(levels[k + 1])!;
    const segs: [number, number][] = [];
    for (const e of ends) {
      if (e.ls > levels[k] || e.lt < levels[k + 1] || e.x1 <= e.x0) continue;
      const at = (x: number) => e.y0 + ((e.y1 - e.y0) * (x - e.x0)) / (e.x1 - e.x0);
      segs.push([at(xl), at(xr)]);
    }
    for (let i = 0; i < segs.length; i++) {
      for (let j = i + 1; j < segs.length; j++) {
        const a = segs[i][0] - segs[j][0];
        const b = segs[i][1] - segs[j][1];
        if ((a > 0.5 && b < -0.5) || (a < -0.5 && b > 0.5)) count++;
      }
    }
  }
  return count;
}

/**
 * Lays out g. The level layout is computed first; a small graph (at most
 * ELK_MAX_NODES nodes and ELK_MAX_EDGES edges) on which it leaves edge
 * crossings is also laid out by elk, and elk's layout is used when it has
 * fewer crossings. A crossing-free graph — chains, trees, most real
 * pipelines — never waits for elk to load. When elk fails or takes longer
 * than timeoutMs, the level layout stands. engine forces one engine.
 */
export async function layout(
  g: ViewGraph,
  opts: { elk?: () => Promise<ElkLike>; timeoutMs?: number; engine?: "elk" | "levels" } = {},
): Promise<{ positions: Positions; engine: "elk" | "levels" }> {
  const levels = levelLayout(g);
  const small = g.nodes.length > 1 && g.nodes.length <= ELK_MAX_NODES && g.edges.length <= ELK_MAX_EDGES;
  if (!opts.elk || opts.engine === "levels" || (!small && opts.engine !== "elk")) return { positions: levels, engine: "levels" };
  const ours = opts.engine === "elk" ? Infinity : crossings(g, levels);
  if (ours === 0) return { positions: levels, engine: "levels" };
  const load = opts.elk;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), opts.timeoutMs ?? 1500)));
  try {
    const positions = await Promise.race([load().then((elk) => elkLayout(g, elk)), timeout]);
    if (!positions) console.warn("trove: elk layout took too long, using the level layout");
    else if (opts.engine === "elk" || crossings(g, positions) < ours) return { positions, engine: "elk" };
  } catch (err) {
    console.warn("trove: elk layout failed, using the level layout", err);
  } finally {
    clearTimeout(timer);
  }
  return { positions: levels, engine: "levels" };
}
