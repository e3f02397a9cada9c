package training

import (
	"fmt"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

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
		return nil, fmt.Errorf("training: Velocity: %w", err)
	}
	defer xt.FinalizeAll()
	if t.vel == nil { // built once; it recompiles only for new batch shapes
		u := t.cfg.Velocity()
		exec, err := model.NewExec(t.backend, t.store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
			livevars.Keep(scope, xn)
			return u(scope, xn, tn)
		})
		if err != nil {
			return nil, fmt.Errorf("training: Velocity: %w", err)
		}
		t.vel = exec
	}
	out, err := t.vel.Call1(xt, float32(tt))
	if err != nil {
		return nil, fmt.Errorf("training: Velocity: %w", err)
	}
	defer out.FinalizeAll()
	return points.FromTensor(out)
}
