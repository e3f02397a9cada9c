package nbrun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkProblems fails unless every problem points at a cell of the
// notebook and gives a one-line, non-empty reason.
func checkProblems(t *testing.T, probs []Problem, cells int) {
	t.Helper()
	for _, p := range probs {
		if p.Cell < 0 || p.Cell >= cells {
			t.Fatalf("problem %q names cell %d of %d", p.Reason, p.Cell, cells)
		}
		if strings.TrimSpace(p.Reason) == "" || strings.ContainsAny(p.Reason, "\n") {
			t.Fatalf("problem reason %q is not one line", p.Reason)
		}
	}
}

// FuzzCheck: Check reads any executed notebook (the JSON nbconvert writes)
// into problems that each name a cell of it with a one-line reason, or
// returns an error saying the executed notebook is unreadable; a JSON value
// that is not a notebook (no "cells" list) is such an error, never a clean
// result.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ipynb"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(cellJSON(`"x"`, `{"output_type": "stream", "name": "stderr", "text": ["panic: boom\n", "exit status 2\n"]}`, true))
	f.Add(cellJSON(`["plots.Display(p)"]`, `{"output_type": "error", "ename": "E", "evalue": "bad\nworse"}`, true))
	f.Add([]byte(`{"cells": []}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		probs, err := Check(b)
		var shape struct {
			Cells []json.RawMessage `json:"cells"`
		}
		jsonErr := json.Unmarshal(b, &shape)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "executed notebook ") {
				t.Fatalf("error %q does not say it is about the executed notebook", err)
			}
			return
		}
		if jsonErr != nil || shape.Cells == nil {
			t.Fatalf("Check accepted %q (not a notebook with a cells list: %v) with problems %v", b, jsonErr, probs)
		}
		checkProblems(t, probs, len(shape.Cells))
	})
}

// outputMarkers are lines appended to a fuzzed output text, each with the
// start of the problem it must raise ("" for none).
var outputMarkers = []struct{ line, problem string }{
	{"", ""},
	{"panic: runtime error: index out of range", "panic: runtime error"},
	{"CHECK FAILED: mean error 3, tolerance 1: does not hold", "failed check: mean error 3"},
	{"exit status 3", "non-zero exit status 3"},
	{"exit status 0", ""},
}

// FuzzCheckOutputs: in an executed code cell, Check finds a panic, a failed
// check or a non-zero exit status at the end of any text output, with any
// text before it; the text reads the same as one string or as a list of
// strings (both are valid notebook JSON); and an error output is one
// problem with a one-line reason whatever its name and value.
func FuzzCheckOutputs(f *testing.F) {
	f.Add("1\n2\n", uint8(1), uint8(0), "", "")
	f.Add("running...", uint8(3), uint8(1), "", "")
	f.Add("ok: 1, tolerance 2: holds\n", uint8(12), uint8(2), "ERROR", "failed to run go build")
	f.Add("héllo wörld", uint8(2), uint8(3), "Name\nwith a newline", "value\nline 2")
	f.Add("", uint8(0), uint8(4), "", "")
	f.Fuzz(func(t *testing.T, prefix string, split, marker uint8, ename, evalue string) {
		mk := outputMarkers[int(marker)%len(outputMarkers)]
		text := prefix
		if mk.line != "" {
			text += "\n" + mk.line + "\n"
		}
		// JSON strings are UTF-8: encoding replaces invalid bytes, so the
		// oracle looks at the text as it will be read.
		text = strings.ToValidUTF8(text, "\uFFFD")
		at := min(int(split), len(text))
		for at > 0 && at < len(text) && !utf8.RuneStart(text[at]) {
			at--
		}
		type output struct {
			OutputType string `json:"output_type"`
			Name       string `json:"name,omitempty"`
			Text       any    `json:"text,omitempty"`
			EName      string `json:"ename,omitempty"`
			EValue     string `json:"evalue,omitempty"`
		}
		nb := func(outs ...output) []byte {
			b, err := json.Marshal(map[string]any{"nbformat": 4, "cells": []map[string]any{{
				"cell_type": "code", "execution_count": 1, "source": "x", "outputs": outs}}})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		whole, err := Check(nb(output{OutputType: "stream", Name: "stdout", Text: text}))
		if err != nil {
			t.Fatal(err)
		}
		parts, err := Check(nb(output{OutputType: "stream", Name: "stdout", Text: []string{text[:at], text[at:]}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(whole) != len(parts) {
			t.Fatalf("text %q read as one string gives %v, split at %d gives %v", text, whole, at, parts)
		}
		for i := range whole {
			if whole[i] != parts[i] {
				t.Fatalf("text %q read as one string gives %v, split at %d gives %v", text, whole, at, parts)
			}
		}
		checkProblems(t, whole, 1)
		if mk.problem != "" {
			found := false
			for _, p := range whole {
				found = found || strings.HasPrefix(p.Reason, mk.problem)
			}
			if !found {
				t.Fatalf("text %q ending in %q: problems %v lack %q", text, mk.line, whole, mk.problem)
			}
		}
		if mk.problem == "" && !strings.Contains(prefix, "panic: ") && !strings.Contains(prefix, "CHECK FAILED: ") && !strings.Contains(prefix, "exit status") && len(whole) > 0 {
			t.Fatalf("clean text %q gives problems %v", text, whole)
		}
		errProbs, err := Check(nb(output{OutputType: "error", EName: ename, EValue: evalue}))
		if err != nil {
			t.Fatal(err)
		}
		if len(errProbs) != 1 || !strings.HasPrefix(errProbs[0].Reason, "error output: ") {
			t.Fatalf("error output %q: %q gives problems %v, want one", ename, evalue, errProbs)
		}
		checkProblems(t, errProbs, 1)
	})
}
