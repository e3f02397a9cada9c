package ode

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// gridWith returns the ends t0 + k (t1 - t0)/n, k = 1..n (the last exactly
// t1), of a fixed-step grid, with end number k replaced by s.
func gridWith(t0, t1 float64, n, k int, s float64) []float64 {
	h := (t1 - t0) / float64(n)
	out := make([]float64, n)
	for i := range out {
		out[i] = t0 + float64(i+1)*h
	}
	out[n-1] = t1
	out[k-1] = s
	return out
}

func TestSegments(t *testing.T) {
	cases := []struct {
		name   string
		t0, t1 float64
		n      int
		plan   savePlan
		ends   []float64 // tEnd of every segment
		saved  []float64 // the tEnd of the segments that save
	}{
		{"grid only", 0, 1, 4, savePlan{}, []float64{0.25, 0.5, 0.75, 1}, nil},
		{"every", 0, 1, 2, savePlan{every: true, start: true}, []float64{0.5, 1}, []float64{0.5, 1}},
		{"on the grid", 0, 1, 4, savePlan{times: []float64{0.5, 1}}, []float64{0.25, 0.5, 0.75, 1}, []float64{0.5, 1}},
		// 0.3 differs from the grid's 0 + 3 * (1/10) = 0.30000000000000004 by an ulp: it replaces that grid point.
		{"near the grid", 0, 1, 10, savePlan{times: []float64{0.3}}, gridWith(0, 1, 10, 3, 0.3), []float64{0.3}},
		{"inside a step", 0, 1, 2, savePlan{times: []float64{0.2, 0.3, 0.9}}, []float64{0.2, 0.3, 0.5, 0.9, 1}, []float64{0.2, 0.3, 0.9}},
		{"backward", 1, 0, 2, savePlan{times: []float64{0.7, 0.5, 0}}, []float64{0.7, 0.5, 0}, []float64{0.7, 0.5, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			segs := c.plan.segments(c.t0, c.t1, c.n)
			var ends, saved []float64
			prev := c.t0
			for _, s := range segs {
				ends = append(ends, s.tEnd)
				if s.save {
					saved = append(saved, s.tEnd)
				}
				if s.t != prev {
					t.Errorf("segment starts at %v, the previous one ended at %v", s.t, prev)
				}
				if s.h != s.tEnd-s.t {
					t.Errorf("segment %v -> %v has h = %v", s.t, s.tEnd, s.h)
				}
				prev = s.tEnd
			}
			if !slices.Equal(ends, c.ends) || !slices.Equal(saved, c.saved) {
				t.Errorf("ends %v saved %v, want %v and %v", ends, saved, c.ends, c.saved)
			}
		})
	}
}

func TestSaveAt(t *testing.T) {
	x0 := [2]float64{1, 0}
	cases := []struct {
		name     string
		opts     Options
		t0, t1   float64
		accepted int     // -1: adaptive, not checked
		tol      float64 // RK4 with h = 0.2 errs ~1e-5 on this problem; Dopri5 at 1e-6 ~ 2e-5 (TestTrajectory)
	}{
		{"rk4 on the grid", Options{Method: RK4, Steps: 20, SaveAt: []float64{0, 1, 2, 4}}, 0, 4, 20, 1e-4},
		{"rk4 inside steps", Options{Method: RK4, Steps: 20, SaveAt: []float64{0.1, 2.95, 3.5}}, 0, 4, 23, 1e-4},
		{"rk4 backward", Options{Method: RK4, Steps: 20, SaveAt: []float64{3.9, 2, 0}}, 4, 0, 21, 1e-4},
		{"dopri5 forward", Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6, SaveAt: []float64{0, 0.001, 0.5, 1.7, 3.99, 4}}, 0, 4, -1, 2e-5},
		{"dopri5 backward", Options{Method: Dopri5, Atol: 1e-6, Rtol: 1e-6, SaveAt: []float64{3, 1.25}}, 4, 0, -1, 2e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(be(t), nil, linearField, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := s.Solve(c.t0, c.t1, []*tensors.Tensor{tensors.FromValue([][]float32{{1, 0}})})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sol.Times, c.opts.SaveAt) || len(sol.Trajectory) != len(sol.Times) {
				t.Fatalf("times %v (%d states), want %v", sol.Times, len(sol.Trajectory), c.opts.SaveAt)
			}
			if c.accepted >= 0 && sol.Stats.Accepted != c.accepted {
				t.Errorf("%d steps, want %d (a save time inside a step splits it)", sol.Stats.Accepted, c.accepted)
			}
			if c.opts.Method == Dopri5 {
				if want := 2 + 6*(sol.Stats.Accepted+sol.Stats.Rejected); sol.Stats.NFE != want {
					t.Errorf("NFE %d, want 2 + 6*attempted = %d", sol.Stats.NFE, want)
				}
			}
			for k, tk := range sol.Times {
				got := flat(t, sol.Trajectory[k][0])
				want := linearExact(x0, tk-c.t0)
				if d := math.Max(math.Abs(got[0]-want[0]), math.Abs(got[1]-want[1])); d > c.tol {
					t.Errorf("state at t=%g off by %.2g > %g", tk, d, c.tol)
				}
			}
			got := flat(t, sol.X[0])
			want := linearExact(x0, c.t1-c.t0)
			if d := math.Max(math.Abs(got[0]-want[0]), math.Abs(got[1]-want[1])); d > c.tol {
				t.Errorf("end state off by %.2g > %g", d, c.tol)
			}
		})
	}
}

func TestSaveAtPointsAndHost(t *testing.T) {
	start := [][]float64{{1, 0}, {0, 2}}
	save := []float64{0, 0.33, 1, 1.57, 2}
	// RK4 with h = 0.05 (and the split pieces shorter): ~1e-7 in float64, float32 round-off ~1e-6 in SolvePoints.
	const tol = 1e-5
	s, err := New(be(t), nil, linearField, Options{Method: RK4, Steps: 40, SaveAt: save})
	if err != nil {
		t.Fatal(err)
	}
	onGraph, err := s.SolvePoints(0, 2, start)
	if err != nil {
		t.Fatal(err)
	}
	onHost, err := SolveHost(hostLinear, start, 0, 2, Options{Method: RK4, Steps: 40, SaveAt: save})
	if err != nil {
		t.Fatal(err)
	}
	for _, sol := range []*PointsSolution{onGraph, onHost} {
		if !slices.Equal(sol.Times, save) || len(sol.Trajectory) != len(save) || sol.Stats.Accepted != 42 { // 0.33 and 1.57 split a step
			t.Fatalf("times %v, %d snapshots, %d steps", sol.Times, len(sol.Trajectory), sol.Stats.Accepted)
		}
		for k, step := range sol.Trajectory {
			for i, p := range step {
				want := linearExact([2]float64{start[i][0], start[i][1]}, save[k])
				if d := math.Hypot(p[0]-want[0], p[1]-want[1]); d > tol {
					t.Errorf("point %d at t=%g off by %.2g", i, save[k], d)
				}
			}
		}
	}
}

func TestSaveAtErrors(t *testing.T) {
	cases := []struct {
		name   string
		save   []float64
		t0, t1 float64
		want   string
	}{
		{"outside", []float64{0.5, 1.5}, 0, 1, "SaveAt[1] = 1.5 is outside [0, 1]"},
		{"before t0", []float64{-0.1}, 0, 1, "outside"},
		{"NaN", []float64{math.NaN()}, 0, 1, "outside"},
		{"not increasing", []float64{0.5, 0.5}, 0, 1, "strictly increasing"},
		{"wrong direction", []float64{0.2, 0.8}, 1, 0, "strictly decreasing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, m := range []Method{RK4, Dopri5} {
				s, err := New(be(t), nil, linearField, Options{Method: m, Steps: 4, Atol: 1e-5, Rtol: 1e-5, SaveAt: c.save})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Solve(c.t0, c.t1, []*tensors.Tensor{tensors.FromValue([][]float32{{1, 0}})}); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: error %v, want one mentioning %q", m, err, c.want)
				}
			}
			if _, err := SolveHost(hostLinear, [][]float64{{1, 0}}, c.t0, c.t1, Options{Method: RK4, Steps: 4, SaveAt: c.save}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("SolveHost: error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	both := Options{Method: RK4, Steps: 4, SaveTrajectory: true, SaveAt: []float64{1}}
	if _, err := New(be(t), nil, linearField, both); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("New with SaveTrajectory and SaveAt: %v", err)
	}
	if _, err := SolveHost(hostLinear, [][]float64{{1, 0}}, 0, 1, both); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("SolveHost with SaveTrajectory and SaveAt: %v", err)
	}
}
