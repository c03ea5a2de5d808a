// Package s3 adds Amazon S3 and S3-compatible object stores (MinIO,
// versitygw, Ceph…) to Trove. Import it for its side effects:
//
//	import _ "github.com/troveml/trove/scheme/s3"
//
// It registers s3://bucket/key references (trove's Artifact.AddReference):
// an object, or every object under a prefix, pinned by its ETag and, in a
// versioned bucket, its version id. Credentials, region and endpoint come
// from the standard AWS places: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
// AWS_PROFILE and the shared config and credentials files, web identity,
// container and instance roles; AWS_REGION (default us-east-1); and
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible store, which
// is then addressed path-style.
//
// It also registers s3:// blob stores, where a Trove server keeps its blobs:
// trove server --blobs s3://[ACCESS_KEY:SECRET@]bucket[?param=value&…].
// Parameters: prefix (keys are stored under it inside the bucket), endpoint
// (an S3-compatible server: http(s)://host[:port], which implies path-style
// addressing unless use_path_style=false), region (default: from the AWS
// configuration, else us-east-1), and those of gocloud's s3blob: profile,
// use_path_style, hostname_immutable, disable_https, accelerate, dualstack,
// fips, anonymous, role, rate_limiter_capacity,
// request_checksum_calculation, response_checksum_validation, and the
// server-side encryption pair ssetype (AES256, aws:kms, aws:kms:dsse) and
// kmskeyid. Credentials in the URL are meant for tests and scripts; every
// message shows the URL redacted.
//
// The trove command imports this package; a Go program that uses the SDK
// imports it only if it logs or downloads s3:// references. Without it, such
// a reference fails with an error that names this import.
//
// Failures of S3 are one-line errors that say why, without the SDK's
// request ids and dumps; its own log lines are silenced. For references,
// whose credentials are the user's, the error's kind says what to fix: no
// such bucket or object (not found), unknown access key, wrong secret key
// or expired token (unauthenticated), access denied (permission denied),
// wrong region (invalid), endpoint unreachable (unavailable). For a
// server's blob store, whose bucket and credentials are the server's, every
// such failure is unavailable (503 to its callers, and /readyz says why).
package s3

import (
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/refs"
)

func init() {
	refs.Register("s3", refsFromEnv)
	blob.Register("s3", blob.Driver{Open: openStore, Describe: describeStore})
}

// quiet silences the SDK's logger: it writes warnings such as "Response has
// no supported checksum" straight to stderr, beside our own one-line errors.
func quiet(o *s3.Options) {
	o.Logger = logging.Nop{}
	o.ClientLogMode = 0
}
