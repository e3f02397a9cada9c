package sde

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/continuity"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
)

var ou = OU{Theta: 1.5, Sigma: 0.8, M0: []float64{2, -1}, S0: 0.3}

func draw(n int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, n)
	for i := range x {
		x[i] = []float64{ou.M0[0] + ou.S0*r.NormFloat64(), ou.M0[1] + ou.S0*r.NormFloat64()}
	}
	return x
}

func TestOUMoments(t *testing.T) {
	const n, T = 20000, 1.0
	for _, c := range []struct {
		name  string
		steps int
	}{
		// Weak error O(h): with h = 1/400 the bias of the variance is ~theta h v ~ 1e-3
		// relative, below the statistical error; 4 standard errors bound the rest.
		{"400 steps", 400},
	} {
		p, err := EulerMaruyama(ou.Drift, ou.Sigma, draw(n, 2), 0, T, c.steps, rand.New(rand.NewPCG(3, 3)), false)
		if err != nil {
			t.Fatal(err)
		}
		mean, std, err := points.Moments(p.X)
		if err != nil {
			t.Fatal(err)
		}
		m, v := ou.Mean(T), ou.Var(T)
		seMean, seStd := math.Sqrt(v/n), math.Sqrt(v/(2*(n-1)))
		for j := range mean {
			if d := math.Abs(mean[j] - m[j]); d > 4*seMean {
				t.Errorf("%s: mean[%d] %.4f vs %.4f: off by %.2g > 4 SE", c.name, j, mean[j], m[j], d)
			}
			if d := math.Abs(std[j] - math.Sqrt(v)); d > 4*seStd {
				t.Errorf("%s: std[%d] %.4f vs %.4f: off by %.2g > 4 SE", c.name, j, std[j], math.Sqrt(v), d)
			}
		}
	}
}

func TestFlowODEHasTheSameMarginals(t *testing.T) {
	// Deterministic: the closed-form OU density and the probability-flow velocity
	// satisfy the continuity equation; the drift alone does not (it ignores diffusion).
	grid := continuity.Grid(0, 4, -3, 1, 21, 21)
	const h = 1e-4 // width sqrt(v_t) >= 0.3: relative truncation ~ 10 (h/0.3)^2 ~ 1e-6
	for _, tt := range []float64{0.2, 0.8} {
		r, err := continuity.Residual(ou.LogDensity, ou.FlowVelocity, grid, tt, h, h)
		if err != nil {
			t.Fatal(err)
		}
		if rel := r.MaxRelative(); rel > 1e-5 {
			t.Errorf("t = %v: flow velocity residual %.3g > 1e-5", tt, rel)
		}
		r, err = continuity.Residual(ou.LogDensity, ou.Drift, grid, tt, h, h)
		if err != nil {
			t.Fatal(err)
		}
		if rel := r.MaxRelative(); rel < 0.1 {
			t.Errorf("t = %v: the drift alone gave residual %.3g < 0.1; it should miss the diffusion", tt, rel)
		}
	}
	// The probability-flow ODE carries the start points to N(m_T, v_T I): each point
	// moves by the affine map x -> m_T + sqrt(v_T / v_0) (x - m_0).
	x0 := draw(50, 5)
	sol, err := ode.SolveHost(ou.FlowVelocity, x0, 0, 1, ode.Options{Method: ode.RK4, Steps: 200})
	if err != nil {
		t.Fatal(err)
	}
	m, scale := ou.Mean(1), math.Sqrt(ou.Var(1)/ou.Var(0))
	for i, p := range sol.X {
		for j := range p {
			want := m[j] + scale*(x0[i][j]-ou.M0[j])
			if d := math.Abs(p[j] - want); d > 1e-8 { // RK4, h = 0.005, smooth field: ~1e-11
				t.Errorf("point %d coordinate %d: %.10f, want %.10f", i, j, p[j], want)
			}
		}
	}
}

func TestEulerMaruyamaDeterministicAndErrors(t *testing.T) {
	// sigma = 0: Euler's method for dx = -theta x dt; (1 - theta h)^n x0.
	p, err := EulerMaruyama(ou.Drift, 0, [][]float64{{1, 2}}, 0, 1, 10, rand.New(rand.NewPCG(1, 1)), true)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Pow(1-ou.Theta*0.1, 10)
	if math.Abs(p.X[0][0]-want) > 1e-12 || len(p.Trajectory) != 11 || p.Times[10] != 1 {
		t.Errorf("x = %v (want %v), %d path points, last time %v", p.X[0][0], want, len(p.Trajectory), p.Times[10])
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name  string
		f     vfield.Host
		sigma float64
		steps int
		t1    float64
		want  string
	}{
		{"nil drift", nil, 1, 1, 1, "nil"},
		{"negative sigma", ou.Drift, -1, 1, 1, "sigma"},
		{"no steps", ou.Drift, 1, 0, 1, "steps"},
		{"backwards", ou.Drift, 1, 1, -1, "t0 < t1"},
		{"blow-up", func(x [][]float64, _ float64) ([][]float64, error) { return [][]float64{{x[0][0] * 1e300, 0}}, nil }, 0, 3, 1, "NaN/Inf"},
		// Drifts that break the row contract (one row of D = 2 per point) are
		// errors from vfield.Host.Eval, not index panics or ignored values.
		{"no rows", func([][]float64, float64) ([][]float64, error) { return nil, nil }, 1, 1, 1, "returned 0 rows for 1 points"},
		{"extra row", func([][]float64, float64) ([][]float64, error) { return [][]float64{{0, 0}, {0, 0}}, nil }, 1, 1, 1, "returned 2 rows for 1 points"},
		{"short row", func([][]float64, float64) ([][]float64, error) { return [][]float64{{0}}, nil }, 1, 1, 1, "row of length 1 for point 0 of dimension 2"},
		{"long row", func([][]float64, float64) ([][]float64, error) { return [][]float64{{0, 0, 0}}, nil }, 1, 1, 1, "row of length 3 for point 0 of dimension 2"},
		{"drift error", func([][]float64, float64) ([][]float64, error) { return nil, errors.New("no drift here") }, 1, 1, 1, "sde.EulerMaruyama: drift: the field at t = 0: no drift here"},
	} {
		if _, err := EulerMaruyama(c.f, c.sigma, [][]float64{{1e10, 0}}, 0, c.t1, c.steps, r, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
