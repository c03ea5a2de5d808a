//go:build !race

package main

// raceEnabled reports whether the test binary (and so every trove process
// the tests start) runs under the race detector, which slows it tenfold.
const raceEnabled = false
