package fmloss

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Trainer trains the network of a Problem by Adam on mean |v(x_t, t) -
// target|^2 for one Target, with samples drawn on the host.
type Trainer struct {
	p       Problem
	target  Target
	rng     *rand.Rand
	trainer *train.Trainer
}

// NewTrainer prepares training of p.Net (variables in store) on target with
// Adam at learning rate lr (0 means training.DefaultLearningRate). The
// samples (t, z, x0) of every step come from a generator seeded by seed, so
// trainers with the same seed draw the same samples whatever their target.
func (p Problem) NewTrainer(backend compute.Backend, store *model.Store, target Target, lr float64, seed uint64) (*Trainer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Net == nil {
		return nil, fmt.Errorf("fmloss: Problem.Net is nil")
	}
	if !target.Valid() {
		return nil, fmt.Errorf("fmloss: unknown target %d (valid: Conditional, Marginal, PriorAverage, WrongTime)", int(target))
	}
	if backend == nil || store == nil {
		return nil, fmt.Errorf("fmloss: NewTrainer needs a backend and a store (model.NewStore())")
	}
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("fmloss: learning rate %g; need a finite value >= 0 (0 means %g)", lr, float64(training.DefaultLearningRate))
	}
	if lr == 0 {
		lr = training.DefaultLearningRate
	}
	modelFn := func(scope *model.Scope, in []*graph.Node) {
		train.AddMainLoss(SquaredError(p.Net(scope, in[0], in[1]), in[2]))
	}
	tr := train.NewTrainer(backend, store, modelFn, nil, optimizer.Adam().LearningRate(lr).Done(), nil, nil)
	return &Trainer{p: p, target: target, rng: newRand(seed), trainer: tr}, nil
}

// Target is the trainer's regression target.
func (t *Trainer) Target() Target { return t.target }

// Train runs steps Adam steps on batches of batch fresh samples and returns
// each step's batch loss (before its update).
func (t *Trainer) Train(steps, batch int) ([]float64, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("fmloss: Train needs steps >= 1 and batch >= 1, got steps = %d, batch = %d", steps, batch)
	}
	losses := make([]float64, 0, steps)
	for range steps {
		s := t.p.draw(t.rng, batch)
		target, err := t.p.Target(t.target, s)
		if err != nil {
			return losses, err
		}
		xt, err := points.ToTensor(s.Xt)
		if err != nil {
			return losses, err
		}
		tg, err := points.ToTensor(target)
		if err != nil {
			xt.FinalizeAll()
			return losses, err
		}
		tt := make([]float32, batch)
		for i, v := range s.T {
			tt[i] = float32(v)
		}
		metrics, err := t.trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{xt, tensors.FromValue(tt), tg}})
		if err != nil {
			return losses, fmt.Errorf("fmloss: training step: %w", err)
		}
		losses = append(losses, float64(tensors.ToScalar[float32](metrics[0])))
		for _, m := range metrics {
			_ = m.FinalizeAll()
		}
	}
	return losses, nil
}
