package s3_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// stderrOf returns what f writes to the process's standard error, where
// the AWS SDK's default logger writes.
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() {
		os.Stderr = saved
	}()
	f()
	os.Stderr = saved
	w.Close()
	return <-done
}

// TestSDKSilent: reading objects stored without a checksum, with the SDK's
// checksum validation on, makes the SDK log "WARN Response has no supported
// checksum" on stderr by default; the blob store and s3:// references keep
// it quiet (their errors say what matters, in one line).
func TestSDKSilent(t *testing.T) {
	gw := s3test.Server(t)
	bucket := gw.NewBucket(t)
	d := core.DigestOf([]byte("plain"))
	// Written behind the gateway's back, as files of its directory: objects
	// with no stored checksum, as older uploads and other tools leave them.
	for _, key := range []string{"sha256/" + d.Hex()[:2] + "/" + d.Hex(), "data/plain.txt"} {
		p := filepath.Join(gw.Dir, bucket, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("plain"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := stderrOf(t, func() {
		s, err := blob.Open(t.Context(), gw.URL(bucket)+"&response_checksum_validation=when_supported")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rc, err := s.Get(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(rc); err != nil || string(b) != "plain" {
			t.Errorf("get = %q, %v", b, err)
		}
		rc.Close()
		r := s3Env(t, gw)
		t.Setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_supported")
		es, err := r.Resolve(t.Context(), "s3://"+bucket+"/data/plain.txt", refs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(t, r, es[0]); err != nil || got != "plain" {
			t.Errorf("open = %q, %v", got, err)
		}
	})
	if out != "" {
		t.Errorf("the SDK wrote to stderr:\n%s", out)
	}
}
