import { describe, expect, it } from "vitest";
import { decodeGraphState, defaultGraphState, encodeGraphState, MAX_PULLED, sameGraphState, type GraphState } from "./urlState";

// A small seeded generator: the property tests are reproducible.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
// Code points, not UTF-16 units: node ids are well-formed strings.
const ALPHABET = Array.from("abcXYZ019:/-_.?&=#%+ é中\u0000\ud83d\ude00");
function randomString(r: () => number, max: number): string {
  const n = Math.floor(r() * max);
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}
function randomState(r: () => number): GraphState {
  const dirs = ["both", "upstream", "downstream"] as const;
  const pulled = new Set<string>();
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const id = r() < 0.5 ? `artifact:alice/p/name-${i}:v${Math.floor(r() * 9)}` : `run:${randomString(r, 12)}x`;
    pulled.add(id);
  }
  return { direction: dirs[Math.floor(r() * 3)], depth: [0, 1, 2, 3, 5, 10, 999][Math.floor(r() * 7)], exploded: r() < 0.5, pulled: [...pulled] };
}

describe("graph state in the URL", () => {
  it("leaves defaults out and keeps other parameters", () => {
    expect(encodeGraphState(defaultGraphState)).toBe("");
    expect(encodeGraphState(defaultGraphState, "?layout=elk&depth=3")).toBe("?layout=elk");
    const s: GraphState = { direction: "upstream", depth: 3, exploded: true, pulled: ["artifact:a/p/d:v1", "run:x y"] };
    const q = encodeGraphState(s, "?layout=elk");
    expect(q).toBe("?layout=elk&direction=upstream&depth=3&explode=1&pull=artifact%3Aa%2Fp%2Fd%3Av1&pull=run%3Ax+y");
    expect(decodeGraphState(q)).toEqual(s);
  });

  it("falls back to defaults on bad input", () => {
    expect(decodeGraphState("?direction=sideways&depth=-1&explode=yes")).toEqual(defaultGraphState);
    expect(decodeGraphState("?depth=1e3")).toEqual(defaultGraphState);
    expect(decodeGraphState("?depth=99999")).toEqual(defaultGraphState);
    expect(decodeGraphState("?depth=%ZZ&pull=&pull=a&pull=a")).toEqual({ ...defaultGraphState, pulled: ["a"] });
    const many = Array.from({ length: MAX_PULLED + 50 }, (_, i) => `pull=n${i}`).join("&");
    expect(decodeGraphState(many).pulled).toHaveLength(MAX_PULLED);
  });

  it("round-trips any valid state (property)", () => {
    const r = rng(15);
    for (let i = 0; i < 2000; i++) {
      const s = randomState(r);
      const back = decodeGraphState(encodeGraphState(s, r() < 0.5 ? "?layout=levels" : ""));
      expect(sameGraphState(back, s)).toBe(true);
    }
  });

  it("never throws, and decode∘encode is a fixed point on arbitrary query strings (property)", () => {
    const r = rng(7);
    const keys = ["direction", "depth", "explode", "pull", "layout", ""];
    for (let i = 0; i < 3000; i++) {
      const parts: string[] = [];
      const n = Math.floor(r() * 6);
      for (let j = 0; j < n; j++) parts.push(`${keys[Math.floor(r() * keys.length)]}=${randomString(r, 8)}`);
      const search = (r() < 0.5 ? "?" : "") + parts.join("&") + (r() < 0.2 ? randomString(r, 5) : "");
      const once = decodeGraphState(search);
      const encoded = encodeGraphState(once, search);
      const twice = decodeGraphState(encoded);
      expect(sameGraphState(once, twice)).toBe(true);
      expect(encodeGraphState(twice, encoded)).toBe(encoded);
    }
  });
});
