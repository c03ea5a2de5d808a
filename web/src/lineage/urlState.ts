// The explorer's graph state in the URL's query string, so that a reload,
// Back/Forward and a shared link restore it:
//
//   ?direction=upstream&depth=3&explode=1&pull=ID&pull=ID
//
// Defaults (both, all, folded, nothing pulled) are left out, and other
// parameters (layout=…) are kept. Pure functions: lineage/urlState.test.ts.

import type { Direction } from "../api";

export interface GraphState {
  direction: Direction;
  depth: number; // 0: unlimited
  exploded: boolean;
  pulled: string[]; // node ids pulled out of their clusters, in the order pulled
}

export const defaultGraphState: GraphState = { direction: "both", depth: 0, exploded: false, pulled: [] };

/** The most node ids kept from a URL: a longer list is a forged or broken link. */
export const MAX_PULLED = 500;
/** The largest depth a URL may ask for. */
export const MAX_DEPTH = 1000;
const MAX_ID = 1024;

const DIRECTIONS: readonly Direction[] = ["both", "upstream", "downstream"];

/** The graph state a query string ("?…" or "…") names; anything invalid falls back to its default. */
export function decodeGraphState(search: string): GraphState {
  const q = new URLSearchParams(search);
  const d = q.get("direction");
  const direction = d !== null && (DIRECTIONS as readonly string[]).includes(d) ? (d as Direction) : "both";
  const depthText = q.get("depth") ?? "";
  const n = /^[0-9]{1,4}$/.test(depthText) ? Number(depthText) : 0;
  const depth = n <= MAX_DEPTH ? n : 0;
  const exploded = q.get("explode") === "1";
  const seen = new Set<string>();
  const pulled: string[] = [];
  for (const id of q.getAll("pull")) {
    if (id === "" || id.length > MAX_ID || seen.has(id)) continue;
    seen.add(id);
    pulled.push(id);
    if (pulled.length === MAX_PULLED) break;
  }
  return { direction, depth, exploded, pulled };
}

/**
 * The query string ("?…", or "" when empty) of search with its graph state
 * replaced by state: other parameters stay, in their order.
 */
export function encodeGraphState(state: GraphState, search = ""): string {
  const q = new URLSearchParams(search);
  for (const k of ["direction", "depth", "explode", "pull"]) q.delete(k);
  if (state.direction !== "both") q.set("direction", state.direction);
  if (state.depth !== 0) q.set("depth", String(state.depth));
  if (state.exploded) q.set("explode", "1");
  for (const id of state.pulled) q.append("pull", id);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Whether two states are the same. */
export function sameGraphState(a: GraphState, b: GraphState): boolean {
  return a.direction === b.direction && a.depth === b.depth && a.exploded === b.exploded && a.pulled.length === b.pulled.length && a.pulled.every((id, i) => id === b.pulled[i]);
}
