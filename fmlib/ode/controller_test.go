package ode

import (
	"math"
	"strings"
	"testing"
)

func TestControllerResolved(t *testing.T) {
	cases := []struct {
		name string
		c    Controller
		want Controller // when err == ""
		err  string
	}{
		{"zero value", Controller{}, Controller{Safety: 0.9, MinFactor: 0.2, MaxFactor: 10, PIAlpha: 0.2 - 0.75*0.04, PIBeta: 0.04}, ""},
		{"beta sets the default alpha", Controller{PIBeta: 0.08}, Controller{Safety: 0.9, MinFactor: 0.2, MaxFactor: 10, PIAlpha: 0.2 - 0.75*0.08, PIBeta: 0.08}, ""},
		{"integral", Controller{Integral: true}, Controller{Safety: 0.9, MinFactor: 0.2, MaxFactor: 10, PIAlpha: 0.2, Integral: true}, ""},
		{"all given", Controller{Safety: 0.8, MinFactor: 0.1, MaxFactor: 5, PIAlpha: 0.15, PIBeta: 0.05}, Controller{Safety: 0.8, MinFactor: 0.1, MaxFactor: 5, PIAlpha: 0.15, PIBeta: 0.05}, ""},
		{"negative", Controller{Safety: -0.9}, Controller{}, "Controller.Safety = -0.9"},
		{"NaN", Controller{MaxFactor: math.NaN()}, Controller{}, "Controller.MaxFactor = NaN"},
		{"Inf", Controller{PIAlpha: math.Inf(1)}, Controller{}, "Controller.PIAlpha = +Inf"},
		{"safety above 1", Controller{Safety: 1.5}, Controller{}, "(0, 1]"},
		{"min factor 1", Controller{MinFactor: 1}, Controller{}, "rejected step shrinks"},
		{"max factor below 1", Controller{MaxFactor: 0.5}, Controller{}, ">= 1"},
		// beta = 0.3 makes the default alpha 0.2 - 0.225 < 0.
		{"beta too large", Controller{PIBeta: 0.3}, Controller{}, "must exceed PIBeta"},
		{"alpha below beta", Controller{PIAlpha: 0.03}, Controller{}, "must exceed PIBeta"},
		{"integral with beta", Controller{Integral: true, PIBeta: 0.04}, Controller{}, "drop one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.c.Resolved()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want one mentioning %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	// New reports a bad controller for Dopri5 and fills in the defaults.
	if _, err := New(be(t), nil, linearField, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5, Controller: Controller{MinFactor: 2}}); err == nil || !strings.Contains(err.Error(), "ode.New: ode: Controller.MinFactor") {
		t.Errorf("New with MinFactor 2: %v", err)
	}
	s, err := New(be(t), nil, linearField, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5})
	if err != nil || s.Options().Controller.Safety != DefaultSafety {
		t.Errorf("Options().Controller = %+v, %v; want the defaults filled in", s.Options().Controller, err)
	}
}

func TestControllerDecide(t *testing.T) {
	c, err := Controller{}.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	// fac = 0.9 E^-0.17 E_prev^0.04, clamped to [0.2, 10]; E_prev starts at 1e-4.
	pi := func(e, prev float64) float64 { return 0.9 * math.Pow(e, -0.17) * math.Pow(prev, 0.04) }
	cases := []struct {
		name     string
		state    ctlState
		e        float64
		accept   bool
		fac      float64
		rejected bool // the state afterwards
	}{
		{"first step", newCtlState(), 0.01, true, pi(0.01, 1e-4), false},
		{"zero error grows most", newCtlState(), 0, true, 10, false},
		{"error at the limit", ctlState{errPrev: 1}, 1, true, pi(1, 1), false},
		{"reject", newCtlState(), 4, false, 0.9 * math.Pow(4, -0.17), true},
		{"reject at most shrinks 5x", newCtlState(), 1e12, false, 0.2, true},
		{"after a rejection no growth", ctlState{errPrev: 1e-4, rejected: true}, 0.01, true, 1, false},
		{"after a rejection shrinking is kept", ctlState{errPrev: 1, rejected: true}, 0.9, true, pi(0.9, 1), false},
	}
	for _, c2 := range cases {
		t.Run(c2.name, func(t *testing.T) {
			st := c2.state
			accept, fac := c.decide(c2.e, &st)
			// 1e-12: the same formula in the same order, up to rounding.
			if accept != c2.accept || math.Abs(fac-c2.fac) > 1e-12 || st.rejected != c2.rejected {
				t.Errorf("decide(%g) = %v, %v (rejected %v); want %v, %v (%v)", c2.e, accept, fac, st.rejected, c2.accept, c2.fac, c2.rejected)
			}
		})
	}
}
