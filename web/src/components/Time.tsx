// A timestamp shown relative ("3 hours ago") or exact with its time zone
// ("2025-11-26 14:03:09 UTC"); either way the full timestamp (milliseconds,
// UTC offset, zone) is in its title, shown on hover.

import { formatRelative } from "../format";
import { formatDateZone, fullTimestamp } from "../display";

export function Time({ t, exact = false }: { t: string | null | undefined; exact?: boolean }) {
  if (!t) return <span className="muted">—</span>;
  const abs = formatDateZone(t);
  if (abs === "—") return <span className="muted">—</span>;
  return (
    <time dateTime={t} title={fullTimestamp(t)} data-testid="time">
      {exact ? abs : formatRelative(t)}
    </time>
  );
}
