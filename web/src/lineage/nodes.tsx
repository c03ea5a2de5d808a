// The node components of the lineage graph: a run or an artifact (a card
// with its type before its name, blue for artifacts, green for runs), and a
// cluster (a stacked card with a search box and its members, each of which
// can be previewed or pulled out). Memoised: xyflow re-renders a node only
// when its data object changes, which happens only on a new layout.

import { Handle, Position, type Node, type NodeProps, type NodeTypes } from "@xyflow/react";
import { memo, useMemo, useState, useSyncExternalStore, type UIEvent } from "react";
import { CLUSTER_ROW_HEIGHT, CLUSTER_ROWS, nodeSize } from "../graph/layout";
import { searchMembers, type NodeKind, type ViewNode } from "../graph/model";
import { useActions, useIsSelected } from "./selection";

export const ARTIFACT_COLOR = "#2f6fde";
export const RUN_COLOR = "#1f9d55";

export function kindColor(kind: NodeKind): string {
  return kind === "artifact" ? ARTIFACT_COLOR : RUN_COLOR;
}

export type PlainFlowNode = Node<{ view: ViewNode }, "plain">;
export type ClusterFlowNode = Node<{ view: ViewNode }, "cluster">;
export type LineageFlowNode = PlainFlowNode | ClusterFlowNode;

/**
 * How many member rows a cluster renders at first (a few more than its box
 * shows); scrolling near the end renders LIST_STEP more. A graph of 2,000
 * nodes folds into ~80 clusters of ~25 members: rendering every row of every
 * cluster up front would double the cost of the first render.
 */
const LIST_FIRST = CLUSTER_ROWS + 3;
const LIST_STEP = 40;

export function KindIcon({ kind, size = 16 }: { kind: NodeKind; size?: number }) {
  if (kind === "artifact") {
    // A box: an artifact version.
    return (
      <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
        <path d="M21 8 12 3 3 8v8l9 5 9-5V8Z" />
        <path d="m3 8 9 5 9-5M12 13v8" />
      </svg>
    );
  }
  // A play mark in a circle: a run.
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <circle cx="12" cy="12" r="9" />
      <path d="m10 8.5 5 3.5-5 3.5v-7Z" fill="currentColor" />
    </svg>
  );
}

function PullIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d="M7 17 17 7M9 7h8v8" />
    </svg>
  );
}

const stateClass = (state?: string) => (state && state !== "finished" ? ` ln-state-${state}` : "");

export const PlainNode = memo(function PlainNode({ data }: NodeProps<PlainFlowNode>) {
  const n = data.view;
  const kind = n.kind as NodeKind;
  const selected = useIsSelected(n.id);
  const { width, height } = nodeSize(n);
  const state = n.data?.state;
  return (
    <div
      className={`ln-node ln-${kind}${n.focus ? " ln-focus" : ""}${selected ? " ln-selected" : ""}`}
      data-testid="lineage-node"
      data-node-id={n.id}
      data-kind={kind}
      data-focus={n.focus ? "true" : undefined}
      data-selected={selected ? "true" : undefined}
      style={{ borderColor: kindColor(kind), width, height }}
      title={`${n.label} ${n.name}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className="ln-icon">
        <KindIcon kind={kind} />
      </span>
      <span className="ln-text">
        <span className="ln-type" data-part="type">
          {n.label || kind}
        </span>
        <span className="ln-name" data-part="name">
          {n.name}
        </span>
      </span>
      {kind === "run" && state && state !== "finished" && <span className={`ln-state${stateClass(state)}`} title={state} aria-label={`state ${state}`} />}
      <span className="ln-far-label ln-far-name" aria-hidden="true">
        {n.name}
      </span>
      {n.focus && <span className="ln-focus-badge">focus</span>}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

export const ClusterNode = memo(function ClusterNode({ data }: NodeProps<ClusterFlowNode>) {
  const c = data.view;
  const kind = c.memberKind!;
  const members = c.members!;
  const [query, setQuery] = useState("");
  const [limit, setLimit] = useState(LIST_FIRST);
  const matches = useMemo(() => searchMembers(members, query), [members, query]);
  const { select, pull, selection } = useActions();
  const selected = useSyncExternalStore(selection.subscribe, selection.get);
  const { width, height } = nodeSize(c);
  const listed = matches.slice(0, limit);
  const onScroll = (e: UIEvent<HTMLUListElement>) => {
    const el = e.currentTarget;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2 * CLUSTER_ROW_HEIGHT && limit < matches.length) setLimit(limit + LIST_STEP);
  };
  const plural = kind === "run" ? "runs" : "artifacts";
  return (
    <div
      className={`ln-cluster ln-${kind}`}
      data-testid="lineage-cluster"
      data-node-id={c.id}
      data-kind={kind}
      data-count={members.length}
      style={{ borderColor: kindColor(kind), width, height }}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="ln-cluster-head">
        <span className="ln-icon">
          <KindIcon kind={kind} />
        </span>
        <span className="ln-cluster-title" data-part="name">
          <b>{c.name}</b>
          <span className="ln-cluster-type"> · {c.label || kind}</span>
        </span>
      </div>
      <div className="ln-far-label" aria-hidden="true">
        <b>{members.length}</b>
        <span>{c.label || plural}</span>
      </div>
      <div className="ln-cluster-search">
        <input
          className="nodrag"
          type="search"
          data-testid="cluster-search"
          placeholder={`Search ${members.length} ${plural}`}
          aria-label={`Search the ${c.label} ${plural}`}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onClick={(e) => e.stopPropagation()}
        />
      </div>
      <ul className="ln-cluster-list nowheel nodrag" style={{ maxHeight: CLUSTER_ROWS * CLUSTER_ROW_HEIGHT }} onScroll={onScroll}>
        {listed.map((m) => (
          <li key={m.id} data-testid="cluster-member" data-node-id={m.id} className={selected === m.id ? "ln-member-selected" : undefined} style={{ height: CLUSTER_ROW_HEIGHT }}>
            <button
              type="button"
              className="ln-member"
              title={`Preview ${m.name}`}
              onClick={(e) => {
                e.stopPropagation();
                select(m.id);
              }}
            >
              <span className={`ln-dot${stateClass(m.state)}`} aria-hidden="true" />
              {m.name}
            </button>
            <button
              type="button"
              className="ln-pull"
              data-testid="cluster-pull"
              title="Pull out of the cluster"
              aria-label={`Pull ${m.name} out of the cluster`}
              onClick={(e) => {
                e.stopPropagation();
                // The search found what it was for: clear it (the list shows
                // the cluster whole again); the pulled-out node takes the focus.
                setQuery("");
                pull(m.id);
              }}
            >
              <PullIcon />
            </button>
          </li>
        ))}
        {matches.length === 0 && <li className="ln-cluster-note">No {kind} matches “{query.trim()}”</li>}
        {matches.length > listed.length && <li className="ln-cluster-note">{matches.length - listed.length} more — scroll or search</li>}
      </ul>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

/** xyflow's node types; a module constant, so xyflow never sees a new object. */
export const nodeTypes: NodeTypes = { plain: PlainNode, cluster: ClusterNode };
