//go:build unix

package dirlock_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofm/gofm/internal/dirlock"
)

// A second process asking for the lock waits until the first releases it.
// The helper process (this test binary, re-run) locks the folder, writes
// "child" to a file and exits; it must not do so while the parent holds the
// lock.
func TestLockExcludesAnotherProcess(t *testing.T) {
	if dir := os.Getenv("DIRLOCK_CHILD"); dir != "" {
		unlock, err := dirlock.Lock(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if err := os.WriteFile(filepath.Join(dir, "order"), []byte("child"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := filepath.Join(t.TempDir(), "cache")
	unlock, err := dirlock.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockExcludesAnotherProcess$")
	cmd.Env = append(os.Environ(), "DIRLOCK_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child starts and blocks on the lock. Long enough for a child that
	// ignored the lock to have written its file (it needs a few ms).
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, "order")); err == nil {
		t.Fatal("the child wrote while the parent held the lock")
	}
	if err := os.WriteFile(filepath.Join(dir, "order"), []byte("parent"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "order"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != "child" {
		t.Fatalf("file holds %q after both ran, want the child's write after the parent's", got)
	}
}

// Lock creates a missing folder, and the same process can lock it again
// after unlocking.
func TestLockCreatesAndRelocks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	for range 2 {
		unlock, err := dirlock.Lock(dir)
		if err != nil {
			t.Fatal(err)
		}
		unlock()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("folder not created: %v", err)
	}
}
