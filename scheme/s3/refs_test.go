package s3_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// s3Env points the AWS environment at gw, as a user would, and returns a
// resolver whose s3 scheme is the one this package registers, configured
// from that environment.
func s3Env(t testing.TB, gw *s3test.Gateway) *refs.Resolver {
	t.Helper()
	for _, kv := range gw.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// Nothing of the machine's own AWS set-up may leak in.
	none := filepath.Join(t.TempDir(), "none")
	for _, k := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, none)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	// The scheme registered by this package's import, as a program gets it.
	return refs.Default()
}

func put(t testing.TB, gw *s3test.Gateway, bucket, key, body string) {
	t.Helper()
	if _, err := gw.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
	}); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// walkthroughBucket fills bucket as in the walkthrough's example.
func walkthroughBucket(t *testing.T, gw *s3test.Gateway, bucket string) {
	for k, v := range map[string]string{
		"images/cat.png":         "meow",
		"images/dog.png":         "woof",
		"checkpoints/model.h5":   "checkpoint",
		"model.h5":               "final weights",
		"images/":                "", // a folder marker, as consoles create
		"other/unrelated.txt":    "x",
		"images-not-inside.json": "{}",
	} {
		put(t, gw, bucket, k, v)
	}
}

func TestS3(t *testing.T) {
	gw := s3test.VersionedServer(t)
	r := s3Env(t, gw)
	ctx := t.Context()
	plain, versioned := gw.NewBucket(t), gw.NewVersionedBucket(t)
	walkthroughBucket(t, gw, plain)
	walkthroughBucket(t, gw, versioned)

	for _, bucket := range []string{plain, versioned} {
		t.Run("walkthrough/"+bucket, func(t *testing.T) {
			// The rows of the walkthrough's reference table.
			for _, row := range []struct{ uri, name, want string }{
				{"s3://%s/model.h5", "", "model.h5"},
				{"s3://%s/checkpoints/model.h5", "", "model.h5"},
				{"s3://%s/model.h5", "models/mymodel.h5", "models/mymodel.h5"},
				{"s3://%s/images", "", "cat.png,dog.png"},
				{"s3://%s/images/", "", "cat.png,dog.png"},
				{"s3://%s/images", "images", "images/cat.png,images/dog.png"},
			} {
				uri := fmt.Sprintf(row.uri, bucket)
				es, err := r.Resolve(ctx, uri, refs.Options{Name: row.name})
				if err != nil {
					t.Fatalf("Resolve(%s, %q): %v", uri, row.name, err)
				}
				if got := paths(es); got != row.want {
					t.Errorf("Resolve(%s, %q) = %s; want %s", uri, row.name, got, row.want)
				}
				for _, e := range es {
					got, err := readAll(t, r, e)
					if err != nil {
						t.Fatalf("download %s: %v", e.Path, err)
					}
					if int64(len(got)) != e.Size || e.Extra["etag"] != fmt.Sprintf("%x", md5sum(got)) {
						t.Errorf("%s: %q does not match size %d and ETag %s", e.Path, got, e.Size, e.Extra["etag"])
					}
					_, hasVersion := e.Extra["version_id"]
					if hasVersion != (bucket == versioned) {
						t.Errorf("%s in bucket %s: extra %v", e.Path, bucket, e.Extra)
					}
				}
			}
			// The whole bucket, folder markers left out.
			es, err := r.Resolve(ctx, "s3://"+bucket, refs.Options{Name: "all"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := paths(es), "all/checkpoints/model.h5,all/images-not-inside.json,all/images/cat.png,all/images/dog.png,all/model.h5,all/other/unrelated.txt"; got != want {
				t.Errorf("whole bucket = %s; want %s", got, want)
			}
		})
	}

	t.Run("overwritten/versioned", func(t *testing.T) {
		uri := "s3://" + versioned + "/images/cat.png"
		old, err := r.Resolve(ctx, uri, refs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		put(t, gw, versioned, "images/cat.png", "MEOW, louder")
		now, err := r.Resolve(ctx, uri, refs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if now[0].Digest == old[0].Digest || now[0].Extra["version_id"] == old[0].Extra["version_id"] {
			t.Errorf("overwritten object: entry %+v; was %+v", now[0], old[0])
		}
		if got, err := readAll(t, r, old[0]); err != nil || got != "meow" {
			t.Errorf("download of the logged version = %q, %v; want the old contents", got, err)
		}
		if got, err := readAll(t, r, now[0]); err != nil || got != "MEOW, louder" {
			t.Errorf("download of the new version = %q, %v", got, err)
		}
		// The prefix listing pins the same versions as a HEAD would.
		es, err := r.Resolve(ctx, "s3://"+versioned+"/images", refs.Options{})
		if err != nil || es[0].Path != "cat.png" || es[0].Digest != now[0].Digest {
			t.Errorf("listing after the overwrite = %+v, %v; want cat.png as %v", es, err, now[0].Digest)
		}
	})

	t.Run("overwritten/unversioned", func(t *testing.T) {
		es, err := r.Resolve(ctx, "s3://"+plain+"/images", refs.Options{Name: "imgs"})
		if err != nil {
			t.Fatal(err)
		}
		put(t, gw, plain, "images/dog.png", "WOOF")
		_, err = readAll(t, r, es[1])
		wantKind(t, err, core.ErrCorrupt, `"imgs/dog.png"`, "changed since it was logged")
		if got, err := readAll(t, r, es[0]); err != nil || got != "meow" {
			t.Errorf("the unchanged object: %q, %v", got, err)
		}
	})

	t.Run("corrupted behind the store", func(t *testing.T) {
		// The bytes change on the gateway's disk, its recorded ETag does
		// not: the MD5 of the bytes tells.
		put(t, gw, plain, "md5/check.bin", "0123456789")
		es, err := r.Resolve(ctx, "s3://"+plain+"/md5/check.bin", refs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(gw.Dir, plain, "md5", "check.bin")
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("X"), 3)
		f.Close()
		_, err = readAll(t, r, es[0])
		wantKind(t, err, core.ErrCorrupt, "check.bin", "checksum")
	})

	t.Run("limit", func(t *testing.T) {
		for _, bucket := range []string{plain, versioned} {
			_, err := r.Resolve(ctx, "s3://"+bucket+"/images", refs.Options{MaxObjects: 1})
			wantKind(t, err, core.ErrTooLarge, "limit of 1")
			if es, err := r.Resolve(ctx, "s3://"+bucket+"/images", refs.Options{MaxObjects: 2}); err != nil || len(es) != 2 {
				t.Errorf("at the limit: %d entries, %v", len(es), err)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, uri := range []string{"s3://" + plain + "/nothing/here", "s3://" + versioned + "/imag", "s3://no-such-bucket-" + strings.ToLower(plain) + "/x"} {
			_, err := r.Resolve(ctx, uri, refs.Options{})
			wantKind(t, err, core.ErrNotFound)
		}
		// A deleted object of a versioned bucket is gone from its prefix.
		put(t, gw, versioned, "gone/a", "a")
		put(t, gw, versioned, "gone/b", "b")
		if _, err := gw.Client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &versioned, Key: aws.String("gone/a")}); err != nil {
			t.Fatal(err)
		}
		es, err := r.Resolve(ctx, "s3://"+versioned+"/gone", refs.Options{})
		if err != nil || paths(es) != "b" {
			t.Errorf("prefix with a deleted object = %s, %v; want b", paths(es), err)
		}
	})

	t.Run("pages", func(t *testing.T) {
		// More objects than one listing page holds (1,000): every one
		// exactly once, in both kinds of listing.
		for _, bucket := range []string{gw.NewBucket(t), gw.NewVersionedBucket(t)} {
			fill(t, gw, bucket, 1234)
			es, err := r.Resolve(ctx, "s3://"+bucket+"/data", refs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range es {
				seen[e.Path] = true
			}
			if len(es) != 1234 || len(seen) != 1234 {
				t.Errorf("bucket %s: %d entries, %d distinct; want 1234", bucket, len(es), len(seen))
			}
		}
	})

	t.Run("bad URIs", func(t *testing.T) {
		for _, uri := range []string{"s3:///key", "s3://KEY:SECRET@" + plain + "/model.h5", "s3://" + plain + "/model.h5?versionId=1", "s3:bucket/key", "s3://bucket:80/key", "s3://[::1]/key"} {
			_, err := r.Resolve(ctx, uri, refs.Options{})
			wantKind(t, err, core.ErrInvalid)
			if strings.Contains(fmt.Sprint(err), "SECRET") {
				t.Errorf("error %q shows the secret", err)
			}
		}
	})

	t.Run("no checksum", func(t *testing.T) {
		uri := "s3://" + plain + "/model.h5"
		es, err := r.Resolve(ctx, uri, refs.Options{NoChecksum: true})
		if err != nil {
			t.Fatal(err)
		}
		if es[0].Digest != refs.URIDigest(uri) || es[0].Extra != nil {
			t.Fatalf("entry = %+v", es[0])
		}
		put(t, gw, plain, "model.h5", "retrained wts")
		if got, err := readAll(t, r, es[0]); err != nil || got != "retrained wts" {
			t.Errorf("download = %q, %v; want the current contents", got, err)
		}
		// The recorded size still holds.
		put(t, gw, plain, "model.h5", "retrained weights")
		_, err = readAll(t, r, es[0])
		wantKind(t, err, core.ErrCorrupt, `entry "model.h5"`, "17 bytes, 13 when it was logged")
	})
}

// TestS3Prefix10k logs a reference to a prefix of 10,000 objects and reports
// how long it takes (issue #5's figure, target under 5 s on loopback). It
// needs TROVE_BENCH_S3=1: filling the bucket takes a while.
func TestS3Prefix10k(t *testing.T) {
	if os.Getenv("TROVE_BENCH_S3") != "1" {
		t.Skip("set TROVE_BENCH_S3=1 to run")
	}
	gw := s3test.VersionedServer(t)
	r := s3Env(t, gw)
	for _, versioned := range []bool{false, true} {
		bucket := gw.NewBucket(t)
		if versioned {
			bucket = gw.NewVersionedBucket(t)
		}
		start := time.Now()
		fill(t, gw, bucket, refs.DefaultMaxObjects)
		t.Logf("versioned=%v: put %d objects in %v", versioned, refs.DefaultMaxObjects, time.Since(start).Round(time.Millisecond))
		start = time.Now()
		es, err := r.Resolve(t.Context(), "s3://"+bucket+"/data", refs.Options{Name: "data"})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != refs.DefaultMaxObjects {
			t.Fatalf("%d entries", len(es))
		}
		t.Logf("versioned=%v: resolved s3://%s/data (%d objects) in %v", versioned, bucket, len(es), took.Round(time.Millisecond))
		// One more object is over the limit.
		put(t, gw, bucket, "data/one-too-many", "x")
		_, err = r.Resolve(t.Context(), "s3://"+bucket+"/data", refs.Options{})
		wantKind(t, err, core.ErrTooLarge, "10000")
	}
}

// fill puts n small objects under data/ with parallel PutObject calls.
func fill(t testing.TB, gw *s3test.Gateway, bucket string, n int) {
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			_, err := gw.Client().PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("data/%02d/%05d.bin", i%100, i)),
				Body: strings.NewReader(fmt.Sprint(i)),
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func md5sum(s string) [md5.Size]byte { return md5.Sum([]byte(s)) }
