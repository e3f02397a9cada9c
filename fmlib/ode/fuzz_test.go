package ode

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gofm/gofm/internal/fuzzin"
)

// linearHost returns the host field u(x) = A x + b. Its kind sets how it
// hands back the result: "fresh" (new rows), "in place" (written over the
// rows of x it was given, and x returned, as a field that saves allocations
// may do), or a faulty field: a row short or long, a row missing, a NaN
// coordinate, or an error.
func linearHost(a [][]float64, b []float64, kind string) vfield.Host {
	errField := errors.New("the field failed")
	return func(x [][]float64, _ float64) ([][]float64, error) {
		d := len(b)
		out := make([][]float64, len(x))
		for i, xi := range x {
			out[i] = make([]float64, d)
			for j := range d {
				out[i][j] = b[j]
				for k := range d {
					out[i][j] += a[j][k] * xi[k]
				}
			}
		}
		last := len(out) - 1
		switch kind {
		case "in place":
			for i := range x {
				copy(x[i], out[i])
			}
			return x, nil
		case "short row":
			out[last] = out[last][:d-1]
		case "long row":
			out[last] = append(out[last], 1)
		case "row missing":
			out = out[:last]
		case "NaN":
			out[last][0] = math.NaN()
		case "error":
			return nil, errField
		}
		return out, nil
	}
}

var fieldKinds = []string{"fresh", "fresh", "fresh", "in place", "short row", "long row", "row missing", "NaN", "error"}

// FuzzSolveHost integrates a fuzzed linear field u(x) = A x + b with every
// fixed-step method: the result is finite points of the input's shape with
// NFE = stages * steps, or an error naming SolveHost (also for a step
// (t1 - t0) / steps outside float64's normal range); a faulty field (bad
// rows, NaN, an error) is always an error; a field that writes its result
// over its input gives the same answer as one that allocates; and a
// constant field (A = 0) moves every point by exactly b (t1 - t0), which
// every Runge-Kutta method integrates exactly, also at the save times of
// SaveAt (Times equals SaveAt).
func FuzzSolveHost(f *testing.F) {
	f.Add([]byte{3, 20, 0, 0, 1, 0, 0, 4, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0, 2, 0})
	f.Add([]byte{3, 7, 3, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0}) // in place
	f.Add([]byte{1, 3, 4, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0})    // short row
	f.Add([]byte{2, 0, 0, 0, 0, 1, 0, 1})                                        // no steps
	f.Add([]byte{4, 5, 0, 0, 0, 1, 0, 1})                                        // Dopri5
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzin.New(data)
		method := Method(r.Intn(0, 5)) // 4 is Dopri5, 5 unknown: both errors
		steps := r.Intn(-1, 64)
		kind := fieldKinds[int(r.Byte())%len(fieldKinds)]
		t0, t1 := r.Float(), r.Float()
		save := r.Bool()
		n, d := r.Intn(1, 8), r.Intn(1, 3)
		constant := r.Bool()
		a := r.Points(d, d, true)
		if constant {
			a = make([][]float64, d)
			for j := range a {
				a[j] = make([]float64, d)
			}
		}
		b := r.Points(1, d, true)[0]
		x0 := r.Points(n, d, false)
		var saveAt []float64
		if !save {
			saveAt = fuzzSaveTimes(r, t0, t1)
		}
		keep := clonePoints(x0)
		sol, err := SolveHost(linearHost(a, b, kind), x0, t0, t1, Options{Method: method, Steps: steps, SaveTrajectory: save, SaveAt: saveAt})
		for i := range keep {
			for j := range keep[i] {
				if !sameFloat(x0[i][j], keep[i][j]) {
					t.Fatalf("SolveHost modified its input x0[%d][%d]: %v -> %v", i, j, keep[i][j], x0[i][j])
				}
			}
		}
		faulty := kind != "fresh" && kind != "in place"
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ode.SolveHost: ") {
				t.Fatalf("error %q does not name ode.SolveHost", err)
			}
			h := math.Abs((t1 - t0) / float64(steps))
			valid := method < Dopri5 && steps > 0 && fuzzin.AllFinite(x0) && h >= 0x1p-1022 && h <= math.MaxFloat64
			if kind == "error" && valid && !strings.Contains(err.Error(), "the field failed") {
				t.Fatalf("the field's error is not passed on: %v", err)
			}
			return
		}
		if faulty {
			t.Fatalf("a field with a %s was accepted: X = %v", kind, sol.X)
		}
		if h := math.Abs((t1 - t0) / float64(steps)); method >= Dopri5 || steps < 1 || !fuzzin.AllFinite(x0) || !(h >= 0x1p-1022 && h <= math.MaxFloat64) {
			t.Fatalf("invalid settings (%s, %d steps, t %v -> %v, x0 %v) were accepted", method, steps, t0, t1, x0)
		}
		tb, _ := method.Tableau()
		// Each save time inside a grid step splits it: up to len(saveAt) more steps.
		if sol.Stats.NFE != tb.Stages()*sol.Stats.Accepted || sol.Stats.Accepted < steps || sol.Stats.Accepted > steps+len(saveAt) {
			t.Fatalf("stats %+v for %d steps of %s with %d save times", sol.Stats, steps, method, len(saveAt))
		}
		if len(saveAt) > 0 && (!slices.Equal(sol.Times, saveAt) || len(sol.Trajectory) != len(saveAt)) {
			t.Fatalf("SaveAt %v over [%v, %v] in %d steps: times %v, %d snapshots", saveAt, t0, t1, steps, sol.Times, len(sol.Trajectory))
		}
		if len(sol.X) != n {
			t.Fatalf("%d points back for %d", len(sol.X), n)
		}
		for i, row := range sol.X {
			if len(row) != d || !fuzzin.AllFinite([][]float64{row}) {
				t.Fatalf("point %d is %v", i, row)
			}
		}
		if save && (len(sol.Times) != steps+1 || len(sol.Trajectory) != steps+1 || len(sol.Trajectory[0]) != n || sol.Times[steps] != t1) {
			t.Fatalf("trajectory: %d times (last %v), %d snapshots of %d points; want %d of them ending at %v", len(sol.Times), sol.Times[len(sol.Times)-1], len(sol.Trajectory), len(sol.Trajectory[0]), steps+1, t1)
		}
		if kind == "in place" {
			ref, err := SolveHost(linearHost(a, b, "fresh"), x0, t0, t1, Options{Method: method, Steps: steps, SaveAt: saveAt})
			if err != nil {
				t.Fatalf("in place: %v, fresh: %v", sol.X, err)
			}
			for i := range ref.X {
				for j := range ref.X[i] {
					if sol.X[i][j] != ref.X[i][j] {
						t.Fatalf("a field writing over its input gave %v; the same field allocating gave %v", sol.X, ref.X)
					}
				}
			}
		}
		if constant {
			h := (t1 - t0) / float64(steps)
			// x(s) = x0 + b (s - t0): at t1, and at every save time.
			check := func(x [][]float64, s float64) {
				for i := range x0 {
					for j := range d {
						want := x0[i][j] + b[j]*(s-t0)
						// Each step adds h b_j (the weights sum to 1) with a
						// rounding of a few ulps of the running value, or of
						// the subnormal spacing (5e-324) for tiny values.
						ops := 8 * float64(sol.Stats.Accepted*tb.Stages())
						tol := ops * (0x1p-52*(math.Abs(x0[i][j])+math.Abs(b[j]*(t1-t0))+math.Abs(h*b[j])) + math.SmallestNonzeroFloat64)
						if !fuzzin.Close(x[i][j], want, 0, tol) && !math.IsInf(want, 0) {
							t.Fatalf("constant field %v from %v over [%v, %v] in %d steps of %s: at t = %v %v, want %v", b, x0[i], t0, t1, steps, method, s, x[i], want)
						}
					}
				}
			}
			check(sol.X, t1)
			for k, s := range saveAt {
				check(sol.Trajectory[k], s)
			}
		}
	})
}

// fuzzSaveTimes returns up to 4 save times t0 + f (t1 - t0) for fractions f
// read from r (0, 1 and in between), clamped to the interval and strictly
// monotone from t0 to t1: valid SaveAt times by construction. None when the
// interval is not finite.
func fuzzSaveTimes(r *fuzzin.Reader, t0, t1 float64) []float64 {
	if math.IsInf(t1-t0, 0) || math.IsNaN(t1-t0) || t0 == t1 {
		return nil
	}
	var fs []float64
	for range r.Intn(0, 4) {
		fs = append(fs, float64(r.Intn(0, 8))/8)
	}
	slices.Sort(fs)
	var out []float64
	for _, f := range fs {
		s := min(max(t0+f*(t1-t0), min(t0, t1)), max(t0, t1))
		if len(out) == 0 || (s-out[len(out)-1])*math.Copysign(1, t1-t0) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func clonePoints(p [][]float64) [][]float64 {
	out := make([][]float64, len(p))
	for i := range p {
		out[i] = append([]float64(nil), p[i]...)
	}
	return out
}

// sameFloat is equality that also holds between two NaNs.
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
