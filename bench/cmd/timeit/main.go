// Command timeit runs a command and appends its wall-clock time, in seconds,
// to a file: the portable stand-in for /usr/bin/time that the Trove
// benchmarks use (bash's `time` keyword cannot write to a file cleanly, and
// GNU time may be missing).
//
//	timeit -o results.txt -- cp -r src dst
//
// The command inherits stdin, stdout, stderr and the environment. timeit
// exits with the command's exit code and records nothing when it fails, so a
// failed run never counts as a fast one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	out := flag.String("o", "", "file to append the elapsed seconds to (required)")
	flag.Parse()
	args := flag.Args()
	if *out == "" || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit -o FILE -- CMD [ARGS...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// LookPath happens before the clock starts: only the command is timed.
	if cmd.Err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", cmd.Err)
		os.Exit(127)
	}
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.ExitCode() > 0 {
			fmt.Fprintf(os.Stderr, "timeit: %s exited with code %d after %.3f s\n", args[0], ee.ExitCode(), elapsed.Seconds())
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = fmt.Fprintf(f, "%.6f\n", elapsed.Seconds())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
}
