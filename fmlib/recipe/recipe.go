package recipe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gofm/gofm/fmlib/coupling"
	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Config is a complete training set-up. Its JSON form (without Steps) is
// recorded in the checkpoint directory, so a directory resumes only with
// the same set-up; Steps may grow between sessions.
type Config struct {
	Name string `json:"name"` // preset it came from (informative)
	Data string `json:"data"` // a 2D set of package data (data.Names), or "mnist"

	Net        string            `json:"net"`                  // "mlp" or "unet"
	Hidden     []int             `json:"hidden,omitempty"`     // MLP hidden widths
	Activation string            `json:"activation,omitempty"` // MLP activation ("" = models' default)
	UNet       models.UNetConfig `json:"unet,omitzero"`        // U-Net settings (Height, Width, Channels are set from the data)

	Path      string  `json:"path"`                // "ot" (conditional OT) or "vp" (variance preserving)
	SigmaMin  float64 `json:"sigma_min,omitempty"` // "ot" path: sigma at t = 1
	Objective string  `json:"objective"`           // "cfm", "dsm" (score matching), "ddpm" (noise prediction) or "scoreflow" (score matching with the likelihood weighting g^2)
	Coupling  string  `json:"coupling"`            // "independent" or "ot" (minibatch optimal transport)

	LearningRate float64 `json:"learning_rate"`
	// CosineDecay anneals the learning rate along a cosine to 2% of its
	// start over Steps (see training.Config.DecaySteps).
	CosineDecay bool `json:"cosine_decay,omitempty"`
	// EMA is the decay of the moving average of the weights that sampling
	// and evaluation read (training.Config.EMADecay); 0: none.
	EMA float64 `json:"ema,omitempty"`
	// Time is how training draws t: "" or "uniform" (U[eps, 1-eps)),
	// "logit-normal" (sigmoid of N(0, 1), training.Config.TimeLogitStd = 1),
	// or "importance" (log-SNR uniform, each row reweighted by its
	// importance ratio: the uniform-time objective with less variance;
	// training.Config.TimeImportance; vp path only, meant for scoreflow).
	Time  string `json:"time,omitempty"`
	Batch int    `json:"batch"`
	Steps int64  `json:"-"` // total training steps
	Seed  uint64 `json:"seed"`

	// Conditional trains a class-conditional network on the data's labels
	// (MNIST's digits; the mixture part of a 2D set, see data.Classes),
	// sampled for a label and a guidance scale (Model.SetCondition, package
	// guidance). It needs the independent coupling.
	Conditional bool `json:"conditional,omitempty"`
	// LabelDropout is the probability that a training label is replaced by
	// the null label (training.Config.LabelDropout): 0.1 in the conditional
	// presets. With 0 the null label is never trained, and the model can
	// be sampled only for a class without guidance.
	LabelDropout float64 `json:"label_dropout,omitempty"`
}

// The 2D presets use a 3x128 SiLU MLP: on the 2-core CPU of our CI it runs
// about 130-150 steps/s at batch 256. Measured with gofm eval on the
// checkerboard (energy distance to held-out data, NLL in nats; the
// entropy is log 8 = 2.08): 3x256 at 1e-3 for 4000 steps 0.0056 / 2.50;
// 3x128 at 2e-3 for 6000 steps 0.0092 without decay, 0.0016 / 2.46 with
// the cosine decay; at 5e-3 with the decay 0.0013 / 2.33, the sharpest,
// in 48 s.
var presets = map[string]Config{
	"checkerboard": {Data: "checkerboard", Net: "mlp", Hidden: []int{128, 128, 128}, Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 5e-3, CosineDecay: true, Batch: 256, Steps: 6000, Seed: 1},
	"moons": {Data: "moons", Net: "mlp", Hidden: []int{128, 128, 128}, Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 2e-3, CosineDecay: true, Batch: 256, Steps: 3000, Seed: 1},
	"8gaussians": {Data: "8gaussians", Net: "mlp", Hidden: []int{128, 128, 128}, Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 2e-3, CosineDecay: true, Batch: 256, Steps: 3000, Seed: 1},
	"mnist-unet": {Data: "mnist", Net: "unet", Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 4e-3, CosineDecay: true, EMA: 0.999, Batch: 64, Steps: 3000, Seed: 1},
	"mnist-mlp": {Data: "mnist", Net: "mlp", Hidden: []int{1024, 1024, 1024}, Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 1e-3, CosineDecay: true, EMA: 0.999, Batch: 128, Steps: 3000, Seed: 1},
	// The class-conditional presets: the recipes above with a label
	// embedding and classifier-free guidance's label dropout of 0.1.
	"mnist-cond": {Data: "mnist", Net: "unet", Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 4e-3, CosineDecay: true, EMA: 0.999, Batch: 64, Steps: 3000, Seed: 1,
		Conditional: true, LabelDropout: 0.1},
	"8gaussians-cond": {Data: "8gaussians", Net: "mlp", Hidden: []int{128, 128, 128}, Path: "ot", SigmaMin: 1e-3,
		Objective: "cfm", Coupling: "independent", LearningRate: 2e-3, CosineDecay: true, Batch: 256, Steps: 3000, Seed: 1,
		Conditional: true, LabelDropout: 0.1},
}

// The MNIST presets are sized for a long command-line run (the U-Net takes
// about 0.45 s per step of 64 images on 2 cores: 3000 steps are ~25 min;
// models.UNet's benchmarks have the figures). The U-Net's default width
// (32 channels, patch 2) and 2e-3 with the decay gave about half clearly
// recognisable digits after 1500 steps. mnist-unet's learning rate 4e-3 is
// the winner of `make tune` (docs/results/tune-mnist.md): at 10 minutes of
// training each on 2 cores, FID-MNIST (n = 1000, floor 9.25) 50.2 against
// 56.2 at 2e-3, 53.0 with logit-normal times, 54.8 at batch 32 and 61.2 with
// 48 channels.

// quickSteps are the step counts of Quick: enough for a recognisable result
// in CI time (checked by the notebooks), not a converged model.
var quickSteps = map[string]int64{"checkerboard": 1500, "moons": 800, "8gaussians": 800, "mnist-unet": 150, "mnist-mlp": 300,
	"mnist-cond": 150, "8gaussians-cond": 800}

// Presets lists the preset names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the named set-up.
func Preset(name string) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("recipe: unknown preset %q; choose one of %s", name, strings.Join(Presets(), ", "))
	}
	c.Name = name
	c.Hidden = slices.Clone(c.Hidden)
	return c, nil
}

// Quick returns c with the step count of quick mode (CI) for its preset,
// or a tenth of its steps for a custom set-up.
func (c Config) Quick() Config {
	if s, ok := quickSteps[c.Name]; ok && s < c.Steps {
		c.Steps = s
	} else {
		c.Steps = max(1, c.Steps/10)
	}
	return c
}

// IsImage reports whether the data are images.
func (c Config) IsImage() bool { return c.Data == "mnist" }

// ImageShape returns height, width and channels of image data (0s for 2D).
func (c Config) ImageShape() (h, w, ch int) {
	if c.Data == "mnist" {
		return 28, 28, 1
	}
	return 0, 0, 0
}

// Dim is the dimension of one data point.
func (c Config) Dim() int {
	if h, w, ch := c.ImageShape(); h > 0 {
		return h * w * ch
	}
	return 2
}

// Classes is the number of classes a conditional set-up is trained on (10
// for MNIST, data.Classes for a 2D set), and 0 for an unconditional one.
// The label Classes is the null label (the unconditional field).
func (c Config) Classes() int {
	if !c.Conditional {
		return 0
	}
	if c.IsImage() {
		return 10
	}
	k, err := data.Classes(c.Data)
	if err != nil {
		return 0
	}
	return k
}

// Validate reports the first bad setting and what to use instead.
func (c Config) Validate() error {
	if !c.IsImage() && !slices.Contains(data.Names(), c.Data) {
		return fmt.Errorf("recipe: data %q unknown; use mnist or one of %s", c.Data, strings.Join(data.Names(), ", "))
	}
	switch c.Net {
	case "mlp":
		if err := c.mlp().Validate(); err != nil {
			return fmt.Errorf("recipe: %w", err)
		}
	case "unet":
		if !c.IsImage() {
			return fmt.Errorf("recipe: the unet network is for images; use net mlp for %s", c.Data)
		}
		if err := c.unet().Validate(); err != nil {
			return fmt.Errorf("recipe: %w", err)
		}
	default:
		return fmt.Errorf("recipe: net %q unknown; use mlp or unet", c.Net)
	}
	if _, err := c.path(); err != nil {
		return err
	}
	if _, err := c.kind(); err != nil {
		return err
	}
	if c.Coupling != "independent" && c.Coupling != "ot" {
		return fmt.Errorf("recipe: coupling %q unknown; use independent or ot", c.Coupling)
	}
	if c.Coupling == "ot" && c.Objective != "cfm" {
		return fmt.Errorf("recipe: the ot coupling pairs noise and data for flow matching; use it with objective cfm, not %s", c.Objective)
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("recipe: learning rate %g; need a finite value > 0 (e.g. 1e-3)", c.LearningRate)
	}
	if c.Time != "" && c.Time != "uniform" && c.Time != "logit-normal" && c.Time != "importance" {
		return fmt.Errorf("recipe: time %q unknown; use uniform, logit-normal or importance", c.Time)
	}
	if c.Time == "importance" && c.Path != "vp" {
		return fmt.Errorf("recipe: time importance draws times by the log-SNR of the vp path; use it with path vp, not %s", c.Path)
	}
	if !(c.EMA >= 0 && c.EMA < 1) {
		return fmt.Errorf("recipe: ema %g; need 0 <= ema < 1 (0: no moving average of the weights; typical 0.999)", c.EMA)
	}
	if c.Batch < 1 || c.Steps < 1 {
		return fmt.Errorf("recipe: batch %d and steps %d must both be >= 1", c.Batch, c.Steps)
	}
	if !(c.LabelDropout >= 0 && c.LabelDropout < 1) {
		return fmt.Errorf("recipe: label dropout %g; need 0 <= label_dropout < 1 (typical 0.1)", c.LabelDropout)
	}
	if !c.Conditional && c.LabelDropout != 0 {
		return fmt.Errorf("recipe: label dropout %g is for class-conditional set-ups; set conditional too, or leave it 0", c.LabelDropout)
	}
	if c.Conditional && c.Coupling != "independent" {
		return fmt.Errorf("recipe: a conditional set-up pairs noise and data independently; use coupling independent, not %s", c.Coupling)
	}
	return nil
}

func (c Config) mlp() models.MLPConfig {
	return models.MLPConfig{Hidden: c.Hidden, Activation: c.Activation, Classes: c.Classes()}
}

func (c Config) unet() models.UNetConfig {
	u := c.UNet
	u.Height, u.Width, u.Channels = c.ImageShape()
	u.Classes = c.Classes()
	return u
}

func (c Config) path() (probpath.Affine, error) {
	var s schedule.Scheduler
	switch c.Path {
	case "ot":
		s = schedule.CondOT{SigmaMin: c.SigmaMin}
	case "vp":
		s = schedule.VP{}
	default:
		return probpath.Affine{}, fmt.Errorf("recipe: path %q unknown; use ot (conditional optimal transport) or vp (variance preserving)", c.Path)
	}
	p, err := probpath.New(s)
	if err != nil {
		return probpath.Affine{}, fmt.Errorf("recipe: path %s: %w", c.Path, err)
	}
	return p, nil
}

func (c Config) kind() (objective.Kind, error) {
	switch c.Objective {
	case "cfm":
		return objective.CFM, nil
	case "dsm":
		return objective.DSM, nil
	case "ddpm":
		return objective.DDPM, nil
	case "scoreflow":
		return objective.ScoreFlow, nil
	}
	return 0, fmt.Errorf("recipe: objective %q unknown; use cfm, dsm, ddpm or scoreflow", c.Objective)
}

// NetFn is the network of c (nil for a conditional set-up: see LabelNetFn).
func (c Config) NetFn() vfield.Graph {
	if c.Conditional {
		return nil
	}
	if c.Net == "unet" {
		u := c.unet()
		return func(s *model.Scope, x, t *graph.Node) *graph.Node { return models.UNet(s.In("unet"), x, t, u) }
	}
	m := c.mlp()
	return func(s *model.Scope, x, t *graph.Node) *graph.Node { return models.MLP(s.In("mlp"), x, t, m) }
}

// LabelNetFn is the class-conditional network of a conditional set-up (nil
// for an unconditional one: see NetFn), under the same scope names as NetFn's.
func (c Config) LabelNetFn() vfield.Labeled {
	if !c.Conditional {
		return nil
	}
	if c.Net == "unet" {
		u := c.unet()
		return func(s *model.Scope, x, t, y *graph.Node) *graph.Node {
			return models.UNetLabeled(s.In("unet"), x, t, y, u)
		}
	}
	m := c.mlp()
	return func(s *model.Scope, x, t, y *graph.Node) *graph.Node {
		return models.MLPLabeled(s.In("mlp"), x, t, y, m)
	}
}

// TrainerConfig is the training.Config of c: its objective, path, network,
// learning rate (with the cosine decay over Steps if CosineDecay) and EMA.
func (c Config) TrainerConfig() (training.Config, error) {
	if err := c.Validate(); err != nil {
		return training.Config{}, err
	}
	p, _ := c.path()
	k, _ := c.kind()
	oc := training.Config{Kind: k, Path: p, Net: c.NetFn(), LearningRate: c.LearningRate, EMADecay: c.EMA}
	if c.Conditional {
		oc.Classes, oc.LabelNet, oc.LabelDropout = c.Classes(), c.LabelNetFn(), c.LabelDropout
	}
	if c.CosineDecay {
		oc.DecaySteps = int(c.Steps)
	}
	if c.Time == "logit-normal" {
		oc.TimeLogitStd = 1
	}
	oc.TimeImportance = c.Time == "importance"
	return oc, nil
}

// String is a one-line summary.
func (c Config) String() string {
	net := fmt.Sprintf("mlp %v", c.Hidden)
	if c.Net == "unet" {
		u := c.unet().Resolved()
		net = fmt.Sprintf("unet base %d mult %v", u.BaseChannels, u.ChannelMult)
	}
	lr := fmt.Sprint(c.LearningRate)
	if c.CosineDecay {
		lr += " (cosine decay)"
	}
	if c.EMA > 0 {
		lr += fmt.Sprintf(", weights averaged (EMA %g)", c.EMA)
	}
	if c.Time == "logit-normal" {
		lr += ", logit-normal times"
	}
	if c.Time == "importance" {
		lr += ", log-SNR importance-sampled times"
	}
	if c.Conditional {
		net += fmt.Sprintf(" conditional on %d classes (label dropout %g)", c.Classes(), c.LabelDropout)
	}
	return fmt.Sprintf("%s: data %s, %s, path %s, objective %s, coupling %s, lr %s, batch %d, %d steps, seed %d",
		c.Name, c.Data, net, c.Path, c.Objective, c.Coupling, lr, c.Batch, c.Steps, c.Seed)
}

// Model is a Config bound to a backend, a store and a checkpoint directory.
type Model struct {
	Config  Config
	backend compute.Backend
	store   *model.Store
	run     *training.Run
	tr      *training.Trainer
	obj     training.Config

	trainSet, testSet mnistSplit // MNIST, loaded on first use

	// Weights selects the weights Transport, Sample, Velocity, Likelihood
	// and Evaluate read: training.Averaged (the zero value: the moving
	// average when the set-up keeps one, Config.EMA > 0) or training.Raw.
	Weights training.Weights

	// cond is the condition of a conditional model's samplers, velocities
	// and likelihoods (SetCondition); the zero Condition for an
	// unconditional one.
	cond guidance.Condition

	mu       sync.Mutex
	samplers map[string]*ode.Solver // by samplerKey(weights, cond, opts)

	restored     bool // made by Restore: no optimizer state
	averagedOnly bool // restored from averaged weights only: no raw ones
	rawOnly      bool // restored from the raw weights of a set-up with EMA
}

// samplerKey is the cache key of a sampler of the weights w with options
// opts: ode.Options holds a slice (SaveAt) and is not comparable, and %#v
// prints every field, each float exactly (shortest representation that
// reads back the same).
func samplerKey(w training.Weights, c guidance.Condition, opts ode.Options) string {
	return fmt.Sprintf("%v %v %v %#v", w, c.Labels, c.Scale, opts)
}

// Open prepares cfg for training or sampling with checkpoints in dir ("" for
// none), loading the newest checkpoint there if there is one.
func Open(backend compute.Backend, cfg Config, dir string) (*Model, error) {
	return open(backend, cfg, dir, false)
}

// Load is Open for a directory that must hold a trained checkpoint.
func Load(backend compute.Backend, cfg Config, dir string) (*Model, error) {
	return open(backend, cfg, dir, true)
}

func open(backend compute.Backend, cfg Config, dir string, must bool) (*Model, error) {
	if must && cfg.Steps == 0 {
		cfg.Steps = 1 // a loaded model's Steps becomes its step count below
	}
	obj, err := cfg.TrainerConfig()
	if err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, fmt.Errorf("recipe: no backend (use session.Start or backend.New)")
	}
	store, err := training.NewStore(int64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	openRun := training.Open
	if must {
		openRun = training.Load
	}
	run, err := openRun(store, dir, cfg)
	if err != nil {
		return nil, err
	}
	tr, err := training.NewTrainer(backend, store, obj)
	if err != nil {
		return nil, err
	}
	if must {
		cfg.Steps = max(cfg.Steps, run.Step())
	}
	m := &Model{Config: cfg, backend: backend, store: store, run: run, tr: tr, obj: obj, samplers: map[string]*ode.Solver{}}
	if k := cfg.Classes(); k > 0 {
		m.cond = guidance.Label(k, 0) // the null label: the unconditional field
	}
	return m, nil
}

// SetCondition sets the labels and the guidance scale a class-conditional
// model's Transport, Sample, Velocity, Likelihood and Evaluate use (see
// package guidance; the labels are 0..Classes-1, or Classes for the
// unconditional field, one for every sample or one per sample). A
// conditional model starts with the null label and no guidance: it samples
// its unconditional field. It is an error for an unconditional model, for a
// bad condition, and for the null label or guidance on a model trained
// without label dropout (its null label was never trained).
func (m *Model) SetCondition(c guidance.Condition) error {
	k := m.Config.Classes()
	if k == 0 {
		return fmt.Errorf("recipe: %s is unconditional: labels and guidance need a class-conditional set-up (the presets %s)", m.Config.Name, strings.Join(conditionalPresets(), ", "))
	}
	if err := c.Check(k); err != nil {
		return fmt.Errorf("recipe: %w", err)
	}
	if m.Config.LabelDropout == 0 && (c.Scale != 0 || slices.Contains(c.Labels, k)) {
		return fmt.Errorf("recipe: %s was trained without label dropout (label_dropout 0), so its null label (the unconditional field that guidance pushes away from) was never trained: use a class 0..%d with guidance 0, or train with label_dropout > 0", m.Config.Name, k-1)
	}
	m.cond = guidance.Condition{Labels: slices.Clone(c.Labels), Scale: c.Scale}
	return nil
}

// Condition is what SetCondition set (the zero Condition for an
// unconditional model).
func (m *Model) Condition() guidance.Condition {
	return guidance.Condition{Labels: slices.Clone(m.cond.Labels), Scale: m.cond.Scale}
}

// conditionalPresets lists the conditional presets, sorted.
func conditionalPresets() []string {
	var out []string
	for _, n := range Presets() {
		if presets[n].Conditional {
			out = append(out, n)
		}
	}
	return out
}

// classLabel is the one class a conditional model is set to (Condition
// with a single label other than the null one), or -1.
func (m *Model) classLabel() int {
	if k := m.Config.Classes(); k > 0 && len(m.cond.Labels) == 1 && m.cond.Labels[0] < k {
		return m.cond.Labels[0]
	}
	return -1
}

// Run is the training run (step count, loss history, checkpoints).
func (m *Model) Run() *training.Run { return m.run }

// Trainer fits the network to the objective (one step per call).
func (m *Model) Trainer() *training.Trainer { return m.tr }

// Store holds the network variables.
func (m *Model) Store() *model.Store { return m.store }

// Backend is the compute backend.
func (m *Model) Backend() compute.Backend { return m.backend }

// Train trains until Config.Steps are done (resuming from the loaded
// checkpoint), reporting to rep (nil: progress.Auto). See training.Run.Train
// for interrupts and errors.
func (m *Model) Train(ctx context.Context, rep progress.Reporter) error {
	if m.restored {
		return fmt.Errorf("recipe: %s was restored from exported weights, which leave out the optimizer's state: it samples and evaluates but does not train (train the preset itself, e.g. gofm train -preset %s)", m.Config.Name, m.Config.Name)
	}
	step, err := m.stepFunc()
	if err != nil {
		return err
	}
	return m.run.Train(ctx, step, training.Options{
		Steps: m.Config.Steps, Batch: m.Config.Batch, Seed: m.Config.Seed,
		Title: "training " + m.Config.Name, Progress: rep,
	})
}

// stepFunc draws the batch of a step: fresh 2D points, or dequantized
// training images, paired with noise by the configured coupling.
func (m *Model) stepFunc() (training.StepFunc, error) {
	c := m.Config
	d := c.Dim()
	var draw func(rng *rand.Rand) ([][]float64, error)
	var drawLabeled func(rng *rand.Rand) ([][]float64, []int, error)
	if c.IsImage() {
		imgs, labels, err := m.trainSet.load("train")
		if err != nil {
			return nil, err
		}
		drawLabeled = func(rng *rand.Rand) ([][]float64, []int, error) {
			rows, y := make([][]float64, c.Batch), make([]int, c.Batch)
			for i := range rows {
				k := rng.IntN(imgs.N)
				rows[i], y[i] = Pixels(imgs, k), int(labels[k])
			}
			x, err := likelihood.Dequantize(rows, rng)
			return x, y, err
		}
		draw = func(rng *rand.Rand) ([][]float64, error) {
			x, _, err := drawLabeled(rng)
			return x, err
		}
	} else {
		draw = func(rng *rand.Rand) ([][]float64, error) { return data.Sample(c.Data, c.Batch, rng) }
		drawLabeled = func(rng *rand.Rand) ([][]float64, []int, error) { return data.SampleLabeled(c.Data, c.Batch, rng) }
	}
	if c.Conditional { // the same batches as the unconditional set-up's, with their labels
		return func(_ int64, rng *rand.Rand) (float64, error) {
			x1, y, err := drawLabeled(rng)
			if err != nil {
				return 0, err
			}
			t1, err := points.ToTensor(x1)
			if err != nil {
				return 0, err
			}
			return m.tr.StepLabeled(t1, y)
		}, nil
	}
	if c.Coupling == "independent" { // noise is drawn in the graph
		return func(_ int64, rng *rand.Rand) (float64, error) {
			x1, err := draw(rng)
			if err != nil {
				return 0, err
			}
			t1, err := points.ToTensor(x1)
			if err != nil {
				return 0, err
			}
			return m.tr.Step(t1)
		}, nil
	}
	// Minibatch OT: host noise, re-paired with the batch by the exact assignment.
	otPairs := func(rng *rand.Rand, _ int) ([][]float64, [][]float64, error) {
		x1, err := draw(rng)
		if err != nil {
			return nil, nil, err
		}
		return coupling.ExactOT{}.Pair(normal(len(x1), d, rng), x1, rng)
	}
	step, err := m.tr.PairStepper(otPairs, c.Batch)
	if err != nil {
		return nil, err
	}
	return training.Steps(step, nil), nil
}

func normal(n, d int, rng *rand.Rand) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.NormFloat64()
		}
	}
	return x
}

// Pixels returns image i of imgs as float64 values 0..255.
func Pixels(imgs *data.Images, i int) []float64 {
	im := imgs.Image(i)
	out := make([]float64, len(im))
	for j, p := range im {
		out[j] = float64(p)
	}
	return out
}

// Quantize maps model outputs in [-1, 1] back to 8-bit pixels (clipped).
func Quantize(x []float64) []uint8 {
	p := make([]uint8, len(x))
	for i, v := range x {
		q := math.Round(256*(v+1)/2 - 0.5)
		p[i] = uint8(math.Max(0, math.Min(255, q)))
	}
	return p
}

// mnistSplit loads one MNIST split (images and labels) once per model.
type mnistSplit struct {
	once   sync.Once
	imgs   *data.Images
	labels []uint8
	err    error
}

func (s *mnistSplit) load(split string) (*data.Images, []uint8, error) {
	s.once.Do(func() { s.imgs, s.labels, s.err = data.LoadMNIST(data.MNISTDir(), split) })
	return s.imgs, s.labels, s.err
}

// HeldOut returns n data points the model never trained on: 2D points from
// a stream independent of training (seeded by seed), or the first n test
// images, dequantized with a generator seeded by seed (a different seed
// changes only the dequantization noise, not the images).
func (m *Model) HeldOut(n int, seed uint64) ([][]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("recipe: HeldOut needs n >= 1, got %d", n)
	}
	if !m.Config.IsImage() {
		// Training batches come from BatchRNG(seed, step) streams; this
		// stream id is outside their range.
		rng := rand.New(rand.NewPCG(seed, 0xdeadbeefcafef00d))
		return data.Sample(m.Config.Data, n, rng)
	}
	rows, err := m.testPixels(n)
	if err != nil {
		return nil, err
	}
	return likelihood.Dequantize(rows, rand.New(rand.NewPCG(seed, 1)))
}

// HeldOutLabeled is HeldOut with the class of every point (MNIST's
// digits, the mixture part of a 2D set): the same points as HeldOut(n,
// seed). It is an error for data without labels.
func (m *Model) HeldOutLabeled(n int, seed uint64) ([][]float64, []int, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("recipe: HeldOutLabeled needs n >= 1, got %d", n)
	}
	if !m.Config.IsImage() {
		rng := rand.New(rand.NewPCG(seed, 0xdeadbeefcafef00d)) // HeldOut's stream
		return data.SampleLabeled(m.Config.Data, n, rng)
	}
	x, err := m.HeldOut(n, seed)
	if err != nil {
		return nil, nil, err
	}
	_, labels, err := m.testSet.load("test")
	if err != nil {
		return nil, nil, err
	}
	y := make([]int, n)
	for i := range y {
		y[i] = int(labels[i])
	}
	return x, y, nil
}

// heldOutFor returns n held-out points of the class the model is set to
// (SetCondition with one class label), or HeldOut(n, seed) when it is set
// to no single class: what samples of the current condition are compared
// with. 2D points of the class come from HeldOut's stream, drawn until n
// are found; images are the first n test images of the class, dequantized
// as HeldOut does.
func (m *Model) heldOutFor(n int, seed uint64) ([][]float64, error) {
	y := m.classLabel()
	if y < 0 {
		return m.HeldOut(n, seed)
	}
	if n < 1 {
		return nil, fmt.Errorf("recipe: HeldOut needs n >= 1, got %d", n)
	}
	if !m.Config.IsImage() {
		rng := rand.New(rand.NewPCG(seed, 0xdeadbeefcafef00d))
		var out [][]float64
		for len(out) < n {
			x, l, err := data.SampleLabeled(m.Config.Data, n, rng)
			if err != nil {
				return nil, err
			}
			for i := range x {
				if l[i] == y && len(out) < n {
					out = append(out, x[i])
				}
			}
		}
		return out, nil
	}
	rows, err := m.classPixels(n, y)
	if err != nil {
		return nil, err
	}
	return likelihood.Dequantize(rows, rand.New(rand.NewPCG(seed, 1)))
}

// classPixels returns the first n MNIST test images of digit y as values 0..255.
func (m *Model) classPixels(n, y int) ([][]float64, error) {
	imgs, labels, err := m.testSet.load("test")
	if err != nil {
		return nil, err
	}
	var out [][]float64
	for i := 0; i < imgs.N && len(out) < n; i++ {
		if int(labels[i]) == y {
			out = append(out, Pixels(imgs, i))
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("recipe: asked for %d test images of digit %d; the test set has %d (ask for fewer samples)", n, y, len(out))
	}
	return out, nil
}

// TimeSpan is the interval the sampler integrates: [0, 1] for flow
// matching, [eps, 1 - eps] for the probability-flow ODE of diffusion objectives.
func (m *Model) TimeSpan() (t0, t1 float64) {
	if m.obj.Kind == objective.CFM {
		return 0, 1
	}
	eps := m.obj.TimeEps
	if eps == 0 {
		eps = objective.DefaultTimeEps
	}
	return eps, 1 - eps
}

// Noise returns n points of N(0, I) from a generator seeded by seed.
func (m *Model) Noise(n int, seed uint64) [][]float64 {
	return normal(n, m.Config.Dim(), rand.New(rand.NewPCG(seed, 2)))
}

// Transport integrates the learned flow from the points x0 at TimeSpan's
// start to its end with the solver opts (SaveTrajectory for paths).
func (m *Model) Transport(x0 [][]float64, opts ode.Options) (*ode.PointsSolution, error) {
	s, err := m.sampler(opts)
	if err != nil {
		return nil, err
	}
	t0, t1 := m.TimeSpan()
	return s.SolvePoints(t0, t1, x0)
}

// TransportChunks transports x0 like Transport, in solves of at most chunk
// points each (which bounds the memory of one solve), and returns the points
// at t1 in x0's order and the number of field evaluations of each solve.
// Adaptive solvers measure their error over a whole solve, so the result
// depends on chunk; keep it fixed when comparing runs.
func (m *Model) TransportChunks(x0 [][]float64, chunk int, opts ode.Options) (x1 [][]float64, nfe []float64, err error) {
	if chunk < 1 {
		return nil, nil, fmt.Errorf("recipe: TransportChunks needs chunk >= 1 points per solve, got %d", chunk)
	}
	for lo := 0; lo < len(x0); lo += chunk {
		sol, err := m.Transport(x0[lo:min(lo+chunk, len(x0))], opts)
		if err != nil {
			return nil, nil, err
		}
		x1 = append(x1, sol.X...)
		nfe = append(nfe, float64(sol.Stats.NFE))
	}
	return x1, nfe, nil
}

// Sample draws n samples: noise from seed, transported by the flow.
func (m *Model) Sample(n int, seed uint64, opts ode.Options) (*ode.PointsSolution, error) {
	if n < 1 {
		return nil, fmt.Errorf("recipe: Sample needs n >= 1, got %d", n)
	}
	return m.Transport(m.Noise(n, seed), opts)
}

func (m *Model) sampler(opts ode.Options) (*ode.Solver, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := samplerKey(m.Weights, m.cond, opts)
	if s, ok := m.samplers[key]; ok {
		return s, nil
	}
	if err := m.checkWeights(); err != nil {
		return nil, err
	}
	var s *ode.Solver
	var err error
	if m.Config.Conditional {
		s, err = m.tr.GuidedSampler(m.Weights, m.cond, opts)
	} else {
		s, err = m.tr.SamplerWith(m.Weights, opts)
	}
	if err != nil {
		return nil, err
	}
	m.samplers[key] = s
	return s, nil
}

// Velocity is the learned velocity at host points x and time t (for a
// conditional model, the guided velocity of its Condition).
func (m *Model) Velocity(x [][]float64, t float64) ([][]float64, error) {
	if err := m.checkWeights(); err != nil {
		return nil, err
	}
	if m.Config.Conditional {
		return m.tr.GuidedVelocity(m.Weights, m.cond, x, t)
	}
	return m.tr.VelocityWith(m.Weights, x, t)
}

// field is the velocity field m's samplers and likelihoods integrate.
func (m *Model) field() (vfield.Graph, error) {
	if m.Config.Conditional {
		return m.obj.GuidedVelocityWith(m.Weights, m.cond)
	}
	return m.obj.VelocityWith(m.Weights), nil
}

// Likelihood returns an estimator of log p_1 under the learned flow (exact
// divergence for 2D; pass likelihood.Options{Method: likelihood.Hutchinson}
// for images). Diffusion-trained models integrate over TimeSpan: the
// estimator's log p_0 is then the standard normal's, a negligible
// approximation at eps = 1e-5. A conditional model's estimator integrates
// the guided velocity of its Condition: log p(x | y) of the model for one
// class with guidance 0, the density of the guided flow's samples
// otherwise.
func (m *Model) Likelihood(opts likelihood.Options) (*likelihood.Estimator, error) {
	if err := m.checkWeights(); err != nil {
		return nil, err
	}
	opts.T0, opts.T1 = m.TimeSpan()
	u, err := m.field()
	if err != nil {
		return nil, err
	}
	return likelihood.New(m.backend, m.store, u, opts)
}

// ReadConfig returns the set-up recorded in a checkpoint directory (its
// run.json), so a trained model can be sampled or evaluated without
// repeating its settings. Steps is 0 (it is not part of the record).
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, training.SettingsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Config{}, fmt.Errorf("recipe: %s has no %s: it holds no run trained by gofm (train one there, or check the path)", dir, training.SettingsFile)
		}
		return Config{}, fmt.Errorf("recipe: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("recipe: %s is not a recipe set-up (%v); it was written by another program or damaged", path, err)
	}
	return c, nil
}

// RunsEnv names the environment variable that sets where runs are kept.
const RunsEnv = "GOFM_RUNS"

// DefaultDir is where the gofm command keeps the checkpoints of a preset
// unless told otherwise: $GOFM_RUNS/NAME, or ~/.cache/gofm/runs/NAME. The
// notebooks look there for a longer run to show.
func DefaultDir(name string) string {
	if d := os.Getenv(RunsEnv); d != "" {
		return filepath.Join(d, name)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "gofm", "runs", name)
}

// ID is a short fingerprint of the set-up (its JSON record, without
// Steps): 8 hex digits of its SHA-256. Notebooks keep each set-up's
// checkpoints in a folder named with it, so a changed preset starts a fresh
// run instead of failing to resume an incompatible one.
func (c Config) ID() string {
	b, err := json.Marshal(c)
	if err != nil {
		return "invalid"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}
