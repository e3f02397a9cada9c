// Package likelihood computes the log-density that a continuous normalizing
// flow assigns to data, by the instantaneous change of variables.
//
// # The identity
//
// If X_t follows dX/dt = u_t(X) from X_0 ~ p_0, its density along the path
// obeys d/dt log p_t(X_t) = -div u_t(X_t). Integrating from 0 to 1,
//
//	log p_1(x_1) = log p_0(x_0) - \int_0^1 div u_t(x_t) dt,
//
// where x_t is the trajectory that ends at x_1. The Estimator solves the
// augmented ODE backwards, from t = 1 to t = 0, on the state (x, L):
//
//	dx/dt = u_t(x),   dL/dt = div u_t(x),   x(1) = x_1,  L(1) = 0,
//
// so that x(0) = x_0 and L(0) = -\int_0^1 div u_t dt, and returns
// log p_1(x_1) = log p_0(x_0) + L(0) with p_0 = N(0, I):
// log p_0(x) = -(D log(2 pi) + |x|^2) / 2.
//
// # Divergence
//
// Exact: div u = sum_i d u_i / d x_i, one reverse-mode gradient per
// dimension D (the cost grows like D network evaluations; refused above
// MaxExactDim). It assumes the field treats the rows of the batch
// independently (true of per-point networks such as models.MLP).
//
// Hutchinson: div u = E[eps^T (du/dx) eps] for probes eps with E[eps eps^T] = I
// (Rademacher: entries +-1; Gaussian: N(0, 1)); one vector-Jacobian product
// per probe, whatever D. The probes are drawn once per point and per call and
// kept fixed for the whole solve (as Grathwohl et al.'s FFJORD does), so the
// integrand is a smooth function of t that the adaptive solver can integrate;
// the result is an unbiased estimate of log p_1 given that noise. With
// Options.Probes = K the K estimates are averaged (variance / K). Rademacher
// probes have the smaller variance: for a constant Jacobian J it is
// 2 sum_{i != j} J_ij^2 ((J + J^T)/2 entries), against 2 |(J + J^T)/2|_F^2 for
// Gaussian probes.
//
// # Bits per dimension
//
// For 8-bit data v in {0, ..., 255}^D scaled to [-1, 1], uniform
// dequantization y = 2 (v + u)/256 - 1 with u ~ U[0, 1)^D turns the model
// density p_y into a probability of the discrete value,
//
//	P(v) = \int_{[0,1)^D} p_y(y(v + u)) (2/256)^D du
//	     ~ (1/K) sum_k p_y(y_k) (1/128)^D        (K importance samples u_k),
//
// a lower bound on log P(v) in expectation (Jensen) that tightens as K grows.
// Bits per dimension are -log_2 P(v) / D = -logmeanexp_k(log p_y(y_k)) / (D ln 2) + 7.
// Dequantize and BitsPerDim compute these on the host; Estimator.BitsPerDim
// does all K dequantizations in one solve.
package likelihood
