package s3

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	gcaws "gocloud.dev/aws"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
)

// S3 buckets.
//
// Writes go through gocloud's writer, which streams to S3's transfer manager:
// a single PutObject below 16 MiB, a multipart upload above, where the object
// appears only when CompleteMultipartUpload succeeds. Every write is hashed
// on the way and abandoned — its context cancelled before Close, so neither
// PutObject nor CompleteMultipartUpload is ever sent — when the content does
// not match; see Put. The transfer manager aborts a failed multipart upload
// with the write's own context, which is cancelled by then, so the abort is
// never sent; AbortUpload sends it again with a live one, and the store's
// CleanTemp aborts any upload left by a process that died.

// Tuning of multipart uploads: parts of 8 MiB, 4 in flight, so that a link
// stays busy while parts are acknowledged, and one upload holds at most
// (4+1)×8 MiB of buffers (on a 2-core machine against a local versitygw, 8
// and 16 MiB parts, 2 to 8 in flight, all gave 250–300 MB/s: the CPU, not
// the protocol, was the limit). S3 allows 10,000 parts: the transfer manager
// grows the part size when it knows the size (Put with a size, Ingest's
// spool file); content of unknown size is limited to 78 GiB.
const (
	s3PartSize    = 8 << 20
	s3Concurrency = 4
)

// s3Store is what a blob.Bucket keeps of an S3 bucket beyond its gocloud
// handle (blob.Remote): the client, for what gocloud does not expose
// (aborting multipart uploads).
type s3Store struct {
	client *s3.Client
	bucket string
	prefix string // key prefix inside the bucket, "" or ending in "/"
}

var _ blob.Remote = (*s3Store)(nil)

// s3Params are the query parameters openStore handles itself; every other one
// goes to gocloud.dev/aws.V2ConfigFromURLParams, which rejects unknown ones.
var s3Params = map[string]bool{
	"prefix": true, "endpoint": true, "use_path_style": true, "s3ForcePathStyle": true,
	"disable_https": true, "accelerate": true, "ssetype": true, "kmskeyid": true,
	"hostname_immutable": true,
}

// storeBucketRE is a loose check of a bucket name: what S3 and S3-compatible
// servers accept, and no port.
var storeBucketRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// prefixRE is what a key prefix may be: relative, slash-separated segments of
// characters S3 and gocloud keep verbatim.
var prefixRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?$`)

// openStore opens s3://[ACCESS_KEY:SECRET@]bucket[?param=value&…].
//
// Parameters: prefix (keys are stored under it inside the bucket), endpoint
// (an S3-compatible server: http(s)://host[:port]), region (default: from
// the AWS configuration, else us-east-1), and those of gocloud's s3blob:
// profile, use_path_style (s3ForcePathStyle), hostname_immutable,
// disable_https, accelerate, dualstack, fips, anonymous, role,
// rate_limiter_capacity, request_checksum_calculation,
// response_checksum_validation, and the server-side encryption pair ssetype
// (AES256, aws:kms, aws:kms:dsse) and kmskeyid.
//
// Credentials come from the standard AWS places — AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared config and credentials
// files, web identity, container and instance roles — unless the URL carries
// them as user and password, which is meant for tests and scripts (every
// message shows the URL redacted). The endpoint likewise comes from
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when the URL names none; with an
// endpoint, addressing is path-style unless use_path_style=false.
func openStore(ctx context.Context, u *url.URL, o blob.Options) (*blob.Bucket, error) {
	bad := func(format string, args ...any) error {
		return core.Errorf(core.ErrInvalid, "blob store URL %q: "+format, append([]any{u.Redacted()}, args...)...)
	}
	switch {
	case o.EncryptionKey != nil:
		return nil, bad("encryption keys are for file:// stores; encrypt an S3 bucket with server-side encryption (a bucket setting, or ?ssetype=AES256 or ?ssetype=aws:kms&kmskeyid=KEY)")
	case u.Opaque != "" || !storeBucketRE.MatchString(u.Host):
		return nil, bad("want s3://bucket[?param=value…]")
	case u.Path != "" && u.Path != "/":
		return nil, bad("a path is not a bucket; put the key prefix in ?prefix=%s", strings.Trim(u.Path, "/"))
	case u.Fragment != "":
		return nil, bad("s3 URLs take no fragment")
	}
	q := u.Query()
	var (
		pathStyle   *bool
		immutable   bool
		endpoint    string
		prefix      string
		bucketOpts  s3blob.Options
		clientOpts  []func(*s3.Options)
		accelerate  bool
		disableHTTP bool
	)
	for key, vals := range q {
		if !s3Params[key] {
			continue
		}
		v := vals[0]
		q.Del(key)
		var err error
		switch key {
		case "prefix":
			if !prefixRE.MatchString(v) || strings.Contains("/"+v+"/", "/../") || strings.Contains("/"+v+"/", "/./") {
				return nil, bad("prefix %q: want segments of [A-Za-z0-9._-] separated by /", v)
			}
			prefix = strings.TrimSuffix(v, "/") + "/"
		case "endpoint":
			e, perr := url.Parse(v)
			if perr != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return nil, bad("endpoint %q: want http(s)://host[:port]", v)
			}
			endpoint = v
		case "use_path_style", "s3ForcePathStyle":
			var b bool
			b, err = strconv.ParseBool(v)
			pathStyle = &b
		case "hostname_immutable":
			immutable, err = strconv.ParseBool(v)
		case "disable_https":
			disableHTTP, err = strconv.ParseBool(v)
		case "accelerate":
			accelerate, err = strconv.ParseBool(v)
		case "ssetype":
			bucketOpts.EncryptionType, err = sseType(v)
		case "kmskeyid":
			bucketOpts.KMSEncryptionID = v
		}
		if err != nil {
			return nil, bad("%s: %v", key, err)
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, bad("%v", err)
	}
	if cfg.Region == "" {
		// S3-compatible servers mostly ignore the region but SigV4 needs
		// one; us-east-1 is also what S3 itself assumes.
		cfg.Region = "us-east-1"
	}
	if u.User != nil {
		secret, ok := u.User.Password()
		if !ok || u.User.Username() == "" {
			return nil, bad("credentials in the URL must be ACCESS_KEY:SECRET")
		}
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(u.User.Username(), secret, ""))
	}
	// We verify SHA-256 on every read, which is stronger than the CRC the
	// SDK would check, and its check fails with an error of no kind (and
	// costs a second pass over the bytes). Uploads keep their CRC: S3
	// checking it is the only guard on bytes corrupted in transit.
	if _, set := q["response_checksum_validation"]; !set {
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	clientOpts = append(clientOpts, quiet, func(so *s3.Options) {
		so.UseAccelerate = accelerate
		so.EndpointOptions.DisableHTTPS = disableHTTP
		if endpoint != "" {
			// The URL's endpoint wins over AWS_ENDPOINT_URL_S3.
			so.BaseEndpoint = aws.String(endpoint)
		}
		switch {
		case pathStyle != nil:
			so.UsePathStyle = *pathStyle
		case so.BaseEndpoint != nil || immutable:
			// S3-compatible servers (MinIO, versitygw, Ceph) rarely have
			// a DNS name per bucket.
			so.UsePathStyle = true
		}
	})
	client := s3.NewFromConfig(cfg, clientOpts...)
	bucketOpts.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	gb, err := s3blob.OpenBucket(ctx, client, u.Host, &bucketOpts)
	if err != nil {
		return nil, bad("%v", err)
	}
	if prefix != "" {
		gb = gcblob.PrefixedBucket(gb, prefix)
	}
	return blob.NewRemoteBucket(gb, &s3Store{client: client, bucket: u.Host, prefix: prefix}), nil
}

// sseType parses the ssetype parameter as gocloud's s3blob does.
func sseType(v string) (types.ServerSideEncryption, error) {
	for _, t := range types.ServerSideEncryptionAes256.Values() {
		if strings.EqualFold(string(t), v) {
			return t, nil
		}
	}
	return "", errors.New("want AES256, aws:kms or aws:kms:dsse")
}

// WriterOptions implements blob.Remote; see s3PartSize.
func (*s3Store) WriterOptions(size int64) *gcblob.WriterOptions { return s3WriterOptions(size) }

// s3WriterOptions returns the options of an upload to S3 of size bytes (-1:
// unknown); see s3PartSize.
func s3WriterOptions(size int64) *gcblob.WriterOptions {
	o := &gcblob.WriterOptions{
		ContentType:    "application/octet-stream",
		BufferSize:     s3PartSize,
		MaxConcurrency: s3Concurrency,
	}
	if size > 0 {
		// The transfer manager sizes parts from it (more than 10,000 parts
		// of 8 MiB would fail) and has S3 check the total of a multipart
		// upload (x-amz-mp-object-size); it is not sent as Content-Length.
		o.BeforeWrite = func(as func(any) bool) error {
			var in *transfermanager.UploadObjectInput
			if as(&in) {
				in.ContentLength = aws.Int64(size)
			}
			return nil
		}
	}
	return o
}

// abortPatience bounds how long AbortUpload keeps aborting an upload that
// late parts bring back.
const abortPatience = 10 * time.Second

// AbortUpload implements blob.Remote.
func (s *s3Store) AbortUpload(ctx context.Context, key string, err error) {
	var mpu interface{ UploadID() string }
	if !errors.As(err, &mpu) || mpu.UploadID() == "" {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	bucket, k, id := aws.String(s.bucket), aws.String(s.prefix+key), mpu.UploadID()
	// A part whose request was cancelled may still be arriving at the
	// server, and some servers (versitygw) let it bring the aborted upload
	// back; so look again, and abort again, until it is gone. On a busy
	// machine such a part can take seconds to land: keep at it for up to
	// abortPatience.
	deadline := time.Now().Add(abortPatience)
	for attempt := 1; ; attempt++ {
		_, _ = s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: k, UploadId: aws.String(id)})
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(min(time.Duration(attempt)*50*time.Millisecond, 500*time.Millisecond))
		out, err := s.client.ListMultipartUploads(actx, &s3.ListMultipartUploadsInput{Bucket: bucket, Prefix: k})
		if err != nil {
			return
		}
		if !slices.ContainsFunc(out.Uploads, func(u types.MultipartUpload) bool { return aws.ToString(u.UploadId) == id }) {
			return
		}
	}
}

// CleanUploads implements blob.Remote.
func (s *s3Store) CleanUploads(ctx context.Context, prefixes []string, cutoff time.Time) (int, error) {
	n := 0
	for _, p := range prefixes {
		in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + p)}
		for {
			out, err := s.client.ListMultipartUploads(ctx, in)
			if err != nil {
				return n, err
			}
			for _, up := range out.Uploads {
				if up.Initiated != nil && up.Initiated.After(cutoff) {
					continue
				}
				_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
					Bucket: in.Bucket, Key: up.Key, UploadId: up.UploadId,
				})
				var nsu *types.NoSuchUpload
				switch {
				case err == nil:
					n++
				case !errors.As(err, &nsu): // NoSuchUpload: it finished meanwhile
					return n, err
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
	}
	return n, nil
}

// BeforeSignPut implements blob.Remote.
func (*s3Store) BeforeSignPut(sum string, size int64, proof string) func(as func(any) bool) error {
	return func(as func(any) bool) error {
		var in *s3.PutObjectInput
		if !as(&in) {
			return errors.New("not an S3 PutObject request")
		}
		in.ChecksumSHA256 = aws.String(sum)
		in.ContentLength = aws.Int64(size)
		if proof != "" {
			in.Metadata = map[string]string{blob.ProofKey: proof}
		}
		return nil
	}
}
