package training

import (
	"fmt"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/coupling"
	"github.com/gofm/gofm/fmlib/points"
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
			return nil, nil, fmt.Errorf("training.Coupled: data: %w", err)
		}
		if c == nil {
			return nil, nil, fmt.Errorf("training.Coupled: the coupling is nil; use coupling.Independent{} or coupling.ExactOT{}")
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
			return nil, nil, fmt.Errorf("training.FixedPairs: x0: %w", err)
		}
		n1, d1, err := points.Check(x1s)
		if err != nil {
			return nil, nil, fmt.Errorf("training.FixedPairs: x1: %w", err)
		}
		if n1 != n || d1 != d {
			return nil, nil, fmt.Errorf("training.FixedPairs: %d x %d noise points but %d x %d targets; give one target per noise point", n, d, n1, d1)
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
		return nil, fmt.Errorf("training: no pair sampler given (use training.Coupled or training.FixedPairs)")
	}
	if batch < 1 {
		return nil, fmt.Errorf("training: batch = %d; need >= 1", batch)
	}
	return func(rng *rand.Rand) (float64, error) {
		x0, x1, err := sample(rng, batch)
		if err != nil {
			return 0, err
		}
		t0, err := points.ToTensor(x0)
		if err != nil {
			return 0, fmt.Errorf("training: noise batch: %w", err)
		}
		t1, err := points.ToTensor(x1)
		if err != nil {
			t0.FinalizeAll()
			return 0, fmt.Errorf("training: data batch: %w", err)
		}
		return t.StepPairs(t0, t1)
	}, nil
}

// TrainPairs runs steps training steps on batches of pairs from sample (with a
// PCG generator seeded by seed) and returns the loss of every step. Times are
// drawn in the graph from the store's RNG.
func (t *Trainer) TrainPairs(sample PairSampler, steps, batch int, seed uint64) ([]float64, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("training: TrainPairs needs steps >= 1 and batch >= 1, got steps = %d, batch = %d", steps, batch)
	}
	step, err := t.PairStepper(sample, batch)
	if err != nil {
		return nil, err
	}
	return runSteps(step, steps, rand.New(rand.NewPCG(seed, 0x51ed2701a5b3c9d7)))
}
