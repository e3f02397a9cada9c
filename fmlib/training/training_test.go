package training_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// settings of the tiny test run; recorded in run.json.
type settings struct {
	Hidden []int
	Batch  int
}

var small = settings{Hidden: []int{16, 16}, Batch: 32}

// session opens dir with a fresh store (same seed every time, as a restarted
// process would) and builds a CFM trainer on it.
func session(t *testing.T, dir string, s settings) (*training.Run, *training.Trainer, error) {
	t.Helper()
	store, err := training.NewStore(7)
	if err != nil {
		return nil, nil, err
	}
	run, err := training.Open(store, dir, s)
	if err != nil {
		return nil, nil, err
	}
	path, err := probpath.New(schedule.CondOT{SigmaMin: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	cfg := training.Config{Path: path, Net: func(sc *model.Scope, x, tt *graph.Node) *graph.Node {
		return models.MLP(sc.In("mlp"), x, tt, models.MLPConfig{Hidden: s.Hidden})
	}}
	tr, err := training.NewTrainer(testbe.Go(t), store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return run, tr, nil
}

func moons(t *testing.T) [][]float64 {
	d, err := data.Moons(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// weights returns every network variable's values, by name.
func weights(t *testing.T, store *model.Store) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.Contains(v.Path(), "mlp") {
			continue
		}
		val := v.MustValue()
		out[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	if len(out) == 0 {
		t.Fatal("no network variables found")
	}
	return out
}

// trainedRun trains a fresh small run in dir for steps steps, with a
// checkpoint every `every` steps (0: a tenth of steps, the default).
func trainedRun(t *testing.T, dir string, steps, every int64) *training.Run {
	t.Helper()
	run, tr, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	opts := quiet()
	opts.Steps, opts.Every = steps, every
	if err := run.Train(context.Background(), training.Steps(tr.DataStepper(moons(t), small.Batch)), opts); err != nil {
		t.Fatal(err)
	}
	return run
}

func quiet() training.Options {
	return training.Options{Batch: small.Batch, Seed: 3, Progress: progress.Discard, Interval: -1}
}

// A run stopped at step 10 and resumed in a new store performs exactly the
// steps of an uninterrupted run: identical losses and identical weights.
func TestResumeIsTheSameRun(t *testing.T) {
	pts := moons(t)
	// Uninterrupted: 20 steps.
	runA, trA, err := session(t, t.TempDir(), small)
	if err != nil {
		t.Fatal(err)
	}
	opts := quiet()
	opts.Steps, opts.Every = 20, 5
	if err := runA.Train(context.Background(), training.Steps(trA.DataStepper(pts, small.Batch)), opts); err != nil {
		t.Fatal(err)
	}
	// Interrupted: 12 steps with checkpoints every 5 (the last at 10, then
	// the final save at 12), then a new process resumes to 20.
	dir := t.TempDir()
	runB, trB, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	opts.Steps = 12
	if err := runB.Train(context.Background(), training.Steps(trB.DataStepper(pts, small.Batch)), opts); err != nil {
		t.Fatal(err)
	}
	runC, trC, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	if got := runC.Resumed(); got != 12 {
		t.Fatalf("resumed at step %d, want 12", got)
	}
	if n := len(runC.History().Loss); n != 12 {
		t.Fatalf("history has %d losses after resume, want 12", n)
	}
	opts.Steps = 20
	if err := runC.Train(context.Background(), training.Steps(trC.DataStepper(pts, small.Batch)), opts); err != nil {
		t.Fatal(err)
	}
	la, lc := runA.History().Loss, runC.History().Loss
	if len(la) != 20 || len(lc) != 20 {
		t.Fatalf("loss histories have %d and %d steps, want 20", len(la), len(lc))
	}
	// Same backend, same inputs, same order of operations: bit-identical.
	for i := range la {
		if la[i] != lc[i] {
			t.Errorf("step %d: loss %v uninterrupted, %v resumed", i+1, la[i], lc[i])
		}
	}
	wa, wc := weights(t, runA.Store()), weights(t, runC.Store())
	for name, a := range wa {
		c := wc[name]
		for i := range a {
			if a[i] != c[i] {
				t.Fatalf("variable %s[%d]: %v uninterrupted, %v resumed", name, i, a[i], c[i])
			}
		}
	}
	if s := runC.History().Sessions; len(s) != 2 || s[0].From != 0 || s[0].To != 12 || s[1].From != 12 || s[1].To != 20 {
		t.Errorf("sessions = %+v, want [0,12] and [12,20]", s)
	}
	// Asking for fewer steps than done trains nothing.
	opts.Steps = 15
	if err := runC.Train(context.Background(), training.Steps(trC.DataStepper(pts, small.Batch)), opts); err != nil || runC.Step() != 20 {
		t.Errorf("Train to 15 after 20: err %v, step %d; want nil and 20", err, runC.Step())
	}
}

// Resuming from an older checkpoint (the newest moved aside, as the error
// for a damaged one advises) keeps the part of the session that made the
// loaded steps, with its time prorated, instead of dropping the session.
func TestResumeOlderCheckpointKeepsSessionPart(t *testing.T) {
	dir := t.TempDir()
	run := trainedRun(t, dir, 12, 5) // checkpoints at 5, 10 and 12; the newest two are kept
	whole := run.History().Sessions
	if len(whole) != 1 || whole[0].To != 12 {
		t.Fatalf("sessions %+v, want one of 12 steps", whole)
	}
	newest := newestCheckpoint(t, dir)
	aside := t.TempDir()
	for _, ext := range []string{".json", ".bin"} {
		if err := os.Rename(newest+ext, filepath.Join(aside, filepath.Base(newest)+ext)); err != nil {
			t.Fatal(err)
		}
	}
	older, _, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	got := older.History().Sessions
	if older.Resumed() != 10 || len(got) != 1 || got[0].From != 0 || got[0].To != 10 {
		t.Fatalf("resumed at %d with sessions %+v, want 10 and one session [0, 10]", older.Resumed(), got)
	}
	// 10 of its 12 steps: 10/12 of its time, the rate unchanged (to
	// rounding of the float64 products).
	if want := whole[0].Seconds * 10 / 12; math.Abs(got[0].Seconds-want) > 1e-12*want || got[0].StepsPerSec != whole[0].StepsPerSec {
		t.Errorf("kept part: %.9g s at %.6g steps/s; want %.9g s at %.6g", got[0].Seconds, got[0].StepsPerSec, want, whole[0].StepsPerSec)
	}
}

// Cancelling the context stops after the current step, saves, and the
// next session resumes at that step.
func TestInterruptSavesAndResumes(t *testing.T) {
	pts := moons(t)
	dir := t.TempDir()
	run, tr, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	base := training.Steps(tr.DataStepper(pts, small.Batch))
	step := func(s int64, rng *rand.Rand) (float64, error) {
		if s == 6 { // the 7th step runs, then the loop sees the cancellation
			cancel()
		}
		return base(s, rng)
	}
	var log bytes.Buffer
	opts := quiet()
	opts.Steps, opts.Every, opts.Progress = 100, 50, &progress.Lines{W: &log}
	err = run.Train(ctx, step, opts)
	if !errors.Is(err, training.ErrInterrupted) {
		t.Fatalf("Train returned %v, want ErrInterrupted", err)
	}
	if !strings.Contains(err.Error(), "resume at step 7") || !strings.Contains(log.String(), "interrupted") {
		t.Errorf("error %q / log %q should say it was interrupted and where it resumes", err, log.String())
	}
	next, _, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	if next.Resumed() != 7 || len(next.History().Loss) != 7 {
		t.Errorf("resumed at %d with %d losses, want 7 and 7", next.Resumed(), len(next.History().Loss))
	}
}

func newestCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	if len(m) == 0 {
		t.Fatal("no checkpoint written")
	}
	return strings.TrimSuffix(m[len(m)-1], ".json")
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// A checkpoint that does not load is a clear error, and nothing in the
// directory changes.
func TestCorruptCheckpointIsAnErrorAndKept(t *testing.T) {
	pts := moons(t)
	for _, tc := range []struct {
		name   string
		damage func(base string) error
	}{
		{"truncated data", func(base string) error {
			b, err := os.ReadFile(base + ".bin")
			if err != nil {
				return err
			}
			return os.WriteFile(base+".bin", b[:len(b)/2], 0o644)
		}},
		{"flipped data bytes", func(base string) error {
			b, err := os.ReadFile(base + ".bin")
			if err != nil {
				return err
			}
			for i := len(b) / 2; i < len(b)/2+16; i++ {
				b[i] ^= 0xff
			}
			return os.WriteFile(base+".bin", b, 0o644)
		}},
		{"half-written metadata", func(base string) error {
			b, err := os.ReadFile(base + ".json")
			if err != nil {
				return err
			}
			return os.WriteFile(base+".json", b[:len(b)/3], 0o644)
		}},
		{"missing data file", func(base string) error { return os.Remove(base + ".bin") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			run, tr, err := session(t, dir, small)
			if err != nil {
				t.Fatal(err)
			}
			opts := quiet()
			opts.Steps, opts.Every = 6, 3
			if err := run.Train(context.Background(), training.Steps(tr.DataStepper(pts, small.Batch)), opts); err != nil {
				t.Fatal(err)
			}
			base := newestCheckpoint(t, dir)
			if err := tc.damage(base); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			_, _, err = session(t, dir, small)
			if err == nil {
				t.Fatal("opening a damaged checkpoint succeeded")
			}
			msg := err.Error()
			for _, want := range []string{filepath.Base(base), "Nothing was changed", "mv "} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			after := snapshot(t, dir)
			if len(before) != len(after) {
				t.Fatalf("files changed: %d before, %d after", len(before), len(after))
			}
			for name, b := range before {
				if after[name] != b {
					t.Errorf("%s changed after the failed open", name)
				}
			}
		})
	}
}

// A run resumes without its history.json (moved aside, as the errors about
// a damaged one advise): the losses before the checkpoint are unknown,
// History.Start says where the recorded ones begin, and the next resume
// reads the new history.
func TestResumeWithoutHistory(t *testing.T) {
	dir := t.TempDir()
	trainedRun(t, dir, 4, 0)
	if err := os.Rename(filepath.Join(dir, training.HistoryFile), filepath.Join(t.TempDir(), "aside.json")); err != nil {
		t.Fatal(err)
	}
	run, tr, err := session(t, dir, small)
	if err != nil {
		t.Fatalf("resuming without history.json: %v", err)
	}
	if h := run.History(); run.Resumed() != 4 || h.Start != 4 || len(h.Loss) != 0 || len(h.Sessions) != 0 {
		t.Fatalf("resumed at %d with history %+v; want step 4, Start 4 and nothing recorded", run.Resumed(), h)
	}
	opts := quiet()
	opts.Steps = 6
	if err := run.Train(context.Background(), training.Steps(tr.DataStepper(moons(t), small.Batch)), opts); err != nil {
		t.Fatal(err)
	}
	again, _, err := session(t, dir, small)
	if err != nil {
		t.Fatal(err)
	}
	if h := again.History(); again.Resumed() != 6 || h.Start != 4 || len(h.Loss) != 2 || len(h.Sessions) != 1 || h.Sessions[0].From != 4 {
		t.Errorf("resumed at %d with history %+v; want step 6, Start 4, the losses of steps 5 and 6 and their session", again.Resumed(), h)
	}
}

// A history.json that does not describe the run is an error that names it
// and leaves it as it was.
func TestDamagedHistory(t *testing.T) {
	dir := t.TempDir()
	trainedRun(t, dir, 4, 0)
	path := filepath.Join(dir, training.HistoryFile)
	for _, c := range []struct{ name, json, want string }{
		{"not JSON", `{"loss": [1,`, "is corrupt"},
		{"too few losses", `{"loss": [1, 2]}`, "losses of steps 1 to 2"},
		{"starts after the checkpoint", `{"start": 5, "loss": [1]}`, "losses of steps 6 to 6"},
		{"session backwards", `{"loss": [1, 2, 3, 4], "sessions": [{"From": 3, "To": 1}]}`, "session 1: steps 3 to 1"},
		{"sessions overlap", `{"loss": [1, 2, 3, 4], "sessions": [{"From": 0, "To": 3}, {"From": 2, "To": 4}]}`, "session 2: steps 2 to 4 after step 3"},
		{"negative time", `{"loss": [1, 2, 3, 4], "sessions": [{"From": 0, "To": 4, "Seconds": -1}]}`, "-1 s"},
	} {
		if err := os.WriteFile(path, []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := session(t, dir, small)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want one naming %s and %q", c.name, err, path, c.want)
		}
		if b, _ := os.ReadFile(path); string(b) != c.json {
			t.Errorf("%s: history.json changed after the failed open", c.name)
		}
	}
}

func TestSettingsMismatch(t *testing.T) {
	dir := t.TempDir()
	trainedRun(t, dir, 2, 0)
	_, _, err := session(t, dir, settings{Hidden: []int{32}, Batch: 32})
	if err == nil || !strings.Contains(err.Error(), "other settings (Hidden)") {
		t.Errorf("err = %v, want a settings mismatch naming Hidden", err)
	}
}

func TestLoadNeedsCheckpoint(t *testing.T) {
	store, err := training.NewStore(1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = training.Load(store, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("err = %v, want 'no checkpoint'", err)
	}
}

func TestTrainErrors(t *testing.T) {
	pts := moons(t)
	run, tr, err := session(t, "", small)
	if err != nil {
		t.Fatal(err)
	}
	good := training.Steps(tr.DataStepper(pts, small.Batch))
	nan := func(s int64, rng *rand.Rand) (float64, error) {
		if _, err := good(s, rng); err != nil {
			return 0, err
		}
		return float64(s) / 0 * 0, nil // NaN
	}
	noUpdate := func(int64, *rand.Rand) (float64, error) { return 1, nil }
	for _, tc := range []struct {
		name string
		step training.StepFunc
		opts training.Options
		want string
	}{
		{"nil step", nil, training.Options{Steps: 1}, "needs a StepFunc"},
		{"no steps", good, training.Options{}, "Options.Steps = 0"},
		{"bad data", training.Steps(tr.DataStepper(nil, 8)), training.Options{Steps: 1}, "training data"},
		{"nan loss", nan, training.Options{Steps: 5}, "diverged"},
		{"no optimizer update", noUpdate, training.Options{Steps: 50}, "exactly one optimizer update"},
	} {
		tc.opts.Progress = progress.Discard
		err := run.Train(context.Background(), tc.step, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
