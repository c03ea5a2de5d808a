//go:build unix

package testenv

import (
	"bufio"
	"io"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// RunLogged runs cmd in a process group of its own, its output streamed
// line by line into the test log; when cmd's context ends, and when cmd
// exits, the whole group (node and the Chromium it started, say) is killed.
func RunLogged(tb testing.TB, cmd *exec.Cmd) error {
	tb.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			tb.Log(sc.Text())
		}
		io.Copy(io.Discard, pr) // after a line too long for the scanner
	}()
	err := cmd.Start()
	if err == nil {
		err = cmd.Wait()
		// Whatever the command left running in its group goes too.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	pw.Close()
	<-done
	return err
}
