package likelihood

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Method selects how the divergence is computed.
type Method int

const (
	// Exact sums D diagonal entries of the Jacobian, one gradient each.
	Exact Method = iota
	// Hutchinson estimates the trace with random probes.
	Hutchinson
)

func (m Method) String() string {
	switch m {
	case Exact:
		return "exact"
	case Hutchinson:
		return "Hutchinson"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Probe is the distribution of Hutchinson's probe vectors.
type Probe int

const (
	Rademacher Probe = iota // entries +1 or -1 with equal probability
	Gaussian                // entries N(0, 1)
)

func (p Probe) String() string {
	switch p {
	case Rademacher:
		return "Rademacher"
	case Gaussian:
		return "Gaussian"
	}
	return fmt.Sprintf("Probe(%d)", int(p))
}

const (
	// DefaultTol is the Atol and Rtol of the default solver (Dopri5), the
	// tolerance of the paper's likelihood evaluations.
	DefaultTol = 1e-5
	// MaxExactDim bounds D for the exact divergence: its graph holds one
	// backward pass per dimension. Use Hutchinson above it.
	MaxExactDim = 256
)

// Options configures an Estimator. The zero value is the exact divergence
// with Dopri5 at atol = rtol = DefaultTol.
type Options struct {
	Method Method
	Probe  Probe  // Hutchinson only
	Probes int    // Hutchinson only: probe vectors per point, averaged; 0 means 1
	Seed   uint64 // Hutchinson only: seed of the probes; each call draws new ones from this stream
	// Solver integrates the augmented ODE; the zero value means Dopri5 with
	// Atol = Rtol = DefaultTol. SaveTrajectory and SaveAt are ignored.
	Solver ode.Options
	// T0 and T1 bound the integration: the data sit at T1 and the standard
	// normal base at T0. Both zero mean [0, 1]. Diffusion-trained models
	// need [eps, 1-eps] because their velocity divides by sigma_t or
	// alpha_t, which vanish at the ends of the VP path.
	T0, T1 float64
}

// Result holds per-point results of one LogProb call.
type Result struct {
	LogP      []float64   // log p_1(x_1)
	LogP0     []float64   // log p_0(x_0) of the start point of each trajectory
	DeltaLogP []float64   // log p_1(x_1) - log p_0(x_0) = -\int_0^1 div u_t dt
	X0        [][]float64 // the start points x_0 (rows flattened to D values)
	Stats     ode.Stats
}

// Estimator computes log-densities of one flow. Create it with New; it is not
// safe for concurrent calls (the probe stream is shared).
type Estimator struct {
	opts   Options
	solver *ode.Solver
	rng    *rand.Rand
}

// New returns an Estimator for the flow of v. store may be nil when v reads no
// variables.
func New(backend compute.Backend, store *model.Store, v vfield.Graph, opts Options) (*Estimator, error) {
	if v == nil {
		return nil, fmt.Errorf("likelihood.New: the velocity function is nil")
	}
	switch opts.Method {
	case Exact:
	case Hutchinson:
		if opts.Probe != Rademacher && opts.Probe != Gaussian {
			return nil, fmt.Errorf("likelihood.New: unknown probe distribution %d; use likelihood.Rademacher or likelihood.Gaussian", int(opts.Probe))
		}
		if opts.Probes < 0 {
			return nil, fmt.Errorf("likelihood.New: Probes = %d; give a positive number of probe vectors (0 means 1)", opts.Probes)
		}
		if opts.Probes == 0 {
			opts.Probes = 1
		}
	default:
		return nil, fmt.Errorf("likelihood.New: unknown method %d; use likelihood.Exact or likelihood.Hutchinson", int(opts.Method))
	}
	// Only the end states are used: drop the save options (then a zero
	// value is the default solver).
	opts.Solver.SaveTrajectory, opts.Solver.SaveAt = false, nil
	if reflect.DeepEqual(opts.Solver, ode.Options{}) {
		opts.Solver = ode.Options{Method: ode.Dopri5, Atol: DefaultTol, Rtol: DefaultTol}
	}
	if opts.T0 != 0 || opts.T1 != 0 {
		if !(opts.T0 >= 0 && opts.T0 < opts.T1 && opts.T1 <= 1) {
			return nil, fmt.Errorf("likelihood.New: T0 = %g, T1 = %g; need 0 <= T0 < T1 <= 1 (both 0 mean [0, 1])", opts.T0, opts.T1)
		}
	}
	e := &Estimator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x11e1))}
	field := func(scope *model.Scope, s []*graph.Node, t *graph.Node, aux []*graph.Node) []*graph.Node {
		x := s[0]
		u := v(scope, x, t)
		if !u.Shape().Equal(x.Shape()) {
			panic(fmt.Sprintf("likelihood: the velocity returned shape %s for x of shape %s; it must return x's shape", u.Shape(), x.Shape()))
		}
		if opts.Method == Exact {
			return []*graph.Node{u, ExactDivergence(u, x)}
		}
		return []*graph.Node{u, HutchinsonDivergence(u, x, aux[0])}
	}
	solver, err := ode.New(backend, store, field, opts.Solver)
	if err != nil {
		return nil, fmt.Errorf("likelihood.New: %w", err)
	}
	e.solver = solver
	return e, nil
}

// rowsDim returns N and D = product of the other dimensions of x.
func rowsDim(x *graph.Node) (n, d int) {
	dims := x.Shape().Dimensions
	d = 1
	for _, v := range dims[1:] {
		d *= v
	}
	return dims[0], d
}

// ExactDivergence returns div u = sum_i d u_i / d x_i per row, shape [N], for
// u and x of shape [N, ...] (inner dimensions flattened to D): one reverse-mode
// gradient per dimension. Rows must not interact (true of per-point networks).
func ExactDivergence(u, x *graph.Node) *graph.Node {
	n, d := rowsDim(x)
	uf := graph.Reshape(u, n, d)
	var div *graph.Node
	for i := range d {
		ui := graph.ReduceAllSum(graph.Slice(uf, graph.AxisRange(), graph.AxisElem(i)))
		gi := graph.Reshape(graph.Gradient(ui, x)[0], n, d)
		col := graph.Reshape(graph.Slice(gi, graph.AxisRange(), graph.AxisElem(i)), n)
		if div == nil {
			div = col
		} else {
			div = graph.Add(div, col)
		}
	}
	return div
}

// HutchinsonDivergence returns the mean over the K probes eps[k] (eps has
// shape [K, N, ...], x and u shape [N, ...]) of eps_k^T (du/dx) eps_k per row,
// shape [N]: one vector-Jacobian product per probe.
func HutchinsonDivergence(u, x, eps *graph.Node) *graph.Node {
	n, d := rowsDim(x)
	k := eps.Shape().Dimensions[0]
	var sum *graph.Node
	for j := range k {
		ej := graph.Reshape(graph.Slice(eps, graph.AxisElem(j)), x.Shape().Dimensions...)
		vjp := graph.Gradient(graph.ReduceAllSum(graph.Mul(u, ej)), x)[0]
		est := graph.ReduceSum(graph.Reshape(graph.Mul(vjp, ej), n, d), 1)
		if sum == nil {
			sum = est
		} else {
			sum = graph.Add(sum, est)
		}
	}
	return graph.DivScalar(sum, float64(k))
}

// LogProbPoints is LogProb for a host point set of N rows of dimension D.
func (e *Estimator) LogProbPoints(x [][]float64) (*Result, error) {
	t, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("likelihood.LogProbPoints: %w", err)
	}
	defer t.FinalizeAll()
	return e.LogProb(t)
}

// LogProb returns log p_1(x) for every row of x, a float32 tensor of shape
// [N, ...] (points [N, D] or images [N, C, H, W]: the velocity sees this
// shape).
func (e *Estimator) LogProb(x *tensors.Tensor) (*Result, error) {
	if x == nil {
		return nil, fmt.Errorf("likelihood.LogProb: x is nil")
	}
	s := x.Shape()
	if s.Rank() < 2 {
		return nil, fmt.Errorf("likelihood.LogProb: x has shape %s; give a batch of shape [N, D] or [N, ...] (rank >= 2)", s)
	}
	if s.DType != dtypes.Float32 {
		return nil, fmt.Errorf("likelihood.LogProb: x has dtype %s; the solver works in float32", s.DType)
	}
	// An empty batch is an error rather than an empty Result: the solver
	// cannot step a zero-sized state, and an empty batch almost always means
	// the caller's data loading or slicing went wrong.
	n, d := s.Dimensions[0], 1
	for _, v := range s.Dimensions[1:] {
		d *= v
	}
	if n == 0 {
		return nil, fmt.Errorf("likelihood.LogProb: x has shape %s: no points; give at least one row", s)
	}
	if d == 0 {
		return nil, fmt.Errorf("likelihood.LogProb: x has shape %s: the rows have no coordinates; give rows of dimension D >= 1", s)
	}
	if e.opts.Method == Exact && d > MaxExactDim {
		return nil, fmt.Errorf("likelihood.LogProb: exact divergence in dimension %d needs %d backward passes per evaluation (limit %d); use Options{Method: likelihood.Hutchinson}", d, d, MaxExactDim)
	}
	var bad error
	tensors.MustConstFlatData[float32](x, func(flat []float32) {
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = fmt.Errorf("likelihood.LogProb: point %d has a non-finite coordinate (%v)", i/d, v)
				return
			}
		}
	})
	if bad != nil {
		return nil, bad
	}
	l0 := tensors.FromFlatDataAndDimensions(make([]float32, n), n)
	defer l0.FinalizeAll()
	var aux []*tensors.Tensor
	if e.opts.Method == Hutchinson {
		eps := e.probes(e.opts.Probes, s.Dimensions)
		defer eps.FinalizeAll()
		aux = append(aux, eps)
	}
	t0, t1 := e.opts.T0, e.opts.T1
	if t0 == 0 && t1 == 0 {
		t1 = 1
	}
	sol, err := e.solver.Solve(t1, t0, []*tensors.Tensor{x, l0}, aux...)
	if err != nil {
		return nil, fmt.Errorf("likelihood: solving the flow backwards from t = %g to %g: %w", t1, t0, err)
	}
	defer func() {
		for _, t := range sol.X {
			_ = t.FinalizeAll()
		}
	}()
	x0, err := tensors.CopyFlatData[float32](sol.X[0])
	if err != nil {
		return nil, err
	}
	delta, err := tensors.CopyFlatData[float32](sol.X[1])
	if err != nil {
		return nil, err
	}
	r := &Result{LogP: make([]float64, n), LogP0: make([]float64, n), DeltaLogP: make([]float64, n), X0: make([][]float64, n), Stats: sol.Stats}
	for i := range n {
		row := make([]float64, d)
		sq := 0.0
		for j := range d {
			row[j] = float64(x0[i*d+j])
			sq += row[j] * row[j]
		}
		r.X0[i] = row
		r.LogP0[i] = StdNormalLogPdf(d, sq)
		r.DeltaLogP[i] = float64(delta[i])
		r.LogP[i] = r.LogP0[i] + r.DeltaLogP[i]
	}
	return r, nil
}

// StdNormalLogPdf returns log N(x; 0, I) in dimension d given |x|^2.
func StdNormalLogPdf(d int, sqNorm float64) float64 {
	return -0.5 * (float64(d)*math.Log(2*math.Pi) + sqNorm)
}

// probes draws k probe vectors for a batch of the given shape: [k, dims...].
func (e *Estimator) probes(k int, dims []int) *tensors.Tensor {
	size := k
	for _, v := range dims {
		size *= v
	}
	flat := make([]float32, size)
	for i := range flat {
		if e.opts.Probe == Gaussian {
			flat[i] = float32(e.rng.NormFloat64())
		} else if e.rng.Uint64()&1 == 0 {
			flat[i] = 1
		} else {
			flat[i] = -1
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, append([]int{k}, dims...)...)
}
