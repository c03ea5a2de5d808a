// The file tree of a version, built from its manifest's flat paths. Pure
// functions (tested in fileTree.test.ts); FileTree.tsx renders them.
//
// A manifest can hold 100,000 entries or more, so nothing here is
// quadratic: the tree is built in one pass, and flatten() visits only the
// folders that are open, producing the rows the virtualised list shows.

import type { Entry } from "../api";

export interface FileNode {
  kind: "file";
  name: string;
  path: string;
  entry: Entry;
}

export interface DirNode {
  kind: "dir";
  name: string;
  path: string; // "" for the root
  children: TreeNode[];
  size: number; // bytes of every file below
  files: number; // files below, at any depth
}

export type TreeNode = FileNode | DirNode;

export interface Row {
  node: TreeNode;
  depth: number;
}

const byKindThenName = (a: TreeNode, b: TreeNode) => {
  if (a.kind !== b.kind) return a.kind === "dir" ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

/** Builds the tree of the entries' paths ("a/b/c.txt" → a/ → b/ → c.txt). */
export function buildTree(entries: readonly Entry[]): DirNode {
  const root: DirNode = { kind: "dir", name: "", path: "", children: [], size: 0, files: 0 };
  const dirs = new Map<string, DirNode>([["", root]]);
  for (const e of entries) {
    const parts = e.path.split("/");
    let dir = root;
    let prefix = "";
    root.size += e.size;
    root.files++;
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = prefix ? `${prefix}/${parts[i]}` : parts[i];
      let next = dirs.get(prefix);
      if (!next) {
        next = { kind: "dir", name: parts[i], path: prefix, children: [], size: 0, files: 0 };
        dirs.set(prefix, next);
        dir.children.push(next);
      }
      next.size += e.size;
      next.files++;
      dir = next;
    }
    dir.children.push({ kind: "file", name: parts[parts.length - 1], path: e.path, entry: e });
  }
  for (const d of dirs.values()) d.children.sort(byKindThenName);
  return root;
}

/**
 * The rows to show: the root's children, and the children of every open
 * folder, depth first. open === "all" opens every folder (a filtered tree).
 */
export function flatten(root: DirNode, open: ReadonlySet<string> | "all"): Row[] {
  const rows: Row[] = [];
  const stack: Row[] = [];
  for (let i = root.children.length - 1; i >= 0; i--) stack.push({ node: root.children[i], depth: 0 });
  while (stack.length > 0) {
    const row = stack.pop()!;
    rows.push(row);
    const n = row.node;
    if (n.kind === "dir" && (open === "all" || open.has(n.path))) {
      for (let i = n.children.length - 1; i >= 0; i--) stack.push({ node: n.children[i], depth: row.depth + 1 });
    }
  }
  return rows;
}

/** The entries whose path contains query, case-insensitively ("" keeps all). */
export function filterEntries(entries: readonly Entry[], query: string): Entry[] {
  const q = query.trim().toLowerCase();
  if (!q) return entries.slice();
  return entries.filter((e) => e.path.toLowerCase().includes(q) || (e.ref ?? "").toLowerCase().includes(q));
}

/**
 * The folders to open at first: every folder of a small tree, else the chain
 * of lone folders from the root (a tree that is all under "data/" opens
 * "data/" so that the first screen shows files, not one folder).
 */
export function initialOpen(root: DirNode, smallTree = 200): Set<string> {
  const open = new Set<string>();
  if (root.files <= smallTree) {
    const walk = (d: DirNode) => {
      for (const c of d.children) {
        if (c.kind === "dir") {
          open.add(c.path);
          walk(c);
        }
      }
    };
    walk(root);
    return open;
  }
  let d = root;
  while (d.children.length === 1 && d.children[0].kind === "dir") {
    d = d.children[0];
    open.add(d.path);
  }
  return open;
}
