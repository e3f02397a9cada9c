package fslimit

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLimit: under a 10-byte limit a 20-byte write stops at byte 10 with
// EFBIG (the first 10 bytes reach the file); after the test the limit is
// gone again (checked by the subtest's parent writing 20 bytes).
func TestLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	t.Run("limited", func(t *testing.T) {
		Limit(t, 10)
		err := os.WriteFile(path, []byte("0123456789abcdefghij"), 0o644)
		if !errors.Is(err, syscall.EFBIG) {
			t.Fatalf("write past the limit: %v, want EFBIG", err)
		}
		if got, _ := os.ReadFile(path); string(got) != "0123456789" {
			t.Errorf("file holds %q, want the 10 bytes below the limit", got)
		}
	})
	if err := os.WriteFile(path, []byte("0123456789abcdefghij"), 0o644); err != nil {
		t.Errorf("after the test the limit remains: %v", err)
	}
}
