package table

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
)

// tinyScale runs every method for a few steps of a tiny MLP: it checks the
// plumbing, not the numbers.
func tinyScale() Scale {
	return Scale{
		Name: "tiny", About: "test", Data: []string{"8gaussians"}, Methods: allMethods, Seeds: []uint64{1},
		Base:  recipe.Config{Net: "mlp", Hidden: []int{16}, Activation: "silu", SigmaMin: 1e-3, LearningRate: 1e-3, Batch: 32},
		Steps: 20,
		// Loose tolerance: an untrained field is cheap to integrate at 1e-3.
		Eval:   Eval{Samples: 64, NLLPoints: 16, K: 1, Probes: 1, Tol: 1e-3, Chunk: 32, Seed: 1, Keep: 10},
		Fixed:  Fixed{Solver: "midpoint", NFE: []int{2, 4}},
		Reflow: Reflow{Pairs: 64, Solver: Solver{Method: "rk4", Steps: 4}},
	}
}

// cancelAt cancels its context at the first status of a loop whose title
// contains want, once Step reaches at.
type cancelAt struct {
	mu     sync.Mutex
	want   string
	at     int64
	cancel context.CancelFunc
	hit    bool
}

func (c *cancelAt) Report(s progress.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hit && strings.Contains(s.Title, c.want) && s.Step >= c.at {
		c.hit = true
		c.cancel()
	}
}

// comparable strips what differs between two runs of the same scale (times,
// the folder) and returns the measurements.
func measurements(r *Results) []SeedResult {
	var out []SeedResult
	for _, row := range r.Rows {
		for _, s := range row.Seeds {
			s.TrainSeconds, s.EvalSeconds, s.PairSeconds, s.Dir = 0, 0, 0, ""
			s.Fixed = append([]FixedSeed(nil), s.Fixed...)
			out = append(out, s)
		}
	}
	return out
}

func TestRunResumeAndRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 12 tiny models")
	}
	be := testbe.Go(t)
	s := tinyScale()

	// Uninterrupted reference run.
	refDir := t.TempDir()
	ref, err := Run(context.Background(), be, s, refDir, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Read(ResultsPath(refDir, s.Name))
	if err != nil {
		t.Fatalf("reading the results file back: %v", err)
	}
	if got, want := len(back.Rows), len(s.Methods); got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	for _, row := range back.Rows {
		sr := row.Seeds[0]
		if !(sr.NFE > 0) || !sr.NLL.OK() || !sr.Energy.OK() || !sr.W2.OK() || sr.Steps != s.Steps || len(row.Samples) != s.Eval.Keep {
			t.Errorf("%s: incomplete result %+v (samples %d)", row.Method.Key, sr, len(row.Samples))
		}
		if row.Params <= 0 {
			t.Errorf("%s: %d network parameters", row.Method.Key, row.Params)
		}
	}
	if md, err := os.ReadFile(MarkdownPath(refDir, s.Name)); err != nil || !strings.Contains(string(md), "Claim 1") {
		t.Errorf("markdown report: %v", err)
	}
	if len(ref.Claims) != 4 {
		t.Errorf("%d claims, want 4", len(ref.Claims))
	}
	if _, err := os.Stat(filepath.Join(ModelDir(refDir, s.Name, "8gaussians", "2-rf", 1), PairsFile)); err != nil {
		t.Errorf("2-RF pairs file: %v", err)
	}

	// Interrupt during the training of the 5th model, then resume: the
	// results must equal the uninterrupted run's (training resumes exactly,
	// the evaluation is deterministic).
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stop := &cancelAt{want: "[5/6]", at: 7, cancel: cancel}
	_, err = Run(ctx, be, s, dir, stop)
	if !errors.Is(err, training.ErrInterrupted) {
		t.Fatalf("interrupted run: err = %v, want ErrInterrupted", err)
	}
	if _, err := Read(ResultsPath(dir, s.Name)); !errors.Is(err, ErrNoResults) {
		t.Errorf("an interrupted run wrote a results file (err = %v)", err)
	}
	firstEval := filepath.Join(ModelDir(dir, s.Name, "8gaussians", "ddpm", 1), EvalFile)
	before, err := os.Stat(firstEval)
	if err != nil {
		t.Fatalf("the first model's evaluation was not stored: %v", err)
	}
	resumed, err := Run(context.Background(), be, s, dir, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(firstEval); !after.ModTime().Equal(before.ModTime()) {
		t.Error("the resumed run evaluated the finished first model again")
	}
	a, b := measurements(ref), measurements(resumed)
	for i := range a {
		if a[i].NFE != b[i].NFE || a[i].NLL != b[i].NLL || a[i].Energy != b[i].Energy || a[i].FinalLoss != b[i].FinalLoss {
			t.Errorf("model %d: uninterrupted %+v, interrupted and resumed %+v", i, a[i], b[i])
		}
	}
}
