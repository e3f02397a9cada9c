package verify

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
)

// FailMarker starts the line of every failed check. The notebook runner
// reports any output line that starts with it.
const FailMarker = "CHECK FAILED: "

// Output receives the check lines; nil means os.Stdout at the time of the call
// (a notebook cell's output).
var Output io.Writer

// report prints one check line and returns ok. bound names the limit
// ("tolerance" for an upper bound, "threshold" for a lower one).
func report(ok bool, what, measured, bound string, limit float64, verdict string) bool {
	prefix := ""
	if !ok {
		prefix = FailMarker
	}
	fmt.Fprintf(out(), "%s%s: %s, %s %.3g: %s\n", prefix, what, measured, bound, limit, verdict)
	return ok
}

// Below checks an identity: value <= tol. A NaN value fails.
func Below(what string, value, tol float64) bool {
	ok := value <= tol // false for NaN
	verdict := "holds"
	if !ok {
		verdict = "does not hold"
	}
	return report(ok, what, fmt.Sprintf("%.3g", value), "tolerance", tol, verdict)
}

// Above checks that value > threshold: a deliberately broken case is caught
// (its error exceeds the tolerance of the identity it breaks), or a quantity
// that must grow did. A NaN value fails (a breakage that produces NaN is not
// measured, only crashed).
func Above(what string, value, threshold float64) bool {
	ok := value > threshold
	verdict := "above it, as expected"
	if !ok {
		verdict = "NOT above it"
	}
	return report(ok, what, fmt.Sprintf("%.3g", value), "threshold", threshold, verdict)
}

// Near checks a measurement against a prediction: |got - want| <= tol.
func Near(what string, got, want, tol float64) bool {
	d := math.Abs(got - want)
	ok := d <= tol
	verdict := "holds"
	if !ok {
		verdict = "does not hold"
	}
	return report(ok, what, fmt.Sprintf("%.6g vs predicted %.6g (off by %.3g)", got, want, d), "tolerance", tol, verdict)
}

// LogLogSlope returns the least-squares slope of log(y) against log(x). It
// returns NaN when fewer than two points are given, the lengths differ, or a
// value is not positive (its logarithm is undefined): a check on a NaN slope
// fails.
func LogLogSlope(x, y []float64) float64 {
	n := len(x)
	if n < 2 || len(y) != n {
		return math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) {
			return math.NaN()
		}
		lx, ly := math.Log(x[i]), math.Log(y[i])
		sx, sy, sxx, sxy = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly
	}
	fn := float64(n)
	den := fn*sxx - sx*sx
	if den == 0 {
		return math.NaN()
	}
	return (fn*sxy - sx*sy) / den
}

// checkLineRE matches the verdict part of every line that report prints.
var checkLineRE = regexp.MustCompile(`, (tolerance|threshold) [^,:]+: (holds|does not hold|above it, as expected|NOT above it)`)

// IsCheckLine reports whether line (without its newline) is one printed by a
// check of this package: a check that held or failed, or one that waits for
// an exercise (TodoMarker). The notebook runner compares these lines between
// two runs of the same checks.
func IsCheckLine(line string) bool {
	return strings.HasPrefix(line, TodoMarker) || checkLineRE.MatchString(line)
}
