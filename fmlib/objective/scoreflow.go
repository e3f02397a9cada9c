package objective

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Likelihood weighting (ScoreFlow).
//
// A path x_t = alpha_t x1 + sigma_t x0 has, in diffusion time s = 1 - t, the
// marginals of the SDE dx = f(s) x ds + g(s) dW with f = d log(alpha)/ds and
//
//	g^2 = d sigma^2/ds - 2 f sigma^2 = sigma_t^2 d lambda_t/dt = 2 sigma_t (sigma_t alpha'_t/alpha_t - sigma'_t),
//
// where lambda_t = log(alpha_t^2 / sigma_t^2) is the log signal-to-noise
// ratio (increasing towards the data). For the VP path g^2 = beta(1 - t),
// the noise rate. Song, Durkan, Murray and Ermon (2021), "Maximum Likelihood
// Training of Score-Based Diffusion Models", show that denoising score
// matching weighted by lambda(t) = g^2,
//
//	J = int_eps^{1-eps} g_t^2 E |s(x_t, t) + x0/sigma_t|^2 dt,
//
// bounds the negative log-likelihood of the SDE model up to a constant
// (their Theorem 1), hence "ScoreFlow". The usual weight sigma_t^2 does not.
//
// Variance reduction. With t uniform the per-sample term is
// g^2 |s + x0/sigma|^2 = (d lambda/dt) |sigma s + x0|^2, and d lambda/dt =
// g^2/sigma^2 grows like 1/(1 - t) near the data for the VP path (sigma_t^2
// ~ beta_min (1 - t)): a heavy-tailed weight whose variance grows like
// 1/eps. We draw t instead with density proportional to that weight,
//
//	q(t) = (d lambda_t/dt) / Z,   Z = lambda_{1-eps} - lambda_eps,
//
// i.e. lambda_t uniform on [lambda_eps, lambda_{1-eps}] (LogSNRTime), and
// multiply each term by the density ratio r(t) = u(t)/q(t) of the uniform
// density u = 1/(1 - 2 eps), so the estimate stays unbiased for J/(1-2eps)
// (the uniform-time objective's value). Each term is then
// r g^2 |s + x0/sigma|^2 = Z/(1 - 2 eps) |sigma s + x0|^2: the time weight
// is a constant, as in Song et al.'s importance-sampled likelihood
// weighting. For the default VP path and eps = 1e-5, Z = 23.9 (lambda runs
// from -10.05 to 13.8), and a fifth of the draws fall at t > 1 - 1e-3,
// where the noise is smallest.

// LikelihoodWeight returns g_t^2 = sigma_t^2 d lambda_t/dt =
// 2 sigma_t (sigma_t alpha'_t/alpha_t - sigma'_t), elementwise on the times
// t: ScoreFlow's weight (beta(1 - t) for the VP path).
func LikelihoodWeight(path probpath.Affine, t *graph.Node) *graph.Node {
	if path.Sched == nil {
		exceptions.Panicf("objective.LikelihoodWeight: path has no scheduler")
	}
	return likelihoodWeight(path.Sched.Graph(t))
}

func likelihoodWeight(c schedule.GraphCoeffs) *graph.Node {
	inner := graph.Sub(graph.Div(graph.Mul(c.Sigma, c.DAlpha), c.Alpha), c.DSigma)
	return graph.MulScalar(graph.Mul(c.Sigma, inner), 2)
}

// LikelihoodWeightAt is LikelihoodWeight on the host.
func LikelihoodWeightAt(s schedule.Scheduler, t float64) float64 {
	c := s.At(t)
	return 2 * c.Sigma * (c.Sigma*c.DAlpha/c.Alpha - c.DSigma)
}

// LogSNRRange returns the log signal-to-noise ratios at the ends of
// [eps, 1 - eps] and Z = their difference, the normaliser of LogSNRTime's
// density. It fails for a scheduler without a closed-form inverse
// (schedule.LogSNRInverter: VP) or a range that is empty or not finite.
func LogSNRRange(s schedule.Scheduler, eps float64) (lo, hi, z float64, err error) {
	inv, ok := s.(schedule.LogSNRInverter)
	if !ok {
		return 0, 0, 0, fmt.Errorf("objective: importance-sampled times need the log-SNR inverse of the path's schedule; %s has none (use the VP path)", nameOf(s))
	}
	if !(eps > 0 && eps < 0.5) {
		return 0, 0, 0, fmt.Errorf("objective: importance-sampled times need 0 < eps < 0.5 (lambda is infinite at the ends), got %g", eps)
	}
	lo, hi = inv.LogSNR(eps), inv.LogSNR(1-eps)
	z = hi - lo
	if !(z > 0) || math.IsInf(z, 0) || math.IsNaN(z) {
		return 0, 0, 0, fmt.Errorf("objective: log-SNR of %s runs from %g to %g on [%g, %g]; need a finite increasing range", inv.Name(), lo, hi, eps, 1-eps)
	}
	return lo, hi, z, nil
}

func nameOf(s schedule.Scheduler) string {
	if s == nil {
		return "a path without scheduler"
	}
	return s.Name()
}

// LogSNRTime maps u in [0, 1) (shape [B]) to times t in [eps, 1 - eps] whose
// log-SNR lambda_t is uniform on [lambda_eps, lambda_{1-eps}], i.e. with
// density q(t) = (d lambda/dt)/Z, and returns with them the importance
// ratio r(t) = 1/((1 - 2 eps) q(t)) = Z / ((1 - 2 eps) d lambda/dt) of the
// uniform density on [eps, 1 - eps] to q, so that E_q[r(t) h(t)] =
// E_uniform[h(t)] for any h (see the package's likelihood-weighting notes
// above). It panics unless the path's scheduler is a schedule.LogSNRInverter
// and 0 < eps < 0.5.
func LogSNRTime(path probpath.Affine, u *graph.Node, eps float64) (t, ratio *graph.Node) {
	lo, _, z, err := LogSNRRange(path.Sched, eps)
	if err != nil {
		exceptions.Panicf("%v", err)
	}
	inv := path.Sched.(schedule.LogSNRInverter)
	l := graph.AddScalar(graph.MulScalar(u, z), lo)
	raw := inv.TimeAtLogSNR(l)
	g, dt := raw.Graph(), raw.DType()
	t = graph.Clamp(graph.Scalar(g, dt, eps), raw, graph.Scalar(g, dt, 1-eps))
	c := inv.Graph(t)
	dl := graph.MulScalar(graph.Sub(graph.Div(c.DAlpha, c.Alpha), graph.Div(c.DSigma, c.Sigma)), 2)
	ratio = graph.Div(graph.Scalar(t.Graph(), t.DType(), z/(1-2*eps)), dl)
	return t, ratio
}

// SampleLogSNRTime draws batch times with LogSNRTime from the store's random
// number generator (see SampleTime) and returns them with their importance
// ratios, both of shape [batch].
func SampleLogSNRTime(scope *model.Scope, g *graph.Graph, dtype dtypes.DType, batch int, path probpath.Affine, eps float64) (t, ratio *graph.Node) {
	if batch < 1 {
		exceptions.Panicf("objective.SampleLogSNRTime: batch = %d; need >= 1", batch)
	}
	return LogSNRTime(path, scope.RandomUniform(g, shapes.Make(dtype, batch)), eps)
}
