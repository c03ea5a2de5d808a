// Lineages for the tests and benchmarks of the graph model: the reference
// pipelines (mnist, zoo) as the server returns them, and a generated
// many-generation graph of the shape bench/cmd/uigen writes.

import type { Lineage, LineageNode } from "../api";

const entity = "admin";

export function run(id: string, name: string, jobType: string, project = "p"): LineageNode {
  return { id: `run:${id}`, kind: "run", run_id: id, name, job_type: jobType, state: "finished", project, entity };
}

export function artifact(name: string, version: string, type: string, project = "p", aliases: string[] = []): LineageNode {
  return {
    id: `artifact:${entity}/${project}/${name}:${version}`,
    kind: "artifact",
    name: `${name}:${version}`,
    type,
    aliases,
    project,
    entity,
  };
}

/** Builds edges from "from>to" pairs of node ids. */
export function edges(...pairs: [LineageNode, LineageNode][]): Lineage["edges"] {
  return pairs.map(([a, b]) => ({ from: a.id, to: b.id }));
}

/** The mnist chain of model-lineage.md: dataset → train → model → evaluate (+ its producer). */
export function mnist() {
  const prep = run("r1", "jumping-monkey-1", "preprocess", "mnist");
  const data = artifact("mnist_dataset", "v0", "dataset", "mnist", ["latest"]);
  const train = run("r2", "vague-morning-5", "train_model", "mnist");
  const model = artifact("mnist_model", "v0", "model", "mnist", ["latest"]);
  const evaluate = run("r3", "serene-haze-6", "evaluate", "mnist");
  const lineage: Lineage = {
    nodes: [prep, data, train, model, evaluate],
    edges: edges([prep, data], [data, train], [train, model], [model, evaluate]),
  };
  return { lineage, prep, data, train, model, evaluate };
}

/**
 * The zoo pipeline of registry-lineage.md around zoo-ylbchv20:v0: fetch-zoo
 * logs the raw data, six split_data runs use it and log split_zoo_dataset:v4,
 * rural-feather-20 trains the model, northern-lake-21 evaluates it.
 */
export function zoo() {
  const fetch = run("f", "fetch-zoo", "download", "zoo");
  const raw = artifact("zoo_dataset", "v0", "raw_data", "zoo", ["latest"]);
  const names = ["dainty-river-14", "gentle-sun-15", "brisk-wave-16", "quiet-field-17", "misty-hill-18", "bold-cloud-19"];
  const splits = names.map((n, i) => run(`s${i}`, n, "split_data", "zoo"));
  const split = artifact("split_zoo_dataset", "v4", "dataset", "zoo", ["latest"]);
  const train = run("t", "rural-feather-20", "train", "zoo");
  const model = artifact("zoo-ylbchv20", "v0", "model", "zoo", ["latest", "best"]);
  const evaluate = run("e", "northern-lake-21", "evaluate", "zoo");
  const result = artifact("zoo-eval", "v0", "evaluation", "zoo");
  const lineage: Lineage = {
    nodes: [fetch, raw, ...splits, split, train, model, evaluate, result],
    edges: [
      ...edges([fetch, raw]),
      ...splits.flatMap((s) => edges([raw, s], [s, split])),
      ...edges([split, train], [train, model], [model, evaluate], [evaluate, result]),
    ],
  };
  return { lineage, fetch, raw, splits, split, train, model, evaluate, result };
}

/** A deterministic pseudo-random generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A lineage downstream of one seed artifact: `generations` generations of
 * `width` runs, each using 1–3 artifacts of the previous generation and
 * logging one new artifact. 10 × 100 gives 2,001 nodes, like bench/cmd/uigen.
 */
export function generations(count = 10, width = 100, seed = 1) {
  const rnd = random(seed);
  const jobs = ["train", "evaluate", "transform"];
  const types = ["dataset", "model", "results", "features", "metrics"];
  const focus = artifact("seed", "v0", "dataset", "scale");
  const nodes: LineageNode[] = [focus];
  const out: Lineage["edges"] = [];
  let prev = [focus];
  for (let g = 1; g <= count; g++) {
    const next: LineageNode[] = [];
    for (let i = 0; i < width; i++) {
      const r = run(`g${g}r${i}`, `run-${g}-${i}`, jobs[Math.floor(rnd() * jobs.length)], "scale");
      const a = artifact(`a-${g}-${i}`, "v0", types[Math.floor(rnd() * types.length)], "scale");
      nodes.push(r, a);
      const uses = 1 + Math.floor(rnd() * 3);
      const used = new Set<LineageNode>();
      for (let k = 0; k < uses; k++) used.add(prev[Math.floor(rnd() * prev.length)]);
      for (const u of used) out.push({ from: u.id, to: r.id });
      out.push({ from: r.id, to: a.id });
      next.push(a);
    }
    prev = next;
  }
  return { lineage: { nodes, edges: out } as Lineage, focus };
}
