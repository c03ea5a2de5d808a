// Which node the preview shows, kept outside React state so that selecting a
// node re-renders only the node that gains and the node that loses the
// selection, not all 2,000 of a large graph (each node subscribes with a
// boolean selector).

import { createContext, useContext, useSyncExternalStore } from "react";

export interface SelectionStore {
  get(): string | null;
  set(id: string | null): void;
  subscribe(cb: () => void): () => void;
}

export function createSelection(): SelectionStore {
  let current: string | null = null;
  const listeners = new Set<() => void>();
  return {
    get: () => current,
    set(id) {
      if (id === current) return;
      current = id;
      for (const l of listeners) l();
    },
    subscribe(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}

/** What nodes can ask the view to do; the value never changes, so it never re-renders them. */
export interface LineageActions {
  selection: SelectionStore;
  select(id: string | null): void;
  pull(id: string): void;
}

export const ActionsContext = createContext<LineageActions | null>(null);

export function useActions(): LineageActions {
  const a = useContext(ActionsContext);
  if (!a) throw new Error("lineage node rendered outside LineageView");
  return a;
}

/** Whether node id is the selected one. */
export function useIsSelected(id: string): boolean {
  const { selection } = useActions();
  return useSyncExternalStore(selection.subscribe, () => selection.get() === id);
}

/** The selected node id. */
export function useSelected(store: SelectionStore): string | null {
  return useSyncExternalStore(store.subscribe, store.get);
}
