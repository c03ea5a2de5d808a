// Package testenv decides what a test does when the machine lacks something
// it needs (a server, a browser, a tool): skip it, or fail it where every
// test must run (TROVE_REQUIRE_ALL=1, as in CI).
package testenv

import (
	"os"
	"testing"
)

// RequireAllVar names the environment variable that turns skips into
// failures.
const RequireAllVar = "TROVE_REQUIRE_ALL"

// Require skips tb when ok is false, saying what is missing, or fails it
// under TROVE_REQUIRE_ALL=1.
func Require(tb testing.TB, what string, ok bool) {
	tb.Helper()
	if ok {
		return
	}
	if os.Getenv(RequireAllVar) == "1" {
		tb.Fatalf("%s is required (%s=1)", what, RequireAllVar)
	}
	tb.Skipf("%s is missing", what)
}
