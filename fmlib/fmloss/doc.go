// Package fmloss compares the flow-matching loss with the conditional
// flow-matching loss of Lipman et al. (Theorem 2: they differ by a constant
// and have the same gradients), and trains a network with either.
//
// A teaching helper (see the README's tiers): the library-core counterparts
// are objective, whose CFM loss a real program trains with, and training,
// which runs and resumes the training.
//
// # The two losses
//
// Time t = 0 is noise and t = 1 data. For a dataset q(z) = (1/N) sum_i
// delta(z - z_i) and an affine path x_t = alpha_t z + sigma_t x0 with
// x0 ~ N(0, I) (package probpath), a network v_theta(x, t) can be regressed on
// two targets:
//
//	L_FM(theta)  = E_{t, x ~ p_t}          |v_theta(x, t) - u_t(x)|^2
//	L_CFM(theta) = E_{t, z ~ q, x ~ p_t(.|z)} |v_theta(x, t) - u_t(x | z)|^2
//
// with the conditional field u_t(x_t | z) = alpha'_t z + sigma'_t x0 and the
// marginal field u_t(x) = E[u_t(x_t | z) | x_t = x], the posterior average of
// the conditional fields (probpath.Empirical.Velocity). Both expectations can
// be taken over the same draws (t, z, x0): x_t ~ p_t(.|z) with z ~ q is a
// draw of p_t. |.| is the Euclidean norm: the losses here sum over
// coordinates (objective.PredictionLoss averages over them, 1/D of these).
//
// # Theorem 2
//
// Expand both squares at one sample, with v = v_theta(x_t, t), c = u_t(x_t | z)
// and m = u_t(x_t):
//
//	|v - c|^2 - |v - m|^2 = |c|^2 - |m|^2 - 2 v.(c - m).
//
// Given (x_t, t), c - m has mean zero (m is the conditional mean of c) while
// v is fixed, so E[v.(c - m)] = 0 and
//
//	L_CFM(theta) - L_FM(theta) = E|c|^2 - E|m|^2 = E|c - m|^2,
//
// the last form because E[m.(c - m)] = 0 as well: the constant is the
// conditional variance of the target, and it does not depend on theta. The
// gradients agree for the same reason: per sample
// grad_theta(|v - c|^2 - |v - m|^2) = -2 J^T (c - m), J = dv/dtheta a function
// of (x_t, t) only, so its mean is zero.
//
// # Estimates and their errors
//
// On n samples the difference of the two sample losses is
//
//	mean(|v-c|^2) - mean(|v-m|^2) = mean(|c|^2 - |m|^2) + mean(-2 v.(c - m)):
//
// a theta-independent term (Comparison.Predicted) plus a mean-zero cross term
// (Comparison.Cross) whose standard error, sd/sqrt(n), Cross reports; the
// identity holds when Cross.Mean is within a few of its SE. The gradient
// difference is likewise a mean of n independent mean-zero vectors: its norm
// shrinks like 1/sqrt(n). Evaluator computes it chunk by chunk (one compiled
// graph of Chunk rows); the spread of the K chunk differences d_k gives the
// standard error of their mean as a vector,
//
//	SE = sqrt( sum_k |d_k - dbar|^2 / (K (K - 1)) ),   E|dbar|^2 = E SE^2 = tr Cov(d)/K,
//
// so |dbar| / SE is about 1 when the expected gradients agree and grows like
// sqrt(n) when they do not (GradStats.Z).
//
// A wrong target breaks both: PriorAverage replaces the posterior weights by
// the prior 1/N (the field of the data mean), whose conditional mean given
// x_t is not that of c; then E[v.(c - target)] depends on theta and neither
// the loss difference nor the gradient difference averages out. WrongTime
// breaks the conditional side instead: u_{0.9 t}(x_t | z), whose conditional
// mean is not u_t(x_t).
//
// Samples are drawn on the host (Problem.Draw; Problem.DrawAt for one fixed
// time) and every target is computed there in float64 (Problem.Target); the
// graph evaluates only the network, its squared errors and their gradients
// (FlatGradient over TrainableNodes, one vector per loss).
//
// # Training
//
// Trainer runs Adam on mean |v - target|^2 for one Target, with (t, z, x0)
// drawn on the host from a seeded generator: two trainers with the same seed
// see exactly the same samples and differ only in the target.
package fmloss
