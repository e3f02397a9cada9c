//go:build linux

// Package fslimit lets a test make file writes fail part-way: Limit lowers
// the process's file size limit (RLIMIT_FSIZE), so that a write past it
// fails with EFBIG after the bytes below it have reached the file, as a
// full disk does. Tests use it to check that a failed save leaves the
// previous file intact.
//
// The limit holds for the whole test process until the test ends, so tests
// that call Limit must not run in parallel with tests that write files.
package fslimit

import (
	"os/signal"
	"syscall"
	"testing"
)

// Limit makes writes beyond byte offset n of any file fail with EFBIG until
// t ends. It ignores SIGXFSZ meanwhile (its default action ends the process)
// and restores the limit and the signal afterwards.
func Limit(t testing.TB, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("fslimit: reading RLIMIT_FSIZE: %v", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		signal.Reset(syscall.SIGXFSZ)
		t.Skipf("fslimit: setting RLIMIT_FSIZE to %d: %v", n, err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("fslimit: restoring RLIMIT_FSIZE: %v", err)
		}
		signal.Reset(syscall.SIGXFSZ)
	})
}
