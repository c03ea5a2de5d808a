// A registry's page (/registries/NAME, also /registry/NAME): what it accepts,
// its protected aliases, and its collections (the project registry/NAME),
// each linking to its collection page.

import { api } from "../api";
import { TypeBadge } from "../components/Badge";
import { LockIcon } from "../components/Icons";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { useRegistry } from "../components/useRegistry";
import { plural } from "../format";
import { links } from "../links";
import { Link } from "../nav";
import { REGISTRY_ENTITY } from "../registry";

export function RegistryPage({ registry }: { registry: string }) {
  const reg = useRegistry(registry);
  const cols = useAsync(() => api.collections(REGISTRY_ENTITY, registry), [registry]);
  const list = cols.status === "ready" ? [...cols.data].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];
  const r = reg.status === "ready" ? reg.data : null;

  if (reg.status === "error")
    return (
      <div className="page">
        <ErrorBox error={reg.error} onRetry={reg.reload} />
      </div>
    );
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="eyebrow">
            <span className="badge subtle">Registry</span>
          </div>
          <h1>{registry}</h1>
          <p className="muted registry-summary" data-testid="registry-summary">
            {r ? (
              <>
                Accepts{" "}
                {r.types.length === 0 ? (
                  "any type"
                ) : (
                  <span className="type-list">
                    {r.types.map((t) => (
                      <TypeBadge key={t} type={t} />
                    ))}
                  </span>
                )}
                {r.protected_aliases.length > 0 && (
                  <>
                    {" · protected "}
                    <span className="badges">
                      {r.protected_aliases.map((a) => (
                        <span key={a} className="badge alias alias-protected" title="Only a registry admin can set or move it">
                          <LockIcon />
                          {a}
                        </span>
                      ))}
                    </span>
                  </>
                )}
                {cols.status === "ready" && ` · ${plural(list.length, "collection")}`}
              </>
            ) : (
              "\u00a0"
            )}
          </p>
        </div>
      </div>
      {cols.status === "loading" && <Loading label="Loading collections…" />}
      {cols.status === "error" && <ErrorBox error={cols.error} onRetry={cols.reload} />}
      {cols.status === "ready" && list.length === 0 && (
        <Empty title="This registry has no collections yet">
          Link a version into it: <code>trove artifact link REF {registry}/COLLECTION</code>.
        </Empty>
      )}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="table fixed" data-testid="registry-collections">
            <colgroup>
              <col style={{ width: "40%" }} />
              <col style={{ width: "16%" }} />
              <col style={{ width: "12%" }} />
              <col style={{ width: "14%" }} />
              <col style={{ width: "18%" }} />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Collection</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">
                  Versions
                </th>
                <th scope="col">Latest</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.name} data-collection={c.name}>
                  <td>
                    <Link href={links.collection(REGISTRY_ENTITY, registry, c.type, c.name)} className="strong-link mono" data-testid="collection-link">
                      {c.name}
                    </Link>
                  </td>
                  <td>
                    <TypeBadge type={c.type} />
                  </td>
                  <td className="num" data-testid="collection-count">
                    {c.version_count}
                  </td>
                  <td>
                    {c.latest ? (
                      <Link href={links.version(REGISTRY_ENTITY, registry, c.type, c.name, c.latest)} className="badge version-badge" data-testid="latest-link">
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
      )}
    </div>
  );
}
