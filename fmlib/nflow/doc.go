// Package nflow holds the pieces of discrete and continuous normalizing flows
// that notebook 02 derives and checks: the change of variables for densities,
// affine coupling layers (RealNVP) and their compositions, full Jacobians by
// automatic differentiation, and exact and Hutchinson divergences. The
// notebook's other tools live in the library: the 1D field with a
// closed-form nonlinear flow is fields.TanhField, and the histogram test of a
// sampled density against a formula is metrics.GoodnessOfFit (with
// metrics.Counts and metrics.BinProbs).
//
// A teaching helper (see the README's tiers): the library-core counterpart is
// likelihood, which computes a trained flow's log-densities by the
// instantaneous change of variables with the same exact and Hutchinson
// divergences.
//
// # Change of variables
//
// If X has density p_X on R^D and f is a smooth bijection, Y = f(X) has density
//
//	p_Y(y) = p_X(f^{-1}(y)) |det J_{f^{-1}}(y)| = p_X(x) / |det J_f(x)|,  x = f^{-1}(y),
//
// that is log p_Y(y) = log p_X(x) - log|det J_f(x)|. In 1D, J_f = f'(x): where
// f stretches (|f'| > 1) the density thins out. A composition
// f = f_K o ... o f_1 (a normalizing flow) adds the log-determinants of its
// layers along the way, x_k = f_k(x_{k-1}):
//
//	log p_Y(y) = log p_0(x_0) - sum_k log|det J_{f_k}(x_{k-1})|.
//
// # Affine coupling layer
//
// A mask splits the coordinates into a conditioning half x_a (mask true, kept)
// and a transformed half x_b (mask false). A small network (the conditioner,
// tanh hidden layers) reads x_a only and returns a log-scale s(x_a) and a shift
// t(x_a) for the coordinates of x_b:
//
//	y_a = x_a,   y_b = x_b * exp(s(x_a)) + t(x_a).
//
// Ordering the coordinates a first, the Jacobian is block triangular,
//
//	J = [ I              0            ]
//	    [ d y_b / d x_a  diag(exp(s)) ],
//
// so log|det J| = sum_j s_j(x_a), with no determinant to compute, whatever the
// conditioner. The inverse needs no inversion of the network either, because
// x_a = y_a is known: x_b = (y_b - t(y_a)) * exp(-s(y_a)), with log-determinant
// -sum s. Layers with complementary masks alternate so that every coordinate is
// transformed. Here the log-scale is soft-clamped, s = M tanh(raw / M) with
// M = Coupling.MaxScale, to keep exp(s) in a safe range; the identities above
// hold for any s.
//
// # Continuous flows
//
// For an ODE dx/dt = u_t(x) the log-density along a trajectory obeys the
// instantaneous change of variables d/dt log p_t(x_t) = -div u_t(x_t) (package
// likelihood integrates it). The divergence is the trace of the Jacobian
// du/dx. Reverse-mode differentiation gives one vector-Jacobian product
// v^T (du/dx) per backward pass, so the exact trace needs D of them
// (ExactDivergence, v = e_1 ... e_D). Hutchinson's estimator uses one product
// with a random probe eps, E[eps eps^T] = I:
//
//	E[eps^T (du/dx) eps] = tr(du/dx),
//
// (HutchinsonEstimate) with variance, for S = (J + J^T)/2,
//
//	Rademacher probes (entries +-1):  2 sum_{i != j} S_ij^2,
//	Gaussian probes (entries N(0,1)): 2 sum_{i,j} S_ij^2
//
// (HutchinsonVariance); the mean of K independent probes has variance / K.
//
// # Conventions
//
// Graph functions (Coupling.Forward, Flow.LogProb, Jacobian, the divergences)
// take points of shape [N, D], treat rows independently and panic on invalid
// configurations (GoMLX style). Host functions (LogAbsDet, FlowLogProb,
// ...) return errors for bad input. Runner evaluates a Map (a
// layer, a flow or their inverses) on host point sets, and Divergence a
// velocity field's divergence and Jacobian; both report a panic inside a graph
// as an error.
package nflow
