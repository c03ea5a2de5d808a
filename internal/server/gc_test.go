package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestAdminGC checks who may run a garbage collection over HTTP, that a
// refused one changes nothing, and what a run reports and counts.
func TestAdminGC(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	ctx := t.Context()
	content := []byte("an orphan blob")
	d := core.DigestOf(content)
	if err := e.svc.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	admin, err := e.srv.auth.Authenticate(ctx, e.key)
	if err != nil {
		t.Fatal(err)
	}
	_, bobKey, err := e.srv.auth.Accounts().CreateUser(ctx, admin, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	gcRuns := func() string {
		_, _, body := e.do(t, "GET", "/metrics", nil)
		for _, l := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(l, "trove_gc_runs_total ") {
				return l
			}
		}
		return ""
	}
	before := gcRuns()

	body := `{"grace":"0s"}`
	st, hdr, b := e.do(t, "POST", "/api/v1/admin/gc", strings.NewReader(body), "Authorization", "Bearer "+bobKey)
	wantError(t, "GC by a user", st, hdr, b, http.StatusForbidden, "permission_denied")
	st, hdr, b = e.do(t, "POST", "/api/v1/admin/gc", strings.NewReader(body), "Authorization", "")
	wantError(t, "GC without a key", st, hdr, b, http.StatusUnauthorized, "unauthenticated")
	st, hdr, b = e.do(t, "POST", "/api/v1/admin/gc", strings.NewReader(`{"grace":"-1h"}`))
	wantError(t, "GC with a negative grace", st, hdr, b, http.StatusBadRequest, "invalid")
	st, hdr, b = e.do(t, "POST", "/api/v1/admin/gc", strings.NewReader(`{"grace":"soon"}`))
	wantError(t, "GC with a malformed grace", st, hdr, b, http.StatusBadRequest, "invalid")
	if got := gcRuns(); got != before {
		t.Errorf("refused GCs counted: %q, was %q", got, before)
	}
	if rc, err := e.svc.GetBlob(ctx, d); err != nil {
		t.Fatalf("blob gone after refused GCs: %v", err)
	} else {
		rc.Close()
	}

	st, _, b = e.do(t, "POST", "/api/v1/admin/gc", strings.NewReader(body))
	if st != http.StatusOK {
		t.Fatalf("GC by the admin: %d %s", st, b)
	}
	var rep service.GCReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// The blob was just stored through the service: its lease keeps it.
	if rep.Scanned != 1 || rep.Kept != 1 || rep.Freed != 0 || rep.DryRun {
		t.Errorf("GC report %s; want 1 scanned and kept", b)
	}
	for _, k := range []string{`"scanned"`, `"live"`, `"freed"`, `"freed_bytes"`, `"kept"`, `"grace_seconds"`, `"duration_seconds"`, `"dry_run"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("GC report %s lacks %s", b, k)
		}
	}
	if got := gcRuns(); got != "trove_gc_runs_total 1" {
		t.Errorf("after one GC the metric is %q", got)
	}
}

// TestCollectGarbagePeriodically checks the server's periodic collection:
// it runs, is counted, and stops cleanly when its context ends; interval 0
// turns it off.
func TestCollectGarbagePeriodically(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	if err := e.srv.CollectGarbage(t.Context(), 0); err != nil {
		t.Fatalf("CollectGarbage(0) = %v; want nil at once", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.srv.CollectGarbage(ctx, 5*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, body := e.do(t, "GET", "/metrics", nil)
		if bytes.Contains(body, []byte("\ntrove_gc_runs_total ")) && !bytes.Contains(body, []byte("\ntrove_gc_runs_total 0\n")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no periodic GC counted within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("CollectGarbage after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CollectGarbage did not stop within 10 s of its context ending")
	}
	if !strings.Contains(e.logs.String(), "garbage collected") {
		t.Error("periodic GC logged no report")
	}
}
