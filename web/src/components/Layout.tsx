// The frame of every signed-in page: the header (logo, breadcrumbs, the
// signed-in user, sign out), the project's navigation, and the page.

import { useState } from "react";
import { links } from "../links";
import { Link } from "../nav";
import type { Crumb, RouteView } from "../router";
import { BoxIcon, FolderStackIcon, GraphIcon, LogoMark, PlayIcon, RegistryIcon } from "./Icons";
import { SearchBox } from "./Search";
import { useSession } from "./session";

export function Shell({ view }: { view: RouteView }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header crumbs={view.crumbs} nav={view.nav} />
      {view.project && <ProjectBar {...view.project} />}
      {view.registry && <RegistryBar registry={view.registry} />}
      <main id="main" className={`main${view.wide ? " wide" : ""}`} tabIndex={-1}>
        {view.element}
      </main>
    </div>
  );
}

function Header({ crumbs, nav }: { crumbs: Crumb[]; nav: RouteView["nav"] }) {
  const items = [
    { id: "projects", label: "Projects", href: links.projects(), icon: <FolderStackIcon /> },
    { id: "registries", label: "Registries", href: links.registries(), icon: <RegistryIcon /> },
  ] as const;
  return (
    <header className="header">
      <Link href={links.projects()} className="brand" aria-label="Trove: projects">
        <LogoMark />
        <span>Trove</span>
      </Link>
      <nav className="top-nav" aria-label="Main">
        {items.map((it) => (
          <Link
            key={it.id}
            href={it.href}
            className={`top-nav-item${nav === it.id ? " active" : ""}`}
            aria-current={nav === it.id ? "true" : undefined}
            data-testid={`topnav-${it.id}`}
          >
            {it.icon}
            {it.label}
          </Link>
        ))}
      </nav>
      <nav className="crumbs" aria-label="Breadcrumbs">
        <ol>
          {crumbs.map((c, i) => (
            <li key={i}>
              {c.href && i < crumbs.length - 1 ? (
                <Link href={c.href} className={c.mono ? "mono" : undefined}>
                  {c.label}
                </Link>
              ) : (
                <span className={c.mono ? "mono" : undefined} aria-current={i === crumbs.length - 1 ? "page" : undefined}>
                  {c.label}
                </span>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <SearchBox />
      <UserMenu />
    </header>
  );
}

function UserMenu() {
  const { user, signOut } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="avatar" aria-hidden="true">
        {user.name.slice(0, 1).toUpperCase()}
      </span>
      <span className="user-name" data-testid="user-name">
        {user.name}
      </span>
      {user.admin && <span className="badge subtle">admin</span>}
      <button
        type="button"
        className="btn btn-ghost btn-sm"
        data-testid="signout"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError("");
          signOut().catch((err: Error) => {
            setError(err.message);
            setBusy(false);
          });
        }}
      >
        Sign out
      </button>
      {error && (
        <span className="user-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function ProjectBar({ entity, project, section }: { entity: string; project: string; section: "artifacts" | "runs" | "types" }) {
  const items = [
    { id: "artifacts", label: "Artifacts", href: links.artifacts(entity, project), icon: <BoxIcon /> },
    { id: "runs", label: "Runs", href: links.runs(entity, project), icon: <PlayIcon /> },
    { id: "types", label: "Types", href: links.types(entity, project), icon: <GraphIcon /> },
  ];
  return (
    <div className="project-bar">
      <div className="project-title">
        <span className="muted">{entity}</span>
        <span className="sep">/</span>
        <span>{project}</span>
      </div>
      <nav className="project-nav" aria-label="Project">
        {items.map((it) => (
          <Link
            key={it.id}
            href={it.href}
            className={`project-nav-item${section === it.id ? " active" : ""}`}
            aria-current={section === it.id ? "page" : undefined}
            data-testid={`nav-${it.id}`}
          >
            {it.icon}
            {it.label}
          </Link>
        ))}
      </nav>
    </div>
  );
}

/** The bar of a registry's pages, in place of a project's. */
function RegistryBar({ registry }: { registry: string }) {
  return (
    <div className="project-bar registry-bar" data-testid="registry-bar">
      <div className="project-title">
        <RegistryIcon className="registry-bar-icon" />
        <Link href={links.registries()} className="muted">
          Registry
        </Link>
        <span className="sep">/</span>
        <span>{registry}</span>
      </div>
      <nav className="project-nav" aria-label="Registry">
        <Link href={links.registry(registry)} className="project-nav-item active" data-testid="nav-collections">
          <BoxIcon />
          Collections
        </Link>
      </nav>
    </div>
  );
}
