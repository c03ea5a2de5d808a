// Display helpers for times with their zone and for long names (pure:
// display.test.ts).

import { formatDate } from "./format";

/** The short name of the zone t is shown in ("UTC", "EST", "GMT+1"); "" if unknown. */
export function zoneName(t: Date, timeZone?: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(t);
    return parts.find((p) => p.type === "timeZoneName")?.value ?? "";
  } catch {
    return "";
  }
}

function valid(t: string | Date | null | undefined): Date | null {
  if (!t) return null;
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return null; // Go's zero time
  return d;
}

/** A timestamp in local time with its zone, "2025-11-26 14:03:09 UTC"; "—" when absent or zero. */
export function formatDateZone(t: string | Date | null | undefined): string {
  const d = valid(t);
  if (!d) return "—";
  const z = zoneName(d);
  return z ? `${formatDate(d)} ${z}` : formatDate(d);
}

/**
 * The full timestamp, for a title: local time to the millisecond with its
 * UTC offset and zone, "2025-11-26 14:03:09.123 UTC+01:00 (Europe/Paris)".
 */
export function fullTimestamp(t: string | Date | null | undefined): string {
  const d = valid(t);
  if (!d) return "";
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  const pad = (n: number) => String(n).padStart(2, "0");
  let tz = "";
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
  } catch {
    tz = "";
  }
  return `${formatDate(d)}.${String(d.getMilliseconds()).padStart(3, "0")} UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}${tz ? ` (${tz})` : ""}`;
}

/**
 * A name cut after each separator ("/", ":", "-"), where it may wrap:
 * "alice/proj/bike-dataset:v3" → ["alice/", "proj/", "bike-", "dataset:", "v3"].
 * The parts join back to the name.
 */
export function breakPoints(name: string): string[] {
  const parts = name.split(/(?<=[/:-])/);
  return parts.filter((p) => p !== "");
}
