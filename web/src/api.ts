// Typed access to Trove's HTTP API (/api/v1). The browser authenticates with
// the session cookie set by signIn; every request carries the X-Trove-CSRF
// header, which the server requires of cookie-authenticated requests that
// change state (a cross-site page cannot set it without CORS, which the
// server never grants).

export type RunState = "running" | "finished" | "failed" | "crashed";

export interface User {
  name: string;
  admin: boolean;
  created_at: string;
}

export interface Session {
  user: User;
}

export interface Collection {
  entity: string;
  project: string;
  name: string;
  type: string;
  created_at: string;
  version_count: number;
  latest: string; // "vN" of the latest version, "" when none
}

export interface Version {
  entity: string;
  project: string;
  name: string;
  type: string;
  index: number;
  digest: string;
  description: string;
  metadata: Record<string, unknown>;
  aliases: string[];
  size: number;
  file_count: number;
  state: string;
  created_at: string;
  created_by: string; // id of the run that first logged it, "" when none
  source?: string; // a registry link's source version, "entity/project/name:vN"; absent otherwise
}

/** A registry: organisation-wide collections (entity "registry", project = its name) of links. */
export interface Registry {
  name: string;
  types: string[]; // the artifact types it accepts
  protected_aliases: string[]; // aliases only a registry admin may set or move
  collection_count: number;
  created_at: string;
}

export interface Entry {
  path: string;
  digest: string;
  size: number;
  ref?: string;
  extra?: Record<string, string>; // a reference's pinned version: etag, version_id, generation…
}

export interface Run {
  id: string;
  name: string;
  entity: string;
  project: string;
  job_type: string;
  group: string;
  config: Record<string, unknown>;
  tags: string[];
  state: RunState;
  started_at: string;
  finished_at: string | null;
  heartbeat_at: string;
}

export interface LineageNode {
  id: string; // "run:ID" or "artifact:entity/project/name:vN"
  kind: "run" | "artifact";
  run_id?: string;
  name: string; // run name, or "name:vN" for an artifact
  type?: string; // artifact type
  job_type?: string;
  state?: string;
  aliases?: string[];
  project: string;
  entity: string;
}

export interface LineageEdge {
  from: string;
  to: string;
}

export interface Lineage {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export type Direction = "upstream" | "downstream" | "both";

export interface TypeGraphNode {
  id: string; // "artifact_type:NAME" or "job_type:NAME"
  kind: "artifact_type" | "job_type";
  name: string;
  count: number; // collections of the type, or runs of the job type
}

export interface TypeGraph {
  nodes: TypeGraphNode[];
  edges: LineageEdge[];
}

/** An API error: the server's {"error": {code, message}} and the HTTP status. */
export class APIError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const base = "/api/v1";

let unauthorized: ((err: APIError) => void) | null = null;

/**
 * Sets what happens when a request is refused with 401 because the session
 * has ended (signed out elsewhere, expired, its key revoked): the app sends
 * the user back to the sign-in page. The session endpoints themselves are
 * exempt: their 401 is an answer ("not signed in", "wrong key"), not an event.
 * Pass null to remove the handler.
 */
export function onUnauthorized(fn: ((err: APIError) => void) | null): void {
  unauthorized = fn;
}

const seg = encodeURIComponent;

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "X-Trove-CSRF": "1", Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: fall through with the text as the message
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const e = new APIError(res.status, err?.code ?? "unknown", err?.message ?? (text || res.statusText));
    if (res.status === 401 && path !== "/session") unauthorized?.(e);
    throw e;
  }
  return data as T;
}

const get = <T>(path: string) => request<T>("GET", path);

function projectPath(entity: string, project: string): string {
  return `/projects/${seg(entity)}/${seg(project)}`;
}

function versionPath(entity: string, project: string, name: string, version: string): string {
  return `${projectPath(entity, project)}/artifacts/${seg(name)}/versions/${seg(version)}`;
}

function lineageQuery(direction: Direction, depth: number): string {
  return `?direction=${direction}&depth=${depth}`;
}

export const api = {
  // Sessions: sign in with an API key; the server answers with an HttpOnly,
  // SameSite=Strict session cookie that the page's script never sees.
  signIn: (apiKey: string) => request<Session>("POST", "/session", { api_key: apiKey }),
  session: () => get<Session>("/session"),
  signOut: () => request<void>("DELETE", "/session"),

  projects: (entity: string) => get<string[]>(`/entities/${seg(entity)}/projects`),
  collections: (entity: string, project: string, type = "") =>
    get<Collection[]>(`${projectPath(entity, project)}/artifacts${type ? `?type=${seg(type)}` : ""}`),
  versions: (entity: string, project: string, name: string) =>
    get<Version[]>(`${projectPath(entity, project)}/artifacts/${seg(name)}/versions`),
  version: (entity: string, project: string, name: string, version: string) =>
    get<Version>(versionPath(entity, project, name, version)),
  manifest: (entity: string, project: string, name: string, version: string) =>
    get<Entry[]>(`${versionPath(entity, project, name, version)}/manifest`),
  loggedBy: (entity: string, project: string, name: string, version: string) =>
    // producers: every run that logged the version, the first logger first.
    get<(Run & { producers?: Run[] }) | null>(`${versionPath(entity, project, name, version)}/logged-by`),
  usedBy: (entity: string, project: string, name: string, version: string) =>
    get<Run[]>(`${versionPath(entity, project, name, version)}/used-by`),
  versionLineage: (entity: string, project: string, name: string, version: string, direction: Direction, depth: number) =>
    get<Lineage>(`${versionPath(entity, project, name, version)}/lineage${lineageQuery(direction, depth)}`),

  runs: (entity: string, project: string) => get<Run[]>(`${projectPath(entity, project)}/runs`),
  run: (id: string) => get<Run>(`/runs/${seg(id)}`),
  runInputs: (id: string) => get<Version[]>(`/runs/${seg(id)}/inputs`),
  runOutputs: (id: string) => get<Version[]>(`/runs/${seg(id)}/outputs`),
  runLineage: (id: string, direction: Direction, depth: number) =>
    get<Lineage>(`/runs/${seg(id)}/lineage${lineageQuery(direction, depth)}`),

  typeGraph: (entity: string, project: string) => get<TypeGraph>(`${projectPath(entity, project)}/types`),

  // Registries: each is the project registry/NAME, so its collections and
  // versions are read with the endpoints above.
  registries: () =>
    get<Registry[] | null>("/registries").then((list) =>
      (list ?? []).map((r) => ({ ...r, types: r.types ?? [], protected_aliases: r.protected_aliases ?? [] })),
    ),
  /** The links of a (source) version into registries; [] when none. */
  versionLinks: (entity: string, project: string, name: string, version: string) =>
    get<Version[] | null>(`${versionPath(entity, project, name, version)}/links`).then((list) => list ?? []),
};

/** Parses a lineage artifact node id, "artifact:entity/project/name:vN". */
export function parseArtifactID(id: string): { entity: string; project: string; name: string; version: string } | null {
  const m = /^artifact:([^/]+)\/([^/]+)\/(.+):(v\d+)$/.exec(id);
  return m ? { entity: m[1], project: m[2], name: m[3], version: m[4] } : null;
}

/**
 * Download links of a version, for <a href download>: the browser sends the
 * session cookie with these GETs as with every API call (a GET needs no
 * CSRF header), and saves what the server streams under the name it gives.
 */
export const downloads = {
  /** One stored file (a reference entry is refused: the server never fetches it). */
  file: (entity: string, project: string, name: string, version: string, path: string) =>
    `${base}${versionPath(entity, project, name, version)}/file?path=${seg(path)}`,
  /** The whole version, NAME-vN.tar or .zip, references listed in NAME-vN/REFERENCES.json. */
  archive: (entity: string, project: string, name: string, version: string, format: "tar" | "zip") =>
    `${base}${versionPath(entity, project, name, version)}/archive?format=${format}`,
};

// ---------- Find (issue 15): GET /api/v1/search and GET /api/v1/projects ----------

/** One thing GET /api/v1/search found, with what a page needs to link to it. */
export interface SearchHit {
  kind: "project" | "artifact" | "version" | "run";
  match: "exact" | "prefix" | "substring";
  field: "name" | "alias" | "digest" | "version" | "id";
  entity: string;
  project: string;
  name: string;
  type?: string;
  version?: number;
  digest?: string;
  aliases?: string[];
  run_id?: string;
  state?: RunState;
}

/** A project the caller may read, with its visibility and sizes (GET /api/v1/projects). */
export interface ProjectInfo {
  entity: string;
  name: string;
  public: boolean;
  artifacts: number;
  runs: number;
}

/** What the caller may read that matches text: exact first, then prefixes, then substrings. */
export const searchAPI = (text: string, limit = 20) =>
  get<SearchHit[] | null>(`/search?q=${seg(text)}&limit=${limit}`).then((l) => l ?? []);

/** Every project the caller may read: its own, its teams', public ones. */
export const readableProjects = () => get<ProjectInfo[] | null>("/projects").then((l) => l ?? []);
