package ode

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/verify"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func be(t testing.TB) compute.Backend { return testbe.Go(t) }

func flat(t testing.TB, x *tensors.Tensor) []float64 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(v))
	for i := range v {
		out[i] = float64(v[i])
	}
	return out
}

// Linear test problem dx/dt = A x with A = [[-d, -w], [w, -d]] (rotation at
// angular speed w with decay d), states stored as rows of an [N, 2] tensor.
// Exact: x(t) = e^{-d t} R(w t) x(0).
const (
	decayD = 0.1
	omegaW = 1.0
)

func linearField(_ *model.Scope, x []*graph.Node, _ *graph.Node, _ []*graph.Node) []*graph.Node {
	// row vector times A^T.
	at := graph.Const(x[0].Graph(), [][]float32{{-decayD, omegaW}, {-omegaW, -decayD}})
	return []*graph.Node{graph.MatMul(x[0], at)}
}

func linearExact(x0 [2]float64, t float64) [2]float64 {
	e := math.Exp(-decayD * t)
	c, s := math.Cos(omegaW*t), math.Sin(omegaW*t)
	return [2]float64{e * (c*x0[0] - s*x0[1]), e * (s*x0[0] + c*x0[1])}
}

// maxErrLinear solves the linear problem from t0 to t1 and returns the max abs error.
func maxErrLinear(t *testing.T, s *Solver, t0, t1 float64) (float64, *Solution) {
	t.Helper()
	pts := [][]float32{{1, 0}, {0.3, -0.8}}
	sol, err := s.Solve(t0, t1, []*tensors.Tensor{tensors.FromValue(pts)})
	if err != nil {
		t.Fatal(err)
	}
	got := flat(t, sol.X[0])
	m := 0.0
	for i, p := range pts {
		// the exact solution flows by t1 - t0 (autonomous problem).
		want := linearExact([2]float64{float64(p[0]), float64(p[1])}, t1-t0)
		m = math.Max(m, math.Max(math.Abs(got[2*i]-want[0]), math.Abs(got[2*i+1]-want[1])))
	}
	return m, sol
}

func TestOrderOfConvergence(t *testing.T) {
	const T = 4.0 // integrate over [0, 4]: a bit more than half a turn.
	cases := []struct {
		m     Method
		steps []int
		order float64
	}{
		// Step counts chosen so errors stay well above float32 round-off
		// (~1e-7 per step) and inside the asymptotic regime.
		{Euler, []int{40, 80, 160, 320}, 1},
		{Midpoint, []int{20, 40, 80, 160}, 2},
		{Heun, []int{20, 40, 80, 160}, 2},
		{RK4, []int{8, 16, 32}, 4},
	}
	const tol = 0.3 // allowed deviation of the fitted slope from the theoretical order
	for _, c := range cases {
		t.Run(c.m.String(), func(t *testing.T) {
			var hs, errs []float64
			for _, n := range c.steps {
				s, err := New(be(t), nil, linearField, Options{Method: c.m, Steps: n})
				if err != nil {
					t.Fatal(err)
				}
				e, sol := maxErrLinear(t, s, 0, T)
				if sol.Stats.NFE != n*c.m.mustStages() || sol.Stats.Accepted != n {
					t.Errorf("stats %+v, want NFE %d, Accepted %d", sol.Stats, n*c.m.mustStages(), n)
				}
				hs, errs = append(hs, T/float64(n)), append(errs, e)
			}
			slope := verify.LogLogSlope(hs, errs)
			t.Logf("%s: fitted order %.3f (errors %v)", c.m, slope, errs)
			if math.Abs(slope-c.order) > tol {
				t.Errorf("%s: fitted order %.3f, want %g +- %g", c.m, slope, c.order, tol)
			}
		})
	}
}

func (m Method) mustStages() int {
	tb, err := m.Tableau()
	if err != nil {
		panic(err)
	}
	return tb.Stages()
}

func TestDopri5Accuracy(t *testing.T) {
	cases := []struct {
		name   string
		t0, t1 float64
		tol    float64
		bound  float64
	}{
		// Global error of a tolerance-controlled solve is a small multiple of
		// the local tolerance; float32 round-off adds ~1e-6 over the steps.
		{"forward", 0, 4, 1e-6, 2e-5},
		{"reverse", 4, 0, 1e-6, 2e-5},
		// Looser tolerance, looser bound (10x tolerance).
		{"loose", 0, 4, 1e-4, 1e-3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, linearField, Options{Method: Dopri5, Atol: c.tol, Rtol: c.tol})
			if err != nil {
				t.Fatal(err)
			}
			e, sol := maxErrLinear(t, s, c.t0, c.t1)
			t.Logf("Dopri5 %s tol=%g: max error %.3g, stats %+v", c.name, c.tol, e, sol.Stats)
			if e > c.bound {
				t.Errorf("max error %.3g > bound %g", e, c.bound)
			}
			if want := 2 + 6*(sol.Stats.Accepted+sol.Stats.Rejected); sol.Stats.NFE != want {
				t.Errorf("NFE %d, want 2 + 6*attempted = %d", sol.Stats.NFE, want)
			}
		})
	}
}

// Stiff-ish scalar problem dx/dt = -L (x - cos t), x(0) = 0, with exact solution
// x(t) = (L^2 cos t + L sin t)/(L^2+1) - L^2/(L^2+1) e^{-L t}.
const stiffL = 50.0

func stiffField(_ *model.Scope, x []*graph.Node, tt *graph.Node, _ []*graph.Node) []*graph.Node {
	return []*graph.Node{graph.MulScalar(graph.Sub(x[0], graph.Cos(tt)), -stiffL)}
}

func stiffExact(t float64) float64 {
	L := stiffL
	return (L*L*math.Cos(t)+L*math.Sin(t))/(L*L+1) - L*L/(L*L+1)*math.Exp(-L*t)
}

func TestDopri5Stiff(t *testing.T) {
	s, err := New(be(t), nil, stiffField, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	const T = 10.0 // long enough for the step size to hit the stability limit (|h L| ~ 3.3).
	sol, err := s.Solve(0, T, []*tensors.Tensor{tensors.FromValue([]float32{0})})
	if err != nil {
		t.Fatal(err)
	}
	got := flat(t, sol.X[0])[0]
	e := math.Abs(got - stiffExact(T))
	t.Logf("stiff: x(T)=%.6f exact %.6f err %.2g stats %+v", got, stiffExact(T), e, sol.Stats)
	if sol.Stats.Rejected == 0 {
		t.Errorf("expected rejected steps on a stiff problem, stats %+v", sol.Stats)
	}
	// 1e-4: 10x the tolerance; the stability-limited steps are far more accurate than needed.
	if e > 1e-4 {
		t.Errorf("error %.3g > 1e-4", e)
	}

	// MaxSteps guard: 5 attempted steps cannot cover [0, 10].
	s2, err := New(be(t), nil, stiffField, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5, MaxSteps: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.Solve(0, T, []*tensors.Tensor{tensors.FromValue([]float32{0})})
	if err == nil || !strings.Contains(err.Error(), "MaxSteps") {
		t.Errorf("want MaxSteps error, got %v", err)
	}
}

func TestNaNField(t *testing.T) {
	// NaN everywhere (sqrt of a negative number).
	allNaN := func(_ *model.Scope, x []*graph.Node, _ *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Sqrt(graph.Neg(graph.AddScalar(graph.Square(x[0]), 1)))}
	}
	// Finite for t < 0.5, NaN for t > 0.5 (sqrt(0.5 - t)).
	lateNaN := func(_ *model.Scope, x []*graph.Node, tt *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Mul(x[0], graph.Sqrt(graph.Sub(graph.Scalar(tt.Graph(), dtypes.Float32, 0.5), tt)))}
	}
	cases := []struct {
		name  string
		field Field
		opts  Options
	}{
		{"dopri5-all", allNaN, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5}},
		{"dopri5-late", lateNaN, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5}},
		{"euler-all", allNaN, Options{Method: Euler, Steps: 4}},
		{"rk4-late", lateNaN, Options{Method: RK4, Steps: 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, c.field, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Solve(0, 1, []*tensors.Tensor{tensors.FromValue([]float32{1, 2})})
			if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), "t=") {
				t.Fatalf("want an error naming NaN and t, got %v", err)
			}
			t.Log(err)
		})
	}
}

// A nonlinear, time-dependent field: dx/dt = sin(x) + t.
func nonlinField(_ *model.Scope, x []*graph.Node, tt *graph.Node, _ []*graph.Node) []*graph.Node {
	return []*graph.Node{graph.Add(graph.Sin(x[0]), tt)}
}

func TestReverseReturnsToStart(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		tol  float64
	}{
		// Forward+backward error ~ 2 x global error; RK4 with h=0.01 has global
		// error ~1e-9, so float32 round-off (~1e-6 over 200 steps) dominates.
		{"rk4", Options{Method: RK4, Steps: 100}, 1e-5},
		// Dopri5 at 1e-7: each direction meets ~1e-6.
		{"dopri5", Options{Method: Dopri5, Atol: 1e-7, Rtol: 1e-7}, 1e-5},
	}
	x0 := []float32{-2, -0.5, 0, 0.7, 3}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, nonlinField, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			fw, err := s.Solve(0, 1, []*tensors.Tensor{tensors.FromValue(x0)})
			if err != nil {
				t.Fatal(err)
			}
			bw, err := s.Solve(1, 0, fw.X)
			if err != nil {
				t.Fatal(err)
			}
			got := flat(t, bw.X[0])
			mid := flat(t, fw.X[0])
			for i := range x0 {
				if d := math.Abs(got[i] - float64(x0[i])); d > c.tol {
					t.Errorf("x0[%d]=%g: back to %g (|diff| %.2g > %g)", i, x0[i], got[i], d, c.tol)
				}
				// the flow must have moved the points (the smallest move, from -0.5, is ~0.077).
				if math.Abs(mid[i]-float64(x0[i])) < 0.05 {
					t.Errorf("x0[%d] barely moved: %g -> %g", i, x0[i], mid[i])
				}
			}
			t.Logf("%s: forward %+v backward %+v", c.name, fw.Stats, bw.Stats)
		})
	}
}

func TestMultipleStatesAndAux(t *testing.T) {
	// State a [3] decays with the rate given in aux[0] (scalar); state b [2,4]
	// grows with rate aux[1] (shape [4], broadcast over rows).
	field := func(_ *model.Scope, x []*graph.Node, _ *graph.Node, aux []*graph.Node) []*graph.Node {
		return []*graph.Node{
			graph.Mul(graph.Neg(aux[0]), x[0]),
			graph.Mul(x[1], graph.BroadcastToShape(graph.Reshape(aux[1], 1, 4), x[1].Shape())),
		}
	}
	a0 := []float32{1, 2, 3}
	b0 := [][]float32{{1, 1, 1, 1}, {-1, 0.5, 2, 0}}
	rateA := float32(0.7)
	rateB := []float32{0.1, -0.2, 0.3, 0}
	cases := []struct {
		name string
		opts Options
		tol  float64 // relative error bound
	}{
		{"rk4", Options{Method: RK4, Steps: 50}, 1e-5},                    // RK4 error ~ (h=0.02)^4 tiny; float32 round-off dominates
		{"dopri5", Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6}, 2e-5}, // a few x tolerance
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, field, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := s.Solve(0, 1, []*tensors.Tensor{tensors.FromValue(a0), tensors.FromValue(b0)},
				tensors.FromScalar(rateA), tensors.FromValue(rateB))
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.X) != 2 || !sol.X[1].Shape().Equal(tensors.FromValue(b0).Shape()) {
				t.Fatalf("got %d outputs, shapes %v", len(sol.X), sol.X)
			}
			ga, gb := flat(t, sol.X[0]), flat(t, sol.X[1])
			for i, v := range a0 {
				want := float64(v) * math.Exp(-float64(rateA))
				if math.Abs(ga[i]-want) > c.tol*math.Abs(want)+1e-7 {
					t.Errorf("a[%d]=%g want %g", i, ga[i], want)
				}
			}
			for r := range b0 {
				for j, v := range b0[r] {
					want := float64(v) * math.Exp(float64(rateB[j]))
					if math.Abs(gb[r*4+j]-want) > c.tol*math.Abs(want)+1e-7 {
						t.Errorf("b[%d,%d]=%g want %g", r, j, gb[r*4+j], want)
					}
				}
			}
		})
	}
}

func TestFieldWithStoreVariable(t *testing.T) {
	store := model.NewStore()
	store.VariableWithValue("/field/rate", float32(-1.5)) // the field must read this value, not its own default 0
	field := func(scope *model.Scope, x []*graph.Node, _ *graph.Node, _ []*graph.Node) []*graph.Node {
		if scope == nil {
			panic("scope is nil although the solver has a store")
		}
		rate := scope.In("field").VariableWithValue("rate", float32(0)).ValueGraph(x[0])
		return []*graph.Node{graph.Mul(x[0], rate)}
	}
	for _, m := range []Method{RK4, Dopri5} {
		t.Run(m.String(), func(t *testing.T) {
			s, err := New(be(t), store, field, Options{Method: m, Steps: 40, Atol: 1e-6, Rtol: 1e-6})
			if err != nil {
				t.Fatal(err)
			}
			sol, err := s.Solve(0, 1, []*tensors.Tensor{tensors.FromValue([]float32{2})})
			if err != nil {
				t.Fatal(err)
			}
			got := flat(t, sol.X[0])[0]
			want := 2 * math.Exp(-1.5)
			// 1e-5: RK4 with h=0.025 has relative error ~1e-7; Dopri5 ~ tolerance.
			if math.Abs(got-want) > 1e-5 {
				t.Errorf("x(1)=%g want %g (the field must read the store's rate -1.5)", got, want)
			}
		})
	}
}

func TestTrajectory(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		t0, t1 float64
		tol    float64
	}{
		{"rk4-forward", Options{Method: RK4, Steps: 20, SaveTrajectory: true}, 0, 4, 1e-4}, // h=0.2: RK4 error ~1e-5
		{"rk4-reverse", Options{Method: RK4, Steps: 20, SaveTrajectory: true}, 4, 0, 1e-4}, // same
		{"dopri5-forward", Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6, SaveTrajectory: true}, 0, 4, 2e-5},
		{"dopri5-reverse", Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6, SaveTrajectory: true}, 4, 0, 2e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, linearField, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			x0 := [2]float64{1, 0}
			sol, err := s.Solve(c.t0, c.t1, []*tensors.Tensor{tensors.FromValue([][]float32{{1, 0}})})
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.Times) != sol.Stats.Accepted+1 || len(sol.Trajectory) != len(sol.Times) {
				t.Fatalf("len(Times)=%d len(Trajectory)=%d accepted=%d", len(sol.Times), len(sol.Trajectory), sol.Stats.Accepted)
			}
			if sol.Times[0] != c.t0 || sol.Times[len(sol.Times)-1] != c.t1 {
				t.Errorf("times run %g..%g, want %g..%g", sol.Times[0], sol.Times[len(sol.Times)-1], c.t0, c.t1)
			}
			dir := math.Copysign(1, c.t1-c.t0)
			for i := range sol.Times {
				if i > 0 && (sol.Times[i]-sol.Times[i-1])*dir <= 0 {
					t.Errorf("times not monotone at %d: %g then %g", i, sol.Times[i-1], sol.Times[i])
				}
				got := flat(t, sol.Trajectory[i][0])
				want := linearExact(x0, sol.Times[i]-c.t0)
				if d := math.Max(math.Abs(got[0]-want[0]), math.Abs(got[1]-want[1])); d > c.tol {
					t.Errorf("state at t=%g off by %.2g > %g", sol.Times[i], d, c.tol)
				}
			}
		})
	}
}

func TestCompileOnce(t *testing.T) {
	cases := []struct {
		opts      Options
		wantCalls int32 // field calls while building the graphs of one Solve
	}{
		{Options{Method: Euler, Steps: 7}, 1},                        // one stage in the step graph
		{Options{Method: RK4, Steps: 7}, 4},                          // four stages
		{Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5}, 1 + 1 + 6}, // init, probe, 6 trial stages
	}
	for _, c := range cases {
		t.Run(c.opts.Method.String(), func(t *testing.T) {
			var calls atomic.Int32
			field := func(s *model.Scope, x []*graph.Node, tt *graph.Node, aux []*graph.Node) []*graph.Node {
				calls.Add(1)
				return linearField(s, x, tt, aux)
			}
			s, err := New(be(t), nil, field, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			x := tensors.FromValue([][]float32{{1, 0}, {0, 1}})
			if _, err := s.Solve(0, 1, []*tensors.Tensor{x}); err != nil {
				t.Fatal(err)
			}
			first := calls.Load()
			if first != c.wantCalls {
				t.Errorf("first Solve: %d field calls, want %d (one per stage per graph)", first, c.wantCalls)
			}
			// Different times and values, same shapes: nothing is rebuilt.
			if _, err := s.Solve(0.5, -2, []*tensors.Tensor{tensors.FromValue([][]float32{{3, 1}, {0, 2}})}); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != first {
				t.Errorf("second Solve rebuilt graphs: %d field calls after %d", calls.Load(), first)
			}
			// A new shape compiles again (the cache is per shape).
			if _, err := s.Solve(0, 1, []*tensors.Tensor{tensors.FromValue([][]float32{{1, 0}})}); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 2*first {
				t.Errorf("new shape: %d field calls, want %d", calls.Load(), 2*first)
			}
		})
	}
}

func TestOptionValidation(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want string // substring of the error
	}{
		{"euler-no-steps", Options{Method: Euler}, "Steps > 0"},
		{"rk4-negative-steps", Options{Method: RK4, Steps: -3}, "Steps > 0"},
		{"dopri-no-tol", Options{Method: Dopri5}, "Atol > 0"},
		{"dopri-inf-tol", Options{Method: Dopri5, Atol: math.Inf(1), Rtol: 1e-3}, "finite"},
		{"dopri-nan-rtol", Options{Method: Dopri5, Atol: 1e-3, Rtol: math.NaN()}, "Rtol"},
		{"dopri-neg-maxsteps", Options{Method: Dopri5, Atol: 1e-3, Rtol: 1e-3, MaxSteps: -1}, "MaxSteps"},
		{"dopri-neg-minstep", Options{Method: Dopri5, Atol: 1e-3, Rtol: 1e-3, MinStep: -1}, "MinStep"},
		{"dopri-nan-h0", Options{Method: Dopri5, Atol: 1e-3, Rtol: 1e-3, InitialStep: math.NaN()}, "InitialStep"},
		{"unknown-method", Options{Method: Method(42), Steps: 3}, "unknown method"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(be(t), nil, linearField, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want error containing %q, got %v", c.want, err)
			}
		})
	}
	if _, err := New(be(t), nil, nil, Options{Method: Euler, Steps: 1}); err == nil {
		t.Error("nil field accepted")
	}
}

func TestSolveValidation(t *testing.T) {
	s, err := New(be(t), nil, linearField, Options{Method: RK4, Steps: 3})
	if err != nil {
		t.Fatal(err)
	}
	good := []*tensors.Tensor{tensors.FromValue([][]float32{{1, 0}})}
	cases := []struct {
		name   string
		t0, t1 float64
		x0     []*tensors.Tensor
		want   string
	}{
		{"same-times", 1, 1, good, "t0 == t1"},
		{"nan-time", math.NaN(), 1, good, "finite"},
		{"inf-time", 0, math.Inf(1), good, "finite"},
		{"empty-x0", 0, 1, nil, "empty"},
		{"nil-x0", 0, 1, []*tensors.Tensor{nil}, "nil"},
		{"float64-x0", 0, 1, []*tensors.Tensor{tensors.FromValue([][]float64{{1, 0}})}, "float32"},
		// The field reads x[0] as [N, 2]: a [3] state makes graph building fail; the error names the step.
		{"bad-shape", 0, 1, []*tensors.Tensor{tensors.FromValue([]float32{1, 2, 3})}, "RK4 step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Solve(c.t0, c.t1, c.x0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want error containing %q, got %v", c.want, err)
			}
		})
	}
	// The solver still works after the failures.
	if _, err := s.Solve(0, 1, good); err != nil {
		t.Errorf("solver broken after bad inputs: %v", err)
	}
}

// The stage times of the graph solver's fixed steps stay inside [t0, t1]
// as the field sees them (float32): the field is NaN at any t outside [a, b]
// (sqrt((t - a)(b - t)) of a negative number), so one stage evaluated an ulp
// past an end makes Solve fail. [0, 1] as in the host test; [0.1, 0.7] has
// ends that float32 does not hold exactly.
func TestFixedStageTimesStayInside(t *testing.T) {
	for _, c := range []struct {
		m      Method
		t0, t1 float64
	}{
		{RK4, 0, 1}, {RK4, 1, 0}, {RK4, 0.1, 0.7}, {RK4, 0.7, 0.1},
		{Heun, 0, 1}, {Heun, 1, 0}, {Heun, 0.1, 0.7}, {Heun, 0.7, 0.1},
		{Midpoint, 0.1, 0.7}, {Midpoint, 0.7, 0.1},
	} {
		a, b := float32(min(c.t0, c.t1)), float32(max(c.t0, c.t1))
		inside := func(_ *model.Scope, x []*graph.Node, tt *graph.Node, _ []*graph.Node) []*graph.Node {
			g := tt.Graph()
			span := graph.Mul(graph.Sub(tt, graph.Scalar(g, dtypes.Float32, a)), graph.Sub(graph.Scalar(g, dtypes.Float32, b), tt))
			return []*graph.Node{graph.Add(graph.Neg(x[0]), graph.MulScalar(graph.Sqrt(span), 0))}
		}
		x0 := []*tensors.Tensor{tensors.FromValue([]float32{1, -2})}
		var failed []int
		var first error
		for steps := 1; steps <= 120; steps++ {
			s, err := New(be(t), nil, inside, Options{Method: c.m, Steps: steps})
			if err != nil {
				t.Fatal(err)
			}
			sol, err := s.Solve(c.t0, c.t1, x0)
			if err != nil {
				failed = append(failed, steps)
				if first == nil {
					first = err
				}
				continue
			}
			finalize(sol.X)
		}
		if len(failed) > 0 {
			t.Errorf("%s from %g to %g fails for Steps in %v; the first: %v", c.m, c.t0, c.t1, failed, first)
		}
	}
}

// After a rejected step the step size must not grow: neither on the retry
// nor in the proposal that follows the accepted retry (Hairer's DOPRI5 and
// scipy use min(1, factor) there). The stiff problem rejects steps where
// the step size hits its stability limit; onStep sees every attempt.
func TestDopri5NoGrowthAfterRejection(t *testing.T) {
	for _, c := range []struct {
		name  string
		field Field
		x0    []float32
		opts  Options
	}{
		{"stiff", stiffField, []float32{0}, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5}},
		{"stiff loose", stiffField, []float32{0}, Options{Method: Dopri5, Atol: 1e-3, Rtol: 1e-3}},
		{"stiff integral", stiffField, []float32{0}, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5, Controller: Controller{Integral: true}}},
		// A first step of 5 (most of the interval) is rejected; the 0.2x..0.9x
		// retry is far more accurate than needed, so the PI factor asks for growth.
		{"first step too large", nonlinField, []float32{-2, 0.5, 3}, Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6, InitialStep: 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, c.field, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			type attempt struct {
				t, h, hNext float64
				accepted    bool
			}
			var log []attempt
			s.onStep = func(tt, h, _ float64, accepted bool, hNext float64) {
				log = append(log, attempt{tt, h, hNext, accepted})
			}
			sol, err := s.Solve(0, 10, []*tensors.Tensor{tensors.FromValue(c.x0)})
			if err != nil {
				t.Fatal(err)
			}
			if sol.Stats.Rejected == 0 || len(log) != sol.Stats.Accepted+sol.Stats.Rejected {
				t.Fatalf("%d attempts logged, stats %+v; the test needs rejected steps", len(log), sol.Stats)
			}
			grew := 0
			for i, a := range log {
				if i == 0 || log[i-1].accepted {
					continue
				}
				// a follows a rejection: neither it nor its successor may be larger.
				if a.h > log[i-1].h || a.hNext > a.h {
					grew++
					if grew <= 3 {
						t.Errorf("attempt %d at t=%.4f follows a rejected h=%.4g: h=%.4g (accepted %v), next h=%.4g", i, a.t, log[i-1].h, a.h, a.accepted, a.hNext)
					}
				}
			}
			if grew > 0 {
				t.Errorf("%d of %d steps after a rejection grew the step", grew, sol.Stats.Rejected)
			}
		})
	}
}
