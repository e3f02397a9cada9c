package ode

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gofm/gofm/internal/livevars"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Field returns dx/dt for every state tensor of a system, in the (x, t)
// order of fmlib's velocity contract (package vfield). scope is nil when the
// solver has no model store. aux are per-solve constant inputs (e.g.
// Hutchinson probes, dataset points), passed to every evaluation. t is a
// float32 scalar node (shape []). The returned slice must have one node per
// state tensor, with the same shape and dtype. Single turns a one-tensor
// velocity field (a vfield.Graph, e.g. a network) into a Field.
//
// The Go function is only called while a step graph is built (once per stage,
// per step kind and input shapes); it must describe the computation, not
// perform it. A step graph calls the field several times (once per stage);
// each call receives the same scope path with a fresh visited-set
// (Scope.ResetVisited), so a field may use scope.In("name") freely and every
// stage reads the same variables.
type Field func(scope *model.Scope, x []*graph.Node, t *graph.Node, aux []*graph.Node) []*graph.Node

// Single returns the Field of dx/dt = u(x, t) on one state tensor (no aux
// inputs): the way to hand a network or any vfield.Graph to a Solver.
func Single(u vfield.Graph) Field {
	return func(scope *model.Scope, x []*graph.Node, t *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{u(scope, x[0], t)}
	}
}

// Method selects the integrator.
type Method int

const (
	Euler Method = iota
	Midpoint
	Heun
	RK4
	Dopri5
)

// String returns the method's name.
func (m Method) String() string {
	switch m {
	case Euler:
		return "Euler"
	case Midpoint:
		return "Midpoint"
	case Heun:
		return "Heun"
	case RK4:
		return "RK4"
	case Dopri5:
		return "Dopri5"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Tableau returns the Butcher tableau of the method (for Dopri5, its
// 5th-order propagating part).
func (m Method) Tableau() (Tableau, error) {
	switch m {
	case Euler:
		return EulerTableau, nil
	case Midpoint:
		return MidpointTableau, nil
	case Heun:
		return HeunTableau, nil
	case RK4:
		return RK4Tableau, nil
	case Dopri5:
		return Dopri5Tableau, nil
	}
	return Tableau{}, fmt.Errorf("ode: unknown method %d; use ode.Euler, ode.Midpoint, ode.Heun, ode.RK4 or ode.Dopri5", int(m))
}

// Defaults of the adaptive solver.
const (
	// DefaultMaxSteps is the default Options.MaxSteps (attempted steps, accepted + rejected).
	DefaultMaxSteps = 10000
	// DefaultMinStepFraction: the default MinStep is DefaultMinStepFraction * |t1 - t0|.
	DefaultMinStepFraction = 1e-12

	// PI controller (Hairer, Norsett & Wanner, DOPRI5 code): after an accepted step
	// h_new = h * clamp(Safety * err^-PIAlpha * errPrev^PIBeta, MinFactor, MaxFactor);
	// after a rejected step h_new = h * max(MinFactor, Safety * err^-PIAlpha) (never grows).
	Safety    = 0.9
	PIAlpha   = 0.2 - 0.75*PIBeta // 0.17 = 1/5 - 0.75 beta
	PIBeta    = 0.04
	MinFactor = 0.2
	MaxFactor = 10.0
	// maxNonFinite consecutive attempts with a NaN/Inf error estimate (each
	// shrinking h by MinFactor) before Solve gives up with an error.
	maxNonFinite = 8
)

// Options configures a Solver. See the package documentation for the meaning.
type Options struct {
	Method      Method
	Steps       int     // fixed-step methods (>0)
	Atol, Rtol  float64 // Dopri5 (required, >0)
	MaxSteps    int     // Dopri5 guard on attempted steps, default DefaultMaxSteps
	MinStep     float64 // Dopri5 guard, default DefaultMinStepFraction*|t1-t0|
	InitialStep float64 // optional, 0 = automatic (Hairer's heuristic)
	// SaveTrajectory keeps the state after every accepted step.
	SaveTrajectory bool
}

// Stats counts the work of one Solve.
//
// NFE counts field evaluations as executed by the step graphs: fixed-step
// methods stages*Steps; Dopri5 1 (initial k1) + 1 (the probe evaluation of the
// automatic initial step; 0 when InitialStep is set) + 6 per attempted step
// (accepted or rejected; FSAL reuses the 7th stage).
type Stats struct{ NFE, Accepted, Rejected int }

// Solution of one Solve.
type Solution struct {
	X          []*tensors.Tensor   // state at t1
	Times      []float64           // with SaveTrajectory: t0 and the end of every accepted step
	Trajectory [][]*tensors.Tensor // Trajectory[i] = state at Times[i] (Trajectory[0] is x0 itself, the last entry shares X's tensors)
	Stats      Stats
}

// Solver integrates dx/dt = field(x, t) with compiled step graphs that are
// cached between steps and between Solve calls (one compilation per step
// kind, number of state tensors and input shapes). It is safe for concurrent
// Solve calls.
type Solver struct {
	backend compute.Backend
	store   *model.Store
	field   Field
	opts    Options
	tableau Tableau

	mu    sync.Mutex
	execs map[int]*execSet // keyed by the number of state tensors

	builds int // number of step-graph builds (for tests/diagnostics), guarded by mu
}

type execSet struct {
	step  executor // fixed step: (t, h, x..., aux...) -> (x'..., nonFiniteCount)
	init  executor // (t, x..., aux...) -> (f..., d0, d1)
	probe executor // (t, h, x..., f0..., aux...) -> rms((f(t+h, x+h f0) - f0)/sc)
	trial executor // (t, h, x..., k1..., aux...) -> (xNew..., k7..., errNorm)
}

// executor hides whether we use graph.Exec or model.Exec.
type executor interface {
	Exec(args ...any) ([]*tensors.Tensor, error)
}

// New validates the options and returns a Solver. store may be nil, in which
// case the field receives a nil scope.
func New(backend compute.Backend, store *model.Store, field Field, opts Options) (*Solver, error) {
	if backend == nil {
		return nil, errors.New("ode.New: backend is nil; pass e.g. backend.Must()")
	}
	if field == nil {
		return nil, errors.New("ode.New: field is nil")
	}
	tb, err := opts.Method.Tableau()
	if err != nil {
		return nil, err
	}
	if err := tb.validate(); err != nil {
		return nil, err
	}
	if opts.Method == Dopri5 {
		if !(opts.Atol > 0) || math.IsInf(opts.Atol, 0) || !(opts.Rtol > 0) || math.IsInf(opts.Rtol, 0) {
			return nil, fmt.Errorf("ode.New: Dopri5 needs finite Atol > 0 and Rtol > 0, got Atol=%g Rtol=%g (typical: 1e-5 each)", opts.Atol, opts.Rtol)
		}
		if opts.MaxSteps < 0 {
			return nil, fmt.Errorf("ode.New: MaxSteps=%d must be >= 0 (0 = default %d)", opts.MaxSteps, DefaultMaxSteps)
		}
		if opts.MaxSteps == 0 {
			opts.MaxSteps = DefaultMaxSteps
		}
		if opts.MinStep < 0 || math.IsNaN(opts.MinStep) || math.IsInf(opts.MinStep, 0) {
			return nil, fmt.Errorf("ode.New: MinStep=%g must be finite and >= 0 (0 = default %g*|t1-t0|)", opts.MinStep, DefaultMinStepFraction)
		}
		if opts.InitialStep < 0 || math.IsNaN(opts.InitialStep) || math.IsInf(opts.InitialStep, 0) {
			return nil, fmt.Errorf("ode.New: InitialStep=%g must be finite and >= 0 (0 = automatic); give its magnitude, the sign follows t1-t0", opts.InitialStep)
		}
	} else if opts.Steps <= 0 {
		return nil, fmt.Errorf("ode.New: %s is a fixed-step method and needs Steps > 0, got %d", opts.Method, opts.Steps)
	}
	return &Solver{backend: backend, store: store, field: field, opts: opts, tableau: tb, execs: map[int]*execSet{}}, nil
}

// Options returns the options in use (with defaults filled in).
func (s *Solver) Options() Options { return s.opts }

// GraphBuilds returns how many step graphs the solver has built so far (a
// new build happens for each step kind and new input shapes).
func (s *Solver) GraphBuilds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.builds
}

// callField evaluates the field in a graph and checks its output.
func (s *Solver) callField(scope *model.Scope, x []*graph.Node, t *graph.Node, aux []*graph.Node) []*graph.Node {
	if scope != nil {
		// Every evaluation is the same model: give each a fresh visited-set so
		// the field may call scope.In("name") in every stage of one graph.
		scope = scope.ResetVisited()
	}
	out := s.field(scope, x, t, aux)
	if len(out) != len(x) {
		panic(fmt.Sprintf("ode: field returned %d tensors for %d state tensors", len(out), len(x)))
	}
	for i := range out {
		if out[i] == nil {
			panic(fmt.Sprintf("ode: field returned nil for state tensor %d", i))
		}
		if !out[i].Shape().Equal(x[i].Shape()) {
			panic(fmt.Sprintf("ode: field output %d has shape %s, state tensor %d has shape %s", i, out[i].Shape(), i, x[i].Shape()))
		}
	}
	return out
}

// newExec wraps fn in model.NewExec (store present) or graph.NewExec.
func (s *Solver) newExec(name string, fn func(scope *model.Scope, in []*graph.Node) []*graph.Node) (executor, error) {
	counted := func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		s.mu.Lock()
		s.builds++
		s.mu.Unlock()
		if len(in) > 0 {
			livevars.Keep(scope, in[0]) // the field's weights as inputs: a solver outlives training steps
		}
		return fn(scope, in)
	}
	if s.store != nil {
		e, err := model.NewExec(s.backend, s.store, counted)
		if err != nil {
			return nil, err
		}
		return e.WithName("ode_" + name), nil
	}
	e, err := graph.NewExec(s.backend, func(in []*graph.Node) []*graph.Node { return counted(nil, in) })
	if err != nil {
		return nil, err
	}
	return e.WithName("ode_" + name), nil
}

// rmsNorm returns sqrt(mean over all elements of all tensors of (v/sc)^2).
func rmsNorm(v, sc []*graph.Node) *graph.Node {
	var sum *graph.Node
	n := 0
	for i := range v {
		q := graph.ReduceAllSum(graph.Square(graph.Div(v[i], sc[i])))
		n += v[i].Shape().Size()
		if sum == nil {
			sum = q
		} else {
			sum = graph.Add(sum, q)
		}
	}
	return graph.Sqrt(graph.MulScalar(sum, 1/float64(n)))
}

func (s *Solver) execsFor(nx int) (*execSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if es, ok := s.execs[nx]; ok {
		return es, nil
	}
	es := &execSet{}
	var err error
	atol, rtol := s.opts.Atol, s.opts.Rtol
	scaleOf := func(a, b []*graph.Node) []*graph.Node {
		sc := make([]*graph.Node, len(a))
		for i := range a {
			m := graph.Abs(a[i])
			if b != nil {
				m = graph.Max(m, graph.Abs(b[i]))
			}
			sc[i] = graph.AddScalar(graph.MulScalar(m, rtol), atol)
		}
		return sc
	}
	if s.opts.Method != Dopri5 {
		tb := s.tableau
		es.step, err = s.newExec("step_"+tb.Name, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			t, h, x, aux := in[0], in[1], in[2:2+nx], in[2+nx:]
			k := make([][]*graph.Node, tb.Stages())
			for i := range k {
				xi := x
				if i > 0 {
					xi = make([]*graph.Node, nx)
					for v := range nx {
						kv := make([]*graph.Node, i)
						for j := range i {
							kv[j] = k[j][v]
						}
						xi[v] = combine(x[v], h, tb.A[i], kv)
					}
				}
				k[i] = s.callField(scope, xi, stageTime(t, h, tb.C[i]), aux)
			}
			out := make([]*graph.Node, nx+1)
			var bad *graph.Node
			for v := range nx {
				kv := make([]*graph.Node, len(k))
				for j := range k {
					kv[j] = k[j][v]
				}
				out[v] = combine(x[v], h, tb.B, kv)
				c := graph.ReduceAllSum(graph.ConvertDType(graph.LogicalNot(graph.IsFinite(out[v])), dtypes.Float32))
				if bad == nil {
					bad = c
				} else {
					bad = graph.Add(bad, c)
				}
			}
			out[nx] = bad
			return out
		})
		if err != nil {
			return nil, err
		}
		s.execs[nx] = es
		return es, nil
	}
	es.init, err = s.newExec("dopri5_init", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		t, x, aux := in[0], in[1:1+nx], in[1+nx:]
		f := s.callField(scope, x, t, aux)
		sc := scaleOf(x, nil)
		return append(append([]*graph.Node{}, f...), rmsNorm(x, sc), rmsNorm(f, sc))
	})
	if err != nil {
		return nil, err
	}
	es.probe, err = s.newExec("dopri5_probe", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		t, h, x, f0, aux := in[0], in[1], in[2:2+nx], in[2+nx:2+2*nx], in[2+2*nx:]
		x1 := make([]*graph.Node, nx)
		for v := range nx {
			x1[v] = graph.Add(x[v], graph.Mul(f0[v], h))
		}
		f1 := s.callField(scope, x1, graph.Add(t, h), aux)
		d := make([]*graph.Node, nx)
		for v := range nx {
			d[v] = graph.Sub(f1[v], f0[v])
		}
		return []*graph.Node{rmsNorm(d, scaleOf(x, nil))}
	})
	if err != nil {
		return nil, err
	}
	es.trial, err = s.newExec("dopri5_trial", func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		t, h, x, k1, aux := in[0], in[1], in[2:2+nx], in[2+nx:2+2*nx], in[2+2*nx:]
		k := [][]*graph.Node{k1}
		var xNew []*graph.Node
		for i := 1; i < 7; i++ {
			xi := make([]*graph.Node, nx)
			for v := range nx {
				kv := make([]*graph.Node, i)
				for j := range i {
					kv[j] = k[j][v]
				}
				xi[v] = combine(x[v], h, dopriA[i], kv)
			}
			if i == 6 {
				xNew = xi // 5th-order solution (row 7 of A = b)
			}
			k = append(k, s.callField(scope, xi, stageTime(t, h, dopriC[i]), aux))
		}
		errV := make([]*graph.Node, nx)
		for v := range nx {
			kv := make([]*graph.Node, 7)
			for j := range 7 {
				kv[j] = k[j][v]
			}
			errV[v] = graph.Mul(weightedSum(dopriE, kv), h)
		}
		out := append(append([]*graph.Node{}, xNew...), k[6]...)
		return append(out, rmsNorm(errV, scaleOf(x, xNew)))
	})
	if err != nil {
		return nil, err
	}
	s.execs[nx] = es
	return es, nil
}

func scalarF32(v float64) *tensors.Tensor { return tensors.FromScalar(float32(v)) }

func toAny(groups ...[]*tensors.Tensor) []any {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	out := make([]any, 0, n+2)
	for _, g := range groups {
		for _, t := range g {
			out = append(out, t)
		}
	}
	return out
}

func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			_ = t.FinalizeAll()
		}
	}
}

// Solve integrates from t0 to t1 (t1 < t0 integrates backwards in time)
// starting at x0 (float32 tensors of any shapes). aux are passed unchanged to
// every field evaluation. The returned tensors are new; x0 and aux are not
// modified.
func (s *Solver) Solve(t0, t1 float64, x0 []*tensors.Tensor, aux ...*tensors.Tensor) (*Solution, error) {
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) {
		return nil, fmt.Errorf("ode.Solve: times must be finite, got t0=%g t1=%g", t0, t1)
	}
	if t0 == t1 {
		return nil, fmt.Errorf("ode.Solve: t0 == t1 == %g: nothing to integrate; give an interval with t1 != t0", t0)
	}
	if len(x0) == 0 {
		return nil, errors.New("ode.Solve: x0 is empty; give at least one state tensor")
	}
	for i, x := range x0 {
		if x == nil {
			return nil, fmt.Errorf("ode.Solve: x0[%d] is nil", i)
		}
		if x.DType() != dtypes.Float32 {
			return nil, fmt.Errorf("ode.Solve: x0[%d] has dtype %s, the solver needs float32 states", i, x.DType())
		}
		if x.Size() == 0 {
			return nil, fmt.Errorf("ode.Solve: x0[%d] has shape %s with no elements", i, x.Shape())
		}
	}
	for i, a := range aux {
		if a == nil {
			return nil, fmt.Errorf("ode.Solve: aux[%d] is nil", i)
		}
	}
	es, err := s.execsFor(len(x0))
	if err != nil {
		return nil, fmt.Errorf("ode.Solve: creating the step executors: %w", err)
	}
	if s.opts.Method == Dopri5 {
		return s.solveAdaptive(es, t0, t1, x0, aux)
	}
	return s.solveFixed(es, t0, t1, x0, aux)
}

func (s *Solver) solveFixed(es *execSet, t0, t1 float64, x0, aux []*tensors.Tensor) (*Solution, error) {
	n := s.opts.Steps
	h := (t1 - t0) / float64(n)
	nx := len(x0)
	sol := &Solution{}
	if s.opts.SaveTrajectory {
		sol.Times = append(sol.Times, t0)
		sol.Trajectory = append(sol.Trajectory, x0)
	}
	x := x0
	hT := scalarF32(h)
	for i := range n {
		t := t0 + float64(i)*h
		args := append([]any{scalarF32(t), hT}, toAny(x, aux)...)
		out, err := es.step.Exec(args...)
		if err != nil {
			return nil, fmt.Errorf("ode.Solve: %s step at t=%g (h=%g): %w", s.opts.Method, t, h, err)
		}
		xNew, bad := out[:nx], out[nx]
		nBad := tensors.ToScalar[float32](bad)
		_ = bad.FinalizeAll()
		tEnd := t0 + float64(i+1)*h
		if i == n-1 {
			tEnd = t1
		}
		if nBad != 0 {
			finalize(xNew)
			if i > 0 && !s.opts.SaveTrajectory {
				finalize(x)
			}
			return nil, fmt.Errorf("ode.Solve: %s: the state became NaN/Inf (%d elements) in the step from t=%g to t=%g; reduce the step size (Steps=%d) or check the field", s.opts.Method, int(nBad), t, tEnd, n)
		}
		if i > 0 && !s.opts.SaveTrajectory {
			finalize(x)
		}
		x = xNew
		if s.opts.SaveTrajectory {
			sol.Times = append(sol.Times, tEnd)
			sol.Trajectory = append(sol.Trajectory, x)
		}
	}
	sol.X = x
	sol.Stats = Stats{NFE: n * s.tableau.Stages(), Accepted: n}
	return sol, nil
}

func (s *Solver) solveAdaptive(es *execSet, t0, t1 float64, x0, aux []*tensors.Tensor) (*Solution, error) {
	nx := len(x0)
	dir := 1.0
	if t1 < t0 {
		dir = -1
	}
	span := math.Abs(t1 - t0)
	minStep := s.opts.MinStep
	if minStep == 0 {
		minStep = DefaultMinStepFraction * span
	}
	sol := &Solution{}
	st := &sol.Stats

	// k1 = f(t0, x0) plus the norms for the initial-step heuristic.
	out, err := es.init.Exec(append([]any{scalarF32(t0)}, toAny(x0, aux)...)...)
	if err != nil {
		return nil, fmt.Errorf("ode.Solve: Dopri5 first field evaluation at t=%g: %w", t0, err)
	}
	st.NFE++
	k1 := out[:nx]
	d0 := float64(tensors.ToScalar[float32](out[nx]))
	d1 := float64(tensors.ToScalar[float32](out[nx+1]))
	finalize(out[nx:])
	if math.IsNaN(d0) || math.IsInf(d0, 0) {
		finalize(k1)
		return nil, fmt.Errorf("ode.Solve: the initial state x0 contains NaN/Inf (at t=%g)", t0)
	}
	if math.IsNaN(d1) || math.IsInf(d1, 0) {
		finalize(k1)
		return nil, fmt.Errorf("ode.Solve: the field is NaN/Inf at the initial state (t=%g)", t0)
	}

	h := s.opts.InitialStep
	if h == 0 {
		// Hairer, Norsett & Wanner (1993), II.4: h0 from |x0| and |f0|, then
		// h1 from a second-derivative estimate; take min(100 h0, h1).
		h0 := 1e-6
		if d0 >= 1e-5 && d1 >= 1e-5 {
			h0 = 0.01 * d0 / d1
		}
		h0 = math.Min(h0, span)
		pout, err := es.probe.Exec(append([]any{scalarF32(t0), scalarF32(dir * h0)}, toAny(x0, k1, aux)...)...)
		if err != nil {
			finalize(k1)
			return nil, fmt.Errorf("ode.Solve: Dopri5 initial-step probe at t=%g: %w", t0, err)
		}
		st.NFE++
		d2 := float64(tensors.ToScalar[float32](pout[0])) / h0
		finalize(pout)
		var h1 float64
		m := math.Max(d1, d2)
		if math.IsNaN(m) || math.IsInf(m, 0) {
			h1 = h0 // fall back; the step loop shrinks h on NaN/Inf
		} else if m <= 1e-15 {
			h1 = math.Max(1e-6, h0*1e-3)
		} else {
			h1 = math.Pow(0.01/m, 1.0/5)
		}
		h = math.Min(100*h0, h1)
	}
	h = math.Min(h, span)
	h = math.Max(h, minStep)

	if s.opts.SaveTrajectory {
		sol.Times = append(sol.Times, t0)
		sol.Trajectory = append(sol.Trajectory, x0)
	}
	x := x0
	ownX := false // x0 belongs to the caller
	t := t0
	errPrev := 1e-4
	nonFinite := 0
	sawNonFinite, nonFiniteT := false, 0.0 // for the MinStep message
	for {
		if st.Accepted+st.Rejected >= s.opts.MaxSteps {
			finalize(k1)
			if ownX && !s.opts.SaveTrajectory {
				finalize(x)
			}
			return nil, fmt.Errorf("ode.Solve: Dopri5 reached MaxSteps=%d (accepted %d, rejected %d) at t=%g of [%g, %g]; the problem may be stiff or the tolerances (Atol=%g, Rtol=%g) too tight: raise MaxSteps or loosen the tolerances",
				s.opts.MaxSteps, st.Accepted, st.Rejected, t, t0, t1, s.opts.Atol, s.opts.Rtol)
		}
		remaining := math.Abs(t1 - t)
		last := false
		hh := h
		// Land exactly on t1; also absorb a last sliver shorter than 1% of h.
		if hh >= remaining*(1-1e-9) || remaining-hh < 0.01*hh {
			hh, last = remaining, true
		}
		tout, err := es.trial.Exec(append([]any{scalarF32(t), scalarF32(dir * hh)}, toAny(x, k1, aux)...)...)
		if err != nil {
			finalize(k1)
			return nil, fmt.Errorf("ode.Solve: Dopri5 step at t=%g (h=%g): %w", t, dir*hh, err)
		}
		st.NFE += 6
		xNew, k7 := tout[:nx], tout[nx:2*nx]
		e := float64(tensors.ToScalar[float32](tout[2*nx]))
		_ = tout[2*nx].FinalizeAll()
		if math.IsNaN(e) || math.IsInf(e, 0) {
			finalize(xNew)
			finalize(k7)
			st.Rejected++
			nonFinite++
			sawNonFinite, nonFiniteT = true, t
			if nonFinite >= maxNonFinite {
				finalize(k1)
				return nil, fmt.Errorf("ode.Solve: Dopri5: the state/error estimate became NaN/Inf in the step from t=%g (h=%g), %d times in a row while shrinking h; check the field for NaN/Inf near t=%g", t, dir*hh, nonFinite, t)
			}
			h = hh * MinFactor
			if h < minStep {
				finalize(k1)
				return nil, fmt.Errorf("ode.Solve: Dopri5: the state/error estimate became NaN/Inf in a step from t=%g and the step size fell below MinStep=%g; check the field for NaN/Inf near t=%g", t, minStep, t)
			}
			continue
		}
		nonFinite = 0
		if e <= 1 {
			st.Accepted++
			if ownX && !s.opts.SaveTrajectory {
				finalize(x)
			}
			finalize(k1)
			x, k1, ownX = xNew, k7, true
			if last {
				t = t1
			} else {
				t += dir * hh
			}
			if s.opts.SaveTrajectory {
				sol.Times = append(sol.Times, t)
				sol.Trajectory = append(sol.Trajectory, x)
			}
			if last {
				break
			}
			fac := MaxFactor
			if e > 0 {
				fac = Safety * math.Pow(e, -PIAlpha) * math.Pow(errPrev, PIBeta)
			}
			fac = math.Min(MaxFactor, math.Max(MinFactor, fac))
			errPrev = math.Max(e, 1e-4)
			h = hh * fac
		} else {
			st.Rejected++
			finalize(xNew)
			finalize(k7)
			fac := math.Max(MinFactor, Safety*math.Pow(e, -PIAlpha))
			h = hh * math.Min(1, fac)
		}
		if h < minStep {
			finalize(k1)
			if sawNonFinite {
				return nil, fmt.Errorf("ode.Solve: Dopri5 step size %g fell below MinStep=%g at t=%g after the state/error estimate became NaN/Inf in a step from t=%g; check the field for NaN/Inf there", h, minStep, t, nonFiniteT)
			}
			return nil, fmt.Errorf("ode.Solve: Dopri5 step size %g fell below MinStep=%g at t=%g; the problem may be stiff or singular there, or the tolerances (Atol=%g, Rtol=%g) too tight", h, minStep, t, s.opts.Atol, s.opts.Rtol)
		}
	}
	finalize(k1)
	sol.X = x
	return sol, nil
}
