package objective

import (
	"fmt"
	"math/rand/v2"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/coupling"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// PairSampler draws a training batch of batch (x0, x1) pairs, paired row by row.
type PairSampler func(rng *rand.Rand, batch int) (x0, x1 [][]float64, err error)

// Coupled draws batch data points uniformly with replacement from data and
// batch noise points from N(0, I), and pairs them with c (coupling.Independent
// for plain CFM, coupling.ExactOT for minibatch OT-CFM, a Sinkhorn coupling in
// between). It fails at the first draw if data is invalid.
func Coupled(data [][]float64, c coupling.Coupler) PairSampler {
	return func(rng *rand.Rand, batch int) ([][]float64, [][]float64, error) {
		n, d, err := points.Check(data)
		if err != nil {
			return nil, nil, fmt.Errorf("objective.Coupled: data: %w", err)
		}
		if c == nil {
			return nil, nil, fmt.Errorf("objective.Coupled: the coupling is nil; use coupling.Independent{} or coupling.ExactOT{}")
		}
		x0, x1 := make([][]float64, batch), make([][]float64, batch)
		for i := range batch {
			x1[i] = data[rng.IntN(n)]
			x0[i] = make([]float64, d)
			for j := range x0[i] {
				x0[i][j] = rng.NormFloat64()
			}
		}
		return c.Pair(x0, x1, rng)
	}
}

// FixedPairs draws batch rows uniformly with replacement from a fixed set of
// pairs (x0s[i], x1s[i]), e.g. noise and the model's own samples for a reflow
// (rectified-flow) step.
func FixedPairs(x0s, x1s [][]float64) PairSampler {
	return func(rng *rand.Rand, batch int) ([][]float64, [][]float64, error) {
		n, d, err := points.Check(x0s)
		if err != nil {
			return nil, nil, fmt.Errorf("objective.FixedPairs: x0: %w", err)
		}
		n1, d1, err := points.Check(x1s)
		if err != nil {
			return nil, nil, fmt.Errorf("objective.FixedPairs: x1: %w", err)
		}
		if n1 != n || d1 != d {
			return nil, nil, fmt.Errorf("objective.FixedPairs: %d x %d noise points but %d x %d targets; give one target per noise point", n, d, n1, d1)
		}
		x0, x1 := make([][]float64, batch), make([][]float64, batch)
		for i := range batch {
			k := rng.IntN(n)
			x0[i], x1[i] = x0s[k], x1s[k]
		}
		return x0, x1, nil
	}
}

// PairStepper returns a function that runs one training step on a batch of
// pairs drawn from sample with the given generator. Times are drawn in the
// graph from the store's RNG.
func (t *Trainer) PairStepper(sample PairSampler, batch int) (func(rng *rand.Rand) (float64, error), error) {
	if sample == nil {
		return nil, fmt.Errorf("objective: no pair sampler given (use objective.Coupled or objective.FixedPairs)")
	}
	if batch < 1 {
		return nil, fmt.Errorf("objective: batch = %d; need >= 1", batch)
	}
	return func(rng *rand.Rand) (float64, error) {
		x0, x1, err := sample(rng, batch)
		if err != nil {
			return 0, err
		}
		t0, err := points.ToTensor(x0)
		if err != nil {
			return 0, fmt.Errorf("objective: noise batch: %w", err)
		}
		t1, err := points.ToTensor(x1)
		if err != nil {
			t0.FinalizeAll()
			return 0, fmt.Errorf("objective: data batch: %w", err)
		}
		return t.StepPairs(t0, t1)
	}, nil
}

// TrainPairs runs steps training steps on batches of pairs from sample (with a
// PCG generator seeded by seed) and returns the loss of every step. Times are
// drawn in the graph from the store's RNG.
func (t *Trainer) TrainPairs(sample PairSampler, steps, batch int, seed uint64) ([]float64, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("objective: TrainPairs needs steps >= 1 and batch >= 1, got steps = %d, batch = %d", steps, batch)
	}
	step, err := t.PairStepper(sample, batch)
	if err != nil {
		return nil, err
	}
	return runSteps(step, steps, rand.New(rand.NewPCG(seed, 0x51ed2701a5b3c9d7)))
}

// Velocity returns the network of c as a velocity field: its prediction
// converted to the velocity of the path (CFM predicts it directly; DSM a
// score and DDPM the noise, converted by probpath.Affine.VelocityOf: the
// probability-flow ODE of a diffusion model).
func (c Config) Velocity() vfield.Graph { return c.Path.VelocityOf(c.Kind.Param(), c.Net) }

// Sampler returns an ODE solver whose field is the trained network (see
// Velocity), reading the trainer's store: solve from t = 0 (noise) to
// t = 1 to sample, e.g. with SolvePoints. Diffusion objectives are singular at
// the ends of some paths (sigma_t = 0 or alpha_t = 0): integrate them over
// [TimeEps, 1 - TimeEps].
func (t *Trainer) Sampler(opts ode.Options) (*ode.Solver, error) {
	return ode.New(t.backend, t.store, ode.Single(t.cfg.Velocity()), opts)
}

// Velocity evaluates the network's velocity at host points x and time tt,
// e.g. to draw the learned field. The graph is built on the first call and
// reused; like the rest of the Trainer it is not safe for concurrent use.
func (t *Trainer) Velocity(x [][]float64, tt float64) ([][]float64, error) {
	xt, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("objective: Velocity: %w", err)
	}
	defer xt.FinalizeAll()
	if t.vel == nil { // built once; it recompiles only for new batch shapes
		u := t.cfg.Velocity()
		exec, err := model.NewExec(t.backend, t.store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
			livevars.Keep(scope, xn)
			return u(scope, xn, tn)
		})
		if err != nil {
			return nil, fmt.Errorf("objective: Velocity: %w", err)
		}
		t.vel = exec
	}
	out, err := t.vel.Call1(xt, float32(tt))
	if err != nil {
		return nil, fmt.Errorf("objective: Velocity: %w", err)
	}
	defer out.FinalizeAll()
	return points.FromTensor(out)
}
