package classifier

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofm/gofm/internal/fslimit"
)

// TestWriteMetaKeepsPreviousFile: writing classifier.json fails part-way
// (the file size limit stops it at byte 64, as a full disk would; the JSON
// is about 300 bytes) and returns an error; the classifier.json that was
// there stays byte for byte, with no temporary file beside it, so Load
// never reads half a description.
func TestWriteMetaKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, metaFile)
	m := meta{Format: formatName, InputDim: 784, Config: small.Resolved(), Info: TrainInfo{Examples: 60000, Epochs: 1.5, FinalLoss: 0.25, Seconds: 12}}
	if err := writeMeta(path, m); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Info.Seconds = 13
	t.Run("limited", func(t *testing.T) {
		fslimit.Limit(t, 64)
		if err := writeMeta(path, m); err == nil {
			t.Fatal("a write past the file size limit returned no error")
		}
	})
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, old) {
		t.Errorf("after the failed write %s holds %q (%v), want the previous %q", metaFile, got, err, old)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the folder holds %d entries, want only %s", len(es), metaFile)
	}
}
