// The type graph of a project: which job types consume and produce which
// artifact types. Artifact types blue, job types green, left to right
// (layout: components/typeLayout.ts); each node links to its instances
// (artifact type → the artifacts page at that type; job type → the runs of
// that job type). A table below says the same for keyboards and readers.

import "@xyflow/react/dist/style.css";
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { memo, useMemo } from "react";
import { api, type TypeGraph, type TypeGraphNode } from "../api";
import { BoxIcon, PlayIcon } from "../components/Icons";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { edgeKey, layoutTypes } from "../components/typeLayout";
import { useAsync } from "../components/useAsync";
import { plural } from "../format";
import { links } from "../links";
import { Link, navigate } from "../nav";

type TypeNodeData = { t: TypeGraphNode; href: string };
type TypeFlowNode = Node<TypeNodeData, "type">;

const hrefOf = (entity: string, project: string, n: TypeGraphNode) =>
  n.kind === "artifact_type" ? links.artifacts(entity, project, n.name) : links.runs(entity, project, n.name);

const countOf = (n: TypeGraphNode) => (n.kind === "artifact_type" ? plural(n.count, "collection") : plural(n.count, "run"));

const TypeNodeView = memo(function TypeNodeView({ data }: NodeProps<TypeFlowNode>) {
  const { t, href } = data;
  const artifact = t.kind === "artifact_type";
  return (
    <div className={`type-node ${artifact ? "is-artifact" : "is-job"}`} data-testid="type-node" data-node-id={t.id} data-kind={t.kind} data-count={t.count}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className="type-node-icon" aria-hidden="true">
        {artifact ? <BoxIcon /> : <PlayIcon />}
      </span>
      <span className="type-node-body">
        <span className="type-node-kind">{artifact ? "artifact type" : "job type"}</span>
        <Link href={href} className="type-node-name nodrag" title={artifact ? `Collections of type ${t.name}` : `Runs of job type ${t.name}`}>
          {t.name || "(none)"}
        </Link>
        <span className="type-node-count">{countOf(t)}</span>
      </span>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { type: TypeNodeView };

export function TypesPage({ entity, project }: { entity: string; project: string }) {
  const graph = useAsync(() => api.typeGraph(entity, project), [entity, project]);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Types</h1>
          <p className="muted">Which job types consume and produce which artifact types in {entity}/{project}.</p>
        </div>
        <div className="legend" aria-label="Legend">
          <span className="legend-item">
            <span className="swatch artifact" /> artifact type
          </span>
          <span className="legend-item">
            <span className="swatch run" /> job type
          </span>
        </div>
      </div>
      {graph.status === "loading" && <Loading label="Loading the type graph…" />}
      {graph.status === "error" && <ErrorBox error={graph.error} onRetry={graph.reload} />}
      {graph.status === "ready" &&
        (graph.data.nodes.length === 0 ? (
          <Empty title="No types yet">Runs and artifacts logged in this project will appear here.</Empty>
        ) : (
          <TypeGraphView entity={entity} project={project} graph={graph.data} />
        ))}
    </div>
  );
}

function TypeGraphView({ entity, project, graph }: { entity: string; project: string; graph: TypeGraph }) {
  const { nodes, edges, height } = useMemo(() => {
    const layout = layoutTypes(graph.nodes, graph.edges, 226, 84);
    const nodes: TypeFlowNode[] = layout.placed.map((p) => ({
      id: p.node.id,
      type: "type",
      position: { x: p.x, y: p.y },
      data: { t: p.node, href: hrefOf(entity, project, p.node) },
      draggable: false,
      connectable: false,
    }));
    const edges: Edge[] = graph.edges.map((e) => ({
      id: edgeKey(e),
      source: e.from,
      target: e.to,
      type: layout.backEdges.has(edgeKey(e)) ? "smoothstep" : "default",
      markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18, color: "var(--edge)" },
      style: { stroke: "var(--edge)", strokeWidth: 1.5 },
      focusable: false,
    }));
    return { nodes, edges, height: Math.max(280, Math.min(720, layout.maxPerLevel * 96 + 140)) };
  }, [graph, entity, project]);

  const names = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const ins = (id: string) => graph.edges.filter((e) => e.to === id).map((e) => names.get(e.from)!).filter(Boolean);
  const outs = (id: string) => graph.edges.filter((e) => e.from === id).map((e) => names.get(e.to)!).filter(Boolean);
  const sorted = [...graph.nodes].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind === "artifact_type" ? -1 : 1));

  return (
    <>
      <div className="graph-frame" style={{ height }} data-testid="type-graph">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ padding: 0.06, maxZoom: 1.1 }}
          minZoom={0.2}
          maxZoom={2}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          onNodeClick={(e, n) => {
            // A click on the name is the link's own; anywhere else on the node follows it too.
            if ((e.target as HTMLElement).closest("a")) return;
            navigate((n as TypeFlowNode).data.href);
          }}
          proOptions={{ hideAttribution: false }}
        >
          <Background gap={20} size={1} color="var(--grid)" />
          <Controls showInteractive={false} fitViewOptions={{ padding: 0.06, maxZoom: 1.1 }} />
        </ReactFlow>
      </div>
      <div className="table-wrap types-table">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Count
              </th>
              <th scope="col">Consumes / made by</th>
              <th scope="col">Produces / used by</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((n) => (
              <tr key={n.id} data-type-id={n.id}>
                <td>
                  <Link href={hrefOf(entity, project, n)} className={`badge type ${n.kind === "artifact_type" ? "type-artifact" : "type-run"}`}>
                    {n.name || "(none)"}
                  </Link>
                </td>
                <td className="muted">{n.kind === "artifact_type" ? "artifact type" : "job type"}</td>
                <td className="num">{countOf(n)}</td>
                <td>{ins(n.id).map((m) => m.name).join(", ") || <span className="muted">—</span>}</td>
                <td>{outs(n.id).map((m) => m.name).join(", ") || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
