package ode

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/verify"
	"github.com/gofm/gofm/fmlib/vfield"
)

// hostLinear is linearField on the host.
func hostLinear(x [][]float64, _ float64) ([][]float64, error) {
	out := make([][]float64, len(x))
	for i, p := range x {
		out[i] = []float64{-decayD*p[0] - omegaW*p[1], omegaW*p[0] - decayD*p[1]}
	}
	return out, nil
}

func TestSolveHostOrder(t *testing.T) {
	const T = 4.0
	start := [][]float64{{1, 0}, {-0.5, 2}}
	for _, c := range []struct {
		m     Method
		steps []int
		order float64
	}{
		// float64: no round-off floor in these ranges, so RK4 can use more steps than in float32.
		{Euler, []int{40, 80, 160, 320}, 1},
		{Midpoint, []int{20, 40, 80, 160}, 2},
		{Heun, []int{20, 40, 80, 160}, 2},
		{RK4, []int{8, 16, 32, 64}, 4},
	} {
		var hs, errs []float64
		for _, n := range c.steps {
			sol, err := SolveHost(hostLinear, start, 0, T, Options{Method: c.m, Steps: n})
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, p := range start {
				e := linearExact([2]float64{p[0], p[1]}, T)
				worst = math.Max(worst, math.Hypot(sol.X[i][0]-e[0], sol.X[i][1]-e[1]))
			}
			if sol.Stats.NFE != n*c.m.mustStages() {
				t.Errorf("%s: NFE %d, want %d", c.m, sol.Stats.NFE, n*c.m.mustStages())
			}
			hs, errs = append(hs, T/float64(n)), append(errs, worst)
		}
		// Same bar as the graph solver's order test: fitted slope within 0.3 of the order.
		if p := verify.LogLogSlope(hs, errs); math.Abs(p-c.order) > 0.3 {
			t.Errorf("%s: fitted order %.3f, want %g (errors %v)", c.m, p, c.order, errs)
		}
	}
}

func TestSolveHostTrajectoryAndReverse(t *testing.T) {
	start := [][]float64{{1, 0}, {0, 1}}
	fwd, err := SolveHost(hostLinear, start, 0, 2, Options{Method: RK4, Steps: 200, SaveTrajectory: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fwd.Times) != 201 || len(fwd.Trajectory) != 201 || len(fwd.Trajectory[0]) != 2 || fwd.Times[200] != 2 {
		t.Fatalf("times %d, trajectory %d x %d", len(fwd.Times), len(fwd.Trajectory), len(fwd.Trajectory[0]))
	}
	back, err := SolveHost(hostLinear, fwd.X, 2, 0, Options{Method: RK4, Steps: 200})
	if err != nil {
		t.Fatal(err)
	}
	// RK4 with h = 0.01 errs by ~1e-10 each way on this problem.
	for i := range start {
		if d := math.Hypot(back.X[i][0]-start[i][0], back.X[i][1]-start[i][1]); d > 1e-8 {
			t.Errorf("forward then backward is off by %.2g at point %d", d, i)
		}
		if fwd.Trajectory[0][i][0] != start[i][0] || start[i][0] != []float64{1, 0}[i] {
			t.Errorf("the start of path %d was modified or not recorded", i)
		}
	}
}

func TestSolveHostErrors(t *testing.T) {
	good := [][]float64{{1, 0}}
	blowUp := func(x [][]float64, _ float64) ([][]float64, error) {
		return [][]float64{{x[0][0] * x[0][0] * 1e200, 0}}, nil
	}
	for _, c := range []struct {
		name string
		f    vfield.Host
		x    [][]float64
		opts Options
		want string
	}{
		{"nil field", nil, good, Options{Method: RK4, Steps: 1}, "nil"},
		{"dopri5", hostLinear, good, Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6}, "Dopri5 is not available"},
		{"no steps", hostLinear, good, Options{Method: RK4}, "Steps = 0"},
		{"ragged", hostLinear, [][]float64{{1, 0}, {1}}, Options{Method: RK4, Steps: 1}, "ragged"},
		{"blow-up", blowUp, [][]float64{{1e100, 0}}, Options{Method: Euler, Steps: 3}, "NaN/Inf"},
		{"short row", func(x [][]float64, _ float64) ([][]float64, error) { return [][]float64{{1}}, nil }, good, Options{Method: RK4, Steps: 1}, "a row of length 1 for point 0 of dimension 2"},
		{"long row", func(x [][]float64, _ float64) ([][]float64, error) { return [][]float64{{1, 2, 3}}, nil }, good, Options{Method: RK4, Steps: 1}, "a row of length 3 for point 0 of dimension 2"},
		{"rows missing", func(x [][]float64, _ float64) ([][]float64, error) { return nil, nil }, good, Options{Method: RK4, Steps: 1}, "0 rows for 1 points"},
		// A row goes wrong only later: at the second stage of the last step (t = 0.75 + 0.5 h).
		{"short row late", func(x [][]float64, tt float64) ([][]float64, error) {
			if tt > 0.8 {
				return [][]float64{{1}}, nil
			}
			return hostLinear(x, tt)
		}, good, Options{Method: RK4, Steps: 4}, "at t = 0.875 returned a row of length 1"},
	} {
		if _, err := SolveHost(c.f, c.x, 0, 1, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// Steps outside float64's normal range: one that underflows to 0 (the
	// points would not move) and one that overflows (t1 - t0 = +Inf).
	for _, c := range []struct{ t0, t1 float64 }{{0, 5e-324}, {-1e308, 1e308}} {
		if _, err := SolveHost(hostLinear, good, c.t0, c.t1, Options{Method: Euler, Steps: 47}); err == nil || !strings.Contains(err.Error(), "normal range") {
			t.Errorf("times %v -> %v: error %v, want one about the step's range", c.t0, c.t1, err)
		}
	}
}

// A field may compute in place: write u_t over the rows it is given and
// return them. The stages must not share that memory (RK4 weighs all four).
func TestSolveHostFieldWritesOverItsInput(t *testing.T) {
	inPlace := func(x [][]float64, tt float64) ([][]float64, error) {
		u, err := hostLinear(x, tt)
		for i := range x {
			copy(x[i], u[i])
		}
		return x, err
	}
	start := [][]float64{{1, 0}, {-0.5, 2}}
	for _, m := range []Method{Euler, Midpoint, Heun, RK4} {
		want, err := SolveHost(hostLinear, start, 0, 1, Options{Method: m, Steps: 10})
		if err != nil {
			t.Fatal(err)
		}
		got, err := SolveHost(inPlace, start, 0, 1, Options{Method: m, Steps: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.X {
			for j := range want.X[i] {
				if got.X[i][j] != want.X[i][j] { // the same operations: equal bit for bit
					t.Errorf("%s: in-place field gives %v, allocating field %v", m, got.X, want.X)
				}
			}
		}
	}
}

// The stages of SolveHost must stay inside the interval of integration:
// Empirical.Velocity rejects t outside [0, 1], and t0 + k h + c h computed in
// floating point can land an ulp past t1 (RK4 from 0 to 1 in 93 or 117 steps
// gave t = 1.0000000000000002; Heun from 1 to 0 in 5 or 10 steps gave
// t = -5.55e-17). Every step count from 1 to 200 is tried both ways.
func TestSolveHostStageTimesStayInside(t *testing.T) {
	path, err := probpath.New(schedule.CondOT{SigmaMin: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	emp := probpath.Empirical{Path: path, Points: [][]float64{{1, 0}, {-1, 0.5}}}
	start := [][]float64{{0.3, -0.2}}
	for _, c := range []struct {
		m      Method
		t0, t1 float64
	}{
		{RK4, 0, 1}, {RK4, 1, 0},
		{Heun, 0, 1}, {Heun, 1, 0},
		{Midpoint, 0, 1}, {Midpoint, 1, 0},
	} {
		var failed []int
		var first error
		for steps := 1; steps <= 200; steps++ {
			if _, err := SolveHost(emp.Velocity, start, c.t0, c.t1, Options{Method: c.m, Steps: steps}); err != nil {
				failed = append(failed, steps)
				if first == nil {
					first = err
				}
			}
		}
		if len(failed) > 0 {
			t.Errorf("%s from %g to %g fails for Steps in %v; the first: %v", c.m, c.t0, c.t1, failed, first)
		}
	}
}
