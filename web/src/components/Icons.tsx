// Small inline icons (no icon font, no external requests: the CSP allows
// only 'self'). Each is decorative: aria-hidden, labelled by its context.

import type { SVGProps } from "react";

type P = SVGProps<SVGSVGElement>;

const base = (p: P): P => ({
  width: 16,
  height: 16,
  viewBox: "0 0 16 16",
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 1.5,
  strokeLinecap: "round",
  strokeLinejoin: "round",
  "aria-hidden": true,
  focusable: false,
  ...p,
});

export const LogoMark = (p: P) => (
  <svg {...base({ width: 22, height: 22, viewBox: "0 0 24 24", ...p })} stroke="none">
    <rect x="1" y="1" width="22" height="22" rx="6" fill="var(--brand)" />
    <path d="M6 9.5 12 6l6 3.5v5L12 18l-6-3.5z" fill="none" stroke="#fff" strokeWidth="1.6" strokeLinejoin="round" />
    <path d="M6 9.5 12 13l6-3.5M12 13v5" fill="none" stroke="#fff" strokeWidth="1.6" strokeLinejoin="round" />
  </svg>
);

export const Chevron = (p: P) => (
  <svg {...base(p)}>
    <path d="M6 4l4 4-4 4" />
  </svg>
);

export const FolderIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M1.75 4.25c0-.55.45-1 1-1h3.1l1.4 1.5h6c.55 0 1 .45 1 1v6.5c0 .55-.45 1-1 1H2.75c-.55 0-1-.45-1-1z" />
  </svg>
);

export const FileIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M4 1.75h5.25L12.5 5v9.25H4z" />
    <path d="M9 1.75V5.25h3.5" />
  </svg>
);

export const LinkIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M6.5 9.5l3-3M7 4.5l1.2-1.2a2.5 2.5 0 013.5 3.5L10.5 8M9 11.5l-1.2 1.2a2.5 2.5 0 01-3.5-3.5L5.5 8" />
  </svg>
);

export const CopyIcon = (p: P) => (
  <svg {...base(p)}>
    <rect x="5.25" y="5.25" width="8" height="8" rx="1.5" />
    <path d="M10.75 5.25v-1.5a1 1 0 00-1-1h-6a1 1 0 00-1 1v6a1 1 0 001 1h1.5" />
  </svg>
);

export const CheckIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M3.5 8.5l3 3 6-7" />
  </svg>
);

export const BoxIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M2.5 5 8 2l5.5 3v6L8 14l-5.5-3z" />
    <path d="M2.5 5 8 8l5.5-3M8 8v6" />
  </svg>
);

export const PlayIcon = (p: P) => (
  <svg {...base(p)}>
    <circle cx="8" cy="8" r="6.25" />
    <path d="M6.75 5.5v5l4-2.5z" fill="currentColor" stroke="none" />
  </svg>
);

export const GraphIcon = (p: P) => (
  <svg {...base(p)}>
    <rect x="1.5" y="2" width="4" height="3.5" rx="1" />
    <rect x="10.5" y="2" width="4" height="3.5" rx="1" />
    <rect x="6" y="10.5" width="4" height="3.5" rx="1" />
    <path d="M5.5 3.75h5M3.5 5.5v2.5a1.5 1.5 0 001.5 1.5h1.5M12.5 5.5v2.5a1.5 1.5 0 01-1.5 1.5H9.5" />
  </svg>
);

export const SearchIcon = (p: P) => (
  <svg {...base(p)}>
    <circle cx="7" cy="7" r="4.25" />
    <path d="M10.25 10.25 13.5 13.5" />
  </svg>
);

export const LockIcon = (p: P) => (
  <svg {...base(p)}>
    <rect x="3.25" y="7" width="9.5" height="7" rx="1.5" />
    <path d="M5.25 7V5a2.75 2.75 0 015.5 0v2" />
  </svg>
);

/** A registry: a shelf of collections. */
export const RegistryIcon = (p: P) => (
  <svg {...base(p)}>
    <rect x="2" y="2.25" width="12" height="3.5" rx="1" />
    <path d="M3 5.75v7a1 1 0 001 1h8a1 1 0 001-1v-7" />
    <path d="M6.5 8.75h3" />
  </svg>
);

export const FolderStackIcon = (p: P) => (
  <svg {...base(p)}>
    <path d="M2 4.5c0-.55.45-1 1-1h2.9l1.3 1.4H13c.55 0 1 .45 1 1v6.1c0 .55-.45 1-1 1H3c-.55 0-1-.45-1-1z" />
  </svg>
);
