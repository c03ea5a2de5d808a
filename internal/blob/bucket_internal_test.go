package blob

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/troveml/trove/internal/core"
)

func TestParseKey(t *testing.T) {
	d := core.DigestOf([]byte("x"))
	h := d.Hex()
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{keyOf(d), true},
		{"sha256/" + h[:2] + "/" + h, true},
		{"sha256/" + h[:2] + "/" + h + ".18a2b3c4d5e6f708.tmp", false},
		{"sha256/" + h[:2] + "/" + h[:63], false},
		{"sha256/" + h[:2] + h, false},
		{"sha256/zz/" + h, false},
		{"sha256/" + h[:2] + "/" + strings.ToUpper(h), false},
		{"tmp/" + h, false},
		{"sha512/" + h[:2] + "/" + h, false},
		{"", false},
	} {
		got, ok := parseKey(tc.key)
		if ok != tc.want || ok && got != d {
			t.Errorf("parseKey(%q) = %s, %v; want ok=%v", tc.key, got, ok, tc.want)
		}
	}
}

// TestIngestFileRenames checks that the file driver publishes an ingested
// blob by renaming its temporary file: the blob is the same inode, so the
// data was written once.
func TestIngestFileRenames(t *testing.T) {
	ctx := t.Context()
	b, err := Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	content := bytes.Repeat([]byte("trove"), 1<<18)
	tmp, d, n, err := b.writeFileTemp(ctx, bytes.NewReader(content), -1)
	if err != nil || d != core.DigestOf(content) || n != int64(len(content)) {
		t.Fatalf("writeFileTemp = %s, %d, %v", d, n, err)
	}
	if filepath.Dir(tmp) != b.path(tempPrefix[:len(tempPrefix)-1]) {
		t.Fatalf("temporary file %s is not under root/%s", tmp, tempPrefix)
	}
	before, err := os.Stat(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.publishPath(tmp, d); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(b.path(keyOf(d)))
	if err != nil {
		t.Fatal(err)
	}
	if before.Sys().(*syscall.Stat_t).Ino != after.Sys().(*syscall.Stat_t).Ino {
		t.Errorf("blob file is a new inode: it was copied, not renamed")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary file still there after publish: %v", err)
	}
}
