// The lineage graph of a version or a run: W1's LineageView
// (web/src/lineage/), re-exported here so that the pages import it from one
// place.

export { LineageView as Lineage, type LineageStart } from "../lineage/LineageView";
