// Pieces of the overview pages: a details row, and links to runs and
// versions.

import type { ReactNode } from "react";
import type { Run, Version } from "../api";
import { formatSize } from "../format";
import { links } from "../links";
import { Link } from "../nav";
import { parseVersionRef } from "../registry";
import { StateBadge } from "./Badge";

/**
 * A row of a details list. The value cell carries data-testid="field-<name>"
 * and, in data-value, the raw value it shows (for tests and copying).
 */
export function Field({ name, label, value, children }: { name: string; label: string; value?: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd data-testid={`field-${name}`} data-value={value}>
        {children}
      </dd>
    </div>
  );
}

export function RunLink({ run }: { run: Run }) {
  return (
    <span className="run-link">
      <Link href={links.run(run.entity, run.project, run.id)} data-testid="run-link" className="strong-link">
        {run.name}
      </Link>
      <code className="muted">{run.id}</code>
      {run.job_type && <span className="badge type type-run">{run.job_type}</span>}
      {run.state !== "finished" && <StateBadge state={run.state} />}
    </span>
  );
}

/**
 * A version as a link to its page, with its type, aliases and size; its
 * entity/project is shown when it differs from the page's (here).
 */
export function VersionLink({ v, here }: { v: Version; here?: { entity: string; project: string } }) {
  const vn = `v${v.index}`;
  const foreign = !here || here.entity !== v.entity || here.project !== v.project;
  return (
    <span className="version-link">
      <span className="badge type type-artifact">{v.type}</span>
      <Link href={links.version(v.entity, v.project, v.type, v.name, vn)} data-testid="version-link" className="strong-link mono">
        {foreign && <span className="muted">{`${v.entity}/${v.project}/`}</span>}
        {v.name}:{vn}
      </Link>
      {v.aliases.map((a) => (
        <span key={a} className={`badge alias${a === "latest" ? " alias-latest" : ""}`}>
          {a}
        </span>
      ))}
      <span className="muted">{formatSize(v.size)}</span>
    </span>
  );
}

/**
 * A registry link's source, "entity/project/name:vN", as a link to the
 * source version's page (the type is the link's: a link keeps its source's).
 * An unparsable reference is shown as text.
 */
export function SourceLink({ source, type, testid = "source-link" }: { source: string; type: string; testid?: string }) {
  const ref = parseVersionRef(source);
  if (!ref) return <span className="mono">{source}</span>;
  return (
    <Link href={links.version(ref.entity, ref.project, type, ref.name, ref.version)} data-testid={testid} className="strong-link mono">
      <span className="muted">{`${ref.entity}/${ref.project}/`}</span>
      {ref.name}:{ref.version}
    </Link>
  );
}
