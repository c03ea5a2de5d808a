// elkjs, loaded on first use and run in a Web Worker: its 1.6 MB are not
// part of the page's first load, and a layout never blocks the main thread.

import type { ElkLike } from "../graph/layout";

let elk: Promise<ElkLike> | undefined;

export function loadElk(): Promise<ElkLike> {
  elk ??= (async () => {
    const [{ default: ELK }, { default: ElkWorker }] = await Promise.all([
      import("elkjs/lib/elk-api.js"),
      import("elkjs/lib/elk-worker.min.js?worker"),
    ]);
    return new ELK({ workerFactory: () => new ElkWorker() });
  })();
  // A failed load (offline, blocked worker) is not cached: the next layout
  // tries again, and this one falls back to the level layout.
  elk.catch(() => (elk = undefined));
  return elk;
}
