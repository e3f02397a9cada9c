// Package schedule holds the noise schedules (alpha_t, sigma_t) of Gaussian
// (affine) probability paths and their time derivatives.
//
// # Convention
//
// Time runs from noise to data: t = 0 is the source x0 ~ N(0, I), t = 1 the
// data x1. A schedule defines the path
//
//	x_t = alpha_t x1 + sigma_t x0,        t in [0, 1],
//
// and its velocity along one (x0, x1) pair
//
//	dx_t/dt = alpha'_t x1 + sigma'_t x0.
//
// A Scheduler returns the four numbers (Alpha, Sigma, DAlpha, DSigma) at a
// time t, either on the host in float64 (At) or inside a GoMLX graph,
// elementwise on a float tensor of times (Graph). Both evaluate the same
// closed forms; tests check they agree to float32 precision and that the
// derivatives match finite differences of the values.
//
// # Schedules
//
// CondOT{SigmaMin} -- the conditional optimal-transport path of Lipman et
// al. (2023); SigmaMin = 0 is rectified flow:
//
//	alpha_t = t                       alpha'_t = 1
//	sigma_t = 1 - (1 - sigma_min) t   sigma'_t = -(1 - sigma_min)
//
// VP{BetaMin, BetaMax} -- the variance-preserving path of score SDEs (Song et
// al. 2021) rewritten in flow-matching time. With s = 1 - t (diffusion time)
// and the integrated noise rate
//
//	T(s) = beta_min s + (beta_max - beta_min) s^2 / 2,   beta(s) = T'(s),
//
// the schedule is
//
//	alpha_t  = exp(-T(1-t) / 2)
//	sigma_t  = sqrt(1 - alpha_t^2) = sqrt(-expm1(-T(1-t)))
//	alpha'_t = beta(1-t) alpha_t / 2
//	sigma'_t = -alpha_t alpha'_t / sigma_t = -beta(1-t) alpha_t^2 / (2 sigma_t)
//
// sigma_t is computed with expm1 so that it keeps full relative precision as
// t -> 1 (where alpha_t -> 1 and 1 - alpha_t^2 would cancel). Near t = 1,
// sigma_t ~ sqrt(beta_min (1 - t)), so sigma'_t diverges: at t = 1 exactly
// DSigma is -Inf (on the host and in the graph). Every velocity built from
// it is singular there; sample times from [0, 1 - eps]. alpha_0 =
// exp(-(beta_min + beta_max)/4) is small (about 0.0063 for the defaults) but
// not 0: the VP path starts close to, not exactly at, N(0, I).
//
// VE{SigmaMin, SigmaMax} -- the variance-exploding path in flow-matching time:
//
//	alpha_t = 1                                    alpha'_t = 0
//	sigma_t = sigma_min (sigma_max/sigma_min)^(1-t)  sigma'_t = -log(sigma_max/sigma_min) sigma_t
//
// Its t = 0 marginal is the data blurred by N(0, sigma_max^2 I), so its
// source distribution is N(0, sigma_max^2 I) (approximately, for sigma_max
// much larger than the data), not N(0, I).
//
// Cosine{} -- alpha_t = sin(pi t / 2), sigma_t = cos(pi t / 2) = sin(pi (1-t) / 2),
// alpha'_t = (pi/2) sigma_t, sigma'_t = -(pi/2) alpha_t. sigma is evaluated
// as sin(pi (1-t)/2) so that it is exactly 0 at t = 1 in float32 as well
// (cos of the float32 nearest to pi/2 is slightly negative).
//
// Polynomial{N} -- alpha_t = t^N, sigma_t = 1 - t^N, alpha'_t = N t^(N-1) =
// -sigma'_t. For N < 1 the derivatives are +-Inf at t = 0.
//
// # Settings and ranges
//
// Validate checks a schedule's settings and names the offending field.
// At and Graph do not check: they evaluate the formulas as written, so a
// t outside [0, 1] or invalid settings give the formula's extension (possibly
// NaN). Host APIs built on a Scheduler (package probpath) validate both.
package schedule
