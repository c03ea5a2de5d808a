// The header's search box: finds projects, artifacts, versions (by alias,
// name:vN or digest prefix) and runs (by name or id) among what the user may
// read, through GET /api/v1/search. Debounced; the results drop down grouped
// by kind; arrows move, Enter opens, Esc closes; "/" focuses the box.

import { useEffect, useId, useRef, useState } from "react";
import type { SearchHit } from "../api";
import { searchAPI } from "../api";
import { links } from "../links";
import { navigate } from "../nav";
import "./search.css";

const DEBOUNCE_MS = 200;

const groups: { kind: SearchHit["kind"]; label: string }[] = [
  { kind: "project", label: "Projects" },
  { kind: "artifact", label: "Artifacts" },
  { kind: "version", label: "Versions" },
  { kind: "run", label: "Runs" },
];

/** The page a hit opens. */
export function hitHref(h: SearchHit): string {
  switch (h.kind) {
    case "project":
      return h.entity === "registry" ? links.registry(h.project) : links.artifacts(h.entity, h.project);
    case "artifact":
      return links.collection(h.entity, h.project, h.type ?? "", h.name);
    case "version":
      return links.version(h.entity, h.project, h.type ?? "", h.name, `v${h.version ?? 0}`);
    case "run":
      return links.run(h.entity, h.project, h.run_id ?? "");
  }
}

function hitTitle(h: SearchHit): string {
  switch (h.kind) {
    case "project":
      return `${h.entity} / ${h.project}`;
    case "version":
      return `${h.name}:v${h.version ?? 0}`;
    default:
      return h.name;
  }
}

function hitDetail(h: SearchHit): string {
  const where = `${h.entity}/${h.project}`;
  switch (h.kind) {
    case "project":
      return "project";
    case "artifact":
      return `${where} · ${h.type}`;
    case "version":
      return `${where} · ${(h.digest ?? "").replace(/^sha256:/, "").slice(0, 12)}`;
    case "run":
      return `${where} · ${h.run_id} · ${h.state}`;
  }
}

export function SearchBox() {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [status, setStatus] = useState<"idle" | "loading" | "ready" | "error">("idle");
  const [error, setError] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);
  const listId = useId();

  // Debounced search; an answer to an older text is dropped.
  useEffect(() => {
    const q = text.trim();
    const n = ++seq.current;
    if (!q) {
      setHits([]);
      setStatus("idle");
      return;
    }
    setStatus("loading");
    const timer = window.setTimeout(() => {
      searchAPI(q)
        .then((list) => {
          if (n !== seq.current) return;
          setHits(list);
          setActive(0);
          setStatus("ready");
        })
        .catch((err: Error) => {
          if (n !== seq.current) return;
          setError(err.message);
          setStatus("error");
        });
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);

  // "/" anywhere outside a field focuses the box.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
      e.preventDefault();
      input.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Hits in the order shown: grouped by kind.
  const ordered = groups.flatMap((g) => hits.filter((h) => h.kind === g.kind));
  const go = (h: SearchHit) => {
    setOpen(false);
    setText("");
    input.current?.blur();
    navigate(hitHref(h));
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        setOpen(true);
        if (ordered.length) setActive((a) => (a + 1) % ordered.length);
        break;
      case "ArrowUp":
        e.preventDefault();
        if (ordered.length) setActive((a) => (a - 1 + ordered.length) % ordered.length);
        break;
      case "Enter":
        if (status === "ready" && ordered[active]) {
          e.preventDefault();
          go(ordered[active]);
        }
        break;
      case "Escape":
        e.preventDefault();
        if (open && text) setOpen(false);
        else {
          setText("");
          input.current?.blur();
        }
        break;
    }
  };

  const show = open && text.trim() !== "";
  let i = -1;
  return (
    <div className="search" data-testid="search">
      <input
        ref={input}
        className="search-input"
        data-testid="search-input"
        type="search"
        role="combobox"
        aria-expanded={show}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={show && ordered[active] ? `${listId}-${active}` : undefined}
        aria-label="Search projects, artifacts, versions and runs"
        placeholder="Search  /"
        autoComplete="off"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      {show && (
        <div className="search-drop" id={listId} role="listbox" data-testid="search-results" data-status={status}>
          {status === "loading" && hits.length === 0 && <div className="search-note">Searching…</div>}
          {status === "error" && (
            <div className="search-note search-error" role="alert">
              {error}
            </div>
          )}
          {status === "ready" && hits.length === 0 && <div className="search-note">Nothing found for “{text.trim()}”</div>}
          {status !== "error" &&
            groups.map((g) => {
              const list = ordered.filter((h) => h.kind === g.kind);
              if (list.length === 0) return null;
              return (
                <div key={g.kind} className="search-group" data-kind={g.kind} data-testid={`search-group-${g.kind}`}>
                  <div className="search-group-label">{g.label}</div>
                  {list.map((h) => {
                    i++;
                    const idx = i;
                    return (
                      <a
                        key={`${h.kind}:${hitHref(h)}`}
                        id={`${listId}-${idx}`}
                        role="option"
                        aria-selected={idx === active}
                        className={`search-hit${idx === active ? " active" : ""}`}
                        data-testid="search-hit"
                        data-kind={h.kind}
                        data-href={hitHref(h)}
                        href={hitHref(h)}
                        onMouseDown={(e) => e.preventDefault()}
                        onMouseEnter={() => setActive(idx)}
                        onClick={(e) => {
                          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                          e.preventDefault();
                          go(h);
                        }}
                      >
                        <span className={`search-kind search-kind-${h.kind}`} aria-hidden="true" />
                        <span className="search-hit-main">
                          <span className="search-hit-title">{hitTitle(h)}</span>
                          {h.aliases?.map((a) => (
                            <span key={a} className="badge subtle search-alias">
                              {a}
                            </span>
                          ))}
                        </span>
                        <span className="search-hit-detail mono">{hitDetail(h)}</span>
                      </a>
                    );
                  })}
                </div>
              );
            })}
        </div>
      )}
    </div>
  );
}
