package schedule

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

func backendForTest(t *testing.T) compute.Backend { return testbe.Go(t) }

// allSchedules is one instance of every schedule, with settings chosen to
// exercise each code path (SigmaMin > 0 and = 0, default and custom VP rates,
// polynomial powers below, at and above 1).
var allSchedules = []Scheduler{
	CondOT{SigmaMin: 0.01},
	CondOT{SigmaMin: 0},
	VP{},
	VP{BetaMin: 0.5, BetaMax: 5},
	VE{SigmaMin: 0.01, SigmaMax: 10},
	Cosine{},
	Polynomial{N: 0.5},
	Polynomial{N: 1},
	Polynomial{N: 3},
}

func TestBoundaryValues(t *testing.T) {
	vpAlpha0 := math.Exp(-(0.1 + 20) / 4) // T(1) = (beta_min + beta_max)/2, alpha = exp(-T/2)
	cases := []struct {
		s              Scheduler
		alpha0, sigma0 float64
		alpha1, sigma1 float64
		tol            float64
		why            string
	}{
		{CondOT{SigmaMin: 0.01}, 0, 1, 1, 0.01, 0, "linear in t: exact in float64"},
		{CondOT{}, 0, 1, 1, 0, 0, "rectified flow: exact"},
		{VP{}, vpAlpha0, math.Sqrt(1 - vpAlpha0*vpAlpha0), 1, 0, 1e-15, "exp/expm1: a few ulps"},
		{VE{SigmaMin: 0.01, SigmaMax: 10}, 1, 10, 1, 0.01, 1e-14, "exp(log(1000)) rounds to a few ulps of 10"},
		{Cosine{}, 0, 1, 1, 0, 0, "sin(0) = 0 and sin(pi/2) = 1 exactly in float64"},
		{Polynomial{N: 2}, 0, 1, 1, 0, 0, "powers of 0 and 1 are exact"},
	}
	for _, c := range cases {
		c0, c1 := c.s.At(0), c.s.At(1)
		check := func(what string, got, want float64) {
			if math.Abs(got-want) > c.tol {
				t.Errorf("%s: %s = %.17g, want %.17g +- %g (%s)", c.s.Name(), what, got, want, c.tol, c.why)
			}
		}
		check("alpha_0", c0.Alpha, c.alpha0)
		check("sigma_0", c0.Sigma, c.sigma0)
		check("alpha_1", c1.Alpha, c.alpha1)
		check("sigma_1", c1.Sigma, c.sigma1)
	}
	// VP: sigma_t ~ sqrt(beta_min (1-t)) near t = 1, so its derivative is
	// -Inf at t = 1 (documented).
	if d := (VP{}).At(1).DSigma; !math.IsInf(d, -1) {
		t.Errorf("VP DSigma at t=1 = %v, want -Inf", d)
	}
}

// TestDerivativesFiniteDifference compares DAlpha, DSigma with central
// differences (f(t+h) - f(t-h)) / 2h. With h = 1e-5 the truncation error is
// h^2 |f^(3)| / 6 and the rounding error about 1e-16 |f| / h = 1e-11. The
// largest |f^(3)| on these grids is VP's sigma near t = 0.95 (sigma ~ sqrt of
// a small T): of order 1e4, bounding the error by about 2e-7 (measured worst
// case over all schedules: 5e-9 relative). A tolerance of
// 1e-6 * max(1, |f'|) covers the bound with margin, yet a wrong factor (e.g.
// a missing 1/2 or the sign) is off by O(|f'|).
func TestDerivativesFiniteDifference(t *testing.T) {
	const h = 1e-5
	ts := []float64{0.05, 0.25, 0.5, 0.75, 0.95}
	for _, s := range allSchedules {
		for _, tt := range ts {
			c := s.At(tt)
			p, m := s.At(tt+h), s.At(tt-h)
			fdA := (p.Alpha - m.Alpha) / (2 * h)
			fdS := (p.Sigma - m.Sigma) / (2 * h)
			if tol := 1e-6 * math.Max(1, math.Abs(c.DAlpha)); math.Abs(fdA-c.DAlpha) > tol {
				t.Errorf("%s t=%g: DAlpha = %.10g, finite difference %.10g (tol %g)", s.Name(), tt, c.DAlpha, fdA, tol)
			}
			if tol := 1e-6 * math.Max(1, math.Abs(c.DSigma)); math.Abs(fdS-c.DSigma) > tol {
				t.Errorf("%s t=%g: DSigma = %.10g, finite difference %.10g (tol %g)", s.Name(), tt, c.DSigma, fdS, tol)
			}
		}
	}
}

// TestVariancePreserving: VP and Cosine satisfy alpha^2 + sigma^2 = 1; the
// host formulas compute sigma independently (expm1, or sin of 1-t), so this
// checks them against each other to float64 rounding (1e-14: a few ulps).
func TestVariancePreserving(t *testing.T) {
	for _, s := range []Scheduler{VP{}, VP{BetaMin: 0.5, BetaMax: 5}, Cosine{}} {
		for _, tt := range []float64{0, 0.1, 0.5, 0.9, 0.999, 1} {
			c := s.At(tt)
			if d := c.Alpha*c.Alpha + c.Sigma*c.Sigma - 1; math.Abs(d) > 1e-14 {
				t.Errorf("%s t=%g: alpha^2 + sigma^2 - 1 = %g", s.Name(), tt, d)
			}
		}
	}
}

// TestGraphMatchesHost evaluates Graph in float32 on a grid including both
// ends and compares with At at the same (float32-rounded) times.
//
// Tolerance: |graph - host| <= 2e-6 * max(1, |host|). A float32 result of a
// few elementwise ops is within a few ulps (6e-8 relative each) of the exact
// value; exp(l (1-t)) for VE (l = log 1000 = 6.9) and exp(-T/2) for VP
// (T up to 10) amplify the rounding of their float32 arguments by the
// argument size, up to about 10 * 6e-8 = 6e-7 relative (measured worst
// case: 4.7e-7, VE). 2e-6 leaves a factor ~4 margin while any formula error (a wrong constant or sign) is
// far larger. Infinite values (VP DSigma at t = 1, Polynomial N < 1 at t = 0)
// must be infinite with the same sign on both sides.
func TestGraphMatchesHost(t *testing.T) {
	ts := []float32{0, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1}
	for _, s := range allSchedules {
		outs := graph.MustExecOnceN(backendForTest(t), func(tn *graph.Node) []*graph.Node {
			c := s.Graph(tn)
			return []*graph.Node{c.Alpha, c.Sigma, c.DAlpha, c.DSigma}
		}, ts)
		names := []string{"Alpha", "Sigma", "DAlpha", "DSigma"}
		for k, out := range outs {
			if !out.Shape().Equal(outs[0].Shape()) || out.Shape().Dimensions[0] != len(ts) {
				t.Fatalf("%s: %s has shape %s, want [%d]", s.Name(), names[k], out.Shape(), len(ts))
			}
			got := out.Value().([]float32)
			for i, tt := range ts {
				c := s.At(float64(tt))
				want := []float64{c.Alpha, c.Sigma, c.DAlpha, c.DSigma}[k]
				g := float64(got[i])
				if math.IsInf(want, 0) || math.IsInf(g, 0) {
					if g != want {
						t.Errorf("%s t=%g: %s graph %v, host %v", s.Name(), tt, names[k], g, want)
					}
					continue
				}
				if tol := 2e-6 * math.Max(1, math.Abs(want)); math.Abs(g-want) > tol || math.IsNaN(g) {
					t.Errorf("%s t=%g: %s graph %.9g, host %.9g (tol %g)", s.Name(), tt, names[k], g, want, tol)
				}
			}
		}
	}
}

// TestGraphShape: Graph is elementwise and keeps t's shape (here [2, 3]) and
// dtype, including for the constant coefficients.
func TestGraphShape(t *testing.T) {
	ts := [][]float32{{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}}
	for _, s := range allSchedules {
		outs := graph.MustExecOnceN(backendForTest(t), func(tn *graph.Node) []*graph.Node {
			c := s.Graph(tn)
			return []*graph.Node{c.Alpha, c.Sigma, c.DAlpha, c.DSigma}
		}, ts)
		for k, out := range outs {
			if d := out.Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != 3 || out.DType() != outs[0].DType() {
				t.Errorf("%s: output %d has shape %s, want (Float32)[2, 3]", s.Name(), k, out.Shape())
			}
		}
	}
}

func TestGraphPanicsOnIntegerTime(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("CondOT.Graph on an int32 time did not panic")
		}
	}()
	graph.MustExecOnce(backendForTest(t), func(tn *graph.Node) *graph.Node {
		return CondOT{}.Graph(tn).Sigma
	}, []int32{0, 1})
}

func TestValidate(t *testing.T) {
	cases := []struct {
		s     Scheduler
		field string // "" means valid
	}{
		{CondOT{SigmaMin: 0.01}, ""},
		{CondOT{}, ""}, // rectified flow
		{CondOT{SigmaMin: -0.1}, "SigmaMin"},
		{CondOT{SigmaMin: 1}, "SigmaMin"},
		{CondOT{SigmaMin: math.NaN()}, "SigmaMin"},
		{VP{}, ""},
		{VP{BetaMin: 1, BetaMax: 1}, ""}, // constant rate
		{VP{BetaMin: -1}, "BetaMin"},
		{VP{BetaMin: math.Inf(1)}, "BetaMin"},
		{VP{BetaMin: 30}, "BetaMax"}, // default BetaMax 20 < 30
		{VP{BetaMax: math.NaN()}, "BetaMax"},
		{VE{SigmaMin: 0.01, SigmaMax: 50}, ""},
		{VE{}, "SigmaMin"},
		{VE{SigmaMin: 1, SigmaMax: 1}, "SigmaMax"},
		{VE{SigmaMin: 1, SigmaMax: math.Inf(1)}, "SigmaMax"},
		{Cosine{}, ""},
		{Polynomial{N: 2}, ""},
		{Polynomial{}, "N ="},
		{Polynomial{N: math.NaN()}, "N ="},
	}
	for _, c := range cases {
		err := c.s.Validate()
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.s.Name(), err)
		case c.field != "" && err == nil:
			t.Errorf("%#v: no error, want one naming %s", c.s, c.field)
		case c.field != "" && !strings.Contains(err.Error(), c.field):
			t.Errorf("%#v: error %q does not name %s", c.s, err, c.field)
		}
	}
}

func TestName(t *testing.T) {
	cases := []struct {
		s    Scheduler
		want string
	}{
		{CondOT{SigmaMin: 0.01}, "CondOT(sigma_min=0.01)"},
		{VP{}, "VP(beta_min=0.1, beta_max=20)"},
		{VE{SigmaMin: 0.01, SigmaMax: 50}, "VE(sigma_min=0.01, sigma_max=50)"},
		{Cosine{}, "Cosine"},
		{Polynomial{N: 2}, "Polynomial(n=2)"},
	}
	for _, c := range cases {
		if got := c.s.Name(); got != c.want {
			t.Errorf("Name() = %q, want %q", got, c.want)
		}
	}
}
