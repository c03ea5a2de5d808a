// A timestamp shown relative ("3 hours ago") with the exact time on hover,
// or exact with the relative time on hover.

import { formatDate, formatRelative } from "../format";

export function Time({ t, exact = false }: { t: string | null | undefined; exact?: boolean }) {
  if (!t) return <span className="muted">—</span>;
  const abs = formatDate(t);
  if (abs === "—") return <span className="muted">—</span>;
  const rel = formatRelative(t);
  return (
    <time dateTime={t} title={exact ? rel : abs}>
      {exact ? abs : rel}
    </time>
  );
}
