package recipe_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/internal/testbe"
)

// centreScorer is a ClassScorer for the 8 gaussians: the class of a point
// is its nearest centre, the "FID" the Fréchet distance of Gaussian fits to
// the points themselves.
type centreScorer struct{ calls int }

func (s *centreScorer) Predict(x [][]float64) ([]uint8, error) {
	out := make([]uint8, len(x))
	for i, p := range x {
		out[i] = uint8(nearestCentre(p))
	}
	return out, nil
}

func (s *centreScorer) FID(real, generated [][]float64) (float64, error) {
	s.calls++
	return metrics.Frechet(real, generated)
}

// TestSweepGuidance: on a short 8-gaussians conditional run, the sweep asks
// for the held-out points' labels, scores every scale on the same noise,
// finds the held-out points' own classes (accuracy 1 up to the tails of
// the components: 0.2-std components 2 sin(pi/8) = 0.77 apart, so a point
// crosses the midline with probability ~1e-4), more samples in their class
// with guidance than without, and leaves the model's condition as it was.
func TestSweepGuidance(t *testing.T) {
	m := trainedCond(t, 600)
	if err := m.SetCondition(guidance.Label(5, 1)); err != nil {
		t.Fatal(err)
	}
	s := &centreScorer{}
	const n = 400
	sw, err := m.SweepGuidance(s, n, []float64{0, 3}, ode.Options{Method: ode.Midpoint, Steps: 20})
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := m.HeldOutLabeled(2*n, 1)
	for i, y := range sw.Labels {
		if y != want[i] {
			t.Fatalf("label %d asked for is %d; the held-out point's is %d", i, y, want[i])
		}
	}
	if got := m.Condition(); got.String() != guidance.Label(5, 1).String() {
		t.Errorf("condition after the sweep: %v; want it restored to label 5, guidance 1", got)
	}
	if len(sw.Scores) != 2 || s.calls != 3 || len(sw.Scores[1].Samples) != n {
		t.Fatalf("%d scores, %d FIDs, %d samples; want 2 scores, 3 FIDs (floor and two scales), %d samples", len(sw.Scores), s.calls, len(sw.Scores[1].Samples), n)
	}
	a0, a3 := sw.Scores[0].Accuracy, sw.Scores[1].Accuracy
	t.Logf("held-out accuracy %.4f, floor %.4f; guidance 0: accuracy %.3f ± %.3f, FID %.4f; guidance 3: accuracy %.3f, FID %.4f",
		sw.HeldAccuracy, sw.Floor, a0, sw.Scores[0].AccuracySE, sw.Scores[0].FID, a3, sw.Scores[1].FID)
	if sw.HeldAccuracy < 0.995 {
		t.Errorf("held-out accuracy %.4f; the nearest centre names a held-out point's class except in the far tails", sw.HeldAccuracy)
	}
	// A 600-step 2x64 model puts 0.9-1.0 of a class's samples in it
	// (TestConditionalSampling); guidance 3 at least as many.
	if a0 < 0.8 || a3 < a0 {
		t.Errorf("accuracy %.3f at guidance 0, %.3f at 3; want >= 0.8, and no lower with guidance", a0, a3)
	}
	if se := math.Sqrt(a0 * (1 - a0) / n); math.Abs(sw.Scores[0].AccuracySE-se) > 1e-12 {
		t.Errorf("accuracy SE %g, want sqrt(a (1 - a) / n) = %g", sw.Scores[0].AccuracySE, se)
	}
	// Two samples of 400 points of one mixture: measured 0.04 (the class
	// proportions of the two sets differ; the samples, asked for the
	// reference's labels, have its proportions exactly and score lower).
	if !(sw.Floor > 0 && sw.Floor < 0.2) {
		t.Errorf("floor %g (held-out against held-out): want small and positive", sw.Floor)
	}

	for _, bad := range []struct {
		scales []float64
		n      int
		want   string
	}{
		{[]float64{-1}, 10, "scale -1"},
		{[]float64{math.NaN()}, 10, "scale NaN"},
		{nil, 10, "at least one"},
		{[]float64{0}, 0, "n >= 1"},
	} {
		if _, err := m.SweepGuidance(s, bad.n, bad.scales, ode.Options{Method: ode.Euler, Steps: 2}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("scales %v, n %d: error %v; want one containing %q", bad.scales, bad.n, err, bad.want)
		}
	}
	u, _ := recipe.Preset("8gaussians")
	um, err := recipe.Open(testbe.Go(t), u, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := um.SweepGuidance(s, 10, []float64{0}, ode.Options{Method: ode.Euler, Steps: 2}); err == nil || !strings.Contains(err.Error(), "unconditional") {
		t.Errorf("unconditional model: error %v", err)
	}
}
