package metatest

import (
	"errors"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

var registryTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"RegistryLinkBlobs", testRegistryLinkBlobs},
}

// A committed link makes its source's stored files readable by every user
// (registries are readable by all) and puts the registry project among
// the digest's projects; unlinking takes that back.
func testRegistryLinkBlobs(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "alice", false)
	createUser(t, s, "bob", false)
	secret := core.DigestOf([]byte("alice's model"))
	m, err := core.NewManifest([]core.Entry{{Path: "model.bin", Digest: secret, Size: 13}})
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "alice", Project: "priv", Name: "clf", Type: "model", Manifest: m, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	readable := func(who string, want bool) {
		t.Helper()
		got, err := s.ReadableDigests(ctx, who, []core.Digest{secret})
		if err != nil {
			t.Fatal(err)
		}
		if got[secret] != want {
			t.Errorf("%s reads alice's linked blob: %v, want %v", who, got[secret], want)
		}
	}
	readable("bob", false)
	readable("nobody", false)

	// A refused link (wrong type) grants nothing.
	if _, _, err := s.LinkVersion(ctx, meta.Link{SourceID: src.ID, Registry: "dataset", Collection: "C", Now: at(1)}); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("linking a model into the dataset registry: %v", err)
	}
	readable("bob", false)

	l, created, err := s.LinkVersion(ctx, meta.Link{SourceID: src.ID, Registry: "model", Collection: "Clf", Aliases: []string{"production"}, Now: at(1)})
	if err != nil || !created || l.Source != "alice/priv/clf:v0" || l.Index != 0 {
		t.Fatalf("LinkVersion = %+v, %v, %v", l, created, err)
	}
	readable("bob", true)
	readable("alice", true)
	readable("nobody", false) // unknown users read nothing
	ps, err := s.DigestProjects(ctx, secret, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "DigestProjects of a linked blob", ps, []meta.ProjectKey{{Entity: "alice", Project: "priv"}, {Entity: "registry", Project: "model"}})
	links, err := s.Links(ctx, src.ID)
	if err != nil || len(links) != 1 || links[0].ID != l.ID {
		t.Fatalf("Links = %+v, %v", links, err)
	}

	// The source cannot go while linked; the link goes with its aliases.
	if err := s.DeleteVersion(ctx, src.ID, true); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("deleting a linked source: %v", err)
	}
	if err := s.DeleteVersion(ctx, l.ID, false); err != nil {
		t.Fatalf("unlinking: %v", err)
	}
	readable("bob", false)
	if _, err := s.ResolveVersion(ctx, core.Ref{Entity: "registry", Project: "model", Name: "Clf", Selector: "production"}); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the unlinked version's alias still resolves: %v", err)
	}
	if err := s.DeleteVersion(ctx, src.ID, true); err != nil {
		t.Errorf("deleting the unlinked source: %v", err)
	}
}
