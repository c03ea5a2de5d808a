// The projects the signed-in user may read (GET /api/v1/projects): its own,
// then those of its teams and others shared with it, then public ones; each
// with links to its artifacts, runs and type graph, and its counts.

import type { ProjectInfo } from "../api";
import { readableProjects } from "../api";
import { BoxIcon, GraphIcon, PlayIcon } from "../components/Icons";
import { useSession } from "../components/session";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useAsync } from "../components/useAsync";
import { plural } from "../format";
import { links } from "../links";
import { Link } from "../nav";

export function Projects() {
  const { user } = useSession();
  const projects = useAsync(() => readableProjects(), [user.name]);
  const byName = (a: ProjectInfo, b: ProjectInfo) => a.entity.localeCompare(b.entity) || a.name.localeCompare(b.name);
  const all = projects.status === "ready" ? [...projects.data].sort(byName) : [];
  const own = all.filter((p) => p.entity === user.name);
  const shared = all.filter((p) => p.entity !== user.name && !p.public);
  const open = all.filter((p) => p.entity !== user.name && p.public);
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="muted">
            Projects <strong>{user.name}</strong> can read
          </p>
        </div>
      </div>
      {projects.status === "loading" && <Loading label="Loading projects…" />}
      {projects.status === "error" && <ErrorBox error={projects.error} onRetry={projects.reload} />}
      {projects.status === "ready" && (
        <>
          {own.length === 0 ? (
            <Empty title="No projects yet">
              Log an artifact to create one: <code>trove artifact put ./data -n my_dataset -t dataset -p my-project</code>
            </Empty>
          ) : (
            <ul className="card-grid" data-testid="project-list">
              {own.map((p) => (
                <ProjectCard key={p.name} info={p} testid="project-link" />
              ))}
            </ul>
          )}
          <Section title={user.admin ? "Other projects" : "Shared with you"} hint={user.admin ? "every other user's and team's, as a site administrator" : "your teams' projects"} list={shared} testid="shared-projects" />
          <Section title="Public projects" hint="readable by every user" list={open} testid="public-projects" />
        </>
      )}
    </div>
  );
}

function Section({ title, hint, list, testid }: { title: string; hint: string; list: ProjectInfo[]; testid: string }) {
  if (list.length === 0) return null;
  return (
    <section className="projects-section" data-testid={testid} style={{ marginTop: 28 }}>
      <h2 style={{ marginBottom: 12 }}>
        {title} <span className="muted" style={{ fontSize: 13, fontWeight: 400 }}>· {hint}</span>
      </h2>
      <ul className="card-grid">
        {list.map((p) => (
          <ProjectCard key={`${p.entity}/${p.name}`} info={p} testid="other-project-link" />
        ))}
      </ul>
    </section>
  );
}

function ProjectCard({ info, testid }: { info: ProjectInfo; testid: string }) {
  const { entity, name: project } = info;
  return (
    <li className="card project-card" data-project={project} data-entity={entity}>
      <Link href={links.artifacts(entity, project)} className="project-card-title" data-testid={testid}>
        <span className="muted">{entity} /</span> {project}
        {info.public && <span className="badge subtle" style={{ marginLeft: 8 }}>public</span>}
      </Link>
      <div className="muted project-card-counts" data-testid="project-counts">
        {plural(info.artifacts, "collection")} · {plural(info.runs, "run")}
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
