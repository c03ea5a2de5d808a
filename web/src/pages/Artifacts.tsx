// A project's artifact collections, grouped by type: a section per type
// (id="type-<type>", the target of links.artifacts(e, p, type)).

import { useEffect, useMemo, useState } from "react";
import { api, type Collection } from "../api";
import { TypeBadge } from "../components/Badge";
import { SearchIcon } from "../components/Icons";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { plural } from "../format";
import { links } from "../links";
import { Link } from "../nav";
import { NotFound } from "./NotFound";

export function Artifacts({ entity, project, focusType }: { entity: string; project: string; focusType: string }) {
  const cols = useAsync(() => api.collections(entity, project), [entity, project]);
  const [query, setQuery] = useState("");
  // A project without collections may still exist (runs only): it is "not
  // found" only when the entity's projects the caller may read lack it.
  const known = useAsync(() => api.projects(entity), [entity]);
  const missing = cols.status === "ready" && cols.data.length === 0 && known.status !== "loading" && (known.status === "error" || !known.data.includes(project));

  const groups = useMemo(() => {
    if (cols.status !== "ready") return [];
    const q = query.trim().toLowerCase();
    const byType = new Map<string, Collection[]>();
    for (const c of cols.data) {
      if (q && !c.name.toLowerCase().includes(q) && !c.type.toLowerCase().includes(q)) continue;
      const list = byType.get(c.type) ?? [];
      list.push(c);
      byType.set(c.type, list);
    }
    return [...byType.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, list]) => ({ type, list: list.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
  }, [cols, query]);

  // Open at the section the URL names (/artifacts/TYPE or #type-TYPE).
  const ready = cols.status === "ready";
  useEffect(() => {
    if (!ready) return;
    let type = focusType;
    if (!type && location.hash.startsWith("#type-")) {
      try {
        type = decodeURIComponent(location.hash.slice("#type-".length));
      } catch {
        type = "";
      }
    }
    if (type) document.getElementById(`type-${type}`)?.scrollIntoView({ block: "start" });
  }, [ready, focusType]);

  if (missing) return <NotFound title="Project not found" what={`${entity}/${project}`} />;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Artifacts</h1>
          <p className="muted">
            {cols.status === "ready" ? `${plural(cols.data.length, "collection")} in ${plural(new Set(cols.data.map((c) => c.type)).size, "type")}` : "\u00a0"}
          </p>
        </div>
        {cols.status === "ready" && cols.data.length > 0 && (
          <label className="search-field">
            <SearchIcon />
            <span className="sr-only">Filter collections</span>
            <input type="search" placeholder="Filter by name or type…" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="collection-filter" />
          </label>
        )}
      </div>
      {cols.status === "loading" && <Loading label="Loading artifacts…" />}
      {cols.status === "error" && <ErrorBox error={cols.error} onRetry={cols.reload} />}
      {cols.status === "ready" && cols.data.length === 0 && known.status === "ready" && (
        <Empty title="No artifacts in this project">
          Log one with <code>trove artifact put PATH -n NAME -t TYPE -p {project}</code>.
        </Empty>
      )}
      {cols.status === "ready" && cols.data.length > 0 && (
        <div className="with-aside">
          <aside className="aside" aria-label="Types">
            <div className="aside-title">Types</div>
            <ul>
              {groups.map((g) => (
                <li key={g.type}>
                  <a href={`#type-${encodeURIComponent(g.type)}`} className={g.type === focusType ? "active" : undefined}
                    onClick={(e) => {
                      e.preventDefault();
                      history.replaceState(null, "", `#type-${encodeURIComponent(g.type)}`);
                      document.getElementById(`type-${g.type}`)?.scrollIntoView({ block: "start", behavior: "smooth" });
                    }}
                  >
                    <span>{g.type}</span>
                    <span className="muted">{g.list.length}</span>
                  </a>
                </li>
              ))}
            </ul>
          </aside>
          <div className="sections">
            {groups.length === 0 && <Empty title="No collection matches the filter" />}
            {groups.map((g) => (
              <section key={g.type} id={`type-${g.type}`} className={`type-section${g.type === focusType ? " focused" : ""}`} data-testid="type-section" data-type={g.type}>
                <h2>
                  <TypeBadge type={g.type} />
                  <span className="muted section-count">{plural(g.list.length, "collection")}</span>
                </h2>
                <div className="table-wrap">
                  <table className="table fixed">
                    <colgroup>
                      <col style={{ width: "44%" }} />
                      <col style={{ width: "14%" }} />
                      <col style={{ width: "16%" }} />
                      <col style={{ width: "26%" }} />
                    </colgroup>
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col" className="num">
                          Versions
                        </th>
                        <th scope="col">Latest</th>
                        <th scope="col">Created</th>
                      </tr>
                    </thead>
                    <tbody>
                      {g.list.map((c) => (
                        <tr key={c.name} data-collection={c.name}>
                          <td>
                            <Link href={links.collection(entity, project, c.type, c.name)} className="strong-link mono" data-testid="collection-link">
                              {c.name}
                            </Link>
                          </td>
                          <td className="num">{c.version_count}</td>
                          <td>
                            {c.latest ? (
                              <Link href={links.version(entity, project, c.type, c.name, c.latest)} className="badge version-badge" data-testid="latest-link">
                                {c.latest}
                              </Link>
                            ) : (
                              <span className="muted">—</span>
                            )}
                          </td>
                          <td>
                            <Time t={c.created_at} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
