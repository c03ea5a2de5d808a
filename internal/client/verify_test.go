package client_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
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
	if _, err := admin.Verify(ctx, service.VerifyOptions{Workers: -1}); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Verify with -1 workers = %v, want invalid", err)
	}
	if rep, err := admin.Verify(ctx, service.VerifyOptions{}); err != nil || rep.Checked != 0 || rep.Corrupt == nil || rep.Missing == nil {
		t.Errorf("Verify of an empty store = %+v, %v; want nothing checked, empty lists", rep, err)
	}
}
