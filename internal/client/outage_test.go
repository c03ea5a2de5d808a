package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
)

// closedURL returns the URL of a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestNeverReachedFailsAtOnce: a server that has not answered once is not
// waited for, whatever RetryFor says; the error names the URL and the cause
// in one line, and nothing is announced as a retry.
func TestNeverReachedFailsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		url, cause string
	}{
		{closedURL(t), "connection refused"},
		{"http://trove-test-no-such-host.invalid:8080", "trove-test-no-such-host.invalid"},
	} {
		var notes []string
		c, err := client.New(tc.url, client.Options{APIKey: "k", RetryFor: time.Minute, Notify: func(m string) { notes = append(notes, m) }})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.ListRuns(context.Background(), "alice", "p")
		took := time.Since(start)
		c.Close()
		if !errors.Is(err, core.ErrUnavailable) || !strings.Contains(err.Error(), tc.url) || !strings.Contains(err.Error(), tc.cause) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line of kind unavailable naming %s and %q", tc.url, err, tc.url, tc.cause)
		}
		if took > 15*time.Second {
			t.Errorf("%s: failed after %v, want at once", tc.url, took)
		}
		if len(notes) != 0 {
			t.Errorf("%s: announced %q, want nothing", tc.url, notes)
		}
	}
}

// TestOutageAnnouncedOnce: once the server has answered, an outage is
// ridden through; Notify hears of it once however many requests wait, and
// once that the server is back.
func TestOutageAnnouncedOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	hs := &http.Server{Handler: e.srv.Handler()}
	go hs.Serve(ln)

	var mu sync.Mutex
	var notes []string
	retrying := make(chan struct{})
	c, err := client.New("http://"+addr, client.Options{APIKey: e.key, RetryFor: 30 * time.Second, Notify: func(m string) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, m)
		if len(notes) == 1 {
			close(retrying)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.ListRuns(ctx, "alice", "p"); err != nil {
		t.Fatal(err)
	}
	hs.Close()
	const parallel = 8
	errs := make(chan error, parallel)
	for range parallel {
		go func() {
			_, err := c.ListRuns(ctx, "alice", "p")
			errs <- err
		}()
	}
	select {
	case <-retrying:
	case <-time.After(20 * time.Second):
		t.Fatal("no retry was announced")
	}
	time.Sleep(300 * time.Millisecond) // let every request fail at least once
	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	hs = &http.Server{Handler: e.srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	for range parallel {
		if err := <-errs; err != nil {
			t.Errorf("request across the outage: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"server http://" + addr + " unreachable (connection refused); retrying for up to 30s…",
		"server http://" + addr + " answers again",
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("announced %q, want %q", notes, want)
	}
}

// TestDiskFullNotRetried: a server whose disk is full answers 507 with its
// reason; the client does not retry it and passes the reason on, with the
// kind unavailable.
func TestDiskFullNotRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	const msg = "blob: put sha256:…: blob: writing: no space left on device"
	e := newEnv(t, envOptions{front: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut {
				h.ServeHTTP(w, r)
				return
			}
			mu.Lock()
			calls++
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInsufficientStorage)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"` + msg + `"}}`))
		})
	}})
	c := e.client(t, client.Options{})
	content := []byte(strings.Repeat("full disk ", 1000))
	start := time.Now()
	err := c.PutBlob(context.Background(), core.DigestOf(content), int64(len(content)), strings.NewReader(string(content)))
	if !errors.Is(err, core.ErrUnavailable) || err.Error() != msg {
		t.Errorf("PutBlob on a full disk: %v, want unavailable %q", err, msg)
	}
	if calls != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("sent %d times in %v, want once, at once", calls, time.Since(start))
	}
}
