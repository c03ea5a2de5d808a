package cache

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// statInfo is a real file's FileInfo with a doctored Stat_t, to change one
// identity field at a time.
type statInfo struct {
	fs.FileInfo
	st *syscall.Stat_t
}

func (s statInfo) Sys() any { return s.st }

func TestStatCacheEachIdentityField(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	settle()
	fi := lstat(t, p)
	orig := *fi.Sys().(*syscall.Stat_t)
	c := openStat(t, filepath.Join(dir, "stat.db"))
	c.Record(p, fi, core.DigestOf([]byte("content")), time.Now())

	tests := []struct {
		name   string
		change func(st *syscall.Stat_t)
		hit    bool
	}{
		{"same", func(*syscall.Stat_t) {}, true},
		{"atime", func(st *syscall.Stat_t) { st.Atim.Sec++ }, true},
		{"ctime", func(st *syscall.Stat_t) { st.Ctim.Nsec = (st.Ctim.Nsec + 1) % 1e9 }, false},
		{"inode", func(st *syscall.Stat_t) { st.Ino++ }, false},
		{"device", func(st *syscall.Stat_t) { st.Dev++ }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := orig
			tt.change(&st)
			if _, hit := c.Lookup(p, statInfo{fi, &st}); hit != tt.hit {
				t.Errorf("hit = %v, want %v", hit, tt.hit)
			}
		})
	}
	// Without a Stat_t (another platform's FileInfo), the entry recorded
	// with one does not match: the identities differ in what they know.
	if _, hit := c.Lookup(p, statInfo{fi, nil}); hit {
		t.Error("hit without inode and ctime")
	}
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
