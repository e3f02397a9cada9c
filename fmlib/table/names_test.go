package table

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/progress"
)

// TestScaleRenames: results files written under a scale's former name read
// as that scale's (the U-Net run recorded as mnist-unet is the mnist table,
// the MLP run recorded as mnist is mnist-mlp's), and a file under a name
// that now means another experiment (an MLP run called mnist) is refused
// with the name of the scale it belongs to, by Load and by a run, whose own
// file it would otherwise overwrite.
func TestScaleRenames(t *testing.T) {
	scale := func(name string) Scale {
		s, err := ScaleByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// written returns a results file of scale name as it was written under
	// another (the name it had then).
	written := func(name, as string) *Results {
		r := imageResults()
		s := scale(name)
		// one model, so that the fake file is complete and consistent
		s.Name, s.Methods, s.Seeds, s.Fixed = as, r.Scale.Methods, []uint64{1}, r.Scale.Fixed
		r.Scale = s
		return r
	}
	for _, tc := range []struct {
		name string
		r    *Results
		read string // the scale it is read as
		want string // heldScale: "" when the file is that scale's
	}{
		{"U-Net run under its former name", written("mnist", "mnist-unet"), "mnist", ""},
		{"U-Net run under its name", written("mnist", "mnist"), "mnist", ""},
		{"MLP run under its former name, read as mnist-mlp", written("mnist-mlp", "mnist"), "mnist-mlp", ""},
		{"MLP run under its former name, read as mnist", written("mnist-mlp", "mnist"), "mnist", "mnist-mlp"},
		{"quick U-Net run under its former name", written("mnist-quick", "mnist-unet-quick"), "mnist-quick", ""},
		{"quick MLP run read as the quick U-Net", written("mnist-mlp-quick", "mnist-quick"), "mnist-quick", "mnist-mlp-quick"},
		{"U-Net run read as the MLP scale", written("mnist", "mnist-unet"), "mnist-mlp", "mnist"},
		{"2D run read as mnist", fakeOrdered(), "mnist", "2d-quick"},
	} {
		if got := heldScale(tc.r, scale(tc.read)); got != tc.want {
			t.Errorf("%s: heldScale = %q, want %q", tc.name, got, tc.want)
		}
	}

	// A run folder holding the MLP run's results-mnist.json (a run made before
	// the rename): reading it as the mnist table and running the mnist scale
	// there are errors that say whose it is; the file is left as it was.
	dir := t.TempDir()
	own := ResultsPath(dir, "mnist")
	if err := written("mnist-mlp", "mnist").Write(own); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(own)
	if _, _, err := Load(dir, "", "mnist"); err == nil || !strings.Contains(err.Error(), "scale mnist-mlp, not mnist") ||
		!strings.Contains(err.Error(), "results-mnist-mlp.json") {
		t.Errorf("Load of an MLP run as mnist: err = %v, want it to name mnist-mlp and results-mnist-mlp.json", err)
	}
	if _, err := readPriors(scale("mnist"), dir, "", progress.Discard); err == nil || !strings.Contains(err.Error(), "scale mnist-mlp, not mnist") {
		t.Errorf("a mnist run in a folder holding the MLP run: err = %v, want it refused naming mnist-mlp", err)
	}
	if after, _ := os.ReadFile(own); string(after) != string(before) {
		t.Error("the MLP run's results file changed")
	}
	// Renamed as the error says, it reads as mnist-mlp's.
	mlp := ResultsPath(dir, "mnist-mlp")
	if err := os.Rename(own, mlp); err != nil {
		t.Fatal(err)
	}
	if r, path, err := Load(dir, "", "mnist-mlp"); err != nil || path != mlp || r.Scale.Name != "mnist-mlp" {
		t.Errorf("Load(mnist-mlp) after the rename: %v, %s, %v; want it read, named mnist-mlp", r != nil, path, err)
	}
	// And a U-Net run recorded under its former name resumes as mnist.
	rec := filepath.Join(t.TempDir(), "results-mnist.json")
	if err := written("mnist", "mnist-unet").Write(rec); err != nil {
		t.Fatal(err)
	}
	if ps, err := readPriors(scale("mnist"), t.TempDir(), rec, progress.Discard); err != nil || len(ps) != 1 {
		t.Errorf("resume mnist from a file written as mnist-unet: %d priors, err %v", len(ps), err)
	}
}
