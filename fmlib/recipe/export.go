package recipe

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Exported weights: the part of a trained model that sampling and
// evaluation read, without the optimizer's state or the other copy of the
// weights. A run of the MNIST U-Net keeps four copies of its 378k
// parameters in each checkpoint (weights, Adam's two moments, the moving
// average); an export keeps one. Package pretrained writes exports to
// files and ships them with the project.

// GlobalStepPath is the store path of the training step counter, which an
// export keeps so a restored model reports how long it was trained.
const GlobalStepPath = "/" + optimizer.GlobalStepVariableName

// Export returns the weights that m's samplers read (m.Weights: the moving
// average when the set-up keeps one, else the raw weights) and the step
// counter, by store path, each value a copy. Restore turns them back into
// a model.
func (m *Model) Export() (map[string]*tensors.Tensor, error) {
	if err := m.checkWeights(); err != nil {
		return nil, err
	}
	// A checkpoint's variables reach the store when a graph asks for them:
	// one velocity evaluation loads exactly the weights the samplers read
	// (for a conditional model the null label's, which reads them all: the
	// label embedding is one table).
	one := [][]float64{make([]float64, m.Config.Dim())}
	var err error
	if k := m.Config.Classes(); k > 0 {
		_, err = m.tr.GuidedVelocity(m.Weights, guidance.Label(k, 0), one, 0.5)
	} else {
		_, err = m.Velocity(one, 0.5)
	}
	if err != nil {
		return nil, err
	}
	_ = optimizer.GetGlobalStep(m.store)
	averaged := m.Weights == training.Averaged && m.Config.EMA > 0
	out := map[string]*tensors.Tensor{}
	for v := range m.store.IterVariables() {
		p := v.Path()
		var keep bool
		switch {
		case p == GlobalStepPath:
			keep = true
		case averaged:
			keep = strings.HasPrefix(p, "/"+training.EMAScope+"/") || p == training.EMACountPath
		default:
			keep = v.Trainable && !strings.HasPrefix(p, "/"+training.EMAScope+"/")
		}
		if !keep {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("recipe: reading %s: %w", p, err)
		}
		if out[p], err = val.LocalClone(); err != nil {
			return nil, fmt.Errorf("recipe: copying %s: %w", p, err)
		}
	}
	if _, ok := out[GlobalStepPath]; !ok || len(out) < 2 {
		return nil, fmt.Errorf("recipe: the model has no trained weights to export (train it first)")
	}
	return out, nil
}

// Restore returns a model of cfg whose store holds exactly vars (as Export
// returned them), for sampling, velocities, likelihoods and evaluation. It
// cannot train (the optimizer's state is not there), and of a set-up with
// a moving average (cfg.EMA > 0) it reads only the copy that was exported:
// the average, or the raw weights (then Weights is set to training.Raw).
// Training or asking for the other copy is an error. A graph that asks for a variable vars do not have (a
// network of another shape, say) fails with an error naming it, instead of
// running on freshly initialised weights.
func Restore(backend compute.Backend, cfg Config, vars map[string]*tensors.Tensor) (*Model, error) {
	if _, ok := vars[GlobalStepPath]; !ok {
		return nil, fmt.Errorf("recipe: Restore: the weights have no step counter (%s): they were not made by Model.Export", GlobalStepPath)
	}
	if cfg.Steps == 0 {
		cfg.Steps = 1 // replaced by the restored step count below
	}
	m, err := open(backend, cfg, "", false)
	if err != nil {
		return nil, err
	}
	for _, p := range slices.Sorted(maps.Keys(vars)) {
		if vars[p] == nil {
			return nil, fmt.Errorf("recipe: Restore: variable %s has no value", p)
		}
		val, err := vars[p].LocalClone()
		if err != nil {
			return nil, fmt.Errorf("recipe: Restore: copying %s: %w", p, err)
		}
		v := m.store.GetVariable(p) // the step counter may exist already
		if v == nil {
			v, err = m.store.CreateVariable(p, val)
		} else {
			err = v.SetValue(val)
		}
		if err != nil {
			return nil, fmt.Errorf("recipe: Restore: %s: %w", p, err)
		}
		v.SetTrainable(!strings.HasPrefix(p, "/"+training.EMAScope+"/") && p != training.EMACountPath && p != GlobalStepPath)
	}
	if cfg.EMA > 0 {
		// An export holds one copy: the average (with its counter) or the raw weights.
		m.averagedOnly = training.HasEMA(m.store)
		m.rawOnly = !m.averagedOnly
		if m.rawOnly {
			m.Weights = training.Raw
		}
	}
	m.store.SetLoader(restoredOnly{})
	m.restored = true
	m.Config.Steps = m.run.Step()
	return m, nil
}

// restoredOnly is the store loader of a restored model: asked for a
// variable the store does not have, it fails instead of letting the graph
// initialise one at random.
type restoredOnly struct{}

func (restoredOnly) LoadVariable(_ *model.Store, path string) (*tensors.Tensor, bool) {
	exceptions.Panicf("recipe: the restored weights have no variable %s: they belong to a different network or set-up than the one being built (or only the averaged weights were exported and the raw ones were asked for)", path)
	return nil, false
}

func (restoredOnly) DeleteVariable(*model.Store, string) error { return nil }

// checkWeights says why m's samplers cannot read m.Weights: nil when they can.
func (m *Model) checkWeights() error {
	if m.averagedOnly && m.Weights == training.Raw {
		return fmt.Errorf("recipe: this model was restored from exported averaged (EMA) weights; the raw weights are not part of the export (use training.Averaged, or train the preset to have both)")
	}
	if m.rawOnly && m.Weights == training.Averaged {
		return fmt.Errorf("recipe: this model was restored from exported raw weights; the averaged (EMA) weights are not part of the export (use training.Raw, or train the preset to have both)")
	}
	return m.tr.CheckWeights(m.Weights)
}

// Restored reports whether m was made by Restore (it samples and evaluates
// but does not train).
func (m *Model) Restored() bool { return m.restored }
