import { describe, expect, test } from "vitest";
import {
  flattenObject,
  formatBytesExact,
  formatDate,
  formatDuration,
  formatRelative,
  formatSize,
  formatSpan,
  formatValue,
  plural,
  shortDigest,
} from "./format";

describe("formatSize", () => {
  test.each([
    [0, "0 B"],
    [1, "1 B"],
    [999, "999 B"],
    [1000, "1.0 kB"],
    [1234, "1.2 kB"],
    [9_949, "9.9 kB"],
    [9_960, "10 kB"],
    [34_000_000, "34 MB"],
    [999_499, "999 kB"],
    [999_600, "1.0 MB"],
    [1.5e9, "1.5 GB"],
    [2e15, "2.0 PB"],
    [5e18, "5000 PB"],
  ])("%d bytes → %s", (n, want) => {
    expect(formatSize(n)).toBe(want);
  });
  test("bad input", () => {
    expect(formatSize(-1)).toBe("—");
    expect(formatSize(Number.NaN)).toBe("—");
  });
  test("exact", () => {
    expect(formatBytesExact(1234567)).toBe("1,234,567 bytes");
    expect(formatBytesExact(1)).toBe("1 byte");
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0ms"],
    [850, "850ms"],
    [1000, "1s"],
    [42_400, "42s"],
    [192_000, "3m 12s"],
    [180_000, "3m"],
    [2 * 3600_000 + 5 * 60_000 + 7000, "2h 5m"],
    [3600_000, "1h"],
    [3 * 86400_000 + 4 * 3600_000, "3d 4h"],
    [86400_000, "1d"],
  ])("%d ms → %s", (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
  test("bad input", () => {
    expect(formatDuration(-5)).toBe("—");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("—");
  });
});

describe("formatSpan", () => {
  const now = new Date("2025-01-01T12:00:00Z");
  test("finished", () => {
    expect(formatSpan("2025-01-01T10:00:00Z", "2025-01-01T10:03:12Z", now)).toBe("3m 12s");
  });
  test("still running measures up to now", () => {
    expect(formatSpan("2025-01-01T11:59:30Z", null, now)).toBe("30s");
  });
  test("no start", () => {
    expect(formatSpan("", null, now)).toBe("—");
    expect(formatSpan("0001-01-01T00:00:00Z", null, now)).toBe("—");
  });
  test("end before start is zero, not negative", () => {
    expect(formatSpan("2025-01-01T10:00:05Z", "2025-01-01T10:00:00Z", now)).toBe("0ms");
  });
});

describe("formatDate", () => {
  test("local time, zero padded", () => {
    const d = new Date(2025, 0, 2, 3, 4, 5); // local
    expect(formatDate(d)).toBe("2025-01-02 03:04:05");
    expect(formatDate(d.toISOString())).toBe("2025-01-02 03:04:05");
  });
  test("absent, zero or garbage", () => {
    expect(formatDate(null)).toBe("—");
    expect(formatDate("")).toBe("—");
    expect(formatDate("0001-01-01T00:00:00Z")).toBe("—");
    expect(formatDate("not a date")).toBe("—");
  });
});

describe("formatRelative", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  test.each([
    [10, "just now"],
    [60, "1 minute ago"],
    [5 * 60, "5 minutes ago"],
    [3600, "1 hour ago"],
    [3 * 3600, "3 hours ago"],
    [86400, "1 day ago"],
    [3 * 86400, "3 days ago"],
    [40 * 86400, "1 month ago"],
    [400 * 86400, "1 year ago"],
    [-2 * 3600, "in 2 hours"],
  ])("%d s ago → %s", (s, want) => {
    expect(formatRelative(ago(s), now)).toBe(want);
  });
  test("absent", () => {
    expect(formatRelative(undefined, now)).toBe("—");
  });
});

describe("digests and values", () => {
  test("shortDigest", () => {
    expect(shortDigest("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")).toBe("9f86d081884c");
    expect(shortDigest("sha256:9f86d081884c", 6)).toBe("9f86d0");
    expect(shortDigest("abcdef")).toBe("abcdef");
    expect(shortDigest("")).toBe("");
  });
  test("formatValue", () => {
    expect(formatValue("adam")).toBe("adam");
    expect(formatValue(128)).toBe("128");
    expect(formatValue(0.1)).toBe("0.1");
    expect(formatValue(true)).toBe("true");
    expect(formatValue(null)).toBe("null");
    expect(formatValue([1, "a"])).toBe('[1,"a"]');
  });
  test("flattenObject", () => {
    expect(flattenObject({ a: { b: 1, c: { d: "x" } }, e: [1, 2], f: {}, g: null })).toEqual([
      ["a.b", 1],
      ["a.c.d", "x"],
      ["e", [1, 2]],
      ["f", {}],
      ["g", null],
    ]);
    expect(flattenObject(null)).toEqual([]);
  });
  test("plural", () => {
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(1200, "file")).toBe("1,200 files");
    expect(plural(2, "entry", "entries")).toBe("2 entries");
  });
});
