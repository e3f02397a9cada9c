package ode

import (
	"math"
	"strings"
	"testing"
)

func TestSolvePoints(t *testing.T) {
	start := [][]float64{{1, 0}, {0, 2}, {-1.5, 0.5}}
	cases := []struct {
		name   string
		opts   Options
		t0, t1 float64
		tol    float64 // RK4 with h = 0.05 on this smooth problem errs ~1e-7; float32 round-off ~1e-6
	}{
		{"forward, no trajectory", Options{Method: RK4, Steps: 40}, 0, 2, 1e-5},
		{"forward, trajectory", Options{Method: RK4, Steps: 40, SaveTrajectory: true}, 0, 2, 1e-5},
		{"backward, trajectory", Options{Method: RK4, Steps: 40, SaveTrajectory: true}, 2, 0, 1e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, linearField, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := s.SolvePoints(c.t0, c.t1, start)
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.X) != len(start) || sol.Stats.NFE != 4*c.opts.Steps {
				t.Fatalf("got %d points, stats %+v", len(sol.X), sol.Stats)
			}
			check := func(what string, got []float64, x0 []float64, dt float64) {
				want := linearExact([2]float64{x0[0], x0[1]}, dt)
				if d := math.Hypot(got[0]-want[0], got[1]-want[1]); d > c.tol {
					t.Errorf("%s: off by %.2g > %g", what, d, c.tol)
				}
			}
			for i := range start {
				check("end point", sol.X[i], start[i], c.t1-c.t0)
			}
			if !c.opts.SaveTrajectory {
				if sol.Trajectory != nil || sol.Times != nil {
					t.Errorf("paths returned without SaveTrajectory")
				}
				return
			}
			if len(sol.Times) != c.opts.Steps+1 || len(sol.Trajectory) != len(sol.Times) {
				t.Fatalf("%d times, %d snapshots", len(sol.Times), len(sol.Trajectory))
			}
			for k, step := range sol.Trajectory {
				if len(step) != len(start) {
					t.Fatalf("snapshot %d has %d points for %d", k, len(step), len(start))
				}
				for i := range start {
					check("path point", step[i], start[i], sol.Times[k]-c.t0)
				}
			}
		})
	}
	s, err := New(be(t), nil, linearField, Options{Method: Euler, Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		pts  [][]float64
		want string
	}{
		{nil, "empty"},
		{[][]float64{{1, 0}, {1}}, "ragged"},
		{[][]float64{{math.NaN(), 0}}, "finite"},
	} {
		if _, err := s.SolvePoints(0, 1, bad.pts); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("points %v: error %v, want one mentioning %q", bad.pts, err, bad.want)
		}
	}
}
