// How to use a version from code: the exact CLI, Go and Python lines, each
// with a copy button; and the lines that fetch a reference entry, which the
// server never fetches itself.

import type { Entry } from "../api";
import { CopyButton } from "./Copy";

/** A shell word: quoted unless it is made of characters no shell treats specially. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9._/:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A Go or Python string literal (JSON's quoting is valid in both for these names). */
const literal = (s: string) => JSON.stringify(s);

/** The lines that use version ref ("entity/project/name:vN"). */
export function useLines(ref: string): { id: string; label: string; code: string }[] {
  return [
    { id: "cli", label: "CLI", code: `trove artifact get ${shellQuote(ref)}` },
    {
      id: "go",
      label: "Go",
      code: `c, err := trove.Open(ctx, trove.Options{})\nv, err := c.Artifact(ctx, ${literal(ref)})\ndir, err := v.Download(ctx)`,
    },
    { id: "python", label: "Python", code: `import trove\ndir = trove.Api().artifact(${literal(ref)}).download()` },
  ];
}

/** The CLI line that fetches one entry of version ref. */
export function getEntryCommand(ref: string, path: string): string {
  return `trove artifact get ${shellQuote(ref)} --path ${shellQuote(path)}`;
}

/** A reference entry's pinned version, as the manifest's extra records it ("" when unpinned). */
export function pinnedVersion(e: Entry): string {
  const x = e.extra ?? {};
  const parts: string[] = [];
  for (const k of ["version_id", "generation", "etag", "last_modified", "md5", "crc32c"]) if (x[k]) parts.push(`${k} ${x[k]}`);
  return parts.join(" · ");
}

export function UseBox({ fullName }: { fullName: string }) {
  return (
    <section className="card use-box" aria-labelledby="use-h" data-testid="use-box">
      <h2 id="use-h" className="card-title">
        Use this version
      </h2>
      {useLines(fullName).map((l) => (
        <div key={l.id} className="use-line">
          <span className="use-label muted">{l.label}</span>
          <pre className="use-code" data-testid={`use-${l.id}`}>
            <code>{l.code}</code>
          </pre>
          <CopyButton text={l.code} label={`Copy the ${l.label} lines`} />
        </div>
      ))}
    </section>
  );
}

/** The reference entries of a version: not downloadable here, fetched by the CLI or the SDK. */
export function ReferenceList({ entries, fullName, max = 200 }: { entries: Entry[]; fullName: string; max?: number }) {
  const refs = entries.filter((e) => e.ref);
  if (refs.length === 0) return null;
  return (
    <section className="card ref-list" aria-labelledby="refs-h" data-testid="reference-list">
      <h2 id="refs-h" className="card-title">
        References ({refs.length.toLocaleString("en-US")})
      </h2>
      <p className="muted ref-note">
        The server never fetches a reference: get it with the CLI or the SDK, which check it against its pinned version.
      </p>
      <ul>
        {refs.slice(0, max).map((e) => {
          const cmd = getEntryCommand(fullName, e.path);
          const pin = pinnedVersion(e);
          return (
            <li key={e.path} data-testid="reference-entry" data-path={e.path}>
              <div className="mono ref-path">{e.path}</div>
              <div>
                <span className="muted">URI </span>
                <code data-testid="reference-uri">{e.ref}</code>
              </div>
              <div>
                <span className="muted">Pinned </span>
                <span data-testid="reference-pinned">{pin || "not pinned (checksumming was off)"}</span>
              </div>
              <div className="use-line">
                <pre className="use-code" data-testid="reference-cli">
                  <code>{cmd}</code>
                </pre>
                <CopyButton text={cmd} label="Copy the CLI line" />
              </div>
            </li>
          );
        })}
      </ul>
      {refs.length > max && <p className="muted">… and {(refs.length - max).toLocaleString("en-US")} more (filter the tree above).</p>}
    </section>
  );
}

export const DownloadIcon = (p: { className?: string }) => (
  <svg width={16} height={16} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinecap="round" strokeLinejoin="round" aria-hidden focusable={false} {...p}>
    <path d="M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10" />
  </svg>
);
