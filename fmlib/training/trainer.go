package training

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
	"github.com/gomlx/gomlx/support/exceptions"
)

// DefaultLearningRate is the Adam learning rate used when Config.Optimizer is
// nil and Config.LearningRate is 0.
const DefaultLearningRate = 1e-3

// Config sets up a Trainer: the objective a network is fitted to (Kind and
// Path, whose losses package objective defines), the network, and the
// optimizer. The zero values of TimeEps, Optimizer, LearningRate,
// DecaySteps and EMADecay mean objective.DefaultTimeEps, Adam,
// DefaultLearningRate, a constant learning rate and no weight average.
type Config struct {
	Kind objective.Kind  // objective.CFM (zero value), DSM, DDPM or ScoreFlow
	Path probpath.Affine // probability path (scheduler); required
	Net  vfield.Graph    // the network; required

	// TimeEps keeps sampled times in [TimeEps, 1-TimeEps); 0 means
	// objective.DefaultTimeEps. Must be in [0, 0.5).
	TimeEps float64

	// Optimizer updates the variables; nil means Adam with LearningRate.
	Optimizer optimizer.Interface
	// LearningRate of the default Adam optimizer; 0 means DefaultLearningRate.
	LearningRate float64
	// DecaySteps, when > 0, anneals the learning rate along a cosine from
	// LearningRate at step 0 to MinLRFraction*LearningRate at step
	// DecaySteps (GoMLX's cosine schedule; its step counter is a store
	// variable, so a resumed run continues the schedule). Set it to the run's
	// total steps: small steps at the end sharpen a flow-matching model's
	// samples far more than the same number of steps at a constant rate.
	DecaySteps int

	// TimeLogitStd, when > 0, draws the training times from the logit-normal
	// distribution t = sigmoid(TimeLogitMean + TimeLogitStd z), z ~ N(0, 1)
	// (objective.LogitNormalTime) instead of uniformly.
	TimeLogitMean, TimeLogitStd float64

	// TimeImportance, when true, draws the training times with their
	// log-SNR uniform (objective.SampleLogSNRTime: density proportional to
	// d lambda_t/dt) and multiplies each row's loss by the importance ratio
	// of the uniform density to that one, so the objective is the same as
	// with uniform times and only the variance of its estimate changes: the
	// right choice for objective.ScoreFlow, whose weight g_t^2 is then
	// cancelled to a constant times sigma_t^2 (see package objective). It
	// needs a path whose schedule is a schedule.LogSNRInverter (VP) and
	// excludes TimeLogitStd > 0.
	TimeImportance bool

	// EMADecay, when > 0, keeps an exponential moving average of the weights
	// with this decay (after a warm-up, see EMAScope), which sampling and
	// evaluation read by default (Weights Averaged). Typical: 0.999 for runs
	// of thousands of steps. Must be in [0, 1).
	EMADecay float64

	// Classes > 0 makes the run class-conditional: the network is LabelNet
	// (Net must then be nil), every batch carries one label 0..Classes-1
	// per row (StepLabeled, LabeledDataStepper), and the label Classes is
	// the null label of the unconditional field.
	Classes int
	// LabelNet is the class-conditional network f(x, t | y) of a run with
	// Classes > 0 (e.g. models.MLPLabeled in a closure).
	LabelNet vfield.Labeled
	// LabelDropout is the probability that a training row's label is
	// replaced by the null label (objective.DropLabels), so that the one
	// network also learns the unconditional field that classifier-free
	// guidance needs (package guidance). In [0, 1); 0.1 is the usual
	// choice, and with 0 the null label is never trained.
	LabelDropout float64
}

// MinLRFraction is where the cosine decay ends, as a fraction of the
// initial learning rate: low enough to settle, not zero (the last steps
// would be wasted).
const MinLRFraction = 0.02

func (c Config) timeEps() float64 {
	if c.TimeEps == 0 {
		return objective.DefaultTimeEps
	}
	return c.TimeEps
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if !c.Kind.Valid() {
		return fmt.Errorf("training: unknown Kind %d; use objective.CFM, DSM, DDPM or ScoreFlow", int(c.Kind))
	}
	switch {
	case c.Classes < 0:
		return fmt.Errorf("training: Config.Classes = %d; use 0 (unconditional) or the number of classes", c.Classes)
	case c.Classes > 0 && c.LabelNet == nil:
		return fmt.Errorf("training: Config.Classes = %d but Config.LabelNet is nil; give the class-conditional network, e.g. func(s *model.Scope, x, t, y *graph.Node) *graph.Node { return models.MLPLabeled(s.In(\"mlp\"), x, t, y, cfg) }", c.Classes)
	case c.Classes > 0 && c.Net != nil:
		return fmt.Errorf("training: Config has both Net and LabelNet; a class-conditional run (Classes = %d) uses LabelNet only: set Net to nil", c.Classes)
	case c.Classes == 0 && (c.LabelNet != nil || c.LabelDropout != 0):
		return fmt.Errorf("training: Config.LabelNet or LabelDropout is set but Classes = 0; set Classes to the number of classes for a class-conditional run")
	case c.Classes == 0 && c.Net == nil:
		return fmt.Errorf("training: Config.Net is nil; give the network, e.g. func(s *model.Scope, x, t *graph.Node) *graph.Node { return models.MLP(s.In(\"mlp\"), x, t, cfg) }")
	}
	if !(c.LabelDropout >= 0 && c.LabelDropout < 1) {
		return fmt.Errorf("training: Config.LabelDropout = %g; need 0 <= LabelDropout < 1 (typical 0.1)", c.LabelDropout)
	}
	if c.Path.Sched == nil {
		return fmt.Errorf("training: Config.Path has no scheduler; build it with probpath.New(schedule.CondOT{SigmaMin: 0.01}) or similar")
	}
	if err := c.Path.Sched.Validate(); err != nil {
		return fmt.Errorf("training: path scheduler %s: %w", c.Path.Sched.Name(), err)
	}
	if eps := c.timeEps(); !(eps >= 0 && eps < 0.5) {
		return fmt.Errorf("training: Config.TimeEps = %g; need 0 <= TimeEps < 0.5 (0 means %g)", c.TimeEps, float64(objective.DefaultTimeEps))
	}
	if c.DecaySteps < 0 {
		return fmt.Errorf("training: Config.DecaySteps = %d; use 0 (constant learning rate) or the number of steps to decay over", c.DecaySteps)
	}
	if !(c.TimeLogitStd >= 0) || math.IsInf(c.TimeLogitStd, 0) || math.IsNaN(c.TimeLogitMean) || math.IsInf(c.TimeLogitMean, 0) {
		return fmt.Errorf("training: Config.TimeLogitMean = %g, TimeLogitStd = %g; need finite values, std >= 0 (0: uniform times; typical 0 and 1)", c.TimeLogitMean, c.TimeLogitStd)
	}
	if c.TimeImportance {
		if c.TimeLogitStd > 0 {
			return fmt.Errorf("training: Config.TimeImportance and TimeLogitStd > 0 both choose how times are drawn; set one")
		}
		if _, _, _, err := objective.LogSNRRange(c.Path.Sched, c.timeEps()); err != nil {
			return fmt.Errorf("training: Config.TimeImportance: %w", err)
		}
	}
	if !validEMADecay(c.EMADecay) {
		return fmt.Errorf("training: Config.EMADecay = %g; need 0 <= EMADecay < 1 (0: no average; typical 0.999)", c.EMADecay)
	}
	if !(c.LearningRate >= 0) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("training: Config.LearningRate = %g; need a finite value > 0 (0 means %g)", c.LearningRate, float64(DefaultLearningRate))
	}
	return nil
}

// ModelFn returns a model function for GoMLX's train.NewTrainer (use it with
// a nil loss function): it builds the loss of the objective and registers it
// with train.AddMainLoss. Its inputs are, by count:
//
//	[x1]          data batch [B, D]; noise x0 ~ N(0, I) and t ~ U[eps, 1-eps) are drawn in the graph
//	[x0, x1]      given pairs (e.g. from an optimal-transport coupling); t drawn in the graph
//	[x0, x1, t]   everything given (t of shape [B]; rows weighted 1, as for uniform times)
//
// Drawn times are logit-normal with TimeLogitStd > 0, or importance sampled
// (and the rows reweighted) with TimeImportance.
//
// with, for a class-conditional Config (Classes > 0), the labels y (int32
// [B]) as one more input at the end; label dropout (LabelDropout) is drawn
// in the graph. Random draws use the store's RNG state (seed it with Store.SetRNGStateFromSeed).
// Net receives the scope the trainer passes (the store's root scope).
func (c Config) ModelFn() func(scope *model.Scope, inputs []*graph.Node) {
	return func(scope *model.Scope, inputs []*graph.Node) {
		if c.DecaySteps > 0 && len(inputs) > 0 {
			lr := c.LearningRate
			if lr == 0 {
				lr = DefaultLearningRate
			}
			cosineschedule.New(scope, inputs[0].Graph(), inputs[0].DType()).
				LearningRate(lr).PeriodSteps(c.DecaySteps).MinLearningRate(MinLRFraction * lr).Done()
		}
		train.AddMainLoss(c.graphLoss(scope, inputs, true))
		if c.EMADecay > 0 && len(inputs) > 0 {
			addEMAUpdate(scope, inputs[0].Graph(), c.EMADecay)
		}
	}
}

// graphLoss builds the loss for the input layouts documented in ModelFn;
// train applies the label dropout of a conditional run.
func (c Config) graphLoss(scope *model.Scope, inputs []*graph.Node, train bool) *graph.Node {
	var x0, x1, t, y *graph.Node
	if c.Classes > 0 {
		if len(inputs) < 2 {
			exceptions.Panicf("training: a class-conditional model function takes the labels as its last input; got %d inputs", len(inputs))
		}
		y, inputs = inputs[len(inputs)-1], inputs[:len(inputs)-1]
	}
	switch len(inputs) {
	case 1:
		x1 = inputs[0]
	case 2:
		x0, x1 = inputs[0], inputs[1]
	case 3:
		x0, x1, t = inputs[0], inputs[1], inputs[2]
	default:
		exceptions.Panicf("training: model function takes [x1], [x0, x1] or [x0, x1, t]; got %d inputs", len(inputs))
	}
	g := x1.Graph()
	if x1.Rank() < 2 {
		exceptions.Panicf("training: x1 must have shape [B, ...], got %s", x1.Shape())
	}
	if x0 == nil {
		x0 = scope.RandomNormal(g, x1.Shape())
	}
	if !x0.Shape().Equal(x1.Shape()) {
		exceptions.Panicf("training: x0 shape %s differs from x1 shape %s", x0.Shape(), x1.Shape())
	}
	b := x1.Shape().Dimensions[0]
	var rows *graph.Node // importance ratios of the drawn times (nil: 1)
	if t == nil {
		if c.TimeImportance {
			t, rows = objective.SampleLogSNRTime(scope, g, x1.DType(), b, c.Path, c.timeEps())
		} else if c.TimeLogitStd > 0 {
			t = objective.SampleLogitNormalTime(scope, g, x1.DType(), b, c.TimeLogitMean, c.TimeLogitStd, c.timeEps())
		} else {
			t = objective.SampleTime(scope, g, x1.DType(), b, c.timeEps())
		}
	}
	if t.Rank() != 1 || t.Shape().Dimensions[0] != b {
		exceptions.Panicf("training: t must have shape [%d], got %s", b, t.Shape())
	}
	t = graph.ConvertDType(t, x1.DType())
	if y == nil {
		return objective.WeightedLoss(c.Kind, c.Path, c.Net, scope, x0, x1, t, rows)
	}
	if !y.DType().IsInt() || y.Rank() != 1 || y.Shape().Dimensions[0] != b {
		exceptions.Panicf("training: labels must be an integer vector [%d], got %s", b, y.Shape())
	}
	if train && c.LabelDropout > 0 {
		y = objective.DropLabels(scope, y, c.Classes, c.LabelDropout)
	}
	return objective.WeightedLabeledLoss(c.Kind, c.Path, c.LabelNet, scope, x0, x1, t, y, rows)
}

// Trainer runs training steps of one objective on a store's network with
// GoMLX's train.Trainer (a compiled graph per batch shape: loss, gradients
// and optimizer update in one call).
type Trainer struct {
	cfg     Config
	backend compute.Backend
	store   *model.Store
	trainer *train.Trainer
	eval    *model.Exec
	vel     [2]*model.Exec         // the network as a velocity at (x, t), per Weights; built by the first Velocity call
	guided  map[string]*model.Exec // GuidedVelocity's graphs, by weights and condition
}

// NewTrainer validates cfg and prepares the training and evaluation graphs
// (compiled on first use). store holds the network variables and the RNG
// state; seed it (Store.SetRNGStateFromSeed) for reproducible runs.
func NewTrainer(backend compute.Backend, store *model.Store, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if backend == nil || store == nil {
		return nil, fmt.Errorf("training: NewTrainer needs a backend and a store (model.NewStore())")
	}
	opt := cfg.Optimizer
	if opt == nil {
		lr := cfg.LearningRate
		if lr == 0 {
			lr = DefaultLearningRate
		}
		opt = optimizer.Adam().LearningRate(lr).Done()
	}
	tr := train.NewTrainer(backend, store, cfg.ModelFn(), nil, opt, nil, nil)
	eval, err := model.NewExec(backend, store, func(scope *model.Scope, inputs []*graph.Node) *graph.Node {
		livevars.Keep(scope, inputs[0])
		return cfg.graphLoss(scope, inputs, false)
	})
	if err != nil {
		return nil, fmt.Errorf("training: building the evaluation graph: %w", err)
	}
	return &Trainer{cfg: cfg, backend: backend, store: store, trainer: tr, eval: eval}, nil
}

// GoMLX returns the underlying train.Trainer (e.g. to use train.Loop).
func (t *Trainer) GoMLX() *train.Trainer { return t.trainer }

// Store returns the store holding the network variables.
func (t *Trainer) Store() *model.Store { return t.store }

func checkBatch(name string, x *tensors.Tensor) error {
	if x == nil {
		return fmt.Errorf("training: %s is nil", name)
	}
	s := x.Shape()
	if s.Rank() < 2 || s.Dimensions[0] < 1 {
		return fmt.Errorf("training: %s has shape %s; want [B, D...] with B >= 1", name, s)
	}
	if s.DType != dtypes.Float32 {
		return fmt.Errorf("training: %s has dtype %s; want float32 (points.ToTensor makes one)", name, s.DType)
	}
	return nil
}

// Step runs one training step on the data batch x1 ([B, D] float32), with
// noise and times drawn in the graph, and returns the batch loss before the
// update. The trainer takes ownership of x1 (it is finalized).
func (t *Trainer) Step(x1 *tensors.Tensor) (float64, error) {
	if err := checkBatch("x1", x1); err != nil {
		return 0, err
	}
	if t.cfg.Classes > 0 {
		x1.FinalizeAll()
		return 0, errConditional("Step", "StepLabeled")
	}
	return t.step(x1)
}

func errConditional(method, instead string) error {
	return fmt.Errorf("training: %s: the network is class-conditional (Config.Classes > 0) and needs a label per row; use %s", method, instead)
}

// StepPairs is Step with the noise given: x0 and x1 are paired row by row
// (e.g. by an optimal-transport coupling). Both are finalized.
func (t *Trainer) StepPairs(x0, x1 *tensors.Tensor) (float64, error) {
	if err := checkBatch("x0", x0); err != nil {
		return 0, err
	}
	if err := checkBatch("x1", x1); err != nil {
		return 0, err
	}
	if !x0.Shape().Equal(x1.Shape()) {
		return 0, fmt.Errorf("training: x0 shape %s differs from x1 shape %s; pairs must match row by row", x0.Shape(), x1.Shape())
	}
	if t.cfg.Classes > 0 {
		return 0, errConditional("StepPairs", "StepLabeled (noise pairs are not supported for class-conditional runs)")
	}
	return t.step(x0, x1)
}

func (t *Trainer) step(inputs ...*tensors.Tensor) (float64, error) {
	metrics, err := t.trainer.TrainStep(train.Batch{Inputs: inputs})
	if err != nil {
		return 0, fmt.Errorf("training: training step: %w", err)
	}
	loss := float64(tensors.ToScalar[float32](metrics[0]))
	for _, m := range metrics {
		_ = m.FinalizeAll()
	}
	return loss, nil
}

// Loss evaluates the objective without updating anything, for fixed noise
// x0, data x1 ([B, D] float32) and times tt ([B] float32 in [0, 1]). With the
// same inputs it is deterministic, which makes it the right yardstick to
// compare a network before and after training.
func (t *Trainer) Loss(x0, x1, tt *tensors.Tensor) (float64, error) {
	if t.cfg.Classes > 0 {
		return 0, errConditional("Loss", "LossLabeled")
	}
	if err := checkLossInputs(x0, x1, tt); err != nil {
		return 0, err
	}
	return t.evalLoss(x0, x1, tt)
}

// checkLossInputs checks the fixed inputs of Loss and LossLabeled.
func checkLossInputs(x0, x1, tt *tensors.Tensor) error {
	if err := checkBatch("x0", x0); err != nil {
		return err
	}
	if err := checkBatch("x1", x1); err != nil {
		return err
	}
	if !x0.Shape().Equal(x1.Shape()) {
		return fmt.Errorf("training: x0 shape %s differs from x1 shape %s", x0.Shape(), x1.Shape())
	}
	if tt == nil || tt.Shape().Rank() != 1 || tt.Shape().Dimensions[0] != x1.Shape().Dimensions[0] || tt.Shape().DType != dtypes.Float32 {
		return fmt.Errorf("training: t must be a float32 tensor of shape [%d] (one time per row of x1)", x1.Shape().Dimensions[0])
	}
	var bad error
	tensors.MustConstFlatData(tt, func(flat []float32) {
		for i, v := range flat {
			if !(v >= 0 && v <= 1) {
				bad = fmt.Errorf("training: t[%d] = %v is outside [0, 1]", i, v)
				return
			}
		}
	})
	return bad
}

func (t *Trainer) evalLoss(inputs ...any) (float64, error) {
	out, err := t.eval.Call1(inputs...)
	if err != nil {
		return 0, fmt.Errorf("training: evaluating the loss: %w", err)
	}
	return float64(tensors.ToScalar[float32](out)), nil
}

// DataStepper checks data (N x D, float64 host points) once and returns a
// function that runs one training step on batch rows drawn uniformly with
// replacement from data with the given generator. Noise and times come from
// the store's RNG.
func (t *Trainer) DataStepper(data [][]float64, batch int) (func(rng *rand.Rand) (float64, error), error) {
	n, d, err := points.Check(data)
	if err != nil {
		return nil, fmt.Errorf("training: training data: %w", err)
	}
	if batch < 1 {
		return nil, fmt.Errorf("training: batch = %d; need >= 1", batch)
	}
	return func(rng *rand.Rand) (float64, error) {
		flat := make([]float32, batch*d)
		for i := range batch {
			row := data[rng.IntN(n)]
			for j, v := range row {
				flat[i*d+j] = float32(v)
			}
		}
		return t.Step(tensors.FromFlatDataAndDimensions(flat, batch, d))
	}, nil
}

// Train runs steps training steps on minibatches of batch rows drawn
// uniformly with replacement from data (N x D, float64 host points) with a
// PCG generator seeded by seed, and returns the loss of every step. Noise
// and times come from the store's RNG (seed the store too for a fully
// reproducible run). For checkpoints, progress and resumption use a Run:
// run.Train(ctx, Steps(t.DataStepper(data, batch)), opts).
func (t *Trainer) Train(data [][]float64, steps, batch int, seed uint64) ([]float64, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("training: Train needs steps >= 1 and batch >= 1, got steps = %d, batch = %d", steps, batch)
	}
	step, err := t.DataStepper(data, batch)
	if err != nil {
		return nil, err
	}
	return runSteps(step, steps, rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)))
}

// runSteps calls step steps times with rng and returns the losses so far,
// stopping at the first error.
func runSteps(step func(*rand.Rand) (float64, error), steps int, rng *rand.Rand) ([]float64, error) {
	losses := make([]float64, 0, steps)
	for range steps {
		loss, err := step(rng)
		if err != nil {
			return losses, err
		}
		losses = append(losses, loss)
	}
	return losses, nil
}
