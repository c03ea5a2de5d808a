package s3test

import "syscall"

// sysProcAttr makes the kernel kill the gateway when the test process dies
// without running its cleanup (a panic, a timeout, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
