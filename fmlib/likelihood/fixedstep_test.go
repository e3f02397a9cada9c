package likelihood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofm/gofm/fmlib/fields"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func TestFixedStepLogProb(t *testing.T) {
	tanh := fields.TanhField{Rate: 1.5}
	spiral := fields.Spiral{Decay: 0.3, Omega: 1}
	cases := []struct {
		name  string
		v     vfield.Graph
		d     int
		tb    ode.Tableau
		steps int
		want  func(y []float64) float64
		// tol: max |log p_1 - closed form| in nats, with its reason.
		tol float64
	}{
		// RK4 with h = 0.05 on a smooth field: O(h^4) ~ 1e-5 times
		// derivatives of order 1, plus float32 rounding over 80 stages.
		{"gaussian path, RK4 20 steps", gaussianPathVelocity, 2, ode.RK4Tableau, 20, gaussianLogPdf, 1e-4},
		{"tanh field, RK4 20 steps", tanh.Velocity, 1, ode.RK4Tableau, 20,
			func(y []float64) float64 { return tanh.PushedLogDensity(y[0], 1) }, 1e-4},
		// Constant divergence -2a and a linear field: RK4 is exact to
		// (ah)^5/120 per step, so only float32 rounding remains.
		{"spiral, RK4 20 steps", spiral.Field(), 2, ode.RK4Tableau, 20,
			func(y []float64) float64 {
				a := spiral.Decay
				return -math.Log(2*math.Pi) + 2*a - 0.5*math.Exp(2*a)*(y[0]*y[0]+y[1]*y[1])
			}, 1e-4},
		// Euler is first order: the error is ~ h times the field's second
		// derivatives, ~0.05 nats here; 0.3 bounds it, and the case shows the
		// function takes any tableau.
		{"gaussian path, Euler 20 steps", gaussianPathVelocity, 2, ode.EulerTableau, 20, gaussianLogPdf, 0.3},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y := make([][]float64, 64)
			for i := range y {
				y[i] = make([]float64, c.d)
				for j := range y[i] {
					y[i][j] = 1.5 * r.NormFloat64()
				}
			}
			exec, err := graph.NewExec(be(t), func(x *graph.Node) *graph.Node {
				return FixedStepLogProb(nil, c.v, x, c.tb, c.steps)
			})
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
			lp := tensors.MustCopyFlatData[float32](out)
			worst := 0.0
			for i := range y {
				worst = math.Max(worst, math.Abs(float64(lp[i])-c.want(y[i])))
			}
			if worst > c.tol {
				t.Errorf("max |log p_1 - closed form| = %.3g, want <= %.3g", worst, c.tol)
			}
		})
	}
}

// TestFixedStepLogProbGradient differentiates through the solve: for
// u(x) = theta x in D = 2, x_1 = e^theta x_0 and
// log p_1(y) = log N(e^-theta y; 0, I) - 2 theta, so
// d/dtheta mean log p_1 = mean(e^-2theta |y|^2) - 2. RK4 with h = 0.05 and
// theta h = 0.025 is exact to ~(theta h)^5 per step; float32 rounding of the
// gradient through 80 stages: 1e-3 (relative to values of order 1).
func TestFixedStepLogProbGradient(t *testing.T) {
	const theta = 0.5
	r := rand.New(rand.NewPCG(3, 4))
	y := make([][]float64, 128)
	want := -2.0
	for i := range y {
		y[i] = []float64{r.NormFloat64(), r.NormFloat64()}
		want += math.Exp(-2*theta) * (y[i][0]*y[i][0] + y[i][1]*y[i][1]) / float64(len(y))
	}
	exec, err := graph.NewExec(be(t), func(x, th *graph.Node) *graph.Node {
		v := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.Mul(x, th) }
		mean := graph.ReduceAllMean(FixedStepLogProb(nil, v, x, ode.RK4Tableau, 20))
		return graph.Gradient(mean, th)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	yt, err := points.ToTensor(y)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(yt, float32(theta))
	if err != nil {
		t.Fatal(err)
	}
	got := float64(tensors.ToScalar[float32](out))
	if math.Abs(got-want) > 1e-3 {
		t.Errorf("d/dtheta mean log p_1 = %.6f, closed form %.6f", got, want)
	}
}

// TestFixedStepLogProbTrains fits a small MLP field by maximum likelihood
// (loss -mean log p_1, backpropagated through the solve and the divergence)
// to N(0, 0.5^2 I): the NLL must fall. The target's entropy is
// log(2 pi e 0.25) = 1.45 nats; a near-zero field leaves N(0, I), whose NLL
// on this data is log(2 pi) + E|y|^2 / 2 = 2.09, so there are about 0.6 nats
// to gain. 40 Adam steps at 1e-2 must gain at least 0.2 (the batch is fixed,
// so there is no batch noise in the comparison).
func TestFixedStepLogProbTrains(t *testing.T) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	cfg := models.MLPConfig{Hidden: []int{16}, TimeEmbedDim: 4, PlainOps: true} // differentiated twice
	v := func(s *model.Scope, x, tt *graph.Node) *graph.Node { return models.MLP(s.At("v"), x, tt, cfg) }
	tr := train.NewTrainer(be(t), store, func(scope *model.Scope, in []*graph.Node) {
		train.AddMainLoss(graph.Neg(graph.ReduceAllMean(FixedStepLogProb(scope, v, in[0], ode.MidpointTableau, 4))))
	}, nil, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	r := rand.New(rand.NewPCG(6, 7))
	y := make([][]float64, 256)
	for i := range y {
		y[i] = []float64{0.5 * r.NormFloat64(), 0.5 * r.NormFloat64()}
	}
	var first, last float64
	for k := range 40 {
		yt, err := points.ToTensor(y)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.TrainStep(train.Batch{Inputs: []*tensors.Tensor{yt}})
		if err != nil {
			t.Fatal(err)
		}
		loss := float64(tensors.ToScalar[float32](m[0]))
		if math.IsNaN(loss) {
			t.Fatalf("step %d: NaN loss", k)
		}
		if k == 0 {
			first = loss
		}
		last = loss
	}
	if first-last < 0.2 {
		t.Errorf("NLL %.3f -> %.3f after 40 steps; want a drop of at least 0.2 nats", first, last)
	}
}
