package nbrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/verify"
	exercise "github.com/gofm/gofm/internal/exercises"
)

// Options configures Run.
type Options struct {
	Kernel      string        // kernelspec name; default "gofm"
	OutDir      string        // where executed notebooks and HTML go; required
	CellTimeout time.Duration // per-cell timeout; default 10 minutes
	Timeout     time.Duration // whole-notebook timeout; default 30 minutes
	HTML        bool          // also write an HTML report
	Env         []string      // extra environment (e.g. GOFM_QUICK=1)
	Jupyter     string        // jupyter executable; default DefaultJupyter()
	// Exercises checks an exercise notebook (notebooks/exercises): every exercise
	// region in its cells must report NOT YET IMPLEMENTED, and nothing else may
	// fail. Without it, a NOT YET IMPLEMENTED report is a problem.
	Exercises bool
}

// Problem is one thing wrong with an executed notebook.
type Problem struct {
	Cell   int    // index of the cell (0-based, counting all cells); -1 for the whole notebook
	Reason string // what went wrong, one line
}

func (p Problem) String() string {
	if p.Cell < 0 {
		return p.Reason
	}
	return fmt.Sprintf("cell %d: %s", p.Cell, p.Reason)
}

// Result is what Run found for one notebook.
type Result struct {
	Notebook string        // the source notebook
	Executed string        // the executed copy
	HTML     string        // the HTML report ("" if not written)
	Log      string        // nbconvert's combined output
	Duration time.Duration // wall time of the execution
	Problems []Problem
	Checks   []string // the lines printed by fmlib/verify checks, in order (CheckLines)
}

// OK reports whether the notebook ran with no problem.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (o *Options) defaults() error {
	if o.OutDir == "" {
		return fmt.Errorf("nbrun: Options.OutDir is required")
	}
	return o.tools()
}

// tools fills in the kernel name and the jupyter executable.
func (o *Options) tools() error {
	if o.Kernel == "" {
		o.Kernel = "gofm"
	}
	if o.CellTimeout <= 0 {
		o.CellTimeout = 10 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Jupyter == "" {
		j, err := DefaultJupyter()
		if err != nil {
			return err
		}
		o.Jupyter = j
	}
	return nil
}

// DefaultJupyter returns the jupyter executable that `make install` (kernel/install.sh)
// set up: the one in the project's venv (GOFM_VENV, default ~/.local/share/gofm/venv),
// else Debian's /usr/bin/jupyter (the classic-Notebook fallback), else the first on PATH.
func DefaultJupyter() (string, error) {
	venv := os.Getenv("GOFM_VENV")
	if venv == "" {
		if home, err := os.UserHomeDir(); err == nil {
			venv = filepath.Join(home, ".local", "share", "gofm", "venv")
		}
	}
	candidates := []string{"/usr/bin/jupyter"}
	if venv != "" {
		candidates = append([]string{filepath.Join(venv, "bin", "jupyter")}, candidates...)
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("jupyter"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("nbrun: jupyter not found; run `make install` (kernel/install.sh) first")
}

// KernelInstalled reports whether the kernelspec is registered with Jupyter.
func KernelInstalled(opts Options) error {
	if err := opts.tools(); err != nil {
		return err
	}
	out, err := exec.Command(opts.Jupyter, "kernelspec", "list", "--json").Output()
	if err != nil {
		return fmt.Errorf("nbrun: `jupyter kernelspec list` failed: %v", err)
	}
	var specs struct {
		Kernelspecs map[string]any `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &specs); err != nil {
		return fmt.Errorf("nbrun: cannot parse `jupyter kernelspec list --json`: %v", err)
	}
	if _, ok := specs.Kernelspecs[opts.Kernel]; !ok {
		return fmt.Errorf("nbrun: kernel %q is not installed; run `bash kernel/install.sh` (or `make install`)", opts.Kernel)
	}
	return nil
}

// Run executes one notebook and checks its outputs. The error is for failures
// to run at all (bad options, missing jupyter); problems found in the notebook
// are in Result.Problems.
func Run(notebook string, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(notebook)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("nbrun: notebook %s: %v", notebook, err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("nbrun: cannot create output folder: %v", err)
	}
	outDir, _ := filepath.Abs(opts.OutDir)
	res := &Result{Notebook: notebook, Executed: filepath.Join(outDir, filepath.Base(abs))}
	if res.Executed == abs {
		return nil, fmt.Errorf("nbrun: notebook %s is in the output folder %s: its executed copy would replace it; choose another output folder", notebook, opts.OutDir)
	}
	_ = os.Remove(res.Executed) // a stale copy must never be taken for this run's result

	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.Jupyter, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		"--ExecutePreprocessor.kernel_name="+opts.Kernel,
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", int(opts.CellTimeout.Seconds())),
		"--ExecutePreprocessor.startup_timeout=120",
		"--output-dir", outDir, abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(os.Environ(), opts.Env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	runErr := cmd.Run()
	res.Duration = time.Since(start)
	res.Log = log.String()
	if ctx.Err() != nil {
		res.Problems = append(res.Problems, Problem{-1, fmt.Sprintf("timed out after %s", opts.Timeout)})
	} else if runErr != nil {
		res.Problems = append(res.Problems, Problem{-1, fmt.Sprintf("nbconvert failed (%v): %s", runErr, lastLines(res.Log, 5))})
	}
	data, err := os.ReadFile(res.Executed)
	if err != nil {
		res.Problems = append(res.Problems, Problem{-1, "no executed notebook was written"})
		return res, nil
	}
	probs, err := CheckMode(data, opts.Exercises)
	if err != nil {
		res.Problems = append(res.Problems, Problem{-1, err.Error()})
		return res, nil
	}
	res.Problems = append(res.Problems, probs...)
	res.Checks, _ = CheckLines(data)
	if opts.HTML {
		html := exec.Command(opts.Jupyter, "nbconvert", "--to", "html", "--output-dir", outDir, res.Executed)
		if out, err := html.CombinedOutput(); err != nil {
			res.Problems = append(res.Problems, Problem{-1, fmt.Sprintf("HTML export failed: %v: %s", err, lastLines(string(out), 3))})
		} else {
			res.HTML = strings.TrimSuffix(res.Executed, ".ipynb") + ".html"
		}
	}
	return res, nil
}

type notebook struct {
	Cells []nbCell `json:"cells"`
}

type nbCell struct {
	CellType       string          `json:"cell_type"`
	Source         json.RawMessage `json:"source"`
	ExecutionCount *int            `json:"execution_count"`
	Outputs        []struct {
		OutputType string                     `json:"output_type"`
		Name       string                     `json:"name"`
		Text       json.RawMessage            `json:"text"`
		Data       map[string]json.RawMessage `json:"data"`
		EName      string                     `json:"ename"`
		EValue     string                     `json:"evalue"`
	} `json:"outputs"`
}

var (
	panicRE   = regexp.MustCompile(`(?m)^panic: |\bpanic: `)
	exitRE    = regexp.MustCompile(`exit status ([0-9]+)`)
	displayRE = regexp.MustCompile(`\bplots\.Display\w*\(`)
	// checkRE matches the line that fmlib/verify prints for a failed check.
	checkRE = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(verify.FailMarker) + `(.*)$`)
	// todoRE matches the lines of an unsolved exercise (verify.Todo, verify.Exercise).
	todoRE = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(verify.TodoMarker) + `exercise (\S+): (.*)$`)
)

// Check scans an executed notebook (its JSON) for the problems listed in the
// package doc.
func Check(data []byte) ([]Problem, error) { return CheckMode(data, false) }

// CheckMode is Check for a solution notebook (exercises false: a NOT YET
// IMPLEMENTED report is a problem) or an exercise notebook (exercises true:
// every exercise region, "// EXERCISE <id>: ..." in a code cell, must be
// reported as NOT YET IMPLEMENTED by the run, no other exercise may be, and
// every other problem counts as usual).
func CheckMode(data []byte, exercises bool) ([]Problem, error) {
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("executed notebook is not valid JSON: %v", err)
	}
	if nb.Cells == nil { // `{}` or `null`: nothing ran, which must not pass as clean
		return nil, fmt.Errorf("executed notebook has no \"cells\" list: it is not a Jupyter notebook")
	}
	var probs []Problem
	expected := map[string]int{} // exercise id -> cell of its region
	var expectedOrder []string
	reported := map[string]bool{}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		src := exercise.JoinText(c.Source)
		if strings.TrimSpace(src) == "" {
			continue
		}
		for _, id := range exercise.RegionIDs(src) {
			if _, ok := expected[id]; !ok {
				expected[id] = i
				expectedOrder = append(expectedOrder, id)
			}
		}
		if c.ExecutionCount == nil {
			probs = append(probs, Problem{i, "cell was not executed"})
		}
		scan := func(t string) {
			if loc := panicRE.FindStringIndex(t); loc != nil {
				probs = append(probs, Problem{i, "panic: " + firstLine(t[loc[1]:])})
			}
			for _, m := range checkRE.FindAllStringSubmatch(t, -1) {
				probs = append(probs, Problem{i, "failed check: " + firstLine(m[1])})
			}
			for _, m := range todoRE.FindAllStringSubmatch(t, -1) {
				if !exercises {
					probs = append(probs, Problem{i, "unsolved exercise " + m[1] + ": " + firstLine(m[2])})
				} else if !reported[m[1]] {
					reported[m[1]] = true
					if _, ok := expected[m[1]]; !ok && !regionLater(nb.Cells[i:], m[1]) {
						probs = append(probs, Problem{i, "exercise " + m[1] + " reported as not yet implemented, but the notebook has no region for it"})
					}
				}
			}
			for _, m := range exitRE.FindAllStringSubmatch(t, -1) {
				if m[1] != "0" {
					probs = append(probs, Problem{i, "non-zero " + m[0]})
				}
			}
		}
		// A stream (stdout, stderr) may arrive in several outputs, split anywhere (a
		// panic's "panic: " in one, its message in the next): each is scanned whole,
		// as a front end shows it.
		var streamNames []string
		streams := map[string]*strings.Builder{}
		images := 0
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				probs = append(probs, Problem{i, fmt.Sprintf("error output: %s: %s", firstLine(o.EName), firstLine(o.EValue))})
				continue
			}
			if o.OutputType == "stream" {
				b, ok := streams[o.Name]
				if !ok {
					b = &strings.Builder{}
					streams[o.Name] = b
					streamNames = append(streamNames, o.Name)
				}
				b.WriteString(exercise.JoinText(o.Text))
			} else {
				scan(exercise.JoinText(o.Text))
			}
			if _, ok := o.Data["image/png"]; ok {
				images++
			}
			for mime, v := range o.Data {
				if strings.HasPrefix(mime, "text/") {
					scan(exercise.JoinText(v))
				}
			}
		}
		for _, name := range streamNames {
			scan(streams[name].String())
		}
		if displayRE.MatchString(src) && images == 0 {
			probs = append(probs, Problem{i, "cell calls plots.Display but has no PNG output (lost display?)"})
		}
	}
	if exercises {
		if len(expected) == 0 {
			probs = append(probs, Problem{-1, "no exercise regions (// EXERCISE <id>: ...): not an exercise notebook"})
		}
		for _, id := range expectedOrder {
			if !reported[id] {
				probs = append(probs, Problem{expected[id], "exercise " + id + ": its stub never reported NOT YET IMPLEMENTED (is verify.Todo(\"" + id + "\") called, and does a later cell run it?)"})
			}
		}
	}
	return probs, nil
}

// regionLater reports whether a region of exercise id appears in cells (a
// stub may be reported by a cell that runs before the region's own cell).
func regionLater(cells []nbCell, id string) bool {
	for _, c := range cells {
		if c.CellType == "code" && slices.Contains(exercise.RegionIDs(exercise.JoinText(c.Source)), id) {
			return true
		}
	}
	return false
}

// CheckLines returns the lines that fmlib/verify's checks printed in an
// executed notebook's code cells, in order (verify.IsCheckLine): what a run of
// the same checks must reproduce.
func CheckLines(data []byte) ([]string, error) {
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("executed notebook is not valid JSON: %v", err)
	}
	var lines []string
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		var b strings.Builder
		for _, o := range c.Outputs {
			if o.OutputType == "stream" && o.Name == "stdout" {
				b.WriteString(exercise.JoinText(o.Text))
			}
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if verify.IsCheckLine(l) {
				lines = append(lines, l)
			}
		}
	}
	return lines, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// CompareChecks returns "" when two runs printed the same check lines, else
// where they first differ.
func CompareChecks(want, got []string) string {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, got[i], want[i])
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("%d check lines, want %d", len(got), len(want))
	}
	if len(want) == 0 {
		return "no check lines in either run"
	}
	return ""
}
