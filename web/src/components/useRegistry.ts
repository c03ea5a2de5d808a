// The registry of a page, looked up in GET /api/v1/registries (there is no
// endpoint for one registry): its accepted types and protected aliases.

import { api, APIError, type Registry } from "../api";
import { useAsync, type Async } from "./useAsync";

/** The registry named name; an APIError 404 when there is none. */
export function useRegistry(name: string, enabled = true): Async<Registry | null> {
  return useAsync<Registry | null>(
    () =>
      enabled
        ? api.registries().then((list) => {
            const r = list.find((x) => x.name === name);
            if (!r) throw new APIError(404, "not_found", `No registry named ${JSON.stringify(name)}.`);
            return r;
          })
        : Promise.resolve(null),
    [name, enabled],
  );
}
