package wire

// GCRequest is the body of POST /api/v1/admin/gc: run a garbage collection
// (service.GCOptions). Grace is a Go duration ("1h", "0s"); "" means the
// server's lease time, "0s" means no grace period.
type GCRequest struct {
	DryRun bool   `json:"dry_run"`
	Grace  string `json:"grace,omitempty"`
}
