package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/gofm/gofm/fmlib/classifier"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gomlx/compute"
)

// prior is a results file a run continues from.
type prior struct {
	path string // as found or given
	own  bool   // the run folder's own results file
	r    *Results
	used bool // a model of the run came from it (or, for the own file, from the folder's checkpoints)
}

// readPriors reads the results a run continues from: the run folder's own
// results file (when there is one), then the one resume names (a file, or
// a folder holding results-<scale>.json). A file that exists but does not
// read, or that holds another scale, is an error: a run never silently
// starts over.
func readPriors(s Scale, outDir, resume string, rep progress.Reporter) ([]*prior, error) {
	var out []*prior
	own := ResultsPath(outDir, s.Name)
	r, err := Read(own)
	switch {
	case err == nil:
		if held := heldScale(r, s); held != "" {
			return nil, fmt.Errorf("table: %s holds the results of scale %s, not %s: move it away, or run with another -out (this run writes its results there)", own, held, s.Name)
		}
		out = append(out, &prior{path: own, own: true, r: r})
	case errors.Is(err, ErrNoResults):
	default:
		return nil, fmt.Errorf("%w; it is the results file of an earlier run in %s, which this run continues from: move it away to run without it", err, outDir)
	}
	if resume == "" {
		return out, nil
	}
	path := resume
	fi, err := os.Stat(resume)
	if err != nil {
		return nil, fmt.Errorf("table: the results to resume from, %s, do not exist: name a results file or the folder that holds results-%s.json (e.g. docs/results)", resume, s.Name)
	}
	if fi.IsDir() {
		path = ResultsPath(resume, s.Name)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			rep.Report(progress.NewMeter("resume", 0, 0, 0).Final(0, fmt.Sprintf("%s has no results of scale %s yet (%s): nothing to resume from it", resume, s.Name, filepath.Base(path))))
			return out, nil
		}
	}
	if len(out) > 0 && sameFile(out[0].path, path) {
		return out, nil
	}
	r, err = Read(path)
	if err != nil {
		return nil, fmt.Errorf("%w; it is the file this run was told to resume from: restore it (e.g. git checkout -- %s) or resume from another", err, path)
	}
	if held := heldScale(r, s); held != "" {
		return nil, fmt.Errorf("table: %s holds the results of scale %s, not %s: resume from that scale's results (%s)", path, held, s.Name, ResultsPath(filepath.Dir(path), s.Name))
	}
	return append(out, &prior{path: path, r: r}), nil
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// lookup returns the prior's result of model id as a result of a run of s,
// or nil and why it cannot stand in for one made now (one line; "" when
// the prior does not have the model). It stands in when the prior measured
// it with the same evaluation settings (evalKey, and the FID classifier),
// trained it with the same recipe set-up and steps, and, for 2-RF, made
// its pairs the same way.
func (p *prior) lookup(s Scale, id ModelID) (*modelResult, string) {
	row := p.r.Row(id.Data, id.Method)
	if row == nil {
		return nil, ""
	}
	idx := slices.IndexFunc(row.Seeds, func(sr SeedResult) bool { return sr.Seed == id.Seed })
	if idx < 0 {
		return nil, ""
	}
	ps := p.r.Scale
	if a, b := evalKey(ps), evalKey(s); a != b {
		return nil, "its evaluation settings differ (" + jsonDiff([]byte(a), []byte(b)) + ")"
	}
	if s.FID && s.IsImage() {
		a, _ := json.Marshal(ps.Classifier)
		b, _ := json.Marshal(s.Classifier)
		if !bytes.Equal(a, b) {
			return nil, "its FID-MNIST classifier differs (" + jsonDiff(a, b) + ")"
		}
	}
	cfg := row.Config
	cfg.Seed = id.Seed // Row.Config is the first seed's
	a, _ := json.Marshal(cfg)
	b, _ := json.Marshal(s.Config(id.Data, id.Method, id.Seed))
	if !bytes.Equal(a, b) {
		return nil, "its training set-up differs (" + jsonDiff(a, b) + ")"
	}
	sr := row.Seeds[idx]
	if sr.Steps != s.Steps {
		return nil, fmt.Sprintf("it was trained %d steps, this scale trains %d", sr.Steps, s.Steps)
	}
	if m, _ := MethodByKey(id.Method); m.ReflowOf != "" && ps.Reflow != s.Reflow {
		return nil, fmt.Sprintf("its reflow pairs were made otherwise (%d pairs, %s; now %d, %s)",
			ps.Reflow.Pairs, solverText(ps.Reflow.Solver), s.Reflow.Pairs, solverText(s.Reflow.Solver))
	}
	out := &modelResult{Format: Format, Key: evalKey(s), Params: row.Params, NLLUnit: row.NLLUnit, Result: sr}
	if out.Result.Reused == "" {
		out.Result.Reused = p.path
	}
	if idx == 0 {
		out.Samples = row.Samples // the row's samples are its first seed's
	}
	return out, ""
}

// jsonDiff names the fields in which two JSON objects differ, nested one
// level ("eval.samples 64, now 48"), with the values of scalars.
func jsonDiff(a, b []byte) string {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	var out []string
	var walk func(prefix string, x, y any, depth int)
	walk = func(prefix string, x, y any, depth int) {
		mx, okX := x.(map[string]any)
		my, okY := y.(map[string]any)
		if !okX || !okY || depth == 0 {
			if reflect.DeepEqual(x, y) {
				return
			}
			_, mapX := x.(map[string]any)
			_, mapY := y.(map[string]any)
			if mapX || mapY {
				out = append(out, prefix)
				return
			}
			vx, _ := json.Marshal(x)
			vy, _ := json.Marshal(y)
			out = append(out, fmt.Sprintf("%s %s, now %s", prefix, vx, vy))
			return
		}
		keys := map[string]bool{}
		for k := range mx {
			keys[k] = true
		}
		for k := range my {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, mx[k], my[k], depth-1)
		}
	}
	walk("", x, y, 2)
	if len(out) == 0 {
		return "in their encoding"
	}
	return strings.Join(out, "; ")
}

// plan is where one model of a run comes from.
type plan struct {
	stored *modelResult // trained and evaluated in the run folder
	reuse  *modelResult // taken from a prior results file...
	from   *prior       // ...this one
	why    string       // not taken from the priors that have it: why (one line)
	// baseWeights (2-RF to be trained) are the recorded weights its pairs
	// are made from when its base was reused and has no checkpoint here.
	baseWeights string
}

// planModel decides where model id comes from: the run folder, a prior
// results file (the first that has it with the same settings), or a new
// training and evaluation.
func planModel(be compute.Backend, s Scale, outDir string, id ModelID, priors []*prior) *plan {
	p := &plan{}
	if p.stored = storedEval(be, s, outDir, id); p.stored != nil {
		return p
	}
	var whys []string
	for _, pr := range priors {
		res, why := pr.lookup(s, id)
		if res != nil {
			p.reuse, p.from = res, pr
			return p
		}
		if why != "" {
			whys = append(whys, "not reused from "+pr.path+": "+why)
		}
	}
	p.why = strings.Join(whys, "; ")
	return p
}

// planReflow finds where a 2-RF model that the run trains gets its base
// model when the base was reused from a results file and has no trained
// checkpoint in outDir: the weights recorded beside a prior results file
// that holds the base with the same settings (Results.RecordRun writes
// them). It is an error when the pairs still have to be made and there are
// no such weights: found before any training, not hours later.
func planReflow(be compute.Backend, s Scale, outDir string, id ModelID, plans map[ModelID]*plan, priors []*prior) error {
	meth, _ := MethodByKey(id.Method)
	p := plans[id]
	if meth.ReflowOf == "" || p.stored != nil || p.reuse != nil {
		return nil
	}
	bid := ModelID{Data: id.Data, Method: meth.ReflowOf, Seed: id.Seed}
	bp := plans[bid]
	if bp == nil || bp.reuse == nil {
		return nil // the base is trained in outDir (now or earlier): reflowPairs reads its checkpoint
	}
	cfg := s.Config(id.Data, id.Method, id.Seed)
	dir := ModelDir(outDir, s.Name, id.Data, id.Method, id.Seed)
	if _, _, steps, _, err := readPairs(filepath.Join(dir, PairsFile)); err == nil && steps == s.Steps {
		return nil // the pairs are made
	}
	if m, err := recipe.Load(be, cfg, dir); err == nil && m.Run().Step() >= s.Steps {
		return nil // trained already: no pairs needed
	}
	bcfg := s.Config(bid.Data, bid.Method, bid.Seed)
	bdir := ModelDir(outDir, s.Name, bid.Data, bid.Method, bid.Seed)
	if m, err := recipe.Load(be, bcfg, bdir); err == nil && m.Run().Step() >= s.Steps {
		return nil
	}
	var tried []string
	for _, pr := range priors {
		if res, _ := pr.lookup(s, bid); res == nil {
			continue
		}
		w := WeightsPath(filepath.Dir(pr.path), s.Name, bid.Data, bid.Method, bid.Seed)
		if _, _, err := checkWeights(w, bcfg, s.Steps); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		p.baseWeights = w
		return nil
	}
	return fmt.Errorf("table: %s is to be trained on pairs made by %s, which this run reuses from %s; but that model has no trained checkpoint in %s, and %s. "+
		"Resume from a copy recorded with `fmtable -record DIR` (Results.RecordRun), which keeps the weights of the models 2-RF trains from beside the results, "+
		"or run in the -out folder that holds the checkpoint",
		id, bid, bp.from.path, bdir, strings.Join(tried, "; "))
}

// priorSittings are the sittings of the prior results files that models of
// the run came from, oldest first, without repeats and without sittings
// that made no model. A file written before sittings were recorded counts
// as one sitting: the Run call that wrote it.
func priorSittings(priors []*prior) []Sitting {
	var out []Sitting
	for _, pr := range priors {
		if !pr.used {
			continue
		}
		ss := pr.r.Sittings
		if len(ss) == 0 {
			ran := 0
			for _, row := range pr.r.Rows {
				for _, sr := range row.Seeds {
					if sr.Reused == "" {
						ran++
					}
				}
			}
			ss = []Sitting{{Code: pr.r.Code, Started: pr.r.Started, WallSeconds: pr.r.WallSeconds, Ran: ran}}
		}
		for _, st := range ss {
			if st.Ran == 0 || slices.ContainsFunc(out, func(o Sitting) bool { return o.Started.Equal(st.Started) && o.Code == st.Code }) {
				continue
			}
			out = append(out, st)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// floorCache is the file in which a run keeps a data set's floor.
type floorCache struct {
	Key   string `json:"key"` // floorKey: what the floor depends on
	Floor Floor  `json:"floor"`
}

// floorKey is everything the floor of data depends on: the evaluation's
// sample size and seed, and for images the FID-MNIST classifier.
func floorKey(s Scale, data string) string {
	k := struct {
		Version    int               `json:"version"` // of floor's computation
		Data       string            `json:"data"`
		Samples    int               `json:"samples"`
		Seed       uint64            `json:"seed"`
		FID        bool              `json:"fid"`
		Classifier classifier.Config `json:"classifier,omitzero"`
	}{Version: 1, Data: data, Samples: s.Eval.Samples, Seed: s.Eval.Seed, FID: s.FID && s.IsImage()}
	if k.FID {
		k.Classifier = s.Classifier
	}
	b, _ := json.Marshal(k)
	return string(b)
}

// cachedFloor returns the floor of data: from outDir/<scale>/floor-<data>.json
// when a run computed it with the same settings, else from a prior
// results file with the same settings, else computed (and cached).
func cachedFloor(be compute.Backend, s Scale, outDir, data string, fid *classifier.Classifier, priors []*prior) (Floor, error) {
	path := filepath.Join(outDir, s.Name, "floor-"+data+".json")
	key := floorKey(s, data)
	var c floorCache
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &c) == nil && c.Key == key && c.Floor.Data == data {
		return c.Floor, nil
	}
	f, found := Floor{}, false
	for _, pr := range priors {
		if pf := pr.r.Floor(data); floorKey(pr.r.Scale, data) == key && (pf.FID.OK() || pf.Energy.OK()) {
			f, found = pf, true
			break
		}
	}
	if !found {
		var err error
		if f, err = floor(be, s, data, fid); err != nil {
			return f, fmt.Errorf("table: the floor of %s: %w", data, err)
		}
	}
	b, err := json.MarshalIndent(floorCache{Key: key, Floor: f}, "", " ")
	if err != nil {
		return f, fmt.Errorf("table: encoding the floor: %w", err)
	}
	return f, writeAtomic(path, append(b, '\n'))
}
