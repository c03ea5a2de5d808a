//go:build !linux

package s3test

import "syscall"

// sysProcAttr is nil where there is no parent-death signal: a test process
// that dies without its cleanup leaves the gateway running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
