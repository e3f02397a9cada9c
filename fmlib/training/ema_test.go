package training

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// emaTrainer is a CFM trainer of a 2x16 MLP on moons with the given decay.
func emaTrainer(t *testing.T, decay float64) (*Trainer, [][]float64) {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(backendForTest(t), store, Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{16, 16}}), EMADecay: decay})
	if err != nil {
		t.Fatal(err)
	}
	pts, err := data.Moons(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tr, pts
}

// values returns the trainable variables' values by path, and the averaged
// ones by the path they average.
func values(t *testing.T, store *model.Store) (raw, avg map[string][]float32) {
	t.Helper()
	raw, avg = map[string][]float32{}, map[string][]float32{}
	for v := range store.IterVariables() {
		switch {
		case strings.HasPrefix(v.Path(), "/"+EMAScope+"/"):
			avg[strings.TrimPrefix(v.Path(), "/"+EMAScope)] = tensors.MustCopyFlatData[float32](v.MustValue())
		case v.Trainable:
			raw[v.Path()] = tensors.MustCopyFlatData[float32](v.MustValue())
		}
	}
	return raw, avg
}

// The averaged weights follow e_{n+1} = d_n e_n + (1 - d_n) w_{n+1} with
// d_n = min(d, n/(n + 10)), recomputed here on the host from the raw weights
// after every step.
func TestEMAFollowsTheRecursion(t *testing.T) {
	const decay = 0.8 // reached after 40 updates, so both the warm-up and the cap are exercised
	tr, pts := emaTrainer(t, decay)
	step, err := tr.DataStepper(pts, 32)
	if err != nil {
		t.Fatal(err)
	}
	rng := BatchRNG(1, 0)
	want := map[string][]float64{}
	for n := range 60 {
		if _, err := step(rng); err != nil {
			t.Fatal(err)
		}
		raw, avg := values(t, tr.Store())
		if len(avg) != len(raw) || len(raw) == 0 {
			t.Fatalf("step %d: %d averaged variables for %d trainable ones", n+1, len(avg), len(raw))
		}
		dn := math.Min(decay, float64(n)/float64(n+EMAWarmup))
		worst := 0.0
		for path, w := range raw {
			e := want[path]
			if e == nil {
				e = make([]float64, len(w))
				want[path] = e
			}
			got := avg[path]
			for i := range w {
				e[i] = dn*e[i] + (1-dn)*float64(w[i])
				// float32 arithmetic in the graph: relative error ~1e-7 per update, summed over 60 updates.
				worst = math.Max(worst, math.Abs(float64(got[i])-e[i])/(1e-3+math.Abs(e[i])))
			}
		}
		if worst > 1e-5 {
			t.Fatalf("step %d: averaged weights differ from the recursion by %.3g (relative)", n+1, worst)
		}
		if n == 0 {
			for path, w := range raw { // d_0 = 0: the first average is the weights themselves
				for i := range w {
					if avg[path][i] != w[i] {
						t.Fatalf("after the first step %s[%d] = %v, want the weight %v", path, i, avg[path][i], w[i])
					}
				}
			}
		}
	}
	cnt := tensors.ToScalar[float32](tr.Store().GetVariable(EMACountPath).MustValue())
	if cnt != 60 {
		t.Errorf("%s = %v after 60 steps", EMACountPath, cnt)
	}
}

func TestEMADecayValidation(t *testing.T) {
	for _, c := range []struct {
		decay float64
		ok    bool
	}{{0, true}, {0.999, true}, {-0.1, false}, {1, false}, {math.NaN(), false}, {math.Inf(1), false}} {
		cfg := Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{4}}), EMADecay: c.decay}
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("EMADecay = %v: Validate() = %v, want ok = %v", c.decay, err, c.ok)
		}
	}
}

// Averaged weights can be read once a step has run; the raw ones always.
// After one step the two are equal (d_0 = 0); after more they differ.
func TestEMAWeightsSelection(t *testing.T) {
	tr, pts := emaTrainer(t, 0.99)
	opts := ode.Options{Method: ode.Euler, Steps: 2}
	if _, err := tr.Sampler(opts); err == nil || !strings.Contains(err.Error(), "no averaged") {
		t.Fatalf("Sampler before training: error %v, want one saying there are no averaged weights", err)
	}
	if _, err := tr.SamplerWith(Raw, opts); err != nil {
		t.Fatalf("raw sampler before training: %v", err)
	}
	if _, err := tr.SamplerWith(Weights(7), opts); err == nil {
		t.Error("Weights(7) accepted")
	}
	x := [][]float64{{0.5, -1}, {1, 2}}
	if _, err := tr.Train(pts, 1, 32, 1); err != nil {
		t.Fatal(err)
	}
	maxDiff := func() float64 {
		a, err := tr.VelocityWith(Averaged, x, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		r, err := tr.VelocityWith(Raw, x, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		d := 0.0
		for i := range a {
			for j := range a[i] {
				d = math.Max(d, math.Abs(a[i][j]-r[i][j]))
			}
		}
		return d
	}
	if d := maxDiff(); d != 0 {
		t.Errorf("after one step the averaged and raw fields differ by %g; the first average is the weights", d)
	}
	if _, err := tr.Train(pts, 50, 32, 2); err != nil {
		t.Fatal(err)
	}
	// 50 Adam steps at lr 1e-3 move each weight by up to ~0.05; the average lags by several steps of that.
	if d := maxDiff(); !(d > 1e-4) {
		t.Errorf("after 51 steps the averaged and raw fields differ by only %g", d)
	}
	sol, err := tr.Sampler(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sol.SolvePoints(0, 1, x); err != nil {
		t.Fatal(err)
	}
}

// A checkpoint keeps the averaged weights and the update count: a run
// stopped at step 10 and resumed in a new store to step 15 ends with the
// same average as an uninterrupted 15-step run.
func TestEMAInCheckpoints(t *testing.T) {
	train := func(dir string, steps int64) *Trainer {
		tr, pts := emaTrainer(t, 0.9)
		run, err := Open(tr.Store(), dir, map[string]any{"ema": 0.9})
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Steps: steps, Batch: 32, Seed: 3, Progress: progress.Discard, Interval: -1}
		if err := run.Train(context.Background(), Steps(tr.DataStepper(pts, 32)), opts); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	resumedDir, wholeDir := t.TempDir(), t.TempDir()
	train(resumedDir, 10)
	resumed := train(resumedDir, 15)
	whole := train(wholeDir, 15)
	_, got := values(t, resumed.Store())
	_, want := values(t, whole.Store())
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("%d averaged variables after resuming, %d without", len(got), len(want))
	}
	for path, e := range want {
		for i := range e {
			if got[path][i] != e[i] {
				t.Fatalf("resumed %s[%d] = %v, uninterrupted %v", path, i, got[path][i], e[i])
			}
		}
	}
	if c := tensors.ToScalar[float32](resumed.Store().GetVariable(EMACountPath).MustValue()); c != 15 {
		t.Errorf("EMA count %v after resuming to step 15, want 15", c)
	}
}

func TestTimeLogitValidation(t *testing.T) {
	for _, c := range []struct {
		mean, std float64
		ok        bool
	}{{0, 0, true}, {0, 1, true}, {-0.5, 0.8, true}, {0, -1, false}, {math.NaN(), 1, false}, {0, math.Inf(1), false}} {
		cfg := Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{4}}), TimeLogitMean: c.mean, TimeLogitStd: c.std}
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("TimeLogitMean %v, TimeLogitStd %v: Validate() = %v, want ok = %v", c.mean, c.std, err, c.ok)
		}
	}
}

// With TimeLogitStd > 0 the training graph draws other times: from the same
// store seed and batch, the first step's loss differs from the uniform one's.
func TestLogitNormalTimesAreUsed(t *testing.T) {
	first := func(std float64) float64 {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(5); err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(backendForTest(t), store, Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{8}}), TimeLogitStd: std})
		if err != nil {
			t.Fatal(err)
		}
		pts, err := data.Moons(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		losses, err := tr.Train(pts, 1, 64, 1)
		if err != nil {
			t.Fatal(err)
		}
		return losses[0]
	}
	if u, l := first(0), first(1); u == l {
		t.Errorf("uniform and logit-normal times gave the same first loss %v", u)
	}
}
