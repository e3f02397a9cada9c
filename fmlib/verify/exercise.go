package verify

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
)

// TodoMarker starts the line that an unsolved exercise prints (Todo) and the
// line of every check that waits for it. The notebook runner expects exactly
// these lines in exercise notebooks and rejects them anywhere else.
const TodoMarker = "NOT YET IMPLEMENTED: "

var (
	todoMu  sync.Mutex
	pending = map[string]bool{}
)

// Todo records that exercise id is still a stub in this run and prints, the
// first time only,
//
//	NOT YET IMPLEMENTED: exercise 01.1: write your code between // EXERCISE 01.1 and // END EXERCISE 01.1
//
// The stub of every exercise calls it (the exercise generator insists), then
// returns a value of the right type and shape, so the rest of the notebook
// runs; the checks that depend on the exercise go through Exercise and report
// that they wait for it instead of failing.
func Todo(id string) {
	todoMu.Lock()
	seen := pending[id]
	pending[id] = true
	todoMu.Unlock()
	if !seen {
		fmt.Fprintf(out(), "%sexercise %s: write your code between // EXERCISE %s and // END EXERCISE %s\n", TodoMarker, id, id, id)
	}
}

// Pending reports whether Todo(id) was called in this run.
func Pending(id string) bool {
	todoMu.Lock()
	defer todoMu.Unlock()
	return pending[id]
}

// out is where check lines go: Output, or os.Stdout at the time of the call.
func out() io.Writer {
	if Output != nil {
		return Output
	}
	return os.Stdout
}

// Exercise is the id of an exercise ("01.1"), or several ids separated by
// commas ("08.1,08.2") for a check that needs them all. Its checks are the
// package's checks, except that while an exercise is a stub (Pending) they
// print a TodoMarker line per pending exercise saying what waits for it, and
// return false, instead of judging a value not computed yet.
type Exercise string

func (e Exercise) waits(what string) bool {
	waiting := false
	for _, id := range strings.Split(string(e), ",") {
		if id = strings.TrimSpace(id); Pending(id) {
			fmt.Fprintf(out(), "%sexercise %s: %s: not checked until the exercise is done\n", TodoMarker, id, what)
			waiting = true
		}
	}
	return waiting
}

// Below is the package's Below, waiting for the exercise.
func (e Exercise) Below(what string, value, tol float64) bool {
	if e.waits(what) {
		return false
	}
	return Below(what, value, tol)
}

// Above is the package's Above, waiting for the exercise.
func (e Exercise) Above(what string, value, threshold float64) bool {
	if e.waits(what) {
		return false
	}
	return Above(what, value, threshold)
}

// Near is the package's Near, waiting for the exercise. A failure says what
// the two numbers suggest when they are related simply (see DiagnoseScalar).
func (e Exercise) Near(what string, got, want, tol float64) bool {
	if e.waits(what) {
		return false
	}
	d := math.Abs(got - want)
	ok := d <= tol
	verdict := "holds"
	if !ok {
		verdict = "does not hold"
		if hint := DiagnoseScalar(got, want, tol); hint != "" {
			verdict += ": " + hint
		}
	}
	return report(ok, what, fmt.Sprintf("%.6g vs predicted %.6g (off by %.3g)", got, want, d), "tolerance", tol, verdict)
}

// Match compares a student's values with reference values, waiting for the
// exercise (see Match).
func (e Exercise) Match(what string, got, want []float64, tol float64) bool {
	if e.waits(what) {
		return false
	}
	return Match(what, got, want, tol)
}

// MatchRows compares a student's rows (points, vectors) with reference rows,
// waiting for the exercise (see MatchRows).
func (e Exercise) MatchRows(what string, got, want [][]float64, tol float64) bool {
	if e.waits(what) {
		return false
	}
	return MatchRows(what, got, want, tol)
}

// Match checks got against the reference want:
//
//	max_i |got_i - want_i| / max_i |want_i| <= tol
//
// (the absolute difference when want is all zeros). A failure names what the
// difference looks like when Diagnose can tell: a wrong length, NaN, all
// zeros, the wrong sign, a constant factor or offset, the right values in the
// wrong order; otherwise where the largest difference is.
func Match(what string, got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return report(false, what, fmt.Sprintf("%d values against %d", len(got), len(want)), "tolerance", tol,
			fmt.Sprintf("does not hold: wrong shape (got %d values, want %d)", len(got), len(want)))
	}
	rel, worst := relDiff(got, want)
	ok := rel <= tol // false for NaN
	verdict := "holds"
	if !ok {
		if hint := Diagnose(got, want, tol); hint != "" {
			verdict = "does not hold: " + hint
		} else {
			verdict = fmt.Sprintf("does not hold: largest difference at index %d (got %.6g, want %.6g)", worst, got[worst], want[worst])
		}
	}
	return report(ok, what, fmt.Sprintf("max |got - want| / max |want| = %.3g", rel), "tolerance", tol, verdict)
}

// MatchRows is Match for rows of equal length (points, vectors): it also
// names a wrong shape (a transposed result, rows of the wrong length) and
// gives the row and column of the largest difference.
func MatchRows(what string, got, want [][]float64, tol float64) bool {
	if msg := shapeProblem(got, want); msg != "" {
		return report(false, what, fmt.Sprintf("%s against %s", shapeOf(got), shapeOf(want)), "tolerance", tol, "does not hold: wrong shape ("+msg+")")
	}
	var g, w []float64
	cols := 1
	for i := range want {
		g, w = append(g, got[i]...), append(w, want[i]...)
		cols = len(want[i])
	}
	rel, worst := relDiff(g, w)
	ok := rel <= tol
	verdict := "holds"
	if !ok {
		if hint := Diagnose(g, w, tol); hint != "" {
			verdict = "does not hold: " + hint
		} else {
			r, c := worst/max(cols, 1), worst%max(cols, 1)
			verdict = fmt.Sprintf("does not hold: largest difference in row %d, column %d (got %.6g, want %.6g)", r, c, got[r][c], want[r][c])
		}
	}
	return report(ok, what, fmt.Sprintf("max |got - want| / max |want| = %.3g", rel), "tolerance", tol, verdict)
}

func shapeOf(x [][]float64) string {
	if len(x) == 0 {
		return "0 rows"
	}
	return fmt.Sprintf("%d x %d", len(x), len(x[0]))
}

// shapeProblem describes how the shape of got differs from want's, or "".
func shapeProblem(got, want [][]float64) string {
	ragged := func(x [][]float64) int {
		for i := range x {
			if len(x[i]) != len(x[0]) {
				return i
			}
		}
		return -1
	}
	if i := ragged(got); i >= 0 {
		return fmt.Sprintf("row %d of got has %d values, row 0 has %d", i, len(got[i]), len(got[0]))
	}
	if len(got) == len(want) && (len(want) == 0 || len(got[0]) == len(want[0])) {
		return ""
	}
	if len(want) > 0 && len(got) > 0 && len(got) == len(want[0]) && len(got[0]) == len(want) {
		return fmt.Sprintf("got %s, want %s: transposed?", shapeOf(got), shapeOf(want))
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d rows, want %d", len(got), len(want))
	}
	return fmt.Sprintf("got rows of %d values, want %d", len(got[0]), len(want[0]))
}

// relDiff returns max |got - want| / max |want| (absolute when want is all
// zeros; NaN when got has a NaN) and the index of the largest difference.
func relDiff(got, want []float64) (float64, int) {
	scale, worst, at := 0.0, 0.0, -1
	for i := range want {
		scale = math.Max(scale, math.Abs(want[i]))
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(d) {
			return math.NaN(), i
		}
		if d > worst || at < 0 {
			worst, at = d, i
		}
	}
	if scale == 0 {
		scale = 1
	}
	return worst / scale, at
}

// Diagnose says what simple relation got has to want when it misses it by more
// than tol (relative to max |want|, as in Match), or "" when it finds none:
//
//   - a NaN or infinite value;
//   - all zeros (nothing computed, or the result never written);
//   - the wrong sign: got = -want;
//   - a constant factor: got = c want (a missing 1/2, a squared norm);
//   - a constant offset: got = want + b (a missing normalising constant);
//   - the right values in the wrong order (mixed-up indices).
//
// It returns "" when got is within tol of want, or the lengths differ (Match
// reports a wrong length itself).
func Diagnose(got, want []float64, tol float64) string {
	n := len(want)
	if n == 0 || len(got) != n {
		return ""
	}
	scale := 0.0
	for i := range want {
		scale = math.Max(scale, math.Abs(want[i]))
		if math.IsNaN(got[i]) || math.IsInf(got[i], 0) {
			return fmt.Sprintf("got %v at index %d", got[i], i)
		}
	}
	if scale == 0 {
		scale = 1
	}
	fits := func(f func(i int) float64) bool { // max |got_i - f(i)| / scale <= tol
		for i := range got {
			if !(math.Abs(got[i]-f(i)) <= tol*scale) {
				return false
			}
		}
		return true
	}
	if fits(func(i int) float64 { return want[i] }) {
		return "" // no miss to explain
	}
	zero := true
	for _, g := range got {
		zero = zero && g == 0
	}
	if zero {
		return "got all zeros (nothing computed?)"
	}
	if fits(func(i int) float64 { return -want[i] }) {
		return "wrong sign (got = -want)"
	}
	var gw, ww, mean float64
	for i := range want {
		gw, ww, mean = gw+got[i]*want[i], ww+want[i]*want[i], mean+(got[i]-want[i])/float64(n)
	}
	if ww > 0 {
		if c := gw / ww; fits(func(i int) float64 { return c * want[i] }) {
			return fmt.Sprintf("off by a factor %.4g (got = %.4g x want)", c, c)
		}
	}
	if n > 1 && fits(func(i int) float64 { return want[i] + mean }) {
		return fmt.Sprintf("off by a constant %.4g (got = want + %.4g)", mean, mean)
	}
	if n > 1 {
		g, w := append([]float64(nil), got...), append([]float64(nil), want...)
		sort.Float64s(g)
		sort.Float64s(w)
		same := true
		for i := range g {
			same = same && math.Abs(g[i]-w[i]) <= tol*scale
		}
		if same {
			return "the right values in the wrong order (mixed-up indices?)"
		}
	}
	return ""
}

// DiagnoseScalar is Diagnose for one number: a NaN, zero, the wrong sign or
// the ratio got/want, or "" when got is within tol of want.
func DiagnoseScalar(got, want, tol float64) string {
	switch {
	case math.Abs(got-want) <= tol:
		return ""
	case math.IsNaN(got) || math.IsInf(got, 0):
		return fmt.Sprintf("got %v", got)
	case got == 0:
		return "got zero (nothing computed?)"
	case math.Abs(got+want) <= tol:
		return "wrong sign (got = -want)"
	case want != 0:
		return fmt.Sprintf("got / want = %.4g", got/want)
	}
	return ""
}
