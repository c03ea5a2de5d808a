package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to make a schema per test

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/blob/s3test"
)

// postgresURL returns the URL of a fresh schema in the test PostgreSQL,
// dropped at the end of the test. Without PostgreSQL the test skips (fails
// under TROVE_REQUIRE_ALL=1).
func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TROVE_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("TROVE_REQUIRE_ALL") == "1" {
			t.Fatalf("PostgreSQL at %s: %v (TROVE_REQUIRE_ALL=1)", base, err)
		}
		t.Skipf("no PostgreSQL at %s: %v", base, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestScaleOut runs 3 server replicas on one PostgreSQL and one S3 bucket
// (versitygw); 24 writers spread over them log versions of one artifact for
// TROVE_SCALEOUT_DURATION (default 30 s) while one replica is killed with
// SIGKILL and restarted. Every version must then be there, gapless, each
// downloading with valid digests. It runs when TROVE_SCALEOUT=1 (as in
// .ci/run).
func TestScaleOut(t *testing.T) {
	if os.Getenv("TROVE_SCALEOUT") != "1" {
		t.Skip("set TROVE_SCALEOUT=1 to run the scale-out test")
	}
	duration := 30 * time.Second
	if d, err := time.ParseDuration(os.Getenv("TROVE_SCALEOUT_DURATION")); err == nil {
		duration = d
	}
	dbURL := postgresURL(t)
	gw := s3test.Server(t)
	blobsURL := gw.NewBucketURL(t)
	dir := t.TempDir()

	replicas := make([]*serverProc, 3)
	for i := range replicas {
		// Replica 0 starts first so that it is the one that creates admin.
		replicas[i] = startServer(t, gw.Env(), "--data", filepath.Join(dir, "data"+strconv.Itoa(i)), "--db", dbURL, "--blobs", blobsURL)
	}
	key := adminKey(t, filepath.Join(dir, "data0"))

	ctx, cancel := context.WithTimeout(context.Background(), duration+3*time.Minute)
	defer cancel()
	const writers = 24
	var (
		mu      sync.Mutex
		logged  = map[string]string{} // version label → content tag
		commits atomic.Int64
		errs    []error
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			c, err := trove.Open(ctx, trove.Options{
				URL: replicas[w%len(replicas)].url, APIKey: key, Project: "scale",
				CacheDir: filepath.Join(dir, "cache"+strconv.Itoa(w)),
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			defer c.Close()
			run, err := c.StartRun(ctx, trove.RunOptions{JobType: "writer"})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("writer %d: %w", w, err))
				mu.Unlock()
				return
			}
			for i := 0; time.Now().Before(deadline); i++ {
				tag := fmt.Sprintf("writer %d, version %d", w, i)
				a := trove.NewArtifact("shared", "dataset")
				err := newFile(a, "part.txt", tag)
				if err == nil {
					err = newFile(a, "common.txt", "the same in every version")
				}
				var v *trove.Version
				if err == nil {
					v, err = run.LogArtifact(ctx, a)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", tag, err))
				} else if prev, dup := logged[v.Label()]; dup && prev != tag {
					errs = append(errs, fmt.Errorf("%s and %s both landed on %s", prev, tag, v.Label()))
				} else {
					logged[v.Label()] = tag
				}
				mu.Unlock()
				commits.Add(1)
			}
			run.Finish(ctx)
		})
	}
	// Kill replica 1 a third of the way in and restart it two seconds
	// later; its writers ride through on the client's retries.
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		time.Sleep(duration / 3)
		replicas[1].kill()
		t.Logf("replica 1 killed at %v", time.Since(deadline.Add(-duration)).Round(time.Millisecond))
		time.Sleep(2 * time.Second)
		replicas[1].restart()
		t.Logf("replica 1 back at %v", time.Since(deadline.Add(-duration)).Round(time.Millisecond))
	}()
	wg.Wait()
	<-killed
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("%d commits by %d writers in %v over 3 replicas", commits.Load(), writers, duration)

	c, err := trove.Open(ctx, trove.Options{URL: replicas[2].url, APIKey: key, Project: "scale", CacheDir: filepath.Join(dir, "cache-check")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vs, err := c.ArtifactVersions(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 || len(vs) != len(logged) {
		t.Fatalf("%d versions stored, %d logged", len(vs), len(logged))
	}
	for i, v := range vs {
		if want := "v" + strconv.Itoa(i); v.Label() != want {
			t.Fatalf("version %d is %s: gap or duplicate", i, v.Label())
		}
		if _, ok := logged[v.Label()]; !ok {
			t.Errorf("%s is stored but no writer logged it", v.Label())
		}
		if want := i == len(vs)-1; slices.Contains(v.Aliases, "latest") != want {
			t.Errorf("%s aliases %v", v.Label(), v.Aliases)
		}
	}
	// Every version downloads, each byte verified against its digest.
	var dl sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, v := range vs {
		dl.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := v.Download(ctx, filepath.Join(dir, "dl", v.Label()))
			if err != nil {
				t.Errorf("download %s: %v", v.Label(), err)
				return
			}
			b, err := os.ReadFile(filepath.Join(d, "part.txt"))
			if err != nil || string(b) != logged[v.Label()] {
				t.Errorf("%s holds %q, want %q (%v)", v.Label(), b, logged[v.Label()], err)
			}
		})
	}
	dl.Wait()
}

// newFile adds a file with the given content to a.
func newFile(a *trove.Artifact, name, content string) error {
	f, err := a.NewFile(name)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
