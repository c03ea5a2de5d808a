// JSON objects (config, metadata) as a key/value table, with the raw JSON a
// click away.

import { useState } from "react";
import { flattenObject, formatValue } from "../format";

export function ObjectTable({ value, empty, testid }: { value: Record<string, unknown> | null | undefined; empty: string; testid?: string }) {
  const [raw, setRaw] = useState(false);
  const rows = flattenObject(value);
  if (rows.length === 0) return <p className="muted" data-testid={testid}>{empty}</p>;
  return (
    <div className="object-table" data-testid={testid}>
      <div className="segmented" role="group" aria-label="View">
        <button type="button" className={raw ? "" : "on"} aria-pressed={!raw} onClick={() => setRaw(false)}>
          Table
        </button>
        <button type="button" className={raw ? "on" : ""} aria-pressed={raw} onClick={() => setRaw(true)}>
          JSON
        </button>
      </div>
      {raw ? (
        <pre className="json">{JSON.stringify(value, null, 2)}</pre>
      ) : (
        <table className="kv">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k} data-key={k}>
                <th scope="row">{k}</th>
                <td>
                  <span className={`json-${v === null ? "null" : Array.isArray(v) ? "array" : typeof v}`}>{formatValue(v)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
