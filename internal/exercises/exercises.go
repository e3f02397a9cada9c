package exercises

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dir is where the exercise notebooks go, relative to the repository root.
const Dir = "notebooks/exercises"

// SourceGlob selects the solution notebooks, relative to the repository root.
const SourceGlob = "notebooks/*.ipynb"

// introID is the id of the markdown cell that the generator puts after an
// exercise notebook's title.
const introID = "exercises-intro"

var (
	beginRE = regexp.MustCompile(`^(\s*)// BEGIN SOLUTION ([A-Za-z0-9][A-Za-z0-9._-]*) hint: (.*)$`)
	stubRE  = regexp.MustCompile(`^\s*// STUB\s*$`)
	endRE   = regexp.MustCompile(`^\s*// END SOLUTION\s*$`)
	// anyRE catches every line meant as a solution marker, well-formed or not.
	anyRE = regexp.MustCompile(`^\s*//\s*(BEGIN SOLUTION|END SOLUTION|STUB\b)`)
	// regionRE and regionEndRE are the markers of an exercise notebook's regions.
	regionRE    = regexp.MustCompile(`^(\s*)// EXERCISE ([A-Za-z0-9][A-Za-z0-9._-]*): (.*)$`)
	regionEndRE = regexp.MustCompile(`^\s*// END EXERCISE ([A-Za-z0-9][A-Za-z0-9._-]*)\s*$`)
	anyRegionRE = regexp.MustCompile(`^\s*//\s*(END )?EXERCISE\b`)
)

// MarkerError is a malformed marker: the notebook, the cell (0-based, as the
// notebook runner counts) and the line in the cell (1-based).
type MarkerError struct {
	Notebook string
	Cell     int
	Line     int
	Msg      string
}

func (e *MarkerError) Error() string {
	return fmt.Sprintf("%s: cell %d, line %d: %s", e.Notebook, e.Cell, e.Line, e.Msg)
}

// Block is one exercise of a solution notebook: the lines from its BEGIN
// SOLUTION marker to its END SOLUTION marker.
type Block struct {
	ID       string
	Hint     string
	Cell     int      // cell index
	Line     int      // 1-based line of the BEGIN marker in the cell
	Indent   string   // the BEGIN marker's indentation
	Solution []string // the lines between BEGIN and STUB
	Stub     []string // the stub's code, uncommented
	Lines    []string // every line of the block, markers included, as written
}

// region returns the lines that replace the block in the exercise notebook.
func (b *Block) region() []string {
	out := []string{fmt.Sprintf("%s// EXERCISE %s: %s", b.Indent, b.ID, b.Hint)}
	out = append(out, b.Stub...)
	return append(out, fmt.Sprintf("%s// END EXERCISE %s", b.Indent, b.ID))
}

// Blocks finds the exercise blocks of a solution notebook and checks their
// markers; name is the notebook's path, for the errors.
func Blocks(nb *Notebook, name string) ([]Block, error) {
	var blocks []Block
	seen := map[string]Block{}
	for ci, c := range nb.Cells {
		lines := strings.Split(c.Source(), "\n")
		errAt := func(line int, format string, a ...any) error {
			return &MarkerError{name, ci, line, fmt.Sprintf(format, a...)}
		}
		if c.Type() != "code" {
			for li, l := range lines {
				if anyRE.MatchString(l) || anyRegionRE.MatchString(l) {
					return nil, errAt(li+1, "exercise marker %q in a %s cell: markers belong in Go code cells", strings.TrimSpace(l), c.Type())
				}
			}
			continue
		}
		var cur *Block
		inStub := false
		for li, l := range lines {
			switch {
			case anyRegionRE.MatchString(l):
				return nil, errAt(li+1, "%q is an exercise notebook's marker; a solution notebook uses // BEGIN SOLUTION, // STUB, // END SOLUTION", strings.TrimSpace(l))
			case strings.Contains(l, "BEGIN SOLUTION") && anyRE.MatchString(l):
				if cur != nil {
					return nil, errAt(li+1, "BEGIN SOLUTION inside exercise %s (begun at line %d): blocks cannot nest; close it with // END SOLUTION first", cur.ID, cur.Line)
				}
				m := beginRE.FindStringSubmatch(l)
				if m == nil {
					return nil, errAt(li+1, "malformed marker %q: write // BEGIN SOLUTION <id> hint: <one line for the student>", strings.TrimSpace(l))
				}
				hint := strings.TrimSpace(m[3])
				if hint == "" {
					return nil, errAt(li+1, "exercise %s has an empty hint: write one line for the student after \"hint:\"", m[2])
				}
				if prev, ok := seen[m[2]]; ok {
					return nil, errAt(li+1, "exercise id %s is used twice in the notebook (first in cell %d, line %d)", m[2], prev.Cell, prev.Line)
				}
				cur = &Block{ID: m[2], Hint: hint, Cell: ci, Line: li + 1, Indent: m[1], Lines: []string{l}}
				inStub = false
			case stubRE.MatchString(l):
				if cur == nil {
					return nil, errAt(li+1, "// STUB outside an exercise: it goes between // BEGIN SOLUTION and // END SOLUTION")
				}
				if inStub {
					return nil, errAt(li+1, "exercise %s has a second // STUB", cur.ID)
				}
				inStub = true
				cur.Lines = append(cur.Lines, l)
			case endRE.MatchString(l):
				if cur == nil {
					return nil, errAt(li+1, "// END SOLUTION without a // BEGIN SOLUTION before it in the cell")
				}
				cur.Lines = append(cur.Lines, l)
				if err := checkBlock(cur, errAt, li+1); err != nil {
					return nil, err
				}
				blocks = append(blocks, *cur)
				seen[cur.ID] = *cur
				cur = nil
			case anyRE.MatchString(l):
				return nil, errAt(li+1, "malformed marker %q: the markers are // BEGIN SOLUTION <id> hint: <text>, // STUB and // END SOLUTION, each alone on its line", strings.TrimSpace(l))
			case cur != nil && inStub:
				code, ok := uncomment(l, cur.Indent)
				if !ok {
					return nil, errAt(li+1, "stub line %q of exercise %s must be commented out as %q followed by the code, at the BEGIN marker's indentation (or is its // END SOLUTION missing?)", l, cur.ID, cur.Indent+"// ")
				}
				cur.Stub = append(cur.Stub, code)
				cur.Lines = append(cur.Lines, l)
			case cur != nil:
				cur.Solution = append(cur.Solution, l)
				cur.Lines = append(cur.Lines, l)
			}
		}
		if cur != nil {
			return nil, errAt(cur.Line, "exercise %s has no // END SOLUTION in its cell (unpaired BEGIN SOLUTION)", cur.ID)
		}
	}
	return blocks, nil
}

// checkBlock checks a complete block: a solution, and a stub that calls verify.Todo with its id.
func checkBlock(b *Block, errAt func(int, string, ...any) error, endLine int) error {
	if strings.TrimSpace(strings.Join(b.Solution, "")) == "" {
		return errAt(b.Line, "exercise %s has no solution code between // BEGIN SOLUTION and // STUB", b.ID)
	}
	todo := fmt.Sprintf("verify.Todo(%q)", b.ID)
	if !strings.Contains(strings.Join(b.Stub, "\n"), todo) {
		return errAt(endLine, "the stub of exercise %s must call %s (so that the run reports it as not yet implemented); put it, commented out, after // STUB", b.ID, todo)
	}
	return nil
}

// uncomment strips indent+"// " (or indent+"//" on an empty line) from a stub line.
func uncomment(l, indent string) (string, bool) {
	if l == indent+"//" {
		return "", true
	}
	if rest, ok := strings.CutPrefix(l, indent+"// "); ok {
		return indent + rest, true
	}
	return "", false
}

// Generate returns the exercise version of a solution notebook: every block
// replaced by its region (the hint as a comment, the stub, an end marker), an
// introduction after the title, and outputs cleared. name is the solution
// notebook's path relative to the repository root. A notebook without blocks
// gives nil.
func Generate(nb *Notebook, name string) (*Notebook, error) {
	blocks, err := Blocks(nb, name)
	if err != nil || len(blocks) == 0 {
		return nil, err
	}
	out := nb.clone()
	byCell := map[int][]Block{}
	for _, b := range blocks {
		byCell[b.Cell] = append(byCell[b.Cell], b)
	}
	for ci, c := range out.Cells {
		c.clearOutputs()
		if bs := byCell[ci]; len(bs) > 0 {
			c.SetSource(replaceBlocks(c.Source(), bs, func(b Block) []string { return b.region() }))
		}
	}
	intro := &Cell{}
	intro.obj.set("cell_type", []byte(`"markdown"`))
	intro.obj.set("id", []byte(`"`+introID+`"`))
	intro.obj.set("metadata", []byte(`{}`))
	intro.SetSource(introText(name, blocks))
	at := min(1, len(out.Cells))
	out.Cells = append(out.Cells[:at], append([]*Cell{intro}, out.Cells[at:]...)...)
	return out, nil
}

// replaceBlocks rewrites a cell: each block's lines (found by its BEGIN line)
// become repl(block).
func replaceBlocks(src string, bs []Block, repl func(Block) []string) string {
	lines := strings.Split(src, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		var hit *Block
		for k := range bs {
			if bs[k].Line == i+1 {
				hit = &bs[k]
			}
		}
		if hit == nil {
			out = append(out, lines[i])
			continue
		}
		out = append(out, repl(*hit)...)
		i += len(hit.Lines) - 1
	}
	return strings.Join(out, "\n")
}

func introText(name string, blocks []Block) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Exercises.** This is the exercise version of `%s`, written by `make exercises`: edit that notebook, not this copy. ", filepath.ToSlash(name))
	b.WriteString("In each cell marked `// EXERCISE <id>: <hint>`, replace the stub between that line and `// END EXERCISE <id>` with your code, ")
	b.WriteString("then run the cell and the ones after it. An unsolved exercise prints `NOT YET IMPLEMENTED: exercise <id>`, and the checks that need it wait; ")
	b.WriteString("a solved one prints its checks: `holds`, or `CHECK FAILED` with what the difference looks like (wrong sign, off by a factor, wrong shape) where the check can tell.\n\n")
	for _, bl := range blocks {
		fmt.Fprintf(&b, "- **%s**: %s\n", bl.ID, bl.Hint)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// RegionIDs returns the ids of the exercise regions (// EXERCISE <id>: ...) in
// a cell's source, in order: what an exercise notebook's run must report as
// not yet implemented.
func RegionIDs(src string) []string {
	var ids []string
	for _, l := range strings.Split(src, "\n") {
		if m := regionRE.FindStringSubmatch(l); m != nil {
			ids = append(ids, m[2])
		}
	}
	return ids
}

// regions maps each exercise region of a cell to its id: the line span
// [start, end] (0-based) from // EXERCISE to // END EXERCISE.
type span struct {
	id         string
	start, end int
}

func regions(lines []string, name string, cell int) ([]span, error) {
	var out []span
	open := -1
	id := ""
	for i, l := range lines {
		if m := regionRE.FindStringSubmatch(l); m != nil {
			if open >= 0 {
				return nil, &MarkerError{name, cell, i + 1, fmt.Sprintf("EXERCISE %s inside exercise %s", m[2], id)}
			}
			open, id = i, m[2]
		} else if m := regionEndRE.FindStringSubmatch(l); m != nil {
			if open < 0 || m[1] != id {
				return nil, &MarkerError{name, cell, i + 1, fmt.Sprintf("END EXERCISE %s without its EXERCISE line", m[1])}
			}
			out = append(out, span{id, open, i})
			open = -1
		}
	}
	if open >= 0 {
		return nil, &MarkerError{name, cell, open + 1, fmt.Sprintf("exercise %s has no END EXERCISE line", id)}
	}
	return out, nil
}

// rewriteRegions replaces every region of an exercise notebook by with(block),
// the block of the same id in the solution notebook, and drops the
// introduction cell.
func rewriteRegions(ex, sol *Notebook, name string, with func(Block) []string) (*Notebook, error) {
	blocks, err := Blocks(sol, name)
	if err != nil {
		return nil, err
	}
	byID := map[string]Block{}
	for _, b := range blocks {
		byID[b.ID] = b
	}
	out := &Notebook{top: ex.top}
	used := map[string]bool{}
	for ci, c := range ex.Cells {
		if c.ID() == introID {
			continue
		}
		c = c.clone()
		out.Cells = append(out.Cells, c)
		if c.Type() != "code" {
			continue
		}
		lines := strings.Split(c.Source(), "\n")
		spans, err := regions(lines, name, ci)
		if err != nil {
			return nil, err
		}
		if len(spans) == 0 {
			continue
		}
		var res []string
		prev := 0
		for _, s := range spans {
			b, ok := byID[s.id]
			if !ok {
				return nil, &MarkerError{name, ci, s.start + 1, fmt.Sprintf("exercise %s is not in the solution notebook", s.id)}
			}
			used[s.id] = true
			res = append(append(res, lines[prev:s.start]...), with(b)...)
			prev = s.end + 1
		}
		c.SetSource(strings.Join(append(res, lines[prev:]...), "\n"))
	}
	for _, b := range blocks {
		if !used[b.ID] {
			return nil, fmt.Errorf("%s: exercise %s of the solution notebook has no region in the exercise notebook", name, b.ID)
		}
	}
	return out, nil
}

// Restore is Generate's inverse: it puts the solution notebook's blocks back
// into the exercise notebook's regions and drops the introduction, giving the
// solution notebook's cells (with outputs cleared).
func Restore(ex, sol *Notebook, name string) (*Notebook, error) {
	return rewriteRegions(ex, sol, name, func(b Block) []string { return b.Lines })
}

// Fill solves an exercise notebook as a student would: each region keeps its
// EXERCISE and END EXERCISE lines and gets the solution's code in place of the
// stub. Its run must print the solution notebook's check lines.
func Fill(ex, sol *Notebook, name string) (*Notebook, error) {
	return rewriteRegions(ex, sol, name, func(b Block) []string {
		r := b.region()
		return append(append([]string{r[0]}, b.Solution...), r[len(r)-1])
	})
}

// Build generates the exercise notebook of every solution notebook under root
// that has exercises: their paths (relative to root) and contents.
func Build(root string) (map[string][]byte, error) {
	files, err := filepath.Glob(filepath.Join(root, SourceGlob))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := map[string][]byte{}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		nb, err := ReadNotebook(f)
		if err != nil {
			return nil, err
		}
		ex, err := Generate(nb, rel)
		if err != nil {
			return nil, err
		}
		if ex == nil {
			continue
		}
		data, err := ex.Marshal()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", rel, err)
		}
		out[Dir+"/"+filepath.Base(f)] = data
	}
	return out, nil
}

// Stale compares the generated notebooks with the files in root's Dir and
// returns what differs: files to rewrite, to create, or to remove (an exercise
// notebook whose solution notebook has no exercises any more).
func Stale(root string) ([]string, error) {
	want, err := Build(root)
	if err != nil {
		return nil, err
	}
	var stale []string
	for p, data := range want {
		have, err := os.ReadFile(filepath.Join(root, p))
		switch {
		case os.IsNotExist(err):
			stale = append(stale, p+" (missing)")
		case err != nil:
			return nil, err
		case !bytes.Equal(have, data):
			stale = append(stale, p+" (differs from its solution notebook)")
		}
	}
	present, _ := filepath.Glob(filepath.Join(root, Dir, "*.ipynb"))
	for _, f := range present {
		p := Dir + "/" + filepath.Base(f)
		if _, ok := want[p]; !ok {
			stale = append(stale, p+" (no solution notebook with exercises)")
		}
	}
	sort.Strings(stale)
	return stale, nil
}

// Write regenerates root's Dir: it writes every exercise notebook and removes
// the ones no solution notebook produces. It returns the paths written.
func Write(root string) ([]string, error) {
	want, err := Build(root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o755); err != nil {
		return nil, err
	}
	present, _ := filepath.Glob(filepath.Join(root, Dir, "*.ipynb"))
	for _, f := range present {
		if _, ok := want[Dir+"/"+filepath.Base(f)]; !ok {
			if err := os.Remove(f); err != nil {
				return nil, err
			}
		}
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.WriteFile(filepath.Join(root, p), want[p], 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
