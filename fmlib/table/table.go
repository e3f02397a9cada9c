package table

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gofm/gofm/fmlib/classifier"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/recipe"
)

// Method is one row of the table: how a network is trained. Every method
// of a scale uses the same network, batch size, learning rate and number of
// steps; only the path, the objective and the pairing of noise and data
// differ.
type Method struct {
	Key       string `json:"key"`                 // short id, used in directory names: ddpm, sm, sf, fm-diff, fm-ot, ot-cfm, 2-rf
	Name      string `json:"name"`                // display name
	PaperRow  string `json:"paper_row,omitempty"` // the row of the paper's Table 1 it reproduces ("" for the extra rows)
	Path      string `json:"path"`                // recipe path: "vp" or "ot"
	Objective string `json:"objective"`           // recipe objective: "ddpm", "dsm", "scoreflow" or "cfm"
	Coupling  string `json:"coupling"`            // recipe coupling: "independent" or "ot"
	Time      string `json:"time,omitempty"`      // recipe time sampling when the method sets it ("importance" for ScoreFlow); "" keeps the scale's
	ReflowOf  string `json:"reflow_of,omitempty"` // key of the method whose (noise, sample) pairs it trains on (2-RF)
	About     string `json:"about"`               // one line: what is trained
}

// Diffusion reports whether the method trains a diffusion objective (noise
// or score prediction), sampled through its probability-flow ODE.
func (m Method) Diffusion() bool { return m.Objective != "cfm" }

var methods = []Method{
	{Key: "ddpm", Name: "DDPM", PaperRow: "DDPM", Path: "vp", Objective: "ddpm", Coupling: "independent",
		About: "noise prediction on the VP path, sampled by its probability-flow ODE"},
	{Key: "sm", Name: "Score Matching", PaperRow: "Score Matching", Path: "vp", Objective: "dsm", Coupling: "independent",
		About: "denoising score matching (weight sigma_t^2) on the VP path, sampled by its probability-flow ODE"},
	{Key: "sf", Name: "ScoreFlow", PaperRow: "ScoreFlow", Path: "vp", Objective: "scoreflow", Coupling: "independent", Time: "importance",
		About: "denoising score matching with the likelihood weighting g_t^2 = beta(1-t) (Song et al. 2021), times importance-sampled by log-SNR, sampled by its probability-flow ODE"},
	{Key: "fm-diff", Name: "FM w/ Diffusion", PaperRow: "FM w/ Diffusion", Path: "vp", Objective: "cfm", Coupling: "independent",
		About: "flow matching (velocity regression) on the VP path"},
	{Key: "fm-ot", Name: "FM w/ OT", PaperRow: "FM w/ OT", Path: "ot", Objective: "cfm", Coupling: "independent",
		About: "flow matching on the conditional OT path (straight lines, sigma_min 1e-3)"},
	{Key: "ot-cfm", Name: "OT-CFM", Path: "ot", Objective: "cfm", Coupling: "ot",
		About: "flow matching on the OT path with each batch paired by exact minibatch optimal transport"},
	{Key: "2-rf", Name: "2-RF (reflow)", Path: "ot", Objective: "cfm", Coupling: "independent", ReflowOf: "fm-ot",
		About: "flow matching on the OT path, trained on the FM w/ OT model's own (noise, sample) pairs"},
}

// Methods returns every method in table order: the paper's five rows, then
// OT-CFM and 2-RF.
func Methods() []Method { return slices.Clone(methods) }

// MethodByKey returns the method with the given key.
func MethodByKey(key string) (Method, error) {
	for _, m := range methods {
		if m.Key == key {
			return m, nil
		}
	}
	keys := make([]string, len(methods))
	for i, m := range methods {
		keys[i] = m.Key
	}
	return Method{}, fmt.Errorf("table: unknown method %q; use one of %s", key, strings.Join(keys, ", "))
}

// PaperValues are one row of the paper's Table 1 on CIFAR-10 (Lipman et al.
// 2023): NLL in bits per dimension, FID, and Dopri5 NFE at atol = rtol = 1e-5.
type PaperValues struct {
	NLL, FID, NFE float64
}

// paperRows holds the CIFAR-10 column of the paper's Table 1, in its order.
var paperRows = []struct {
	Row string
	V   PaperValues
}{
	{"DDPM", PaperValues{3.12, 7.48, 274}},
	{"Score Matching", PaperValues{3.16, 19.94, 242}},
	{"ScoreFlow", PaperValues{3.09, 20.78, 428}},
	{"FM w/ Diffusion", PaperValues{3.10, 8.06, 183}},
	{"FM w/ OT", PaperValues{2.99, 6.35, 142}},
}

// PaperCIFAR10 returns the paper's CIFAR-10 values of a row ("DDPM",
// "Score Matching", "ScoreFlow", "FM w/ Diffusion", "FM w/ OT").
func PaperCIFAR10(row string) (PaperValues, bool) {
	for _, r := range paperRows {
		if r.Row == row {
			return r.V, true
		}
	}
	return PaperValues{}, false
}

// Solver names a sampling solver in a results file: "dopri5" with Tol, or
// "euler", "midpoint", "heun", "rk4" with Steps (ode.ParseMethod's names,
// in any case).
type Solver struct {
	Method string  `json:"method"`
	Steps  int     `json:"steps,omitempty"`
	Tol    float64 `json:"tol,omitempty"`
}

// Options converts s to ode.Options.
func (s Solver) Options() (ode.Options, error) {
	m, err := ode.ParseMethod(s.Method)
	if err != nil {
		return ode.Options{}, fmt.Errorf("table: solver: %w", err)
	}
	if m == ode.Dopri5 {
		if !(s.Tol > 0) {
			return ode.Options{}, fmt.Errorf("table: dopri5 needs a tolerance > 0, got %g", s.Tol)
		}
		return ode.Options{Method: m, Atol: s.Tol, Rtol: s.Tol}, nil
	}
	if s.Steps < 1 {
		return ode.Options{}, fmt.Errorf("table: %s needs steps >= 1, got %d", s.Method, s.Steps)
	}
	return ode.Options{Method: m, Steps: s.Steps}, nil
}

// Stages is the number of field evaluations per step of a fixed-step method.
func Stages(method string) (int, error) {
	m, err := ode.ParseMethod(method)
	if err != nil || m == ode.Dopri5 {
		return 0, fmt.Errorf("table: %q is not a fixed-step solver; use euler, midpoint, heun or rk4", method)
	}
	tb, err := m.Tableau()
	if err != nil {
		return 0, err
	}
	return tb.Stages(), nil
}

// Eval sets how each trained model is measured (see recipe.EvalOptions).
type Eval struct {
	Samples   int     `json:"samples"`    // generated samples for sample quality and NFE
	NLLPoints int     `json:"nll_points"` // held-out points (2D) or test images for the NLL
	K         int     `json:"k"`          // images: dequantizations per image (importance weighted)
	Probes    int     `json:"probes"`     // images: Hutchinson probes per solve
	Tol       float64 `json:"tol"`        // Dopri5 atol = rtol (the paper's 1e-5)
	Chunk     int     `json:"chunk"`      // points per ODE solve; NFE is averaged over the solves
	Seed      uint64  `json:"seed"`       // noise, held-out and probe streams (the same for every method)
	Keep      int     `json:"keep"`       // generated samples kept in the results file for plots
}

// Fixed is the fixed-step sample-quality curve: each model is sampled from
// the same noise with Solver at each NFE (a multiple of its stages).
type Fixed struct {
	Solver string `json:"solver"` // euler, midpoint, heun or rk4
	NFE    []int  `json:"nfe"`
}

// Reflow sets how the 2-RF pairs are made: Pairs noise points carried to
// t = 1 by the base model with Solver.
type Reflow struct {
	Pairs  int    `json:"pairs"`
	Solver Solver `json:"solver"`
}

// Scale is a complete experiment: data sets, the network and training
// shared by every method, seeds, and the evaluation.
type Scale struct {
	Name    string   `json:"name"`
	About   string   `json:"about"`
	Data    []string `json:"data"`    // 2D sets of package data, or "mnist"
	Methods []string `json:"methods"` // method keys in table order
	Seeds   []uint64 `json:"seeds"`   // one training run per method and seed

	// Base is the training set-up every method shares (Data, Path,
	// Objective, Coupling, Seed and Name are set per run). Its Steps is
	// not in its JSON form; Steps below is.
	Base  recipe.Config `json:"base"`
	Steps int64         `json:"steps"`

	Eval   Eval   `json:"eval"`
	Fixed  Fixed  `json:"fixed"`
	Reflow Reflow `json:"reflow"`

	// FID: images are scored with FID-MNIST, the Frechet distance of the
	// features of the digit classifier of package classifier (trained once
	// with Classifier and kept in classifier.DefaultDir()).
	FID        bool              `json:"fid,omitempty"`
	Classifier classifier.Config `json:"classifier,omitzero"`
}

// mlp2D is the network and optimizer of the 2D scales.
func mlp2D(hidden []int, lr float64) recipe.Config {
	return recipe.Config{Net: "mlp", Hidden: hidden, Activation: "silu", SigmaMin: 1e-3,
		LearningRate: lr, CosineDecay: true, Batch: 256}
}

// allMethods are the rows of the 2D and MLP MNIST scales, whose recorded
// results predate ScoreFlow; unetMethods add it (the paper's five rows,
// then OT-CFM and 2-RF).
var (
	allMethods  = []string{"ddpm", "sm", "fm-diff", "fm-ot", "ot-cfm", "2-rf"}
	unetMethods = []string{"ddpm", "sm", "sf", "fm-diff", "fm-ot", "ot-cfm", "2-rf"}
)

// unetBase is the mnist-unet preset of package recipe (the U-Net of
// models.UNet at its defaults, Adam at 4e-3 with the cosine decay, EMA
// 0.999, batch 64) as a scale's shared set-up.
func unetBase() recipe.Config {
	c, err := recipe.Preset("mnist-unet")
	if err != nil {
		panic(err) // a preset of this module
	}
	c.Name, c.Steps, c.Seed = "", 0, 0
	return c
}

// The mnist scale's sizes (the mnist-unet preset). Measured 2026-12-03 on the pure-Go backend,
// 2 cores shared with other jobs (load average 2-3; the shipped preset
// trained 3.1 steps/s on the quiet machine, about 1.3 times faster):
//
//   - a training step of batch 64 takes 0.41-0.43 s for every method (DDPM
//     0.406, Score Matching 0.426, FM w/ OT 0.427, OT-CFM 0.423; ScoreFlow
//     and FM w/ Diffusion build the same graph as Score Matching up to the
//     weight): at the quiet 3.1 steps/s, unetSteps = 2800 are 15 minutes;
//   - a forward pass costs 2.4 ms per image (250 at once); a Dopri5 solve
//     at 1e-5 of 250 noise images by the shipped FM w/ OT weights took
//     NFE 116 and 52 s: the 2000 samples of FID-MNIST cost 7 minutes at
//     NFE 116 (more for the diffusion rows, whose NFE was 2-3 times that
//     of FM w/ OT at the MLP mnist scale), and the midpoint curve at NFE
//     4, 8, 16 (28 evaluations of 2000 images) about 2 minutes;
//   - the NLL's reverse solve (Hutchinson, 1 probe) of 8 test images x 5
//     dequantizations took NFE 122 and 14.1 s, 4 x 5 took 9.1 s: about
//     2 ms per point and evaluation, so an image with K = 5 costs ~1.2 s at
//     NFE 120 and ~3 s at NFE 300. unetNLLImages = 250 images are 5 minutes
//     for FM w/ OT and at most about 12 for a diffusion row; 1000 images
//     would take 20-50 minutes per model, more than its training. The
//     standard error over 250 images is ~0.03 bits/dim (0.03 with 100 at
//     the mnist scale), below the differences between rows seen there.
//
// Evaluating one model therefore takes about 15 minutes (FM w/ OT) to 25
// (DDPM), dominated by the 2000 Dopri5 samples the FID needs; the 2-RF
// pairs (8000 noise images by the FM w/ OT model, RK4 with 5 steps: 20
// evaluations each) about 4 minutes per seed.
const (
	unetSteps     = 2800
	unetNLLImages = 250
)

// mnistUNet is the mnist scale, or the mnist-gpu one: the same
// methods, network and evaluation protocol, larger sizes.
func mnistUNet(name, about string, steps int64, e Eval, pairs int) Scale {
	return Scale{
		Name:    name,
		About:   about,
		Data:    []string{"mnist"},
		Methods: unetMethods,
		Seeds:   []uint64{1, 2},
		Base:    unetBase(),
		Steps:   steps,
		Eval:    e,
		Fixed:   Fixed{Solver: "midpoint", NFE: []int{4, 8, 16}},
		Reflow:  Reflow{Pairs: pairs, Solver: Solver{Method: "rk4", Steps: 5}},
		FID:     true,
	}
}

// scales are the named experiments. Their settings are explained in the
// package documentation (measured times are for the pure-Go backend on 2
// shared cores).
var scales = map[string]func() Scale{
	"2d": func() Scale {
		return Scale{
			Name:    "2d",
			About:   "checkerboard and 8 gaussians, MLP 3x128, 2 seeds per method (make table)",
			Data:    []string{"checkerboard", "8gaussians"},
			Methods: allMethods,
			Seeds:   []uint64{1, 2},
			Base:    mlp2D([]int{128, 128, 128}, 5e-3),
			Steps:   5000,
			Eval:    Eval{Samples: 2000, NLLPoints: 1000, K: 1, Probes: 1, Tol: 1e-5, Chunk: 500, Seed: 1, Keep: 1000},
			Fixed:   Fixed{Solver: "midpoint", NFE: []int{2, 4, 8, 16, 32}},
			Reflow:  Reflow{Pairs: 20000, Solver: Solver{Method: "dopri5", Tol: 1e-5}},
		}
	},
	"2d-quick": func() Scale {
		return Scale{
			Name:    "2d-quick",
			About:   "8 gaussians, MLP 2x64, 1 seed, short training (CI; about a minute)",
			Data:    []string{"8gaussians"},
			Methods: allMethods,
			Seeds:   []uint64{1},
			Base:    mlp2D([]int{64, 64}, 5e-3),
			Steps:   600,
			Eval:    Eval{Samples: 1000, NLLPoints: 250, K: 1, Probes: 1, Tol: 1e-5, Chunk: 500, Seed: 1, Keep: 1000},
			Fixed:   Fixed{Solver: "midpoint", NFE: []int{2, 4, 8, 16}},
			Reflow:  Reflow{Pairs: 5000, Solver: Solver{Method: "dopri5", Tol: 1e-5}},
		}
	},
	// mnist-mlp is the MLP run recorded before the U-Net one (results-mnist-mlp.json):
	// undertrained at this size, kept to compare with.
	"mnist-mlp": func() Scale {
		return Scale{
			Name:    "mnist-mlp",
			About:   "MNIST, MLP 3x1024, 1 seed (about an hour on 2 CPU cores)",
			Data:    []string{"mnist"},
			Methods: allMethods,
			Seeds:   []uint64{1},
			Base: recipe.Config{Net: "mlp", Hidden: []int{1024, 1024, 1024}, Activation: "silu", SigmaMin: 1e-3,
				LearningRate: 1e-3, CosineDecay: true, Batch: 128},
			Steps:  3000,
			Eval:   Eval{Samples: 1000, NLLPoints: 100, K: 1, Probes: 1, Tol: 1e-5, Chunk: 250, Seed: 1, Keep: 64},
			Fixed:  Fixed{Solver: "midpoint", NFE: []int{4, 8, 16, 32}},
			Reflow: Reflow{Pairs: 5000, Solver: Solver{Method: "rk4", Steps: 25}},
			FID:    true,
		}
	},
	"mnist": func() Scale {
		return mnistUNet("mnist",
			"MNIST, the mnist-unet U-Net with EMA, 7 methods x 2 seeds, 2800 steps (~15 min) each (make table-mnist; 6-7 hours on 2 CPU cores)",
			unetSteps,
			Eval{Samples: 2000, NLLPoints: unetNLLImages, K: 5, Probes: 1, Tol: 1e-5, Chunk: 250, Seed: 1, Keep: 64}, 8000)
	},
	// mnist-gpu is sized for about 10 minutes on one H200 through XLA
	// CUDA (GOMLX_BACKEND=xla:...; the same command). Not measured: no GPU
	// was available when it was set. The estimate assumes a step of this
	// small U-Net at batch 64 is bound by kernel launches, ~5 ms, and a
	// forward pass of 1000 images ~5 ms: 14 models x 4000 steps are ~5
	// minutes, and each model's evaluation (5000 samples and the 3 midpoint
	// NFE, 1000 NLL images x 5 dequantizations) some 20 s. Check the times
	// of a first run (the results file records them) before trusting it.
	"mnist-gpu": func() Scale {
		return mnistUNet("mnist-gpu",
			"MNIST, the mnist-unet U-Net with EMA, 7 methods x 2 seeds, 4000 steps each, sized for about 10 minutes on one H200 (an estimate, not measured)",
			4000,
			Eval{Samples: 5000, NLLPoints: 1000, K: 5, Probes: 1, Tol: 1e-5, Chunk: 1000, Seed: 1, Keep: 64}, 20000)
	},
	// mnist-quick checks the U-Net pipeline (every method, both NLL
	// bounds, FID-MNIST, 2-RF pairs) in seconds: 3 steps, a loose solver
	// tolerance (an untrained field is cheap to integrate at 1e-2), tiny
	// evaluation sizes. Its numbers mean nothing.
	"mnist-quick": func() Scale {
		s := mnistUNet("mnist-quick", "MNIST, the mnist-unet U-Net, 1 seed, 3 steps: checks the U-Net pipeline, not a result", 3,
			Eval{Samples: 32, NLLPoints: 2, K: 2, Probes: 1, Tol: 1e-2, Chunk: 32, Seed: 1, Keep: 8}, 32)
		s.Seeds = []uint64{1}
		s.Fixed.NFE = []int{2, 4}
		s.Reflow.Solver.Steps = 1
		return s
	},
	"mnist-mlp-quick": func() Scale {
		return Scale{
			Name:    "mnist-mlp-quick",
			About:   "MNIST, MLP 2x256, 1 seed, 100 steps: checks the image pipeline, not a result",
			Data:    []string{"mnist"},
			Methods: allMethods,
			Seeds:   []uint64{1},
			Base: recipe.Config{Net: "mlp", Hidden: []int{256, 256}, Activation: "silu", SigmaMin: 1e-3,
				LearningRate: 1e-3, CosineDecay: true, Batch: 64},
			Steps:  100,
			Eval:   Eval{Samples: 200, NLLPoints: 10, K: 1, Probes: 1, Tol: 1e-5, Chunk: 100, Seed: 1, Keep: 16},
			Fixed:  Fixed{Solver: "midpoint", NFE: []int{4, 16}},
			Reflow: Reflow{Pairs: 500, Solver: Solver{Method: "rk4", Steps: 10}},
			FID:    true,
		}
	},
}

// ScaleNames lists the named scales, "cifar10" included (it only explains
// what it needs).
func ScaleNames() []string {
	return []string{"2d-quick", "2d", "mnist-quick", "mnist", "mnist-gpu", "mnist-mlp-quick", "mnist-mlp", "cifar10"}
}

// ScaleByName returns a named scale.
func ScaleByName(name string) (Scale, error) {
	if name == "cifar10" {
		return Scale{}, fmt.Errorf("table: scale cifar10 is not available: it needs CIFAR-10 training in package recipe " +
			"(its data are 2D sets and mnist today; package data can read the CIFAR-10 binary files) and a GPU " +
			"(GOMLX_BACKEND=xla:cuda): the paper's U-Net trains ~391k steps of batch 256, far beyond CPUs. " +
			"Run the 2d or mnist scale instead")
	}
	f, ok := scales[name]
	if !ok {
		return Scale{}, fmt.Errorf("table: unknown scale %q; use one of %s", name, strings.Join(ScaleNames(), ", "))
	}
	return f(), nil
}

// MNISTTestImages is the size of the MNIST test set, which the image scales
// draw their held-out images from.
const MNISTTestImages = 10000

// IsImage reports whether the scale's data are images.
func (s Scale) IsImage() bool { return slices.Contains(s.Data, "mnist") }

// Validate reports the first bad setting of s.
func (s Scale) Validate() error {
	if s.Name == "" || strings.ContainsAny(s.Name, `/\ `) {
		return fmt.Errorf("table: scale name %q; need a non-empty name without slashes or spaces (it names files)", s.Name)
	}
	if len(s.Data) == 0 || len(s.Methods) == 0 || len(s.Seeds) == 0 {
		return fmt.Errorf("table: scale %s needs at least one data set, method and seed", s.Name)
	}
	if s.Steps < 1 {
		return fmt.Errorf("table: scale %s: steps %d; need >= 1", s.Name, s.Steps)
	}
	seen := map[string]bool{}
	for _, k := range s.Methods {
		m, err := MethodByKey(k)
		if err != nil {
			return err
		}
		if seen[k] {
			return fmt.Errorf("table: scale %s lists method %s twice", s.Name, k)
		}
		if m.ReflowOf != "" && !seen[m.ReflowOf] {
			return fmt.Errorf("table: scale %s: method %s trains on the samples of %s; list %s before it", s.Name, k, m.ReflowOf, m.ReflowOf)
		}
		seen[k] = true
	}
	for i, v := range s.Seeds {
		if slices.Index(s.Seeds, v) != i {
			return fmt.Errorf("table: scale %s lists seed %d twice", s.Name, v)
		}
	}
	for _, d := range s.Data {
		for _, k := range s.Methods {
			if err := s.Config(d, k, s.Seeds[0]).Validate(); err != nil {
				return fmt.Errorf("table: scale %s, %s on %s: %w", s.Name, k, d, err)
			}
		}
	}
	e := s.Eval
	if e.Samples < 2 || e.NLLPoints < 1 || e.K < 1 || e.Probes < 1 || e.Chunk < 1 || !(e.Tol > 0) || e.Keep < 0 {
		return fmt.Errorf("table: scale %s: eval %+v; need samples >= 2, positive nll_points, k, probes, chunk, tol and keep >= 0", s.Name, e)
	}
	if s.IsImage() {
		// Checked here, not hours later when the evaluation asks for them.
		if e.NLLPoints > MNISTTestImages {
			return fmt.Errorf("table: scale %s: nll_points %d; the MNIST test set has %d images", s.Name, e.NLLPoints, MNISTTestImages)
		}
		if s.FID && 2*e.Samples > MNISTTestImages {
			return fmt.Errorf("table: scale %s: %d samples; the FID-MNIST floor compares two sets of as many test images, and the test set has %d: use samples <= %d",
				s.Name, e.Samples, MNISTTestImages, MNISTTestImages/2)
		}
	}
	st, err := Stages(s.Fixed.Solver)
	if err != nil {
		return err
	}
	for _, n := range s.Fixed.NFE {
		if n < st || n%st != 0 {
			return fmt.Errorf("table: scale %s: fixed-step NFE %d is not a positive multiple of %d, the stages of %s", s.Name, n, st, s.Fixed.Solver)
		}
	}
	if slices.Contains(s.Methods, "2-rf") {
		if s.Reflow.Pairs < 1 {
			return fmt.Errorf("table: scale %s: reflow pairs %d; need >= 1", s.Name, s.Reflow.Pairs)
		}
		if _, err := s.Reflow.Solver.Options(); err != nil {
			return err
		}
	}
	return nil
}

// Config is the recipe set-up of method key on data with seed. Settings a
// path does not use are zeroed (sigma_min on the VP path), so the recorded
// set-up says only what matters.
func (s Scale) Config(data, key string, seed uint64) recipe.Config {
	m, _ := MethodByKey(key)
	c := s.Base
	c.Hidden = slices.Clone(s.Base.Hidden)
	c.Name = "table-" + setupScaleName(s.Name) + "/" + key // the scale's first name: see setupScaleName
	c.Data, c.Path, c.Objective, c.Coupling = data, m.Path, m.Objective, m.Coupling
	if m.Time != "" {
		c.Time = m.Time
	}
	if c.Path != "ot" {
		c.SigmaMin = 0
	}
	c.Steps, c.Seed = s.Steps, seed
	return c
}
