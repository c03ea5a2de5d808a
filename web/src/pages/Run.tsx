// A run: id, name, state, job type, group, config, times, inputs and
// outputs; tabs Overview | Lineage.

import { api, type Run, type Version } from "../api";
import { StateBadge } from "../components/Badge";
import { CopyButton } from "../components/Copy";
import { Field, VersionLink } from "../components/Fields";
import { ObjectTable } from "../components/KeyValue";
import { Lineage } from "../components/Lineage";
import { ErrorBox, Loading } from "../components/Status";
import { TabLinks } from "../components/Tabs";
import { Time } from "../components/Time";
import { useAsync, type Async } from "../components/useAsync";
import { formatSpan } from "../format";
import { links } from "../links";
import { Link } from "../nav";

export function RunPage({ entity, project, id, tab }: { entity: string; project: string; id: string; tab: "overview" | "lineage" }) {
  const run = useAsync(() => api.run(id), [id]);
  if (run.status === "loading") return <Loading label="Loading run…" />;
  if (run.status === "error")
    return (
      <div className="page">
        <ErrorBox error={run.error} onRetry={run.reload} />
      </div>
    );
  const r = run.data;
  // The URL's entity/project are the page's; the run's own are the truth.
  const e = r.entity || entity;
  const p = r.project || project;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="eyebrow">
            {r.job_type && (
              <Link href={links.runs(e, p, r.job_type)} className="badge type type-run">
                {r.job_type}
              </Link>
            )}
            <StateBadge state={r.state} />
          </div>
          <h1>{r.name}</h1>
          <p className="muted full-name">
            run <code>{r.id}</code> <CopyButton text={r.id} label="Copy run id" /> · {e}/{p}
          </p>
        </div>
      </div>
      <TabLinks
        label="Run"
        active={tab}
        tabs={[
          { id: "overview", label: "Overview", href: links.run(e, p, r.id) },
          { id: "lineage", label: "Lineage", href: links.run(e, p, r.id, "lineage") },
        ]}
      />
      <div className="tab-panel">{tab === "overview" ? <Overview run={r} /> : <Lineage start={{ kind: "run", id: r.id }} />}</div>
    </div>
  );
}

function Overview({ run: r }: { run: Run }) {
  const inputs = useAsync(() => api.runInputs(r.id), [r.id]);
  const outputs = useAsync(() => api.runOutputs(r.id), [r.id]);
  const here = { entity: r.entity, project: r.project };
  return (
    <div className="overview-grid">
      <section className="card" aria-labelledby="run-details-h">
        <h2 id="run-details-h" className="card-title">
          Details
        </h2>
        <dl className="fields">
          <Field name="id" label="ID" value={r.id}>
            <code>{r.id}</code>
          </Field>
          <Field name="name" label="Name" value={r.name}>
            {r.name}
          </Field>
          <Field name="state" label="State" value={r.state}>
            <StateBadge state={r.state} />
          </Field>
          <Field name="job_type" label="Job type" value={r.job_type}>
            {r.job_type ? (
              <Link href={links.runs(r.entity, r.project, r.job_type)} className="badge type type-run">
                {r.job_type}
              </Link>
            ) : (
              <span className="muted">—</span>
            )}
          </Field>
          <Field name="group" label="Group" value={r.group}>
            {r.group || <span className="muted">—</span>}
          </Field>
          <Field name="started" label="Started" value={r.started_at}>
            <Time t={r.started_at} exact />
          </Field>
          <Field name="finished" label="Finished" value={r.finished_at ?? ""}>
            {r.finished_at ? <Time t={r.finished_at} exact /> : <span className="muted">{r.state === "running" ? "Still running" : "—"}</span>}
          </Field>
          <Field name="duration" label="Duration" value={formatSpan(r.started_at, r.finished_at)}>
            {formatSpan(r.started_at, r.finished_at)}
            {!r.finished_at && r.state === "running" && <span className="muted"> so far</span>}
          </Field>
          {r.tags && r.tags.length > 0 && (
            <Field name="tags" label="Tags" value={r.tags.join(",")}>
              <span className="badges">
                {r.tags.map((t) => (
                  <span key={t} className="badge subtle">
                    {t}
                  </span>
                ))}
              </span>
            </Field>
          )}
        </dl>
      </section>
      <section className="card" aria-labelledby="run-config-h">
        <h2 id="run-config-h" className="card-title">
          Config
        </h2>
        <ObjectTable value={r.config} empty="No config." testid="config" />
      </section>
      <section className="card" aria-labelledby="run-inputs-h" data-testid="run-inputs">
        <h2 id="run-inputs-h" className="card-title">
          Inputs <span className="muted">used artifacts</span>
        </h2>
        <VersionList list={inputs} empty="This run used no artifact." here={here} />
      </section>
      <section className="card" aria-labelledby="run-outputs-h" data-testid="run-outputs">
        <h2 id="run-outputs-h" className="card-title">
          Outputs <span className="muted">logged artifacts</span>
        </h2>
        <VersionList list={outputs} empty="This run logged no artifact." here={here} />
      </section>
    </div>
  );
}

function VersionList({ list, empty, here }: { list: Async<Version[]>; empty: string; here: { entity: string; project: string } }) {
  if (list.status === "loading") return <Loading />;
  if (list.status === "error") return <ErrorBox error={list.error} onRetry={list.reload} />;
  if (list.data.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="version-list">
      {list.data.map((v) => (
        <li key={`${v.entity}/${v.project}/${v.name}:${v.index}`}>
          <VersionLink v={v} here={here} />
        </li>
      ))}
    </ul>
  );
}
