package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/fslimit"
)

// TestWrite: a new file in a new folder, then an overwrite, each with
// exactly the given bytes, mode 0644 and no temporary file left behind; a
// target that cannot be replaced (a folder) is an error that names it and
// leaves it, and the folder around it, as they were.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "a.json")
	for _, data := range []string{"first\n", "second, longer\n"} {
		if err := Write(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Fatalf("read back %q, %v; want %q", got, err, data)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, %v; want 0644", st.Mode().Perm(), err)
		}
		if names := list(t, filepath.Dir(path)); len(names) != 1 {
			t.Errorf("folder holds %v, want only a.json", names)
		}
	}

	target := filepath.Join(dir, "taken")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	before := list(t, dir)
	err := Write(target, []byte("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+target+": ") {
		t.Fatalf("writing over a folder: err = %v", err)
	}
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		t.Errorf("the folder was replaced (%v)", err)
	}
	if after := list(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("folder holds %v after the failed write, %v before", after, before)
	}
}

// TestWriteFailsPartWay: a write stopped at byte 8 by the file size limit
// (as by a full disk) is an error naming the file and leaves the previous
// contents and no temporary file.
func TestWriteFailsPartWay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	if err := Write(path, []byte("old\n")); err != nil {
		t.Fatal(err)
	}
	t.Run("limited", func(t *testing.T) {
		fslimit.Limit(t, 8)
		if err := Write(path, []byte("a new text longer than eight bytes\n")); err == nil || !strings.HasPrefix(err.Error(), "writing "+path+": ") {
			t.Errorf("err = %v, want one starting with \"writing %s: \"", err, path)
		}
	})
	if got, err := os.ReadFile(path); err != nil || string(got) != "old\n" {
		t.Errorf("file holds %q (%v), want the previous \"old\\n\"", got, err)
	}
	if names := list(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v, want only a.json", names)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
