// The preview panel: what a clicked node is, fetched fresh from the API (a
// run: id, name, state, job type, start, duration; an artifact: full name,
// version, type, created, aliases, size, the runs that logged it and the
// runs that used it), with a link to its page. Each
// value carries its raw form in data-value, for tests and copying.

import { useEffect, useState, type ReactNode } from "react";
import { api, parseArtifactID, type LineageNode, type Run, type Version } from "../api";
import { Breakable } from "../components/Breakable";
import { Time } from "../components/Time";
import { formatSize, formatSpan } from "../format";
import { links } from "../links";
import { Link } from "../nav";
import { KindIcon, kindColor } from "./nodes";

type Loaded =
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "run"; run: Run }
  | { status: "artifact"; version: Version; loggedBy: Run[]; usedBy: Run[] };

function Row({ field, label, value, children }: { field: string; label: string; value: string; children: ReactNode }) {
  return (
    <div className="ln-field" data-field={field} data-value={value}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function Preview({ node, onClose }: { node: LineageNode; onClose: () => void }) {
  const [loaded, setLoaded] = useState<Loaded>({ status: "loading" });

  useEffect(() => {
    let live = true;
    setLoaded({ status: "loading" });
    const fail = (err: unknown) => live && setLoaded({ status: "error", message: err instanceof Error ? err.message : String(err) });
    if (node.kind === "run") {
      api
        .run(node.run_id ?? node.id.replace(/^run:/, ""))
        .then((run) => live && setLoaded({ status: "run", run }))
        .catch(fail);
    } else {
      const a = parseArtifactID(node.id);
      if (!a) {
        fail(new Error(`not an artifact id: ${node.id}`));
      } else {
        Promise.all([
          api.version(a.entity, a.project, a.name, a.version),
          api.loggedBy(a.entity, a.project, a.name, a.version),
          api.usedBy(a.entity, a.project, a.name, a.version),
        ])
          .then(([version, by, usedBy]) => {
            // A server before producers existed answers the first logger only.
            const loggedBy = by ? (by.producers?.length ? by.producers : [by]) : [];
            if (live) setLoaded({ status: "artifact", version, loggedBy, usedBy });
          })
          .catch(fail);
      }
    }
    return () => {
      live = false;
    };
  }, [node]);

  const kind = node.kind;
  const type = (kind === "run" ? node.job_type : node.type) ?? "";
  let href: string;
  if (kind === "run") {
    href = links.run(node.entity, node.project, node.run_id ?? node.id.replace(/^run:/, ""));
  } else {
    const a = parseArtifactID(node.id);
    href = a ? links.version(a.entity, a.project, type, a.name, a.version) : "#";
  }

  return (
    <aside className={`ln-preview ln-${kind}`} data-testid="lineage-preview" data-node-id={node.id} aria-label={`Preview of ${node.name}`}>
      <header className="ln-preview-head">
        <span className="ln-icon" style={{ color: kindColor(kind) }}>
          <KindIcon kind={kind} size={18} />
        </span>
        <div className="ln-preview-title">
          <span className="ln-type">{type || kind}</span>
          <h3 title={node.name}>
            <Breakable text={node.name} />
          </h3>
        </div>
        <button type="button" className="ln-close" onClick={onClose} aria-label="Close the preview" title="Close">
          ×
        </button>
      </header>
      <div className="ln-preview-body">
        {loaded.status === "loading" && (
          <div className="ln-preview-status" role="status">
            <span className="ln-spinner" aria-hidden="true" /> Loading…
          </div>
        )}
        {loaded.status === "error" && (
          <div className="ln-preview-status ln-error" role="alert">
            {loaded.message}
          </div>
        )}
        {loaded.status === "run" && <RunFields run={loaded.run} />}
        {loaded.status === "artifact" && <ArtifactFields version={loaded.version} loggedBy={loaded.loggedBy} usedBy={loaded.usedBy} />}
      </div>
      <footer className="ln-preview-foot">
        <Link href={href} className="ln-open" data-testid="preview-link">
          {kind === "run" ? "Open run page" : "Open artifact page"} →
        </Link>
      </footer>
    </aside>
  );
}

function RunFields({ run }: { run: Run }) {
  const duration = formatSpan(run.started_at, run.finished_at);
  return (
    <dl className="ln-fields">
      <Row field="id" label="ID" value={run.id}>
        <code>{run.id}</code>
      </Row>
      <Row field="name" label="Name" value={run.name}>
        {run.name}
      </Row>
      <Row field="state" label="State" value={run.state}>
        <span className={`ln-badge ln-badge-${run.state}`}>{run.state}</span>
      </Row>
      <Row field="job_type" label="Job type" value={run.job_type}>
        {run.job_type || "—"}
      </Row>
      <Row field="started" label="Started" value={run.started_at}>
        <Time t={run.started_at} exact />
      </Row>
      <Row field="duration" label="Duration" value={duration}>
        {duration}
        {!run.finished_at && run.state === "running" ? " (running)" : ""}
      </Row>
    </dl>
  );
}

/** How many runs a list shows before "and N more" (the artifact page has them all). */
const RUNS_SHOWN = 5;

function RunList({ runs }: { runs: Run[] }) {
  if (runs.length === 0) return <>—</>;
  const shown = runs.slice(0, RUNS_SHOWN);
  return (
    <ul className="ln-runs">
      {shown.map((r) => (
        <li key={r.id} data-run-id={r.id}>
          <Link href={links.run(r.entity, r.project, r.id)} className="ln-link" title={`${r.entity}/${r.project} · ${r.id}`}>
            <Breakable text={r.name} />
          </Link>
        </li>
      ))}
      {runs.length > shown.length && <li className="ln-muted">and {runs.length - shown.length} more</li>}
    </ul>
  );
}

function ArtifactFields({ version: v, loggedBy, usedBy }: { version: Version; loggedBy: Run[]; usedBy: Run[] }) {
  const full = `${v.entity}/${v.project}/${v.name}:v${v.index}`;
  return (
    <dl className="ln-fields">
      <Row field="full_name" label="Full name" value={full}>
        <code className="ln-wrap">
          <Breakable text={full} />
        </code>
      </Row>
      <Row field="version" label="Version" value={`v${v.index}`}>
        <span className="ln-badge">v{v.index}</span>
      </Row>
      <Row field="type" label="Type" value={v.type}>
        {v.type}
      </Row>
      <Row field="created" label="Created" value={v.created_at}>
        <Time t={v.created_at} exact />
      </Row>
      <Row field="aliases" label="Aliases" value={v.aliases.join(",")}>
        {v.aliases.length === 0
          ? "—"
          : v.aliases.map((a) => (
              <span key={a} className="ln-badge ln-alias">
                {a}
              </span>
            ))}
      </Row>
      <Row field="size" label="Size" value={String(v.size)}>
        {formatSize(v.size)}
        <span className="ln-muted">
          {" "}
          · {v.file_count} {v.file_count === 1 ? "file" : "files"}
        </span>
      </Row>
      <Row field="logged_by" label="Logged by" value={loggedBy.map((r) => r.id).join(",")}>
        <RunList runs={loggedBy} />
      </Row>
      <Row field="used_by" label="Used by" value={usedBy.map((r) => r.id).join(",")}>
        <RunList runs={usedBy} />
      </Row>
    </dl>
  );
}
