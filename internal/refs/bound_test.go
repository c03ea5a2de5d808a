package refs_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// countingTransport counts the response body bytes the client reads.
type countingTransport struct {
	rt   http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestHTTPBoundedBySize: an http(s) reference is read up to its recorded
// size and one byte, however much the server sends — 200 MiB, or a body
// that never ends — and the entry fails as corrupt, naming it, without a
// byte past the recorded size handed out. With or without checksums.
func TestHTTPBoundedBySize(t *testing.T) {
	const recorded = "8 bytes!"
	var mode atomic.Value // "logged" | "endless" | "200MiB" | "length"
	mode.Store("logged")
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		switch m := mode.Load().(string); {
		case m == "logged" || r.Method == http.MethodHead:
			w.Header().Set("Content-Length", "8")
			io.WriteString(w, recorded)
		case m == "length":
			w.Header().Set("Content-Length", "9")
			io.WriteString(w, recorded+"!")
		default: // chunked: no Content-Length to refuse at open
			w.(http.Flusher).Flush()
			buf := make([]byte, 64<<10)
			rand.Read(buf)
			for sent := 0; m == "endless" || sent < 200<<20; sent += len(buf) {
				if _, err := w.Write(buf); err != nil {
					return // the client hung up
				}
			}
		}
	}))
	t.Cleanup(s.Close)
	ct := &countingTransport{rt: s.Client().Transport}
	r := httpResolver(&http.Client{Transport: ct})
	uri := s.URL + "/weights.bin"
	for _, noChecksum := range []bool{false, true} {
		mode.Store("logged")
		es, err := r.Resolve(t.Context(), uri, refs.Options{NoChecksum: noChecksum})
		if err != nil || len(es) != 1 || es[0].Size != 8 {
			t.Fatalf("resolve: %+v, %v", es, err)
		}
		for _, m := range []string{"200MiB", "endless", "length"} {
			mode.Store(m)
			ct.read.Store(0)
			start := time.Now()
			got, err := readAll(t, r, es[0])
			if len(got) > 8 {
				t.Errorf("no checksum %v, %s: %d bytes handed out, more than the 8 recorded", noChecksum, m, len(got))
			}
			wantKind(t, err, core.ErrCorrupt, `entry "weights.bin"`)
			if n := ct.read.Load(); n > 9 {
				t.Errorf("no checksum %v, %s: read %d bytes of the body, want at most 9", noChecksum, m, n)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("no checksum %v, %s: took %v", noChecksum, m, took)
			}
		}
	}
}
