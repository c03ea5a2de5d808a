// Command timeit runs a command and appends its wall-clock time, in seconds,
// to a file: the portable stand-in for /usr/bin/time that the Trove
// benchmarks use (bash's `time` keyword cannot write to a file cleanly, and
// GNU time may be missing).
//
//	timeit -o results.txt [-cpu cpu.txt] -- cp -r src dst
//
// With -cpu it also appends the command's user and system CPU seconds
// ("user sys"): on a busy machine CPU time says more about the work a command
// does than wall time, which waits for disks and other processes.
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
	cpuOut := flag.String("cpu", "", "file to append the user and system CPU seconds to")
	flag.Parse()
	args := flag.Args()
	if *out == "" || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit -o FILE [-cpu FILE] -- CMD [ARGS...]")
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
	err = appendLine(*out, fmt.Sprintf("%.6f", elapsed.Seconds()))
	if err == nil && *cpuOut != "" {
		ps := cmd.ProcessState
		err = appendLine(*cpuOut, fmt.Sprintf("%.6f %.6f", ps.UserTime().Seconds(), ps.SystemTime().Seconds()))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
}

// appendLine appends line and a newline to the file name.
func appendLine(name, line string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
