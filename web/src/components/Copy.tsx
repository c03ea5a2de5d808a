// Copying a value (a digest, a full name) to the clipboard.

import { useEffect, useState } from "react";
import { shortDigest } from "../format";
import { CheckIcon, CopyIcon } from "./Icons";

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API unavailable (insecure origin): fall back to a selection.
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button
      type="button"
      className="icon-btn"
      aria-label={done ? "Copied" : label}
      title={done ? "Copied" : label}
      onClick={(e) => {
        e.stopPropagation();
        void copyText(text).then(setDone);
      }}
    >
      {done ? <CheckIcon /> : <CopyIcon />}
    </button>
  );
}

/** A digest shown short, in full on hover, with a copy button. */
export function Digest({ digest, n = 12, copy = true }: { digest: string; n?: number; copy?: boolean }) {
  if (!digest) return <span className="muted">—</span>;
  return (
    <span className="digest">
      <code title={digest}>{shortDigest(digest, n)}</code>
      {copy && <CopyButton text={digest} label="Copy digest" />}
    </span>
  );
}
