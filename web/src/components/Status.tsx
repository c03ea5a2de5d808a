// Loading, error and empty states: every fetch shows one of them, never a
// blank page.

import type { ReactNode } from "react";
import { APIError } from "../api";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="status status-loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** A failed request: the server's message, the HTTP status, and a retry button. */
export function ErrorBox({ error, onRetry, title }: { error: Error; onRetry?: () => void; title?: string }) {
  const status = error instanceof APIError ? error.status : 0;
  const heading =
    title ??
    (status === 404 ? "Not found" : status === 403 ? "Not allowed" : status === 0 ? "Could not reach the server" : "Something went wrong");
  return (
    <div className="status status-error" role="alert" data-testid="error">
      <div className="status-title">{heading}</div>
      <div className="status-message">{error.message || "The request failed."}</div>
      {status > 0 && (
        <div className="status-meta">
          HTTP {status}
          {error instanceof APIError && error.code !== "unknown" ? ` · ${error.code}` : ""}
        </div>
      )}
      {onRetry && status !== 404 && status !== 403 && (
        <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="status status-empty">
      <div className="status-title">{title}</div>
      {children && <div className="status-message">{children}</div>}
    </div>
  );
}
