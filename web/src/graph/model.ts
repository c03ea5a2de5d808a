// The lineage graph as the explorer shows it: levels (columns), clusters of
// look-alike nodes, pulled-out and exploded clusters. Pure functions, no
// React: the component keeps a ClusterState and asks for a ViewGraph.
//
// A lineage arrives as nodes and edges in the direction data flows (version
// → run that used it, run → version it logged). buildModel does the work
// that depends only on the lineage (order, levels, groups) once; viewGraph
// then folds groups into clusters for a given state, in linear time, so
// pulling a node out or exploding never recomputes levels.

import type { Lineage, LineageNode } from "../api";

export type NodeKind = "run" | "artifact";

/** A node of the graph the component renders: a run, an artifact, or a cluster of either. */
export interface ViewNode {
  id: string; // lineage id, or "cluster:LEVEL:KIND:TYPE"
  kind: NodeKind | "cluster";
  level: number; // column: 0 is the focus, negative upstream, positive downstream
  label: string; // artifact type or job type (of the members, for a cluster)
  name: string; // "mnist_model:v0", a run's name, or "6 runs" for a cluster
  focus: boolean;
  memberKind?: NodeKind; // cluster only
  members?: LineageNode[]; // cluster only, in data-flow order
  data?: LineageNode; // plain nodes only
}

/** An edge of the view graph; its id is "SOURCE->TARGET". */
export interface ViewEdge {
  id: string;
  source: string;
  target: string;
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
}

/**
 * What the user did to the clusters: the nodes pulled out of them, and
 * whether every cluster is open. Exploding keeps the pulled set, so that
 * collapsing again restores the clusters as they were.
 */
export interface ClusterState {
  pulled: ReadonlySet<string>;
  exploded: boolean;
}

/** The minimum number of nodes of one level, kind and type that fold into a cluster. */
export const CLUSTER_MIN = 5;

export const initialState: ClusterState = { pulled: new Set(), exploded: false };

/** The lineage with everything that does not depend on the cluster state. */
export interface LineageModel {
  focus: string;
  /** Nodes in data-flow order (topological; cycles broken at their first node in input order). */
  order: LineageNode[];
  byID: ReadonlyMap<string, LineageNode>;
  level: ReadonlyMap<string, number>;
  /** Distinct edges between known nodes, self-loops dropped, in input order. */
  edges: { from: string; to: string }[];
  /** Node ids by group key (level, kind, type), in data-flow order. */
  groups: ReadonlyMap<string, string[]>;
  /** Edges that point backwards in `order` (only when the lineage has a cycle). */
  backEdges: number;
}

/** The artifact type or job type of a node. */
export function nodeType(n: LineageNode): string {
  return (n.kind === "run" ? n.job_type : n.type) ?? "";
}

function groupKey(level: number, n: LineageNode): string {
  return `${level}:${n.kind}:${nodeType(n)}`;
}

/**
 * Orders the nodes topologically (Kahn's algorithm, ready nodes in input
 * order). When only nodes on cycles are left, the first of them in input
 * order is taken as if ready, so a cycle never stalls the walk.
 */
function topoOrder(n: number, out: number[][], indeg: number[]): number[] {
  const deg = indeg.slice();
  const done = new Uint8Array(n);
  const order: number[] = [];
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (deg[i] === 0) queue.push(i);
  let head = 0;
  let scan = 0; // every node before scan is done
  while (order.length < n) {
    if (head === queue.length) {
      while (done[scan]) scan++;
      queue.push(scan); // break a cycle
    }
    const u = queue[head++];
    if (done[u]) continue;
    done[u] = 1;
    order.push(u);
    for (const v of out[u]) {
      if (!done[v] && --deg[v] === 0) queue.push(v);
    }
  }
  return order;
}

/**
 * Builds the model of a lineage around its focus node id. Levels are longest
 * paths, not BFS distances: a node upstream of the focus sits at minus the
 * length of its longest path to the focus, a node downstream at the length
 * of the longest path from the focus, so every edge points left to right
 * (with BFS distances a run that uses both the focus and a product of the
 * focus would sit left of that product). Nodes with no directed path to or
 * from the focus (a well-formed lineage has none) are placed by longest
 * path from the graph's sources, starting at the leftmost level. Edges to
 * unknown nodes, duplicate edges and self-loops are ignored.
 */
export function buildModel(lineage: Lineage, focus: string): LineageModel {
  const nodes: LineageNode[] = [];
  const index = new Map<string, number>();
  for (const n of lineage.nodes) {
    if (index.has(n.id)) continue;
    index.set(n.id, nodes.length);
    nodes.push(n);
  }
  const count = nodes.length;
  const out: number[][] = Array.from({ length: count }, () => []);
  const indeg = new Array<number>(count).fill(0);
  const seen = new Set<string>();
  const edges: { from: string; to: string }[] = [];
  const pairs: [number, number][] = [];
  for (const e of lineage.edges) {
    const f = index.get(e.from);
    const t = index.get(e.to);
    if (f === undefined || t === undefined || f === t) continue;
    const key = e.from + "\u0000" + e.to;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ from: e.from, to: e.to });
    pairs.push([f, t]);
    out[f].push(t);
    indeg[t]++;
  }

  const order = topoOrder(count, out, indeg);
  const pos = new Int32Array(count);
  order.forEach((u, i) => (pos[u] = i));
  // Forward edges only: with back edges (cycles) removed the graph is a DAG.
  const succ: number[][] = Array.from({ length: count }, () => []);
  const pred: number[][] = Array.from({ length: count }, () => []);
  let backEdges = 0;
  for (const [f, t] of pairs) {
    if (pos[f] < pos[t]) {
      succ[f].push(t);
      pred[t].push(f);
    } else backEdges++;
  }

  const f0 = index.get(focus);
  const none = -1;
  const up = new Int32Array(count).fill(none); // longest path node → focus
  const down = new Int32Array(count).fill(none); // longest path focus → node
  if (f0 !== undefined) {
    up[f0] = 0;
    for (let i = order.length - 1; i >= 0; i--) {
      const u = order[i];
      for (const s of succ[u]) if (up[s] !== none && up[s] + 1 > up[u]) up[u] = up[s] + 1;
    }
    down[f0] = 0;
    for (const u of order) {
      for (const p of pred[u]) if (down[p] !== none && down[p] + 1 > down[u]) down[u] = down[p] + 1;
    }
  }
  let leftmost = 0;
  for (let u = 0; u < count; u++) if (up[u] !== none && -up[u] < leftmost) leftmost = -up[u];

  const lv = new Int32Array(count);
  for (const u of order) {
    if (up[u] !== none) {
      lv[u] = -up[u];
      continue;
    }
    // Downstream or unconnected: right of every predecessor. For a node
    // downstream of the focus this is its longest path already, unless one
    // of its predecessors is unconnected.
    let l = down[u] !== none ? down[u] : pred[u].length === 0 ? leftmost : -Infinity;
    for (const p of pred[u]) if (lv[p] + 1 > l) l = lv[p] + 1;
    lv[u] = l;
  }

  const level = new Map<string, number>();
  const groups = new Map<string, string[]>();
  const ordered: LineageNode[] = [];
  for (const u of order) {
    const n = nodes[u];
    ordered.push(n);
    level.set(n.id, lv[u]);
    const k = groupKey(lv[u], n);
    const g = groups.get(k);
    if (g) g.push(n.id);
    else groups.set(k, [n.id]);
  }
  const byID = new Map(nodes.map((n) => [n.id, n] as const));
  return { focus, order: ordered, byID, level, edges, groups, backEdges };
}

/** The levels of a lineage's nodes around the focus (see buildModel). */
export function levels(lineage: Lineage, focus: string): Map<string, number> {
  return new Map(buildModel(lineage, focus).level);
}

function clusterID(groupKey: string): string {
  return "cluster:" + groupKey;
}

/**
 * The graph to render for a state: every group of CLUSTER_MIN or more nodes
 * of one level, kind and type (the focus never counts nor joins) folds into
 * one cluster node, minus the nodes pulled out of it; a cluster left with
 * fewer than two members is shown as plain nodes. Edges of members become
 * edges of their cluster, one per distinct pair of ends.
 */
export function viewGraph(model: LineageModel, state: ClusterState): ViewGraph {
  const rep = new Map<string, string>(); // member id → cluster id
  const clusters = new Map<string, ViewNode>();
  if (!state.exploded) {
    for (const [key, ids] of model.groups) {
      const candidates = ids.filter((id) => id !== model.focus);
      if (candidates.length < CLUSTER_MIN) continue;
      const members = candidates.filter((id) => !state.pulled.has(id));
      if (members.length < 2) continue;
      const first = model.byID.get(members[0])!;
      const kind = first.kind;
      const cid = clusterID(key);
      const plural = kind === "run" ? "runs" : "artifacts";
      clusters.set(cid, {
        id: cid,
        kind: "cluster",
        level: model.level.get(first.id)!,
        label: nodeType(first),
        name: `${members.length} ${plural}`,
        focus: false,
        memberKind: kind,
        members: members.map((id) => model.byID.get(id)!),
      });
      for (const id of members) rep.set(id, cid);
    }
  }

  const nodes: ViewNode[] = [];
  const emitted = new Set<string>();
  for (const n of model.order) {
    const cid = rep.get(n.id);
    if (cid !== undefined) {
      if (!emitted.has(cid)) {
        emitted.add(cid);
        nodes.push(clusters.get(cid)!);
      }
      continue;
    }
    nodes.push({
      id: n.id,
      kind: n.kind,
      level: model.level.get(n.id)!,
      label: nodeType(n),
      name: n.name,
      focus: n.id === model.focus,
      data: n,
    });
  }

  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  for (const e of model.edges) {
    const source = rep.get(e.from) ?? e.from;
    const target = rep.get(e.to) ?? e.to;
    if (source === target) continue;
    const id = `${source}->${target}`;
    if (seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, source, target });
  }
  return { nodes, edges };
}

/** The state after pulling node id out of its cluster (unchanged if already pulled). */
export function pullOut(state: ClusterState, id: string): ClusterState {
  if (state.pulled.has(id)) return state;
  const pulled = new Set(state.pulled);
  pulled.add(id);
  return { ...state, pulled };
}

/** The state with every cluster open (exploded) or folded again, keeping pulled nodes. */
export function setExploded(state: ClusterState, exploded: boolean): ClusterState {
  return state.exploded === exploded ? state : { ...state, exploded };
}

/**
 * The members matching a query, case-insensitively, as a substring of their
 * name, id or one of their aliases; an empty query matches all.
 */
export function searchMembers(members: readonly LineageNode[], query: string): LineageNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return members.slice();
  return members.filter(
    (m) =>
      m.name.toLowerCase().includes(q) ||
      m.id.toLowerCase().includes(q) ||
      (m.aliases ?? []).some((a) => a.toLowerCase().includes(q)),
  );
}
