// Package table reproduces Table 1 of Lipman et al., "Flow Matching for
// Generative Modeling" (ICLR 2023) at scales that run on CPUs: the same
// network trained the same number of steps by diffusion and by flow
// matching, then measured by likelihood, sample quality and the cost of
// sampling. Run trains and evaluates a Scale and writes a results file
// (Results, JSON) and a Markdown report after every model, so that a run
// can be continued from a results file committed part-way (RunWith,
// RunOptions.Resume); Claims tests the paper's claims on it; cmd/fmtable
// and notebook 10 drive it.
//
// # Rows (Method)
//
// Time runs from noise (t = 0) to data (t = 1); x0 ~ N(0, I), x1 ~ data,
// x_t = alpha_t x1 + sigma_t x0 with the path's schedule.
//
// DDPM: the VP path, alpha_t = exp(-T(1-t)/2), sigma_t = sqrt(1 - alpha_t^2),
// T(s) = beta_min s + (beta_max - beta_min) s^2 / 2 (beta 0.1 to 20); the
// network predicts the noise,
//
//	L = E |eps(x_t, t) - x0|^2.
//
// Score Matching: the VP path; the network predicts the score with the
// usual weight sigma_t^2 (denoising score matching),
//
//	L = E sigma_t^2 |s(x_t, t) + x0/sigma_t|^2.
//
// Both are sampled and evaluated through their probability-flow ODE, the
// velocity that moves the same marginals as the diffusion:
//
//	v = (dAlpha/alpha) x + (dSigma - sigma dAlpha/alpha) eps
//	  = (dAlpha/alpha) x - sigma (dSigma - sigma dAlpha/alpha) s,
//
// integrated over [eps, 1 - eps] (eps = 1e-5) because the conversions divide
// by alpha_t and sigma_t (package probpath, recipe.Model.TimeSpan).
//
// FM w/ Diffusion: flow matching on the same VP path, regressing the
// conditional velocity, L = E |v(x_t, t) - (dAlpha_t x1 + dSigma_t x0)|^2.
//
// FM w/ OT: flow matching on the conditional OT path alpha_t = t,
// sigma_t = 1 - (1 - sigma_min) t (sigma_min = 1e-3), target
// x1 - (1 - sigma_min) x0.
//
// OT-CFM (extra row, Tong et al. 2024): FM w/ OT with every batch re-paired
// by the exact optimal-transport assignment between its noise and data.
//
// 2-RF (extra row, Liu et al. 2022): reflow. Noise points z are carried to
// t = 1 by the trained FM w/ OT model, psi_1(z), and a fresh network of
// the same size is trained the same number of steps by FM on the OT path
// with the fixed pairs (z, psi_1(z)). Those pairs come from a deterministic
// flow, whose trajectories do not cross, so the new conditional paths cross
// less and the learned flow is straighter; its samples can only be as good
// as the base model's.
//
// ScoreFlow (the paper's third row; Song, Durkan, Murray and Ermon 2021):
// the Score Matching network and path, with the likelihood weighting
// lambda(t) = g_t^2 instead of sigma_t^2, g_t^2 = sigma_t^2 d lambda_t/dt =
// beta(1-t) for the VP path (lambda_t = log(alpha_t^2/sigma_t^2), the log
// signal-to-noise ratio), so that the loss bounds the NLL:
//
//	L = E_{t ~ U[eps, 1-eps]} g_t^2 |s(x_t, t) + x0/sigma_t|^2.
//
// Variance reduction: the weight g_t^2/sigma_t^2 = d lambda/dt of the
// per-sample term |sigma_t s + x0|^2 grows like 1/(1-t) near the data, so
// t is importance sampled with density proportional to it (lambda_t
// uniform) and each term reweighted by the density ratio: the same
// objective, estimated as Z/(1-2 eps) |sigma_t s + x0|^2 with Z =
// lambda_{1-eps} - lambda_eps = 23.9 (package objective has the
// derivation; recipe time "importance"). Like Score Matching it predicts
// the score itself, so the two rows differ only in the weighting. The
// U-Net scales run it; the 2D and MLP mnist scales, whose results are
// recorded from before it existed, do not (their reports show the paper's
// values with "not run").
//
// # Metrics
//
// NFE: the function evaluations of a Dopri5 solve from noise to data with
// atol = rtol = Eval.Tol (the paper's 1e-5), each solve moving Eval.Chunk
// points together (the error norm is the RMS over the chunk, as in batched
// torchdiffeq solves), averaged over the solves.
//
// NLL: by the instantaneous change of variables, solved backwards from a
// held-out point x1 at t = 1 to t = 0 with the same Dopri5 tolerance,
//
//	log p_1(x1) = log N(x_0; 0, I) - int_0^1 div v_t(x_t) dt,
//
// with the exact divergence in 2D (nats per point) and a Hutchinson
// estimate for images, in bits per dimension of the dequantized 8-bit data
// (package likelihood). Lower is better. Images are dequantized Eval.K
// times each: the NLL column is the importance-weighted K-sample bound
// (-logmeanexp over the K log-densities), and with K >= 2 the report also
// gives the one-sample (K = 1) bound from the same solves (the mean of the
// K single-draw bounds); the K-sample bound is the tighter, as the paper's
// 3.11 (K = 1) against 2.99 (K = 50) for FM w/ OT on CIFAR-10.
//
// Sample quality in 2D: the energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'|
// (unbiased; 0 for equal distributions) and the exact 2-Wasserstein
// distance between Eval.Samples generated points and as many held-out
// points. For MNIST: FID-MNIST, the Frechet distance between Gaussian fits
// of the features of our digit classifier (package classifier), not
// comparable with Inception FIDs.
//
// Straightness (claim 4): from the same noise, each model is also sampled
// with a fixed-step solver (Fixed.Solver, midpoint by default) at each of
// Fixed.NFE evaluations. We record the sample quality and the RMS distance
// per coordinate between those samples and the model's own Dopri5 samples,
// sqrt(mean |x_N - x_dopri|^2 / D): the solver's error. A straight flow at
// constant speed is integrated exactly by one Euler step, so a straighter
// flow has a smaller error at equal NFE.
//
// # Seeds and standard errors
//
// Every method of a scale trains with the same seeds (Scale.Seeds), so
// methods share initial weights and minibatch streams (common random
// numbers), and every model is evaluated on the same noise and held-out
// points (Eval.Seed). With two or more seeds a row's +- is the standard
// error of the mean over seeds (sample sd / sqrt(n)): it covers training
// randomness and the generated samples. With one seed it covers only the
// evaluation: NLL over the held-out points, NFE over the solves; sample
// quality then has none. Results.SENote states which applies. The claims
// say when a winning margin is below two standard errors of the difference.
//
// # Orderings against the paper
//
// Besides the four claims, Agreements compares, metric by metric (NLL,
// FID on image scales, NFE), the order of the paper's rows in a results
// file with their order in the paper's CIFAR-10 column. Of n rows, each of
// the n(n-1)/2 pairs is ordered as in the paper, the other way (a swap,
// reported with its margin in standard errors of the difference, SE_d =
// sqrt(SE_a^2 + SE_b^2)), or tied. Without ties the share of pairs in the
// paper's order is (1 + tau)/2, tau being Kendall's rank correlation of the
// two orders. Values are never compared: the data and networks differ.
//
// # Scales
//
//	2d-quick     8 gaussians, MLP 2x64, 600 steps, 1 seed: CI and the notebook's live run (about a minute)
//	2d           checkerboard and 8 gaussians, MLP 3x128, 5000 steps, 2 seeds (make table; its results file records the time)
//	mnist-quick  the MNIST U-Net pipeline with every method in 3 steps (about 40 s): a check, not a result
//	mnist        MNIST, the mnist-unet preset (U-Net, EMA), 7 methods incl. ScoreFlow x 2 seeds, 2800 steps
//	             (15 min) each; NLL K = 1 and K = 5 on 250 test images, FID-MNIST on 2000 samples
//	             (make table-mnist; 6-7 hours on 2 CPU cores, see below)
//	mnist-gpu    the same, 4000 steps and larger evaluation, sized for about 10 minutes on one H200 (an estimate)
//	mnist-mlp-quick  MNIST, MLP 2x256, 100 steps: checks the MLP image pipeline, not a result
//	mnist-mlp    MNIST, MLP 3x1024, 3000 steps, 1 seed, FID-MNIST (55 minutes on 2 CPU cores): the
//	             first MNIST run, recorded as results-mnist-mlp.json; named mnist until the U-Net took over
//	cifar10      not available: recipe trains no CIFAR-10 yet, and it needs a GPU; ScaleByName says so
//
// The 2D network (3x128 SiLU, Adam at lr 5e-3 annealed along a cosine to
// 2% of it, batch 256) was chosen by measurement on the pure-Go backend
// with 2 cores shared with other work: 100-150 steps/s (OT-CFM less: its
// exact assignment runs on the host), so a model trains in about a minute
// and is evaluated in 6-13 s. make table took 22.5 and 25.5 minutes for the
// 24 models (two runs, with other jobs on the machine). Without the decay,
// 5000 steps at 2e-3 left the checkerboard blurred (DDPM: NLL 2.68 nats,
// energy distance 0.011); with it the rows reach 2.3-2.5 nats, against the
// data's own entropy log 8 = 2.08. The comparison is between methods at an
// equal, modest budget, not between converged models.
//
// The mnist-mlp scale trains at 6.4-6.9 steps/s (3x1024 MLP, 3.8M parameters,
// batch 128): 7.5 minutes per model, and 30-75 s to evaluate one. The whole
// scale took 54 min 36 s (peak memory 0.4 GB); its results are recorded in
// docs/results. With this MLP the DDPM and Score Matching samples diverge:
// the probability-flow velocity multiplies the noise network's error by
// alpha'/alpha = beta(1-t)/2, up to 10 near t = 0 (see notebook 10).
//
// The mnist scale gives every method the same network and optimizer,
// the mnist-unet preset of package recipe (tuned for FM w/ OT, `make tune`),
// and the same 2800 steps: about 15 minutes each at the 3.1 steps/s the
// preset trained on 2 quiet cores (0.41-0.43 s per step for every method
// measured on the loaded machine). Training is sized in steps, so the
// results do not depend on the machine's load; only the recorded times do.
// Evaluating a model takes about 15 (FM w/ OT) to 25 (DDPM) minutes, most
// of it the Dopri5 solves of the 2000 FID-MNIST samples; the NLL's 250
// images x 5 dequantizations take 5-12 of them (1000 images would take
// 20-50 minutes per model). The measurements behind these sizes are with
// unetSteps in table.go. 14 models, two sets of 2-RF pairs (4 minutes
// each) and the floor make 6-7 hours.
//
// # Files
//
// Run keeps every model's checkpoints in outDir/<scale>/<data>/<method>/seed-<n>
// (package training), its evaluation in eval.json there, the 2-RF pairs in
// pairs.bin, and the code (git describe and commit) of each training
// session in code.json, so an interrupted run resumes and its results say
// which commit trained which steps of each model and which evaluated it
// (SeedResult.Trained and Commit; the report's last table). The floor of
// each data set is kept in outDir/<scale>/floor-<data>.json. Run writes
// outDir/results-<scale>.json (Read validates it) and results-<scale>.md
// after every finished model: until the last one they are a partial file,
// whose Pending lists the models still to run (data, method, seed) and
// whose report opens with "Partial run: k of n models finished; still to
// run: ...". Read and Load accept partial files; Complete (or
// CheckComplete) says whether one is. In a partial file a row of a scale
// with two seeds may have one: its mean is that seed's and its +- is
// undefined (NaN, shown without one and marked "1 of 2 seeds"), and the
// claims say they are provisional.
//
// Full-scale runs take 25 minutes to many hours here, so runs are kept with
// the code in RecordedDir (docs/results): Results.Record writes a copy
// whose samples, used only for plots, are cut to what the notebook shows
// and rounded to 3 decimals (cmd/fmtable -record does it, with
// Results.RecordRun). Load reads a scale's results from a run's own folder
// when it has them, else from the recorded copy. NFEBars, SamplePlots and
// FixedPlots draw a results file's figures (of a partial file, the rows it
// has).
//
// # Runs longer than a sitting
//
// Only what is committed survives between sittings here, so a run is
// resumable at model granularity from a results file: record it part-way
// (cmd/fmtable -record docs/results, Results.RecordRun), commit it, and
// continue later, on a machine without the checkpoints, with the same
// command and -resume docs/results (RunOptions.Resume). A model the
// recorded file holds with the same training set-up (Scale.Config), the
// same evaluation settings and, for 2-RF, the same reflow settings is
// reused as it is, neither trained nor evaluated: its SeedResult keeps the
// code that trained and evaluated it and names the file it came from
// (Reused), and Results.Sittings lists every Run call with its code,
// command and wall time, so the final file says which commits produced
// which rows. A prior result that does not match is trained again, and the
// progress says why in one line. The run's own results file in outDir is
// used the same way (a run whose checkpoints were deleted still resumes).
//
// 2-RF is trained on pairs made by its FM w/ OT base model. RecordRun keeps
// the weights that base samples with beside the recorded results
// (WeightsPath: results-<scale>-weights/<data>/fm-ot/seed-<n>.weights, the
// format of package pretrained, with a manifest; about 1.5 MB each for the
// U-Net), and a resumed run whose base was reused from the recorded file
// makes the pairs from them: the same weights and noise give the same
// pairs as the checkpoint would. Without them the run fails before it
// trains anything and says what to do.
package table
