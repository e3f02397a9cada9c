package training

import (
	"fmt"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gofm/gofm/internal/livevars"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Class-conditional training (Config.Classes > 0): batches carry a label
// per row, the graph replaces each by the null label Classes with
// probability LabelDropout (objective.DropLabels), and the trained network
// is sampled through package guidance.

// labelTensor checks that y holds b labels in 0..Classes-1 and returns them
// as an int32 tensor [b]. The null label is not accepted here: training
// data carry real classes, and dropout adds the null ones.
func (t *Trainer) labelTensor(y []int, b int) (*tensors.Tensor, error) {
	if len(y) != b {
		return nil, fmt.Errorf("training: %d labels for a batch of %d rows; give one label per row", len(y), b)
	}
	out := make([]int32, b)
	for i, v := range y {
		if v < 0 || v >= t.cfg.Classes {
			return nil, fmt.Errorf("training: label %d of row %d is outside the classes 0..%d", v, i, t.cfg.Classes-1)
		}
		out[i] = int32(v)
	}
	return tensors.FromValue(out), nil
}

// StepLabeled runs one training step of a class-conditional trainer on the
// data batch x1 ([B, D] float32) with labels y (B classes in
// 0..Classes-1), with noise, times and label dropout drawn in the graph,
// and returns the batch loss before the update. x1 is finalized.
func (t *Trainer) StepLabeled(x1 *tensors.Tensor, y []int) (float64, error) {
	if err := checkBatch("x1", x1); err != nil {
		return 0, err
	}
	if t.cfg.Classes == 0 {
		x1.FinalizeAll()
		return 0, fmt.Errorf("training: StepLabeled: the network is unconditional (Config.Classes = 0); use Step")
	}
	yt, err := t.labelTensor(y, x1.Shape().Dimensions[0])
	if err != nil {
		x1.FinalizeAll()
		return 0, err
	}
	return t.step(x1, yt)
}

// LossLabeled is Loss for a class-conditional trainer: the objective at
// fixed noise x0, data x1, times tt and labels y (0..Classes, the null
// label included), without label dropout, so it is deterministic.
func (t *Trainer) LossLabeled(x0, x1, tt *tensors.Tensor, y []int) (float64, error) {
	if t.cfg.Classes == 0 {
		return 0, fmt.Errorf("training: LossLabeled: the network is unconditional (Config.Classes = 0); use Loss")
	}
	if err := checkLossInputs(x0, x1, tt); err != nil {
		return 0, err
	}
	b := x1.Shape().Dimensions[0]
	if len(y) != b {
		return 0, fmt.Errorf("training: %d labels for a batch of %d rows; give one label per row", len(y), b)
	}
	out := make([]int32, b)
	for i, v := range y {
		if v < 0 || v > t.cfg.Classes {
			return 0, fmt.Errorf("training: label %d of row %d is outside 0..%d (%d: the null label)", v, i, t.cfg.Classes, t.cfg.Classes)
		}
		out[i] = int32(v)
	}
	return t.evalLoss(x0, x1, tt, tensors.FromValue(out))
}

// LabeledDataStepper is DataStepper for a class-conditional trainer: it
// draws batch rows of data with their labels (labels[i] is the class of
// data[i]) uniformly with replacement.
func (t *Trainer) LabeledDataStepper(data [][]float64, labels []int, batch int) (func(rng *rand.Rand) (float64, error), error) {
	n, d, err := points.Check(data)
	if err != nil {
		return nil, fmt.Errorf("training: training data: %w", err)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("training: %d labels for %d data points; give one label per point", len(labels), n)
	}
	for i, v := range labels {
		if v < 0 || v >= t.cfg.Classes {
			return nil, fmt.Errorf("training: label %d of point %d is outside the classes 0..%d", v, i, t.cfg.Classes-1)
		}
	}
	if batch < 1 {
		return nil, fmt.Errorf("training: batch = %d; need >= 1", batch)
	}
	return func(rng *rand.Rand) (float64, error) {
		flat := make([]float32, batch*d)
		y := make([]int, batch)
		for i := range batch {
			k := rng.IntN(n)
			for j, v := range data[k] {
				flat[i*d+j] = float32(v)
			}
			y[i] = labels[k]
		}
		return t.StepLabeled(tensors.FromFlatDataAndDimensions(flat, batch, d), y)
	}, nil
}

// TrainLabeled is Train for a class-conditional trainer on labelled data.
func (t *Trainer) TrainLabeled(data [][]float64, labels []int, steps, batch int, seed uint64) ([]float64, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("training: TrainLabeled needs steps >= 1 and batch >= 1, got steps = %d, batch = %d", steps, batch)
	}
	step, err := t.LabeledDataStepper(data, labels, batch)
	if err != nil {
		return nil, err
	}
	return runSteps(step, steps, rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)))
}

// LabeledVelocityWith is VelocityWith for a class-conditional Config: the
// network's prediction at labels y converted to a velocity, reading the
// weights w, as a vfield.Labeled for guidance.Field.
func (c Config) LabeledVelocityWith(w Weights) vfield.Labeled {
	return func(scope *model.Scope, x, t, y *graph.Node) *graph.Node {
		net := func(s *model.Scope, x, t *graph.Node) *graph.Node { return c.LabelNet(s, x, t, y) }
		u := c.Path.VelocityOf(c.Kind.Param(), net)
		if w == Raw || c.EMADecay == 0 {
			return u(scope, x, t)
		}
		if scope == nil || !HasEMA(scope.Store()) {
			exceptions.Panicf("training: the averaged (EMA) weights are read from a store that has none: train at least one step with Config.EMADecay > 0 first, or read the raw weights (training.Raw)")
		}
		return u(scope.In(EMAScope), x, t)
	}
}

// GuidedVelocityWith is the velocity of a class-conditional Config for the
// condition cond (labels and guidance scale; see guidance.Field), reading
// the weights w. It is an error for an unconditional Config or a bad
// condition.
func (c Config) GuidedVelocityWith(w Weights, cond guidance.Condition) (vfield.Graph, error) {
	if c.Classes == 0 {
		return nil, fmt.Errorf("training: the network is unconditional (Config.Classes = 0): it takes no labels or guidance")
	}
	return guidance.Field(c.LabeledVelocityWith(w), c.Classes, cond)
}

// GuidedSampler is SamplerWith for a class-conditional trainer: an ODE
// solver of the guided velocity for cond, reading the weights w.
func (t *Trainer) GuidedSampler(w Weights, cond guidance.Condition, opts ode.Options) (*ode.Solver, error) {
	if err := t.CheckWeights(w); err != nil {
		return nil, err
	}
	u, err := t.cfg.GuidedVelocityWith(w, cond)
	if err != nil {
		return nil, err
	}
	return ode.New(t.backend, t.store, ode.Single(u), opts)
}

// GuidedVelocity is VelocityWith for a class-conditional trainer: the
// guided velocity for cond at host points x and time tt. Its graph is
// built once per weights and condition.
func (t *Trainer) GuidedVelocity(w Weights, cond guidance.Condition, x [][]float64, tt float64) ([][]float64, error) {
	if err := t.CheckWeights(w); err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%v %v %v", w, cond.Labels, cond.Scale)
	exec := t.guided[key]
	if exec == nil {
		u, err := t.cfg.GuidedVelocityWith(w, cond)
		if err != nil {
			return nil, err
		}
		exec, err = model.NewExec(t.backend, t.store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
			livevars.Keep(scope, xn)
			return u(scope, xn, tn)
		})
		if err != nil {
			return nil, fmt.Errorf("training: GuidedVelocity: %w", err)
		}
		if t.guided == nil {
			t.guided = map[string]*model.Exec{}
		}
		t.guided[key] = exec
	}
	xt, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("training: GuidedVelocity: %w", err)
	}
	defer xt.FinalizeAll()
	out, err := exec.Call1(xt, float32(tt))
	if err != nil {
		return nil, fmt.Errorf("training: GuidedVelocity: %w", err)
	}
	defer out.FinalizeAll()
	return points.FromTensor(out)
}
