// Formatting of sizes, dates, durations and digests for display. Pure
// functions, no React: tested in format.test.ts.

const sizeUnits = ["B", "kB", "MB", "GB", "TB", "PB"];

/** A byte count in SI units, one decimal below 10 of a unit: "812 B", "1.2 kB", "34 MB". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < sizeUnits.length - 1) {
    v /= 1000;
    u++;
  }
  // 999.95 kB would print as "1000.0 kB": carry into the next unit.
  if (v < 10 && Number(v.toFixed(1)) >= 10) v = 10;
  if (v >= 10 && Math.round(v) >= 1000 && u < sizeUnits.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${sizeUnits[u]}`;
}

/** An exact byte count with thousands separators: "1,234,567 bytes". */
export function formatBytesExact(bytes: number): string {
  return `${bytes.toLocaleString("en-US")} ${bytes === 1 ? "byte" : "bytes"}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

function parse(t: string | Date | null | undefined): Date | null {
  if (t == null || t === "") return null;
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return null; // Go's zero time
  return d;
}

/** A timestamp in local time, "2025-11-26 14:03:09"; "—" when absent or zero. */
export function formatDate(t: string | Date | null | undefined): string {
  const d = parse(t);
  if (!d) return "—";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration in milliseconds, two units at most: "850ms", "42s", "3m 12s", "2h 5m", "3d 4h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/**
 * The duration of something that started at start and ended at end, or is
 * still going (end null: measured up to now). "—" when start is absent.
 */
export function formatSpan(start: string | null | undefined, end: string | null | undefined, now: Date = new Date()): string {
  const s = parse(start);
  if (!s) return "—";
  const e = parse(end) ?? now;
  return formatDuration(Math.max(0, e.getTime() - s.getTime()));
}

/** How long ago t was, relative to now: "just now", "5 minutes ago", "3 days ago", "in 2 hours". */
export function formatRelative(t: string | Date | null | undefined, now: Date = new Date()): string {
  const d = parse(t);
  if (!d) return "—";
  const diff = (now.getTime() - d.getTime()) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return "just now";
  const steps: [number, string][] = [
    [60, "minute"],
    [3600, "hour"],
    [86400, "day"],
    [86400 * 30, "month"],
    [86400 * 365, "year"],
  ];
  let unit = steps[0];
  for (const st of steps) if (abs >= st[0] * 0.95) unit = st;
  const n = Math.max(1, Math.round(abs / unit[0]));
  const word = `${n} ${unit[1]}${n === 1 ? "" : "s"}`;
  return diff >= 0 ? `${word} ago` : `in ${word}`;
}

/** The first hex characters of a digest, without its algorithm: "sha256:9f86d08…" → "9f86d081884c". */
export function shortDigest(digest: string, n = 12): string {
  if (!digest) return "";
  const i = digest.indexOf(":");
  const hex = i >= 0 ? digest.slice(i + 1) : digest;
  return hex.slice(0, n);
}

/** A JSON value as one line of text for a table cell: strings bare, the rest as JSON. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/**
 * Flattens a JSON object into dotted key paths for a key/value table:
 * {a: {b: 1}, c: [1, 2]} → [["a.b", 1], ["c", [1, 2]]]. Arrays stay whole;
 * empty objects stay as values. Keys keep their order.
 */
export function flattenObject(obj: Record<string, unknown> | null | undefined, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (!obj) return out;
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(...flattenObject(v as Record<string, unknown>, key));
    } else {
      out.push([key, v]);
    }
  }
  return out;
}

/** "1 file", "3 files". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}
