// Small labels: run states, aliases, types.

import type { RunState } from "../api";

export function StateBadge({ state, testid }: { state: RunState | string; testid?: string }) {
  return (
    <span className={`badge state state-${state}`} data-testid={testid}>
      <span className="dot" aria-hidden="true" />
      {state}
    </span>
  );
}

export function AliasBadges({ aliases, empty = "—" }: { aliases: string[] | null | undefined; empty?: string }) {
  if (!aliases || aliases.length === 0) return <span className="muted">{empty}</span>;
  return (
    <span className="badges">
      {aliases.map((a) => (
        <span key={a} className={`badge alias${a === "latest" ? " alias-latest" : ""}`}>
          {a}
        </span>
      ))}
    </span>
  );
}

export function TypeBadge({ type, kind = "artifact" }: { type: string; kind?: "artifact" | "run" }) {
  return <span className={`badge type type-${kind}`}>{type || "—"}</span>;
}
