package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/internal/atomicfile"
)

// Format tags a results file; Read rejects files of another format.
const Format = "gofm-table/1"

// Num is a float64 whose JSON form is null when it is NaN or infinite (a
// metric that was not measured, a standard error of a single value), since
// JSON has no NaN. null reads back as NaN.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = Num(f)
	return nil
}

// OK reports whether n is a measured (finite) value.
func (n Num) OK() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }

// Stat is a mean over the seeds of a method and its standard error (see
// Results.SENote for what the error covers).
type Stat struct {
	Mean Num `json:"mean"`
	SE   Num `json:"se"`
	N    int `json:"n"` // seeds with a value
}

// Code identifies the version of the code that produced a results file.
type Code struct {
	Describe string `json:"describe"`         // git describe --always --dirty --tags, or the module version
	Commit   string `json:"commit,omitempty"` // full commit hash when known
	Dirty    bool   `json:"dirty"`            // uncommitted changes in the working tree
	Source   string `json:"source"`           // where it came from: "git", "build info" or "unknown"
}

// Env describes the machine and build of a run.
type Env struct {
	Backend      string `json:"backend"`                // backend.Last() at the start of the run
	Go           string `json:"go"`                     // runtime.Version()
	OS           string `json:"os"`                     // GOOS/GOARCH
	CPUs         int    `json:"cpus"`                   // runtime.NumCPU()
	GOEXPERIMENT string `json:"goexperiment,omitempty"` // as built (in older files: the variable in the run's environment)
	GODEBUG      string `json:"godebug,omitempty"`
}

// FixedSeed is one point of a model's fixed-step curve.
type FixedSeed struct {
	NFE     int `json:"nfe"`
	Quality Num `json:"quality"` // 2D: energy distance to held-out data; images: FID-MNIST (NaN without a classifier)
	Error   Num `json:"error"`   // RMS per coordinate of (fixed-step sample - Dopri5 sample) from the same noise
}

// SeedResult is the measurement of one trained model.
type SeedResult struct {
	Seed         uint64  `json:"seed"`
	Dir          string  `json:"dir"`                    // checkpoint directory, relative to the output folder
	Code         string  `json:"code"`                   // Code.Describe of the run that trained (or finished training) and evaluated it
	Steps        int64   `json:"steps"`                  // training steps done
	FinalLoss    Num     `json:"final_loss"`             // mean loss of the last 100 steps
	TrainSeconds float64 `json:"train_seconds"`          // wall time of training, summed over resumed sessions
	EvalSeconds  float64 `json:"eval_seconds"`           // wall time of the evaluation
	PairSeconds  float64 `json:"pair_seconds,omitempty"` // 2-RF: wall time to make the reflow pairs
	NFE          Num     `json:"nfe"`                    // mean Dopri5 NFE per solve of Eval.Chunk points
	NFESE        Num     `json:"nfe_se"`                 // its standard error over the solves
	NLL          Num     `json:"nll"`                    // mean held-out NLL (2D nats per point, images bits/dim: the bound with Eval.K dequantizations)
	NLLSE        Num     `json:"nll_se"`                 // its standard error over the points
	// NLLOneSample (images, in files that have it) is the one-sample
	// (K = 1) bound in bits/dim from the same solves: the mean over each
	// image's Eval.K dequantizations of its one-sample bound (see
	// recipe.Report.NLLOneSample). nil for 2D data and older files.
	NLLOneSample   *Num        `json:"nll_k1,omitempty"`
	NLLOneSampleSE *Num        `json:"nll_k1_se,omitempty"`
	Energy         Num         `json:"energy"` // 2D: energy distance of Dopri5 samples to held-out data
	W2             Num         `json:"w2"`     // 2D: exact W2 of Dopri5 samples to held-out data
	FID            Num         `json:"fid"`    // images: FID-MNIST of Dopri5 samples
	Fixed          []FixedSeed `json:"fixed"`

	// Commit is the full commit of the code that evaluated the model (Code
	// is its describe); Trained lists the code of each training session
	// (from CodeFile in the model's folder), so a run resumed across
	// commits says which code trained which steps. Both are absent from
	// files written before they were recorded.
	Commit  string     `json:"commit,omitempty"`
	Trained []CodeSpan `json:"trained,omitempty"`

	// Reused names the results file a resumed run took this result from
	// (RunOptions.Resume, or the run folder's own results file when the
	// model's checkpoint is gone): that run neither trained nor evaluated
	// it, and Code, Commit and Trained are those of the run that did. A
	// result reused again keeps the first file it was taken from. "" for a
	// model trained and evaluated in the run's own folder.
	Reused string `json:"reused,omitempty"`
}

// CodeSpan is the code of one training session of a model: the steps it
// started from and reached, and the code's describe and commit.
type CodeSpan struct {
	From     int64  `json:"from"`
	To       int64  `json:"to"` // the step the session reached (From when it was killed before saving)
	Describe string `json:"describe"`
	Commit   string `json:"commit,omitempty"`
}

// FixedPoint is one point of a method's fixed-step curve, over seeds.
type FixedPoint struct {
	NFE     int  `json:"nfe"`
	Quality Stat `json:"quality"`
	Error   Stat `json:"error"`
}

// Row is one method on one data set.
type Row struct {
	Data    string        `json:"data"`
	Method  Method        `json:"method"`
	Config  recipe.Config `json:"config"` // the set-up of the first seed (Seed differs per seed)
	Steps   int64         `json:"steps"`
	Params  int           `json:"params"` // trainable parameters of the network
	NLLUnit string        `json:"nll_unit"`

	NFE Stat `json:"nfe"`
	NLL Stat `json:"nll"`
	// NLLOneSample is the one-sample (K = 1) NLL bound over the seeds
	// (images; nil for 2D data and older files).
	NLLOneSample *Stat        `json:"nll_k1,omitempty"`
	Energy       Stat         `json:"energy"`
	W2           Stat         `json:"w2"`
	FID          Stat         `json:"fid"`
	Fixed        []FixedPoint `json:"fixed"`

	Seeds   []SeedResult `json:"seeds"`
	Samples [][]float64  `json:"samples,omitempty"` // the first Eval.Keep Dopri5 samples of the first seed
}

// Floor is the sample-quality score of a perfect model at the
// evaluation's sample size: the evaluation's held-out points scored against
// a second, independent held-out sample of the same size. 2D data have the
// energy distance and W2 (FID NaN); images have FID-MNIST (Energy and W2
// NaN), whose estimate is biased upwards at finite sample sizes, so a
// model's FID-MNIST is read against this value rather than against 0.
type Floor struct {
	Data   string `json:"data"`
	Energy Num    `json:"energy"`
	W2     Num    `json:"w2"`
	FID    Num    `json:"fid"`
}

// UnmarshalJSON implements json.Unmarshaler: a metric missing from the file
// (FID in files written before it was recorded) reads as NaN, not 0.
func (f *Floor) UnmarshalJSON(b []byte) error {
	type plain Floor
	p := plain{Energy: Num(math.NaN()), W2: Num(math.NaN()), FID: Num(math.NaN())}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = Floor(p)
	return nil
}

// Floor returns the floor of data (NaNs when there is none).
func (r *Results) Floor(data string) Floor {
	for _, f := range r.Floors {
		if f.Data == data {
			return f
		}
	}
	return Floor{Data: data, Energy: Num(math.NaN()), W2: Num(math.NaN()), FID: Num(math.NaN())}
}

// ModelID names one model of a scale: a method on a data set with a seed.
type ModelID struct {
	Data   string `json:"data"`
	Method string `json:"method"` // method key
	Seed   uint64 `json:"seed"`
}

// String names the model for reports: "FM w/ OT on mnist, seed 2".
func (m ModelID) String() string {
	return fmt.Sprintf("%s on %s, seed %d", methodName(m.Method), m.Data, m.Seed)
}

// Models lists every model of s in the order Run takes them: per data set,
// seed by seed, each seed's methods in table order (a 2-RF model after the
// model it trains from).
func Models(s Scale) []ModelID {
	var out []ModelID
	for _, d := range s.Data {
		for _, seed := range s.Seeds {
			for _, k := range s.Methods {
				out = append(out, ModelID{Data: d, Method: k, Seed: seed})
			}
		}
	}
	return out
}

// Sitting is one Run call that added models to a results file. A run that
// takes longer than one sitting is continued from its results file
// (RunOptions.Resume), and the file lists every sitting that made its
// models, with the code, command and wall time of each.
type Sitting struct {
	Code        Code      `json:"code"`
	Command     string    `json:"command,omitempty"` // RunOptions.Command: the command line that ran it
	Started     time.Time `json:"started"`
	WallSeconds float64   `json:"wall_seconds"` // until it last wrote the file
	Ran         int       `json:"ran"`          // models it trained and evaluated (or finished training or evaluating)
	Reused      int       `json:"reused"`       // models it took from an earlier results file
}

// Results is everything a results file holds: the settings, the code and
// machine, every measurement, and the claims as evaluated when it was
// written.
//
// Run writes the file after every finished model, so a run that stops
// part-way leaves a partial file: Pending lists the models still to run,
// the rows hold the seeds that are done (a row of a scale with several
// seeds may have fewer; its standard error over seeds is then undefined,
// NaN, for one seed), and the claims are provisional. Read accepts partial
// files; code that needs every model checks Complete.
type Results struct {
	Format string `json:"format"`
	// Pending are the models of the scale still to run, in the order Run
	// takes them; empty (absent) when the file is complete.
	Pending  []ModelID `json:"pending,omitempty"`
	Scale    Scale     `json:"scale"`
	Code     Code      `json:"code"`
	Env      Env       `json:"env"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"` // when the file was written (a partial file: after its last finished model)
	// WallSeconds is the wall time of the Run call that wrote the file
	// (less than the total when earlier runs were resumed: Sittings has
	// each); ComputeSeconds sums the training, pair and evaluation times
	// of every model.
	WallSeconds    float64 `json:"wall_seconds"`
	ComputeSeconds float64 `json:"compute_seconds"`
	SENote         string  `json:"se_note"`
	Rows           []Row   `json:"rows"`
	// Floors are the sample-quality scores of two independent held-out
	// samples of the evaluation's size, one per data set (images: only
	// with FID-MNIST): what a perfect model would score, up to the
	// estimators' noise.
	Floors []Floor `json:"floors,omitempty"`
	Claims []Claim `json:"claims"`
	// Sittings are the Run calls that made the file's models, oldest
	// first, the last one the call that wrote it (absent from files
	// written before they were recorded).
	Sittings []Sitting `json:"sittings,omitempty"`
}

// Complete reports whether r holds every model of its scale (no Pending).
func (r *Results) Complete() bool { return len(r.Pending) == 0 }

// Done is the number of models r holds and the number its scale runs.
func (r *Results) Done() (done, total int) {
	for _, row := range r.Rows {
		done += len(row.Seeds)
	}
	return done, len(r.Scale.Data) * len(r.Scale.Methods) * len(r.Scale.Seeds)
}

// CheckComplete is nil for a complete file, else an error saying how many
// models are still to run and how to finish them.
func (r *Results) CheckComplete() error {
	if r.Complete() {
		return nil
	}
	done, total := r.Done()
	return fmt.Errorf("table: the %s results are partial (%d of %d models finished; still to run: %s): run the scale again to finish it (cmd/fmtable -resume)",
		r.Scale.Name, done, total, pendingList(r.Pending))
}

// pendingList names models for a report, in order.
func pendingList(ids []ModelID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, "; ")
}

// isPending reports whether method key on data with seed is still to run.
func (r *Results) isPending(data, key string, seed uint64) bool {
	return slices.Contains(r.Pending, ModelID{Data: data, Method: key, Seed: seed})
}

// Row returns the row of method key on data, or nil.
func (r *Results) Row(data, key string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Data == data && r.Rows[i].Method.Key == key {
			return &r.Rows[i]
		}
	}
	return nil
}

// ResultsPath is where Run writes the results of scale in outDir.
func ResultsPath(outDir, scale string) string {
	return filepath.Join(outDir, "results-"+scale+".json")
}

// MarkdownPath is where Run writes the Markdown report of scale in outDir.
func MarkdownPath(outDir, scale string) string {
	return filepath.Join(outDir, "results-"+scale+".md")
}

// Write writes r to path as indented JSON, atomically (a temporary file in
// the same folder, renamed over path), creating the folder if needed.
func (r *Results) Write(path string) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("table: encoding the results: %w", err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// writeAtomic is atomicfile.Write with this package's error prefix.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// ErrNoResults is wrapped by Read's error when the file does not exist.
var ErrNoResults = errors.New("no results file")

// Read reads and validates a results file written by Write. A missing file
// gives an error wrapping ErrNoResults that says how to make one; a
// damaged or foreign file, an error that says what is wrong with it.
func Read(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("table: %w at %s: run `make table` (2d scale) or `go run ./cmd/fmtable -scale NAME -out %s` to make it", ErrNoResults, path, filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	var r Results
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("table: %s is not a readable results file (%v): it is damaged or was written by another program; delete it and run the scale again", path, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("table: %s: %w", path, err)
	}
	return &r, nil
}

// Load reads the results of scale from outDir when a run wrote them there,
// else from the recorded results in recordedDir (see RecordedDir), and
// returns the path it read. With neither file the error wraps ErrNoResults
// and names both places; a file that exists but does not read (damaged,
// another format, inconsistent) is an error, never skipped for the other.
// A partial file (a run that has not finished all its models) is returned
// like a complete one: see Results.Complete. A file written under a former
// name of the scale (see formerNames) is returned with the scale's name.
func Load(outDir, recordedDir, scale string) (*Results, string, error) {
	var firstErr error
	for _, dir := range []string{outDir, recordedDir} {
		if dir == "" {
			continue
		}
		path := ResultsPath(dir, scale)
		r, err := Read(path)
		if err == nil {
			if s, serr := ScaleByName(scale); serr == nil {
				if held := heldScale(r, s); held != "" {
					return nil, path, fmt.Errorf("table: %s holds the results of scale %s, not %s: move it away (or rename it %s) to read %s's results",
						path, held, scale, filepath.Base(ResultsPath(dir, strings.Fields(held)[0])), scale)
				}
			} else if r.Scale.Name != scale && formerNames[r.Scale.Name] != scale {
				return nil, path, fmt.Errorf("table: %s holds the results of scale %s, not %s", path, r.Scale.Name, scale)
			}
			r.Scale.Name = scale // a file written under the scale's former name (see formerNames) reads as the scale's
			return r, path, nil
		}
		if !errors.Is(err, ErrNoResults) {
			return nil, path, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		return nil, "", fmt.Errorf("table: %w: no folder given to look in", ErrNoResults)
	}
	if recordedDir != "" && outDir != "" {
		return nil, "", fmt.Errorf("%w (none is recorded at %s either)", firstErr, ResultsPath(recordedDir, scale))
	}
	return nil, "", firstErr
}

// Validate checks that r is consistent: the format tag, valid scale
// settings, rows only of the scale's data sets and methods, each with at
// least one seed result of the scale's seeds (finite NFE > 0 and NLL, one
// fixed-step point per NFE), and every model of the scale either in a row
// or listed in Pending, never both. A partial file (Pending not empty)
// validates; Complete says whether it is one.
func (r *Results) Validate() error {
	if r.Format != Format {
		return fmt.Errorf("format %q, want %q: written by another version of gofm; run the scale again", r.Format, Format)
	}
	if err := r.Scale.Validate(); err != nil {
		return fmt.Errorf("its scale settings are invalid: %w", err)
	}
	seen := map[ModelID]string{}
	for i, row := range r.Rows {
		d, k := row.Data, row.Method.Key
		if !slices.Contains(r.Scale.Data, d) || !slices.Contains(r.Scale.Methods, k) {
			return fmt.Errorf("row %d is %s on %s, which the scale (data %v, methods %v) does not run", i+1, k, d, r.Scale.Data, r.Scale.Methods)
		}
		if r.Row(d, k) != &r.Rows[i] {
			return fmt.Errorf("two rows for %s on %s", k, d)
		}
		if len(row.Seeds) == 0 {
			return fmt.Errorf("%s on %s has no seed results: a row holds at least one (a model still to run has no row, and is listed as pending)", k, d)
		}
		for _, s := range row.Seeds {
			id := ModelID{Data: d, Method: k, Seed: s.Seed}
			if !slices.Contains(r.Scale.Seeds, s.Seed) {
				return fmt.Errorf("%s on %s has a result for seed %d; the scale runs seeds %v", k, d, s.Seed, r.Scale.Seeds)
			}
			if seen[id] != "" {
				return fmt.Errorf("%s on %s has two results for seed %d", k, d, s.Seed)
			}
			seen[id] = "finished"
			if !s.NFE.OK() || !(s.NFE > 0) || !s.NLL.OK() {
				return fmt.Errorf("%s on %s, seed %d: NFE %v and NLL %v must be finite (and NFE > 0)", k, d, s.Seed, float64(s.NFE), float64(s.NLL))
			}
			if len(s.Fixed) != len(r.Scale.Fixed.NFE) {
				return fmt.Errorf("%s on %s, seed %d: %d fixed-step points, want %d", k, d, s.Seed, len(s.Fixed), len(r.Scale.Fixed.NFE))
			}
		}
	}
	all := Models(r.Scale)
	of := make(map[ModelID]bool, len(all))
	for _, m := range all {
		of[m] = true
	}
	for _, p := range r.Pending {
		if !of[p] {
			return fmt.Errorf("pending model %s on %s, seed %d is not one of the scale's", p.Method, p.Data, p.Seed)
		}
		if seen[p] != "" {
			return fmt.Errorf("%s is listed as pending but the file has it %s", p, seen[p])
		}
		seen[p] = "pending already"
	}
	for _, m := range all {
		if seen[m] == "" {
			return fmt.Errorf("no result for %s, and it is not listed as pending: the file is incomplete", m)
		}
	}
	return nil
}
