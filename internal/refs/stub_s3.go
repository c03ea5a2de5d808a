package refs

// Placeholder, replaced by the s3:// implementation (R1).

import "context"

// S3FromEnv returns the s3:// scheme configured from the AWS environment.
func S3FromEnv(ctx context.Context) (Scheme, error) { return stub{"s3"}, nil }
