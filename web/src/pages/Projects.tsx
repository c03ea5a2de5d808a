// The signed-in user's projects, each with links to its artifacts, runs and
// type graph, and its counts (from the type graph: one small request each).

import { api } from "../api";
import { BoxIcon, GraphIcon, PlayIcon } from "../components/Icons";
import { useSession } from "../components/session";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useAsync } from "../components/useAsync";
import { plural } from "../format";
import { links } from "../links";
import { Link } from "../nav";

export function Projects() {
  const { user } = useSession();
  const projects = useAsync(() => api.projects(user.name), [user.name]);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="muted">
            Projects of <strong>{user.name}</strong>
          </p>
        </div>
      </div>
      {projects.status === "loading" && <Loading label="Loading projects…" />}
      {projects.status === "error" && <ErrorBox error={projects.error} onRetry={projects.reload} />}
      {projects.status === "ready" &&
        (projects.data.length === 0 ? (
          <Empty title="No projects yet">
            Log an artifact to create one: <code>trove artifact put ./data -n my_dataset -t dataset -p my-project</code>
          </Empty>
        ) : (
          <ul className="card-grid" data-testid="project-list">
            {[...projects.data].sort().map((p) => (
              <ProjectCard key={p} entity={user.name} project={p} />
            ))}
          </ul>
        ))}
    </div>
  );
}

function ProjectCard({ entity, project }: { entity: string; project: string }) {
  const graph = useAsync(() => api.typeGraph(entity, project), [entity, project]);
  let counts = "";
  if (graph.status === "ready") {
    let collections = 0;
    let runs = 0;
    for (const n of graph.data.nodes) {
      if (n.kind === "artifact_type") collections += n.count;
      else runs += n.count;
    }
    counts = `${plural(collections, "collection")} · ${plural(runs, "run")}`;
  }
  return (
    <li className="card project-card" data-project={project}>
      <Link href={links.artifacts(entity, project)} className="project-card-title" data-testid="project-link">
        <span className="muted">{entity} /</span> {project}
      </Link>
      <div className="muted project-card-counts" data-testid="project-counts">
        {graph.status === "loading" ? "\u00a0" : counts}
      </div>
      <div className="project-card-links">
        <Link href={links.artifacts(entity, project)}>
          <BoxIcon /> Artifacts
        </Link>
        <Link href={links.runs(entity, project)}>
          <PlayIcon /> Runs
        </Link>
        <Link href={links.types(entity, project)}>
          <GraphIcon /> Types
        </Link>
      </div>
    </li>
  );
}
