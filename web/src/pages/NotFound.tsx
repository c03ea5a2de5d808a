import { links } from "../links";
import { Link } from "../nav";

/** A 404: by default for an address no route matches; what, when given, names the missing thing. */
export function NotFound({ title = "This page does not exist", what }: { title?: string; what?: string } = {}) {
  return (
    <div className="status status-empty not-found" data-testid="not-found">
      <div className="big-code">404</div>
      <div className="status-title">{title}</div>
      <div className="status-message">
        {what ? (
          <>
            There is no <code>{what}</code>, or you may not see it.
          </>
        ) : (
          <>
            The address <code>{location.pathname}</code> matches no page of Trove.
          </>
        )}
      </div>
      <Link href={links.projects()} className="btn btn-secondary">
        Go to your projects
      </Link>
    </div>
  );
}
