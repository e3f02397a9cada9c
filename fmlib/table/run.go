package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/classifier"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/compute"
)

// Files in a model's checkpoint directory besides training's own.
const (
	EvalFile  = "eval.json" // the evaluation of the trained model, reused on a resumed run
	PairsFile = "pairs.bin" // 2-RF: the (noise, sample) pairs of the base model
	CodeFile  = "code.json" // the code (describe, commit) of each training session, SeedResult.Trained
)

// codeVersion is CodeVersion; tests replace it to play runs of different commits.
var codeVersion = CodeVersion

// ModelDir is the checkpoint directory of one model in outDir.
func ModelDir(outDir, scale, data, key string, seed uint64) string {
	return filepath.Join(outDir, scale, data, key, fmt.Sprintf("seed-%d", seed))
}

// Run trains and evaluates every model of scale s (each method on each data
// set with each seed), with checkpoints under outDir/<scale>/, and writes the
// results to ResultsPath(outDir, s.Name) and a Markdown report to
// MarkdownPath after every finished model (a partial file, with the models
// still to run in Results.Pending, until the last). It resumes from the
// checkpoints and the results file in outDir; RunWith also continues from
// a recorded results file. Run is RunWith without options: see it.
func Run(ctx context.Context, be compute.Backend, s Scale, outDir string, rep progress.Reporter) (*Results, error) {
	return RunWith(ctx, be, s, outDir, rep, RunOptions{})
}

// RunOptions are the optional settings of RunWith.
type RunOptions struct {
	// Resume names earlier results to continue from: a results file, or a
	// folder holding results-<scale>.json (RecordedDir(), docs/results,
	// where cmd/fmtable -record keeps a run that is committed part-way). A
	// model that outDir does not hold trained and evaluated, and that the
	// file has with the same training set-up (Scale.Config), evaluation
	// settings and, for 2-RF, reflow settings, is taken from it as it is:
	// neither trained nor evaluated (SeedResult.Reused names the file). A
	// folder without the scale's file is nothing to resume (said in the
	// progress); a path that does not exist, or a file that does not read
	// or holds another scale, is an error.
	Resume string
	// Command is recorded in the results file (Results.Sittings): the
	// command line that ran this, e.g. cmd/fmtable's.
	Command string
}

// RunWith trains and evaluates every model of scale s (each method on each
// data set with each seed), with checkpoints under outDir/<scale>/, and
// writes the results to ResultsPath(outDir, s.Name) and a Markdown report
// to MarkdownPath, atomically, after every finished model: a run that stops
// part-way leaves a partial results file (Results.Pending lists the models
// still to run) that reads like a complete one.
//
// It resumes at model granularity. A model is taken, in this order:
//
//   - from outDir, when its checkpoint has all its steps and its evaluation
//     is stored with the same evaluation settings (EvalFile);
//   - from the results file already in outDir, or the one opts.Resume names,
//     when it holds the model with the same settings (see RunOptions): the
//     result is reused without training or evaluation, so a run continues
//     from a results file committed part-way when its checkpoints are gone.
//     A prior result that does not match is not reused, and the progress
//     says why in one line;
//   - else trained (resuming from its newest checkpoint) and evaluated.
//
// 2-RF trains on pairs made by its base model (FM w/ OT): from the base's
// checkpoint in outDir, or, when the base was reused and has no checkpoint
// there, from the weights that Results.RecordRun wrote beside the results
// file it was reused from (WeightsPath); with neither, RunWith fails before
// training anything and says what to do. The FID floor is computed once
// before the first model and cached in outDir/<scale> (or taken from the
// prior results when their evaluation and classifier match).
//
// An interrupted run (ctx cancelled: Ctrl-C in the fmtable command, the
// interrupt button in a notebook) returns an error wrapping
// training.ErrInterrupted; the partial results file holds the models
// finished until then, and calling again with the same scale continues.
//
// rep receives the progress of every training and evaluation (nil:
// progress.Auto()). A *progress.Lines reporter is copied for every model,
// since its line schedule is that of a single loop.
func RunWith(ctx context.Context, be compute.Backend, s Scale, outDir string, rep progress.Reporter, opts RunOptions) (*Results, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if be == nil {
		return nil, fmt.Errorf("table: no backend (use backend.New or session.Start)")
	}
	if outDir == "" {
		return nil, fmt.Errorf("table: no output folder given (e.g. out/table)")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if rep == nil {
		rep = progress.Auto()
	}
	start := time.Now()
	priors, err := readPriors(s, outDir, opts.Resume, rep)
	if err != nil {
		return nil, err
	}
	code := codeVersion()
	env := environment()

	// Decide where each model comes from before anything runs, so that a
	// 2-RF model that cannot make its pairs fails now, not hours later.
	jobs := Models(s)
	plans := make(map[ModelID]*plan, len(jobs))
	for _, id := range jobs {
		plans[id] = planModel(be, s, outDir, id, priors)
	}
	for _, id := range jobs {
		if err := planReflow(be, s, outDir, id, plans, priors); err != nil {
			return nil, err
		}
	}

	var fid *classifier.Classifier
	if s.FID && s.IsImage() {
		c, err := classifier.LoadOrTrainMNIST(be, "", s.Classifier)
		if err != nil {
			return nil, fmt.Errorf("table: the digit classifier for FID-MNIST: %w", err)
		}
		fid = c
	}
	var floors []Floor
	if !s.IsImage() || fid != nil {
		for _, data := range s.Data {
			f, err := cachedFloor(be, s, outDir, data, fid, priors)
			if err != nil {
				return nil, err
			}
			floors = append(floors, f)
		}
	}

	done := map[ModelID]*modelResult{}
	cur := Sitting{Code: code, Command: opts.Command, Started: start.UTC()}
	build := func() *Results {
		cur.WallSeconds = time.Since(start).Seconds()
		res := &Results{Format: Format, Scale: s, Code: code, Env: env, Started: start.UTC(),
			SENote: seNote(len(s.Seeds), s.Eval), Floors: floors}
		for _, data := range s.Data {
			for _, key := range s.Methods {
				var row *Row
				for _, seed := range s.Seeds {
					one := done[ModelID{data, key, seed}]
					if one == nil {
						continue
					}
					if row == nil {
						// Row-level fields come from the row's first finished
						// seed (the scale's first seed once it is done). For a
						// result reused from a recorded copy, its samples are
						// the recorded ones (cut and rounded, see Recorded):
						// they are only drawn, never measured.
						m, _ := MethodByKey(key)
						row = &Row{Data: data, Method: m, Config: s.Config(data, key, seed), Steps: s.Steps,
							Params: one.Params, NLLUnit: one.NLLUnit, Samples: one.Samples}
					}
					row.Seeds = append(row.Seeds, one.Result)
					res.ComputeSeconds += one.Result.TrainSeconds + one.Result.EvalSeconds + one.Result.PairSeconds
				}
				if row != nil {
					aggregate(row, len(s.Seeds))
					res.Rows = append(res.Rows, *row)
				}
			}
		}
		for _, id := range jobs {
			if done[id] == nil {
				res.Pending = append(res.Pending, id)
			}
		}
		res.Sittings = append(priorSittings(priors), cur)
		res.Claims = Claims(res)
		res.Finished = time.Now().UTC()
		res.WallSeconds = time.Since(start).Seconds()
		return res
	}
	write := func(res *Results) error {
		if err := res.Write(ResultsPath(outDir, s.Name)); err != nil {
			return err
		}
		return writeAtomic(MarkdownPath(outDir, s.Name), []byte(Markdown(res)))
	}

	for n, id := range jobs {
		data, key, seed := id.Data, id.Method, id.Seed
		if err := ctx.Err(); err != nil {
			kept := "checkpoints in " + outDir
			if len(done) > 0 {
				kept = fmt.Sprintf("the %d finished models are in %s, checkpoints in %s", len(done), ResultsPath(outDir, s.Name), outDir)
			}
			return nil, fmt.Errorf("%w before %s on %s, seed %d: run again to resume (%s)", training.ErrInterrupted, key, data, seed, kept)
		}
		title := fmt.Sprintf("[%d/%d] %s, %s, seed %d", n+1, len(jobs), data, methodName(key), seed)
		p := plans[id]
		var one *modelResult
		switch {
		case p.stored != nil:
			one = p.stored
			for _, pr := range priors {
				pr.used = pr.used || pr.own // the folder's own file has the sittings that made it
			}
			rep.Report(progress.NewMeter(title, s.Steps, s.Steps, 0).Final(s.Steps, "trained and evaluated earlier: "+summary(one)))
		case p.reuse != nil:
			one = p.reuse
			p.from.used = true
			cur.Reused++
			rep.Report(progress.NewMeter(title, s.Steps, s.Steps, 0).Final(s.Steps, "reused from "+p.from.path+": "+summary(one)))
		default:
			if p.why != "" {
				rep.Report(progress.NewMeter(title, 0, s.Steps, 0).Final(0, p.why))
			}
			one, err = runModel(ctx, be, s, outDir, data, key, seed, fid, fresh(rep), title, code, p.baseWeights)
			if err != nil {
				return nil, err
			}
			cur.Ran++
		}
		done[id] = one
		if err := write(build()); err != nil {
			return nil, err
		}
	}
	res := build()
	if err := write(res); err != nil {
		return nil, err
	}
	return res, nil
}

func methodName(key string) string {
	m, err := MethodByKey(key)
	if err != nil {
		return key
	}
	return m.Name
}

// fresh returns a reporter for one loop: a copy of a *progress.Lines (whose
// schedule of lines is per loop), rep itself otherwise.
func fresh(rep progress.Reporter) progress.Reporter {
	if l, ok := rep.(*progress.Lines); ok {
		return &progress.Lines{W: l.W, Every: l.Every, MinGap: l.MinGap}
	}
	return rep
}

// titled replaces the title of every status.
type titled struct {
	rep   progress.Reporter
	title string
}

func (t titled) Report(s progress.Status) {
	s.Title = t.title
	t.rep.Report(s)
}

// modelResult is what runModel returns and stores in EvalFile.
type modelResult struct {
	Format  string      `json:"format"`
	Key     string      `json:"key"` // the evaluation settings the result was measured with
	Params  int         `json:"params"`
	NLLUnit string      `json:"nll_unit"`
	Result  SeedResult  `json:"result"`
	Samples [][]float64 `json:"samples,omitempty"`
}

// evalKey is the part of the scale an evaluation depends on, besides the
// model itself: a stored evaluation is reused only when it matches.
func evalKey(s Scale) string {
	b, _ := json.Marshal(struct {
		Eval  Eval  `json:"eval"`
		Fixed Fixed `json:"fixed"`
		FID   bool  `json:"fid"`
		Steps int64 `json:"steps"`
	}{s.Eval, s.Fixed, s.FID && s.IsImage(), s.Steps})
	return string(b)
}

func readEval(dir, key string) *modelResult {
	b, err := os.ReadFile(filepath.Join(dir, EvalFile))
	if err != nil {
		return nil
	}
	var m modelResult
	if json.Unmarshal(b, &m) != nil || m.Format != Format || m.Key != key {
		return nil
	}
	return &m
}

// storedEval returns the stored evaluation of a model that outDir holds
// trained for all its steps and evaluated with the scale's evaluation
// settings, or nil. It creates nothing.
func storedEval(be compute.Backend, s Scale, outDir string, id ModelID) *modelResult {
	dir := ModelDir(outDir, s.Name, id.Data, id.Method, id.Seed)
	stored := readEval(dir, evalKey(s))
	if stored == nil {
		return nil
	}
	m, err := recipe.Load(be, s.Config(id.Data, id.Method, id.Seed), dir)
	if err != nil || m.Run().Step() < s.Steps {
		return nil
	}
	return stored
}

// runModel trains (or resumes) one model and evaluates it. baseWeights is
// where 2-RF loads its base model from when the base has no checkpoint in
// outDir ("" for none: see reflowPairs).
func runModel(ctx context.Context, be compute.Backend, s Scale, outDir, data, key string, seed uint64,
	fid *classifier.Classifier, rep progress.Reporter, title string, code Code, baseWeights string) (*modelResult, error) {
	meth, _ := MethodByKey(key)
	dir := ModelDir(outDir, s.Name, data, key, seed)
	rel, _ := filepath.Rel(outDir, dir)
	cfg := s.Config(data, key, seed)
	m, err := recipe.Open(be, cfg, dir)
	if err != nil {
		return nil, fmt.Errorf("table: %s: %w", title, err)
	}
	ekey := evalKey(s)

	var pairSeconds float64
	trep := titled{rep, title + ": training"}
	spans, err := startSpan(dir, m.Run().Step(), cfg.Steps, code)
	if err != nil {
		return nil, fmt.Errorf("table: %s: %w", title, err)
	}
	trained, err := trainModel(ctx, be, s, outDir, data, seed, dir, meth, m, cfg, trep, baseWeights)
	if spans, err2 := endSpan(dir, spans, m.Run().Step()); err2 == nil {
		trained = trained.withSpans(spans)
	} else if err == nil {
		err = err2
	}
	if err != nil {
		return nil, err
	}
	pairSeconds = trained.pairSeconds
	if pairSeconds == 0 && meth.ReflowOf != "" {
		pairSeconds, _ = readPairsHeader(filepath.Join(dir, PairsFile))
	}

	emeter := progress.NewMeter(title+": evaluating", 0, 1, 0)
	rep.Report(emeter.Observe(0, math.NaN()))
	out, err := evaluate(m, s, fid)
	if err != nil {
		return nil, fmt.Errorf("table: %s: %w", title, err)
	}
	out.Key = ekey
	out.Result.Seed, out.Result.Dir, out.Result.PairSeconds = seed, rel, pairSeconds
	out.Result.Code, out.Result.Commit, out.Result.Trained = code.Describe, code.Commit, trained.spans
	h := m.Run().History()
	out.Result.Steps = m.Run().Step()
	for _, ss := range h.Sessions {
		out.Result.TrainSeconds += ss.Seconds
	}
	out.Result.FinalLoss = Num(math.NaN())
	if n := len(h.Loss); n > 0 {
		tail := h.Loss[max(0, n-100):]
		sum := 0.0
		for _, l := range tail {
			sum += l
		}
		out.Result.FinalLoss = Num(sum / float64(len(tail)))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("table: encoding the evaluation: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, EvalFile), b); err != nil {
		return nil, err
	}
	rep.Report(emeter.Final(1, summary(out)))
	return out, nil
}

// trainResult is what trainModel did.
type trainResult struct {
	pairSeconds float64
	spans       []CodeSpan
}

func (t trainResult) withSpans(s []CodeSpan) trainResult { t.spans = s; return t }

// trainModel trains (or resumes) one model: from its data, or from the
// base model's pairs for 2-RF.
func trainModel(ctx context.Context, be compute.Backend, s Scale, outDir, data string, seed uint64, dir string,
	meth Method, m *recipe.Model, cfg recipe.Config, trep progress.Reporter, baseWeights string) (trainResult, error) {
	var out trainResult
	if meth.ReflowOf != "" {
		if m.Run().Step() < cfg.Steps {
			x0, x1, sec, err := reflowPairs(be, s, outDir, data, meth.ReflowOf, seed, dir, baseWeights)
			if err != nil {
				return out, fmt.Errorf("table: %s on %s, seed %d: %w", meth.Name, data, seed, err)
			}
			out.pairSeconds = sec
			stepper := training.Steps(m.Trainer().PairStepper(training.FixedPairs(x0, x1), cfg.Batch))
			return out, m.Run().Train(ctx, stepper, training.Options{Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed, Progress: trep})
		}
		return out, nil
	}
	return out, m.Train(ctx, trep)
}

// readSpans reads a model's CodeFile (none: no spans).
func readSpans(dir string) ([]CodeSpan, error) {
	b, err := os.ReadFile(filepath.Join(dir, CodeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	var spans []CodeSpan
	if err := json.Unmarshal(b, &spans); err != nil {
		return nil, fmt.Errorf("table: %s is damaged (%v): delete it (it only records which code trained the model)", filepath.Join(dir, CodeFile), err)
	}
	return spans, nil
}

// startSpan records in dir/CodeFile that code is about to train the model
// from step to steps (nothing when it is trained already), and returns the
// spans. A previous session that was killed before it could record where it
// ended gets the step its last checkpoint reached.
func startSpan(dir string, step, steps int64, code Code) ([]CodeSpan, error) {
	spans, err := readSpans(dir)
	if err != nil {
		return nil, err
	}
	if n := len(spans); n > 0 && spans[n-1].To < step {
		spans[n-1].To = step
	}
	if step >= steps {
		return spans, nil
	}
	spans = append(spans, CodeSpan{From: step, To: step, Describe: code.Describe, Commit: code.Commit})
	return spans, writeSpans(dir, spans)
}

// endSpan records the step the current session reached.
func endSpan(dir string, spans []CodeSpan, step int64) ([]CodeSpan, error) {
	if n := len(spans); n > 0 && spans[n-1].To < step {
		spans[n-1].To = step
		return spans, writeSpans(dir, spans)
	}
	return spans, nil
}

func writeSpans(dir string, spans []CodeSpan) error {
	b, err := json.MarshalIndent(spans, "", " ")
	if err != nil {
		return fmt.Errorf("table: encoding %s: %w", CodeFile, err)
	}
	return writeAtomic(filepath.Join(dir, CodeFile), append(b, '\n'))
}

// summary is the one-line result of a model for progress displays.
func summary(m *modelResult) string {
	r := m.Result
	s := fmt.Sprintf("NFE %.0f, NLL %.3f %s", float64(r.NFE), float64(r.NLL), m.NLLUnit)
	if r.NLLOneSample != nil {
		s += fmt.Sprintf(" (K = 1: %.3f)", float64(*r.NLLOneSample))
	}
	if r.Energy.OK() {
		s += fmt.Sprintf(", energy %.4f, W2 %.3f", float64(r.Energy), float64(r.W2))
	}
	if r.FID.OK() {
		s += fmt.Sprintf(", FID-MNIST %.2f", float64(r.FID))
	}
	return s + fmt.Sprintf(" (%.0f s)", r.EvalSeconds)
}

// evaluate measures one trained model: recipe's Evaluate (Dopri5 NFE, NLL,
// sample quality), then the fixed-step curve from the same noise.
func evaluate(m *recipe.Model, s Scale, fid *classifier.Classifier) (*modelResult, error) {
	start := time.Now()
	e := s.Eval
	opts := recipe.EvalOptions{Samples: e.Samples, NLLPoints: e.NLLPoints, K: e.K, Probes: e.Probes, Tol: e.Tol, Chunk: e.Chunk, Seed: e.Seed}
	if fid != nil {
		opts.FID = fid
	}
	rep, err := m.Evaluate(opts)
	if err != nil {
		return nil, err
	}
	r := SeedResult{NFE: Num(rep.NFE), NFESE: Num(rep.NFEStdErr), NLL: Num(rep.NLL), NLLSE: Num(rep.NLLStdErr),
		Energy: Num(rep.Energy), W2: Num(rep.W2), FID: Num(rep.FID)}
	if v := Num(rep.NLLOneSample); v.OK() {
		se := Num(rep.NLLOneSampleStdErr)
		r.NLLOneSample, r.NLLOneSampleSE = &v, &se
	}
	// The same noise and held-out points as Evaluate (see recipe.Model.Evaluate).
	noise := m.Noise(e.Samples, e.Seed)
	held, err := m.HeldOut(e.Samples, e.Seed+1)
	if err != nil {
		return nil, err
	}
	st, _ := Stages(s.Fixed.Solver)
	for _, nfe := range s.Fixed.NFE {
		opt, err := Solver{Method: s.Fixed.Solver, Steps: nfe / st}.Options()
		if err != nil {
			return nil, err
		}
		x, _, err := m.TransportChunks(noise, e.Chunk, opt)
		if err != nil {
			return nil, fmt.Errorf("fixed-step sampling (%s, NFE %d): %w", s.Fixed.Solver, nfe, err)
		}
		fp := FixedSeed{NFE: nfe, Quality: Num(math.NaN()), Error: Num(rmsDiff(x, rep.Samples))}
		switch {
		case !m.Config.IsImage():
			q, err := metrics.EnergyDistance(x, held)
			if err != nil {
				return nil, err
			}
			fp.Quality = Num(q)
		case fid != nil:
			q, err := fid.FID(held, x)
			if err != nil {
				return nil, err
			}
			fp.Quality = Num(q)
		}
		r.Fixed = append(r.Fixed, fp)
	}
	r.EvalSeconds = time.Since(start).Seconds()
	keep := rep.Samples[:min(e.Keep, len(rep.Samples))]
	if m.Config.IsImage() {
		keep = classifier.Clip(keep)
	}
	return &modelResult{Format: Format, Params: networkParams(m), NLLUnit: rep.NLLUnit, Result: r, Samples: keep}, nil
}

// floor scores the evaluation's held-out points (the same recipe.Model.HeldOut
// stream Evaluate uses) against a second, independent held-out sample of the
// same size: for 2D data another stream of the data set (energy distance and
// W2); for images the next Eval.Samples test images after the evaluation's
// (FID-MNIST with fid; HeldOut(n) returns the first n test images whatever
// the seed, so the second sample skips them).
func floor(be compute.Backend, s Scale, data string, fid *classifier.Classifier) (Floor, error) {
	nan := Num(math.NaN())
	f := Floor{Data: data, Energy: nan, W2: nan, FID: nan}
	m, err := recipe.Open(be, s.Config(data, "fm-ot", s.Seeds[0]), "")
	if err != nil {
		return f, err
	}
	n := s.Eval.Samples
	a, err := m.HeldOut(n, s.Eval.Seed+1)
	if err != nil {
		return f, err
	}
	if m.Config.IsImage() {
		if fid == nil {
			return f, nil
		}
		b, err := m.HeldOut(2*n, s.Eval.Seed+0x5eed)
		if err != nil {
			return f, fmt.Errorf("the FID-MNIST floor needs %d test images (twice the evaluation's samples): %w", 2*n, err)
		}
		q, err := fid.FID(a, b[n:])
		if err != nil {
			return f, err
		}
		f.FID = Num(q)
		return f, nil
	}
	b, err := m.HeldOut(n, s.Eval.Seed+0x5eed)
	if err != nil {
		return f, err
	}
	e, err := metrics.EnergyDistance(a, b)
	if err != nil {
		return f, err
	}
	w, err := metrics.W2(a, b)
	if err != nil {
		return f, err
	}
	f.Energy, f.W2 = Num(e), Num(w)
	return f, nil
}

// rmsDiff is sqrt(mean over points and coordinates of (a - b)^2).
func rmsDiff(a, b [][]float64) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	sum, n := 0.0, 0
	for i := range a {
		for j := range a[i] {
			d := a[i][j] - b[i][j]
			sum += d * d
			n++
		}
	}
	return math.Sqrt(sum / float64(n))
}

// networkParams counts the network's trainable values: the variables under
// the network's scope ("/mlp" or "/unet"), not the optimizer's moments,
// step counter or random state.
func networkParams(m *recipe.Model) int {
	prefix := "/" + m.Config.Net + "/"
	n := 0
	for v := range m.Store().IterVariables() {
		if strings.HasPrefix(v.Path(), prefix) {
			n += v.Shape().Size()
		}
	}
	return n
}

// aggregate fills a row's statistics from its seed results; seeds is the
// number of seeds the scale runs. With one seed the NFE's and NLL's +- is
// the evaluation's own standard error (see seNote); a row of a scale with
// several seeds that has one so far (a partial file) has none (NaN): the
// standard error over seeds is undefined for one seed.
func aggregate(r *Row, seeds int) {
	col := func(f func(SeedResult) Num, within func(SeedResult) Num) Stat {
		vals := make([]Num, len(r.Seeds))
		for i, s := range r.Seeds {
			vals[i] = f(s)
		}
		st := statOf(vals)
		if st.N == 1 && seeds == 1 && within != nil {
			for _, s := range r.Seeds {
				if f(s).OK() {
					st.SE = within(s)
				}
			}
		}
		return st
	}
	r.NFE = col(func(s SeedResult) Num { return s.NFE }, func(s SeedResult) Num { return s.NFESE })
	r.NLL = col(func(s SeedResult) Num { return s.NLL }, func(s SeedResult) Num { return s.NLLSE })
	r.NLLOneSample = nil
	if len(r.Seeds) > 0 && !slices.ContainsFunc(r.Seeds, func(s SeedResult) bool { return s.NLLOneSample == nil }) {
		st := col(func(s SeedResult) Num { return *s.NLLOneSample }, func(s SeedResult) Num {
			if s.NLLOneSampleSE == nil {
				return Num(math.NaN())
			}
			return *s.NLLOneSampleSE
		})
		r.NLLOneSample = &st
	}
	r.Energy = col(func(s SeedResult) Num { return s.Energy }, nil)
	r.W2 = col(func(s SeedResult) Num { return s.W2 }, nil)
	r.FID = col(func(s SeedResult) Num { return s.FID }, nil)
	r.Fixed = nil
	if len(r.Seeds) == 0 {
		return
	}
	for k, f := range r.Seeds[0].Fixed {
		fp := FixedPoint{NFE: f.NFE}
		fp.Quality = col(func(s SeedResult) Num { return s.Fixed[k].Quality }, nil)
		fp.Error = col(func(s SeedResult) Num { return s.Fixed[k].Error }, nil)
		r.Fixed = append(r.Fixed, fp)
	}
}

// statOf is the mean of the finite values and its standard error
// (sample standard deviation / sqrt(n); NaN for fewer than 2 values).
func statOf(v []Num) Stat {
	var ok []float64
	for _, x := range v {
		if x.OK() {
			ok = append(ok, float64(x))
		}
	}
	mean, se := metrics.MeanSE(ok)
	return Stat{Mean: Num(mean), SE: Num(se), N: len(ok)}
}

func seNote(seeds int, e Eval) string {
	if seeds >= 2 {
		return fmt.Sprintf("+- is the standard error of the mean over the %d seeds (sample sd / sqrt(%d)). Each seed is a separate training run "+
			"(initial weights, minibatches, noise and times) evaluated on the same noise and held-out points, so it covers the "+
			"randomness of training and of the generated samples, not that of the fixed evaluation points; the per-seed results "+
			"also give the evaluation-only errors (NLL over the %d held-out points, NFE over the solves of %d points).", seeds, seeds, e.NLLPoints, e.Chunk)
	}
	return fmt.Sprintf("One seed: +- covers only the evaluation noise of one trained model (NLL: over the %d held-out points; NFE: over the "+
		"solves of %d points). Sample-quality metrics have no error bar here, and the randomness of training is not covered.", e.NLLPoints, e.Chunk)
}

func environment() Env {
	return Env{Backend: backend.Last().String(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPUs: runtime.NumCPU(), GOEXPERIMENT: goExperiment(), GODEBUG: os.Getenv("GODEBUG")}
}

// goExperiment is the GOEXPERIMENT this binary was built with, from its
// build information: a built program's experiments are fixed at build time,
// and the variable in the environment it runs in says nothing about them.
// Without build information it falls back to the environment.
func goExperiment() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOEXPERIMENT" {
				return s.Value
			}
		}
	}
	return os.Getenv("GOEXPERIMENT")
}

// pairsMagic starts a pairs file: then n, d (uint32), the training steps
// of the base model (int64), the seconds it took to make (float64), and
// n*d float32 noise values followed by n*d samples.
const pairsMagic = "GOFM-PAIRS-2\n"

const pairsHeader = len(pairsMagic) + 24

// reflowPairs returns the 2-RF training pairs of the base method's model
// (same data and seed), made once and kept in dir/PairsFile. The base is
// read from its checkpoint in outDir, or, when that is missing or not
// trained to the end, from the recorded weights at baseWeights (the base
// was reused from a results file; "" for none): the same model, exported,
// so the pairs are the same (same noise stream, same weights).
func reflowPairs(be compute.Backend, s Scale, outDir, data, base string, seed uint64, dir, baseWeights string) (x0, x1 [][]float64, seconds float64, err error) {
	path := filepath.Join(dir, PairsFile)
	if x0, x1, steps, sec, err := readPairs(path); err == nil {
		if steps != s.Steps {
			return nil, nil, 0, fmt.Errorf("%s holds pairs of a %s model trained %d steps, but this scale trains %d: delete %s to train 2-RF again from the new model", path, base, steps, s.Steps, dir)
		}
		return x0, x1, sec, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0, err
	}
	start := time.Now()
	bcfg := s.Config(data, base, seed)
	bdir := ModelDir(outDir, s.Name, data, base, seed)
	bm, err := recipe.Load(be, bcfg, bdir)
	if err == nil && bm.Run().Step() < s.Steps {
		err = fmt.Errorf("%s is trained %d of its %d steps", bdir, bm.Run().Step(), s.Steps)
	}
	if err != nil && baseWeights != "" {
		bm, err = loadWeights(be, bcfg, s.Steps, baseWeights)
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reflow needs the trained %s model: %w", base, err)
	}
	opt, err := s.Reflow.Solver.Options()
	if err != nil {
		return nil, nil, 0, err
	}
	// A noise stream of its own: not the evaluation's (Eval.Seed) nor training's.
	x0 = bm.Noise(s.Reflow.Pairs, 0x2ef10a^seed)
	x1, _, err = bm.TransportChunks(x0, max(s.Eval.Chunk, 1), opt)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reflow pairs: %w", err)
	}
	seconds = time.Since(start).Seconds()
	if err := writePairs(path, x0, x1, bm.Run().Step(), seconds); err != nil {
		return nil, nil, 0, err
	}
	return x0, x1, seconds, nil
}

func writePairs(path string, x0, x1 [][]float64, baseSteps int64, seconds float64) error {
	n, d := len(x0), len(x0[0])
	var b bytes.Buffer
	b.WriteString(pairsMagic)
	binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(n), uint32(d)})
	binary.Write(&b, binary.LittleEndian, baseSteps)
	binary.Write(&b, binary.LittleEndian, seconds)
	for _, set := range [][][]float64{x0, x1} {
		row := make([]float32, d)
		for _, r := range set {
			for j, v := range r {
				row[j] = float32(v)
			}
			binary.Write(&b, binary.LittleEndian, row)
		}
	}
	return writeAtomic(path, b.Bytes())
}

func readPairsHeader(path string) (seconds float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, pairsHeader)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:len(pairsMagic)]) != pairsMagic {
		return 0, fmt.Errorf("table: %s is not a pairs file", path)
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(head[len(pairsMagic)+16:])), nil
}

func readPairs(path string) (x0, x1 [][]float64, baseSteps int64, seconds float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	bad := fmt.Errorf("table: %s is damaged (delete it: it is made again from the base model)", path)
	if !bytes.HasPrefix(b, []byte(pairsMagic)) || len(b) < pairsHeader {
		return nil, nil, 0, 0, bad
	}
	b = b[len(pairsMagic):]
	n, d := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
	baseSteps = int64(binary.LittleEndian.Uint64(b[8:]))
	seconds = math.Float64frombits(binary.LittleEndian.Uint64(b[16:]))
	b = b[24:]
	if n < 1 || d < 1 || len(b) != 2*n*d*4 {
		return nil, nil, 0, 0, bad
	}
	read := func() [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			out[i] = make([]float64, d)
			for j := range out[i] {
				v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
				out[i][j] = v
				b = b[4:]
			}
		}
		return out
	}
	x0 = read()
	x1 = read()
	for _, set := range [][][]float64{x0, x1} {
		for _, r := range set {
			if slices.ContainsFunc(r, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
				return nil, nil, 0, 0, bad
			}
		}
	}
	return x0, x1, baseSteps, seconds, nil
}
