// A name that may wrap only after its separators ("alice/proj/bike-dataset:v3"
// wraps after "/", ":" or "-"), never inside a word: a <wbr> after each
// separator, with CSS that breaks a word only when nothing else fits.

import { Fragment } from "react";
import { breakPoints } from "../display";

export function Breakable({ text }: { text: string }) {
  return (
    <>
      {breakPoints(text).map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}
