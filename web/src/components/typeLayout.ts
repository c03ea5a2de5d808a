// Layout of the type graph (artifact types ↔ job types): left to right,
// each node at its longest-path level from the sources, so that every edge
// points right; within a level, nodes are ordered by the mean position of
// their predecessors (fewer crossings). Type graphs may have cycles (a job
// type that reads and writes the same artifact type): the edges that close
// a cycle are found by a depth-first search and ignored for the levels
// (they are still drawn, pointing left). Pure: tested in typeLayout.test.ts.

import type { LineageEdge, TypeGraphNode } from "../api";

export interface Placed {
  node: TypeGraphNode;
  level: number;
  order: number; // position within its level, from the top
  x: number;
  y: number;
}

export interface TypeLayout {
  placed: Placed[];
  backEdges: Set<string>; // "from->to" of the edges ignored for levels
  levels: number;
  maxPerLevel: number;
}

export const edgeKey = (e: LineageEdge) => `${e.from}->${e.to}`;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function layoutTypes(nodes: readonly TypeGraphNode[], edges: readonly LineageEdge[], dx = 280, dy = 96): TypeLayout {
  const ids = new Set(nodes.map((n) => n.id));
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n.id, []);
  const valid = edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
  for (const e of valid) out.get(e.from)!.push(e.to);
  for (const list of out.values()) list.sort(cmp);

  // Back edges by iterative DFS (white/grey/black), from nodes in id order.
  const state = new Map<string, 0 | 1 | 2>();
  const backEdges = new Set<string>();
  const sorted = [...nodes].sort((a, b) => cmp(a.id, b.id));
  const topo: string[] = []; // reverse postorder = a topological order of the DAG left
  for (const start of sorted) {
    if (state.get(start.id)) continue;
    const stack: [string, number][] = [[start.id, 0]];
    state.set(start.id, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const succ = out.get(top[0])!;
      if (top[1] < succ.length) {
        const next = succ[top[1]++];
        const s = state.get(next) ?? 0;
        if (s === 1) backEdges.add(`${top[0]}->${next}`);
        else if (s === 0) {
          state.set(next, 1);
          stack.push([next, 0]);
        }
      } else {
        state.set(top[0], 2);
        topo.push(top[0]);
        stack.pop();
      }
    }
  }
  topo.reverse();

  // Longest path from the sources, in topological order.
  const level = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (const id of topo) {
    for (const to of out.get(id)!) {
      if (backEdges.has(`${id}->${to}`)) continue;
      level.set(to, Math.max(level.get(to)!, level.get(id)! + 1));
    }
  }

  // Order within levels: by name at level 0, then by the mean order of the
  // predecessors (barycentre), ties by kind then name.
  const preds = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of valid) if (!backEdges.has(edgeKey(e))) preds.get(e.to)!.push(e.from);
  const byLevel = new Map<number, TypeGraphNode[]>();
  for (const n of nodes) {
    const l = level.get(n.id)!;
    if (!byLevel.has(l)) byLevel.set(l, []);
    byLevel.get(l)!.push(n);
  }
  const order = new Map<string, number>();
  const levels = byLevel.size === 0 ? 0 : Math.max(...byLevel.keys()) + 1;
  let maxPerLevel = 0;
  for (let l = 0; l < levels; l++) {
    const list = byLevel.get(l) ?? [];
    const bary = (n: TypeGraphNode) => {
      const ps = preds.get(n.id)!;
      return ps.length === 0 ? Number.POSITIVE_INFINITY : ps.reduce((s, p) => s + (order.get(p) ?? 0), 0) / ps.length;
    };
    const bs = new Map(list.map((n) => [n.id, bary(n)]));
    list.sort((a, b) => bs.get(a.id)! - bs.get(b.id)! || cmp(a.kind, b.kind) || cmp(a.name, b.name));
    list.forEach((n, i) => order.set(n.id, i));
    maxPerLevel = Math.max(maxPerLevel, list.length);
  }

  const placed: Placed[] = nodes.map((n) => {
    const l = level.get(n.id)!;
    const count = byLevel.get(l)!.length;
    const o = order.get(n.id)!;
    return { node: n, level: l, order: o, x: l * dx, y: (o - (count - 1) / 2) * dy };
  });
  return { placed, backEdges, levels, maxPerLevel };
}
