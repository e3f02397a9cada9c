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
