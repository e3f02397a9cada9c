package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/classifier"
	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/plots"
	"github.com/gofm/gofm/fmlib/pretrained"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/gomlx/compute"
)

// modelFlags are the flags every command shares: which set-up and where its checkpoints are.
type modelFlags struct {
	preset, dir                       string
	steps                             int64
	batch                             int
	seed                              uint64
	lr                                float64
	objective, path, coupling, hidden string
	quick, raw                        bool
	pretrained                        string
}

func (f *modelFlags) register(fs *flag.FlagSet, training bool) {
	if !training {
		fs.StringVar(&f.preset, "preset", "checkerboard", "preset whose default directory to use when -dir is not given")
		fs.StringVar(&f.dir, "dir", "", "directory of a trained run (default $GOFM_RUNS/PRESET or ~/.cache/gofm/runs/PRESET); its settings are read from its run.json")
		fs.BoolVar(&f.raw, "raw", false, "read the raw weights instead of their moving average (for set-ups with ema, e.g. the MNIST presets)")
		fs.StringVar(&f.pretrained, "pretrained", "", "use the weights shipped with gofm under this name instead of a run ("+shippedNames()+"); -dir, -preset and -raw do not apply")
		return
	}
	fs.StringVar(&f.preset, "preset", "checkerboard", "set-up to use: "+strings.Join(recipe.Presets(), ", ")+" (gofm presets shows their settings)")
	fs.StringVar(&f.dir, "dir", "", "checkpoint directory (default $GOFM_RUNS/PRESET or ~/.cache/gofm/runs/PRESET, with -quick appended for -quick); training resumes from it")
	fs.BoolVar(&f.quick, "quick", false, "use the preset's quick settings (fewer steps), as the notebooks do in quick mode")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of initialisation, batches, noise and times (0 = the preset's)")
	fs.StringVar(&f.objective, "objective", "", "override the training objective: cfm, dsm (score matching) or ddpm")
	fs.StringVar(&f.path, "path", "", "override the probability path: ot (conditional optimal transport) or vp (variance preserving)")
	fs.StringVar(&f.coupling, "coupling", "", "override the noise-data coupling: independent or ot (minibatch optimal transport, with cfm)")
	fs.StringVar(&f.hidden, "hidden", "", "override the MLP hidden widths, comma-separated (e.g. 256,256,256)")
	fs.Int64Var(&f.steps, "steps", 0, "total training steps (0 = the preset's); a resumed run continues up to this count")
	fs.IntVar(&f.batch, "batch", 0, "batch size (0 = the preset's)")
	fs.Float64Var(&f.lr, "lr", 0, "Adam learning rate (0 = the preset's)")
}

// condFlags are the flags of sample and eval that pick what a
// class-conditional model samples.
type condFlags struct {
	label    string
	guidance float64
	set      map[string]bool // the flags given on the command line
}

func (c *condFlags) register(fs *flag.FlagSet, allowAll bool) {
	all := ""
	if allowAll {
		all = `, or "all" for one class per sample in turn`
	}
	fs.StringVar(&c.label, "label", "", "class-conditional models (mnist-cond, 8gaussians-cond): the class to sample, 0 to K-1 (a digit for mnist-cond)"+all+"; without it the model's unconditional field (its null label K)")
	fs.Float64Var(&c.guidance, "guidance", 0, "class-conditional models: classifier-free guidance scale w >= 0 of v = (1+w) v(x | label) - w v(x): 0 is the conditional model, 1 to 4 sharpens (libraries that write (1-w') v(x) + w' v(x | label) call 1+w their scale); needs -label")
}

// parsed records which flags were given; call it after parse.
func (c *condFlags) parsed(fs *flag.FlagSet) error {
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if c.set["guidance"] && (math.IsNaN(c.guidance) || math.IsInf(c.guidance, 0) || c.guidance < 0) {
		return fmt.Errorf("-guidance %g: give a finite scale w >= 0 (0: the conditional model without guidance; 1 to 4 sharpens samples towards their class)", c.guidance)
	}
	if c.set["guidance"] && !c.set["label"] {
		return fmt.Errorf("-guidance pushes samples of a class away from the unconditional field: give the class with -label too (e.g. -label 7 -guidance %g)", c.guidance)
	}
	return nil
}

// apply sets m's condition from the flags for n samples; it returns the
// labels used (nil: none given) for pictures.
func (c *condFlags) apply(m *recipe.Model, n int) ([]int, error) {
	if !c.set["label"] && !c.set["guidance"] {
		return nil, nil
	}
	k := m.Config.Classes()
	if k == 0 {
		return nil, fmt.Errorf("-label and -guidance are for class-conditional models, and %s is unconditional: train a conditional preset (gofm train -preset mnist-cond, or 8gaussians-cond) and sample that", m.Config.Name)
	}
	var labels []int
	if c.label == "all" {
		labels = make([]int, n)
		for i := range labels {
			labels[i] = i % k
		}
	} else {
		y, err := strconv.Atoi(strings.TrimSpace(c.label))
		if err != nil {
			return nil, fmt.Errorf("-label %q: give a class 0 to %d (or %d, the null label, for the unconditional field)", c.label, k-1, k)
		}
		labels = []int{y}
	}
	if err := m.SetCondition(guidance.Condition{Labels: labels, Scale: c.guidance}); err != nil {
		return nil, fmt.Errorf("-label %s -guidance %g: %w", c.label, c.guidance, err)
	}
	return labels, nil
}

// trained returns the set-up recorded in the directory (-dir, or runs/PRESET),
// for sample and eval: a trained model is used with the settings it was
// trained with, whatever the other flags say.
func (f *modelFlags) trained() (recipe.Config, string, error) {
	dir := f.dir
	if dir == "" {
		dir = recipe.DefaultDir(f.preset)
	}
	c, err := recipe.ReadConfig(dir)
	return c, dir, err
}

// shippedNames lists the shipped models for a flag's help.
func shippedNames() string {
	if n := pretrained.Names(); len(n) > 0 {
		return "shipped: " + strings.Join(n, ", ")
	}
	return "none shipped in this build; " + pretrained.RecreateCommand + " creates mnist-unet"
}

// load starts the backend and loads the trained run (see trained), or the
// shipped weights of -pretrained.
func (f *modelFlags) load(stdout io.Writer) (*recipe.Model, error) {
	if f.pretrained != "" {
		if f.dir != "" || f.raw {
			return nil, fmt.Errorf("-pretrained %s: the shipped weights are the averaged weights of their own run; leave out -dir and -raw", f.pretrained)
		}
		if _, err := pretrained.ReadManifest(f.pretrained); err != nil { // before starting the backend
			return nil, err
		}
		be, err := startBackend(stdout)
		if err != nil {
			return nil, err
		}
		m, man, err := pretrained.Load(be, f.pretrained)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "pretrained %s: %s weights of %d steps, commit %s", man.Name, man.Weights, man.Steps, man.Commit)
		if man.FID > 0 {
			fmt.Fprintf(stdout, ", FID-MNIST %.2f (floor %.2f, n = %d)", man.FID, man.FIDFloor, man.FIDSamples)
		}
		fmt.Fprintln(stdout)
		if err := man.CheckPreset(); err != nil {
			fmt.Fprintln(stdout, "note:", err)
		}
		return m, nil
	}
	cfg, dir, err := f.trained()
	if err != nil {
		return nil, err
	}
	be, err := startBackend(stdout)
	if err != nil {
		return nil, err
	}
	m, err := recipe.Load(be, cfg, dir)
	if err != nil {
		return nil, err
	}
	if f.raw {
		m.Weights = training.Raw
	}
	return m, nil
}

// config resolves the preset and the overrides; the directory defaults to runs/PRESET.
func (f *modelFlags) config() (recipe.Config, string, error) {
	c, err := recipe.Preset(f.preset)
	if err != nil {
		return c, "", err
	}
	if f.quick {
		c = c.Quick()
	}
	if f.steps != 0 {
		c.Steps = f.steps
	}
	if f.batch != 0 {
		c.Batch = f.batch
	}
	if f.seed != 0 {
		c.Seed = f.seed
	}
	if f.lr != 0 {
		c.LearningRate = f.lr
	}
	if f.objective != "" {
		c.Objective = f.objective
	}
	if f.path != "" {
		c.Path = f.path
	}
	if f.coupling != "" {
		c.Coupling = f.coupling
	}
	if f.hidden != "" {
		c.Hidden = nil
		for _, s := range strings.Split(f.hidden, ",") {
			w, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || w < 1 {
				return c, "", fmt.Errorf("-hidden %q: give positive integers separated by commas, e.g. 256,256,256", f.hidden)
			}
			c.Hidden = append(c.Hidden, w)
		}
	}
	if f.steps < 0 || f.batch < 0 || f.lr < 0 {
		return c, "", fmt.Errorf("-steps, -batch and -lr must be positive (0 keeps the preset's value)")
	}
	if err := c.Validate(); err != nil {
		return c, "", err
	}
	dir := f.dir
	if dir == "" {
		dir = recipe.DefaultDir(c.Name)
		if f.quick {
			dir += "-quick"
		}
	}
	return c, dir, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gofm %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func startBackend(w io.Writer) (compute.Backend, error) {
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w, backend.Last())
	if s := backend.SpeedWarning(); s != "" && backend.Last().Name == "go" {
		fmt.Fprintln(w, s)
	}
	return b, nil
}

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "Trains a preset with checkpoints in -dir. Run it again after an interrupt (Ctrl-C saves a\n"+
		"checkpoint first) or a crash to resume at the last checkpoint's step. Writes loss.png and\n"+
		"samples.png (2D scatter or image grid, Dopri5 at 1e-5) in -dir when training ends.", stderr)
	var mf modelFlags
	mf.register(fs, true)
	noImages := fs.Bool("no-images", false, "do not write loss.png and samples.png")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, dir, err := mf.config()
	if err != nil {
		return err
	}
	be, err := startBackend(stdout)
	if err != nil {
		return err
	}
	m, err := recipe.Open(be, cfg, dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, cfg)
	if s := m.Run().Resumed(); s > 0 {
		fmt.Fprintf(stdout, "resuming from %s (step %d)\n", m.Run().Checkpoint(), s)
	}
	ctx, stop := training.InterruptContext()
	defer stop()
	if err := m.Train(ctx, progress.Auto()); err != nil {
		return err
	}
	for _, s := range m.Run().History().Sessions {
		fmt.Fprintf(stdout, "steps %d-%d: %.1f s, %.1f steps/s, %.0f samples/s\n", s.From, s.To, s.Seconds, s.StepsPerSec, s.SamplesPerSec())
	}
	if *noImages {
		return nil
	}
	if err := writeLoss(m, filepath.Join(dir, "loss.png")); err != nil {
		return err
	}
	n := 2000
	if cfg.IsImage() {
		n = 64
	}
	var labels []int
	if k := cfg.Classes(); k > 0 { // one class per sample in turn, no guidance
		if cfg.IsImage() {
			n = 8 * k
		}
		labels = make([]int, n)
		for i := range labels {
			labels[i] = i % k
		}
		if err := m.SetCondition(guidance.Condition{Labels: labels}); err != nil {
			return err
		}
	}
	sol, err := m.Sample(n, cfg.Seed, ode.Options{Method: ode.Dopri5, Atol: 1e-5, Rtol: 1e-5})
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "samples.png")
	if err := writeSamples(cfg, sol.X, labels, out, fmt.Sprintf("%s: %d samples, Dopri5 (NFE %d)", cfg.Name, n, sol.Stats.NFE)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(dir, "loss.png"), out)
	return nil
}

func writeLoss(m *recipe.Model, path string) error {
	h := m.Run().History()
	loss := h.Loss
	if len(loss) == 0 {
		return nil
	}
	var steps []float64 // nil: 1, 2, ...; after a resume without history.json, from h.Start+1
	if h.Start > 0 {
		steps = make([]float64, len(loss))
		for i := range steps {
			steps[i] = float64(h.Start + int64(i) + 1)
		}
	}
	p, err := plots.LossCurve(plots.Options{Title: "training loss", XLabel: "step", YLabel: "loss", LogY: true, NoLegend: true}, 0,
		plots.Series{Name: "loss", X: steps, Y: loss})
	if err != nil {
		return err
	}
	return plots.SavePNG(p, path, 640, 400)
}

// writeSamples draws x as an image grid or a scatter plot. With one label
// per sample (labels of length len(x), cycling through the classes) an
// image grid has one class per column and a scatter one colour per class.
func writeSamples(cfg recipe.Config, x [][]float64, labels []int, path, title string) error {
	perSample := len(labels) == len(x) && len(x) > 1
	if cfg.IsImage() {
		h, w, ch := cfg.ImageShape()
		cols := 8
		if k := cfg.Classes(); perSample && k > 0 {
			cols = k
		}
		b, err := plots.ImageGridPNG(x, h, w, ch, cols, plots.GridOptions{Scale: 2})
		if err != nil {
			return err
		}
		return atomicfile.Write(path, b)
	}
	sets := []plots.PointSet{{Points: x}}
	if k := cfg.Classes(); perSample && k > 0 {
		sets = make([]plots.PointSet, k)
		for i, p := range x {
			sets[labels[i]%k].Points = append(sets[labels[i]%k].Points, p)
		}
	}
	p, err := plots.Scatter(plots.Options{Title: title, Equal: true, NoLegend: true, MarkerRadius: 1}, sets...)
	if err != nil {
		return err
	}
	return plots.SavePNG(p, path, 600, 600)
}

// solverOptions turns -solver, -nfe and -tol into the ODE solver for sampling.
func solverOptions(name string, nfe int, tol float64) (ode.Options, error) {
	m, err := ode.ParseMethod(name)
	if err != nil {
		return ode.Options{}, fmt.Errorf("-solver: %w", err)
	}
	if m == ode.Dopri5 {
		if !(tol > 0) {
			return ode.Options{}, fmt.Errorf("-tol %g: give a positive tolerance (e.g. 1e-5)", tol)
		}
		return ode.Options{Method: ode.Dopri5, Atol: tol, Rtol: tol}, nil
	}
	tb, err := m.Tableau()
	if err != nil {
		return ode.Options{}, err
	}
	st := tb.Stages()
	if nfe < st || nfe%st != 0 {
		return ode.Options{}, fmt.Errorf("-nfe %d: %s uses %d evaluations per step; give a positive multiple of %d", nfe, name, st, st)
	}
	return ode.Options{Method: m, Steps: nfe / st}, nil
}

func cmdSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", "Draws samples from the model trained in -dir and writes them as an image (2D scatter or a grid of\n"+
		"digits) and, with -csv, as numbers.", stderr)
	var mf modelFlags
	mf.register(fs, false)
	n := fs.Int("n", 0, "number of samples (0: 2000 for 2D, 64 for images)")
	solver := fs.String("solver", "dopri5", "ODE solver: dopri5 (adaptive, -tol) or euler, midpoint, heun, rk4 (fixed steps, -nfe)")
	nfe := fs.Int("nfe", 20, "function evaluations for a fixed-step solver (a multiple of its stages: midpoint 2, rk4 4)")
	tol := fs.Float64("tol", 1e-5, "Dopri5 absolute and relative tolerance")
	out := fs.String("out", "samples.png", "PNG file to write")
	csvPath := fs.String("csv", "", "also write the samples as CSV (one row per sample)")
	var cf condFlags
	cf.register(fs, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cf.parsed(fs); err != nil {
		return err
	}
	opts, err := solverOptions(*solver, *nfe, *tol)
	if err != nil {
		return err
	}
	m, err := mf.load(stdout)
	if err != nil {
		return err
	}
	cfg := m.Config
	if *n == 0 {
		*n = 2000
		if cfg.IsImage() {
			*n = 64
			if k := cfg.Classes(); k > 0 && cf.label == "all" {
				*n = 8 * k
			}
		}
	}
	if *n < 1 {
		return fmt.Errorf("-n %d: give a positive number of samples", *n)
	}
	labels, err := cf.apply(m, *n)
	if err != nil {
		return err
	}
	sol, err := m.Sample(*n, cfg.Seed, opts)
	if err != nil {
		return err
	}
	what := ""
	if labels != nil {
		what = ", " + conditionText(cf)
	}
	title := fmt.Sprintf("%s at step %d: %s, NFE %d%s", cfg.Name, m.Run().Step(), *solver, sol.Stats.NFE, what)
	if err := writeSamples(cfg, sol.X, labels, *out, title); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d samples (%s, NFE %d%s) written to %s\n", *n, *solver, sol.Stats.NFE, what, *out)
	if *csvPath != "" {
		if err := writeCSV(*csvPath, sol.X); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *csvPath)
	}
	return nil
}

// conditionText describes the condition of the flags, e.g. "label 7, guidance 2".
func conditionText(cf condFlags) string {
	if cf.label == "all" {
		return fmt.Sprintf("every class in turn, guidance %g", cf.guidance)
	}
	return fmt.Sprintf("label %s, guidance %g", cf.label, cf.guidance)
}

// writeCSV writes one row per point, replacing path only once the whole
// file is written (atomicfile), so an interrupted run leaves no half file.
func writeCSV(path string, x [][]float64) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range x {
		rec := make([]string, len(r))
		for j, v := range r {
			rec[j] = strconv.FormatFloat(v, 'g', 8, 64)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "Evaluates the model trained in -dir: NFE of Dopri5 sampling at -tol, sample quality against held-out\n"+
		"data (2D: energy distance and W2; images: FID-MNIST when -classifier names a trained digit classifier),\n"+
		"and the held-out NLL by the instantaneous change of variables (2D: nats, exact divergence; images:\n"+
		"bits/dim with Hutchinson probes and -k dequantizations).", stderr)
	var mf modelFlags
	mf.register(fs, false)
	var eo recipe.EvalOptions
	fs.IntVar(&eo.Samples, "n", 0, "generated samples for sample quality (0: 2000 for 2D, 1000 for images)")
	fs.IntVar(&eo.NLLPoints, "nll-points", 0, "held-out points for the NLL (0: 1000 for 2D, 100 for images)")
	fs.IntVar(&eo.K, "k", 1, "images: dequantizations per image for the NLL, importance weighted")
	fs.Float64Var(&eo.Tol, "tol", 1e-5, "Dopri5 absolute and relative tolerance (the paper's 1e-5)")
	fs.Uint64Var(&eo.Seed, "eval-seed", 1, "seed of the evaluation's noise, held-out draws and probes")
	clsDir := fs.String("classifier", classifier.DefaultDir(), "images: folder of the digit classifier for FID-MNIST (trained there on first use, about a minute; \"none\" skips FID)")
	var cf condFlags
	cf.register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cf.parsed(fs); err != nil {
		return err
	}
	if cf.label == "all" {
		return fmt.Errorf("-label all: eval compares the samples of one class with held-out data of that class; give one class (or leave -label out for the unconditional field)")
	}
	m, err := mf.load(stdout)
	if err != nil {
		return err
	}
	cfg := m.Config
	labels, err := cf.apply(m, 1)
	if err != nil {
		return err
	}
	if m.Config.IsImage() && *clsDir != "none" {
		cls, err := classifier.LoadOrTrainMNIST(m.Backend(), *clsDir, classifier.Config{})
		if err != nil {
			return err
		}
		eo.FID = cls
	}
	r, err := m.Evaluate(eo)
	if err != nil {
		return err
	}
	what := ""
	if labels != nil {
		what = ", " + conditionText(cf) + " (against held-out data of the class)"
	}
	fmt.Fprintf(stdout, "%s at step %d%s (%.1f s):\n", cfg.Name, m.Run().Step(), what, r.Seconds)
	fmt.Fprintf(stdout, "  NFE (Dopri5, tol %g): %.1f +- %.1f\n", eo.Tol, r.NFE, nanZero(r.NFEStdErr))
	fmt.Fprintf(stdout, "  NLL: %.4f +- %.4f %s\n", r.NLL, nanZero(r.NLLStdErr), r.NLLUnit)
	if !math.IsNaN(r.Energy) {
		fmt.Fprintf(stdout, "  energy distance to held-out: %.5f\n  W2 to held-out: %.4f\n", r.Energy, r.W2)
	}
	if !math.IsNaN(r.FID) {
		fmt.Fprintf(stdout, "  FID-MNIST: %.3f\n", r.FID)
	}
	return nil
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func cmdPresets(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets", "Lists the presets (the notebooks use the same names) with their settings.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, name := range recipe.Presets() {
		c, _ := recipe.Preset(name)
		fmt.Fprintf(stdout, "%s\n    quick: %d steps\n", c, c.Quick().Steps)
	}
	return nil
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "Writes the weights of the model trained in -dir (its moving average when it keeps one) and a\n"+
		"manifest (set-up, steps, command, commit, size, SHA-256 and, for images, FID-MNIST with its floor)\n"+
		"to -out as NAME.weights and NAME.json, for pretrained.Load and gofm sample -pretrained.", stderr)
	var mf modelFlags
	mf.register(fs, false)
	name := fs.String("name", "", "name of the export (default: the preset's name)")
	out := fs.String("out", ".", "folder to write to ("+pretrained.ShippedDir+" to ship the weights)")
	command := fs.String("command", "", "the command that trained the model, recorded in the manifest (default: gofm train -preset PRESET -steps STEPS)")
	n := fs.Int("n", 1000, "images: generated digits for FID-MNIST (midpoint, 16 steps), and held-out digits for its floor")
	clsDir := fs.String("classifier", classifier.DefaultDir(), "images: folder of the digit classifier for FID-MNIST (trained there on first use)")
	replace := fs.Bool("replace", false, "replace an existing export of the same name in -out")
	if err := parse(fs, args); err != nil {
		return err
	}
	if mf.pretrained != "" {
		return fmt.Errorf("-pretrained: export a trained run (-dir or -preset), not shipped weights")
	}
	m, err := mf.load(stdout)
	if err != nil {
		return err
	}
	if *name == "" {
		*name, _, _ = strings.Cut(m.Config.Name, "/")
	}
	info := pretrained.Info{Command: *command, Replace: *replace}
	if info.Command == "" {
		info.Command = fmt.Sprintf("gofm train -preset %s -steps %d", m.Config.Name, m.Run().Step())
	}
	if m.Config.IsImage() {
		if *n < 100 {
			return fmt.Errorf("-n %d: give at least 100 digits for a FID-MNIST worth recording (1000 is the default)", *n)
		}
		cls, err := classifier.LoadOrTrainMNIST(m.Backend(), *clsDir, classifier.Config{})
		if err != nil {
			return err
		}
		fid, floor, err := m.FIDWithFloor(cls, *n, ode.Options{Method: ode.Midpoint, Steps: 16})
		if err != nil {
			return err
		}
		info.FID, info.FIDFloor, info.FIDSamples, info.FIDSolver = fid, floor, *n, "midpoint, 16 steps (NFE 32)"
		fmt.Fprintf(stdout, "FID-MNIST %.2f (floor %.2f, ratio %.2f, n = %d)\n", fid, floor, fid/floor, *n)
	}
	man, err := pretrained.Export(m, *out, *name, info)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, SHA-256 %s) and %s: %s weights of %d steps\n",
		filepath.Join(*out, man.File), man.Bytes, man.SHA256[:12], filepath.Join(*out, man.Name+".json"), man.Weights, man.Steps)
	return nil
}
