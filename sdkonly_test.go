package trove

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/testenv"
)

// maxSDKBinary bounds the size of a program that imports only the SDK,
// built with go build's default flags: 30 MB. Before the cloud SDKs were
// registered by import (scheme/s3, scheme/gcs, scheme/postgres) it was 74 MB.
const maxSDKBinary = 30_000_000

// heavyDeps are the packages an SDK-only program must not link: they come
// with the optional schemes' packages only. (gocloud.dev/blob, which the
// embedded store uses, brings a little of google.golang.org/api itself.)
var heavyDeps = []string{
	"github.com/aws/",
	"cloud.google.com/go/storage",
	"google.golang.org/api/option",
	"github.com/jackc/pgx/",
}

// TestSDKOnlyBinary builds testdata/sdkonly, a program that imports the SDK
// and nothing else of Trove, checks that it links none of the cloud SDKs
// and stays within maxSDKBinary, and runs it on an embedded store: it logs
// a version and reads it back, and an s3:// reference is refused with the
// import it needs.
func TestSDKOnlyBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program (about 20 s)")
	}
	goTool, err := exec.LookPath("go")
	testenv.Require(t, "the go command", err == nil)

	deps, err := exec.Command(goTool, "list", "-deps", "./testdata/sdkonly").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, deps)
	}
	for _, dep := range strings.Fields(string(deps)) {
		for _, heavy := range heavyDeps {
			if strings.HasPrefix(dep, heavy) {
				t.Errorf("an SDK-only program links %s: an optional scheme leaked into the SDK's imports", dep)
			}
		}
	}

	bin := filepath.Join(t.TempDir(), "sdkonly")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/sdkonly").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SDK-only binary: %.1f MB (limit %.0f MB)", float64(fi.Size())/1e6, float64(maxSDKBinary)/1e6)
	if fi.Size() > maxSDKBinary {
		t.Errorf("SDK-only binary is %d bytes, more than %d", fi.Size(), maxSDKBinary)
	}

	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		EnvURL+"="+filepath.Join(dir, "data"), EnvCacheDir+"="+filepath.Join(dir, "cache"),
		EnvEntity+"=tester", EnvProject+"=", "TROVE_RUN_ID=", EnvAPIKey+"=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sdkonly: %v\n%s", err, out)
	}
	for _, want := range []string{
		"logged model 0\n",
		`read model:v0 weights.bin "trained weights"` + "\n",
		`s3 reference: reference "s3://bucket/key": s3:// references need: import _ "github.com/troveml/trove/scheme/s3"` + "\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("sdkonly output lacks %q:\n%s", want, out)
		}
	}
}
