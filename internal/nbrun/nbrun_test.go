package nbrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cellJSON builds a one-code-cell notebook with the given source and outputs.
func cellJSON(source, outputs string, executed bool) []byte {
	count := "null"
	if executed {
		count = "1"
	}
	return []byte(`{"cells": [{"cell_type": "code", "execution_count": ` + count + `, "source": ` + source +
		`, "outputs": [` + outputs + `]}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}`)
}

func TestCheck(t *testing.T) {
	png := `{"output_type": "display_data", "data": {"image/png": "iVBOR"}}`
	cases := []struct {
		name     string
		nb       []byte
		problems []string // substrings, one per expected problem, in order
	}{
		{"clean", cellJSON(`"fmt.Println(1)"`, `{"output_type": "stream", "name": "stdout", "text": ["1\n"]}`, true), nil},
		{"runtime panic", cellJSON(`"x"`, `{"output_type": "stream", "name": "stderr", "text": ["panic: boom\n", "goroutine 1\n", "exit status 2\n"]}`, true),
			[]string{"panic: boom", "non-zero exit status 2"}},
		{"failed shell", cellJSON(`["!false"]`, `{"output_type": "stream", "name": "stderr", "text": "exit status 1\n"}`, true), []string{"exit status 1"}},
		{"exit status 0 is fine", cellJSON(`"x"`, `{"output_type": "stream", "name": "stdout", "text": "exit status 0\n"}`, true), nil},
		{"error output", cellJSON(`"x"`, `{"output_type": "error", "ename": "ERROR", "evalue": "failed to run go build", "traceback": []}`, true),
			[]string{"error output: ERROR: failed to run go build"}},
		{"panic inside html", cellJSON(`"x"`, `{"output_type": "display_data", "data": {"text/html": "<pre>panic: in html</pre>"}}`, true), []string{"panic: in html"}},
		{"lost display", cellJSON(`["plots.Display(p, 600, 400)"]`, ``, true), []string{"no PNG output"}},
		{"display shown", cellJSON(`["plots.Display(p, 600, 400)"]`, png, true), nil},
		{"failed check", cellJSON(`"x"`, `{"output_type": "stream", "name": "stdout", "text": ["ok: 1, tolerance 2: holds\n", "CHECK FAILED: max error: 3, tolerance 1: does not hold\n"]}`, true),
			[]string{"failed check: max error: 3, tolerance 1"}},
		{"check words mid-line are prose", cellJSON(`"x"`, `{"output_type": "stream", "name": "stdout", "text": "a line that quotes CHECK FAILED: is fine\n"}`, true), nil},
		{"not executed", cellJSON(`"fmt.Println(1)"`, ``, false), []string{"not executed"}},
		{"error name over two lines", cellJSON(`"x"`, `{"output_type": "error", "ename": "Name\nmore", "evalue": "value\nmore"}`, true),
			[]string{"error output: Name: value"}},
		{"no cells", []byte(`{"cells": [], "nbformat": 4}`), nil},
		// GoNB may send a stream in pieces split anywhere (seen: "panic: " alone, then the message).
		{"panic split across stream outputs", cellJSON(`"x"`, `{"output_type": "stream", "name": "stderr", "text": "panic: "}, {"output_type": "stream", "name": "stdout", "text": "unrelated\n"}, {"output_type": "stream", "name": "stderr", "text": "assignment to entry in nil map\nexit status 2\n"}`, true),
			[]string{"panic: assignment to entry in nil map", "non-zero exit status 2"}},
	}
	for _, c := range cases {
		probs, err := Check(c.nb)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(probs) != len(c.problems) {
			t.Errorf("%s: got problems %v, want %d matching %q", c.name, probs, len(c.problems), c.problems)
			continue
		}
		for i, w := range c.problems {
			if !strings.Contains(probs[i].String(), w) {
				t.Errorf("%s: problem %d = %q, want it to contain %q", c.name, i, probs[i], w)
			}
		}
	}
	for _, bad := range []string{"{not json", "{}", "null", `{"cells": null}`} {
		if _, err := Check([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "executed notebook ") {
			t.Errorf("Check(%s): err = %v, want an error about the executed notebook", bad, err)
		}
	}
}

// twoCells builds a notebook of two executed code cells with the given sources and stdout texts.
func twoCells(src1, out1, src2, out2 string) []byte {
	cell := func(src, out string) string {
		return `{"cell_type": "code", "execution_count": 1, "source": ` + src + `, "outputs": [{"output_type": "stream", "name": "stdout", "text": ` + out + `}]}`
	}
	return []byte(`{"cells": [` + cell(src1, out1) + `, ` + cell(src2, out2) + `], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}`)
}

func TestCheckExercises(t *testing.T) {
	region := `"func f() float64 {\n\t// EXERCISE 01.1: double it\n\tverify.Todo(\"01.1\")\n\treturn 0\n\t// END EXERCISE 01.1\n}"`
	todo := `"NOT YET IMPLEMENTED: exercise 01.1: write your code between // EXERCISE 01.1 and // END EXERCISE 01.1\nNOT YET IMPLEMENTED: exercise 01.1: f: not checked until the exercise is done\n"`
	held := `"an identity: 1e-09, tolerance 1e-06: holds\n"`
	failed := `"CHECK FAILED: other: 3, tolerance 1: does not hold\n"`
	cases := []struct {
		name      string
		nb        []byte
		exercises bool
		problems  []string
	}{
		{"exercise reported in a later cell", twoCells(region, `""`, `"%%\nf()"`, todo), true, nil},
		{"exercise never reported", twoCells(region, `""`, `"%%"`, held), true, []string{"cell 0: exercise 01.1: its stub never reported"}},
		{"a real failure still fails", twoCells(region, `""`, `"%%\nf()"`, `"NOT YET IMPLEMENTED: exercise 01.1: x\nCHECK FAILED: other: 3, tolerance 1: does not hold\n"`), true, []string{"failed check: other"}},
		{"report without a region", twoCells(region, todo, `"%%"`, `"NOT YET IMPLEMENTED: exercise 02.1: x\n"`), true, []string{"exercise 02.1 reported as not yet implemented, but the notebook has no region"}},
		{"not an exercise notebook", twoCells(`"x"`, held, `"y"`, held), true, []string{"no exercise regions"}},
		{"unsolved exercise in a solution run", twoCells(`"x"`, held, `"y"`, todo), false, []string{"unsolved exercise 01.1", "unsolved exercise 01.1"}},
		{"solution run that fails", twoCells(`"x"`, held, `"y"`, failed), false, []string{"failed check: other"}},
	}
	for _, c := range cases {
		probs, err := CheckMode(c.nb, c.exercises)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(probs) != len(c.problems) {
			t.Errorf("%s: problems %v, want %d matching %q", c.name, probs, len(c.problems), c.problems)
			continue
		}
		for i, w := range c.problems {
			if !strings.Contains(probs[i].String(), w) {
				t.Errorf("%s: problem %d = %q, want it to contain %q", c.name, i, probs[i], w)
			}
		}
	}
}

func TestCheckLines(t *testing.T) {
	nb := twoCells(`"x"`, `"prose line\nan identity: 1e-09, tolerance 1e-06: holds\nt = 1: mean 0.5\n"`, `"y"`,
		`"CHECK FAILED: other: 3, tolerance 1: does not hold\nNOT YET IMPLEMENTED: exercise 01.1: f: not checked until the exercise is done\n"`)
	got, err := CheckLines(nb)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"an identity: 1e-09, tolerance 1e-06: holds", "CHECK FAILED: other: 3, tolerance 1: does not hold",
		"NOT YET IMPLEMENTED: exercise 01.1: f: not checked until the exercise is done"}
	if d := CompareChecks(want, got); d != "" {
		t.Errorf("CheckLines: %s (got %q)", d, got)
	}
	if d := CompareChecks(want, got[:2]); !strings.Contains(d, "2 check lines, want 3") {
		t.Errorf("CompareChecks on a shorter run: %q", d)
	}
	if d := CompareChecks(want, []string{want[0], "x: 2, tolerance 1: holds", want[2]}); !strings.Contains(d, "line 2: got") {
		t.Errorf("CompareChecks on a changed line: %q", d)
	}
	if d := CompareChecks(nil, nil); d == "" {
		t.Error("CompareChecks of two runs without checks must not pass")
	}
}

// requireKernel skips when the project's kernel is not installed, except under
// CI, where a missing kernel is a failure (make test installs it first).
func requireKernel(t *testing.T) {
	t.Helper()
	if err := KernelInstalled(Options{}); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("kernel needed under CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

func TestRunOnTestdata(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Jupyter; skipped with -short")
	}
	requireKernel(t)
	out := t.TempDir()
	cases := []struct {
		notebook string
		problems []string // substrings expected in the problem list; nil means the notebook must pass
	}{
		{"ok.ipynb", nil},
		{"panic.ipynb", []string{"panic: assignment to entry in nil map", "exit status 2"}},
		{"compile.ipynb", []string{"error output"}},
		{"shell.ipynb", []string{"exit status 1"}},
		{"check.ipynb", []string{"failed check: deliberately wrong identity"}},
	}
	for _, c := range cases {
		res, err := Run(filepath.Join("testdata", c.notebook), Options{OutDir: out, HTML: c.notebook == "panic.ipynb"})
		if err != nil {
			t.Fatalf("%s: %v", c.notebook, err)
		}
		all := ""
		for _, p := range res.Problems {
			all += p.String() + "\n"
		}
		if c.problems == nil && !res.OK() {
			t.Errorf("%s: unexpected problems:\n%s\nlog:\n%s", c.notebook, all, lastLines(res.Log, 20))
		}
		if c.problems != nil && res.OK() {
			t.Errorf("%s: runner passed a broken notebook", c.notebook)
		}
		for _, w := range c.problems {
			if !strings.Contains(all, w) {
				t.Errorf("%s: problems %q do not mention %q", c.notebook, all, w)
			}
		}
		if _, err := os.Stat(res.Executed); err != nil {
			t.Errorf("%s: executed notebook missing: %v", c.notebook, err)
		}
		if c.notebook == "panic.ipynb" {
			if res.HTML == "" {
				t.Errorf("panic.ipynb: no HTML report")
			} else if _, err := os.Stat(res.HTML); err != nil {
				t.Errorf("HTML report: %v", err)
			}
		}
	}
}

// A notebook in the output folder would be replaced by its executed copy (and
// was deleted as a stale copy before the run): Run refuses, and keeps it.
func TestRunRefusesItsOwnFolder(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "x.ipynb")
	if err := os.WriteFile(nb, cellJSON(`"x"`, ``, false), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(nb, Options{OutDir: dir, Jupyter: "/bin/false"})
	if err == nil || !strings.Contains(err.Error(), "choose another output folder") {
		t.Errorf("Run into the notebook's own folder: err = %v", err)
	}
	if _, err := os.Stat(nb); err != nil {
		t.Errorf("the notebook is gone: %v", err)
	}
}
