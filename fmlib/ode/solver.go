package ode

import (
	"errors"
	"fmt"
	"math"
	"strings"
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

// ParseMethod returns the method named name, ignoring case: "euler",
// "midpoint", "heun", "rk4" or "dopri5" (the names String returns).
func ParseMethod(name string) (Method, error) {
	for m := Euler; m <= Dopri5; m++ {
		if strings.EqualFold(name, m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("ode: unknown method %q; use one of euler, midpoint, heun, rk4, dopri5", name)
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

// Defaults of the adaptive solver's guards (the controller's are in Controller).
const (
	// DefaultMaxSteps is the default Options.MaxSteps (attempted steps, accepted + rejected).
	DefaultMaxSteps = 10000
	// DefaultMinStepFraction: the default MinStep is DefaultMinStepFraction * |t1 - t0|.
	DefaultMinStepFraction = 1e-12

	// maxNonFinite consecutive attempts with a NaN/Inf error estimate (each
	// shrinking h by MinFactor) before Solve gives up with an error.
	maxNonFinite = 8
)

// Options configures a Solver. See the package documentation for the
// meaning. Zero values: MaxSteps 0 = DefaultMaxSteps, MinStep 0 =
// DefaultMinStepFraction*|t1-t0|, InitialStep 0 = automatic, Controller{} =
// the default PI controller; Steps and, for Dopri5, Atol and Rtol have no
// default.
type Options struct {
	Method      Method
	Steps       int     // fixed-step methods (>0)
	Atol, Rtol  float64 // Dopri5 (required, >0): the error norm's scale Atol + Rtol |x|
	MaxSteps    int     // Dopri5 guard on attempted steps, default DefaultMaxSteps
	MinStep     float64 // Dopri5 guard, default DefaultMinStepFraction*|t1-t0|
	InitialStep float64 // optional, 0 = automatic (Hairer's heuristic)
	// Controller chooses Dopri5's step sizes; the zero value is the
	// default PI controller. Fixed-step methods ignore it.
	Controller Controller
	// SaveTrajectory keeps the state at t0 and after every accepted step.
	SaveTrajectory bool
	// SaveAt keeps the state at exactly these times (Solution.Times equals
	// SaveAt): times within [t0, t1], strictly monotone in the direction of
	// integration, t0 and t1 allowed. Dopri5 shortens the step that would
	// pass a save time so that it lands on it. Fixed-step methods keep their
	// grid t0 + k (t1-t0)/Steps: a save time within 1e-9 of a step of an
	// inner grid point moves that point onto it, and a save time strictly
	// inside a grid step splits that step in two (one more step, Stats
	// counts it). Not together with SaveTrajectory.
	SaveAt []float64
}

// Stats counts the work of one Solve.
//
// NFE counts field evaluations as executed by the step graphs: fixed-step
// methods stages*Accepted, where Accepted is Steps plus one for every save
// time that splits a grid step (Options.SaveAt); Dopri5 1 (initial k1) + 1 (the probe evaluation of the
// automatic initial step; 0 when InitialStep is set) + 6 per attempted step
// (accepted or rejected; FSAL reuses the 7th stage).
type Stats struct{ NFE, Accepted, Rejected int }

// Solution of one Solve.
type Solution struct {
	X []*tensors.Tensor // state at t1
	// Times: with SaveTrajectory t0 and the end of every accepted step; with
	// SaveAt the save times.
	Times []float64
	// Trajectory is time-major: Trajectory[k] holds the state tensors at
	// Times[k]. A state at t0 is x0 itself; a state at t1 shares X's tensors.
	Trajectory [][]*tensors.Tensor
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

	// onStep, when set (by tests), sees every attempted Dopri5 step: its
	// start t, size h, error estimate e, whether it was accepted and the
	// next proposed step size.
	onStep func(t, h, e float64, accepted bool, hNext float64)
}

type execSet struct {
	step  executor // fixed step: (ts, h, x..., aux...) -> (x'..., nonFiniteCount)
	init  executor // (t, x..., aux...) -> (f..., d0, d1)
	probe executor // (t+h, h, x..., f0..., aux...) -> rms((f(t+h, x+h f0) - f0)/sc)
	trial executor // (ts, h, x..., k1..., aux...) -> (xNew..., k7..., errNorm)
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
		if opts.Controller, err = opts.Controller.Resolved(); err != nil {
			return nil, fmt.Errorf("ode.New: %w", err)
		}
	} else if opts.Steps <= 0 {
		return nil, fmt.Errorf("ode.New: %s is a fixed-step method and needs Steps > 0, got %d", opts.Method, opts.Steps)
	}
	if opts.SaveTrajectory && len(opts.SaveAt) > 0 {
		return nil, errors.New("ode.New: SaveTrajectory and SaveAt are both set; keep every step (SaveTrajectory) or the given times (SaveAt), not both")
	}
	opts.SaveAt = append([]float64(nil), opts.SaveAt...) // the caller may reuse its slice
	return &Solver{backend: backend, store: store, field: field, opts: opts, tableau: tb, execs: map[int]*execSet{}}, nil
}

// Options returns the options in use (with defaults filled in; SaveAt is a copy).
func (s *Solver) Options() Options {
	o := s.opts
	o.SaveAt = append([]float64(nil), o.SaveAt...)
	return o
}

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
	build := s.buildDopri5
	if s.opts.Method != Dopri5 {
		build = s.buildFixed
	}
	es, err := build(nx)
	if err != nil {
		return nil, err
	}
	s.execs[nx] = es
	return es, nil
}

// buildFixed returns the step graph of a fixed-step method:
// (ts, h, x..., aux...) -> (x + h sum_i b_i k_i ..., number of non-finite elements).
func (s *Solver) buildFixed(nx int) (*execSet, error) {
	tb := s.tableau
	step, err := s.newExec("step_"+tb.Name, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		ts, h, x, aux := in[0], in[1], in[2:2+nx], in[2+nx:]
		k, _ := s.rkStages(scope, tb.A, ts, h, x, nil, aux)
		out := make([]*graph.Node, nx+1)
		var bad *graph.Node
		for v := range nx {
			out[v] = combine(x[v], h, tb.B, column(k, v))
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
	return &execSet{step: step}, nil
}

// buildDopri5 returns Dopri5's graphs: init, the initial-step probe and the trial step.
func (s *Solver) buildDopri5(nx int) (*execSet, error) {
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
	es := &execSet{}
	var err error
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
		t1, h, x, f0, aux := in[0], in[1], in[2:2+nx], in[2+nx:2+2*nx], in[2+2*nx:]
		x1 := make([]*graph.Node, nx)
		for v := range nx {
			x1[v] = graph.Add(x[v], graph.Mul(f0[v], h))
		}
		f1 := s.callField(scope, x1, t1, aux)
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
		ts, h, x, k1, aux := in[0], in[1], in[2:2+nx], in[2+nx:2+2*nx], in[2+2*nx:]
		// All 7 rows of A: the 7th stage's input is the 5th-order solution
		// (its row is b) and its value is the next step's k1 (FSAL).
		k, xs := s.rkStages(scope, dopriA, ts, h, x, k1, aux)
		xNew := xs[6]
		errV := make([]*graph.Node, nx)
		for v := range nx {
			errV[v] = graph.Mul(weightedSum(dopriE, column(k, v)), h)
		}
		out := append(append([]*graph.Node{}, xNew...), k[6]...)
		return append(out, rmsNorm(errV, scaleOf(x, xNew)))
	})
	if err != nil {
		return nil, err
	}
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
	plan, err := s.opts.plan("ode.Solve", t0, t1)
	if err != nil {
		return nil, err
	}
	es, err := s.execsFor(len(x0))
	if err != nil {
		return nil, fmt.Errorf("ode.Solve: creating the step executors: %w", err)
	}
	if s.opts.Method == Dopri5 {
		return s.solveAdaptive(es, t0, t1, x0, aux, plan)
	}
	return s.solveFixed(es, t0, t1, x0, aux, plan)
}

func (s *Solver) solveFixed(es *execSet, t0, t1 float64, x0, aux []*tensors.Tensor, plan savePlan) (*Solution, error) {
	nx := len(x0)
	n := s.opts.Steps
	lo, hi := min(t0, t1), max(t0, t1)
	sol := &Solution{}
	if plan.start {
		sol.Times = append(sol.Times, t0)
		sol.Trajectory = append(sol.Trajectory, x0)
	}
	x, keepX := x0, true // x0 belongs to the caller
	segs := plan.segments(t0, t1, n)
	for _, seg := range segs {
		ts := tensors.FromValue(stageTimesF32(s.tableau.C, seg.t, seg.tEnd, lo, hi))
		args := append([]any{ts, scalarF32(seg.h)}, toAny(x, aux)...)
		out, err := es.step.Exec(args...)
		_ = ts.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("ode.Solve: %s step at t=%g (h=%g): %w", s.opts.Method, seg.t, seg.h, err)
		}
		xNew, bad := out[:nx], out[nx]
		nBad := tensors.ToScalar[float32](bad)
		_ = bad.FinalizeAll()
		if !keepX {
			finalize(x)
		}
		if nBad != 0 {
			finalize(xNew)
			return nil, fmt.Errorf("ode.Solve: %s: the state became NaN/Inf (%d elements) in the step from t=%g to t=%g; reduce the step size (Steps=%d) or check the field", s.opts.Method, int(nBad), seg.t, seg.tEnd, n)
		}
		x, keepX = xNew, seg.save
		if seg.save {
			sol.Times = append(sol.Times, seg.tEnd)
			sol.Trajectory = append(sol.Trajectory, x)
		}
	}
	sol.X = x
	sol.Stats = Stats{NFE: len(segs) * s.tableau.Stages(), Accepted: len(segs)}
	return sol, nil
}
