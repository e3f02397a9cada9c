package fields_test

import (
	"math"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/fields"
	"github.com/gofm/gofm/fmlib/ode"
)

func TestSpiralFlowSolvesTheODE(t *testing.T) {
	for _, c := range []struct {
		name string
		s    fields.Spiral
	}{
		{"decay and turn", fields.Spiral{Decay: 0.3, Omega: 1}},
		{"pure rotation", fields.Spiral{Omega: 2}},
		{"expansion", fields.Spiral{Decay: -0.5, Omega: 0.5}},
	} {
		// Central differences with h = 1e-5: truncation ~h^2 |psi'''| ~ 1e-10 and
		// rounding ~1e-16/h ~ 1e-11 for |x| <= 2, t <= 3; 1e-8 leaves a wide margin.
		const h, tol = 1e-5, 1e-8
		for _, x := range [][]float64{{1, 0}, {-0.5, 2}, {1.3, -1.1}} {
			for _, tt := range []float64{0, 0.7, 3} {
				a, b := c.s.FlowPoint(x, tt+h), c.s.FlowPoint(x, tt-h)
				u := c.s.Velocity(c.s.FlowPoint(x, tt))
				if d := math.Hypot((a[0]-b[0])/(2*h)-u[0], (a[1]-b[1])/(2*h)-u[1]); d > tol {
					t.Errorf("%s: x=%v t=%v: |dpsi/dt - u(psi)| = %.2g > %g", c.name, x, tt, d, tol)
				}
			}
		}
		if got := c.s.FlowPoint([]float64{0.4, -0.2}, 0); got[0] != 0.4 || got[1] != -0.2 {
			t.Errorf("%s: psi_0 is not the identity: %v", c.name, got)
		}
		if c.s.Divergence() != -2*c.s.Decay {
			t.Errorf("%s: divergence %v, want %v", c.name, c.s.Divergence(), -2*c.s.Decay)
		}
	}
}

func TestSpiralFieldGraphMatchesVelocity(t *testing.T) {
	be := testbe.Go(t)
	s := fields.Spiral{Decay: 0.3, Omega: 1}
	start := [][]float64{{2, 0}, {0, -1}, {-1.5, 0.5}}
	// One Euler step of size 1 returns x + u(x): the graph field at the start points.
	solver, err := ode.New(be, nil, ode.Single(s.Field()), ode.Options{Method: ode.Euler, Steps: 1})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := solver.SolvePoints(0, 1, start)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-6 // float32 arithmetic on values of order 1
	for i, x := range start {
		u := s.Velocity(x)
		if d := math.Hypot(sol.X[i][0]-x[0]-u[0], sol.X[i][1]-x[1]-u[1]); d > tol {
			t.Errorf("point %v: graph field differs from Velocity by %.2g", x, d)
		}
	}
	if _, err := s.Flow([][]float64{{1, 2, 3}}, 1); err == nil {
		t.Error("Flow accepted 3D points")
	}
	if _, err := s.Flow([][]float64{{1, 2}}, math.NaN()); err == nil {
		t.Error("Flow accepted a NaN time")
	}
}
