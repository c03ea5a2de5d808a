// A collection: its versions, newest first, with aliases, digest, size and
// file count, each linking to its version page. In a registry (entity
// "registry"), each version is a link: its source is shown, and the
// registry's protected aliases carry a lock.

import { useEffect } from "react";
import { api } from "../api";
import { AliasBadges, TypeBadge } from "../components/Badge";
import { Digest } from "../components/Copy";
import { SourceLink } from "../components/Fields";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { useRegistry } from "../components/useRegistry";
import { formatBytesExact, formatSize, plural } from "../format";
import { links } from "../links";
import { Link, navigate } from "../nav";
import { isRegistryEntity } from "../registry";

export function CollectionPage({ entity, project, type, name }: { entity: string; project: string; type: string; name: string }) {
  const versions = useAsync(() => api.versions(entity, project, name), [entity, project, name]);
  const list = versions.status === "ready" ? [...versions.data].sort((a, b) => b.index - a.index) : [];
  const realType = list[0]?.type ?? type;
  // A wrong type in the address (a dataset under /model/): go to the right one.
  useEffect(() => {
    if (realType !== type) navigate(links.collection(entity, project, realType, name) + location.search + location.hash, { replace: true });
  }, [entity, project, name, type, realType]);
  const inRegistry = isRegistryEntity(entity);
  const reg = useRegistry(project, inRegistry);
  const protectedAliases = reg.status === "ready" ? reg.data?.protected_aliases : undefined;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="eyebrow">
            {inRegistry && <span className="badge subtle">Registry collection</span>}
            <TypeBadge type={realType} />
          </div>
          <h1 className="mono">{name}</h1>
          <p className="muted">
            {entity}/{project}/{name}
            {versions.status === "ready" && ` · ${plural(list.length, "version")}`}
          </p>
        </div>
        {list.length > 0 && (
          <div className="head-actions">
            <Link href={links.version(entity, project, realType, name, `v${list[0].index}`, "lineage")} className="btn btn-secondary">
              Lineage of v{list[0].index}
            </Link>
          </div>
        )}
      </div>
      {versions.status === "loading" && <Loading label="Loading versions…" />}
      {versions.status === "error" && <ErrorBox error={versions.error} onRetry={versions.reload} />}
      {versions.status === "ready" && list.length === 0 && <Empty title="This collection has no versions" />}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="versions-table">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Aliases</th>
                {inRegistry && <th scope="col">Source</th>}
                <th scope="col">Digest</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Files
                </th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Links</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((v) => {
                const vn = `v${v.index}`;
                return (
                  <tr key={v.index} data-version={vn}>
                    <td>
                      <Link href={links.version(entity, project, v.type, name, vn)} className="badge version-badge strong" data-testid="version-link">
                        {vn}
                      </Link>
                    </td>
                    <td>
                      <AliasBadges aliases={v.aliases} protectedAliases={protectedAliases} />
                    </td>
                    {inRegistry && (
                      <td data-testid="version-source" data-value={v.source ?? ""}>
                        {v.source ? <SourceLink source={v.source} type={v.type} /> : <span className="muted">—</span>}
                      </td>
                    )}
                    <td>
                      <Digest digest={v.digest} />
                    </td>
                    <td className="num" title={formatBytesExact(v.size)}>
                      {formatSize(v.size)}
                    </td>
                    <td className="num">{v.file_count.toLocaleString("en-US")}</td>
                    <td>
                      <Time t={v.created_at} />
                    </td>
                    <td>
                      <span className="row-links">
                        <Link href={links.version(entity, project, v.type, name, vn, "files")}>Files</Link>
                        <Link href={links.version(entity, project, v.type, name, vn, "lineage")}>Lineage</Link>
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
