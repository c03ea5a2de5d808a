// Loading data in a component: the state of one promise, re-run when its
// dependencies change, with stale answers ignored (a slow answer for the
// previous page never overwrites the current one).

import type { DependencyList } from "react";
import { useCallback, useEffect, useState } from "react";

export type Async<T> =
  | { status: "loading"; data?: undefined; error?: undefined; reload: () => void }
  | { status: "error"; data?: undefined; error: Error; reload: () => void }
  | { status: "ready"; data: T; error?: undefined; reload: () => void };

export function useAsync<T>(fn: () => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ status: "loading" } | { status: "error"; error: Error } | { status: "ready"; data: T }>({
    status: "loading",
  });
  const [nonce, setNonce] = useState(0);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  useEffect(() => {
    let current = true;
    setState({ status: "loading" });
    fn().then(
      (data) => current && setState({ status: "ready", data }),
      (error: unknown) => current && setState({ status: "error", error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce]);
  return { ...state, reload } as Async<T>;
}
