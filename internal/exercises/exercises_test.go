package exercises

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// notebook builds a notebook from cells given as (type, source) pairs.
func notebook(t *testing.T, cells ...[2]string) *Notebook {
	t.Helper()
	var cs []map[string]any
	for i, c := range cells {
		m := map[string]any{"cell_type": c[0], "id": "c" + string(rune('0'+i)), "metadata": map[string]any{}, "source": c[1]}
		if c[0] == "code" {
			m["execution_count"], m["outputs"] = 3, []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "old\n"}}
		}
		cs = append(cs, m)
	}
	data, err := json.Marshal(map[string]any{"cells": cs, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := ParseNotebook(data)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

const goodCell = `func step(x float64) float64 {
	// BEGIN SOLUTION 9.1 hint: double it
	y := 2 * x
	return y
	// STUB
	// verify.Todo("9.1")
	//
	// return x
	// END SOLUTION
}

%%
verify.Exercise("9.1").Near("step(1)", step(1), 2, 0)`

func TestGenerateRestoreFill(t *testing.T) {
	sol := notebook(t, [2]string{"markdown", "# Title"}, [2]string{"code", goodCell}, [2]string{"markdown", "prose"})
	ex, err := Generate(sol, "notebooks/99_x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Cells) != 4 || ex.Cells[1].ID() != introID || !strings.Contains(ex.Cells[1].Source(), "- **9.1**: double it") {
		t.Fatalf("want title, introduction listing 9.1, code, prose; got %d cells, second %q", len(ex.Cells), ex.Cells[1].Source())
	}
	want := `func step(x float64) float64 {
	// EXERCISE 9.1: double it
	verify.Todo("9.1")

	return x
	// END EXERCISE 9.1
}

%%
verify.Exercise("9.1").Near("step(1)", step(1), 2, 0)`
	if got := ex.Cells[2].Source(); got != want {
		t.Errorf("exercise cell:\n%s\nwant:\n%s", got, want)
	}
	if got := RegionIDs(ex.Cells[2].Source()); len(got) != 1 || got[0] != "9.1" {
		t.Errorf("RegionIDs = %q, want [9.1]", got)
	}
	data, _ := ex.Marshal()
	if bytes.Contains(data, []byte("old\\n")) || !bytes.Contains(data, []byte(`"execution_count": null`)) {
		t.Errorf("outputs not cleared:\n%s", data)
	}
	back, err := Restore(ex, sol, "notebooks/99_x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	sameCells(t, back, sol)
	filled, err := Fill(ex, sol, "notebooks/99_x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	wantFilled := "func step(x float64) float64 {\n\t// EXERCISE 9.1: double it\n\ty := 2 * x\n\treturn y\n\t// END EXERCISE 9.1\n}"
	if got := filled.Cells[1].Source(); !strings.HasPrefix(got, wantFilled) || strings.Contains(got, "Todo") {
		t.Errorf("filled cell:\n%s\nwant it to start with:\n%s\nand no stub", got, wantFilled)
	}
	if nb, err := Generate(notebook(t, [2]string{"code", "x := 1"}), "n.ipynb"); nb != nil || err != nil {
		t.Errorf("a notebook without exercises: Generate = %v, %v; want nil, nil", nb, err)
	}
}

// sameCells fails unless a and b have the same cells (type, id, source).
func sameCells(t *testing.T, a, b *Notebook) {
	t.Helper()
	if len(a.Cells) != len(b.Cells) {
		t.Fatalf("%d cells, want %d", len(a.Cells), len(b.Cells))
	}
	for i := range a.Cells {
		if a.Cells[i].Type() != b.Cells[i].Type() || a.Cells[i].ID() != b.Cells[i].ID() || a.Cells[i].Source() != b.Cells[i].Source() {
			t.Errorf("cell %d differs:\n%s\nwant:\n%s", i, a.Cells[i].Source(), b.Cells[i].Source())
		}
	}
}

func TestMalformedMarkers(t *testing.T) {
	stub := "\t// STUB\n\t// verify.Todo(\"1.1\")\n"
	for _, c := range []struct {
		name string
		cell [2]string
		line int    // expected line in the cell
		msg  string // expected substring
	}{
		{"unpaired begin", [2]string{"code", "x := 1\n\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n" + strings.TrimSuffix(stub, "\n")}, 2, "no // END SOLUTION"},
		{"unpaired begin, code after it", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n" + stub + "}\n"}, 5, "or is its // END SOLUTION missing?"},
		{"unpaired end", [2]string{"code", "x := 1\n// END SOLUTION"}, 2, "without a // BEGIN SOLUTION"},
		{"nested", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n\t// BEGIN SOLUTION 1.2 hint: h\n"}, 3, "cannot nest"},
		{"empty hint", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint:   \n\ty := 2\n" + stub + "\t// END SOLUTION"}, 1, "empty hint"},
		{"no hint", [2]string{"code", "\t// BEGIN SOLUTION 1.1\n\ty := 2\n" + stub + "\t// END SOLUTION"}, 1, "malformed marker"},
		{"no id", [2]string{"code", "\t// BEGIN SOLUTION hint: h\n\ty := 2\n" + stub + "\t// END SOLUTION"}, 1, "malformed marker"},
		{"markdown", [2]string{"markdown", "Some prose\n\n// BEGIN SOLUTION 1.1 hint: h"}, 3, "in a markdown cell"},
		{"no stub", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n\t// END SOLUTION"}, 3, "must call verify.Todo(\"1.1\")"},
		{"stub without todo", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n\t// STUB\n\t// y := 0\n\t// END SOLUTION"}, 5, "must call verify.Todo(\"1.1\")"},
		{"empty solution", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\n" + stub + "\t// END SOLUTION"}, 1, "no solution code"},
		{"stub not commented", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n\t// STUB\n\tverify.Todo(\"1.1\")\n\t// END SOLUTION"}, 4, "must be commented out"},
		{"second stub", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n" + stub + "\t// STUB\n\t// END SOLUTION"}, 5, "second // STUB"},
		{"stub outside", [2]string{"code", "x := 1\n// STUB"}, 2, "outside an exercise"},
		{"typo", [2]string{"code", "\t// BEGIN SOLUTION 1.1 hint: h\n\ty := 2\n" + stub + "\t// END SOLUTION here"}, 5, "malformed marker"},
		{"exercise marker in a solution", [2]string{"code", "// EXERCISE 1.1: h"}, 1, "exercise notebook's marker"},
	} {
		nb := notebook(t, [2]string{"markdown", "# T"}, c.cell)
		_, err := Generate(nb, "notebooks/07_x.ipynb")
		var me *MarkerError
		if !errors.As(err, &me) {
			t.Errorf("%s: err = %v, want a *MarkerError", c.name, err)
			continue
		}
		if me.Notebook != "notebooks/07_x.ipynb" || me.Cell != 1 || me.Line != c.line || !strings.Contains(me.Msg, c.msg) {
			t.Errorf("%s: %v; want notebooks/07_x.ipynb, cell 1, line %d, containing %q", c.name, err, c.line, c.msg)
		}
		if !strings.HasPrefix(err.Error(), "notebooks/07_x.ipynb: cell 1, line ") {
			t.Errorf("%s: message %q does not start with the notebook, cell and line", c.name, err)
		}
	}
	dup := notebook(t, [2]string{"code", goodCell}, [2]string{"code", goodCell})
	if _, err := Generate(dup, "n.ipynb"); err == nil || !strings.Contains(err.Error(), "cell 1, line 2: exercise id 9.1 is used twice in the notebook (first in cell 0, line 2)") {
		t.Errorf("duplicate id: err = %v", err)
	}
}

// The repository's notebooks: a notebook read and written back is unchanged,
// which the generated notebooks' format relies on.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "notebooks", "*.ipynb"))
	more, _ := filepath.Glob(filepath.Join("..", "..", Dir, "*.ipynb"))
	if len(files) == 0 {
		t.Fatal("no notebooks found")
	}
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := ParseNotebook(data)
		if err != nil {
			t.Fatal(err)
		}
		out, err := nb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s changes when read and written back", f)
		}
	}
}

// The repository: the committed exercise notebooks are what the solution
// notebooks generate, and each one restores its solution notebook exactly.
func TestRepository(t *testing.T) {
	root := filepath.Join("..", "..")
	stale, err := Stale(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("%s is stale; run `make exercises` and commit the result:\n  %s", Dir, strings.Join(stale, "\n  "))
	}
	built, err := Build(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(built) == 0 {
		t.Fatal("no solution notebook has exercises")
	}
	total := 0
	for p := range built {
		solPath := filepath.Join(root, "notebooks", filepath.Base(p))
		sol, err := ReadNotebook(solPath)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := ReadNotebook(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		blocks, _ := Blocks(sol, solPath)
		total += len(blocks)
		back, err := Restore(ex, sol, solPath)
		if err != nil {
			t.Fatal(err)
		}
		sameCells(t, back, sol)
		for ci, c := range ex.Cells {
			if strings.Contains(c.Source(), "BEGIN SOLUTION") || strings.Contains(c.Source(), "// STUB") {
				t.Errorf("%s: cell %d still holds a solution marker", p, ci)
			}
		}
		filled, err := Fill(ex, sol, solPath)
		if err != nil {
			t.Fatal(err)
		}
		for ci, c := range filled.Cells {
			if strings.Contains(c.Source(), "verify.Todo(") {
				t.Errorf("%s filled: cell %d still calls verify.Todo", p, ci)
			}
		}
	}
	t.Logf("%d exercise notebooks, %d exercises", len(built), total)
}
