// Package probpath builds Gaussian (affine) probability paths from a noise
// schedule, converts between the quantities a network may predict, and gives
// the exact marginal velocity and density of an empirical dataset.
//
// # The path
//
// With a schedule (alpha_t, sigma_t) from package schedule, time t = 0 noise
// and t = 1 data, a pair (x0, x1) with x0 ~ N(0, I) is joined by
//
//	x_t   = alpha_t x1 + sigma_t x0
//	dx_t  = alpha'_t x1 + sigma'_t x0        (d/dt along the pair)
//
// Affine.Sample computes both in a graph; conditional flow matching regresses
// a network on dx_t.
//
// # Parameterizations
//
// At fixed (x_t, t) a network can predict any of four linearly related
// quantities (Param):
//
//	X1        x1
//	Epsilon   eps := x0
//	Score     grad log p_t(x_t | x1) = -eps / sigma_t
//	Velocity  v = alpha'_t x1 + sigma'_t eps
//
// Convert maps one to another through the pair (x1, eps), using
// x_t = alpha_t x1 + sigma_t eps:
//
//	from X1:        eps = (x_t - alpha_t x1) / sigma_t
//	from Epsilon:   x1  = (x_t - sigma_t eps) / alpha_t
//	from Score:     eps = -sigma_t s,   x1 = (x_t + sigma_t^2 s) / alpha_t
//	from Velocity:  solving [alpha sigma; alpha' sigma'] [x1; eps] = [x_t; v],
//	                with det = alpha_t sigma'_t - sigma_t alpha'_t,
//	                x1  = (sigma'_t x_t - sigma_t v) / det
//	                eps = (alpha_t v - alpha'_t x_t) / det
//
// and then to = X1: x1; Epsilon: eps; Score: -eps / sigma_t; Velocity:
// alpha'_t x1 + sigma'_t eps. The result is always A(t) x_t + B(t) pred with
// coefficients computed on t's shape, so a conversion costs two broadcast
// multiplies. Only the coefficients actually needed are formed, so e.g.
// Score <-> Epsilon never divides by alpha_t. Conversions are singular where
// they must be: dividing by alpha_t (from Epsilon/Score to X1/Velocity) at
// t = 0 for schedules with alpha_0 = 0, by sigma_t (to Score, from X1) where
// sigma_t = 0, by det (from Velocity) where det = 0. For CondOT,
// det = -1 everywhere.
//
// # Empirical data: exact marginals
//
// For a dataset q(z) = (1/N) sum_i delta(z - z_i) the marginal path is a
// Gaussian mixture,
//
//	p_t(x) = (1/N) sum_i N(x; alpha_t z_i, sigma_t^2 I),
//
// and the marginal velocity field that generates it is the posterior average
// of the conditional velocities,
//
//	u_t(x | z) = (sigma'_t / sigma_t) (x - alpha_t z) + alpha'_t z,
//	u_t(x)     = sum_i w_i(x) u_t(x | z_i)
//	           = (sigma'_t / sigma_t) (x - alpha_t m(x)) + alpha'_t m(x),
//	w_i(x)     = softmax_i( -|x - alpha_t z_i|^2 / (2 sigma_t^2) ),
//	m(x)       = sum_i w_i(x) z_i.
//
// Empirical.Velocity and Empirical.LogDensity evaluate these exactly on the
// host (float64, log-sum-exp for stability, rows processed in parallel);
// Empirical.VelocityGraph does the same in a graph so an ODE solver can
// integrate the exact field. Training a network with CFM on the dataset
// targets exactly this u_t; integrating it from N(0, I) (CondOT) ends in
// N(z_i, sigma_min^2 I) around the training points -- the "memorizing"
// solution.
//
// # Labelled Gaussian mixtures: exact class fields
//
// For a labelled mixture q(x1 | y = k) = N(mu_k, s_k^2 I) with weights w_k
// (Mixture) every class path is Gaussian, p_t(x | k) = N(alpha_t mu_k,
// v_k I) with v_k = alpha_t^2 s_k^2 + sigma_t^2, and
//
//	u_t(x | k) = alpha'_t mu_k + (alpha'_t alpha_t s_k^2 + sigma'_t sigma_t) / v_k (x - alpha_t mu_k),
//	u_t(x)     = sum_k p_t(k | x) u_t(x | k),   p_t(k | x) ∝ w_k p_t(x | k),
//
// the marginalization trick applied within one class and then over the
// classes. With s_k = 0 and equal weights this is Empirical on the means.
// On any affine path the marginal velocity and the score are tied by
// u_t(x) = a_t x + b_t grad log p_t(x) (Affine.ScoreLink), for the whole
// mixture and for each class alike; package guidance builds on that.
//
// Host functions return errors for bad input: t outside [0, 1] or NaN,
// mismatched dimensions, empty or ragged point sets, non-finite coordinates,
// invalid schedule settings, and times where sigma_t = 0 (the fields above
// divide by sigma_t). Graph functions panic on shape errors, GoMLX style.
package probpath
