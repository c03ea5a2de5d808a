import { links } from "../links";
import { Link } from "../nav";

export function NotFound() {
  return (
    <div className="status status-empty not-found" data-testid="not-found">
      <div className="big-code">404</div>
      <div className="status-title">This page does not exist</div>
      <div className="status-message">
        The address <code>{location.pathname}</code> matches no page of Trove.
      </div>
      <Link href={links.projects()} className="btn btn-secondary">
        Go to your projects
      </Link>
    </div>
  );
}
