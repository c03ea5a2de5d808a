// A project's runs: a table with a job type filter (?job_type=, the target
// of links.runs(e, p, jobType)) and a text filter (?q=).

import { useMemo, useState } from "react";
import { api, type Run } from "../api";
import { StateBadge } from "../components/Badge";
import { SearchIcon } from "../components/Icons";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { formatSpan, plural } from "../format";
import { links } from "../links";
import { Link, navigate } from "../nav";

const PAGE = 200;

function setQuery(jobType: string, q: string) {
  const params = new URLSearchParams();
  if (jobType) params.set("job_type", jobType);
  if (q) params.set("q", q);
  const s = params.toString();
  navigate(location.pathname + (s ? `?${s}` : ""), { replace: true });
}

const startedDesc = (a: Run, b: Run) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : a.id < b.id ? -1 : 1);

export function Runs({ entity, project, jobType, query }: { entity: string; project: string; jobType: string; query: string }) {
  const runs = useAsync(() => api.runs(entity, project), [entity, project]);
  const [shown, setShown] = useState(PAGE);
  const [text, setText] = useState(query);
  // Back and forward change ?q= under the input: follow them.
  const [lastQuery, setLastQuery] = useState(query);
  if (query !== lastQuery) {
    setLastQuery(query);
    if (text.trim() !== query) setText(query);
  }

  const jobTypes = useMemo(() => {
    if (runs.status !== "ready") return [];
    const counts = new Map<string, number>();
    for (const r of runs.data) counts.set(r.job_type, (counts.get(r.job_type) ?? 0) + 1);
    return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  }, [runs]);

  const filtered = useMemo(() => {
    if (runs.status !== "ready") return [];
    const q = query.trim().toLowerCase();
    return runs.data
      .filter((r) => !jobType || r.job_type === jobType)
      .filter((r) => !q || [r.name, r.id, r.group, r.job_type, r.state, ...(r.tags ?? [])].some((s) => s && s.toLowerCase().includes(q)))
      .sort(startedDesc);
  }, [runs, jobType, query]);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Runs</h1>
          <p className="muted">
            {runs.status === "ready"
              ? filtered.length === runs.data.length
                ? plural(runs.data.length, "run")
                : `${plural(filtered.length, "run")} of ${runs.data.length.toLocaleString("en-US")}`
              : "\u00a0"}
          </p>
        </div>
        {runs.status === "ready" && runs.data.length > 0 && (
          <div className="filters">
            <label className="select-field">
              <span className="field-label-inline">Job type</span>
              <select value={jobType} onChange={(e) => setQuery(e.target.value, text.trim())} data-testid="runs-job-type">
                <option value="">All</option>
                {jobTypes.map(([jt, n]) => (
                  <option key={jt} value={jt}>
                    {jt || "(none)"} ({n})
                  </option>
                ))}
                {jobType && !jobTypes.some(([jt]) => jt === jobType) && <option value={jobType}>{jobType} (0)</option>}
              </select>
            </label>
            <label className="search-field">
              <SearchIcon />
              <span className="sr-only">Filter runs</span>
              <input
                type="search"
                placeholder="Filter by name, id, group…"
                value={text}
                onChange={(e) => {
                  setText(e.target.value);
                  setQuery(jobType, e.target.value.trim());
                }}
                data-testid="runs-filter"
              />
            </label>
          </div>
        )}
      </div>
      {runs.status === "loading" && <Loading label="Loading runs…" />}
      {runs.status === "error" && <ErrorBox error={runs.error} onRetry={runs.reload} />}
      {runs.status === "ready" && runs.data.length === 0 && (
        <Empty title="No runs in this project">
          Start one with <code>trove exec -p {project} -j JOB_TYPE -- COMMAND</code>.
        </Empty>
      )}
      {runs.status === "ready" && runs.data.length > 0 && filtered.length === 0 && <Empty title="No run matches the filters" />}
      {filtered.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">State</th>
                <th scope="col">Job type</th>
                <th scope="col">Group</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {filtered.slice(0, shown).map((r) => (
                <tr key={r.id} data-run-id={r.id}>
                  <td>
                    <Link href={links.run(entity, project, r.id)} className="strong-link" data-testid="run-link">
                      {r.name}
                    </Link>
                  </td>
                  <td>
                    <code className="muted">{r.id}</code>
                  </td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>
                    {r.job_type ? (
                      <Link href={links.runs(entity, project, r.job_type)} className="badge type type-run" title={`Only ${r.job_type} runs`}>
                        {r.job_type}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{r.group || <span className="muted">—</span>}</td>
                  <td>
                    <Time t={r.started_at} />
                  </td>
                  <td className="num">{formatSpan(r.started_at, r.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {filtered.length > shown && (
            <div className="table-more">
              <button type="button" className="btn btn-secondary btn-sm" onClick={() => setShown((n) => n + PAGE)}>
                Show {Math.min(PAGE, filtered.length - shown)} more of {(filtered.length - shown).toLocaleString("en-US")}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
