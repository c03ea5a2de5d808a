// The UI's URLs. Every page has a path of its own, so that a page can be
// bookmarked, shared and reloaded; the server answers all of them with the
// application (web.go), which routes them (router.tsx).
//
//   /signin
//   /                                                   projects
//   /:entity/:project                                   → artifacts
//   /:entity/:project/artifacts                         artifacts grouped by type
//   /:entity/:project/artifacts/:type/:name             a collection
//   /:entity/:project/artifacts/:type/:name/:version    a version (tabs: /files, /lineage)
//   /:entity/:project/runs                              runs
//   /:entity/:project/runs/:id                          a run (tab: /lineage)
//   /:entity/:project/types                             the type graph
//   /registries                                         registries
//   /registries/:registry                               a registry's collections
//
// A registry's collections and versions are those of the project
// registry/:registry (the reserved entity "registry"), at the paths above:
// /registry/model/artifacts/model/X/v0. /registry/:registry shows the
// registry's page too.

const seg = encodeURIComponent;

export const links = {
  signIn: (next?: string) => (next && next !== "/" ? `/signin?next=${seg(next)}` : "/signin"),
  projects: () => "/",
  project: (entity: string, project: string) => `/${seg(entity)}/${seg(project)}`,
  artifacts: (entity: string, project: string, type?: string) =>
    `/${seg(entity)}/${seg(project)}/artifacts${type ? `#type-${seg(type)}` : ""}`,
  collection: (entity: string, project: string, type: string, name: string) =>
    `/${seg(entity)}/${seg(project)}/artifacts/${seg(type)}/${seg(name)}`,
  version: (entity: string, project: string, type: string, name: string, version: string, tab: "" | "files" | "lineage" = "") =>
    `/${seg(entity)}/${seg(project)}/artifacts/${seg(type)}/${seg(name)}/${seg(version)}${tab ? `/${tab}` : ""}`,
  runs: (entity: string, project: string, jobType?: string) =>
    `/${seg(entity)}/${seg(project)}/runs${jobType ? `?job_type=${seg(jobType)}` : ""}`,
  run: (entity: string, project: string, id: string, tab: "" | "lineage" = "") =>
    `/${seg(entity)}/${seg(project)}/runs/${seg(id)}${tab ? `/${tab}` : ""}`,
  types: (entity: string, project: string) => `/${seg(entity)}/${seg(project)}/types`,
  registries: () => "/registries",
  registry: (registry: string) => `/registries/${seg(registry)}`,
};
