package trove

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Artifact.TTL sets a logged version's expiry; Version.SetTTL and Save
// change or clear it; a TTL already run out deletes the version at once.
func TestTTL(t *testing.T) {
	ctx := context.Background()
	c, work := testClient(t)
	r := startRun(t, c)
	a := NewArtifact("d", "dataset")
	if err := a.AddFile(write(t, filepath.Join(work, "f"), "0")); err != nil {
		t.Fatal(err)
	}
	a.TTL = 48 * time.Hour
	v, err := r.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if v.ExpiresAt == nil || !v.ExpiresAt.Equal(v.CreatedAt.Add(48*time.Hour)) || v.TTL() != 48*time.Hour {
		t.Fatalf("logged with TTL 48h: expires %v, TTL %v", v.ExpiresAt, v.TTL())
	}

	v.SetTTL(-time.Hour)
	if err := v.Save(ctx); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Save with a negative TTL = %v, want ErrInvalid", err)
	}
	if got, err := c.Artifact(ctx, "d:v0"); err != nil || got.TTL() != 48*time.Hour {
		t.Fatalf("after a refused Save: %v, %v", got, err)
	}

	v.SetTTL(0)
	if err := v.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if v.ExpiresAt != nil || v.TTL() != 0 {
		t.Errorf("after clearing: expires %v", v.ExpiresAt)
	}

	b := NewArtifact("d", "dataset")
	if err := b.AddFile(write(t, filepath.Join(work, "f"), "1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LogArtifact(ctx, b); err != nil {
		t.Fatal(err)
	}
	v1, err := c.Artifact(ctx, "d:latest")
	if err != nil || v1.Index != 1 {
		t.Fatalf("latest = %v, %v", v1, err)
	}
	v1.SetTTL(time.Microsecond)
	if err := v1.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if latest, err := c.Artifact(ctx, "d:latest"); err != nil || latest.Index != 0 {
		t.Errorf("latest after v1 expired = %v, %v; want v0", latest, err)
	}
	if _, err := c.Artifact(ctx, "d:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired v1: %v, want ErrNotFound", err)
	}
}
