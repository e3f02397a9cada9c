package pretrained_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/pretrained"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
)

// trained is a small 2D model with a moving average, trained for 30 steps:
// enough for the average to differ from the raw weights.
func trained(t *testing.T) *recipe.Model {
	t.Helper()
	c, err := recipe.Preset("8gaussians")
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden, c.Steps, c.Batch, c.EMA = []int{16, 16}, 30, 32, 0.9
	m, err := recipe.Open(testbe.Go(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	return m
}

// export writes m to a temporary folder as "toy" and returns the folder.
func export(t *testing.T, m *recipe.Model) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pretrained.Export(m, dir, "toy", pretrained.Info{Command: "go test"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A model exported and loaded again samples exactly as the original's
// averaged weights do; it neither trains nor reads raw weights.
func TestExportLoadRoundTrip(t *testing.T) {
	m := trained(t)
	dir := export(t, m)
	got, man, err := pretrained.LoadDir(testbe.Go(t), dir, "toy")
	if err != nil {
		t.Fatal(err)
	}
	if man.Steps != 30 || man.Weights != "averaged" || man.Fingerprint != m.Config.ID() || man.Command != "go test" || man.Commit == "" {
		t.Errorf("manifest %+v", man)
	}
	vars, err := pretrained.Decode(must(os.ReadFile(filepath.Join(dir, "toy.weights"))))
	if err != nil {
		t.Fatal(err)
	}
	for p := range vars {
		if p != recipe.GlobalStepPath && p != training.EMACountPath && !strings.HasPrefix(p, "/ema/mlp/") {
			t.Errorf("averaged export holds %s", p)
		}
	}
	if got.Run().Step() != 30 || !got.Restored() {
		t.Errorf("restored model at step %d, Restored %v", got.Run().Step(), got.Restored())
	}
	opts := ode.Options{Method: ode.Midpoint, Steps: 4}
	sameSamples(t, m, got, 50, opts, "export and load")
	got.Weights = training.Raw
	if _, err := got.Sample(5, 1, opts); err == nil || !strings.Contains(err.Error(), "raw weights are not part") {
		t.Errorf("raw weights of an averaged export: err = %v", err)
	}
	if err := got.Train(context.Background(), progress.Discard); err == nil || !strings.Contains(err.Error(), "does not train") {
		t.Errorf("training a restored model: err = %v", err)
	}
}

// Without a moving average the raw weights are exported, and read back.
func TestExportRaw(t *testing.T) {
	m := trained(t)
	m.Weights = training.Raw
	dir := export(t, m)
	got, man, err := pretrained.LoadDir(testbe.Go(t), dir, "toy")
	if err != nil {
		t.Fatal(err)
	}
	if man.Weights != "raw" {
		t.Errorf("manifest weights %q, want raw", man.Weights)
	}
	// One copy of the network and the step counter: no optimizer state, no average.
	vars, err := pretrained.Decode(must(os.ReadFile(filepath.Join(dir, "toy.weights"))))
	if err != nil {
		t.Fatal(err)
	}
	for p := range vars {
		if p != recipe.GlobalStepPath && !strings.HasPrefix(p, "/mlp/") {
			t.Errorf("raw export holds %s", p)
		}
	}
	// The set-up keeps its EMA setting; the restored model reads the raw
	// weights, the only ones there, by default.
	if got.Weights != training.Raw {
		t.Errorf("restored raw export reads %v weights", got.Weights)
	}
	x := [][]float64{{0.3, -0.2}}
	want, err := m.Velocity(x, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	have, err := got.Velocity(x, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want[0][0] != have[0][0] || want[0][1] != have[0][1] {
		t.Errorf("velocity %v, want %v", have, want)
	}
	got.Weights = training.Averaged
	if _, err := got.Velocity(x, 0.5); err == nil || !strings.Contains(err.Error(), "averaged (EMA) weights are not part") {
		t.Errorf("averaged weights of a raw export: err = %v", err)
	}
}

// Every way a shipped file can be damaged is an error that names the file
// and says how to get it back; none loads.
func TestDamagedFiles(t *testing.T) {
	m := trained(t)
	src := export(t, m)
	weights, err := os.ReadFile(filepath.Join(src, "toy.weights"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(src, "toy.json"))
	if err != nil {
		t.Fatal(err)
	}
	editManifest := func(f func(map[string]any)) []byte {
		var v map[string]any
		if err := json.Unmarshal(manifest, &v); err != nil {
			t.Fatal(err)
		}
		f(v)
		b, _ := json.Marshal(v)
		return b
	}
	flipped := append([]byte(nil), weights...)
	flipped[len(flipped)-3] ^= 0x40
	lfs := []byte("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n")
	lfsSum := sha256.Sum256(lfs)
	for _, c := range []struct {
		name               string
		weights, manifest  []byte // nil: leave the file out
		file, wantFragment string
	}{
		{"missing weights", nil, manifest, "toy.weights", "is missing"},
		{"missing manifest", weights, nil, "toy.json", "does not exist"},
		{"truncated", weights[:len(weights)/2], manifest, "toy.weights", "truncated"},
		{"empty", []byte{}, manifest, "toy.weights", "truncated"},
		{"one bit flipped", flipped, manifest, "toy.weights", "SHA-256"},
		{"manifest not JSON", weights, manifest[:20], "toy.json", "damaged"},
		{"manifest edited", weights, editManifest(func(v map[string]any) { v["config"].(map[string]any)["learning_rate"] = 0.5 }), "toy.json", "edited"},
		{"manifest unknown field", weights, editManifest(func(v map[string]any) { v["extra"] = 1 }), "toy.json", "damaged"},
		{"manifest without checksum", weights, editManifest(func(v map[string]any) { v["sha256"] = "" }), "toy.json", "SHA-256"},
		{"manifest of another format", weights, editManifest(func(v map[string]any) { v["format"] = 2 }), "toy.json", "format 2"},
		{"git LFS pointer", lfs, editManifest(func(v map[string]any) {
			v["bytes"], v["sha256"] = len(lfs), hex.EncodeToString(lfsSum[:])
		}), "toy.weights", "git lfs pull"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.weights != nil {
				os.WriteFile(filepath.Join(dir, "toy.weights"), c.weights, 0o644)
			}
			if c.manifest != nil {
				os.WriteFile(filepath.Join(dir, "toy.json"), c.manifest, 0o644)
			}
			_, _, err := pretrained.LoadDir(testbe.Go(t), dir, "toy")
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if !strings.Contains(msg, filepath.Join(dir, c.file)) || !strings.Contains(msg, c.wantFragment) || !strings.Contains(msg, "gofm export") {
				t.Errorf("error %q should name %s, say %q and the command that recreates it", msg, c.file, c.wantFragment)
			}
		})
	}
}

// Weights of a different network fail when the graph asks for them, with
// the variable named, instead of running on fresh random weights.
func TestWrongNetwork(t *testing.T) {
	m := trained(t)
	dir := export(t, m)
	vars, err := pretrained.Decode(must(os.ReadFile(filepath.Join(dir, "toy.weights"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		hidden []int
		want   string
	}{
		{"an extra layer", []int{16, 16, 16}, "have no variable"},
		{"wider layers", []int{32, 32}, "shape"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := m.Config
			cfg.Hidden = c.hidden
			r, err := recipe.Restore(testbe.Go(t), cfg, vars)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Sample(4, 1, ode.Options{Method: ode.Euler, Steps: 2}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("sampling: err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// Export keeps an existing export unless told to replace it.
func TestExportKeepsExisting(t *testing.T) {
	m := trained(t)
	dir := export(t, m)
	before := must(os.ReadFile(filepath.Join(dir, "toy.json")))
	if _, err := pretrained.Export(m, dir, "toy", pretrained.Info{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second export: err = %v", err)
	}
	if after := must(os.ReadFile(filepath.Join(dir, "toy.json"))); string(after) != string(before) {
		t.Error("the refused export changed the manifest")
	}
	if _, err := pretrained.Export(m, dir, "toy", pretrained.Info{Replace: true}); err != nil {
		t.Errorf("export with Replace: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b"} {
		if _, err := pretrained.Export(m, dir, bad, pretrained.Info{}); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// The shipped models load, match their presets as they are now, and
// sample finite digits; their manifests record a measured FID-MNIST.
func TestShipped(t *testing.T) {
	names := pretrained.Names()
	if len(names) == 0 {
		t.Skip("no shipped weights in " + pretrained.ShippedDir + " yet (make pretrained creates them)")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m, man, err := pretrained.Load(testbe.Go(t), name)
			if err != nil {
				t.Fatal(err)
			}
			if err := man.CheckPreset(); err != nil {
				t.Error(err)
			}
			if info, err := os.Stat(filepath.Join("shipped", man.File)); err != nil || info.Size() > 5<<20 {
				t.Errorf("%s: %v, size over the 5 MB the repository allows", man.File, err)
			}
			if m.Config.IsImage() && !(man.FID > 0 && man.FIDFloor > 0 && man.FIDSamples >= 1000) {
				t.Errorf("manifest lacks the FID-MNIST measurement: %+v", man)
			}
			sol, err := m.Sample(4, 1, ode.Options{Method: ode.Euler, Steps: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range sol.X {
				for _, v := range row {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("non-finite sample value %g", v)
					}
				}
			}
		})
	}
}

func TestUnknownShippedName(t *testing.T) {
	for _, name := range []string{"no-such-model", "../recipe", ""} {
		if _, _, err := pretrained.Load(testbe.Go(t), name); err == nil {
			t.Errorf("Load(%q) succeeded", name)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// sameSamples fails t unless a and b draw bitwise equal samples (n points,
// seed 3, the solver of opts): the same weights, graph and noise must give
// the same numbers, so any difference means the weights did not round-trip.
func sameSamples(t *testing.T, a, b *recipe.Model, n int, opts ode.Options, what string) {
	t.Helper()
	want, err := a.Sample(n, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	have, err := b.Sample(n, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.X {
		for j := range want.X[i] {
			if want.X[i][j] != have.X[i][j] {
				t.Fatalf("%s: sample %d differs: %v vs %v", what, i, want.X[i], have.X[i])
			}
		}
	}
}
