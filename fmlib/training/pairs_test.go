package training

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/coupling"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func meanSqLen(x0, x1 [][]float64) float64 {
	s := 0.0
	for i := range x0 {
		s += math.Pow(x0[i][0]-x1[i][0], 2) + math.Pow(x0[i][1]-x1[i][1], 2)
	}
	return s / float64(len(x0))
}

func TestSamplers(t *testing.T) {
	data := twoGaussians(400, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	xi0, xi1, err := Coupled(data, coupling.Independent{})(rng, 256)
	if err != nil {
		t.Fatal(err)
	}
	xo0, xo1, err := Coupled(data, coupling.ExactOT{})(rng, 256)
	if err != nil {
		t.Fatal(err)
	}
	if len(xo0) != 256 || len(xo1) != 256 || len(xo0[0]) != 2 {
		t.Fatalf("OT batch %d x %d", len(xo0), len(xo0[0]))
	}
	// Independent pairs have E|x0 - x1|^2 = 2 + E|x1|^2 ~ 6.1 here; OT pairs are much
	// shorter (each noise point goes to the nearer blob): well under half.
	if li, lo := meanSqLen(xi0, xi1), meanSqLen(xo0, xo1); !(lo < 0.5*li) {
		t.Errorf("OT pairs mean squared length %.3f not well below independent %.3f", lo, li)
	}
	a := [][]float64{{0, 0}, {1, 1}}
	b := [][]float64{{5, 5}, {6, 6}}
	f0, f1, err := FixedPairs(a, b)(rng, 50)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f0 {
		if f1[i][0]-f0[i][0] != 5 { // only the given pairs can be drawn
			t.Fatalf("pair %v -> %v is not one of the given pairs", f0[i], f1[i])
		}
	}
	for _, c := range []struct {
		s    PairSampler
		want string
	}{
		{FixedPairs(a, b[:1]), "one target per noise point"},
		{Coupled(nil, coupling.Independent{}), "data"},
		{Coupled(data, nil), "coupling is nil"},
	} {
		if _, _, err := c.s(rng, 4); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", err, c.want)
		}
	}
}

func TestTrainPairsAndSample(t *testing.T) {
	data := twoGaussians(512, 3)
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(backendForTest(t), store, Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{64, 64}, TimeEmbedDim: 16}), LearningRate: 3e-3})
	if err != nil {
		t.Fatal(err)
	}
	sampleED := func() float64 {
		s, err := tr.Sampler(ode.Options{Method: ode.Midpoint, Steps: 20})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, 9))
		x0 := make([][]float64, 400)
		for i := range x0 {
			x0[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		}
		sol, err := s.SolvePoints(0, 1, x0)
		if err != nil {
			t.Fatal(err)
		}
		ed, err := metrics.EnergyDistance(sol.X, twoGaussians(400, 4))
		if err != nil {
			t.Fatal(err)
		}
		return ed
	}
	before := sampleED()
	losses, err := tr.TrainPairs(Coupled(data, coupling.ExactOT{}), 400, 128, 7)
	if err != nil {
		t.Fatal(err)
	}
	after := sampleED()
	t.Logf("energy distance to the data %.4f -> %.4f; loss %.3f -> %.3f", before, after, losses[0], losses[len(losses)-1])
	// Untrained samples sit near N(0, I) (energy distance ~1 to blobs at +-2); 400 OT-CFM
	// steps put them on the blobs. A factor 5 leaves room for seed-to-seed variation.
	if !(after < before/5) {
		t.Errorf("energy distance %.4f -> %.4f: sampling from the trained model did not approach the data", before, after)
	}
	if _, err := tr.TrainPairs(nil, 1, 1, 0); err == nil {
		t.Error("nil sampler accepted")
	}
}

// A DDPM "network" that predicts zero noise: its velocity on the VP path is
// the conversion of eps = 0, i.e. x1 = x/alpha_t and v = alpha'_t x1 = (alpha'_t/alpha_t) x.
func TestVelocityConverts(t *testing.T) {
	vp, err := probpath.New(schedule.VP{})
	if err != nil {
		t.Fatal(err)
	}
	zero := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.ZerosLike(x) }
	tr, err := NewTrainer(backendForTest(t), model.NewStore(), Config{Kind: objective.DDPM, Path: vp, Net: zero})
	if err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{1, -2}, {0.5, 3}}
	for _, tt := range []float64{0.3, 0.9} {
		v, err := tr.Velocity(x, tt)
		if err != nil {
			t.Fatal(err)
		}
		c := schedule.VP{}.At(tt)
		for i := range x {
			for j := range x[i] {
				want := c.DAlpha / c.Alpha * x[i][j]
				if d := math.Abs(v[i][j] - want); d > 1e-4*(1+math.Abs(want)) { // float32 graph arithmetic
					t.Errorf("t=%v x=%v: velocity %v, want %v", tt, x[i], v[i][j], want)
				}
			}
		}
	}
}
