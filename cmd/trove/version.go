package main

import (
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…" (the
// Python wheel sets its own version); it then is the whole answer of
// trove --version.
var version = "dev"

// versionString is what trove --version prints after "trove version ": the
// version set at build time, else the module's version and the VCS revision
// the Go toolchain recorded ("dev (revision 0123456789ab, modified)").
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return describeVersion(version, bi)
}

// describeVersion is versionString for a given -X version and build info
// (nil when the binary has none).
func describeVersion(set string, bi *debug.BuildInfo) string {
	if set != "dev" && set != "" || bi == nil {
		return set
	}
	v := "dev"
	if m := bi.Main.Version; m != "" && m != "(devel)" {
		v = m
	}
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		return v + " (revision " + rev + ", modified)"
	}
	return v + " (revision " + rev + ")"
}
