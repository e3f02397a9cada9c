package ode

import (
	"fmt"
	"math"
)

// Defaults of Controller: the values of Hairer's DOPRI5 code.
const (
	DefaultSafety    = 0.9  // Controller.Safety
	DefaultMinFactor = 0.2  // Controller.MinFactor
	DefaultMaxFactor = 10.0 // Controller.MaxFactor
	DefaultPIBeta    = 0.04 // Controller.PIBeta; the default PIAlpha is 1/5 - 0.75 PIBeta
)

// Controller is the step-size controller of the adaptive method (Dopri5): a
// PI controller that turns the error estimate E of the step just tried (E <=
// 1 accepts it) into the next step size (see the package documentation for
// the formula). The zero value is the default controller; each field left 0
// takes its default:
//
//	Safety     0.9   in (0, 1]: fraction of the optimal step actually taken
//	MinFactor  0.2   in (0, 1): the most a step can shrink, h_next >= MinFactor h
//	MaxFactor  10    >= 1: the most a step can grow, h_next <= MaxFactor h
//	PIBeta     0.04  >= 0: weight of the previous accepted error (0 only with Integral)
//	PIAlpha    1/5 - 0.75 PIBeta (0.17): weight of the current error; must exceed PIBeta
//
// Integral selects the integral (I) controller instead: beta = 0 and, unless
// PIAlpha is set, alpha = 1/5 (the 5th-order method's exponent). The
// tolerances Atol and Rtol are not part of the controller: they define the
// error norm, are compiled into the step graph and live in Options.
type Controller struct {
	Safety, MinFactor, MaxFactor float64
	PIAlpha, PIBeta              float64
	Integral                     bool
}

// Resolved returns the controller with its defaults filled in, or an error
// naming the first value out of range and what to give instead.
func (c Controller) Resolved() (Controller, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Safety", c.Safety}, {"MinFactor", c.MinFactor}, {"MaxFactor", c.MaxFactor}, {"PIAlpha", c.PIAlpha}, {"PIBeta", c.PIBeta}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return c, fmt.Errorf("ode: Controller.%s = %g; give a finite value >= 0 (0 = default)", f.name, f.v)
		}
	}
	if c.Integral && c.PIBeta != 0 {
		return c, fmt.Errorf("ode: Controller.Integral sets beta = 0 but PIBeta = %g; drop one of them", c.PIBeta)
	}
	if c.Safety == 0 {
		c.Safety = DefaultSafety
	}
	if c.MinFactor == 0 {
		c.MinFactor = DefaultMinFactor
	}
	if c.MaxFactor == 0 {
		c.MaxFactor = DefaultMaxFactor
	}
	if c.PIBeta == 0 && !c.Integral {
		c.PIBeta = DefaultPIBeta
	}
	if c.PIAlpha == 0 {
		c.PIAlpha = 0.2 - 0.75*c.PIBeta
	}
	switch {
	case c.Safety > 1:
		return c, fmt.Errorf("ode: Controller.Safety = %g; give a value in (0, 1] (typical 0.8 to 0.9)", c.Safety)
	case c.MinFactor >= 1:
		return c, fmt.Errorf("ode: Controller.MinFactor = %g; give a value in (0, 1) so that a rejected step shrinks (typical 0.2)", c.MinFactor)
	case c.MaxFactor < 1:
		return c, fmt.Errorf("ode: Controller.MaxFactor = %g; give a value >= 1 (typical 5 to 10)", c.MaxFactor)
	case !(c.PIAlpha > c.PIBeta):
		// With E_prev = E the factor is E^(beta - alpha): a persistent error
		// above 1 must shrink the step, so alpha > beta.
		return c, fmt.Errorf("ode: Controller.PIAlpha = %g must exceed PIBeta = %g, or a persistently large error would grow the step; the default alpha is 1/5 - 0.75 beta (give PIAlpha when PIBeta > 0.114)", c.PIAlpha, c.PIBeta)
	}
	return c, nil
}

// ctlState is what the controller remembers between attempts.
type ctlState struct {
	errPrev  float64 // E of the last accepted step, at least 1e-4 (Hairer's start value)
	rejected bool    // the last attempt was rejected
}

func newCtlState() ctlState { return ctlState{errPrev: 1e-4} }

// decide accepts or rejects the step with error estimate e (finite, >= 0) and
// returns the factor for the next step size, h_next = fac * h. c must be
// resolved. After a rejection the step may not grow: neither on the retry
// nor on the step after the retry is accepted (Hairer's DOPRI5 and scipy).
func (c Controller) decide(e float64, st *ctlState) (accept bool, fac float64) {
	if e > 1 {
		st.rejected = true
		return false, min(1, max(c.MinFactor, c.Safety*math.Pow(e, -c.PIAlpha)))
	}
	fac = c.MaxFactor
	if e > 0 {
		fac = c.Safety * math.Pow(e, -c.PIAlpha) * math.Pow(st.errPrev, c.PIBeta)
	}
	fac = min(c.MaxFactor, max(c.MinFactor, fac))
	if st.rejected {
		fac = min(1, fac)
	}
	st.errPrev = max(e, 1e-4)
	st.rejected = false
	return true, fac
}

// rejectNonFinite records an attempt whose error estimate was NaN/Inf: it is
// rejected and the step shrinks by MinFactor.
func (c Controller) rejectNonFinite(st *ctlState) float64 {
	st.rejected = true
	return c.MinFactor
}
