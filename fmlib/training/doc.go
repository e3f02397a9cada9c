// Package training fits networks to the losses of package objective and
// runs that fitting so that it survives interruptions. It has three parts:
//
//   - Trainer (NewTrainer with a Config) runs optimizer steps of one
//     objective on the network of a model.Store with GoMLX's
//     train.Trainer: Step (data batch; noise x0 ~ N(0, I) and times
//     t ~ U[eps, 1-eps) drawn in the graph), StepPairs (noise given), Loss
//     (fixed-input evaluation), Train (minibatches from a host point set),
//     and the trained network as a velocity (Config.Velocity, Velocity,
//     Sampler: an ode.Solver);
//   - pair samplers (PairSampler) draw the (x0, x1) pairs of a step:
//     Coupled pairs data with noise through a coupling (independent,
//     minibatch OT, Sinkhorn), FixedPairs draws from given pairs (a reflow);
//     Trainer.PairStepper and TrainPairs train on them;
//   - Run is a training loop with GoMLX checkpoints at regular steps, a
//     loss history on disk, resumption at the saved step count, a live
//     progress display, and a clean stop on Ctrl-C or a notebook's
//     interrupt button.
//
// # The trainer
//
// For a Config with Kind k, path (alpha_t, sigma_t) and network f, one step
// draws t_b ~ U[eps, 1-eps) and, unless pairs are given, x0_b ~ N(0, I) for
// the rows x1_b of the batch, and takes an optimizer step on
//
//	L = 1/(B D) sum_b lambda_k(t_b) |f(x_t_b, t_b) - target_k|^2,   x_t = alpha_t x1 + sigma_t x0,
//
// objective.Loss with the target and weight of k (velocity, score or noise;
// see package objective). Adam at DefaultLearningRate is the default
// optimizer; Config.DecaySteps anneals the rate of step k along a cosine,
//
//	lr_k = m + (lr - m) (1 + cos(pi k / DecaySteps)) / 2,   m = MinLRFraction lr.
//
// Noise and times come from the store's random number generator, so a seeded
// store (NewStore) gives a reproducible run. A network trained for a
// score or the noise predicts no velocity itself: Config.Velocity converts
// its prediction with probpath.Affine.VelocityOf (the probability-flow ODE),
// which Sampler integrates.
//
// # Averaged weights
//
// With Config.EMADecay = d > 0 each step also updates an exponential moving
// average e of every trainable variable w, after the optimizer's update:
//
//	e_{n+1} = d_n e_n + (1 - d_n) w_{n+1},   d_n = min(d, n / (n + 10)),
//
// n counting the updates before this one. The warm-up (d_0 = 0, so e_1 =
// w_1) averages over about the last tenth of a short run instead of keeping
// a share d^n of the random initial weights. The averages live under
// EMAScope (/ema/mlp/... mirrors /mlp/...) as non-trainable variables, so
// checkpoints keep them and a resumed run continues the same average.
// Sampler, Velocity and Config.Velocity read the averaged weights when the
// trainer keeps them (Weights Averaged); SamplerWith, VelocityWith and
// Config.VelocityWith with Raw read the optimizer's weights. Averaging
// smooths the noise of the last steps out of the weights, which sharpens
// samples at no training cost; image diffusion and flow-matching models
// are commonly sampled from such an average (Song & Ermon 2020 recommend it
// for score models).
//
// # Class-conditional runs
//
// With Config.Classes = K > 0 the network is Config.LabelNet, f(x, t | y)
// (vfield.Labeled), every batch carries a label per row (StepLabeled,
// LabeledDataStepper, TrainLabeled), and the graph replaces each label by
// the null label K with probability Config.LabelDropout
// (objective.DropLabels), so the network learns the conditional fields and
// the unconditional one together. GuidedSampler and GuidedVelocity read it
// for a guidance.Condition (labels and a guidance scale; see package
// guidance); Sampler and Velocity read the null label's, unconditional
// field. Minibatch-OT pairs (StepPairs) are not supported for these runs.
//
// # Runs
//
// A Run owns a checkpoint directory for one model.Store:
//
//	store, err := training.NewStore(seed)             // variables + RNG state
//	run, err := training.Open(store, dir, settings)   // loads the latest checkpoint, if any
//	tr, err := training.NewTrainer(backend, store, cfg)
//	err = run.Train(ctx, training.Steps(tr.DataStepper(data, batch)), training.Options{Steps: 5000, Batch: batch, Seed: seed})
//
// (training.Steps(tr.PairStepper(training.Coupled(data, coupling.ExactOT{}), batch))
// trains on OT pairs instead).
//
// # What a checkpoint holds and why a resumed run is the same run
//
// A GoMLX checkpoint holds every variable of the store: the network, the
// optimizer's moments, the global step and the store's random number
// generator state (which draws the noise x0 and the times t inside the
// training graph). The minibatch of step s is drawn on the host by a PCG
// generator seeded with (Options.Seed, s), so it does not depend on how
// many steps ran before in this process. A run stopped after step k and
// resumed therefore performs exactly the steps k+1, k+2, ... that the
// uninterrupted run would have: on the same backend the weights agree to
// the last bit (tested).
//
// # Files in the directory
//
//	checkpoint-n*-step-*.json/.bin   GoMLX checkpoints; the newest Keep (default 2) are kept
//	history.json                     the loss of every step and the sessions that trained
//	run.json                         the settings the directory was created with
//
// Opening a directory whose run.json differs from the given settings is an
// error (a checkpoint of another network would load into the wrong
// variables or fail late with a shape error). A checkpoint that does not
// load (truncated, corrupted) is an error that names the file, says how to
// resume from the previous checkpoint or start over, and leaves every file
// as it was: nothing is ever overwritten or deleted after a failed load.
// So is a history.json that does not describe the run (not JSON, fewer
// losses than the checkpoint's steps, sessions out of order); without a
// history.json (moved aside) the run resumes with the losses before its
// checkpoint unknown, which History.Start records.
//
// # Stopping
//
// Train checks its context before every step. When it is cancelled
// (InterruptContext cancels on SIGINT/SIGTERM, which is what GoNB sends
// when a cell is interrupted, 5 s before it kills the process) Train saves
// a checkpoint and returns an error wrapping ErrInterrupted that says how
// to resume. A process killed outright loses only the steps after the last
// periodic checkpoint.
package training
