package trove

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/blob/s3test"
)

// BenchmarkReferenceS3Prefix logs (resolves and commits, embedded store) a
// reference to an S3 prefix of TROVE_BENCH_REF_OBJECTS objects (default
// 10,000) on versitygw, in an unversioned and a versioned bucket. Each
// iteration logs a new artifact, so every one lists the prefix and commits
// a version of that many entries. Target: under 5 s. bench/refs.sh runs it.
func BenchmarkReferenceS3Prefix(b *testing.B) {
	n := 10000
	if v := os.Getenv("TROVE_BENCH_REF_OBJECTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("TROVE_BENCH_REF_OBJECTS=%q: want a positive count", v)
		}
	}
	g := s3test.VersionedServer(b)
	for _, k := range g.Env() {
		name, val, _ := bytes.Cut([]byte(k), []byte("="))
		b.Setenv(string(name), string(val))
	}
	for _, versioned := range []bool{false, true} {
		var bucket string
		if versioned {
			bucket = g.NewVersionedBucket(b)
		} else {
			bucket = g.NewBucket(b)
		}
		fill(b, g, bucket, n)
		b.Run(fmt.Sprintf("objects=%d/versioned=%v", n, versioned), func(b *testing.B) {
			dir := b.TempDir()
			c, err := Open(b.Context(), Options{URL: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache"), Entity: "bench", Project: "refs"})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			run, err := c.StartRun(b.Context(), RunOptions{JobType: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				a := NewArtifact(fmt.Sprintf("prefix-%d", i), "dataset")
				i++
				if err := a.AddReference("s3://"+bucket+"/data", MaxObjects(n)); err != nil {
					b.Fatal(err)
				}
				v, err := run.LogArtifact(b.Context(), a)
				if err != nil {
					b.Fatal(err)
				}
				if v.FileCount != n {
					b.Fatalf("%d entries, want %d", v.FileCount, n)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/log")
		})
	}
}

// fill puts n small objects under data/ in bucket, 100 per folder.
func fill(b *testing.B, g *s3test.Gateway, bucket string, n int) {
	b.Helper()
	var eg errgroup.Group
	eg.SetLimit(16)
	for i := range n {
		eg.Go(func() error {
			key := fmt.Sprintf("data/%03d/%05d.bin", i/100, i)
			body := []byte(key)
			_, err := g.Client().PutObject(b.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		b.Fatal(err)
	}
}
