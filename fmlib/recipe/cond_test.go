package recipe_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
)

// The fingerprints of the unconditional presets as they were before
// conditioning was added (commit ddb8cf1): runs and shipped weights are
// found by them, so they must not change.
func TestUnconditionalFingerprintsUnchanged(t *testing.T) {
	want := map[string]string{ // printed by recipe.Preset(name).ID() at ddb8cf1
		"8gaussians": "63e96aac", "checkerboard": "40ed797e", "mnist-mlp": "814a1765",
		"mnist-unet": "f449cd88", // also in fmlib/pretrained/shipped/mnist-unet.json
		"moons":      "2fd552a8",
	}
	for name, id := range want {
		c, err := recipe.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID() != id {
			t.Errorf("%s: fingerprint %s, was %s", name, c.ID(), id)
		}
	}
	a, _ := recipe.Preset("8gaussians")
	b, _ := recipe.Preset("8gaussians-cond")
	if a.ID() == b.ID() {
		t.Error("8gaussians and 8gaussians-cond share a fingerprint")
	}
}

func tinyCond(t *testing.T) recipe.Config {
	c, err := recipe.Preset("8gaussians-cond")
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden, c.Batch = []int{64, 64}, 256
	return c
}

// trainedCond is tinyCond trained for the given steps, in memory (no
// checkpoints).
func trainedCond(t *testing.T, steps int64) *recipe.Model {
	t.Helper()
	c := tinyCond(t)
	c.Steps = steps
	m, err := recipe.Open(testbe.Go(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	return m
}

// nearestCentre is the 8-gaussians component whose centre is nearest to p.
func nearestCentre(p []float64) int {
	k := int(math.Round(math.Atan2(p[1], p[0]) / (math.Pi / 4)))
	return (k + 8) % 8
}

// TestConditionalSampling trains the 8-gaussians conditional set-up for a
// few seconds and samples one component: with guidance 0 most samples land
// in it, with guidance 3 more do (the sharpening of guidance), and the
// null label spreads over all eight.
func TestConditionalSampling(t *testing.T) {
	m := trainedCond(t, 600)
	opts := ode.Options{Method: ode.Midpoint, Steps: 20}
	share := func(cond guidance.Condition, k int) (float64, int) {
		if err := m.SetCondition(cond); err != nil {
			t.Fatal(err)
		}
		sol, err := m.Sample(1000, 5, opts)
		if err != nil {
			t.Fatal(err)
		}
		in, classes := 0, map[int]bool{}
		for _, p := range sol.X {
			classes[nearestCentre(p)] = true
			if nearestCentre(p) == k {
				in++
			}
		}
		return float64(in) / float64(len(sol.X)), len(classes)
	}
	f0, _ := share(guidance.Label(3, 0), 3)
	f3, _ := share(guidance.Label(3, 3), 3)
	fNull, nNull := share(guidance.Label(8, 0), 3)
	t.Logf("share of samples in component 3: guidance 0 %.3f, guidance 3 %.3f, null label %.3f (%d components hit)", f0, f3, fNull, nNull)
	cases := []struct {
		name    string
		got, lo float64
		why     string
	}{
		{"label 3, guidance 0", f0, 0.8, "a 600-step 2x64 model; measured 0.9-1.0"},
		{"label 3, guidance 3", f3, math.Max(f0, 0.9), "guidance moves samples towards their class: at least as many as without"},
	}
	for _, c := range cases {
		if c.got < c.lo {
			t.Errorf("%s: %.3f of the samples in component 3; want >= %.3f (%s)", c.name, c.got, c.lo, c.why)
		}
	}
	// The null label is the unconditional model: all 8 components, about
	// 1/8 each (0.125 +- 0.06: a short run's imbalance and 1000 samples).
	if nNull != 8 || math.Abs(fNull-0.125) > 0.06 {
		t.Errorf("null label: %d components, %.3f in component 3; want 8 and about 1/8", nNull, fNull)
	}
	// The labelled held-out points are HeldOut's points.
	x, y, err := m.HeldOutLabeled(50, 2)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := m.HeldOut(50, 2)
	for i := range x {
		if x[i][0] != h[i][0] || nearestCentre(x[i]) != y[i] && math.Hypot(x[i][0], x[i][1]) > 1 {
			t.Fatalf("HeldOutLabeled point %d: %v label %d; HeldOut %v", i, x[i], y[i], h[i])
		}
	}
	// Evaluate compares a class's samples with held-out points of the class.
	if err := m.SetCondition(guidance.Label(3, 0)); err != nil {
		t.Fatal(err)
	}
	r, err := m.Evaluate(recipe.EvalOptions{Samples: 200, NLLPoints: 50, Tol: 1e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("label 3: energy distance %.4f, NLL %.3f nats", r.Energy, r.NLL)
	// One component is N(c, 0.2^2 I): entropy log(2 pi e 0.04) = -0.38 nats;
	// a short run's density is broader. The energy distance to the class's
	// held-out points is small; to the whole mixture it would be ~1.
	if !(r.Energy < 0.1) || !(r.NLL < 1.5) {
		t.Errorf("label 3: energy distance %.4f (want < 0.1), NLL %.3f nats (want < 1.5, the class's entropy is -0.38)", r.Energy, r.NLL)
	}
}

// TestConditionErrors: labels and guidance on an unconditional model, labels
// outside the classes, bad scales, guidance on a model trained without
// label dropout, and conditional set-ups with a minibatch-OT coupling are
// errors that say what to do.
func TestConditionErrors(t *testing.T) {
	plain, err := recipe.Open(testbe.Go(t), tiny(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.SetCondition(guidance.Label(1, 0)); err == nil || !strings.Contains(err.Error(), "unconditional") || !strings.Contains(err.Error(), "mnist-cond") {
		t.Errorf("a label on an unconditional model: %v", err)
	}
	c := tinyCond(t)
	c.Steps = 1
	m, err := recipe.Open(testbe.Go(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Condition(); len(got.Labels) != 1 || got.Labels[0] != 8 || got.Scale != 0 {
		t.Errorf("a new conditional model's condition %v; want the null label 8, guidance 0", got)
	}
	for _, tc := range []struct {
		cond guidance.Condition
		want string
	}{
		{guidance.Label(9, 0), "label 9 is outside the model's classes; use 0 to 7 (or 8"},
		{guidance.Label(-1, 1), "label -1 is outside"},
		{guidance.Label(2, -1), "guidance scale -1; need a finite w >= 0"},
		{guidance.Label(2, math.NaN()), "guidance scale NaN"},
		{guidance.Condition{}, "no label given"},
	} {
		if err := m.SetCondition(tc.cond); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want an error containing %q", tc.cond, err, tc.want)
		}
	}
	c0 := tinyCond(t)
	c0.Steps, c0.LabelDropout = 1, 0
	m0, err := recipe.Open(testbe.Go(t), c0, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m0.SetCondition(guidance.Label(2, 1)); err == nil || !strings.Contains(err.Error(), "without label dropout") {
		t.Errorf("guidance without label dropout: %v", err)
	}
	if err := m0.SetCondition(guidance.Label(2, 0)); err != nil {
		t.Errorf("a class without guidance, no label dropout: %v", err)
	}
	bad := tinyCond(t)
	bad.Coupling = "ot"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "use coupling independent") {
		t.Errorf("conditional with the ot coupling: %v", err)
	}
	bad = tiny(t)
	bad.LabelDropout = 0.1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "set conditional too") {
		t.Errorf("label dropout without conditional: %v", err)
	}
	bad = tinyCond(t)
	bad.LabelDropout = 1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "0 <= label_dropout < 1") {
		t.Errorf("label dropout 1: %v", err)
	}
	if err := m.SetCondition(guidance.Condition{Labels: []int{0, 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Evaluate(recipe.EvalOptions{Samples: 4, NLLPoints: 2}); err == nil || !strings.Contains(err.Error(), "set one label") {
		t.Errorf("Evaluate with per-sample labels: %v", err)
	}
}

// TestConditionalExportRestore: a conditional model's export holds its
// label embedding (averaged and raw), and the restored model's guided
// velocity equals the trained one's for any label and scale.
func TestConditionalExportRestore(t *testing.T) {
	for _, ema := range []float64{0, 0.9} {
		c := tinyCond(t)
		c.Steps, c.EMA = 20, ema
		m, err := recipe.Open(testbe.Go(t), c, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(context.Background(), progress.Discard); err != nil {
			t.Fatal(err)
		}
		vars, err := m.Export()
		if err != nil {
			t.Fatal(err)
		}
		prefix := "/mlp/" + models.LabelScope + "/embeddings"
		if ema > 0 {
			prefix = "/" + training.EMAScope + prefix
		}
		if vars[prefix] == nil {
			t.Fatalf("EMA %g: the export has no label embedding %s", ema, prefix)
		}
		r, err := recipe.Restore(testbe.Go(t), c, vars)
		if err != nil {
			t.Fatal(err)
		}
		x := [][]float64{{0.5, -1}, {2, 2}, {-1, 0}}
		for _, cond := range []guidance.Condition{guidance.Label(2, 0), guidance.Label(5, 2.5), {Labels: []int{0, 8, 7}, Scale: 1}} {
			if err := m.SetCondition(cond); err != nil {
				t.Fatal(err)
			}
			if err := r.SetCondition(cond); err != nil {
				t.Fatal(err)
			}
			a, err := m.Velocity(x, 0.6)
			if err != nil {
				t.Fatal(err)
			}
			b, err := r.Velocity(x, 0.6)
			if err != nil {
				t.Fatal(err)
			}
			for i := range a {
				for j := range a[i] {
					if a[i][j] != b[i][j] {
						t.Fatalf("EMA %g, %v: restored velocity %v, trained %v", ema, cond, b, a)
					}
				}
			}
		}
	}
}

// TestConditionalImages: the MNIST conditional set-up trains a few steps
// with digit labels and samples a chosen digit.
func TestConditionalImages(t *testing.T) {
	if _, err := os.Stat(filepath.Join(data.MNISTDir(), "train-images-idx3-ubyte")); err != nil {
		t.Skipf("MNIST not present (%v); run make data", err)
	}
	c, err := recipe.Preset("mnist-cond")
	if err != nil {
		t.Fatal(err)
	}
	c.UNet = models.UNetConfig{BaseChannels: 8, Groups: 4}
	c.Steps, c.Batch = 2, 8
	m, err := recipe.Open(testbe.Go(t), c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.SetCondition(guidance.Label(7, 2)); err != nil {
		t.Fatal(err)
	}
	sol, err := m.Sample(3, 1, ode.Options{Method: ode.Euler, Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.X) != 3 || len(sol.X[0]) != 784 {
		t.Errorf("samples %d x %d; want 3 x 784", len(sol.X), len(sol.X[0]))
	}
	if _, y, err := m.HeldOutLabeled(5, 1); err != nil || len(y) != 5 || y[0] != 7 { // the first test digit is a 7
		t.Errorf("HeldOutLabeled: labels %v, err %v", y, err)
	}
}
