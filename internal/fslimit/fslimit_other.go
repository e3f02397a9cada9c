//go:build !linux

package fslimit

import "testing"

// Limit skips the test: the file size limit is set with Linux's
// RLIMIT_FSIZE.
func Limit(t testing.TB, n uint64) {
	t.Helper()
	t.Skip("fslimit: file size limits are only set on Linux")
}
