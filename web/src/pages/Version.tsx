// A version: header with its full name, and tabs Overview | Files | Lineage,
// each at its own URL (links.version(…, tab)).
//
// A registry link (entity "registry", "source" set) shows its source, linked,
// and the registry's protected aliases with a lock; its Lineage tab is its
// source's graph, centred on the source. An ordinary version lists the
// registry links made of it ("Linked in").

import { useEffect, useState } from "react";
import { api, downloads, type Entry, type Version } from "../api";
import { AliasBadges, TypeBadge } from "../components/Badge";
import { Breakable } from "../components/Breakable";
import { CopyButton, Digest } from "../components/Copy";
import { Field, RunLink, SourceLink } from "../components/Fields";
import { FileTree } from "../components/FileTree";
import { LinkIcon } from "../components/Icons";
import { ObjectTable } from "../components/KeyValue";
import { Lineage } from "../components/Lineage";
import { ErrorBox, Loading } from "../components/Status";
import { TabLinks } from "../components/Tabs";
import { DownloadIcon, getEntryCommand, ReferenceList, UseBox } from "../components/UseBox";
import { Time } from "../components/Time";
import { useAsync } from "../components/useAsync";
import { useRegistry } from "../components/useRegistry";
import { formatBytesExact, formatSize } from "../format";
import { links } from "../links";
import { Link, navigate } from "../nav";
import { artifactNodeID, isRegistryEntity, parseVersionRef, versionRef } from "../registry";

type Tab = "overview" | "files" | "lineage";

export function VersionPage(props: { entity: string; project: string; type: string; name: string; version: string; tab: Tab }) {
  const { entity, project, name, version, tab } = props;
  const v = useAsync(() => api.version(entity, project, name, version), [entity, project, name, version]);
  // The manifest is fetched the first time the Files tab opens, then kept.
  const [filesWanted, setFilesWanted] = useState(tab === "files");
  if (tab === "files" && !filesWanted) setFilesWanted(true);
  const manifest = useAsync<Entry[] | null>(
    () => (filesWanted ? api.manifest(entity, project, name, version) : Promise.resolve(null)),
    [entity, project, name, version, filesWanted],
  );
  const inRegistry = isRegistryEntity(entity);
  const reg = useRegistry(project, inRegistry);
  const protectedAliases = reg.status === "ready" ? reg.data?.protected_aliases : undefined;
  // A wrong type in the address: the same version and tab at the right one.
  const realType = v.status === "ready" ? v.data.type : props.type;
  useEffect(() => {
    if (realType !== props.type)
      navigate(links.version(entity, project, realType, name, version, tab === "overview" ? "" : tab) + location.search + location.hash, { replace: true });
  }, [entity, project, name, version, tab, realType, props.type]);

  if (v.status === "loading") return <Loading label="Loading version…" />;
  if (v.status === "error")
    return (
      <div className="page">
        <ErrorBox error={v.error} onRetry={v.reload} />
      </div>
    );

  const ver = v.data;
  const vn = `v${ver.index}`;
  const fullName = `${ver.entity}/${ver.project}/${ver.name}:${vn}`;
  const href = (t: "" | "files" | "lineage") => links.version(entity, project, ver.type, name, vn, t);
  const source = parseVersionRef(ver.source);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="eyebrow">
            <TypeBadge type={ver.type} />
            <AliasBadges aliases={ver.aliases} empty="" protectedAliases={protectedAliases} />
          </div>
          <h1 className="mono">
            {ver.name}
            <span className="muted">:{vn}</span>
          </h1>
          <p className="muted full-name" data-testid="version-full-name">
            <Breakable text={fullName} /> <CopyButton text={fullName} label="Copy full name" />
          </p>
          {ver.source && (
            <p className="muted source-line" data-testid="version-source-line">
              <LinkIcon /> Linked from <SourceLink source={ver.source} type={ver.type} testid="source-head-link" />
            </p>
          )}
        </div>
      </div>
      <TabLinks
        label="Version"
        active={tab}
        tabs={[
          { id: "overview", label: "Overview", href: href("") },
          { id: "files", label: "Files", href: href("files"), count: ver.file_count },
          { id: "lineage", label: "Lineage", href: href("lineage") },
        ]}
      />
      <div className="tab-panel">
        {tab === "overview" && <Overview ver={ver} fullName={fullName} protectedAliases={protectedAliases} />}
        {tab === "files" &&
          (manifest.status === "error" ? (
            <ErrorBox error={manifest.error} onRetry={manifest.reload} />
          ) : manifest.status === "ready" && manifest.data ? (
            <Files ver={ver} fullName={fullName} entries={manifest.data} />
          ) : (
            <Loading label="Loading files…" />
          ))}
        {tab === "lineage" && ver.source && (
          <div className="source-note" data-testid="lineage-source-note">
            <LinkIcon />
            <span>
              A registry link has no lineage of its own: this is the lineage of its source,{" "}
              <SourceLink source={ver.source} type={ver.type} testid="lineage-source-link" />.
            </span>
          </div>
        )}
        {tab === "lineage" && (
          <Lineage
            start={{ kind: "artifact", entity: ver.entity, project: ver.project, name: ver.name, version: vn, focus: source ? artifactNodeID(source) : undefined }}
          />
        )}
      </div>
    </div>
  );
}

/** The Files tab: download all, how to use the version, the tree with a download per file, the references. */
function Files({ ver, fullName, entries }: { ver: Version; fullName: string; entries: Entry[] }) {
  // The URL's own names: a registry link downloads through its registry path.
  const { entity, project, name } = ver;
  const vn = `v${ver.index}`;
  const stored = entries.some((e) => !e.ref);
  return (
    <div className="files-tab">
      <div className="files-actions">
        {entries.length > 0 && !stored && <span className="muted">References only: an archive lists them in REFERENCES.json.</span>}
        {(["tar", "zip"] as const).map((f) => (
          <a key={f} className="btn btn-secondary btn-sm" href={downloads.archive(entity, project, name, vn, f)} download={`${name}-${vn}.${f}`} data-testid={`download-all-${f}`}>
            <DownloadIcon /> Download all (.{f})
          </a>
        ))}
      </div>
      <UseBox fullName={fullName} />
      <FileTree
        entries={entries}
        fileHref={(e) => downloads.file(entity, project, name, vn, e.path)}
        refCommand={(e) => getEntryCommand(fullName, e.path)}
      />
      <ReferenceList entries={entries} fullName={fullName} />
    </div>
  );
}

function Overview({ ver, fullName, protectedAliases }: { ver: Version; fullName: string; protectedAliases?: string[] }) {
  const { entity, project, name } = ver;
  const vn = `v${ver.index}`;
  // Links are made of source versions only: a registry's own versions have none.
  const linkable = !isRegistryEntity(entity);
  const linkedIn = useAsync(() => (linkable ? api.versionLinks(entity, project, name, vn) : Promise.resolve([])), [entity, project, name, vn, linkable]);
  // The registries' protected aliases, to mark them on the links (none if this fails).
  const hasLinks = linkedIn.status === "ready" && linkedIn.data.length > 0;
  const regs = useAsync(() => (hasLinks ? api.registries().catch(() => []) : Promise.resolve([])), [hasLinks]);
  const protectedIn = (registry: string) => (regs.status === "ready" ? regs.data.find((r) => r.name === registry)?.protected_aliases : undefined);
  const loggedBy = useAsync(() => api.loggedBy(entity, project, name, vn), [entity, project, name, vn]);
  const usedBy = useAsync(() => api.usedBy(entity, project, name, vn), [entity, project, name, vn]);

  return (
    <div className="overview-grid">
      <section className="card" aria-labelledby="details-h">
        <h2 id="details-h" className="card-title">
          Details
        </h2>
        <dl className="fields">
          <Field name="full_name" label="Full name" value={fullName}>
            <span className="mono">{fullName}</span>
          </Field>
          {ver.source && (
            <Field name="source" label="Source" value={ver.source}>
              <SourceLink source={ver.source} type={ver.type} />
            </Field>
          )}
          <Field name="type" label="Type" value={ver.type}>
            <TypeBadge type={ver.type} />
          </Field>
          <Field name="created" label="Created" value={ver.created_at}>
            <Time t={ver.created_at} exact />
          </Field>
          <Field name="aliases" label="Aliases" value={ver.aliases.join(",")}>
            <AliasBadges aliases={ver.aliases} protectedAliases={protectedAliases} />
          </Field>
          <Field name="description" label="Description" value={ver.description}>
            {ver.description ? <span className="prose">{ver.description}</span> : <span className="muted">No description</span>}
          </Field>
          <Field name="size" label="Size" value={String(ver.size)}>
            <span title={formatBytesExact(ver.size)}>{formatSize(ver.size)}</span>
            <span className="muted"> · {formatBytesExact(ver.size)}</span>
          </Field>
          <Field name="file_count" label="Files" value={String(ver.file_count)}>
            <Link href={links.version(entity, project, ver.type, name, vn, "files")}>{ver.file_count.toLocaleString("en-US")}</Link>
          </Field>
          <Field name="digest" label="Digest" value={ver.digest}>
            <Digest digest={ver.digest} n={24} />
          </Field>
          <Field name="logged_by" label="Logged by" value={loggedBy.status === "ready" ? (loggedBy.data?.id ?? "") : undefined}>
            {loggedBy.status === "loading" && <span className="muted">Loading…</span>}
            {loggedBy.status === "error" && <span className="error-text">{loggedBy.error.message}</span>}
            {loggedBy.status === "ready" && (loggedBy.data ? (
                <RunLink run={loggedBy.data} />
              ) : (
                <span className="muted">{ver.source ? "No run (a link: see its source)" : "No run"}</span>
              ))}
          </Field>
          {linkable && (
            <Field name="linked_in" label="Linked in" value={linkedIn.status === "ready" ? linkedIn.data.map(versionRef).join(",") : undefined}>
              {linkedIn.status === "loading" && <span className="muted">Loading…</span>}
              {linkedIn.status === "error" && <span className="error-text">{linkedIn.error.message}</span>}
              {linkedIn.status === "ready" &&
                (linkedIn.data.length === 0 ? (
                  <span className="muted">Not linked in any registry</span>
                ) : (
                  <ul className="link-list">
                    {linkedIn.data.map((l) => (
                      <li key={versionRef(l)} className="version-link">
                        <Link
                          href={links.version(l.entity, l.project, l.type, l.name, `v${l.index}`)}
                          className="strong-link mono"
                          data-testid="linked-in-link"
                        >
                          {versionRef(l)}
                        </Link>
                        <AliasBadges aliases={l.aliases} empty="" protectedAliases={protectedIn(l.project)} />
                      </li>
                    ))}
                  </ul>
                ))}
            </Field>
          )}
          <Field name="used_by" label="Used by" value={usedBy.status === "ready" ? usedBy.data.map((r) => r.id).join(",") : undefined}>
            {usedBy.status === "loading" && <span className="muted">Loading…</span>}
            {usedBy.status === "error" && <span className="error-text">{usedBy.error.message}</span>}
            {usedBy.status === "ready" &&
              (usedBy.data.length === 0 ? (
                <span className="muted">Not used by any run</span>
              ) : (
                <ul className="run-list">
                  {usedBy.data.map((r) => (
                    <li key={r.id}>
                      <RunLink run={r} />
                    </li>
                  ))}
                </ul>
              ))}
          </Field>
        </dl>
      </section>
      <section className="card" aria-labelledby="metadata-h">
        <h2 id="metadata-h" className="card-title">
          Metadata
        </h2>
        <ObjectTable value={ver.metadata} empty="No metadata." testid="metadata" />
      </section>
    </div>
  );
}
