import { describe, expect, it } from "vitest";
import { breakPoints, formatDateZone, fullTimestamp, zoneName } from "./display";

describe("times with their zone", () => {
  it("names the zone", () => {
    const d = new Date("2025-11-26T14:03:09.123Z");
    expect(zoneName(d, "UTC")).toBe("UTC");
    expect(zoneName(d, "Not/AZone")).toBe("");
    expect(formatDateZone(d)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+/);
    expect(fullTimestamp(d)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.123 UTC[+-]\d\d:\d\d/);
  });
  it("shows a dash for no time or Go's zero time", () => {
    expect(formatDateZone(null)).toBe("—");
    expect(formatDateZone("0001-01-01T00:00:00Z")).toBe("—");
    expect(fullTimestamp("nonsense")).toBe("");
  });
});

describe("breakPoints", () => {
  it("cuts after separators only", () => {
    expect(breakPoints("alice/proj/bike-dataset:v3")).toEqual(["alice/", "proj/", "bike-", "dataset:", "v3"]);
    expect(breakPoints("")).toEqual([]);
    expect(breakPoints("plainword")).toEqual(["plainword"]);
    expect(breakPoints("a//b")).toEqual(["a/", "/", "b"]);
  });
  it("joins back to the name, and no part has a separator but at its end (property)", () => {
    let s = 1;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32);
    const alphabet = Array.from("ab/:-_. 中😀");
    for (let i = 0; i < 2000; i++) {
      let name = "";
      for (let n = Math.floor(r() * 20); n > 0; n--) name += alphabet[Math.floor(r() * alphabet.length)];
      const parts = breakPoints(name);
      expect(parts.join("")).toBe(name);
      for (const p of parts) expect(/[/:-]/.test(p.slice(0, -1))).toBe(false);
    }
  });
});
