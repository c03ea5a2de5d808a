// Sign in with an API key. The server answers with an HttpOnly session
// cookie; the key itself is not kept by the page (not in storage, not in
// the URL).

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, APIError, type User } from "../api";
import { LogoMark } from "../components/Icons";

export function SignIn({ next, onSignedIn }: { next: string; onSignedIn: (user: User) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError("Enter an API key.");
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError("");
    try {
      const s = await api.signIn(k);
      setKey("");
      onSignedIn(s.user);
    } catch (err) {
      const msg = err instanceof APIError ? err.message : "Could not reach the server.";
      setError(msg || "Sign-in failed.");
      setBusy(false);
      input.current?.select();
    }
  };

  return (
    <div className="signin-page">
      <main className="signin-card" id="main">
        <div className="signin-brand">
          <LogoMark width={36} height={36} />
          <h1>Sign in to Trove</h1>
          <p className="muted">Versioned artifacts and their lineage.</p>
        </div>
        <form onSubmit={submit} noValidate>
          <label htmlFor="api-key" className="field-label">
            API key
          </label>
          <input
            id="api-key"
            ref={input}
            className={`input${error ? " invalid" : ""}`}
            type="password"
            name="api_key"
            autoComplete="off"
            spellCheck={false}
            placeholder="trove_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "signin-error" : "signin-hint"}
            data-testid="signin-key"
          />
          {error && (
            <div id="signin-error" className="form-error" role="alert" data-testid="signin-error">
              {error}
            </div>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="signin-submit">
            {busy ? "Signing in…" : "Sign in"}
          </button>
          <p id="signin-hint" className="signin-hint muted">
            The server's first start writes the <code>admin</code> key to <code>DATA/admin-api-key</code>. Create keys with{" "}
            <code>trove key create</code>.
          </p>
          {next !== "/" && (
            <p className="signin-hint muted">
              You will continue to <code>{next}</code>.
            </p>
          )}
        </form>
      </main>
    </div>
  );
}
