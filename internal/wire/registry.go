package wire

// Registries.

// LinkRequest is the body of POST
// /projects/registry/{registry}/artifacts/{collection}/links.
type LinkRequest struct {
	Source  string   `json:"source"` // fully qualified: entity/project/name[:vN|:alias]
	Aliases []string `json:"aliases"`
	RunID   string   `json:"run_id"`
}
