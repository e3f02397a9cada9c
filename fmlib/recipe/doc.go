// Package recipe names complete training set-ups (data, network,
// probability path, objective, coupling, steps, batch size, seed) and turns
// one into a trainable, resumable, sampleable model. The notebooks and the
// gofm command use the same names, so a run started in one can be continued
// or evaluated in the other.
//
// Presets (see Presets and Preset):
//
//	checkerboard, moons, 8gaussians   2D data, MLP velocity, conditional OT path
//	mnist-unet, mnist-mlp             28x28 digits, U-Net or MLP velocity, conditional OT path
//	mnist-cond, 8gaussians-cond       mnist-unet and 8gaussians, class-conditional (digits,
//	                                  mixture components) with label dropout 0.1
//
// A Config can change any field of a preset (e.g. Objective "ddpm" on the
// VP path for the paper-table rows). Quick returns the settings the
// notebooks use in quick mode (CI): the same set-up, fewer steps.
//
// # Data and scaling
//
// 2D sets are drawn afresh for every batch from the generator of package
// data (an unlimited training set); held-out points come from an
// independent stream. Images are scaled from 8-bit pixels p in {0..255} to
//
//	x = 2 (p + u) / 256 - 1,   u ~ U[0, 1)
//
// (uniform dequantization: the model learns a density on [-1, 1]^D whose
// bits per dimension are comparable with the paper's; see
// likelihood.BitsPerDim). Generated images are mapped back with
// p = clip(round(256 (x + 1) / 2 - 1/2), 0, 255).
//
// # Class-conditional set-ups
//
// Config.Conditional trains the network on the data's labels
// (models.MLPLabeled, models.UNetLabeled; the same batches as the
// unconditional set-up, with their labels), replacing a share
// Config.LabelDropout of them by the null label. SetCondition picks what
// Transport, Sample, Velocity, Likelihood and Evaluate use: one class (or
// one per sample) and a guidance scale w, the guided velocity
// (1 + w) u(x, t | y) - w u(x, t) of package guidance. A conditional model
// starts at the null label, its unconditional field. Set to one class,
// Evaluate and FIDWithFloor compare its samples with held-out data of that
// class. SweepGuidance samples the labels of held-out points at several
// guidance scales and scores each with a classifier (accuracy on the
// requested labels, FID): the trade-off that picks w. The new fields are
// left out of the JSON record when unset, so unconditional set-ups keep
// their fingerprints (ID).
//
// # Sampling
//
// Sample draws x0 ~ N(0, I) from a seeded generator and integrates the
// learned velocity from t = 0 to t = 1 with any ode.Options (Dopri5 with a
// tolerance, or a fixed-step method with a given number of steps). Models
// trained with a diffusion objective (DSM, DDPM) are sampled through their
// probability-flow ODE over [eps, 1 - eps], where eps is the objective's
// time margin, because their conversions divide by sigma_t or alpha_t,
// which vanish at the ends of the VP path.
package recipe
