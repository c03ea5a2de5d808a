// Small labels: run states, aliases, types.

import type { RunState } from "../api";
import { markAliases } from "../registry";
import { LockIcon } from "./Icons";

export function StateBadge({ state, testid }: { state: RunState | string; testid?: string }) {
  return (
    <span className={`badge state state-${state}`} data-testid={testid}>
      <span className="dot" aria-hidden="true" />
      {state}
    </span>
  );
}

/**
 * A version's aliases. In a registry, its protected aliases (only a registry
 * admin may set or move them) come first, with a lock.
 */
export function AliasBadges({ aliases, empty = "—", protectedAliases }: { aliases: string[] | null | undefined; empty?: string; protectedAliases?: string[] }) {
  if (!aliases || aliases.length === 0) return <span className="muted">{empty}</span>;
  return (
    <span className="badges">
      {markAliases(aliases, protectedAliases).map(({ alias: a, protected: p }) =>
        p ? (
          <span key={a} className="badge alias alias-protected" title="Protected alias: only a registry admin can set or move it" data-testid="alias-protected" data-alias={a}>
            <LockIcon />
            {a}
            <span className="sr-only"> (protected)</span>
          </span>
        ) : (
          <span key={a} className={`badge alias${a === "latest" ? " alias-latest" : ""}`} data-alias={a}>
            {a}
          </span>
        ),
      )}
    </span>
  );
}

export function TypeBadge({ type, kind = "artifact" }: { type: string; kind?: "artifact" | "run" }) {
  return <span className={`badge type type-${kind}`}>{type || "—"}</span>;
}
