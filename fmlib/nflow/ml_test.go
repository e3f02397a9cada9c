package nflow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func TestFlowNLL(t *testing.T) {
	cases := []struct {
		name            string
		d, layers, seed int
		// tol: |NLL - mean of -FlowLogProb| relative to max(1, |NLL|). The
		// same float32 computation, averaged in a different order: a few
		// float32 roundings (6e-8 each) of the mean.
		tol float64
	}{
		{"2D, 3 random layers", 2, 3, 1, 1e-6},
		{"4D, 4 random layers", 4, 4, 2, 1e-6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Alternating(c.d, c.layers, Coupling{Hidden: []int{16}, InitStd: 0.4})
			if err != nil {
				t.Fatal(err)
			}
			store := seededStore(t, int64(c.seed))
			y := gaussianPoints(rand.New(rand.NewPCG(uint64(c.seed), 1)), 200, c.d, 1.5)
			inv, err := NewRunner(be(t), store, f.Inverse)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := FlowLogProb(inv, y)
			if err != nil {
				t.Fatal(err)
			}
			want := 0.0
			for _, v := range lp {
				want -= v / float64(len(lp))
			}
			exec, err := model.NewExec(be(t), store, func(scope *model.Scope, x *graph.Node) *graph.Node { return f.NLL(scope, x) })
			if err != nil {
				t.Fatal(err)
			}
			yt, err := points.ToTensor(y)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Call1(yt)
			if err != nil {
				t.Fatal(err)
			}
			if got := float64(tensors.ToScalar[float32](out)); math.Abs(got-want) > c.tol*math.Max(1, math.Abs(want)) {
				t.Errorf("NLL = %.6f, -mean FlowLogProb = %.6f", got, want)
			}
		})
	}
}

// TestModelFnTrains fits a flow by maximum likelihood to the Gaussian
// N((1, -0.5), diag(0.5^2, 2^2)), which affine couplings represent exactly
// (constant scales and shifts). The held-out NLL must approach its entropy
// log(2 pi e) + log(0.5 * 2) = 2.838 nats: within 0.1, which covers the
// held-out standard error (~0.7/sqrt(2000) = 0.016) and an imperfect fit
// after 300 steps, while the untrained flow is off by far more.
func TestModelFnTrains(t *testing.T) {
	f, err := Alternating(2, 4, Coupling{Hidden: []int{16}})
	if err != nil {
		t.Fatal(err)
	}
	store := seededStore(t, 3)
	tr := train.NewTrainer(be(t), store, f.ModelFn(), nil, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	r := rand.New(rand.NewPCG(4, 5))
	draw := func(n int) [][]float64 {
		y := make([][]float64, n)
		for i := range y {
			y[i] = []float64{1 + 0.5*r.NormFloat64(), -0.5 + 2*r.NormFloat64()}
		}
		return y
	}
	for range 300 {
		yt, err := points.ToTensor(draw(256))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainStep(train.Batch{Inputs: []*tensors.Tensor{yt}}); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := NewRunner(be(t), store, f.Inverse)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := FlowLogProb(inv, draw(2000))
	if err != nil {
		t.Fatal(err)
	}
	nll := 0.0
	for _, v := range lp {
		nll -= v / float64(len(lp))
	}
	entropy := math.Log(2*math.Pi*math.E) + math.Log(0.5*2)
	if math.Abs(nll-entropy) > 0.1 {
		t.Errorf("held-out NLL %.3f, entropy %.3f: want within 0.1 nats", nll, entropy)
	}
}
