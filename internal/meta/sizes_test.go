package meta_test

import (
	"context"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"

	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
)

func TestSizeKnown(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *meta.Store{
		"sqlite":   metatest.OpenSQLite,
		"postgres": metatest.OpenPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			if known, err := s.SizeKnown(ctx, 5); err != nil || known {
				t.Fatalf("empty store: %v, %v", known, err)
			}
			c := []byte("hello")
			m, err := core.NewManifest([]core.Entry{{Path: "a.txt", Digest: core.DigestOf(c), Size: int64(len(c))}})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "e", Project: "p", Name: "n", Type: "dataset", Manifest: m, Now: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if known, err := s.SizeKnown(ctx, 5); err != nil || !known {
				t.Errorf("size 5 after a commit: %v, %v", known, err)
			}
			if known, err := s.SizeKnown(ctx, 6); err != nil || known {
				t.Errorf("size 6: %v, %v", known, err)
			}
		})
	}
}
