// The registries: organisation-wide collections of links to versions logged
// in projects. Each row: its name (a link to its page), the artifact types
// it accepts, its protected aliases and its number of collections.

import { api } from "../api";
import { TypeBadge } from "../components/Badge";
import { LockIcon, RegistryIcon } from "../components/Icons";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { plural } from "../format";
import { links } from "../links";
import { Link } from "../nav";
import { isBuiltIn } from "../registry";

export function Registries() {
  const regs = useAsync(() => api.registries(), []);
  const list = regs.status === "ready" ? [...regs.data].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Registries</h1>
          <p className="muted">
            {regs.status === "ready"
              ? `${plural(list.length, "registry", "registries")} · curated collections that link versions logged in projects`
              : "\u00a0"}
          </p>
        </div>
      </div>
      {regs.status === "loading" && <Loading label="Loading registries…" />}
      {regs.status === "error" && <ErrorBox error={regs.error} onRetry={regs.reload} />}
      {regs.status === "ready" && list.length === 0 && (
        <Empty title="No registries">
          Link a version into one with <code>trove artifact link REF REGISTRY/COLLECTION</code>.
        </Empty>
      )}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="table fixed" data-testid="registries-table">
            <colgroup>
              <col style={{ width: "26%" }} />
              <col style={{ width: "24%" }} />
              <col style={{ width: "22%" }} />
              <col style={{ width: "12%" }} />
              <col style={{ width: "16%" }} />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Registry</th>
                <th scope="col">Accepts</th>
                <th scope="col">Protected aliases</th>
                <th scope="col" className="num">
                  Collections
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.name} data-registry={r.name}>
                  <td>
                    <Link href={links.registry(r.name)} className="strong-link registry-name" data-testid="registry-link">
                      <RegistryIcon />
                      {r.name}
                    </Link>
                  </td>
                  <td data-testid="registry-types" data-value={r.types.join(",")}>
                    {r.types.length === 0 ? (
                      <span className="muted">Any type</span>
                    ) : (
                      <span className="type-list">
                        {r.types.map((t) => (
                          <TypeBadge key={t} type={t} />
                        ))}
                      </span>
                    )}
                  </td>
                  <td data-testid="registry-protected" data-value={r.protected_aliases.join(",")}>
                    {r.protected_aliases.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      <span className="badges">
                        {r.protected_aliases.map((a) => (
                          <span key={a} className="badge alias alias-protected" title="Only a registry admin can set or move it">
                            <LockIcon />
                            {a}
                          </span>
                        ))}
                      </span>
                    )}
                  </td>
                  <td className="num" data-testid="registry-count">
                    {r.collection_count.toLocaleString("en-US")}
                  </td>
                  <td data-testid="registry-created">
                    {isBuiltIn(r.created_at) ? (
                      <span className="muted" title="Created with the database">
                        Built in
                      </span>
                    ) : (
                      <Time t={r.created_at} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
