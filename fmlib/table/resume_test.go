package table

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/compute"
)

// partialScale is tinyScale with the paper's four rows and 2-RF, two seeds:
// 10 models of a few steps, in the order seed 1 (ddpm, sm, fm-diff, fm-ot,
// 2-rf), then seed 2 (the same). Two seeds make rows with 1 of 2 seeds in a
// partial file; the four paper rows make the claims testable.
func partialScale() Scale {
	s := tinyScale()
	s.Methods = []string{"ddpm", "sm", "fm-diff", "fm-ot", "2-rf"}
	s.Seeds = []uint64{1, 2}
	return s
}

// tally is a reporter that records which models a run trains (the titles
// of its training loops, "[3/10] 8gaussians, FM w/ OT, seed 1: training")
// and the note of every finished status, and passes every status on to
// next (nil: none).
type tally struct {
	mu      sync.Mutex
	trained map[string]bool
	notes   []string
	next    progress.Reporter
}

func newTally(next progress.Reporter) *tally {
	return &tally{trained: map[string]bool{}, next: next}
}

func (t *tally) Report(s progress.Status) {
	t.mu.Lock()
	if title, ok := strings.CutSuffix(s.Title, ": training"); ok {
		_, model, _ := strings.Cut(title, "] ") // drop "[n/N] ": the count differs between runs
		t.trained[model] = true
	}
	if s.Done && s.Note != "" {
		t.notes = append(t.notes, s.Title+": "+s.Note)
	}
	t.mu.Unlock()
	if t.next != nil {
		t.next.Report(s)
	}
}

// models are the trained models, sorted ("8gaussians, FM w/ OT, seed 2").
func (t *tally) models() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for m := range t.trained {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func (t *tally) log() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.notes, "\n")
}

// modelTitle is how a run's progress names model id.
func modelTitle(id ModelID) string {
	return fmt.Sprintf("%s, %s, seed %d", id.Data, methodName(id.Method), id.Seed)
}

func titles(ids []ModelID) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, modelTitle(id))
	}
	sort.Strings(out)
	return out
}

// interrupted runs s in dir and cancels it while model k+1 trains (at its
// step 7 of 20), so that exactly k models are finished; k = len(Models(s))
// runs it to the end.
func interrupted(t *testing.T, be compute.Backend, s Scale, dir string, k int) {
	t.Helper()
	n := len(Models(s))
	if k == n {
		if _, err := Run(context.Background(), be, s, dir, progress.Discard); err != nil {
			t.Fatal(err)
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, be, s, dir, &cancelAt{want: fmt.Sprintf("[%d/%d]", k+1, n), at: 7, cancel: cancel})
	if !errors.Is(err, training.ErrInterrupted) {
		t.Fatalf("run interrupted in model %d: err = %v, want ErrInterrupted", k+1, err)
	}
}

// TestPartialResults: a run interrupted after k models leaves a results
// file with exactly those k models and the other models pending, in run
// order; it reads, its rows with 1 of 2 seeds have no standard error over
// seeds (NaN) and say so in the report and the claims, the report opens
// with the partial-run line, and the floor is in it. Nothing finished:
// no file.
func TestPartialResults(t *testing.T) {
	if testing.Short() {
		t.Skip("trains up to 8 tiny models per case")
	}
	be := testbe.Go(t)
	s := partialScale()
	all := Models(s)
	for _, tc := range []struct {
		name string
		k    int // models finished before the interrupt
		// claimsTested: whether claim 1 (NFE; needs the four paper rows)
		// is tested on the partial file.
		claimsTested bool
	}{
		{"nothing finished", 0, false},
		{"seed 1 without FM w/ OT", 3, false}, // ddpm, sm, fm-diff: FM w/ OT is still to run
		{"seed 1 and two of seed 2", 7, true}, // every paper row has seed 1; ddpm and sm have both
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			interrupted(t, be, s, dir, tc.k)
			r, err := Read(ResultsPath(dir, s.Name))
			if tc.k == 0 {
				if !errors.Is(err, ErrNoResults) {
					t.Errorf("no model finished, yet a results file: err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("the partial results do not read: %v", err)
			}
			if done, total := r.Done(); done != tc.k || total != len(all) || r.Complete() {
				t.Errorf("%d of %d models (complete %v); want %d of %d", done, total, r.Complete(), tc.k, len(all))
			}
			if !reflect.DeepEqual(r.Pending, all[tc.k:]) {
				t.Errorf("pending %v, want %v", r.Pending, all[tc.k:])
			}
			if err := r.CheckComplete(); err == nil || !strings.Contains(err.Error(), "partial") {
				t.Errorf("CheckComplete on a partial file: %v", err)
			}
			for _, id := range all[:tc.k] {
				row := r.Row(id.Data, id.Method)
				if row == nil || !slices.ContainsFunc(row.Seeds, func(sr SeedResult) bool { return sr.Seed == id.Seed }) {
					t.Errorf("%s is missing", id)
				}
			}
			md := Markdown(r)
			if want := fmt.Sprintf("**Partial run: %d of %d models finished; still to run: %s", tc.k, len(all), all[tc.k]); !strings.HasPrefix(md, want) {
				t.Errorf("the report does not open with %q:\n%s", want, md[:min(len(md), 300)])
			}
			if len(r.Rows) < len(s.Methods) && !strings.Contains(md, "| still to run |") {
				t.Errorf("the report does not show the rows still to run:\n%s", md)
			}
			for _, row := range r.Rows {
				// A row with one of the two seeds: the mean of that seed, and
				// no standard error (the one over seeds needs two).
				one := len(row.Seeds) == 1
				if one != math.IsNaN(float64(row.NLL.SE)) || one != math.IsNaN(float64(row.NFE.SE)) || !row.NLL.Mean.OK() {
					t.Errorf("%s with %d seed(s): NLL %v +- %v, NFE +- %v", row.Method.Key, len(row.Seeds), row.NLL.Mean, row.NLL.SE, row.NFE.SE)
				}
				if one && !strings.Contains(md, "| "+row.Method.Name+" (1 of 2 seeds) |") {
					t.Errorf("the report does not mark %s as having 1 of 2 seeds", row.Method.Name)
				}
			}
			if f := r.Floor("8gaussians"); !f.Energy.OK() || !f.W2.OK() {
				t.Errorf("no floor in the partial file: %+v", f)
			}
			if _, err := os.Stat(filepath.Join(dir, s.Name, "floor-8gaussians.json")); err != nil {
				t.Errorf("the floor is not cached: %v", err)
			}
			c := r.Claims[0]
			if tested := c.Verdict != NotTested; tested != tc.claimsTested {
				t.Fatalf("claim 1: %s (%s)", c.Verdict, c.Evidence)
			}
			if tc.claimsTested {
				if !strings.Contains(c.Evidence, "(1 of 2 seeds)") ||
					!strings.Contains(c.Evidence, fmt.Sprintf("Provisional: %d of %d models", tc.k, len(all))) {
					t.Errorf("claim 1 evidence does not mark the row with one seed or the partial run: %s", c.Evidence)
				}
			} else if !strings.Contains(c.Evidence, "FM w/ OT, still to run") {
				t.Errorf("claim 1 evidence does not say FM w/ OT is still to run: %s", c.Evidence)
			}
			if !reflect.DeepEqual(Claims(r), r.Claims) {
				t.Error("the stored claims are not what Claims computes from the partial file")
			}
		})
	}
}

// measured is a seed result without what differs between runs of the same
// model (wall times, and where it was reused from).
func measured(sr SeedResult) SeedResult {
	sr.TrainSeconds, sr.EvalSeconds, sr.PairSeconds, sr.Reused = 0, 0, 0, ""
	return sr
}

// TestResumeFromRecordedCopy: a run is interrupted after 7 of 10 models and
// recorded part-way; a run into a fresh folder that resumes from the
// recorded copy trains only the 3 missing models, reuses the 7 with their
// recorded numbers, code and samples (saying which file they came from),
// takes the floor from the copy, and lists both sittings.
func TestResumeFromRecordedCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 tiny models")
	}
	be := testbe.Go(t)
	s := partialScale()
	dirA, rec, dirB := t.TempDir(), t.TempDir(), t.TempDir()
	defer func(f func() Code) { codeVersion = f }(codeVersion)
	codeVersion = func() Code { return Code{Describe: "aaaaaaa", Commit: strings.Repeat("a", 40), Source: "git"} }
	interrupted(t, be, s, dirA, 7)
	partA, err := Read(ResultsPath(dirA, s.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := partA.RecordRun(be, dirA, rec); err != nil {
		t.Fatalf("recording the partial run: %v", err)
	}
	// The weights 2-RF trains from: FM w/ OT seed 1 is finished, seed 2 is not.
	if _, err := os.Stat(WeightsPath(rec, s.Name, "8gaussians", "fm-ot", 1)); err != nil {
		t.Errorf("the finished base model's weights were not recorded: %v", err)
	}
	if _, err := os.Stat(WeightsPath(rec, s.Name, "8gaussians", "fm-ot", 2)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("weights recorded for a model still to run (err = %v)", err)
	}
	recorded, err := Read(ResultsPath(rec, s.Name))
	if err != nil {
		t.Fatal(err)
	}

	codeVersion = func() Code { return Code{Describe: "bbbbbbb", Commit: strings.Repeat("b", 40), Source: "git"} }
	log := newTally(nil)
	res, err := RunWith(context.Background(), be, s, dirB, log, RunOptions{Resume: rec, Command: "fmtable -resume " + rec})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := log.models(), titles(Models(s)[7:]); !reflect.DeepEqual(got, want) {
		t.Errorf("trained %v; want only the models still to run, %v", got, want)
	}
	if !res.Complete() {
		t.Errorf("the resumed run is not complete: pending %v", res.Pending)
	}
	from := ResultsPath(rec, s.Name)
	for _, id := range Models(s) {
		got := res.Row(id.Data, id.Method)
		i := slices.IndexFunc(got.Seeds, func(sr SeedResult) bool { return sr.Seed == id.Seed })
		sr := got.Seeds[i]
		prev := recorded.Row(id.Data, id.Method)
		if prev == nil || !slices.ContainsFunc(prev.Seeds, func(p SeedResult) bool { return p.Seed == id.Seed }) {
			if sr.Reused != "" || sr.Commit != strings.Repeat("b", 40) {
				t.Errorf("%s was trained here, but reused from %q, evaluated by %s", id, sr.Reused, sr.Commit)
			}
			continue
		}
		want := prev.Seeds[slices.IndexFunc(prev.Seeds, func(p SeedResult) bool { return p.Seed == id.Seed })]
		want.Reused = from
		// Exact: the numbers are copied, not measured again (compared as
		// JSON, where an unmeasured NaN is null and equals itself).
		if a, b := jsonOf(t, sr), jsonOf(t, want); a != b {
			t.Errorf("%s: reused\n%s\nwant the recorded\n%s", id, a, b)
		}
		if sr.Commit != strings.Repeat("a", 40) {
			t.Errorf("%s: evaluated by %s, want the first sitting's commit", id, sr.Commit)
		}
		if id.Seed == 1 && !reflect.DeepEqual(got.Samples, prev.Samples) {
			t.Errorf("%s: the row's samples are not the recorded ones", id)
		}
	}
	if jsonOf(t, res.Floors) != jsonOf(t, recorded.Floors) {
		t.Errorf("floors %+v, want the recorded %+v", res.Floors, recorded.Floors)
	}
	if n := len(res.Sittings); n != 2 || res.Sittings[0].Ran != 7 || res.Sittings[1].Ran != 3 || res.Sittings[1].Reused != 7 ||
		res.Sittings[0].Code.Describe != "aaaaaaa" || res.Sittings[1].Command != "fmtable -resume "+rec {
		t.Errorf("sittings %+v; want the first (7 models, commit a) and this one (3 run, 7 reused, with its command)", res.Sittings)
	}
	md := Markdown(res)
	for _, want := range []string{"reused from " + from, "made in 2 sitting(s)", "`fmtable -resume " + rec + "`"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(md, "Partial run") {
		t.Error("the complete report says it is partial")
	}
	// Recorded again after this sitting, into the same folder: the first
	// sitting's base weights (no checkpoint here) stay as they are, the
	// second's are exported from this folder's checkpoint. Into another
	// folder: the first ones are copied from beside the file they were
	// reused from.
	w1, w2 := WeightsPath(rec, s.Name, "8gaussians", "fm-ot", 1), WeightsPath(rec, s.Name, "8gaussians", "fm-ot", 2)
	before, _ := os.ReadFile(w1)
	if err := res.RecordRun(be, dirB, rec); err != nil {
		t.Fatalf("recording the resumed run: %v", err)
	}
	if after, err := os.ReadFile(w1); err != nil || string(after) != string(before) {
		t.Errorf("recording again changed the first sitting's weights (%v)", err)
	}
	if _, err := os.Stat(w2); err != nil {
		t.Errorf("the second sitting's base weights were not recorded: %v", err)
	}
	rec2 := t.TempDir()
	if err := res.RecordRun(be, dirB, rec2); err != nil {
		t.Fatalf("recording the resumed run elsewhere: %v", err)
	}
	if b, err := os.ReadFile(WeightsPath(rec2, s.Name, "8gaussians", "fm-ot", 1)); err != nil || string(b) != string(before) {
		t.Errorf("the reused base's weights were not copied to the new record (%v)", err)
	}
	// The file it wrote reads back the same, and a run again in the same
	// folder trains nothing.
	back, err := Read(ResultsPath(dirB, s.Name))
	if err != nil || jsonOf(t, back.Rows) != jsonOf(t, res.Rows) {
		t.Fatalf("reading the results back: %v", err)
	}
	again := newTally(nil)
	if _, err := RunWith(context.Background(), be, s, dirB, again, RunOptions{Resume: rec}); err != nil || len(again.models()) != 0 {
		t.Errorf("a run again trained %v (err %v)", again.models(), err)
	}
}

// jsonOf is v as JSON, to compare values that hold NaNs (unmeasured
// metrics, null in JSON), which reflect.DeepEqual never finds equal.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyDir copies the folder src to a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestReflowFromRecordedWeights: 2-RF resumed in a folder without its base
// model's checkpoint (the base reused from a recorded copy) makes its pairs
// from the weights recorded beside the copy: the same pairs as from the
// checkpoint, so the same 2-RF model and results. Without those weights,
// or with damaged ones, the run fails before it trains anything, saying
// what to do. The scale keeps a moving average (EMA), the weights the
// models sample with, as in mnist-unet.
func TestReflowFromRecordedWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 6 tiny models")
	}
	be := testbe.Go(t)
	s := tinyScale()
	s.Methods = []string{"fm-ot", "2-rf"}
	s.Base.EMA = 0.9 // short enough a memory to differ from the raw weights after 20 steps
	dirA, rec := t.TempDir(), t.TempDir()

	// FM w/ OT only (interrupted before 2-RF), recorded with its weights.
	interrupted(t, be, s, dirA, 1)
	partA, err := Read(ResultsPath(dirA, s.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := partA.RecordRun(be, dirA, rec); err != nil {
		t.Fatal(err)
	}
	weights := WeightsPath(rec, s.Name, "8gaussians", "fm-ot", 1)
	if b, err := os.ReadFile(manifestPath(weights)); err != nil || !strings.Contains(string(b), `"weights": "averaged"`) {
		t.Fatalf("recorded weights manifest: %s (%v); want the averaged weights", b, err)
	}
	// Folder A without its base checkpoint (a copy made now, before A goes
	// on), and without 2-RF's folder: the interrupt came after its pairs
	// were made, and they must be made again.
	dirC := copyDir(t, dirA)
	for _, key := range []string{"fm-ot", "2-rf"} {
		if err := os.RemoveAll(ModelDir(dirC, s.Name, "8gaussians", key, 1)); err != nil {
			t.Fatal(err)
		}
	}
	// The reference: A goes on, its pairs made from the checkpoint.
	ref, err := Run(context.Background(), be, s, dirA, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	refX0, refX1, _, _, err := readPairs(filepath.Join(ModelDir(dirA, s.Name, "8gaussians", "2-rf", 1), PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	noWeights := copyDir(t, rec)
	os.RemoveAll(filepath.Dir(filepath.Dir(filepath.Dir(WeightsPath(noWeights, s.Name, "8gaussians", "fm-ot", 1)))))
	damaged := copyDir(t, rec)
	w := WeightsPath(damaged, s.Name, "8gaussians", "fm-ot", 1)
	if b, err := os.ReadFile(w); err != nil || os.WriteFile(w, b[:len(b)-8], 0o644) != nil {
		t.Fatal("truncating the copy's weights", err)
	}

	for _, tc := range []struct {
		name, dir, resume string
		err               string // "" for a run that must succeed
	}{
		{"fresh folder", t.TempDir(), rec, ""},
		// The folder's own results have FM w/ OT (reused from there, first),
		// no weights beside them: those beside the resumed copy serve.
		{"base checkpoint deleted", dirC, rec, ""},
		{"no recorded weights", t.TempDir(), noWeights, "fmtable -record"},
		{"damaged weights", t.TempDir(), damaged, "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := newTally(nil)
			res, err := RunWith(context.Background(), be, s, tc.dir, log, RunOptions{Resume: tc.resume})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "2-RF (reflow) on 8gaussians, seed 1") {
					t.Errorf("err = %v, want one naming 2-RF and containing %q", err, tc.err)
				}
				if len(log.models()) != 0 {
					t.Errorf("trained %v before failing", log.models())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := log.models(), []string{"8gaussians, 2-RF (reflow), seed 1"}; !reflect.DeepEqual(got, want) {
				t.Errorf("trained %v, want %v", got, want)
			}
			x0, x1, _, _, err := readPairs(filepath.Join(ModelDir(tc.dir, s.Name, "8gaussians", "2-rf", 1), PairsFile))
			if err != nil {
				t.Fatal(err)
			}
			// The noise is the same stream; the samples come from the same
			// float32 weights through the same graph, so they agree to the
			// last bit. 1e-6 (a few float32 ulps at |x| ~ 3) leaves room for
			// a backend that orders a reduction differently.
			const tol = 1e-6
			worst := 0.0
			for i := range refX0 {
				for j := range refX0[i] {
					worst = max(worst, math.Abs(x0[i][j]-refX0[i][j]), math.Abs(x1[i][j]-refX1[i][j]))
				}
			}
			if len(x0) != len(refX0) || worst > tol {
				t.Errorf("pairs from the recorded weights differ from the checkpoint's by up to %g (> %g)", worst, tol)
			}
			// Equal pairs train the same 2-RF model: its results match the
			// reference's (same tolerance, relative, for what the pairs'
			// float32 rounding could move).
			a, b := measured(ref.Row("8gaussians", "2-rf").Seeds[0]), measured(res.Row("8gaussians", "2-rf").Seeds[0])
			for _, v := range [][2]Num{{a.NLL, b.NLL}, {a.NFE, b.NFE}, {a.Energy, b.Energy}, {a.FinalLoss, b.FinalLoss}} {
				if math.Abs(float64(v[0]-v[1])) > tol*math.Abs(float64(v[0])) {
					t.Errorf("2-RF: %v from the checkpoint, %v from the recorded weights", float64(v[0]), float64(v[1]))
				}
			}
		})
	}
}

// TestResumeMismatch: a prior result is reused only with the same
// evaluation settings, training set-up and (2-RF) reflow settings; else the
// model is trained, and the run says in one line why it was not reused.
func TestResumeMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 9 tiny models")
	}
	be := testbe.Go(t)
	base := tinyScale()
	base.Methods = []string{"fm-ot", "2-rf"}
	dirP, rec := t.TempDir(), t.TempDir()
	interrupted(t, be, base, dirP, 2)
	prior, err := Read(ResultsPath(dirP, base.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := prior.RecordRun(be, dirP, rec); err != nil {
		t.Fatal(err)
	}
	from := ResultsPath(rec, base.Name)
	for _, tc := range []struct {
		name    string
		change  func(*Scale)
		trained []string // models trained (the others reused)
		why     string   // in the log: why the prior was not reused ("" none)
	}{
		{"same settings", func(*Scale) {}, nil, ""},
		{"evaluation samples", func(s *Scale) { s.Eval.Samples = 48 },
			[]string{"8gaussians, 2-RF (reflow), seed 1", "8gaussians, FM w/ OT, seed 1"},
			"not reused from " + from + ": its evaluation settings differ (eval.samples 64, now 48)"},
		{"learning rate", func(s *Scale) { s.Base.LearningRate = 2e-3 },
			[]string{"8gaussians, 2-RF (reflow), seed 1", "8gaussians, FM w/ OT, seed 1"},
			"not reused from " + from + ": its training set-up differs (learning_rate 0.001, now 0.002)"},
		// FM w/ OT is reused; 2-RF trains on pairs from its recorded weights.
		{"reflow pairs", func(s *Scale) { s.Reflow.Pairs = 48 },
			[]string{"8gaussians, 2-RF (reflow), seed 1"},
			"not reused from " + from + ": its reflow pairs were made otherwise (64 pairs, rk4, 4 steps; now 48, rk4, 4 steps)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.Methods = slices.Clone(base.Methods)
			tc.change(&s)
			log := newTally(nil)
			res, err := RunWith(context.Background(), be, s, t.TempDir(), log, RunOptions{Resume: rec})
			if err != nil {
				t.Fatal(err)
			}
			got := log.models()
			if len(got) != len(tc.trained) || (len(got) > 0 && !reflect.DeepEqual(got, tc.trained)) {
				t.Errorf("trained %v, want %v", got, tc.trained)
			}
			if tc.why != "" && !strings.Contains(log.log(), tc.why) {
				t.Errorf("the log does not say %q:\n%s", tc.why, log.log())
			}
			for _, row := range res.Rows {
				reused := !slices.Contains(tc.trained, modelTitle(ModelID{row.Data, row.Method.Key, 1}))
				if (row.Seeds[0].Reused == from) != reused {
					t.Errorf("%s: reused from %q; want reused %v", row.Method.Key, row.Seeds[0].Reused, reused)
				}
			}
		})
	}
}

// TestResumeErrors: results that cannot be resumed from are an error that
// names the file and says what to do, before anything is trained, and the
// run folder's results file is left as it is; a folder without the
// scale's results is nothing to resume, said in the progress.
func TestResumeErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	be := testbe.Go(t)
	s := tinyScale()
	s.Methods = []string{"fm-ot"}
	files := t.TempDir()
	write := func(name string, r *Results, raw string) string {
		p := filepath.Join(files, name)
		if r != nil {
			if err := r.Write(p); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nan := fakeOrdered()
	nan.Rows[0].Seeds[0].NLL = Num(math.NaN())
	for _, tc := range []struct {
		name   string
		resume string
		own    string // content of the run folder's own results file ("" none)
		want   []string
	}{
		{"not JSON", write("a.json", nil, "{oops"), "", []string{"a.json", "not a readable results file", "told to resume from"}},
		{"truncated", write("b.json", nil, `{"format": "gofm-table/1", "rows": [`), "", []string{"b.json", "not a readable results file"}},
		{"inconsistent", write("c.json", nan, ""), "", []string{"c.json", "must be finite", "told to resume from"}},
		{"another scale", write("d.json", fakeOrdered(), ""), "", []string{"d.json", "scale 2d-quick, not tiny"}},
		{"missing", filepath.Join(files, "none.json"), "", []string{"none.json", "do not exist"}},
		{"own file damaged", "", "{oops", []string{"not a readable results file", "move it away"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			own := ResultsPath(dir, s.Name)
			if tc.own != "" {
				if err := os.WriteFile(own, []byte(tc.own), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			log := newTally(nil)
			_, err := RunWith(context.Background(), be, s, dir, log, RunOptions{Resume: tc.resume})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want one containing %q", err, w)
				}
			}
			if len(log.models()) != 0 {
				t.Errorf("trained %v", log.models())
			}
			if b, _ := os.ReadFile(own); string(b) != tc.own {
				t.Errorf("the run folder's results file changed to %q", b)
			}
		})
	}
	// A folder without the scale's results: nothing to resume, and said so.
	log := newTally(nil)
	res, err := RunWith(context.Background(), be, s, t.TempDir(), log, RunOptions{Resume: t.TempDir()})
	if err != nil || !res.Complete() || len(log.models()) != 1 || !strings.Contains(log.log(), "nothing to resume") {
		t.Errorf("resume from an empty folder: err %v, trained %v, log:\n%s", err, log.models(), log.log())
	}
}
