// Routing: the paths of links.ts → pages. match() is pure (router.test.ts);
// routeView() turns a match into the page element, its breadcrumbs and its
// title.

import type { ReactNode } from "react";
import { links } from "./links";
import { Artifacts } from "./pages/Artifacts";
import { CollectionPage } from "./pages/Collection";
import { NotFound } from "./pages/NotFound";
import { Projects } from "./pages/Projects";
import { Registries } from "./pages/Registries";
import { RegistryPage } from "./pages/Registry";
import { RunPage } from "./pages/Run";
import { Runs } from "./pages/Runs";
import { TypesPage } from "./pages/Types";
import { VersionPage } from "./pages/Version";
import { isRegistryEntity } from "./registry";

export type RouteName =
  | "signin"
  | "projects"
  | "project"
  | "artifacts"
  | "collection"
  | "version"
  | "runs"
  | "run"
  | "types"
  | "registries"
  | "registry"
  | "notfound";

export interface Match {
  name: RouteName;
  params: Record<string, string>;
}

const P = "([^/]+)";
const table: [RouteName, RegExp, string[]][] = [
  ["signin", /^\/signin\/?$/, []],
  ["projects", /^\/$/, []],
  // Before "project": /registries/model is a registry, not a project of an entity "registries".
  ["registries", /^\/registries\/?$/, []],
  ["registry", new RegExp(`^/registries/${P}/?$`), ["registry"]],
  ["project", new RegExp(`^/${P}/${P}/?$`), ["entity", "project"]],
  // /:e/:p/artifacts/:type is the artifacts page opened at that type's section.
  ["artifacts", new RegExp(`^/${P}/${P}/artifacts(?:/${P})?/?$`), ["entity", "project", "type"]],
  ["collection", new RegExp(`^/${P}/${P}/artifacts/${P}/${P}/?$`), ["entity", "project", "type", "name"]],
  [
    "version",
    new RegExp(`^/${P}/${P}/artifacts/${P}/${P}/${P}(?:/(files|lineage))?/?$`),
    ["entity", "project", "type", "name", "version", "tab"],
  ],
  ["runs", new RegExp(`^/${P}/${P}/runs/?$`), ["entity", "project"]],
  ["run", new RegExp(`^/${P}/${P}/runs/${P}(?:/(lineage))?/?$`), ["entity", "project", "id", "tab"]],
  ["types", new RegExp(`^/${P}/${P}/types/?$`), ["entity", "project"]],
];

/** The route of a path (no query string). Undecodable segments do not match. */
export function match(pathname: string): Match {
  for (const [name, re, keys] of table) {
    const m = re.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      keys.forEach((k, i) => {
        params[k] = m[i + 1] === undefined ? "" : decodeURIComponent(m[i + 1]);
      });
    } catch {
      return { name: "notfound", params: {} };
    }
    return { name, params };
  }
  return { name: "notfound", params: {} };
}

/**
 * Where to go after signing in: the ?next= of the sign-in page when it is a
 * path of this site (never another origin: "//evil.example" or
 * "https://…" fall back to "/"), else the projects page.
 */
export function nextPath(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "";
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/signin")) return "/";
  return next;
}

export interface Crumb {
  label: string;
  href?: string;
  mono?: boolean;
}

export interface RouteView {
  element: ReactNode;
  crumbs: Crumb[];
  title: string;
  nav: "projects" | "registries"; // the active entry of the top navigation
  project?: { entity: string; project: string; section: "artifacts" | "runs" | "types" };
  registry?: string; // a registry's pages show its bar instead of a project's
  wide?: boolean; // full-width pages (graphs)
}

/** The breadcrumbs of a registry's page: Registries / NAME. */
export function registryCrumbs(registry: string, here = false): Crumb[] {
  return [
    { label: "Registries", href: links.registries() },
    { label: registry, href: here ? undefined : links.registry(registry) },
  ];
}

/** The page of a match (not the sign-in page, which App renders itself). */
export function routeView(m: Match, search: string): RouteView {
  const v = pageView(m, search);
  const e = m.params.entity ?? "";
  if (m.name === "registries" || m.name === "registry" || isRegistryEntity(e)) return { ...v, nav: "registries" };
  return { ...v, nav: "projects" };
}

function pageView(m: Match, search: string): Omit<RouteView, "nav"> {
  const { entity: e = "", project: p = "" } = m.params;
  const reg = isRegistryEntity(e) && p !== "";
  const projectCrumbs = (section: "artifacts" | "runs" | "types"): Crumb[] => [
    { label: e, href: links.projects() },
    { label: p, href: links.artifacts(e, p) },
    { label: section === "artifacts" ? "Artifacts" : section === "runs" ? "Runs" : "Types", href: section === "artifacts" ? links.artifacts(e, p) : section === "runs" ? links.runs(e, p) : links.types(e, p) },
  ];
  switch (m.name) {
    case "projects":
      return { element: <Projects />, crumbs: [{ label: "Projects" }], title: "Projects" };
    case "registries":
      return { element: <Registries />, crumbs: [{ label: "Registries" }], title: "Registries" };
    case "registry": {
      const r = m.params.registry;
      return { element: <RegistryPage key={r} registry={r} />, crumbs: registryCrumbs(r, true), title: `${r} · Registries`, registry: r };
    }
    case "project":
    case "artifacts":
      // registry/NAME is a registry: its page, at either address.
      if (reg) return { element: <RegistryPage key={p} registry={p} />, crumbs: registryCrumbs(p, true), title: `${p} · Registries`, registry: p };
      return {
        element: <Artifacts key={`${e}/${p}`} entity={e} project={p} focusType={m.params.type ?? ""} />,
        crumbs: projectCrumbs("artifacts"),
        title: `Artifacts · ${e}/${p}`,
        project: { entity: e, project: p, section: "artifacts" },
      };
    case "collection": {
      const { type, name } = m.params;
      if (reg)
        return {
          element: <CollectionPage key={`${e}/${p}/${name}`} entity={e} project={p} type={type} name={name} />,
          crumbs: [...registryCrumbs(p), { label: name, mono: true }],
          title: `${name} · ${p} · Registries`,
          registry: p,
        };
      return {
        element: <CollectionPage key={`${e}/${p}/${name}`} entity={e} project={p} type={type} name={name} />,
        crumbs: [...projectCrumbs("artifacts"), { label: type, href: links.artifacts(e, p, type) }, { label: name, mono: true }],
        title: `${name} · ${e}/${p}`,
        project: { entity: e, project: p, section: "artifacts" },
      };
    }
    case "version": {
      const { type, name, version } = m.params;
      const tab = (m.params.tab || "overview") as "overview" | "files" | "lineage";
      if (reg)
        return {
          element: <VersionPage key={`${e}/${p}/${name}/${version}`} entity={e} project={p} type={type} name={name} version={version} tab={tab} />,
          crumbs: [...registryCrumbs(p), { label: name, href: links.collection(e, p, type, name), mono: true }, { label: version, mono: true }],
          title: `${name}:${version} · ${p} · Registries`,
          registry: p,
          wide: true,
        };
      return {
        element: <VersionPage key={`${e}/${p}/${name}/${version}`} entity={e} project={p} type={type} name={name} version={version} tab={tab} />,
        crumbs: [
          ...projectCrumbs("artifacts"),
          { label: type, href: links.artifacts(e, p, type) },
          { label: name, href: links.collection(e, p, type, name), mono: true },
          { label: version, mono: true },
        ],
        title: `${name}:${version} · ${e}/${p}`,
        project: { entity: e, project: p, section: "artifacts" },
        wide: true, // the same frame for every tab: the Lineage tab wants the width
      };
    }
    case "runs": {
      const q = new URLSearchParams(search);
      return {
        element: <Runs key={`${e}/${p}`} entity={e} project={p} jobType={q.get("job_type") ?? ""} query={q.get("q") ?? ""} />,
        crumbs: projectCrumbs("runs"),
        title: `Runs · ${e}/${p}`,
        project: { entity: e, project: p, section: "runs" },
      };
    }
    case "run": {
      const tab = (m.params.tab || "overview") as "overview" | "lineage";
      return {
        element: <RunPage key={m.params.id} entity={e} project={p} id={m.params.id} tab={tab} />,
        crumbs: [...projectCrumbs("runs"), { label: m.params.id, mono: true }],
        title: `Run ${m.params.id} · ${e}/${p}`,
        project: { entity: e, project: p, section: "runs" },
        wide: true,
      };
    }
    case "types":
      return {
        element: <TypesPage key={`${e}/${p}`} entity={e} project={p} />,
        crumbs: projectCrumbs("types"),
        title: `Types · ${e}/${p}`,
        project: { entity: e, project: p, section: "types" },
        wide: true,
      };
    default:
      return { element: <NotFound />, crumbs: [{ label: "Not found" }], title: "Not found" };
  }
}
