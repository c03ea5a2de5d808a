package core

// Limits on what a user may set. Every path that sets one of these values
// (logging, upserting and finishing, updating, linking, aliasing, creating a
// run) refuses more with ErrTooLarge, naming the limit, and changes nothing.
// They bound what one version or run costs every later reader — a lineage
// query, a listing, the web UI — not what the database could hold. Names
// and labels are bounded by MaxNameLen, entry paths by MaxPathLen and
// MaxSegmentLen.
const (
	// MaxDescription bounds a version's description, in bytes.
	MaxDescription = 64 << 10
	// MaxMetadata bounds a version's metadata, a JSON object, in bytes.
	MaxMetadata = 1 << 20
	// MaxRunConfig bounds a run's config, a JSON object, in bytes.
	MaxRunConfig = 1 << 20
	// MaxAliases bounds the aliases of one version (latest not counted),
	// those it has and those a request adds, in a collection or a registry.
	MaxAliases = 100
	// MaxTags bounds the tags of one run; each is a label of at most
	// MaxNameLen characters.
	MaxTags = 100
)
