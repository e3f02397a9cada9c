package ode

import (
	"fmt"
	"math"
)

// savePlan is what one solve from t0 to t1 records (Options.SaveTrajectory
// or Options.SaveAt).
type savePlan struct {
	every bool      // SaveTrajectory: the state after every (accepted) step
	start bool      // the state at t0
	times []float64 // SaveAt times after t0, in the direction of integration
}

// plan validates the save options for a solve from t0 to t1.
func (o Options) plan(who string, t0, t1 float64) (savePlan, error) {
	if o.SaveTrajectory {
		return savePlan{every: true, start: true}, nil
	}
	var p savePlan
	dir := math.Copysign(1, t1-t0)
	lo, hi := min(t0, t1), max(t0, t1)
	for k, s := range o.SaveAt {
		if math.IsNaN(s) || s < lo || s > hi {
			return p, fmt.Errorf("%s: SaveAt[%d] = %g is outside [%g, %g]; give save times within the interval of integration", who, k, s, lo, hi)
		}
		if k > 0 && !((s-o.SaveAt[k-1])*dir > 0) {
			order := "increasing"
			if dir < 0 {
				order = "decreasing"
			}
			return p, fmt.Errorf("%s: SaveAt[%d] = %g after SaveAt[%d] = %g; from t0 = %g to t1 = %g save times must be strictly %s", who, k, s, k-1, o.SaveAt[k-1], t0, t1, order)
		}
		if s == t0 {
			p.start = true
			continue
		}
		p.times = append(p.times, s)
	}
	return p, nil
}

// segment is one step of a fixed-step solve: from t to tEnd with increment
// h = tEnd - t (so that the increments add up to t1 - t0 and agree with the
// stage times t + c (tEnd - t)); save records the state at tEnd.
type segment struct {
	t, tEnd, h float64
	save       bool
}

// onGrid is how close (relative to the step) a save time must be to a grid
// point of a fixed-step method to count as that grid point: save times
// computed as t0 + k (t1 - t0)/Steps in another way differ by a few ulps.
const onGrid = 1e-9

// segments returns the steps of a fixed-step solve of n steps from t0 to t1:
// the grid t_k = t0 + k h, h = (t1 - t0)/n (t_n = t1 exactly), where a save
// time within onGrid*|h| of an inner grid point replaces that point, and a
// save time strictly inside a grid step splits it in two.
func (p savePlan) segments(t0, t1 float64, n int) []segment {
	h := (t1 - t0) / float64(n)
	dir := math.Copysign(1, h) // not h itself: (tEnd - s) h can underflow to 0
	segs := make([]segment, 0, n+len(p.times))
	saves := p.times
	t := t0
	for k := range n {
		tEnd := t0 + float64(k+1)*h
		if k == n-1 {
			tEnd = t1
		}
		for len(saves) > 0 {
			s := saves[0]
			if k < n-1 && math.Abs(s-tEnd) <= onGrid*math.Abs(h) {
				tEnd = s
				break
			}
			if (tEnd-s)*dir <= 0 { // at or after the end of this grid step
				break
			}
			segs = append(segs, segment{t: t, tEnd: s, h: s - t, save: true})
			t = s
			saves = saves[1:]
		}
		seg := segment{t: t, tEnd: tEnd, h: tEnd - t, save: p.every}
		if len(saves) > 0 && saves[0] == tEnd {
			seg.save = true
			saves = saves[1:]
		}
		segs = append(segs, seg)
		t = tEnd
	}
	return segs
}
