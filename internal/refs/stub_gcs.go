package refs

// Placeholder, replaced by the gs:// implementation (R2).

import "context"

// GCSFromEnv returns the gs:// scheme configured from the Google environment.
func GCSFromEnv(ctx context.Context) (Scheme, error) { return stub{"gs"}, nil }
