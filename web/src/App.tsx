// The application: who is signed in, the frame (header, breadcrumbs, project
// navigation) and the page of the current URL.
//
// At start the app asks the server who is signed in (GET /api/v1/session).
// Not signed in → /signin?next=<this page>. Any later 401 (the session
// ended: signed out in another tab, expired, key revoked) does the same,
// through api.onUnauthorized.

import { useCallback, useEffect, useState } from "react";
import { api, APIError, onUnauthorized, type User } from "./api";
import { Shell } from "./components/Layout";
import { SessionContext } from "./components/session";
import { ErrorBox, Loading } from "./components/Status";
import { links } from "./links";
import { navigate, useLocation } from "./nav";
import { SignIn } from "./pages/SignIn";
import { match, nextPath, routeView } from "./router";

type SessionState =
  | { status: "loading" }
  | { status: "in"; user: User }
  | { status: "out" }
  | { status: "error"; error: Error };

export function App() {
  const location = useLocation();
  const q = location.indexOf("?");
  const pathname = q >= 0 ? location.slice(0, q) : location;
  const search = q >= 0 ? location.slice(q) : "";
  const [session, setSession] = useState<SessionState>({ status: "loading" });

  const check = useCallback(() => {
    setSession({ status: "loading" });
    api.session().then(
      (s) => setSession({ status: "in", user: s.user }),
      (err: unknown) => {
        if (err instanceof APIError && err.status === 401) setSession({ status: "out" });
        else setSession({ status: "error", error: err instanceof Error ? err : new Error(String(err)) });
      },
    );
  }, []);

  useEffect(check, [check]);

  useEffect(() => {
    onUnauthorized(() => setSession({ status: "out" }));
    return () => onUnauthorized(null);
  }, []);

  const signedOutElsewhere = session.status === "out" && pathname !== "/signin";
  const signedInOnSignIn = session.status === "in" && pathname === "/signin";
  useEffect(() => {
    if (signedOutElsewhere) navigate(links.signIn(location), { replace: true });
    else if (signedInOnSignIn) navigate(nextPath(search), { replace: true });
  }, [signedOutElsewhere, signedInOnSignIn, location, search]);

  const m = match(pathname);
  const view = session.status === "in" && m.name !== "signin" ? routeView(m, search) : null;
  const title = m.name === "signin" ? "Sign in" : (view?.title ?? "Trove");
  useEffect(() => {
    document.title = title === "Trove" ? "Trove" : `${title} · Trove`;
  }, [title]);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } catch (err) {
      // Already signed out (401) is what was asked for; anything else is shown.
      if (!(err instanceof APIError && err.status === 401)) throw err;
    }
    setSession({ status: "out" });
    navigate(links.signIn(), { replace: true });
  }, []);

  if (session.status === "loading") {
    return (
      <div className="center-page">
        <Loading label="Connecting…" />
      </div>
    );
  }
  if (session.status === "error") {
    return (
      <div className="center-page">
        <ErrorBox error={session.error} onRetry={check} />
      </div>
    );
  }
  if (session.status === "out") {
    if (pathname !== "/signin") return null; // redirecting
    return <SignIn next={nextPath(search)} onSignedIn={(user) => setSession({ status: "in", user })} />;
  }
  if (!view) return null; // redirecting away from /signin
  return (
    <SessionContext.Provider value={{ user: session.user, signOut }}>
      <Shell view={view} />
    </SessionContext.Provider>
  );
}
