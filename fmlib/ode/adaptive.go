package ode

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// adaptiveRun is the state of one Dopri5 solve: the host side of the step
// loop around the compiled init, probe and trial graphs.
type adaptiveRun struct {
	s         *Solver
	es        *execSet
	aux       []*tensors.Tensor
	t0, t1    float64
	dir       float64 // sign of t1 - t0
	lo, hi    float64 // the interval of integration
	minStep   float64
	plan      savePlan
	sol       *Solution
	t         float64
	x, k1     []*tensors.Tensor // state at t and f(t, x)
	keepX     bool              // x belongs to the caller or to the trajectory
	h         float64           // the controller's proposal (magnitude)
	ctl       ctlState
	nonFinite int // consecutive attempts with a NaN/Inf error estimate
	// sawNonFinite: some attempt had a NaN/Inf error estimate, the last one
	// at nonFiniteT (for the MinStep message).
	sawNonFinite bool
	nonFiniteT   float64
}

func (s *Solver) solveAdaptive(es *execSet, t0, t1 float64, x0, aux []*tensors.Tensor, plan savePlan) (*Solution, error) {
	r := &adaptiveRun{s: s, es: es, aux: aux, t0: t0, t1: t1, dir: math.Copysign(1, t1-t0),
		lo: min(t0, t1), hi: max(t0, t1), plan: plan, sol: &Solution{}, t: t0, x: x0, keepX: true, ctl: newCtlState()}
	r.minStep = s.opts.MinStep
	if r.minStep == 0 {
		r.minStep = DefaultMinStepFraction * math.Abs(t1-t0)
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	if plan.start {
		r.sol.Times = append(r.sol.Times, t0)
		r.sol.Trajectory = append(r.sol.Trajectory, x0)
	}
	// Stop at every save time, then at t1 (unless t1 was the last save time).
	type stop struct {
		t    float64
		save bool
	}
	var stops []stop
	for _, ts := range plan.times {
		stops = append(stops, stop{ts, true})
	}
	if len(stops) == 0 || stops[len(stops)-1].t != t1 {
		stops = append(stops, stop{t1, false})
	}
	for _, st := range stops {
		if err := r.advanceTo(st.t, st.save); err != nil {
			finalize(r.k1)
			if !r.keepX {
				finalize(r.x)
			}
			return nil, err
		}
	}
	finalize(r.k1)
	r.sol.X = r.x
	return r.sol, nil
}

// start evaluates k1 = f(t0, x0) and chooses the first step size.
func (r *adaptiveRun) start() error {
	s, nx := r.s, len(r.x)
	out, err := r.es.init.Exec(append([]any{scalarF32(r.t0)}, toAny(r.x, r.aux)...)...)
	if err != nil {
		return fmt.Errorf("ode.Solve: Dopri5 first field evaluation at t=%g: %w", r.t0, err)
	}
	r.sol.Stats.NFE++
	r.k1 = out[:nx]
	d0 := float64(tensors.ToScalar[float32](out[nx]))
	d1 := float64(tensors.ToScalar[float32](out[nx+1]))
	finalize(out[nx:])
	switch {
	case math.IsNaN(d0) || math.IsInf(d0, 0):
		err = fmt.Errorf("ode.Solve: the initial state x0 contains NaN/Inf (at t=%g)", r.t0)
	case math.IsNaN(d1) || math.IsInf(d1, 0):
		err = fmt.Errorf("ode.Solve: the field is NaN/Inf at the initial state (t=%g)", r.t0)
	default:
		r.h = s.opts.InitialStep
		if r.h == 0 {
			r.h, err = r.initialStep(d0, d1)
		}
	}
	if err != nil {
		finalize(r.k1)
		return err
	}
	r.h = max(min(r.h, math.Abs(r.t1-r.t0)), r.minStep)
	return nil
}

// initialStep is Hairer, Norsett & Wanner's heuristic (Solving ODEs I,
// II.4): a probe step h0 from d0 = ||x0|| and d1 = ||f0||, one more field
// evaluation for a second-derivative estimate d2, and the step
// min(100 h0, (0.01 / max(d1, d2))^(1/5)).
func (r *adaptiveRun) initialStep(d0, d1 float64) (float64, error) {
	h0 := probeStep(d0, d1, math.Abs(r.t1-r.t0))
	tProbe := min(max(r.t0+r.dir*h0, r.lo), r.hi)
	out, err := r.es.probe.Exec(append([]any{scalarF32(tProbe), scalarF32(r.dir * h0)}, toAny(r.x, r.k1, r.aux)...)...)
	if err != nil {
		return 0, fmt.Errorf("ode.Solve: Dopri5 initial-step probe at t=%g: %w", r.t0, err)
	}
	r.sol.Stats.NFE++
	d2 := float64(tensors.ToScalar[float32](out[0])) / h0
	finalize(out)
	return firstStep(h0, d1, d2), nil
}

// probeStep is the size of the initial-step heuristic's probe: 0.01 d0/d1,
// or 1e-6 when either norm is below 1e-5, at most span.
func probeStep(d0, d1, span float64) float64 {
	h0 := 1e-6
	if d0 >= 1e-5 && d1 >= 1e-5 {
		h0 = 0.01 * d0 / d1
	}
	return min(h0, span)
}

// firstStep turns the probe into the first step: min(100 h0, h1) with
// h1 = (0.01/max(d1, d2))^(1/5) (h1 = h0 when that is NaN/Inf: the step loop
// shrinks h on NaN/Inf; max(1e-6, 1e-3 h0) when both derivatives vanish).
func firstStep(h0, d1, d2 float64) float64 {
	var h1 float64
	m := max(d1, d2)
	switch {
	case math.IsNaN(m) || math.IsInf(m, 0):
		h1 = h0
	case m <= 1e-15:
		h1 = max(1e-6, h0*1e-3)
	default:
		h1 = math.Pow(0.01/m, 1.0/5)
	}
	return min(100*h0, h1)
}

// advanceTo takes steps until t reaches stop, landing on it exactly, and
// records the state there when save is set (SaveTrajectory records every
// accepted step).
func (r *adaptiveRun) advanceTo(stop float64, save bool) error {
	s := r.s
	st := &r.sol.Stats
	for {
		if st.Accepted+st.Rejected >= s.opts.MaxSteps {
			return fmt.Errorf("ode.Solve: Dopri5 reached MaxSteps=%d (accepted %d, rejected %d) at t=%g of [%g, %g]; the problem may be stiff or the tolerances (Atol=%g, Rtol=%g) too tight: raise MaxSteps or loosen the tolerances",
				s.opts.MaxSteps, st.Accepted, st.Rejected, r.t, r.t0, r.t1, s.opts.Atol, s.opts.Rtol)
		}
		// Land exactly on the stop; also absorb a last sliver shorter than 1% of h.
		remaining := math.Abs(stop - r.t)
		hh, landing := r.h, false
		if hh >= remaining*(1-1e-9) || remaining-hh < 0.01*hh {
			hh, landing = remaining, true
		}
		tEnd := r.t + r.dir*hh
		if landing {
			tEnd = stop
		}
		xNew, k7, e, err := r.trial(hh, tEnd)
		if err != nil {
			return err
		}
		if math.IsNaN(e) || math.IsInf(e, 0) {
			finalize(xNew)
			finalize(k7)
			if err := r.rejectNonFinite(hh); err != nil {
				return err
			}
			continue
		}
		r.nonFinite = 0
		accept, fac := s.opts.Controller.decide(e, &r.ctl)
		hNext := hh * fac
		if s.onStep != nil {
			s.onStep(r.t, hh, e, accept, hNext)
		}
		if !accept {
			st.Rejected++
			finalize(xNew)
			finalize(k7)
		} else {
			st.Accepted++
			if hh < r.h && fac >= 1 {
				// A step shortened to land on a stop does not shrink the
				// next proposal unless its error asked for a smaller step.
				hNext = max(hNext, r.h)
			}
			r.acceptStep(xNew, k7, tEnd, save && landing || r.plan.every)
		}
		r.h = hNext
		if accept && landing {
			return nil
		}
		if r.h < r.minStep {
			if r.sawNonFinite {
				return fmt.Errorf("ode.Solve: Dopri5 step size %g fell below MinStep=%g at t=%g after the state/error estimate became NaN/Inf in a step from t=%g; check the field for NaN/Inf there", r.h, r.minStep, r.t, r.nonFiniteT)
			}
			return fmt.Errorf("ode.Solve: Dopri5 step size %g fell below MinStep=%g at t=%g; the problem may be stiff or singular there, or the tolerances (Atol=%g, Rtol=%g) too tight", r.h, r.minStep, r.t, s.opts.Atol, s.opts.Rtol)
		}
	}
}

// trial runs one Dopri5 step of size hh from t to tEnd and returns the
// 5th-order state, k7 = f(tEnd, xNew) and the error estimate E.
func (r *adaptiveRun) trial(hh, tEnd float64) (xNew, k7 []*tensors.Tensor, e float64, err error) {
	nx := len(r.x)
	ts := tensors.FromValue(stageTimesF32(dopriC, r.t, tEnd, r.lo, r.hi))
	defer func() { _ = ts.FinalizeAll() }()
	out, err := r.es.trial.Exec(append([]any{ts, scalarF32(r.dir * hh)}, toAny(r.x, r.k1, r.aux)...)...)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("ode.Solve: Dopri5 step at t=%g (h=%g): %w", r.t, r.dir*hh, err)
	}
	r.sol.Stats.NFE += 6
	e = float64(tensors.ToScalar[float32](out[2*nx]))
	_ = out[2*nx].FinalizeAll()
	return out[:nx], out[nx : 2*nx], e, nil
}

// rejectNonFinite handles an attempt of size hh whose error estimate was
// NaN/Inf: it shrinks h by MinFactor, and gives up after maxNonFinite such
// attempts in a row or when h falls below MinStep.
func (r *adaptiveRun) rejectNonFinite(hh float64) error {
	r.sol.Stats.Rejected++
	r.nonFinite++
	r.sawNonFinite, r.nonFiniteT = true, r.t
	if r.nonFinite >= maxNonFinite {
		return fmt.Errorf("ode.Solve: Dopri5: the state/error estimate became NaN/Inf in the step from t=%g (h=%g), %d times in a row while shrinking h; check the field for NaN/Inf near t=%g", r.t, r.dir*hh, r.nonFinite, r.t)
	}
	r.h = hh * r.s.opts.Controller.rejectNonFinite(&r.ctl)
	if r.h < r.minStep {
		return fmt.Errorf("ode.Solve: Dopri5: the state/error estimate became NaN/Inf in a step from t=%g and the step size fell below MinStep=%g; check the field for NaN/Inf near t=%g", r.t, r.minStep, r.t)
	}
	return nil
}

// acceptStep moves to (tEnd, xNew) with k1 = k7, recording the state when save is set.
func (r *adaptiveRun) acceptStep(xNew, k7 []*tensors.Tensor, tEnd float64, save bool) {
	if !r.keepX {
		finalize(r.x)
	}
	finalize(r.k1)
	r.x, r.k1, r.keepX, r.t = xNew, k7, save, tEnd
	if save {
		r.sol.Times = append(r.sol.Times, tEnd)
		r.sol.Trajectory = append(r.sol.Trajectory, xNew)
	}
}
