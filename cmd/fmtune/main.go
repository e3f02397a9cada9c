// Command fmtune compares variants of the mnist-unet recipe at equal
// training time: each variant is trained for the number of steps its own
// measured step time fits into the budget (10 minutes by default), with the
// learning rate annealed over exactly those steps, and then scored by
// FID-MNIST of its averaged (EMA) weights on generated digits, beside the
// floor (the FID-MNIST of held-out test digits against as many other test
// digits: what a perfect model scores at this sample size).
//
//	go run ./cmd/fmtune                        (what `make tune` runs)
//	go run ./cmd/fmtune -variants base,lr-1e-3 -budget 5m
//	go run ./cmd/fmtune -list
//
// It writes <out>/<variant>/ (checkpoints, result.json) and <out>/results.md
// (the table, best first). Ctrl-C stops after saving a checkpoint; the same
// command resumes, and finished variants are neither trained nor scored
// again. The step time is measured before training (warm-up steps excluded,
// the graph compiled), so a variant's step count does not depend on what
// else the machine does while it trains. Variants that change only numbers
// (learning rate, time sampling) run the base network's graph and share its
// timing, so equal networks get equal budgets. All variants are timed first, one
// after another, before any of them trains: keep the machine quiet for
// those few minutes (the command says when the timing is over).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/classifier"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/table"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/gomlx/compute"
)

// variant is one change to the mnist-unet preset.
type variant struct {
	name, what string
	change     func(*recipe.Config)
}

// variants are compared against the preset as it is ("base"): one change
// each, along the dimensions that matter most for a small U-Net on a CPU
// budget.
var variants = []variant{
	{"base", "the mnist-unet preset as it is", func(*recipe.Config) {}},
	{"lr-1e-3", "learning rate 1e-3 instead of 2e-3", func(c *recipe.Config) { c.LearningRate = 1e-3 }},
	{"lr-4e-3", "learning rate 4e-3 instead of 2e-3", func(c *recipe.Config) { c.LearningRate = 4e-3 }},
	{"batch-32", "batch 32 instead of 64 (more, smaller steps)", func(c *recipe.Config) { c.Batch = 32 }},
	{"batch-128", "batch 128 instead of 64 (fewer, larger steps)", func(c *recipe.Config) { c.Batch = 128 }},
	{"logit-normal", "logit-normal training times instead of uniform", func(c *recipe.Config) { c.Time = "logit-normal" }},
	{"attention", "a self-attention block at the lowest resolution", func(c *recipe.Config) { c.UNet.Attention = true }},
	{"wide", "48 base channels instead of 32", func(c *recipe.Config) { c.UNet.BaseChannels = 48 }},
}

// Timing constants: warmup steps compile the graph and fill caches, then
// timedBlocks blocks of blockSteps steps are timed and the fastest block's
// mean is the step time. Noise on a shared machine (another process, the
// garbage collector) only ever adds time, so the minimum is the stable
// estimate: a first version that took the mean of 30 steps measured the
// same network at 0.278 and 0.349 s/step one minute apart.
const (
	warmupSteps = 5
	blockSteps  = 10
	timedBlocks = 3
)

// result is what a variant's result.json holds.
type result struct {
	Variant      string        `json:"variant"`
	What         string        `json:"what"`
	Config       recipe.Config `json:"config"`
	Steps        int64         `json:"steps"`
	StepSeconds  float64       `json:"step_seconds"` // measured before training
	Budget       string        `json:"budget"`
	TrainSeconds float64       `json:"train_seconds"` // wall time of the training sessions
	Samples      int           `json:"samples"`
	Solver       string        `json:"solver"`
	FID          float64       `json:"fid_mnist"`
	Floor        float64       `json:"fid_floor"`
	Weights      string        `json:"weights"`
	Code         table.Code    `json:"code"`
	Finished     time.Time     `json:"finished"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmtune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	budget := fs.Duration("budget", 10*time.Minute, "training time per variant on this machine (steps = budget / measured step time)")
	out := fs.String("out", "out/tune", "output folder; running again with the same folder resumes")
	only := fs.String("variants", "", "comma-separated variants to run (default: all; see -list)")
	n := fs.Int("n", 1000, "generated digits per FID-MNIST (and held-out digits for its floor)")
	list := fs.Bool("list", false, "list the variants and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *list {
		for _, v := range variants {
			fmt.Fprintf(stdout, "%-13s %s\n", v.name, v.what)
		}
		return 0
	}
	chosen, err := pick(*only)
	if err == nil && (*budget < time.Minute || *n < 100) {
		err = fmt.Errorf("-budget %v and -n %d: need at least a minute and 100 digits for a comparison worth making", *budget, *n)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fmtune:", err)
		return 2
	}
	be, err := backend.New()
	if err != nil {
		fmt.Fprintln(stderr, "fmtune:", err)
		return 1
	}
	fmt.Fprintln(stdout, backend.Last())
	ctx, stop := training.InterruptContext()
	defer stop()
	timed := map[string]float64{} // step time by costKey
	for _, v := range chosen {
		if err := planSteps(ctx, be, v, *budget, filepath.Join(*out, v.name), timed, stdout); err != nil {
			fmt.Fprintf(stderr, "fmtune: %s: %v\n", v.name, err)
			if errors.Is(err, training.ErrInterrupted) {
				return training.ExitInterrupted
			}
			return 1
		}
	}
	fmt.Fprintln(stdout, "timing done: from here on the step counts are fixed, whatever else runs on the machine")
	for _, v := range chosen {
		if err := tune(ctx, be, v, *budget, *n, filepath.Join(*out, v.name), stdout); err != nil {
			fmt.Fprintf(stderr, "fmtune: %s: %v\n", v.name, err)
			if errors.Is(err, training.ErrInterrupted) {
				return training.ExitInterrupted
			}
			return 1
		}
	}
	if err := writeTable(*out, stdout); err != nil {
		fmt.Fprintln(stderr, "fmtune:", err)
		return 1
	}
	return 0
}

// pick returns the variants named in a comma-separated list (all for "").
func pick(list string) ([]variant, error) {
	if strings.TrimSpace(list) == "" {
		return variants, nil
	}
	var out []variant
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(variants, func(v variant) bool { return v.name == name })
		if i < 0 {
			names := make([]string, len(variants))
			for j, v := range variants {
				names[j] = v.name
			}
			return nil, fmt.Errorf("unknown variant %q; choose from %s", name, strings.Join(names, ", "))
		}
		out = append(out, variants[i])
	}
	return out, nil
}

// config is the preset with v's change.
func config(v variant) (recipe.Config, error) {
	c, err := recipe.Preset("mnist-unet")
	if err != nil {
		return c, err
	}
	v.change(&c)
	c.Name = "mnist-unet/" + v.name
	return c, c.Validate()
}

// stepsFor is how many steps of stepSeconds fit into budget (at least 1).
func stepsFor(budget time.Duration, stepSeconds float64) int64 {
	return max(1, int64(budget.Seconds()/stepSeconds))
}

// tune trains and scores one variant in dir, or does nothing when dir holds
// its result.
func tune(ctx context.Context, be compute.Backend, v variant, budget time.Duration, n int, dir string, stdout io.Writer) error {
	resPath := filepath.Join(dir, "result.json")
	if _, err := os.Stat(resPath); err == nil {
		fmt.Fprintf(stdout, "%s: done before (%s)\n", v.name, resPath)
		return nil
	}
	cfg, err := config(v)
	if err != nil {
		return err
	}
	plan, err := readPlan(dir)
	if err != nil {
		return err
	}
	cfg.Steps = plan.Steps
	fmt.Fprintf(stdout, "%s: %s; %.3f s/step -> %d steps in %v\n", v.name, v.what, plan.StepSeconds, plan.Steps, budget)
	m, err := recipe.Open(be, cfg, filepath.Join(dir, "run"))
	if err != nil {
		return err
	}
	if err := m.Train(ctx, progress.Auto()); err != nil {
		return err
	}
	cls, err := classifier.LoadOrTrainMNIST(be, "", classifier.Config{})
	if err != nil {
		return err
	}
	// Midpoint with 16 steps (NFE 32), the sampler notebook 09 checks.
	fid, floor, err := m.FIDWithFloor(cls, n, ode.Options{Method: ode.Midpoint, Steps: 16})
	if err != nil {
		return err
	}
	var train float64
	for _, s := range m.Run().History().Sessions {
		train += s.Seconds
	}
	r := result{Variant: v.name, What: v.what, Config: cfg, Steps: plan.Steps, StepSeconds: plan.StepSeconds,
		Budget: budget.String(), TrainSeconds: train, Samples: n, Solver: "midpoint, 16 steps (NFE 32)",
		FID: fid, Floor: floor, Weights: m.Weights.String(), Code: table.CodeVersion(), Finished: time.Now().UTC()}
	fmt.Fprintf(stdout, "%s: FID-MNIST %.2f (floor %.2f, ratio %.2f)\n", v.name, fid, floor, fid/floor)
	return writeJSON(resPath, r)
}

// plan is a variant's step count, fixed by the timing of its first session
// (plan.json), so a resumed variant trains to the same count and anneals
// the same way.
type plan struct {
	Steps       int64   `json:"steps"`
	StepSeconds float64 `json:"step_seconds"`
}

// costKey identifies what a training step computes: the set-up without the
// settings that change only numbers (learning rate, its decay, how times
// are drawn, the seed, the name). Variants with the same key run the same
// graph on the same shapes, so they share one timing and train for the same
// number of steps: timing each separately would give identical networks
// different budgets by measurement noise alone.
func costKey(c recipe.Config) string {
	c.Name, c.LearningRate, c.CosineDecay, c.Time, c.Seed = "", 0, false, "", 0
	return c.ID()
}

// planSteps writes dir/plan.json for v, unless dir has one (or a result):
// the step time comes from timed when a variant of the same cost was timed
// before in this process, and is measured (and added to timed) otherwise.
func planSteps(ctx context.Context, be compute.Backend, v variant, budget time.Duration, dir string, timed map[string]float64, stdout io.Writer) error {
	for _, done := range []string{"plan.json", "result.json"} {
		if _, err := os.Stat(filepath.Join(dir, done)); err == nil {
			if p, err := readPlan(dir); err == nil {
				if cfg, err := config(v); err == nil {
					timed[costKey(cfg)] = p.StepSeconds
				}
			}
			return nil
		}
	}
	cfg, err := config(v)
	if err != nil {
		return err
	}
	key := costKey(cfg)
	sec, ok := timed[key]
	how := "shares the timing of a variant with the same network and batch"
	if !ok {
		if sec, err = stepTime(ctx, be, cfg); err != nil {
			return fmt.Errorf("timing: %w", err)
		}
		timed[key] = sec
		how = fmt.Sprintf("fastest of %d blocks of %d steps", timedBlocks, blockSteps)
	}
	p := plan{StepSeconds: sec, Steps: stepsFor(budget, sec)}
	fmt.Fprintf(stdout, "%s: %.3f s/step (%s) -> %d steps in %v\n", v.name, p.StepSeconds, how, p.Steps, budget)
	return writeJSON(filepath.Join(dir, "plan.json"), p)
}

// readPlan reads dir/plan.json.
func readPlan(dir string) (plan, error) {
	var p plan
	path := filepath.Join(dir, "plan.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Steps < 1 || !(p.StepSeconds > 0) {
		return p, fmt.Errorf("%s is damaged (%v); delete %s to time and train this variant again", path, err, dir)
	}
	return p, nil
}

// stepTime measures the seconds per training step of cfg in a throw-away
// store: warmupSteps first (graph compilation), then the fastest of
// timedBlocks blocks of blockSteps steps.
func stepTime(ctx context.Context, be compute.Backend, cfg recipe.Config) (float64, error) {
	cfg.Steps = warmupSteps
	m, err := recipe.Open(be, cfg, "")
	if err != nil {
		return 0, err
	}
	if err := m.Train(ctx, progress.Discard); err != nil {
		return 0, err
	}
	best := math.Inf(1)
	for range timedBlocks {
		m.Config.Steps += blockSteps
		start := time.Now()
		if err := m.Train(ctx, progress.Discard); err != nil {
			return 0, err
		}
		best = min(best, time.Since(start).Seconds()/blockSteps)
	}
	return best, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}

// writeTable reads every result.json under out and writes results.md, best
// (lowest FID-MNIST) first.
func writeTable(out string, stdout io.Writer) error {
	var rs []result
	for _, v := range variants {
		b, err := os.ReadFile(filepath.Join(out, v.name, "result.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s/result.json: %w", v.name, err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil
	}
	md := markdown(rs)
	fmt.Fprint(stdout, md)
	return atomicfile.Write(filepath.Join(out, "results.md"), []byte(md))
}

// markdown renders the results as a table, best first.
func markdown(rs []result) string {
	rs = slices.Clone(rs)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].FID < rs[j].FID })
	var b strings.Builder
	fmt.Fprintf(&b, "| variant | change | s/step | steps | train time | FID-MNIST | floor | FID / floor |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %.3f | %d | %.1f min | %.2f | %.2f | %.2f |\n",
			r.Variant, r.What, r.StepSeconds, r.Steps, r.TrainSeconds/60, r.FID, r.Floor, r.FID/r.Floor)
	}
	if len(rs) > 0 {
		r := rs[0]
		fmt.Fprintf(&b, "\nEach variant trained for %s of its own measured step time; FID-MNIST of %d digits from the %s weights (%s) against %d test digits; code %s.\n",
			r.Budget, r.Samples, r.Weights, r.Solver, r.Samples, r.Code.Describe)
	}
	return b.String()
}
