// Package guidance samples class-conditional flow-matching models, with or
// without classifier-free guidance (Ho & Salimans 2022). It turns a
// class-conditional network (vfield.Labeled) and a Condition (labels and a
// guidance scale) into an ordinary velocity field (vfield.Graph), which
// every ODE solver (package ode) and the likelihood estimators (package
// likelihood) take as they take any other field.
//
// # Conditional fields and the null label
//
// Data come with labels, (x1, y) ~ q(x1, y), y in {0, ..., K-1}. The same
// affine Gaussian path x_t = alpha_t x1 + sigma_t x0 (package probpath),
// started from q(x1 | y) instead of q(x1), has marginals p_t(x | y) and the
// marginal velocity
//
//	u_t(x | y) = E[ dAlpha_t x1 + dSigma_t x0 | x_t = x, y ],
//
// whose flow carries N(0, I) to q(x1 | y): the conditional model samples one
// class exactly (up to the training and solver errors). A network
// f(x, t | y) with an extra "null" label y = K (models.MLPLabeled,
// models.UNetLabeled), trained with the labels replaced by the null one on a
// share p of the rows (objective.DropLabels, Config.LabelDropout: 0.1 in
// the conditional presets), learns u_t(x | y) for y < K and the
// unconditional field u_t(x) = E_y[...] for y = K, in one set of weights.
//
// # The guided velocity
//
// For a guidance scale w >= 0 the guided velocity is
//
//	v_w(x, t | y) = (1 + w) u_t(x | y) - w u_t(x)
//	              = u_t(x | y) + w (u_t(x | y) - u_t(x)),
//
// the conditional field pushed further away from the unconditional one. w =
// 0 is the plain conditional model; v_w is affine in w. The same family is
// often written as a mixture with weight w' = 1 + w ("guidance scale" in
// later papers and libraries, where 1 means no guidance):
//
//	v = (1 - w') u_t(x) + w' u_t(x | y),   w' = 1 + w.
//
// This package, recipe.Condition and the -guidance flag of cmd/gofm use w,
// Ho & Salimans' convention: -guidance 0 samples the conditional model,
// -guidance 2 is w' = 3. MixWeight and FromMixWeight convert.
//
// Because a velocity on an affine path is an affine function of the
// network's prediction with coefficients that do not depend on y
// (probpath.Affine.VelocityOf: u = A_t x + B_t pred), guiding the velocity
// is guiding the prediction, whatever the network predicts (velocity,
// score or noise): (1 + w)(A x + B p_y) - w (A x + B p_null) =
// A x + B ((1 + w) p_y - w p_null).
//
// # Bayes' rule for scores, and what guidance samples
//
// Bayes' rule p_t(x | y) = p_t(y | x) p_t(x) / q(y) has a y-only
// denominator, so for scores it is a sum:
//
//	grad log p_t(x | y) = grad log p_t(x) + grad log p_t(y | x),
//
// where p_t(y | x) is the posterior of the class given the noisy point x_t =
// x: a noisy classifier. On an affine Gaussian path the marginal velocity is
// affine in the score (Tweedie: E[x0 | x_t = x] = -sigma_t grad log p_t(x)),
//
//	u_t(x) = a_t x + b_t grad log p_t(x),   a_t = dAlpha_t / alpha_t,  b_t = sigma_t (dAlpha_t sigma_t / alpha_t - dSigma_t),
//
// with the same a_t, b_t for every class. Hence
//
//	v_w(x, t | y) = a_t x + b_t [ grad log p_t(x) + (1 + w) grad log p_t(y | x) ]
//	              = a_t x + b_t grad log pi_t(x),   pi_t(x) ∝ p_t(x) p_t(y | x)^(1+w) ∝ p_t(x | y) p_t(y | x)^w.
//
// Guidance raises the noisy classifier's likelihood to the power 1 + w: it
// moves samples towards points the classifier assigns to y with confidence,
// which makes them more typical of their class and less diverse (sharper,
// at the cost of coverage). It does not sample p(x | y), which w = 0 does,
// and it does not sample the tilted pi_1 ∝ q(x | y) q(y | x)^w exactly
// either: a field of the form a_t x + b_t grad log pi_t generates the path
// pi_t (solves the continuity equation d pi_t/dt + div(pi_t v) = 0) only if
// pi_t is the noised version of pi_1 along the path, and the tilted
// densities are not: noising does not commute with raising p(y | x) to a
// power (at t = 0 the tilt vanishes, p_0(y | x) = q(y), at t = 1 it is the
// full tilt, and in between it is the tilt of the noised densities, not the
// noised tilt). The guided flow therefore ends at a distribution sharper
// than q(x | y) that no closed form names; how much sharper is measured, not
// derived.
//
// # Cost
//
// A guided field with w > 0 evaluates the network on the conditional and
// the null labels: Field stacks the two as one batch of 2B rows, one call.
// With w = 0 it calls the network once on B rows, exactly the conditional
// model.
package guidance
