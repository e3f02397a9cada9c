package training

import (
	"fmt"
	"math"
	"strings"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/support/exceptions"
)

// EMA of the weights.
//
// With Config.EMADecay = d > 0 every training step also updates, for each
// trainable variable w, a copy e kept at EMAScope + w's path:
//
//	e_{n+1} = d_n e_n + (1 - d_n) w_{n+1},   d_n = min(d, n / (n + EMAWarmup)),
//
// where w_{n+1} are the weights after the optimizer's update of step n + 1
// and n counts the updates before it (the variable EMACountPath). d_0 = 0
// makes e_1 = w_1, and the warm-up keeps the average over about the last
// tenth of a short run instead of weighting the initial, random weights
// with d^n (0.999^1000 = 0.37). The averaged weights are variables like any
// other: checkpoints keep them and a resumed run continues the average.
const (
	// EMAScope is the scope under which the averaged weights mirror the
	// network's variables: /mlp/dense_0/weights is averaged in
	// /ema/mlp/dense_0/weights.
	EMAScope = "ema"
	// EMACountPath is the variable counting EMA updates (n above).
	EMACountPath = "/ema_count"
	// EMAWarmup is the constant of the warm-up d_n = min(d, n/(n + EMAWarmup)).
	EMAWarmup = 10
)

// Weights selects which weights a sampler or velocity reads.
type Weights int

const (
	// Averaged reads the EMA of the weights when Config.EMADecay > 0 and the
	// raw weights otherwise: what sampling and evaluation use by default.
	Averaged Weights = iota
	// Raw reads the weights the optimizer updates.
	Raw
)

// String returns "averaged" or "raw".
func (w Weights) String() string {
	switch w {
	case Averaged:
		return "averaged"
	case Raw:
		return "raw"
	}
	return fmt.Sprintf("Weights(%d)", int(w))
}

// emaPath is where the average of the variable at path lives.
func emaPath(path string) string { return "/" + EMAScope + path }

// addEMAUpdate registers, in the training graph g, the EMA update of every
// trainable variable; it runs after the optimizer's update.
func addEMAUpdate(scope *model.Scope, g *graph.Graph, decay float64) {
	train.AddPerStepUpdateGraphFn(scope.In(EMAScope), g, func(_ *model.Scope, g *graph.Graph) {
		store := model.GetStore(g)
		count := store.VariableWithShape(EMACountPath, shapes.Make(dtypes.Float32), graph.Zeros)
		count.SetTrainable(false)
		n := count.NodeValue(g)
		dn := graph.MinScalar(graph.Div(n, graph.AddScalar(n, EMAWarmup)), decay)
		var vars []*model.Variable
		for v := range store.IterVariables() {
			if v.Trainable && !strings.HasPrefix(v.Path(), "/"+EMAScope+"/") {
				vars = append(vars, v)
			}
		}
		for _, v := range vars {
			w := v.NodeValue(g) // after the optimizer's update
			e := store.VariableWithShape(emaPath(v.Path()), v.Shape(), graph.Zeros)
			e.SetTrainable(false)
			d := graph.ConvertDType(dn, w.DType())
			e.SetNodeValue(graph.Add(graph.Mul(d, e.NodeValue(g)), graph.Mul(graph.OneMinus(d), w)))
		}
		count.SetNodeValue(graph.AddScalar(n, 1))
	})
}

// validEMADecay reports whether d is a usable EMADecay.
func validEMADecay(d float64) bool { return d >= 0 && d < 1 && !math.IsNaN(d) }

// HasEMA reports whether store holds averaged weights (at least one EMA
// update has run).
func HasEMA(store *model.Store) bool {
	return store.GetVariable(EMACountPath) != nil
}

// VelocityWith returns the network of c as a velocity field reading the
// weights w: its prediction converted to the velocity of the path (CFM
// predicts it directly; DSM a score and DDPM the noise, converted by
// probpath.Affine.VelocityOf: the probability-flow ODE of a diffusion
// model). With Averaged and EMADecay > 0 the network reads the copies under
// EMAScope; building the graph before any training step (no averaged
// weights in the store) panics with an error saying so, which model.Exec
// returns as an error.
//
// For a class-conditional Config (Classes > 0) it is the unconditional
// field, the network at the null label (GuidedVelocityWith gives the
// others).
func (c Config) VelocityWith(w Weights) vfield.Graph {
	if c.Classes > 0 {
		u, err := c.GuidedVelocityWith(w, guidance.Label(c.Classes, 0))
		if err != nil {
			exceptions.Panicf("%v", err)
		}
		return u
	}
	u := c.Path.VelocityOf(c.Kind.Param(), c.Net)
	if w == Raw || c.EMADecay == 0 {
		return u
	}
	return func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		if scope == nil || !HasEMA(scope.Store()) {
			exceptions.Panicf("training: the averaged (EMA) weights are read from a store that has none: train at least one step with Config.EMADecay > 0 first, or read the raw weights (training.Raw)")
		}
		return u(scope.In(EMAScope), x, t)
	}
}

// Velocity is VelocityWith(Averaged): the weights sampling and evaluation
// use by default.
func (c Config) Velocity() vfield.Graph { return c.VelocityWith(Averaged) }

// CheckWeights says why the weights w of t cannot be read (yet): nil when
// they can.
func (t *Trainer) CheckWeights(w Weights) error {
	switch w {
	case Raw:
		return nil
	case Averaged:
		if t.cfg.EMADecay > 0 && !HasEMA(t.store) {
			return fmt.Errorf("training: the store has no averaged (EMA) weights yet: train at least one step first, or read the raw weights (training.Raw)")
		}
		return nil
	}
	return fmt.Errorf("training: unknown Weights %d; use training.Averaged or training.Raw", int(w))
}
