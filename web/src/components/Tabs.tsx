// Tabs that are links: each tab has its own URL (links.ts), so a tab can be
// bookmarked and the browser's back button moves between tabs.

import { Link } from "../nav";

export interface Tab {
  id: string;
  label: string;
  href: string;
  count?: number;
}

export function TabLinks({ tabs, active, label }: { tabs: Tab[]; active: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <Link
          key={t.id}
          href={t.href}
          className={`tab${t.id === active ? " active" : ""}`}
          aria-current={t.id === active ? "page" : undefined}
          data-testid={`tab-${t.id}`}
        >
          {t.label}
          {t.count !== undefined && <span className="tab-count">{t.count.toLocaleString("en-US")}</span>}
        </Link>
      ))}
    </nav>
  );
}
