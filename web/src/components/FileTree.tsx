// The file tree of a version: collapsible folders, per-file size and digest,
// reference URIs, and a filter box. With fileHref, each stored file has a
// download link; with refCommand, each reference a button copying the CLI
// line that fetches it (the server never fetches references). Rows are virtualised (only the visible
// ones are in the DOM) and only open folders are walked, so a manifest of
// 100,000 entries stays responsive.

import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import type { Entry } from "../api";
import { formatBytesExact, formatSize, plural } from "../format";
import { CopyButton, Digest } from "./Copy";
import { Chevron, FileIcon, FolderIcon, LinkIcon, SearchIcon } from "./Icons";
import { buildTree, filterEntries, flatten, initialOpen, type Row } from "./fileTree";
import { DownloadIcon, pinnedVersion } from "./UseBox";

interface Actions {
  /** The download URL of a stored file. */
  fileHref?: (e: Entry) => string;
  /** The CLI line that fetches a reference entry. */
  refCommand?: (e: Entry) => string;
}

const ROW = 34; // px; every row has this height (CSS .ft-row)
const VIEW = 620; // px; the scroller's height when the rows overflow it
const OVERSCAN = 12;

export function FileTree({ entries, fileHref, refCommand }: { entries: Entry[] } & Actions) {
  const actions = fileHref !== undefined || refCommand !== undefined;
  const [query, setQuery] = useState("");
  const deferred = useDeferredValue(query);
  const root = useMemo(() => buildTree(entries), [entries]);
  const [open, setOpen] = useState<Set<string>>(() => initialOpen(root));
  const filtered = useMemo(() => (deferred.trim() ? buildTree(filterEntries(entries, deferred)) : null), [entries, deferred]);
  const rows = useMemo(() => (filtered ? flatten(filtered, "all") : flatten(root, open)), [filtered, root, open]);
  const [scrollTop, setScrollTop] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);

  // A new filter shows its first matches, not the place the old list was scrolled to.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [deferred]);

  const toggle = (path: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const expandAll = () => {
    const all = new Set<string>();
    for (const r of flatten(root, "all")) if (r.node.kind === "dir") all.add(r.node.path);
    setOpen(all);
  };

  const height = Math.min(rows.length * ROW, VIEW);
  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + VIEW) / ROW) + OVERSCAN);
  const visible = rows.slice(first, last);

  return (
    <div className={`file-tree${actions ? " with-actions" : ""}`} data-testid="file-tree">
      <div className="ft-toolbar">
        <label className="search-field">
          <SearchIcon />
          <span className="sr-only">Filter files</span>
          <input
            type="search"
            placeholder="Filter files by path…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="file-filter"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <span className="muted ft-summary" aria-live="polite">
          {filtered
            ? `${plural(filtered.files, "file")} of ${entries.length.toLocaleString("en-US")} match`
            : `${plural(root.files, "file")} · ${formatSize(root.size)}`}
        </span>
        {!filtered && root.children.some((c) => c.kind === "dir") && (
          <span className="ft-actions">
            <button type="button" className="btn btn-ghost btn-sm" onClick={expandAll}>
              Expand all
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setOpen(new Set())}>
              Collapse all
            </button>
          </span>
        )}
      </div>
      <div className="ft-head" role="presentation">
        <span>Name</span>
        <span className="num">Size</span>
        <span>Digest</span>
        <span>Reference</span>
        {actions && <span className="ft-act-head">Get</span>}
      </div>
      {rows.length === 0 ? (
        <div className="ft-empty muted">{entries.length === 0 ? "This version has no files." : "No file matches the filter."}</div>
      ) : (
        <div
          className="ft-scroll"
          ref={scroller}
          style={{ height }}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          role="tree"
          aria-label="Files"
        >
          <div style={{ height: rows.length * ROW, position: "relative" }}>
            {visible.map((r, i) => (
              <TreeRow
                key={r.node.kind + ":" + r.node.path}
                row={r}
                top={(first + i) * ROW}
                open={filtered !== null || open.has(r.node.path)}
                onToggle={filtered ? undefined : toggle}
                actions={actions ? { fileHref, refCommand } : undefined}
              />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function TreeRow({ row, top, open, onToggle, actions }: { row: Row; top: number; open: boolean; onToggle?: (path: string) => void; actions?: Actions }) {
  const n = row.node;
  const indent = { paddingLeft: 12 + row.depth * 18 };
  if (n.kind === "dir") {
    return (
      <div className="ft-row ft-dir" style={{ top }} role="treeitem" aria-expanded={open} aria-level={row.depth + 1} data-testid="folder-row" data-path={n.path}>
        <span className="ft-name" style={indent}>
          <button type="button" className="ft-toggle" onClick={() => onToggle?.(n.path)} disabled={!onToggle} aria-label={`${open ? "Collapse" : "Expand"} ${n.path}`}>
            <Chevron className={`chev${open ? " open" : ""}`} />
            <FolderIcon className="ft-icon folder" />
            <span className="ft-label">{n.name}</span>
          </button>
          <span className="muted ft-count">{n.files.toLocaleString("en-US")}</span>
        </span>
        <span className="num muted" title={formatBytesExact(n.size)}>
          {formatSize(n.size)}
        </span>
        <span />
        <span />
        {actions && <span />}
      </div>
    );
  }
  const e = n.entry;
  return (
    <div className="ft-row ft-file" style={{ top }} role="treeitem" aria-level={row.depth + 1} data-testid="file-row" data-path={n.path}>
      <span className="ft-name" style={indent}>
        <span className="chev-space" />
        {e.ref ? <LinkIcon className="ft-icon ref" /> : <FileIcon className="ft-icon" />}
        <span className="ft-label" title={n.path}>
          {n.name}
        </span>
      </span>
      <span className="num" title={formatBytesExact(e.size)} data-testid="file-size" data-value={e.size}>
        {formatSize(e.size)}
      </span>
      <span data-testid="file-digest" data-value={e.digest}>
        <Digest digest={e.digest} />
      </span>
      <span className="ft-ref" title={e.ref ? [e.ref, pinnedVersion(e)].filter(Boolean).join("\n") : undefined}>
        {e.ref ? <code data-testid="file-ref">{e.ref}</code> : <span className="muted">—</span>}
      </span>
      {actions && (
        <span className="ft-act">
          {!e.ref && actions.fileHref && (
            <a className="icon-btn" href={actions.fileHref(e)} download={n.name} aria-label={`Download ${n.path}`} title={`Download ${n.name}`} data-testid="file-download">
              <DownloadIcon />
            </a>
          )}
          {e.ref && actions.refCommand && <CopyButton text={actions.refCommand(e)} label={`Copy the CLI line that fetches ${n.path}`} />}
        </span>
      )}
    </div>
  );
}
