// Package objective holds the training losses of flow matching and
// diffusion models as GoMLX graph functions: the regression targets, the
// weighted prediction loss, and the sampling of training times. It builds
// graphs only; fitting a network to one of these losses (optimizer, steps,
// minibatches, couplings, checkpoints) is package training's, and turning
// a trained network's prediction into a velocity is probpath.Affine.VelocityOf.
//
// # Setting
//
// A probability path (probpath.Affine, scheduler alpha_t, sigma_t) joins
// noise x0 ~ N(0, I) at t = 0 to data x1 at t = 1:
//
//	x_t = alpha_t x1 + sigma_t x0,    dx_t/dt = dAlpha_t x1 + dSigma_t x0.
//
// A network f(x, t) is trained by regression on a target that is a function
// of the sample, with a per-time weight lambda(t):
//
//	L = E_{t, x0, x1} lambda(t) |f(x_t, t) - target|^2
//
// (implemented as the mean over the batch and the coordinates, i.e. 1/D
// times the squared norm).
//
// # Objectives (Kind)
//
// CFM, conditional flow matching (Lipman et al. 2023): target is the
// conditional velocity u_t(x_t | x0, x1) = dAlpha_t x1 + dSigma_t x0, weight 1.
// Its minimiser is the marginal velocity u_t(x) = E[u_t(x_t|x0,x1) | x_t = x],
// whose flow carries p_0 to p_1. The loss does not go to 0: its minimum is
// the conditional variance of the target.
//
// DSM, denoising score matching: the conditional score of x_t given x1 is
// grad log p_t(x_t | x1) = -(x_t - alpha_t x1)/sigma_t^2 = -x0/sigma_t, and
// with the usual weight lambda(t) = sigma_t^2 the loss is
// E |sigma_t f(x_t, t) + x0|^2, which stays bounded as sigma_t -> 0.
//
// DDPM, noise prediction (Ho et al. 2020): target x0 (the "epsilon"), weight 1.
//
// Kind.Param names what the trained network predicts (probpath.Velocity,
// Score, Epsilon), so a sampler can convert it to a velocity with
// probpath.Affine.VelocityOf (probpath.Affine.Convert for values): on an
// affine path every parametrisation is an affine function of the others at
// fixed (x_t, t), e.g. for DDPM with epsilon-hat = f(x_t, t)
//
//	x1-hat = (x_t - sigma_t epsilon-hat) / alpha_t,   u = dAlpha_t x1-hat + dSigma_t epsilon-hat.
//
// # Time sampling
//
// SampleTime draws t ~ U[eps, 1-eps) with the store's RNG. The default
// eps = 1e-5 (DefaultTimeEps) keeps t off the end points where sigma_t or
// alpha_t can vanish and the score target or conversions divide by zero.
//
// # Class labels
//
// A class-conditional network f(x, t | y) (vfield.Labeled) is trained with
// the same targets on labelled data, L = E lambda(t) |f(x_t, t | y') -
// target|^2, where y' is the data's label y replaced by the null label with
// probability p (DropLabels, classifier-free guidance's label dropout). Since
// the target does not depend on y', the minimiser is the conditional field
// E[target | x_t, y] for y' = y and the unconditional E[target | x_t] for
// y' = null: one network learns both (see package guidance).
//
// # Functions
//
// Target gives (target, lambda) for a path sample; PredictionLoss is the
// weighted mean square error of a prediction against it; Loss samples the
// path at (x0, x1, t), evaluates the network and returns PredictionLoss.
// UniformTime and SampleTime draw the training times. LabeledLoss and
// DropLabels are the labelled versions. training.Trainer
// (package training) draws x0, t and the minibatches and runs the optimizer
// on Loss.
package objective
