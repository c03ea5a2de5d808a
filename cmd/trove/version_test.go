package main

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "abc1234def5678abc1234def5678abc1234def56"
	for _, c := range []struct {
		set  string
		bi   *debug.BuildInfo
		want string
	}{
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "dev (revision abc1234def56, modified)"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "dev (revision abc1234def56)"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: vcs(rev, "false")}, "v0.4.0 (revision abc1234def56)"},
		{"dev", &debug.BuildInfo{}, "dev"},
		{"dev", nil, "dev"},
		// -X main.version (the Python wheel's version) is the whole answer.
		{"0.3.1", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: vcs(rev, "true")}, "0.3.1"},
	} {
		if got := describeVersion(c.set, c.bi); got != c.want {
			t.Errorf("describeVersion(%q, %+v) = %q, want %q", c.set, c.bi, got, c.want)
		}
	}
}

// TestVersionFlag: trove --version of a built binary tells its build: the
// version set with -X main.version alone, else the module version and the
// VCS revision the toolchain recorded (none in a git worktree, whose .git
// is a file the go command does not recognise).
func TestVersionFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command twice")
	}
	dir := t.TempDir()
	build := func(name string, args ...string) (bin, out string) {
		t.Helper()
		bin = filepath.Join(dir, name)
		cmd := exec.Command("go", append(append([]string{"build", "-buildvcs=auto", "-o", bin}, args...), ".")...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		b, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", name, err, b)
		}
		return bin, string(b)
	}
	if _, out := build("wheel", "-ldflags", "-X main.version=1.2.3"); out != "trove version 1.2.3\n" {
		t.Errorf("built with -X main.version=1.2.3: trove --version printed %q", out)
	}
	bin, out := build("plain")
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if want := "trove version " + describeVersion("dev", bi) + "\n"; out != want {
		t.Errorf("trove --version printed %q, want %q", out, want)
	}
	// In a checkout (not a worktree), the revision is HEAD's.
	if fi, err := os.Stat("../../.git"); err == nil && fi.IsDir() {
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		if rev := strings.TrimSpace(string(head))[:12]; !strings.Contains(out, "(revision "+rev) {
			t.Errorf("trove --version printed %q, want revision %s", out, rev)
		}
	}
}
