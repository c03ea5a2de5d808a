package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// s3Scheme resolves s3:// references: an object, or every object under a
// prefix, identified by bucket, key, ETag, size and — in a versioned bucket —
// version id, by which it is fetched back as it was.
type s3Scheme struct {
	c *s3.Client
}

// refsFromEnv returns the s3:// scheme with a client configured from the
// standard AWS places: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
// AWS_PROFILE and the shared config and credentials files, web identity,
// container and instance roles; the region from AWS_REGION or the profile,
// else us-east-1. An endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL
// (an S3-compatible store) implies path-style addressing.
func refsFromEnv(ctx context.Context) (refs.Scheme, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "s3 references: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// SigV4 needs a region; S3-compatible stores mostly ignore it.
		cfg.Region = "us-east-1"
	}
	return newRefs(s3.NewFromConfig(cfg, quiet, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			// S3-compatible stores rarely have a DNS name per bucket.
			o.UsePathStyle = true
		}
	})), nil
}

// newRefs returns the s3:// scheme using client. It is safe for concurrent use.
func newRefs(client *s3.Client) refs.Scheme { return &s3Scheme{c: client} }

// bucketRE matches bucket names, old (upper case, '_') and new.
var bucketRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)

// s3Location returns the bucket and key of an s3:// URI; key "" is the
// whole bucket.
func s3Location(u *url.URL) (bucket, key string, err error) {
	bad := func(why string) error {
		return core.Errorf(core.ErrInvalid, "reference %.200q: %s; want s3://bucket/key", u.Redacted(), why)
	}
	switch {
	case !strings.EqualFold(u.Scheme, "s3"):
		return "", "", bad("not an s3:// URI")
	case u.Opaque != "" || u.Host == "":
		return "", "", bad("no bucket")
	case !bucketRE.MatchString(u.Host):
		return "", "", bad("bucket " + u.Host + " is no bucket name")
	case u.User != nil:
		return "", "", bad("credentials belong in the AWS environment, not in a URI stored with the artifact")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "", bad("a query or fragment (escape '?' and '#' in keys as %3F and %23)")
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// s3URI returns the s3:// URI of one object.
func s3URI(bucket, key string) string {
	return (&url.URL{Scheme: "s3", Host: bucket, Path: "/" + key}).String()
}

func (s *s3Scheme) List(ctx context.Context, u *url.URL, opts refs.Options) ([]refs.Object, error) {
	bucket, key, err := s3Location(u)
	if err != nil {
		return nil, err
	}
	if key != "" && !strings.HasSuffix(key, "/") {
		head, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err == nil {
			return []refs.Object{s3Object(bucket, key, "", head.ETag, head.ContentLength, head.VersionId)}, nil
		}
		if !isNotFound(err) {
			return nil, s3Err(s.why(ctx, bucket, key, err), "reference "+s3URI(bucket, key))
		}
	}
	prefix := key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	what := "reference " + s3URI(bucket, prefix)
	versioned, err := s.versioned(ctx, bucket)
	if err != nil {
		return nil, s3Err(err, what)
	}
	var objs []refs.Object
	add := func(k string, etag *string, size *int64, version *string) error {
		if strings.HasSuffix(k, "/") {
			return nil // a folder marker, no data
		}
		if len(objs) == opts.Limit() {
			return core.Errorf(core.ErrTooLarge, "%s holds more than the limit of %d objects", what, opts.Limit())
		}
		objs = append(objs, s3Object(bucket, k, strings.TrimPrefix(k, prefix), etag, size, version))
		return nil
	}
	if versioned {
		// The version ids come with the listing: no HEAD per object.
		p := s3.NewListObjectVersionsPaginator(s.c, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &prefix})
		var lastKey, lastVersion string
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, s3Err(err, what)
			}
			for _, v := range page.Versions {
				k, id := aws.ToString(v.Key), aws.ToString(v.VersionId)
				if k == lastKey && id == lastVersion {
					// Some stores (versitygw) start a page with the
					// version its marker named, the last of the page before.
					continue
				}
				lastKey, lastVersion = k, id
				if !aws.ToBool(v.IsLatest) {
					continue // older versions, and objects deleted since
				}
				if err := add(k, v.ETag, v.Size, v.VersionId); err != nil {
					return nil, err
				}
			}
		}
	} else {
		p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, s3Err(err, what)
			}
			for _, o := range page.Contents {
				if err := add(aws.ToString(o.Key), o.ETag, o.Size, nil); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(objs) == 0 {
		return nil, core.Errorf(core.ErrNotFound, "%s: no such object, and no objects under it", what)
	}
	// Keys come sorted by their UTF-8 bytes, as Rel must be; sorting again
	// costs little and does not rely on every store doing so.
	refs.SortObjects(objs)
	return objs, nil
}

// why returns the error that says why a HEAD request on key failed with
// err. A HEAD response has no body, so a refusal comes without its reason
// (a wrong secret key, an unknown access key, a denied permission): a
// listing of the key, which S3 answers with a code, tells which. When the
// listing goes through, err stays the answer.
func (s *s3Scheme) why(ctx context.Context, bucket, key string, err error) error {
	if httpStatus(err) != http.StatusForbidden {
		return err
	}
	if _, lerr := s.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &key, MaxKeys: aws.Int32(1)}); lerr != nil {
		return lerr
	}
	return err
}

// versioned reports whether versioning is on (or suspended: older objects
// keep their version ids) for bucket. Without the permission to ask, the
// bucket is taken as unversioned: objects are then pinned by ETag only.
func (s *s3Scheme) versioned(ctx context.Context, bucket string) (bool, error) {
	out, err := s.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil {
		if httpStatus(err) == http.StatusForbidden {
			return false, nil
		}
		return false, err
	}
	return out.Status != "", nil
}

// s3Object builds the refs.Object of one version of key.
func s3Object(bucket, key, rel string, etag *string, size *int64, version *string) refs.Object {
	e := strings.Trim(aws.ToString(etag), `"`)
	v := aws.ToString(version)
	if v == "null" {
		v = "" // written before versioning was on: not a version to ask for
	}
	n := aws.ToInt64(size)
	o := refs.Object{
		Rel:    rel,
		URI:    s3URI(bucket, key),
		Size:   n,
		Digest: refs.IdentityDigest("s3", bucket, key, e, strconv.FormatInt(n, 10), v),
		Extra:  map[string]string{},
	}
	if e != "" {
		o.Extra["etag"] = e
	}
	if v != "" {
		o.Extra["version_id"] = v
	}
	return o
}

func (s *s3Scheme) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	u, err := url.Parse(e.Ref)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: reference %.200q: %v", e.Path, e.Ref, err)
	}
	bucket, key, err := s3Location(u)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: %w", e.Path, err)
	}
	what := fmt.Sprintf("entry %q: reference %s", e.Path, e.Ref)
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if e.Digest == refs.URIDigest(e.Ref) {
		// Logged without checksums: nothing to pin or verify but the
		// recorded size, which bounds what is read.
		out, err := s.c.GetObject(ctx, in, noSDKChecksum)
		if err != nil {
			return nil, s3Err(err, what)
		}
		if out.ContentLength != nil && *out.ContentLength != e.Size {
			out.Body.Close()
			return nil, refs.Changed(e, "its size is %d bytes, %d when it was logged", *out.ContentLength, e.Size)
		}
		return refs.NewVerifier(out.Body, e, nil, nil), nil
	}
	etag, version := e.Extra["etag"], e.Extra["version_id"]
	switch {
	case version != "":
		in.VersionId = &version
	case etag != "":
		in.IfMatch = aws.String(`"` + etag + `"`)
	}
	out, err := s.c.GetObject(ctx, in, noSDKChecksum)
	switch {
	case err != nil && httpStatus(err) == http.StatusPreconditionFailed:
		return nil, refs.Changed(e, "its ETag is no longer %s, and the bucket keeps no versions", etag)
	case err != nil && version != "" && isNotFound(err):
		return nil, core.Errorf(core.ErrNotFound, "%s: version %s no longer exists", what, version)
	case err != nil:
		return nil, s3Err(err, what)
	}
	fail := func(err error) (io.ReadCloser, error) {
		out.Body.Close()
		return nil, err
	}
	got := strings.Trim(aws.ToString(out.ETag), `"`)
	if etag != "" && got != "" && got != etag {
		return fail(refs.Changed(e, "ETag %s, %s when it was logged", got, etag))
	}
	if out.ContentLength != nil && *out.ContentLength != e.Size {
		return fail(refs.Changed(e, "its size is %d bytes, %d when it was logged", *out.ContentLength, e.Size))
	}
	if sum, ok := md5ETag(etag, out); ok {
		return refs.NewVerifier(out.Body, e, md5.New(), sum), nil
	}
	return refs.NewVerifier(out.Body, e, nil, nil), nil
}

// noSDKChecksum leaves checking the bytes to Open's reader, against the
// recorded size and MD5 ETag: the SDK's own check of a stored CRC would fail
// with an error of no kind, whatever client newRefs was given.
func noSDKChecksum(o *s3.Options) {
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// md5ETag returns the MD5 of the contents when the ETag is one: a plain
// upload without KMS or customer-key encryption (multipart ETags have a
// '-').
func md5ETag(etag string, out *s3.GetObjectOutput) ([]byte, bool) {
	if len(etag) != 2*md5.Size || out.SSECustomerAlgorithm != nil ||
		out.ServerSideEncryption == types.ServerSideEncryptionAwsKms || out.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse {
		return nil, false
	}
	sum, err := hex.DecodeString(etag)
	return sum, err == nil
}

// isNotFound reports whether err says the key (or version) does not exist.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf) || httpStatus(err) == http.StatusNotFound
}
