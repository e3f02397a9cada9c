package table

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
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
	// The partial results file holds the 4 models finished before the
	// interrupt; the one interrupted and the last are pending.
	if part, err := Read(ResultsPath(dir, s.Name)); err != nil {
		t.Errorf("the interrupted run's partial results: %v", err)
	} else if done, _ := part.Done(); done != 4 || len(part.Pending) != 2 || part.Complete() {
		t.Errorf("the interrupted run's results hold %d models with %v pending; want 4, and 2 pending", done, part.Pending)
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

// TestProvenanceAcrossCommits plays a run that spans two commits: the first
// is interrupted while 2-RF trains (after its pairs were made), the second
// resumes it. Finished models keep their training and evaluation (same
// files, the first commit's record), the pairs are not made again, and
// 2-RF records both sessions with their steps and the commit that
// evaluated it; the report lists them. ScoreFlow runs on 2D data too.
func TestProvenanceAcrossCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 3 tiny models")
	}
	be := testbe.Go(t)
	s := tinyScale()
	s.Methods = []string{"sf", "fm-ot", "2-rf"}
	dir := t.TempDir()
	defer func(f func() Code) { codeVersion = f }(codeVersion)
	commitA := Code{Describe: "aaaaaaa", Commit: strings.Repeat("a", 40), Source: "git"}
	commitB := Code{Describe: "bbbbbbb-dirty", Commit: strings.Repeat("b", 40), Dirty: true, Source: "git"}

	codeVersion = func() Code { return commitA }
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, be, s, dir, &cancelAt{want: "[3/3]", at: 7, cancel: cancel})
	if !errors.Is(err, training.ErrInterrupted) {
		t.Fatalf("interrupted run: err = %v, want ErrInterrupted", err)
	}
	stat := func(key, file string) os.FileInfo {
		fi, err := os.Stat(filepath.Join(ModelDir(dir, s.Name, "8gaussians", key, 1), file))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return fi
	}
	sfEval, otEval, pairs := stat("sf", EvalFile), stat("fm-ot", EvalFile), stat("2-rf", PairsFile)

	codeVersion = func() Code { return commitB }
	res, err := Run(context.Background(), be, s, dir, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for key, before := range map[string]os.FileInfo{"sf": sfEval, "fm-ot": otEval} {
		if after := stat(key, EvalFile); !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("%s: the resumed run evaluated the finished model again", key)
		}
	}
	if after := stat("2-rf", PairsFile); !after.ModTime().Equal(pairs.ModTime()) {
		t.Error("2-RF: the resumed run made the pairs again")
	}
	for _, key := range []string{"sf", "fm-ot"} {
		sr := res.Row("8gaussians", key).Seeds[0]
		want := []CodeSpan{{From: 0, To: s.Steps, Describe: commitA.Describe, Commit: commitA.Commit}}
		if sr.Code != commitA.Describe || sr.Commit != commitA.Commit || !reflect.DeepEqual(sr.Trained, want) {
			t.Errorf("%s: evaluated by %s (%s), trained by %+v; want all by the first commit", key, sr.Code, sr.Commit, sr.Trained)
		}
	}
	rf := res.Row("8gaussians", "2-rf").Seeds[0]
	if len(rf.Trained) != 2 || rf.Trained[0].Commit != commitA.Commit || rf.Trained[1].Commit != commitB.Commit ||
		rf.Trained[0].From != 0 || rf.Trained[0].To != rf.Trained[1].From || rf.Trained[0].To < 7 || rf.Trained[1].To != s.Steps {
		t.Errorf("2-RF trained by %+v; want the first commit from step 0 to the interrupt (>= 7), the second from there to %d", rf.Trained, s.Steps)
	}
	if rf.Code != commitB.Describe || rf.Commit != commitB.Commit || rf.Steps != s.Steps {
		t.Errorf("2-RF evaluated by %s (%s) after %d steps; want the second commit, %d steps", rf.Code, rf.Commit, rf.Steps, s.Steps)
	}
	if !(res.Row("8gaussians", "sf").Seeds[0].NLL.OK()) {
		t.Error("ScoreFlow on 2D data has no NLL")
	}
	md := Markdown(res)
	for _, want := range []string{"## Which code made each model", "| 8gaussians | 2-RF (reflow) | 1 | aaaaaaa (0-", "bbbbbbb-dirty (7-20) | bbbbbbb-dirty |", "| ScoreFlow |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| not run |") {
		t.Errorf("report says a row was not run although the scale ran ScoreFlow:\n%s", md)
	}
	back, err := Read(ResultsPath(dir, s.Name))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Row("8gaussians", "2-rf").Seeds[0].Trained, rf.Trained) {
		t.Error("the training record did not survive the results file")
	}
}

// TestMNISTUNetQuick runs the U-Net pipeline of the mnist-quick scale
// (3 steps) for ScoreFlow, FM w/ OT and 2-RF: both NLL bounds with the
// K = 1 one never below the K-sample one, FID-MNIST with its floor, the
// report's columns. Needs MNIST and the digit classifier (trained once, or
// read from the cache).
func TestMNISTUNetQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 3 U-Nets for 3 steps")
	}
	if _, err := os.Stat(filepath.Join(data.MNISTDir(), "t10k-images-idx3-ubyte")); err != nil {
		t.Skipf("MNIST not present (%v); run make data", err)
	}
	s, err := ScaleByName("mnist-quick")
	if err != nil {
		t.Fatal(err)
	}
	s.Methods = []string{"sf", "fm-ot", "2-rf"}
	be, dir := testbe.Go(t), t.TempDir()
	res, err := Run(context.Background(), be, s, dir, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The recorded weights of the U-Net that 2-RF trains from: one float32
	// copy of the network (its moving average), the step counter, the
	// average's counter and an index of the variables (64 KiB is far more
	// than its JSON takes), and they make the same pairs as the checkpoint.
	rec := t.TempDir()
	if err := res.RecordRun(be, dir, rec); err != nil {
		t.Fatal(err)
	}
	w := WeightsPath(rec, s.Name, "mnist", "fm-ot", 1)
	fi, err := os.Stat(w)
	if p := int64(res.Row("mnist", "fm-ot").Params); err != nil || fi.Size() < 4*p || fi.Size() > 4*p+64<<10 {
		t.Errorf("recorded U-Net weights: %v bytes (%v), want 4 x %d parameters and an index", fi, err, p)
	}
	x0, x1, _, err := reflowPairs(be, s, t.TempDir(), "mnist", "fm-ot", 1, t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	refX0, refX1, _, _, err := readPairs(filepath.Join(ModelDir(dir, s.Name, "mnist", "2-rf", 1), PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Pairs files hold float32: compare what was made at that precision.
	// The same weights through the same graph agree to the bit.
	for i := range refX0 {
		for j := range refX0[i] {
			if float32(x0[i][j]) != float32(refX0[i][j]) || float32(x1[i][j]) != float32(refX1[i][j]) {
				t.Fatalf("pair %d, pixel %d: from the recorded weights (%v, %v), from the checkpoint (%v, %v)", i, j, x0[i][j], x1[i][j], refX0[i][j], refX1[i][j])
			}
		}
	}
	for _, row := range res.Rows {
		sr := row.Seeds[0]
		if sr.NLLOneSample == nil || row.NLLOneSample == nil || !(*sr.NLLOneSample >= sr.NLL) || !sr.FID.OK() {
			t.Errorf("%s: NLL K = 1 %v, K = %d %v, FID %v", row.Method.Key, sr.NLLOneSample, s.Eval.K, float64(sr.NLL), float64(sr.FID))
		}
	}
	if f := res.Floor("mnist"); !f.FID.OK() {
		t.Error("no FID-MNIST floor")
	}
	if md := Markdown(res); !strings.Contains(md, "NLL K = 1 (bits/dim) | NLL K = 2 (bits/dim)") {
		t.Errorf("report lacks the two NLL columns:\n%s", md)
	}
}
