package recipe_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
)

func TestPresetsValidate(t *testing.T) {
	for _, name := range recipe.Presets() {
		c, err := recipe.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		if q := c.Quick(); q.Steps >= c.Steps || q.Steps < 1 {
			t.Errorf("preset %s: quick steps %d, full %d", name, q.Steps, c.Steps)
		}
	}
	if _, err := recipe.Preset("nope"); err == nil || !strings.Contains(err.Error(), "checkerboard") {
		t.Errorf("unknown preset: err = %v, want the list of presets", err)
	}
}

func TestValidateErrors(t *testing.T) {
	base, _ := recipe.Preset("moons")
	for _, tc := range []struct {
		name   string
		change func(*recipe.Config)
		want   string
	}{
		{"data", func(c *recipe.Config) { c.Data = "cats" }, "data \"cats\" unknown"},
		{"net", func(c *recipe.Config) { c.Net = "resnet" }, "use mlp or unet"},
		{"unet on 2D", func(c *recipe.Config) { c.Net = "unet" }, "for images"},
		{"path", func(c *recipe.Config) { c.Path = "ve" }, "use ot"},
		{"objective", func(c *recipe.Config) { c.Objective = "gan" }, "cfm, dsm, ddpm or scoreflow"},
		{"coupling", func(c *recipe.Config) { c.Coupling = "sinkhorn" }, "independent or ot"},
		{"ot coupling with ddpm", func(c *recipe.Config) { c.Coupling, c.Objective = "ot", "ddpm" }, "with objective cfm"},
		{"lr", func(c *recipe.Config) { c.LearningRate = math.Inf(1) }, "learning rate"},
		{"batch", func(c *recipe.Config) { c.Batch = 0 }, "batch 0"},
		{"hidden", func(c *recipe.Config) { c.Hidden = []int{0} }, "hidden"},
		{"ema 1", func(c *recipe.Config) { c.EMA = 1 }, "0 <= ema < 1"},
		{"ema negative", func(c *recipe.Config) { c.EMA = -0.5 }, "0 <= ema < 1"},
		{"ema NaN", func(c *recipe.Config) { c.EMA = math.NaN() }, "0 <= ema < 1"},
		{"time", func(c *recipe.Config) { c.Time = "beta" }, "uniform, logit-normal or importance"},
		{"importance on the ot path", func(c *recipe.Config) { c.Objective, c.Time = "scoreflow", "importance" }, "use it with path vp"},
	} {
		c := base
		c.Hidden = append([]int(nil), base.Hidden...)
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func tiny(t *testing.T) recipe.Config {
	c, err := recipe.Preset("8gaussians")
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden, c.Steps, c.Batch = []int{32, 32}, 40, 64
	return c
}

// With EMA the model samples the averaged weights by default and the raw
// ones on request; before any step only the raw ones exist.
func TestAveragedAndRawWeights(t *testing.T) {
	c := tiny(t)
	c.EMA = 0.9
	m, err := recipe.Open(testbe.Go(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := ode.Options{Method: ode.Euler, Steps: 4}
	if _, err := m.Sample(8, 1, opts); err == nil || !strings.Contains(err.Error(), "no averaged") {
		t.Fatalf("sampling the average before training: err = %v, want one saying there are no averaged weights", err)
	}
	m.Weights = training.Raw
	if _, err := m.Sample(8, 1, opts); err != nil {
		t.Fatalf("raw weights before training: %v", err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	raw, err := m.Sample(8, 1, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Weights = training.Averaged
	avg, err := m.Sample(8, 1, opts)
	if err != nil {
		t.Fatal(err)
	}
	d := 0.0
	for i := range raw.X {
		d = math.Max(d, math.Abs(raw.X[i][0]-avg.X[i][0]))
	}
	// 40 steps at lr 2e-3 move the weights by far more than float32 rounding; the average lags them.
	if !(d > 1e-4) {
		t.Errorf("averaged and raw samples differ by %g; the average should lag the weights", d)
	}
	if !strings.Contains(c.String(), "EMA 0.9") {
		t.Errorf("String() = %q does not mention the average", c.String())
	}
}

// Train, resume with more steps, read the config back, sample and evaluate.
func TestTrainResumeSampleEvaluate(t *testing.T) {
	be := testbe.Go(t)
	dir := t.TempDir()
	c := tiny(t)
	m, err := recipe.Open(be, c, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	c.Steps = 60
	m2, err := recipe.Open(be, c, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Run().Resumed() != 40 {
		t.Fatalf("resumed at %d, want 40", m2.Run().Resumed())
	}
	if err := m2.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	read, err := recipe.ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if read.Name != c.Name || read.Batch != c.Batch || len(read.Hidden) != 2 || read.Steps != 0 {
		t.Errorf("ReadConfig = %+v, want the trained set-up without Steps", read)
	}
	m3, err := recipe.Load(be, read, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m3.Config.Steps != 60 {
		t.Errorf("loaded Steps = %d, want the run's 60", m3.Config.Steps)
	}
	sol, err := m3.Sample(100, 5, ode.Options{Method: ode.Midpoint, Steps: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.X) != 100 || len(sol.X[0]) != 2 || sol.Stats.NFE != 10 {
		t.Errorf("sample: %d points of dim %d, NFE %d; want 100, 2, 10", len(sol.X), len(sol.X[0]), sol.Stats.NFE)
	}
	// Same seed, same model, same solver: the same samples.
	again, err := m3.Sample(100, 5, ode.Options{Method: ode.Midpoint, Steps: 5})
	if err != nil {
		t.Fatal(err)
	}
	if again.X[17][1] != sol.X[17][1] {
		t.Errorf("sampling is not reproducible: %v vs %v", again.X[17], sol.X[17])
	}
	// In chunks of 40 (solves of 40, 40 and 20 points) a fixed-step solver
	// moves every point as the single solve does: the rows do not interact.
	// 1e-5 allows for float32 sums blocked differently at another batch size.
	noise := m3.Noise(100, 5)
	x1, nfe, err := m3.TransportChunks(noise, 40, ode.Options{Method: ode.Midpoint, Steps: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(x1) != 100 || !slices.Equal(nfe, []float64{10, 10, 10}) {
		t.Fatalf("TransportChunks: %d points, NFE per solve %v; want 100 and [10 10 10]", len(x1), nfe)
	}
	for i := range x1 {
		for j := range x1[i] {
			if d := math.Abs(x1[i][j] - sol.X[i][j]); d > 1e-5 {
				t.Fatalf("TransportChunks point %d: %v, one solve gives %v", i, x1[i], sol.X[i])
			}
		}
	}
	if _, _, err := m3.TransportChunks(noise, 0, ode.Options{Method: ode.Midpoint, Steps: 5}); err == nil || !strings.Contains(err.Error(), "chunk >= 1") {
		t.Errorf("TransportChunks with chunk 0: err = %v, want one asking for chunk >= 1", err)
	}
	r, err := m3.Evaluate(recipe.EvalOptions{Samples: 200, NLLPoints: 50, Tol: 1e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"NFE": r.NFE, "NLL": r.NLL, "energy": r.Energy, "W2": r.W2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want a finite value", name, v)
		}
	}
	if !math.IsNaN(r.FID) || !math.IsNaN(r.NLLOneSample) || r.NLLUnit != "nats" {
		t.Errorf("2D report: FID %v and one-sample NLL %v (want NaN), unit %q (want nats)", r.FID, r.NLLOneSample, r.NLLUnit)
	}
}

func TestReadConfigErrors(t *testing.T) {
	if _, err := recipe.ReadConfig(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no run.json") {
		t.Errorf("empty dir: err = %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"weights": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := recipe.ReadConfig(dir); err == nil || !strings.Contains(err.Error(), "not a recipe set-up") {
		t.Errorf("foreign run.json: err = %v", err)
	}
}

func TestQuantizeInvertsDequantizeCentres(t *testing.T) {
	for p := 0; p < 256; p++ {
		x := 2*(float64(p)+0.5)/256 - 1 // the bin centre Dequantize maps p to with u = 1/2
		if q := recipe.Quantize([]float64{x})[0]; int(q) != p {
			t.Fatalf("Quantize(centre of %d) = %d", p, q)
		}
	}
	if q := recipe.Quantize([]float64{-3, 3}); q[0] != 0 || q[1] != 255 {
		t.Errorf("out-of-range values not clipped: %v", q)
	}
}

// The image path end to end on a tiny U-Net: dequantized MNIST batches,
// sampling, bits/dim by Hutchinson. Needs MNIST (make data); skipped without.
func TestImagesEndToEnd(t *testing.T) {
	if _, err := os.Stat(filepath.Join(data.MNISTDir(), "train-images-idx3-ubyte")); err != nil {
		t.Skipf("MNIST not present (%v); run make data", err)
	}
	base, err := recipe.Preset("mnist-unet")
	if err != nil {
		t.Fatal(err)
	}
	base.UNet = models.UNetConfig{BaseChannels: 8, Groups: 4}
	base.Steps = 3
	// The preset, and ScoreFlow (score matching with the likelihood
	// weighting, importance-sampled times) on the VP path.
	sf := base
	sf.Path, sf.SigmaMin, sf.Objective, sf.Time = "vp", 0, "scoreflow", "importance"
	for _, c := range []recipe.Config{base, sf} {
		m, err := recipe.Open(testbe.Go(t), c, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(context.Background(), progress.Discard); err != nil {
			t.Fatal(err)
		}
		r, err := m.Evaluate(recipe.EvalOptions{Samples: 8, NLLPoints: 2, K: 3, Tol: 1e-2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Samples) != 8 || len(r.Samples[0]) != 784 || r.NLLUnit != "bits/dim" {
			t.Errorf("%s: report: %d samples of %d values, unit %q", c.Objective, len(r.Samples), len(r.Samples[0]), r.NLLUnit)
		}
		// An untrained model is a poor density, but bits/dim must be a finite
		// positive number (8 bits/dim is a uniform model; ours starts near the
		// Gaussian base, which is worse on [-1, 1]^784, so allow up to 20).
		if !(r.NLL > 0 && r.NLL < 20) {
			t.Errorf("%s: bits/dim = %v, want a value in (0, 20)", c.Objective, r.NLL)
		}
		// The K = 3 bound is below the mean of the one-sample bounds of the
		// same draws, image by image (Jensen), so also on average.
		if !(r.NLLOneSample >= r.NLL) || r.NLLOneSample > 20 {
			t.Errorf("%s: one-sample bound %v bits/dim, K = 3 bound %v: want K = 1 >= K = 3, finite", c.Objective, r.NLLOneSample, r.NLL)
		}
	}
}

func TestID(t *testing.T) {
	a, _ := recipe.Preset("moons")
	b := a
	b.Steps *= 2 // steps are not part of the set-up
	c := a
	c.LearningRate *= 2
	if a.ID() != b.ID() || a.ID() == c.ID() || len(a.ID()) != 8 {
		t.Errorf("IDs %s %s %s: want equal for a step change, different for a learning-rate change, 8 digits", a.ID(), b.ID(), c.ID())
	}
}

// recordingScorer remembers what FIDWithFloor asked it to compare.
type recordingScorer struct{ calls [][2][][]float64 }

func (r *recordingScorer) FID(real, gen [][]float64) (float64, error) {
	r.calls = append(r.calls, [2][][]float64{real, gen})
	return float64(len(r.calls)), nil
}

// The floor compares n held-out points with n others; the score compares
// the same first n with n samples of seed 3.
func TestFIDWithFloor(t *testing.T) {
	m, err := recipe.Open(testbe.Go(t), tiny(t), "")
	if err != nil {
		t.Fatal(err)
	}
	opts := ode.Options{Method: ode.Euler, Steps: 2}
	var s recordingScorer
	fid, floor, err := m.FIDWithFloor(&s, 20, opts)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := m.HeldOut(40, 1)
	sol, _ := m.Sample(20, 3, opts)
	if floor != 1 || fid != 2 || len(s.calls) != 2 {
		t.Fatalf("fid %g, floor %g after %d calls", fid, floor, len(s.calls))
	}
	same := func(a, b [][]float64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
	if !same(s.calls[0][0], held[:20]) || !same(s.calls[0][1], held[20:]) || !same(s.calls[1][0], held[:20]) || !same(s.calls[1][1], sol.X) {
		t.Error("the floor or the score compared other points than held-out against held-out, then held-out against samples")
	}
}
