// Package training runs a training loop that survives interruptions: GoMLX
// checkpoints at regular steps, a loss history on disk, resumption at the
// saved step count, a live progress display, and a clean stop on Ctrl-C or
// a notebook's interrupt button.
//
// A Run owns a checkpoint directory for one model.Store:
//
//	store, err := training.NewStore(seed)             // variables + RNG state
//	run, err := training.Open(store, dir, settings)   // loads the latest checkpoint, if any
//	tr, err := objective.NewTrainer(backend, store, cfg)
//	err = run.Train(ctx, training.DataSteps(tr, data, batch), training.Options{Steps: 5000, Batch: batch, Seed: seed})
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
