package blob

import (
	"errors"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestOpenUnregisteredDriver: without scheme/s3 imported (its registration
// taken away here, since this test binary imports it through s3test), an
// s3:// store is refused in one line naming the import; file:// and mem://
// need nothing. Not parallel: it swaps the registry.
func TestOpenUnregisteredDriver(t *testing.T) {
	driversMu.Lock()
	saved := drivers
	drivers = map[string]Driver{}
	driversMu.Unlock()
	t.Cleanup(func() {
		driversMu.Lock()
		drivers = saved
		driversMu.Unlock()
	})
	_, err := Open(t.Context(), "s3://KEY:SECRET@bucket?endpoint=http://127.0.0.1:1")
	want := `s3:// stores need: import _ "github.com/troveml/trove/scheme/s3"`
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Open(s3://…) = %v; want invalid, redacted, with %s", err, want)
	}
	_, err = Open(t.Context(), "ftp://host/x")
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "supported: file, mem)") {
		t.Errorf("Open(ftp://…) = %v; want the built-in schemes listed", err)
	}
	b, err := Open(t.Context(), "mem://")
	if err != nil {
		t.Fatalf("Open(mem://) = %v", err)
	}
	b.Close()
}
