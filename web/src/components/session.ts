// The signed-in user, for the pages inside the signed-in part of the app.

import { createContext, useContext } from "react";
import type { User } from "../api";

export interface SessionAPI {
  user: User;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionAPI | null>(null);

/** The signed-in user and how to sign out; only below App's provider. */
export function useSession(): SessionAPI {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a session");
  return s;
}
