package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/server"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

// TestVerify runs the verification suite over HTTP, as the site
// administrator.
func TestVerify(t *testing.T) {
	servicetest.RunVerify(t, func(t *testing.T) (service.API, service.Verifier, string) {
		e := newEnv(t, envOptions{})
		c := e.client(t, client.Options{})
		return c, c, filepath.Join(e.dir, "blobs")
	})
}

// TestVerifyPostgresS3 runs the verification suite, repair included, on
// the scale-out setup: PostgreSQL, blobs in S3 (versitygw, whose objects
// are files the suite damages), bytes through presigned URLs — so the
// upload that restores a repaired blob bypasses the server.
func TestVerifyPostgresS3(t *testing.T) {
	gw := s3test.Server(t)
	servicetest.RunVerify(t, func(t *testing.T) (service.API, service.Verifier, string) {
		ctx := context.Background()
		m := metatest.OpenPostgres(t)
		bucket := gw.NewBucket(t)
		b, err := blob.Open(ctx, gw.URL(bucket))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		auth, key, _ := newTestAuth(t, m)
		srv, err := server.New(server.Options{Service: service.New(m, b, service.Options{}), Auth: auth, Presigner: b})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		c, err := client.New(ts.URL, client.Options{APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, c, filepath.Join(gw.Dir, bucket)
	})
}

// Only site administrators may verify: it reads every blob.
func TestVerifyNeedsAdmin(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	admin := e.client(t, client.Options{})
	_, bobKey, err := admin.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	bob := e.client(t, client.Options{APIKey: bobKey})
	_, err = bob.Verify(ctx, service.VerifyOptions{})
	var ke *core.Error
	if !errors.Is(err, core.ErrPermission) || !errors.As(err, &ke) {
		t.Fatalf("Verify as bob = %v, want a permission error", err)
	}
	if _, err := bob.Verify(ctx, service.VerifyOptions{Repair: true}); !errors.Is(err, core.ErrPermission) {
		t.Fatalf("Verify --repair as bob = %v, want a permission error", err)
	}
	if _, err := admin.Verify(ctx, service.VerifyOptions{Workers: -1}); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Verify with -1 workers = %v, want invalid", err)
	}
	if rep, err := admin.Verify(ctx, service.VerifyOptions{}); err != nil || rep.Checked != 0 || rep.Corrupt == nil || rep.Missing == nil {
		t.Errorf("Verify of an empty store = %+v, %v; want nothing checked, empty lists", rep, err)
	}
}

// A PUT of the right bytes over a damaged copy, through a server, replaces
// it: the store reads and verifies every body it is sent. (The client
// itself sends only what the server says is missing, which a damaged copy
// is once verify --repair moved it aside: see servicetest's Repair.)
func TestPutOverDamagedCopy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	admin := e.client(t, client.Options{})
	content := "a blob whose file gets damaged"
	d := core.DigestOf([]byte(content))
	if err := admin.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "blobs", "sha256", d.Hex()[:2], d.Hex())
	if err := os.WriteFile(path, []byte("a blob whose file gets DAMAGED"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, bobKey, err := admin.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	put := func(body string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, e.ts.URL+"/api/v1/blobs/"+d.String(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+bobKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("not the right bytes, same size"); code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		t.Errorf("PUT of wrong bytes: %d", code)
	}
	if got, _ := os.ReadFile(path); string(got) != "a blob whose file gets DAMAGED" {
		t.Fatalf("a refused PUT changed the file: %q", got)
	}
	if code := put(content); code != http.StatusNoContent {
		t.Fatalf("PUT of the right bytes: %d", code)
	}
	check := func(who string) {
		t.Helper()
		rc, err := admin.GetBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if got, err := io.ReadAll(rc); err != nil || string(got) != content {
			t.Fatalf("after %s's PUT the blob reads %q, %v", who, got, err)
		}
	}
	check("bob")

	// A caller who may read the blob already (here the admin) repairs it
	// the same way: the store reads every PUT's body.
	if err := os.WriteFile(path, []byte("a blob whose file gets DAMAGED"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := admin.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	check("admin")
}
