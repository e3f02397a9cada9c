package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// ErrInterrupted is wrapped by the error Train returns when its context is
// cancelled (after it saved a checkpoint).
var ErrInterrupted = errors.New("training interrupted")

// ExitInterrupted is the exit status for a command stopped by
// ErrInterrupted: 130, the shell's convention for a process stopped by
// SIGINT.
const ExitInterrupted = 130

// DefaultKeep is how many checkpoints a directory keeps: two, so that a
// process killed while writing the newest one still has an intact older one.
const DefaultKeep = 2

// File names inside a run directory.
const (
	HistoryFile  = "history.json"
	SettingsFile = "run.json"
)

// NewStore returns a model.Store whose random number generator is seeded
// with seed (network initialisation, training noise and times). Every seed
// is valid; the error reports a failure to build the RNG state tensor in
// GoMLX (out of memory), which was a panic before.
func NewStore(seed int64) (*model.Store, error) {
	s := model.NewStore()
	if err := s.SetRNGStateFromSeed(seed); err != nil {
		return nil, fmt.Errorf("training.NewStore: seeding the random number generator with %d: %w", seed, err)
	}
	return s, nil
}

// History is the record of a run, kept in history.json.
type History struct {
	// Start is the number of steps done before the first recorded loss: 0,
	// unless the run was resumed from a checkpoint without its history.json
	// (moved aside because it was damaged), whose earlier losses are lost.
	Start    int64     `json:"start,omitempty"`
	Loss     []float64 `json:"loss"`     // loss of step Start+i+1 at index i
	Sessions []Session `json:"sessions"` // one per Train call that made progress
}

// Session is one Train call: the steps it ran and how fast.
type Session struct {
	From, To    int64     // steps done before and after it
	Seconds     float64   // wall time of its loop
	Batch       int       // samples per step (0 if not given)
	StepsPerSec float64   // (To - From) / Seconds
	Started     time.Time // wall-clock start
}

// SamplesPerSec is StepsPerSec times the batch size.
func (s Session) SamplesPerSec() float64 { return s.StepsPerSec * float64(s.Batch) }

// Run is a training run bound to a store and (optionally) a directory.
type Run struct {
	dir      string
	store    *model.Store
	handler  *checkpoint.Handler
	history  History
	loaded   int64  // global step of the loaded checkpoint (0 if none)
	loadedAt string // base name of the loaded checkpoint
}

// Open binds store to dir: it creates dir if needed, checks that the
// settings match the ones the directory was created with (settings is any
// JSON-encodable value, e.g. a struct of the model and data settings; nil
// skips the check) and loads the newest checkpoint into store, if there is
// one. The variables are loaded when the graphs that use them are built,
// so call Open before building a trainer or sampler on store.
//
// dir "" gives a run without checkpoints (history kept in memory only).
func Open(store *model.Store, dir string, settings any) (*Run, error) {
	return open(store, dir, settings, false)
}

// Load is Open for a directory that must already hold a checkpoint (to
// sample from or evaluate a trained model).
func Load(store *model.Store, dir string, settings any) (*Run, error) {
	return open(store, dir, settings, true)
}

func open(store *model.Store, dir string, settings any, mustExist bool) (*Run, error) {
	if store == nil {
		return nil, fmt.Errorf("training: Open needs a model.Store (training.NewStore(seed))")
	}
	r := &Run{dir: dir, store: store}
	if dir == "" {
		if mustExist {
			return nil, fmt.Errorf("training: Load needs a checkpoint directory; got an empty path")
		}
		return r, nil
	}
	ckpts, err := listCheckpoints(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("training: reading checkpoint directory %s: %w", dir, err)
	}
	if len(ckpts) == 0 {
		if mustExist {
			return nil, fmt.Errorf("training: no checkpoint in %s: train a model into this directory first (or check the path)", dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("training: creating checkpoint directory: %w", err)
		}
	}
	if err := r.checkSettings(settings, len(ckpts) > 0); err != nil {
		return nil, err
	}
	found := false
	if len(ckpts) > 0 {
		if found, err = r.readHistory(); err != nil {
			return nil, err
		}
	}
	h, err := checkpoint.Build(store).Dir(dir).Keep(DefaultKeep).Done()
	if err != nil {
		return nil, corruptError(dir, ckpts, err)
	}
	r.handler = h
	if len(ckpts) > 0 {
		r.loadedAt = ckpts[len(ckpts)-1]
		r.loaded = r.Step()
		if !found { // no history.json: the losses up to the checkpoint are unknown
			r.history.Start = r.loaded
		}
		// history.json is written after the checkpoint: after a crash in
		// between it may be ahead of the checkpoint, never behind.
		if h := r.history; h.Start+int64(len(h.Loss)) < r.loaded || h.Start > r.loaded {
			return nil, fmt.Errorf("training: %s has the losses of steps %d to %d but the checkpoint %s is at step %d: the history was edited or belongs to another run; move %s aside to continue without the old loss curve",
				filepath.Join(dir, HistoryFile), h.Start+1, h.Start+int64(len(h.Loss)), r.loadedAt, r.loaded, filepath.Join(dir, HistoryFile))
		}
		r.history.Loss = r.history.Loss[:r.loaded-r.history.Start]
		r.history.Sessions = cutSessions(r.history.Sessions, r.loaded)
	}
	return r, nil
}

// cutSessions drops the sessions that start at or after step and ends the
// one that crosses it at step, with its Seconds prorated to the steps it
// keeps (its rate unchanged): the history then describes the steps the
// loaded checkpoint holds. Sessions cross a checkpoint when an older one is
// resumed (the newest moved aside) or history.json was written after a
// checkpoint that was then lost.
func cutSessions(ss []Session, step int64) []Session {
	var out []Session
	for _, s := range ss {
		if s.From >= step {
			break
		}
		if s.To > step {
			s.Seconds *= float64(step-s.From) / float64(s.To-s.From)
			s.To = step
		}
		out = append(out, s)
	}
	return out
}

// corruptError explains a checkpoint that does not load and what to do;
// nothing in dir was changed.
func corruptError(dir string, ckpts []string, err error) error {
	if len(ckpts) == 0 {
		return fmt.Errorf("training: opening checkpoint directory %s: %w", dir, err)
	}
	bad := ckpts[len(ckpts)-1]
	var b strings.Builder
	fmt.Fprintf(&b, "training: the newest checkpoint in %s does not load: %s.{json,bin}: %v\n", dir, bad, err)
	b.WriteString("Nothing was changed or overwritten. To go on:\n")
	if len(ckpts) > 1 {
		prev := ckpts[len(ckpts)-2]
		fmt.Fprintf(&b, "  - resume from the previous checkpoint (%s): move the broken one aside:\n      mkdir -p %s && mv %s %s %s/\n",
			prev, filepath.Join(dir, "broken"), filepath.Join(dir, bad+".json"), filepath.Join(dir, bad+".bin"), filepath.Join(dir, "broken"))
	}
	fmt.Fprintf(&b, "  - or start over in a new directory (or move %s away).", dir)
	return errors.New(b.String())
}

// listCheckpoints returns the checkpoint base names in dir, oldest first.
func listCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasPrefix(n, "checkpoint-") && strings.HasSuffix(n, checkpoint.JsonNameSuffix) {
			names = append(names, strings.TrimSuffix(n, checkpoint.JsonNameSuffix))
		}
	}
	sort.Strings(names)
	return names, nil
}

// checkSettings compares settings with run.json, or writes run.json for a new directory.
func (r *Run) checkSettings(settings any, hasCheckpoints bool) error {
	if settings == nil {
		return nil
	}
	cur, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return fmt.Errorf("training: settings are not JSON-encodable: %w", err)
	}
	path := filepath.Join(r.dir, SettingsFile)
	old, err := os.ReadFile(path)
	if os.IsNotExist(err) || (err == nil && !hasCheckpoints) {
		return writeAtomic(path, append(cur, '\n'))
	}
	if err != nil {
		return fmt.Errorf("training: reading %s: %w", path, err)
	}
	var a, b any
	if err := json.Unmarshal(old, &a); err != nil {
		return fmt.Errorf("training: %s is not valid JSON (%v): restore it or start over in a new directory; nothing was changed", path, err)
	}
	_ = json.Unmarshal(cur, &b)
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("training: %s was created by a run with other settings (%s); its checkpoints belong to that run. Use another directory for these settings, or the same settings to resume.\n  saved: %s\n  given: %s",
			r.dir, strings.Join(diffKeys(a, b), ", "), compact(old), compact(cur))
	}
	return nil
}

func compact(b []byte) string {
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		out.WriteString(strings.TrimSpace(line))
	}
	return out.String()
}

// diffKeys names the top-level keys whose values differ.
func diffKeys(a, b any) []string {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if !okA || !okB {
		return []string{"value"}
	}
	var keys []string
	for k, v := range ma {
		if !reflect.DeepEqual(v, mb[k]) {
			keys = append(keys, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// readHistory reads history.json into r.history and checks it; found is
// false when there is none.
func (r *Run) readHistory() (found bool, err error) {
	path := filepath.Join(r.dir, HistoryFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil // checkpoints from elsewhere: no loss curve, but the weights are fine
	}
	if err != nil {
		return false, fmt.Errorf("training: reading %s: %w", path, err)
	}
	corrupt := func(what any) error {
		return fmt.Errorf("training: %s is corrupt (%v); nothing was changed: move it aside to resume without the old loss curve, or start over in a new directory", path, what)
	}
	if err := json.Unmarshal(b, &r.history); err != nil {
		return false, corrupt(err)
	}
	if r.history.Start < 0 {
		return false, corrupt(fmt.Sprintf("start %d", r.history.Start))
	}
	// Train records sessions one after the other, each with progress.
	prev := r.history.Start
	for i, s := range r.history.Sessions {
		if s.From < prev || s.To <= s.From || !(s.Seconds >= 0) || !(s.StepsPerSec >= 0) || s.Batch < 0 {
			return false, corrupt(fmt.Sprintf("session %d: steps %d to %d after step %d, %g s, %g steps/s, batch %d", i+1, s.From, s.To, prev, s.Seconds, s.StepsPerSec, s.Batch))
		}
		prev = s.To
	}
	return true, nil
}

// writeAtomic is atomicfile.Write with this package's error prefix.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	return nil
}

// Dir is the checkpoint directory ("" for none).
func (r *Run) Dir() string { return r.dir }

// Store is the store the run trains.
func (r *Run) Store() *model.Store { return r.store }

// Step is the number of training steps done (the optimizer's global step).
func (r *Run) Step() int64 { return optimizer.GetGlobalStep(r.store) }

// Resumed is the step of the checkpoint Open loaded (0 for a new run).
func (r *Run) Resumed() int64 { return r.loaded }

// Checkpoint is the base name of the checkpoint Open loaded ("" if none).
func (r *Run) Checkpoint() string { return r.loadedAt }

// History is the loss of every step so far and the sessions that ran them
// (including those of earlier processes, when resumed). The caller must not
// modify it.
func (r *Run) History() History { return r.history }

// Save writes a checkpoint and the history (no-op without a directory).
func (r *Run) Save() error {
	if r.handler == nil {
		return nil
	}
	if err := r.handler.Save(); err != nil {
		return fmt.Errorf("training: saving a checkpoint in %s: %w", r.dir, err)
	}
	b, err := json.Marshal(r.history)
	if err != nil {
		return fmt.Errorf("training: encoding the history: %w", err)
	}
	return writeAtomic(filepath.Join(r.dir, HistoryFile), b)
}

// StepFunc performs training step number step+1 (one optimizer update) on
// a minibatch drawn with rng and returns its loss. rng is seeded from
// (Options.Seed, step), so the batch of a step does not depend on where
// the process started.
type StepFunc func(step int64, rng *rand.Rand) (loss float64, err error)

// Options of Train.
type Options struct {
	Steps int64  // train until this many steps are done in total; required
	Batch int    // samples per step, for the samples/s figure (0: not shown)
	Seed  uint64 // seeds the per-step minibatch generators
	Title string // shown before the progress figures

	// Every saves a checkpoint each Every steps; 0 means a tenth of Steps.
	// Checkpoints are also saved at the end and on an interrupt.
	Every int64
	// Interval also saves a checkpoint when this much time passed since
	// the last one; 0 means DefaultInterval, < 0 disables it.
	Interval time.Duration

	Progress progress.Reporter // nil means progress.Auto()
}

// DefaultInterval bounds the work a killed process can lose.
const DefaultInterval = 2 * time.Minute

// BatchRNG returns the minibatch generator of step (see StepFunc).
func BatchRNG(seed uint64, step int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(step)^0x9e3779b97f4a7c15))
}

// Train runs steps until opts.Steps are done in total, starting from the
// current step (resumed runs continue), saving checkpoints as configured.
// It returns nil when done, an error wrapping ErrInterrupted when ctx was
// cancelled (a checkpoint is saved first), or the first error of a step.
// A NaN or infinite loss stops the run without saving, so the last
// checkpoint stays the last good state.
func (r *Run) Train(ctx context.Context, step StepFunc, opts Options) error {
	if step == nil {
		return fmt.Errorf("training: Train needs a StepFunc (e.g. training.Steps(trainer.DataStepper(data, batch)))")
	}
	if opts.Steps < 1 {
		return fmt.Errorf("training: Options.Steps = %d; give the total number of steps (>= 1)", opts.Steps)
	}
	if opts.Every < 0 || opts.Batch < 0 {
		return fmt.Errorf("training: Options.Every = %d and Batch = %d must be >= 0", opts.Every, opts.Batch)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	every := opts.Every
	if every == 0 {
		every = max(1, opts.Steps/10)
	}
	interval := opts.Interval
	if interval == 0 {
		interval = DefaultInterval
	}
	rep := opts.Progress
	if rep == nil {
		rep = progress.Auto()
	}
	start := r.Step()
	if n := start - r.history.Start; n >= 0 && int64(len(r.history.Loss)) > n {
		r.history.Loss = r.history.Loss[:n]
	}
	meter := progress.NewMeter(opts.Title, start, opts.Steps, opts.Batch)
	if start >= opts.Steps {
		rep.Report(meter.Final(start, fmt.Sprintf("already trained: %d steps done (asked for %d)", start, opts.Steps)))
		return nil
	}
	began := time.Now()
	lastSave := began
	cur := start
	record := func() {
		if cur > start {
			sec := time.Since(began).Seconds()
			r.history.Sessions = append(r.history.Sessions, Session{
				From: start, To: cur, Seconds: sec, Batch: opts.Batch,
				StepsPerSec: float64(cur-start) / sec, Started: began,
			})
		}
	}
	fail := func(err error) error {
		rep.Report(meter.Final(cur, "stopped: "+firstLine(err.Error())))
		return err
	}
	for cur < opts.Steps {
		if ctx.Err() != nil {
			record()
			if err := r.Save(); err != nil {
				return fail(err)
			}
			where := "no checkpoint directory: the steps are lost when the process ends"
			if r.dir != "" {
				where = fmt.Sprintf("checkpoint saved in %s; run again to resume at step %d", r.dir, cur)
			}
			rep.Report(meter.Final(cur, "interrupted: "+where))
			return fmt.Errorf("%w at step %d of %d: %s", ErrInterrupted, cur, opts.Steps, where)
		}
		loss, err := step(cur, BatchRNG(opts.Seed, cur))
		if err != nil {
			return fail(fmt.Errorf("training: step %d: %w", cur+1, err))
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fail(fmt.Errorf("training: the loss is %v at step %d: the run diverged (try a lower learning rate); the last checkpoint was kept and not overwritten", loss, cur+1))
		}
		if got := r.Step(); got != cur+1 {
			return fail(fmt.Errorf("training: after step %d the optimizer's global step is %d: a StepFunc must make exactly one optimizer update on this run's store", cur+1, got))
		}
		cur++
		r.history.Loss = append(r.history.Loss, loss)
		rep.Report(meter.Observe(cur, loss))
		if r.dir != "" && cur < opts.Steps && (cur%every == 0 || (interval > 0 && time.Since(lastSave) >= interval)) {
			if err := r.Save(); err != nil {
				return fail(err)
			}
			lastSave = time.Now()
		}
	}
	record()
	if err := r.Save(); err != nil {
		return fail(err)
	}
	note := "done"
	if r.dir != "" {
		note = "done; checkpoint saved in " + r.dir
	}
	rep.Report(meter.Final(cur, note))
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// InterruptContext returns a context cancelled on SIGINT or SIGTERM (Ctrl-C,
// a notebook's interrupt button, a polite kill), and its stop function,
// which restores the default signal handling.
func InterruptContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// stepper is what Trainer.DataStepper and Trainer.PairStepper return.
type stepper = func(rng *rand.Rand) (float64, error)

// Steps adapts a one-step function (Trainer.DataStepper or
// Trainer.PairStepper) to a StepFunc; err is passed through so calls chain:
//
//	run.Train(ctx, training.Steps(tr.DataStepper(data, batch)), opts)
//
// where a non-nil err makes every step fail with it.
func Steps(f stepper, err error) StepFunc {
	if err != nil {
		return func(int64, *rand.Rand) (float64, error) { return 0, err }
	}
	return func(_ int64, rng *rand.Rand) (float64, error) { return f(rng) }
}
