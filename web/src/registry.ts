// Registries in the UI: pure helpers (tested in registry.test.ts).
//
// A registry is the project registry/NAME of the reserved entity "registry":
// registry model, collection X is registry/model/X, and its versions are
// links to source versions elsewhere ("source": "admin/zoo/zoo-a:v0").

/** The reserved entity whose projects are the registries. */
export const REGISTRY_ENTITY = "registry";

export function isRegistryEntity(entity: string): boolean {
  return entity === REGISTRY_ENTITY;
}

export interface VersionRef {
  entity: string;
  project: string;
  name: string;
  version: string; // "vN" or an alias
}

/**
 * Parses a version reference "entity/project/name:vN" (a link's source).
 * The name may not contain "/"; the version is what follows the last ":".
 * Anything else is null.
 */
export function parseVersionRef(ref: string | null | undefined): VersionRef | null {
  if (!ref) return null;
  const m = /^([^/:]+)\/([^/:]+)\/([^/:]+):([^/:]+)$/.exec(ref);
  return m ? { entity: m[1], project: m[2], name: m[3], version: m[4] } : null;
}

/** "entity/project/name:vN" of a version. */
export function versionRef(v: { entity: string; project: string; name: string; index: number }): string {
  return `${v.entity}/${v.project}/${v.name}:v${v.index}`;
}

/** A lineage artifact node id of a reference: "artifact:entity/project/name:vN". */
export function artifactNodeID(ref: VersionRef): string {
  return `artifact:${ref.entity}/${ref.project}/${ref.name}:${ref.version}`;
}

/**
 * The aliases of a version in display order, each marked protected or not:
 * protected ones first (they are the ones that matter in a registry, e.g.
 * "production"), then the rest; each group keeps the given order.
 */
export function markAliases(aliases: readonly string[] | null | undefined, protectedAliases: readonly string[] | null | undefined): { alias: string; protected: boolean }[] {
  const prot = new Set(protectedAliases ?? []);
  const list = (aliases ?? []).map((alias, i) => ({ alias, protected: prot.has(alias), i }));
  return list.sort((a, b) => Number(b.protected) - Number(a.protected) || a.i - b.i).map(({ alias, protected: p }) => ({ alias, protected: p }));
}

/**
 * Whether a registry is one of the built-in ones (model, dataset), which the
 * database migration creates with created_at 0, the Unix epoch: the UI says
 * "Built in" rather than "57 years ago".
 */
export function isBuiltIn(createdAt: string | null | undefined): boolean {
  if (!createdAt) return false;
  return Date.parse(createdAt) === 0;
}
