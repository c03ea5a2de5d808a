package trove

import (
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TROVE_NO_SYNC: unset, empty or false keeps the durable default; 1 or
// true opts out; anything else is refused, not taken for either.
func TestNoSyncFromEnv(t *testing.T) {
	for _, tc := range []struct {
		v       string
		want    bool
		invalid bool
	}{
		{"", false, false}, {"0", false, false}, {"false", false, false},
		{"1", true, false}, {"true", true, false}, {"yes", false, true},
	} {
		t.Setenv(EnvNoSync, tc.v)
		got, err := NoSyncFromEnv()
		if tc.invalid {
			if core.KindOf(err) != core.ErrInvalid {
				t.Errorf("%s=%q: %v, %v; want ErrInvalid", EnvNoSync, tc.v, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s=%q: %v, %v; want %v", EnvNoSync, tc.v, got, err, tc.want)
		}
	}
}
