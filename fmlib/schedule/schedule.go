package schedule

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Coeffs are a schedule's values at one time t, on the host:
// x_t = Alpha x1 + Sigma x0 and dx_t/dt = DAlpha x1 + DSigma x0.
type Coeffs struct{ Alpha, Sigma, DAlpha, DSigma float64 }

// GraphCoeffs are a schedule's values inside a graph, each with the shape and
// dtype of the time tensor they were computed from.
type GraphCoeffs struct{ Alpha, Sigma, DAlpha, DSigma *graph.Node }

// Scheduler is a noise schedule (alpha_t, sigma_t) with its derivatives.
// Implementations: CondOT, VP, VE, Cosine, Polynomial.
type Scheduler interface {
	// At evaluates the schedule on the host at t (meant for t in [0, 1]; not
	// checked).
	At(t float64) Coeffs
	// Graph evaluates the schedule elementwise on t (any shape, float dtype).
	// It panics if t is not a float tensor.
	Graph(t *graph.Node) GraphCoeffs
	// Name describes the schedule and its settings, e.g. "CondOT(sigma_min=0.01)".
	Name() string
	// Validate reports invalid settings, naming the field.
	Validate() error
}

// checkFloat panics unless t is a float tensor (GoMLX-style programmer error).
func checkFloat(t *graph.Node, who string) {
	if t == nil {
		exceptions.Panicf("schedule.%s.Graph: nil time node", who)
	}
	if !t.DType().IsFloat() {
		exceptions.Panicf("schedule.%s.Graph: time dtype %s, want a float dtype (Float32)", who, t.DType())
	}
}

// full returns a tensor shaped like t filled with v.
func full(t *graph.Node, v float64) *graph.Node {
	return graph.BroadcastToShape(graph.Scalar(t.Graph(), t.DType(), v), t.Shape())
}

// finite reports whether v is neither NaN nor +-Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ---------------------------------------------------------------------------

// CondOT is the conditional optimal-transport path (Lipman et al. 2023):
// alpha_t = t, sigma_t = 1 - (1 - SigmaMin) t.
//
// SigmaMin is the standard deviation left around each data point at t = 1.
// The paper takes SigmaMin in (0, 1); SigmaMin = 0 (rectified flow, straight
// lines x_t = t x1 + (1-t) x0) is allowed too, but then sigma_1 = 0 and every
// quantity divided by sigma_t (scores, marginal velocities of an empirical
// dataset) is singular at t = 1. Valid: 0 <= SigmaMin < 1.
type CondOT struct{ SigmaMin float64 }

// At implements Scheduler.
func (s CondOT) At(t float64) Coeffs {
	// (1 - t) + sigma_min t rather than 1 - (1 - sigma_min) t: exact at both
	// ends and no cancellation near t = 1.
	return Coeffs{Alpha: t, Sigma: (1 - t) + s.SigmaMin*t, DAlpha: 1, DSigma: -(1 - s.SigmaMin)}
}

// Graph implements Scheduler.
func (s CondOT) Graph(t *graph.Node) GraphCoeffs {
	checkFloat(t, "CondOT")
	return GraphCoeffs{
		Alpha:  t,
		Sigma:  graph.Add(graph.OneMinus(t), graph.MulScalar(t, s.SigmaMin)),
		DAlpha: full(t, 1),
		DSigma: full(t, -(1 - s.SigmaMin)),
	}
}

// Name implements Scheduler.
func (s CondOT) Name() string { return fmt.Sprintf("CondOT(sigma_min=%g)", s.SigmaMin) }

// Validate implements Scheduler: 0 <= SigmaMin < 1.
func (s CondOT) Validate() error {
	if !(s.SigmaMin >= 0 && s.SigmaMin < 1) {
		return fmt.Errorf("schedule.CondOT: SigmaMin = %g; need 0 <= SigmaMin < 1 (typical 1e-4 to 0.1; 0 is rectified flow)", s.SigmaMin)
	}
	return nil
}

// ---------------------------------------------------------------------------

// Default VP noise rates, those of the score-SDE paper (Song et al. 2021).
const (
	DefaultBetaMin = 0.1
	DefaultBetaMax = 20
)

// VP is the variance-preserving path of score SDEs in flow-matching time,
// with the linear noise rate beta(s) = BetaMin + (BetaMax - BetaMin) s in
// diffusion time s = 1 - t (see the package doc for the formulas).
//
// A zero field takes its default (BetaMin 0.1, BetaMax 20), so VP{} is the
// usual schedule; to mean a rate of (almost) zero use a tiny positive value.
// Valid after defaults: 0 < BetaMin <= BetaMax, both finite.
type VP struct{ BetaMin, BetaMax float64 }

// betas returns the settings with defaults applied.
func (s VP) betas() (bmin, bmax float64) {
	bmin, bmax = s.BetaMin, s.BetaMax
	if bmin == 0 {
		bmin = DefaultBetaMin
	}
	if bmax == 0 {
		bmax = DefaultBetaMax
	}
	return
}

// At implements Scheduler. DSigma is -Inf at t = 1 (see the package doc).
func (s VP) At(t float64) Coeffs {
	bmin, bmax := s.betas()
	u := 1 - t
	T := u * (bmin + 0.5*(bmax-bmin)*u)
	beta := bmin + (bmax-bmin)*u
	alpha := math.Exp(-0.5 * T)
	sigma := math.Sqrt(-math.Expm1(-T))
	dalpha := 0.5 * beta * alpha
	return Coeffs{Alpha: alpha, Sigma: sigma, DAlpha: dalpha, DSigma: -alpha * dalpha / sigma}
}

// Graph implements Scheduler. DSigma is -Inf at t = 1 (see the package doc).
func (s VP) Graph(t *graph.Node) GraphCoeffs {
	checkFloat(t, "VP")
	bmin, bmax := s.betas()
	u := graph.OneMinus(t)
	T := graph.Mul(u, graph.AddScalar(graph.MulScalar(u, 0.5*(bmax-bmin)), bmin))
	beta := graph.AddScalar(graph.MulScalar(u, bmax-bmin), bmin)
	alpha := graph.Exp(graph.MulScalar(T, -0.5))
	sigma := graph.Sqrt(graph.Neg(graph.Expm1(graph.Neg(T))))
	dalpha := graph.MulScalar(graph.Mul(beta, alpha), 0.5)
	dsigma := graph.Neg(graph.Div(graph.Mul(alpha, dalpha), sigma))
	return GraphCoeffs{Alpha: alpha, Sigma: sigma, DAlpha: dalpha, DSigma: dsigma}
}

// LogSNRInverter is a schedule whose log signal-to-noise ratio
// lambda_t = log(alpha_t^2 / sigma_t^2) can be inverted in closed form:
// package objective draws times with a given distribution of lambda with it
// (importance sampling for likelihood-weighted score matching).
type LogSNRInverter interface {
	Scheduler
	// LogSNR is lambda_t on the host.
	LogSNR(t float64) float64
	// TimeAtLogSNR returns the time t with lambda_t = l, elementwise on l
	// (any shape, float dtype), in a graph.
	TimeAtLogSNR(l *graph.Node) *graph.Node
}

// LogSNR implements LogSNRInverter: with T = T(1 - t),
//
//	lambda_t = log(alpha_t^2 / sigma_t^2) = log(exp(-T) / (1 - exp(-T))) = -log(expm1(T)),
//
// increasing from about -(beta_min + beta_max)/2 at t = 0 to +Inf at t = 1.
func (s VP) LogSNR(t float64) float64 {
	bmin, bmax := s.betas()
	u := 1 - t
	T := u * (bmin + 0.5*(bmax-bmin)*u)
	return -math.Log(math.Expm1(T))
}

// TimeAtLogSNR implements LogSNRInverter: lambda = -log(expm1(T)) gives
// T = log(1 + exp(-lambda)) (softplus(-lambda)), and T(s) = beta_min s +
// (beta_max - beta_min) s^2 / 2 = T gives the diffusion time
//
//	s = 2 T / (beta_min + sqrt(beta_min^2 + 2 (beta_max - beta_min) T))
//
// (the root of the quadratic written without cancellation; it is T/beta_min
// for a constant rate), and t = 1 - s.
func (s VP) TimeAtLogSNR(l *graph.Node) *graph.Node {
	checkFloat(l, "VP.TimeAtLogSNR")
	bmin, bmax := s.betas()
	T := graph.Softplus(graph.Neg(l))
	root := graph.Sqrt(graph.AddScalar(graph.MulScalar(T, 2*(bmax-bmin)), bmin*bmin))
	diffusion := graph.Div(graph.MulScalar(T, 2), graph.AddScalar(root, bmin))
	return graph.OneMinus(diffusion)
}

// Name implements Scheduler (with defaults applied).
func (s VP) Name() string {
	bmin, bmax := s.betas()
	return fmt.Sprintf("VP(beta_min=%g, beta_max=%g)", bmin, bmax)
}

// Validate implements Scheduler: after defaults, 0 < BetaMin <= BetaMax < Inf.
func (s VP) Validate() error {
	bmin, bmax := s.betas()
	if !(bmin > 0) || !finite(bmin) {
		return fmt.Errorf("schedule.VP: BetaMin = %g; need a finite BetaMin > 0 (0 means the default %g)", s.BetaMin, float64(DefaultBetaMin))
	}
	if !(bmax >= bmin) || !finite(bmax) {
		return fmt.Errorf("schedule.VP: BetaMax = %g; need a finite BetaMax >= BetaMin = %g (0 means the default %g)", s.BetaMax, bmin, float64(DefaultBetaMax))
	}
	return nil
}

// ---------------------------------------------------------------------------

// VE is the variance-exploding path in flow-matching time: alpha_t = 1,
// sigma_t = SigmaMin (SigmaMax/SigmaMin)^(1-t). Its source (t = 0) is
// approximately N(0, SigmaMax^2 I), not N(0, I). There are no defaults
// (score-SDE image models used 0.01 and 50; for unit-scale 2D data a
// SigmaMax of a few times the data's spread is enough).
// Valid: 0 < SigmaMin < SigmaMax, both finite.
type VE struct{ SigmaMin, SigmaMax float64 }

// At implements Scheduler.
func (s VE) At(t float64) Coeffs {
	l := math.Log(s.SigmaMax / s.SigmaMin)
	sigma := s.SigmaMin * math.Exp((1-t)*l)
	return Coeffs{Alpha: 1, Sigma: sigma, DAlpha: 0, DSigma: -l * sigma}
}

// Graph implements Scheduler.
func (s VE) Graph(t *graph.Node) GraphCoeffs {
	checkFloat(t, "VE")
	l := math.Log(s.SigmaMax / s.SigmaMin)
	sigma := graph.MulScalar(graph.Exp(graph.MulScalar(graph.OneMinus(t), l)), s.SigmaMin)
	return GraphCoeffs{
		Alpha:  full(t, 1),
		Sigma:  sigma,
		DAlpha: full(t, 0),
		DSigma: graph.MulScalar(sigma, -l),
	}
}

// Name implements Scheduler.
func (s VE) Name() string {
	return fmt.Sprintf("VE(sigma_min=%g, sigma_max=%g)", s.SigmaMin, s.SigmaMax)
}

// Validate implements Scheduler: 0 < SigmaMin < SigmaMax < Inf.
func (s VE) Validate() error {
	if !(s.SigmaMin > 0) || !finite(s.SigmaMin) {
		return fmt.Errorf("schedule.VE: SigmaMin = %g; need a finite SigmaMin > 0 (e.g. 0.01)", s.SigmaMin)
	}
	if !(s.SigmaMax > s.SigmaMin) || !finite(s.SigmaMax) {
		return fmt.Errorf("schedule.VE: SigmaMax = %g; need a finite SigmaMax > SigmaMin = %g (e.g. 50 for images, a few times the data spread for 2D)", s.SigmaMax, s.SigmaMin)
	}
	return nil
}

// ---------------------------------------------------------------------------

// Cosine is the trigonometric path alpha_t = sin(pi t/2), sigma_t =
// cos(pi t/2); alpha_t^2 + sigma_t^2 = 1 (variance preserving). It has no
// settings.
type Cosine struct{}

// At implements Scheduler.
func (Cosine) At(t float64) Coeffs {
	a := math.Sin(0.5 * math.Pi * t)
	s := math.Sin(0.5 * math.Pi * (1 - t))
	return Coeffs{Alpha: a, Sigma: s, DAlpha: 0.5 * math.Pi * s, DSigma: -0.5 * math.Pi * a}
}

// Graph implements Scheduler.
func (Cosine) Graph(t *graph.Node) GraphCoeffs {
	checkFloat(t, "Cosine")
	a := graph.Sin(graph.MulScalar(t, 0.5*math.Pi))
	s := graph.Sin(graph.MulScalar(graph.OneMinus(t), 0.5*math.Pi))
	return GraphCoeffs{
		Alpha:  a,
		Sigma:  s,
		DAlpha: graph.MulScalar(s, 0.5*math.Pi),
		DSigma: graph.MulScalar(a, -0.5*math.Pi),
	}
}

// Name implements Scheduler.
func (Cosine) Name() string { return "Cosine" }

// Validate implements Scheduler; Cosine has no settings.
func (Cosine) Validate() error { return nil }

// ---------------------------------------------------------------------------

// Polynomial is alpha_t = t^N, sigma_t = 1 - t^N. N = 1 is CondOT with
// SigmaMin = 0. For N < 1 the derivatives are infinite at t = 0.
// Valid: N > 0, finite.
type Polynomial struct{ N float64 }

// At implements Scheduler.
func (s Polynomial) At(t float64) Coeffs {
	a := math.Pow(t, s.N)
	d := s.N * math.Pow(t, s.N-1)
	return Coeffs{Alpha: a, Sigma: 1 - a, DAlpha: d, DSigma: -d}
}

// Graph implements Scheduler.
func (s Polynomial) Graph(t *graph.Node) GraphCoeffs {
	checkFloat(t, "Polynomial")
	a := graph.Pow(t, full(t, s.N))
	d := graph.MulScalar(graph.Pow(t, full(t, s.N-1)), s.N)
	return GraphCoeffs{Alpha: a, Sigma: graph.OneMinus(a), DAlpha: d, DSigma: graph.Neg(d)}
}

// Name implements Scheduler.
func (s Polynomial) Name() string { return fmt.Sprintf("Polynomial(n=%g)", s.N) }

// Validate implements Scheduler: N > 0 and finite.
func (s Polynomial) Validate() error {
	if !(s.N > 0) || !finite(s.N) {
		return fmt.Errorf("schedule.Polynomial: N = %g; need a finite N > 0 (N = 1 is linear)", s.N)
	}
	return nil
}
