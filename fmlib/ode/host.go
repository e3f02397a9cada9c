package ode

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
)

// SolveHost integrates dx/dt = f(x, t) on the host in float64 with a
// fixed-step method (Euler, Midpoint, Heun or RK4: the same tableaux as the
// graph solver), from t0 to t1 (t1 < t0 integrates backwards). It is for
// closed-form fields, where float64 accuracy matters more than speed; learned
// fields belong to Solver. Options.Steps is required; Options.SaveTrajectory
// keeps every step in Trajectory, Options.SaveAt the given times (as Solve
// does for fixed-step methods). Stage times t + c h are clamped to
// [min(t0, t1), max(t0, t1)], and a stage with c = 1 in the last step is
// exactly t1, so a field defined only on the interval (e.g. t in [0, 1]) is
// never called outside it. Dopri5 is not offered here.
func SolveHost(f vfield.Host, x0 [][]float64, t0, t1 float64, opts Options) (*PointsSolution, error) {
	if f == nil {
		return nil, fmt.Errorf("ode.SolveHost: the field is nil")
	}
	if opts.Method == Dopri5 {
		return nil, fmt.Errorf("ode.SolveHost: Dopri5 is not available on the host; use a fixed-step method (Euler, Midpoint, Heun, RK4) or ode.New for Dopri5")
	}
	tb, err := opts.Method.Tableau()
	if err != nil {
		return nil, fmt.Errorf("ode.SolveHost: %w", err)
	}
	if opts.Steps <= 0 {
		return nil, fmt.Errorf("ode.SolveHost: Steps = %d; give a positive number of steps", opts.Steps)
	}
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) || t0 == t1 {
		return nil, fmt.Errorf("ode.SolveHost: times t0 = %v, t1 = %v must be finite and different", t0, t1)
	}
	// The step must be a normal float64 (at least 0x1p-1022 in magnitude): t1 - t0
	// overflowing gives an infinite step, and a step that underflows (to 0, or to a
	// subnormal with few significant bits) would silently move the points too little.
	h := (t1 - t0) / float64(opts.Steps)
	if math.IsInf(h, 0) || math.Abs(h) < 0x1p-1022 {
		return nil, fmt.Errorf("ode.SolveHost: the step (t1 - t0) / Steps = (%v - %v) / %d is %v, outside float64's normal range (%g to %g in magnitude); use times of ordinary size", t1, t0, opts.Steps, h, 0x1p-1022, math.MaxFloat64)
	}
	n, d, err := points.Check(x0)
	if err != nil {
		return nil, fmt.Errorf("ode.SolveHost: %w", err)
	}
	clone := func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for i := range x {
			out[i] = append([]float64(nil), x[i]...)
		}
		return out
	}
	plan, err := opts.plan("ode.SolveHost", t0, t1)
	if err != nil {
		return nil, err
	}
	if opts.SaveTrajectory && len(opts.SaveAt) > 0 {
		return nil, fmt.Errorf("ode.SolveHost: SaveTrajectory and SaveAt are both set; keep every step (SaveTrajectory) or the given times (SaveAt), not both")
	}
	x := clone(x0)
	sol := &PointsSolution{}
	if plan.start {
		sol.Times = []float64{t0}
		sol.Trajectory = [][][]float64{clone(x)}
	}
	st := newHostStages(tb, n, d)
	lo, hi := min(t0, t1), max(t0, t1)
	segs := plan.segments(t0, t1, opts.Steps)
	for _, seg := range segs {
		h := seg.h
		k, err := st.eval(f, x, h, stageTimes(tb.C, seg.t, seg.tEnd, lo, hi))
		if err != nil {
			return nil, err
		}
		for i := range x {
			for j := range d {
				for st, b := range tb.B {
					x[i][j] += h * b * k[st][i][j]
				}
				if math.IsNaN(x[i][j]) || math.IsInf(x[i][j], 0) {
					return nil, fmt.Errorf("ode.SolveHost: %s: point %d became NaN/Inf in the step from t = %g to %g; reduce the step size (Steps = %d) or check the field", opts.Method, i, seg.t, seg.tEnd, opts.Steps)
				}
			}
		}
		if seg.save {
			sol.Times = append(sol.Times, seg.tEnd)
			sol.Trajectory = append(sol.Trajectory, clone(x))
		}
	}
	sol.X = x
	sol.Stats = Stats{NFE: tb.Stages() * len(segs), Accepted: len(segs)}
	return sol, nil
}

// hostStages holds the buffers of SolveHost's stages.
type hostStages struct {
	tb Tableau
	// k[st] holds the field's value at stage st, copied out of what the
	// field returned: a field may reuse or write over its input rows.
	k     [][][]float64
	stage [][]float64 // the state a stage evaluates the field at
	n, d  int
}

func newHostStages(tb Tableau, n, d int) *hostStages {
	hs := &hostStages{tb: tb, k: make([][][]float64, tb.Stages()), stage: make([][]float64, n), n: n, d: d}
	for st := range hs.k {
		hs.k[st] = make([][]float64, n)
		for i := range hs.k[st] {
			hs.k[st][i] = make([]float64, d)
		}
	}
	for i := range hs.stage {
		hs.stage[i] = make([]float64, d)
	}
	return hs
}

// eval computes the stages k_st = f(ts[st], x + h sum_{m<st} A[st][m] k_m)
// of one step from x and returns them (k[st][i] is point i's value).
func (hs *hostStages) eval(f vfield.Host, x [][]float64, h float64, ts []float64) ([][][]float64, error) {
	for st, row := range hs.tb.A {
		for i := range x {
			for j := range hs.d {
				v := x[i][j]
				for m, a := range row {
					v += h * a * hs.k[m][i][j]
				}
				hs.stage[i][j] = v
			}
		}
		kst, err := f.Eval("ode.SolveHost", hs.stage, ts[st], hs.n, hs.d)
		if err != nil {
			return nil, err
		}
		for i, r := range kst {
			copy(hs.k[st][i], r) // the field may reuse its input rows
		}
	}
	return hs.k, nil
}
