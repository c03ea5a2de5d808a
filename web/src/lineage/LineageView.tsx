// The lineage explorer: fetches the lineage of a version or a run, folds it
// into clusters (graph/model.ts), lays it out left to right
// (graph/layout.ts) and draws it with @xyflow/react — pan, zoom, fit,
// minimap; direction, depth and explode controls; a preview panel.
//
// Large graphs: zoomed out (below OVERVIEW_ZOOM, where nodes are a few
// pixels wide), a graph of more than OVERVIEW_MIN_NODES nodes is drawn on a
// canvas (Overview.tsx) instead of as DOM elements; zoomed in, only the
// visible nodes and edges are rendered (onlyRenderVisibleElements). Node
// components are memoised and get their size and handle positions up front
// (so xyflow draws edges without measuring first), selection lives outside
// React state (selection.ts), and when a small graph is zoomed far out the
// nodes' text is hidden by one class on the container, not by re-rendering.
//
// Test hooks (a stable contract with web/e2e): see the data-testid and
// data-* attributes here and in nodes.tsx and Preview.tsx; once a layout is
// painted the container gets data-ready="true" and window.__troveLineage
// holds {nodes, edges, renderedAt}.

import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStoreApi,
  getViewportForBounds,
  type Edge,
  type NodeMouseHandler,
  type OnMove,
  type Viewport,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { api, type Direction, type Lineage } from "../api";
import { layout, nodeSize } from "../graph/layout";
import { buildModel, viewGraph, type ClusterState, type LineageModel, type ViewGraph } from "../graph/model";
import { navigate, useLocation } from "../nav";
import { loadElk } from "./elk";
import "./lineage.css";
import { ARTIFACT_COLOR, KindIcon, nodeTypes, RUN_COLOR, type LineageFlowNode } from "./nodes";
import { geometry, nodeAt, Overview, OVERVIEW_MIN_NODES, OVERVIEW_ZOOM, type Geometry } from "./Overview";
import { Preview } from "./Preview";
import { ActionsContext, createSelection, useSelected, type LineageActions, type SelectionStore } from "./selection";
import { decodeGraphState, encodeGraphState, sameGraphState, type GraphState } from "./urlState";

export type LineageStart =
  // focus: the node to centre on when it is not the version's own, as for a
  // registry link, whose lineage is its source's graph (focus: the source).
  | { kind: "artifact"; entity: string; project: string; name: string; version: string; focus?: string }
  | { kind: "run"; id: string };

declare global {
  interface Window {
    /** Set when a lineage graph has been laid out and painted (for tests and benchmarks). */
    __troveLineage?: { nodes: number; edges: number; renderedAt: number };
  }
}

const DEPTHS: { value: number; label: string }[] = [
  { value: 1, label: "1" },
  { value: 2, label: "2" },
  { value: 3, label: "3" },
  { value: 5, label: "5" },
  { value: 10, label: "10" },
  { value: 0, label: "All" },
];

const DIRECTIONS: { value: Direction; label: string }[] = [
  { value: "both", label: "Both" },
  { value: "upstream", label: "Upstream" },
  { value: "downstream", label: "Downstream" },
];

/** Below this zoom the nodes' text is hidden: it would be unreadable, and it costs paint. */
const FAR_ZOOM = 0.35;

const EDGE_COLOR = "#94a3b8";
const edgeStyle = { stroke: EDGE_COLOR, strokeWidth: 1.75 };
const edgeMarker = { type: MarkerType.ArrowClosed, width: 16, height: 16, color: EDGE_COLOR };
const fitOptions = { padding: 0.06, maxZoom: 1.1 };
const MIN_ZOOM = 0.02;
const noNodes: LineageFlowNode[] = [];
const noEdges: Edge[] = [];

function startID(start: LineageStart): string {
  return start.kind === "run" ? `run:${start.id}` : `artifact:${start.entity}/${start.project}/${start.name}:${start.version}`;
}

/**
 * The focus node's id. A version given by alias ("latest") is found among
 * the artifact nodes of that collection carrying the alias.
 */
function focusID(lineage: Lineage, start: LineageStart): string {
  const id = startID(start);
  if (start.kind === "run" || lineage.nodes.some((n) => n.id === id)) return id;
  if (start.focus && lineage.nodes.some((n) => n.id === start.focus)) return start.focus;
  const prefix = `artifact:${start.entity}/${start.project}/${start.name}:`;
  const byAlias = lineage.nodes.find((n) => n.id.startsWith(prefix) && (n.aliases ?? []).includes(start.version));
  return byAlias?.id ?? id;
}

/**
 * Changes the graph state in the URL (a new history entry, so Back undoes
 * it); the explorer re-renders from the URL.
 */
function setGraphState(change: (s: GraphState) => GraphState) {
  const cur = decodeGraphState(location.search);
  const next = change(cur);
  if (sameGraphState(cur, next)) return;
  navigate(location.pathname + encodeGraphState(next, location.search) + location.hash);
}

/** The explorer's least height, and the space kept below it (the page's bottom padding). */
const FIT_MIN_HEIGHT = 420;
const FIT_BOTTOM = 24;

/** The margin kept between a revealed node and the preview panel or the canvas's edge. */
const REVEAL_MARGIN = 24;

/** ?layout=elk|levels forces a layout engine (comparisons, benchmarks); default: by size. */
function engineFromURL(): "elk" | "levels" | undefined {
  const v = typeof location !== "undefined" ? new URLSearchParams(location.search).get("layout") : null;
  return v === "elk" || v === "levels" ? v : undefined;
}

/** Runs cb after the browser has painted the current frame. */
function afterPaint(cb: () => void) {
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => cb();
    ch.port2.postMessage(0);
  });
}

interface Laid {
  view: ViewGraph;
  nodes: LineageFlowNode[];
  edges: Edge[];
  engine: "elk" | "levels";
  /** The viewport that fits the graph in the canvas as it was when laid out. */
  fit: Viewport;
  /** Large enough to be drawn as an overview when zoomed out. */
  big: boolean;
  /** For the overview: flow-coordinate geometry (large graphs only). */
  geometry: Geometry | null;
}

/** The graph on screen, and whether it is drawn as an overview (see Overview.tsx). */
interface Scene {
  laid: Laid;
  overview: boolean;
}

function fitViewport(nodes: LineageFlowNode[], width: number, height: number): Viewport {
  return getViewportForBounds(boundsOf(nodes), width, height, MIN_ZOOM, fitOptions.maxZoom, fitOptions.padding);
}

function toFlow(view: ViewGraph, positions: Map<string, { x: number; y: number }>, engine: Laid["engine"], size: { width: number; height: number }): Laid {
  const nodes = view.nodes.map((n): LineageFlowNode => {
    const { width, height } = nodeSize(n);
    return {
      id: n.id,
      type: n.kind === "cluster" ? "cluster" : "plain",
      position: positions.get(n.id) ?? { x: 0, y: 0 },
      data: { view: n },
      width,
      height,
      // Known sizes and handles: xyflow can draw edges before it measures.
      measured: { width, height },
      handles: [
        { type: "target", position: Position.Left, x: 0, y: height / 2 - 0.5, width: 1, height: 1 },
        { type: "source", position: Position.Right, x: width - 1, y: height / 2 - 0.5, width: 1, height: 1 },
      ],
      draggable: false,
      selectable: false,
      connectable: false,
    };
  });
  const edges = view.edges.map(
    (e): Edge => ({
      id: e.id,
      source: e.source,
      target: e.target,
      markerEnd: edgeMarker,
      style: edgeStyle,
      selectable: false,
      focusable: false,
    }),
  );
  const big = nodes.length > OVERVIEW_MIN_NODES;
  return { view, nodes, edges, engine, fit: fitViewport(nodes, size.width, size.height), big, geometry: big ? geometry(nodes, edges) : null };
}

type Fetched = { lineage?: Lineage; error?: string };

export function LineageView({ start }: { start: LineageStart }) {
  // A new start is a new explorer: state, selection and viewport reset.
  return (
    <ReactFlowProvider key={startID(start)}>
      <Explorer start={start} />
    </ReactFlowProvider>
  );
}

function Explorer(props: { start: LineageStart }) {
  // The start never changes for an Explorer (LineageView keys it), while the
  // parent passes a new object at each render: keep the first.
  const [start] = useState(props.start);
  // Direction, depth, explode and the pulled-out nodes live in the URL
  // (urlState.ts): reload, Back/Forward and shared links restore them.
  const here = useLocation();
  const graph = useMemo(() => decodeGraphState(here.includes("?") ? here.slice(here.indexOf("?")) : ""), [here]);
  const { direction, depth, exploded } = graph;
  const pulledKey = graph.pulled.join("\n");
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the ids, not the array
  const clusters = useMemo<ClusterState>(() => ({ pulled: new Set(graph.pulled), exploded }), [pulledKey, exploded]);
  // A node just pulled out of a cluster: it gets the keyboard focus once drawn.
  const focusNext = useRef<string | null>(null);
  const [fetched, setFetched] = useState<Fetched | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [scene, setScene] = useState<Scene | null>(null);
  const [busy, setBusy] = useState(true);
  const container = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLDivElement>(null);
  const laid = scene?.laid ?? null;
  const [selection] = useState<SelectionStore>(createSelection);

  // The explorer takes the window's height below its top (the page above
  // it varies), so that a 1440×900 window shows it whole, controls included.
  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const fit = () => {
      const top = el.getBoundingClientRect().top + window.scrollY;
      let h = Math.max(FIT_MIN_HEIGHT, Math.floor(window.innerHeight - top - FIT_BOTTOM));
      el.style.setProperty("--ln-fit-height", `${h}px`);
      // What the page puts below the explorer (its padding) must fit too.
      const over = (document.scrollingElement?.scrollHeight ?? 0) - window.innerHeight;
      if (over > 0 && h - over >= FIT_MIN_HEIGHT) {
        h -= over;
        el.style.setProperty("--ln-fit-height", `${h}px`);
      }
    };
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, []);

  useEffect(() => {
    let live = true;
    setBusy(true);
    markPending(container);
    setFetched((f) => (f?.error ? null : f)); // retrying: the spinner, not the old error
    const req =
      start.kind === "run"
        ? api.runLineage(start.id, direction, depth)
        : api.versionLineage(start.entity, start.project, start.name, start.version, direction, depth);
    req.then(
      (lineage) => live && setFetched({ lineage }),
      (err: unknown) => {
        if (!live) return;
        setFetched({ error: err instanceof Error ? err.message : String(err) });
        setBusy(false);
      },
    );
    return () => {
      live = false;
    };
  }, [start, direction, depth, attempt]);

  const lineage = fetched?.lineage;
  const model = useMemo<LineageModel | null>(() => (lineage ? buildModel(lineage, focusID(lineage, start)) : null), [lineage, start]);
  const view = useMemo(() => (model ? viewGraph(model, clusters) : null), [model, clusters]);

  useEffect(() => {
    if (!view) return;
    let live = true;
    setBusy(true);
    markPending(container);
    layout(view, { elk: loadElk, engine: engineFromURL(), timeoutMs: engineFromURL() === "elk" ? 60_000 : undefined }).then(({ positions, engine }) => {
      if (!live) return;
      const size = { width: canvas.current?.clientWidth || 800, height: canvas.current?.clientHeight || 500 };
      const laid = toFlow(view, positions, engine, size);
      // Decided before the first render: a large graph that fits only far
      // out never creates its thousands of DOM nodes.
      setScene({ laid, overview: laid.big && laid.fit.zoom < OVERVIEW_ZOOM });
      setBusy(false);
    }, (err: unknown) => {
      if (!live) return;
      setFetched({ error: `laying out the graph: ${err instanceof Error ? err.message : String(err)}` });
      setBusy(false);
    });
    return () => {
      live = false;
    };
  }, [view]);

  // A selected node that left the graph (depth or direction changed, or it
  // joined a cluster again) closes the preview.
  useEffect(() => {
    const id = selection.get();
    if (id && model && !model.byID.has(id)) selection.set(null);
  }, [model, selection]);

  const actions = useMemo<LineageActions>(
    () => ({
      selection,
      select: (id) => selection.set(id),
      pull: (id) => {
        focusNext.current = id;
        setGraphState((s) => (s.pulled.includes(id) ? s : { ...s, pulled: [...s.pulled, id] }));
      },
    }),
    [selection],
  );

  const onNodeClick = useCallback<NodeMouseHandler<LineageFlowNode>>(
    (_, node) => {
      if (node.type === "plain") selection.set(node.id);
    },
    [selection],
  );
  const onMove = useCallback<OnMove>((_, vp) => {
    container.current?.classList.toggle("ln-far", vp.zoom < FAR_ZOOM);
    // React bails out when the state is returned unchanged: this costs
    // nothing on the frames that do not cross OVERVIEW_ZOOM.
    setScene((s) => {
      if (!s || !s.laid.big) return s;
      const overview = vp.zoom < OVERVIEW_ZOOM;
      return overview === s.overview ? s : { ...s, overview };
    });
  }, []);

  // Keyboard: xyflow makes nodes focusable (Tab); Enter or Space on a node
  // opens its preview (Escape closes it: PreviewHost).
  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const el = e.target as HTMLElement;
      if ((e.key === "Enter" || e.key === " ") && el.classList.contains("react-flow__node-plain") && el.dataset.id) {
        e.preventDefault();
        selection.set(el.dataset.id);
      }
    },
    [selection],
  );

  const overview = scene?.overview ?? false;
  const error = fetched?.error;
  const counts = laid ? summary(laid.view) : null;

  return (
    <ActionsContext.Provider value={actions}>
      <div className="lineage" ref={container} data-testid="lineage" data-ready="false" onKeyDown={onKeyDown}>
        <div className="ln-toolbar" role="toolbar" aria-label="Lineage controls">
          <div className="ln-legend">
            <span className="ln-legend-item" style={{ color: ARTIFACT_COLOR }}>
              <KindIcon kind="artifact" size={14} /> <span>Artifact</span>
            </span>
            <span className="ln-legend-item" style={{ color: RUN_COLOR }}>
              <KindIcon kind="run" size={14} /> <span>Run</span>
            </span>
            {counts && (
              <span className="ln-counts" data-testid="lineage-counts">
                {counts}
              </span>
            )}
          </div>
          <div className="ln-controls">
            <label className="ln-control">
              <span>Direction</span>
              <select data-testid="lineage-direction" value={direction} onChange={(e) => setGraphState((s) => ({ ...s, direction: e.target.value as Direction }))}>
                {DIRECTIONS.map((d) => (
                  <option key={d.value} value={d.value}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="ln-control">
              <span>Depth</span>
              <select data-testid="lineage-depth" value={depth} onChange={(e) => setGraphState((s) => ({ ...s, depth: Number(e.target.value) }))}>
                {DEPTHS.map((d) => (
                  <option key={d.value} value={d.value}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="ln-button"
              data-testid="lineage-explode"
              aria-pressed={exploded}
              onClick={() => setGraphState((s) => ({ ...s, exploded: !s.exploded }))}
              title={exploded ? "Fold look-alike nodes into clusters again" : "Open every cluster"}
            >
              {exploded ? "Collapse" : "Explode"}
            </button>
            <FitButton laid={laid} />
          </div>
        </div>
        <div className="ln-canvas" ref={canvas}>
          {error ? (
            <div className="ln-message ln-error" role="alert" data-testid="lineage-error">
              <strong>Could not load the lineage.</strong>
              <span>{error}</span>
              <button type="button" className="ln-button" onClick={() => setAttempt((a) => a + 1)}>
                Retry
              </button>
            </div>
          ) : (
            <ReactFlow<LineageFlowNode, Edge>
              nodes={laid && !overview ? laid.nodes : noNodes}
              edges={laid && !overview ? laid.edges : noEdges}
              nodeTypes={nodeTypes}
              onNodeClick={onNodeClick}
              onMove={onMove}
              minZoom={MIN_ZOOM}
              maxZoom={2}
              onlyRenderVisibleElements
              nodesDraggable={false}
              nodesConnectable={false}
              elementsSelectable={false}
              edgesFocusable={false}
              deleteKeyCode={null}
              zoomOnDoubleClick={false}
              proOptions={{ hideAttribution: false }}
            >
              <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
              <Controls showInteractive={false} showFitView={false} position="bottom-left" />
              {laid && !laid.big && (
                <MiniMap style={{ width: 168, height: 108 }} pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} maskColor="rgba(241, 245, 249, 0.7)" position="bottom-right" />
              )}
              {laid && <ReadySignal laid={laid} container={container} focusNext={focusNext} />}
              {laid && <KeepVisible laid={laid} selection={selection} container={container} />}
              {overview && laid?.geometry && <Overview geometry={laid.geometry} selection={selection} />}
              {laid && <PaneClicks laid={laid} overview={overview} selection={selection} />}
            </ReactFlow>
          )}
          {busy && !error && (
            <div className="ln-busy" role="status" aria-live="polite">
              <span className="ln-spinner" aria-hidden="true" />
              {laid ? "Updating…" : "Loading lineage…"}
            </div>
          )}
          {model && <PreviewHost model={model} selection={selection} />}
        </div>
      </div>
    </ActionsContext.Provider>
  );
}

function summary(v: ViewGraph): string {
  let nodes = 0;
  let clusters = 0;
  for (const n of v.nodes) {
    if (n.kind === "cluster") {
      clusters++;
      nodes += n.members!.length;
    } else nodes++;
  }
  const parts = [`${nodes} ${nodes === 1 ? "node" : "nodes"}`, `${v.edges.length} ${v.edges.length === 1 ? "edge" : "edges"}`];
  if (clusters) parts.push(`${clusters} ${clusters === 1 ? "cluster" : "clusters"}`);
  return parts.join(" · ");
}

function minimapColor(n: LineageFlowNode): string {
  const v = n.data.view;
  const kind = v.kind === "cluster" ? v.memberKind : v.kind;
  return kind === "artifact" ? ARTIFACT_COLOR : RUN_COLOR;
}

function markPending(container: RefObject<HTMLDivElement | null>) {
  if (container.current) container.current.dataset.ready = "false";
}

function FitButton({ laid }: { laid: Laid | null }) {
  const store = useStoreApi();
  const { setViewport } = useReactFlow();
  const fit = () => {
    if (!laid) return;
    const { width, height } = store.getState();
    setViewport(fitViewport(laid.nodes, width, height), { duration: 250 });
  };
  return (
    <button type="button" className="ln-button" data-testid="lineage-fit" onClick={fit} title="Fit the graph to the screen">
      Fit to screen
    </button>
  );
}

/**
 * Clicks on the pane: in the overview they hit-test the drawn nodes (a
 * click on a node selects it and zooms in to it), elsewhere they close the
 * preview.
 */
function PaneClicks({ laid, overview, selection }: { laid: Laid; overview: boolean; selection: SelectionStore }) {
  const { screenToFlowPosition, setCenter } = useReactFlow();
  const store = useStoreApi();
  useEffect(() => {
    const pane = store.getState().domNode?.querySelector(".react-flow__pane");
    if (!pane) return;
    const click = (e: Event) => {
      const me = e as MouseEvent;
      if (overview && laid.geometry) {
        const p = screenToFlowPosition({ x: me.clientX, y: me.clientY });
        const i = nodeAt(laid.geometry, p.x, p.y);
        if (i >= 0) {
          const g = laid.geometry;
          const v = laid.nodes[i].data.view;
          if (v.kind !== "cluster") selection.set(v.id);
          setCenter(g.x[i] + g.w[i] / 2, g.y[i] + g.h[i] / 2, { zoom: 0.8, duration: 300 });
          return;
        }
      }
      selection.set(null);
    };
    pane.addEventListener("click", click);
    return () => pane.removeEventListener("click", click);
  }, [laid, overview, selection, store, screenToFlowPosition, setCenter]);
  return null;
}

/**
 * Fits each new layout to the screen and, once it is painted, marks the
 * container ready and publishes the figures tests and benchmarks read.
 *
 * The viewport is computed here and set before the browser paints (a layout
 * effect), rather than with xyflow's fitView, which is queued to a later
 * frame and whose promise can be lost when two fits overlap.
 */
function ReadySignal({ laid, container, focusNext }: { laid: Laid; container: RefObject<HTMLDivElement | null>; focusNext: RefObject<string | null> }) {
  const store = useStoreApi<LineageFlowNode>();
  const { setViewport } = useReactFlow();
  useLayoutEffect(() => {
    let live = true;
    const { width, height } = store.getState();
    // The canvas may have been resized since the layout (rarely): fit to it now.
    const vp = width && height ? fitViewport(laid.nodes, width, height) : laid.fit;
    setViewport(vp);
    container.current?.classList.toggle("ln-far", vp.zoom < FAR_ZOOM);
    afterPaint(() => {
      if (!live || !container.current) return;
      container.current.dataset.ready = "true";
      container.current.dataset.engine = laid.engine;
      window.__troveLineage = { nodes: laid.nodes.length, edges: laid.edges.length, renderedAt: performance.now() };
      // The node just pulled out of its cluster takes the keyboard focus
      // from the cluster's list, which re-rendered without it.
      const id = focusNext.current;
      if (id && laid.nodes.some((n) => n.id === id)) {
        focusNext.current = null;
        const el = container.current.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
        el?.focus({ preventScroll: true });
      }
    });
    return () => {
      live = false;
    };
  }, [laid, container, store, setViewport, focusNext]);
  return null;
}

/**
 * Keeps the selected node out from under the preview panel: once the panel
 * is drawn, a node in its column (even in part) is panned left of it, or
 * into the middle of the free space when it does not fit there.
 */
function KeepVisible({ laid, selection, container }: { laid: Laid; selection: SelectionStore; container: RefObject<HTMLDivElement | null> }) {
  const store = useStoreApi<LineageFlowNode>();
  const { setViewport } = useReactFlow();
  useEffect(() => {
    const reveal = () => {
      const id = selection.get();
      if (!id) return;
      // A member of a cluster is revealed with its cluster.
      const node = laid.nodes.find((n) => n.id === id) ?? laid.nodes.find((n) => n.data.view.members?.some((m) => m.id === id));
      const panel = container.current?.querySelector<HTMLElement>(".ln-preview");
      const pane = store.getState().domNode;
      if (!node || !panel || !pane) return;
      const [tx, ty, zoom] = store.getState().transform;
      const box = pane.getBoundingClientRect();
      const p = panel.getBoundingClientRect();
      const left = box.left + tx + node.position.x * zoom;
      const right = left + (node.width ?? 0) * zoom;
      // The panel's column, not its box: the panel grows when its fields
      // arrive, to the canvas's height at most.
      const covered = right > p.left && left < p.right;
      if (!covered) return;
      const free = p.left - box.left - 2 * REVEAL_MARGIN; // the width left of the panel
      const width = right - left;
      const dx = width <= free ? p.left - REVEAL_MARGIN - right : box.left + REVEAL_MARGIN + (free - width) / 2 - left;
      setViewport({ x: tx + dx, y: ty, zoom }, { duration: 200 });
    };
    // After the panel's frame is painted: its size is then known.
    const onChange = () => afterPaint(reveal);
    onChange();
    return selection.subscribe(onChange);
  }, [laid, selection, container, store, setViewport]);
  return null;
}

function boundsOf(nodes: LineageFlowNode[]): { x: number; y: number; width: number; height: number } {
  if (nodes.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + (n.width ?? 0));
    y1 = Math.max(y1, n.position.y + (n.height ?? 0));
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function PreviewHost({ model, selection }: { model: LineageModel; selection: SelectionStore }) {
  const id = useSelected(selection);
  const node = id ? model.byID.get(id) : undefined;
  // Escape closes the preview wherever the focus is (but in a text field).
  useEffect(() => {
    if (!node) return;
    const key = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key === "Escape" && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement)) selection.set(null);
    };
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, [node, selection]);
  if (!node) return null;
  return <Preview node={node} onClose={() => selection.set(null)} />;
}
