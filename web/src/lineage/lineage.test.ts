// Unit tests of the explorer's pure parts: the overview's geometry and hit
// testing, and the selection store. The component itself is tested in
// Chromium by web/e2e/lineage.mjs.
import { describe, expect, test } from "vitest";
import { zoo } from "../graph/fixtures";
import { levelLayout, nodeSize } from "../graph/layout";
import { buildModel, initialState, viewGraph } from "../graph/model";
import type { LineageFlowNode } from "./nodes";
import { geometry, nodeAt } from "./Overview";
import { createSelection } from "./selection";

function flowNodes() {
  const z = zoo();
  const view = viewGraph(buildModel(z.lineage, z.model.id), initialState);
  const pos = levelLayout(view);
  const nodes: LineageFlowNode[] = view.nodes.map((n) => ({
    id: n.id,
    type: n.kind === "cluster" ? "cluster" : "plain",
    position: pos.get(n.id)!,
    data: { view: n },
    ...nodeSize(n),
  }));
  return { z, view, nodes };
}

describe("overview geometry", () => {
  test("edge ends are on the right of their source and the left of their target", () => {
    const { view, nodes } = flowNodes();
    const g = geometry(nodes, view.edges);
    expect(g.ids).toEqual(view.nodes.map((n) => n.id));
    expect(g.ids[g.focus]).toBe(view.nodes.find((n) => n.focus)!.id);
    view.edges.forEach((e, k) => {
      const s = nodes.find((n) => n.id === e.source)!;
      const t = nodes.find((n) => n.id === e.target)!;
      expect(g.sx[k]).toBe(s.position.x + s.width!);
      expect(g.tx[k]).toBe(t.position.x);
      expect(g.sy[k]).toBe(s.position.y + s.height! / 2);
      expect(g.sx[k]).toBeLessThan(g.tx[k]);
    });
    // A cluster is drawn in the colour of its members' kind.
    expect(g.kind[g.ids.findIndex((id) => id.startsWith("cluster:"))]).toBe("run");
  });

  test("nodeAt finds the node under a point, and nothing between nodes", () => {
    const { nodes, view } = flowNodes();
    const g = geometry(nodes, view.edges);
    for (const n of nodes) {
      const i = nodeAt(g, n.position.x + n.width! / 2, n.position.y + n.height! / 2);
      expect(g.ids[i]).toBe(n.id);
    }
    const a = nodes[0];
    expect(nodeAt(g, a.position.x + a.width! + 10, a.position.y + 1)).toBe(-1); // in the gap between columns
    expect(nodeAt(g, -1e6, -1e6)).toBe(-1);
  });
});

describe("selection", () => {
  test("notifies on change only, and stops after unsubscribe", () => {
    const s = createSelection();
    const seen: (string | null)[] = [];
    const off = s.subscribe(() => seen.push(s.get()));
    s.set("run:a");
    s.set("run:a");
    s.set(null);
    off();
    s.set("run:b");
    expect(seen).toEqual(["run:a", null]);
    expect(s.get()).toBe("run:b");
  });
});
