package training

import (
	"fmt"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Sampler returns an ODE solver whose field is the trained network (see
// Velocity), reading the trainer's store: solve from t = 0 (noise) to
// t = 1 to sample, e.g. with SolvePoints. Diffusion objectives are singular at
// the ends of some paths (sigma_t = 0 or alpha_t = 0): integrate them over
// [TimeEps, 1 - TimeEps].
//
// With Config.EMADecay > 0 it reads the averaged weights (see SamplerWith).
func (t *Trainer) Sampler(opts ode.Options) (*ode.Solver, error) {
	return t.SamplerWith(Averaged, opts)
}

// SamplerWith is Sampler reading the weights w: Averaged (the EMA when the
// trainer keeps one, else the raw weights) or Raw.
func (t *Trainer) SamplerWith(w Weights, opts ode.Options) (*ode.Solver, error) {
	if err := t.CheckWeights(w); err != nil {
		return nil, err
	}
	return ode.New(t.backend, t.store, ode.Single(t.cfg.VelocityWith(w)), opts)
}

// Velocity evaluates the network's velocity at host points x and time tt,
// e.g. to draw the learned field, with the averaged weights when the trainer
// keeps them (see VelocityWith). The graph is built on the first call and
// reused; like the rest of the Trainer it is not safe for concurrent use.
func (t *Trainer) Velocity(x [][]float64, tt float64) ([][]float64, error) {
	return t.VelocityWith(Averaged, x, tt)
}

// VelocityWith is Velocity reading the weights w.
func (t *Trainer) VelocityWith(w Weights, x [][]float64, tt float64) ([][]float64, error) {
	if err := t.CheckWeights(w); err != nil {
		return nil, err
	}
	xt, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("training: Velocity: %w", err)
	}
	defer xt.FinalizeAll()
	if t.vel[w] == nil { // built once; it recompiles only for new batch shapes
		u := t.cfg.VelocityWith(w)
		exec, err := model.NewExec(t.backend, t.store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
			livevars.Keep(scope, xn)
			return u(scope, xn, tn)
		})
		if err != nil {
			return nil, fmt.Errorf("training: Velocity: %w", err)
		}
		t.vel[w] = exec
	}
	out, err := t.vel[w].Call1(xt, float32(tt))
	if err != nil {
		return nil, fmt.Errorf("training: Velocity: %w", err)
	}
	defer out.FinalizeAll()
	return points.FromTensor(out)
}
