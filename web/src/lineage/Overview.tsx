// The overview of a large graph: when a graph of more than OVERVIEW_MIN_NODES
// nodes is zoomed out below OVERVIEW_ZOOM — where a node is a few pixels
// wide and its text unreadable — it is drawn on one canvas instead of as
// thousands of DOM nodes and SVG edges. Drawing 2,000 nodes and 3,000 edges
// takes a few milliseconds, where React and xyflow need more than a second
// to create the same elements (measured by web/e2e/bench-lineage.mjs), and
// every pan or zoom repaints them all. Zooming in past OVERVIEW_ZOOM brings
// the DOM nodes back (only the visible ones: onlyRenderVisibleElements).

import { useStoreApi } from "@xyflow/react";
import { useEffect, useLayoutEffect, useRef } from "react";
import type { NodeKind, ViewNode } from "../graph/model";
import { ARTIFACT_COLOR, RUN_COLOR, type LineageFlowNode } from "./nodes";
import type { SelectionStore } from "./selection";

/** Graphs with more nodes than this get the canvas overview when zoomed out. */
export const OVERVIEW_MIN_NODES = 300;
/** Below this zoom a large graph is drawn as an overview. */
export const OVERVIEW_ZOOM = 0.45;

const EDGE_COLOR = "#94a3b8";
const EDGE_STROKE = "rgba(100, 116, 139, 0.5)";
const SELECTED_COLOR = "#0f172a";

/** Where the nodes and edges of a laid-out graph are, in flow coordinates. */
export interface Geometry {
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  kind: NodeKind[];
  focus: number;
  ids: string[];
  // Edge ends, in flow coordinates.
  sx: Float64Array;
  sy: Float64Array;
  tx: Float64Array;
  ty: Float64Array;
}

function kindOf(v: ViewNode): NodeKind {
  return v.kind === "cluster" ? v.memberKind! : v.kind;
}

/** Flow-coordinate rectangles of the nodes and end points of the edges. */
export function geometry(nodes: LineageFlowNode[], edges: { source: string; target: string }[]): Geometry {
  const n = nodes.length;
  const g: Geometry = {
    x: new Float64Array(n),
    y: new Float64Array(n),
    w: new Float64Array(n),
    h: new Float64Array(n),
    kind: [],
    focus: -1,
    ids: [],
    sx: new Float64Array(edges.length),
    sy: new Float64Array(edges.length),
    tx: new Float64Array(edges.length),
    ty: new Float64Array(edges.length),
  };
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    g.x[i] = node.position.x;
    g.y[i] = node.position.y;
    g.w[i] = node.width ?? 0;
    g.h[i] = node.height ?? 0;
    g.kind.push(kindOf(node.data.view));
    g.ids.push(node.id);
    if (node.data.view.focus) g.focus = i;
    index.set(node.id, i);
  });
  edges.forEach((e, k) => {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined) return;
    g.sx[k] = g.x[s] + g.w[s];
    g.sy[k] = g.y[s] + g.h[s] / 2;
    g.tx[k] = g.x[t];
    g.ty[k] = g.y[t] + g.h[t] / 2;
  });
  return g;
}

/** The node (index) at a flow-coordinate point, or -1. */
export function nodeAt(g: Geometry, px: number, py: number): number {
  for (let i = 0; i < g.ids.length; i++) {
    if (px >= g.x[i] && px <= g.x[i] + g.w[i] && py >= g.y[i] && py <= g.y[i] + g.h[i]) return i;
  }
  return -1;
}

function draw(ctx: CanvasRenderingContext2D, g: Geometry, [tx, ty, k]: [number, number, number], width: number, height: number, dpr: number, selected: string | null) {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, width * dpr, height * dpr);
  // Draw in flow coordinates; line widths divided by k stay constant on screen.
  ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * tx, dpr * ty);
  const x0 = -tx / k;
  const y0 = -ty / k;
  const x1 = (width - tx) / k;
  const y1 = (height - ty) / k;
  const px = 1 / k;

  // Edges: one path, culled to the view.
  ctx.beginPath();
  for (let e = 0; e < g.sx.length; e++) {
    const sx = g.sx[e];
    const sy = g.sy[e];
    const ex = g.tx[e];
    const ey = g.ty[e];
    if (Math.max(sx, ex) < x0 || Math.min(sx, ex) > x1 || Math.max(sy, ey) < y0 || Math.min(sy, ey) > y1) continue;
    const c = Math.abs(ex - sx) * 0.5;
    ctx.moveTo(sx, sy);
    ctx.bezierCurveTo(sx + c, sy, ex - c, ey, ex, ey);
  }
  // One device pixel wide at most zooms (the DOM edges' 1.75 px shrink to
  // nothing far out), translucent so that bundles read as density.
  ctx.strokeStyle = EDGE_STROKE;
  ctx.lineWidth = Math.max(1, 1.75 * k) * px;
  ctx.stroke();
  if (k >= 0.12) {
    // Arrowheads, where they are big enough to see.
    const a = 9;
    ctx.beginPath();
    for (let e = 0; e < g.sx.length; e++) {
      const ex = g.tx[e];
      const ey = g.ty[e];
      if (ex < x0 || ex - a > x1 || ey + a < y0 || ey - a > y1) continue;
      ctx.moveTo(ex, ey);
      ctx.lineTo(ex - a, ey - a * 0.55);
      ctx.lineTo(ex - a, ey + a * 0.55);
      ctx.closePath();
    }
    ctx.fillStyle = EDGE_COLOR;
    ctx.fill();
  }

  // Nodes: white cards with a border of their kind's colour.
  const round = k >= 0.1;
  const visible: number[] = [];
  for (let i = 0; i < g.ids.length; i++) {
    if (g.x[i] + g.w[i] < x0 || g.x[i] > x1 || g.y[i] + g.h[i] < y0 || g.y[i] > y1) continue;
    visible.push(i);
  }
  const shape = (i: number) => {
    if (round) ctx.roundRect(g.x[i], g.y[i], g.w[i], g.h[i], 10);
    else ctx.rect(g.x[i], g.y[i], g.w[i], g.h[i]);
  };
  ctx.beginPath();
  for (const i of visible) shape(i);
  ctx.fillStyle = "#fff";
  ctx.fill();
  for (const [kind, color] of [
    ["artifact", ARTIFACT_COLOR],
    ["run", RUN_COLOR],
  ] as const) {
    ctx.beginPath();
    for (const i of visible) if (g.kind[i] === kind) shape(i);
    ctx.strokeStyle = color;
    ctx.lineWidth = Math.max(1.5, 3 * k) * px;
    ctx.stroke();
    // A tint block where the node's icon is, so kinds read at a glance.
    ctx.beginPath();
    for (const i of visible) if (g.kind[i] === kind) ctx.rect(g.x[i] + 8, g.y[i] + g.h[i] / 2 - 14, 28, 28);
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.35;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  if (g.focus >= 0) {
    // The focus: filled, and ringed at a size that stays findable far out.
    const i = g.focus;
    const color = g.kind[i] === "artifact" ? ARTIFACT_COLOR : RUN_COLOR;
    ctx.beginPath();
    shape(i);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.beginPath();
    ctx.arc(g.x[i] + g.w[i] / 2, g.y[i] + g.h[i] / 2, g.w[i] / 2 + 12 * px, 0, 2 * Math.PI);
    ctx.lineWidth = 3 * px;
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.5;
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  if (selected) {
    const i = g.ids.indexOf(selected);
    if (i >= 0) {
      ctx.beginPath();
      const pad = 5 * px;
      ctx.rect(g.x[i] - pad, g.y[i] - pad, g.w[i] + 2 * pad, g.h[i] + 2 * pad);
      ctx.lineWidth = 2 * px;
      ctx.strokeStyle = SELECTED_COLOR;
      ctx.stroke();
    }
  }
}

/**
 * The canvas, drawn at every change of the viewport (at most once a
 * frame) and of the selection. It takes no pointer events: clicks reach the
 * pane, and LineageView hit-tests them with nodeAt.
 */
export function Overview({ geometry: g, selection }: { geometry: Geometry; selection: SelectionStore }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const store = useStoreApi();

  const paint = useRef<() => void>(() => {});
  useLayoutEffect(() => {
    paint.current = () => {
      const el = canvas.current;
      const ctx = el?.getContext("2d");
      if (!el || !ctx) return;
      const { transform, width, height } = store.getState();
      const dpr = window.devicePixelRatio || 1;
      if (el.width !== Math.round(width * dpr) || el.height !== Math.round(height * dpr)) {
        el.width = Math.round(width * dpr);
        el.height = Math.round(height * dpr);
        el.style.width = `${width}px`;
        el.style.height = `${height}px`;
      }
      draw(ctx, g, transform, width, height, dpr, selection.get());
    };
    paint.current();
  }, [g, store, selection]);

  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          paint.current();
        });
      }
    };
    const unsubStore = store.subscribe((s, prev) => {
      if (s.transform !== prev.transform || s.width !== prev.width || s.height !== prev.height) schedule();
    });
    const unsubSel = selection.subscribe(schedule);
    schedule(); // the viewport may have moved between the first paint and now
    return () => {
      unsubStore();
      unsubSel();
      cancelAnimationFrame(frame);
    };
  }, [store, selection]);

  return <canvas ref={canvas} className="ln-overview" data-testid="lineage-overview" aria-label="Overview of the lineage graph" role="img" />;
}
