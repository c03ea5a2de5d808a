package metatest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// settingsTests cover the store's settings: Setting and InitSetting.
var settingsTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"SettingsInit", testSettingsInit},
	{"SettingsConcurrentInit", testSettingsConcurrentInit},
}

func testSettingsInit(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	if v, ok, err := s.Setting(ctx, "blob_encryption"); err != nil || ok || v != "" {
		t.Fatalf("Setting of a new store = %q, %v, %v; want unset", v, ok, err)
	}
	got, err := s.InitSetting(ctx, "blob_encryption", "none")
	if err != nil || got != "none" {
		t.Fatalf("InitSetting = %q, %v; want none", got, err)
	}
	// The first value stays: a later InitSetting learns it and changes nothing.
	if got, err := s.InitSetting(ctx, "blob_encryption", "aes-256-gcm:0123456789abcdef"); err != nil || got != "none" {
		t.Errorf("second InitSetting = %q, %v; want the first value, none", got, err)
	}
	if v, ok, err := s.Setting(ctx, "blob_encryption"); err != nil || !ok || v != "none" {
		t.Errorf("Setting = %q, %v, %v; want none", v, ok, err)
	}
	// Settings are independent of each other.
	if got, err := s.InitSetting(ctx, "other", ""); err != nil || got != "" {
		t.Errorf("InitSetting(other, \"\") = %q, %v", got, err)
	}
	if v, ok, err := s.Setting(ctx, "other"); err != nil || !ok || v != "" {
		t.Errorf("Setting(other) = %q, %v, %v; want set to \"\"", v, ok, err)
	}
	_, _, err = s.Setting(ctx, "")
	wantKind(t, err, core.ErrInvalid)
	_, err = s.InitSetting(ctx, "", "x")
	wantKind(t, err, core.ErrInvalid)
}

// testSettingsConcurrentInit: of many processes initialising one setting at
// once, one wins and every one of them is told the winner's value.
func testSettingsConcurrentInit(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	const n = 12
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := s.InitSetting(ctx, "race", fmt.Sprintf("value-%d", i))
			if err != nil {
				t.Errorf("InitSetting %d: %v", i, err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	stored, ok, err := s.Setting(ctx, "race")
	if err != nil || !ok {
		t.Fatalf("Setting after the race: %q, %v, %v", stored, ok, err)
	}
	for i, v := range got {
		if v != stored {
			t.Errorf("InitSetting %d was told %q; the store holds %q", i, v, stored)
		}
	}
}
