package verify

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func capture(t *testing.T, f func() bool) (bool, string) {
	t.Helper()
	var buf bytes.Buffer
	old := Output
	Output = &buf
	defer func() { Output = old }()
	ok := f()
	return ok, buf.String()
}

func TestChecks(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		f      func() bool
		ok     bool
		phrase string
	}{
		{"below holds", func() bool { return Below("x", 1e-7, 1e-6) }, true, "holds"},
		{"below at the tolerance holds", func() bool { return Below("x", 1e-6, 1e-6) }, true, "holds"},
		{"below fails", func() bool { return Below("x", 2e-6, 1e-6) }, false, "does not hold"},
		{"below NaN fails", func() bool { return Below("x", nan, 1e-6) }, false, "does not hold"},
		{"above caught", func() bool { return Above("x", 0.5, 1e-6) }, true, "above it"},
		{"above not caught", func() bool { return Above("x", 1e-9, 1e-6) }, false, "NOT above it"},
		{"above NaN fails", func() bool { return Above("x", nan, 1e-6) }, false, "NOT above it"},
		{"near holds", func() bool { return Near("x", 1.001, 1, 0.01) }, true, "holds"},
		{"near fails", func() bool { return Near("x", 1.1, 1, 0.01) }, false, "does not hold"},
		{"near NaN fails", func() bool { return Near("x", nan, 1, 0.01) }, false, "does not hold"},
	} {
		ok, out := capture(t, c.f)
		if ok != c.ok {
			t.Errorf("%s: returned %v, want %v (output %q)", c.name, ok, c.ok, out)
		}
		if got := strings.HasPrefix(out, FailMarker); got == c.ok {
			t.Errorf("%s: fail marker present = %v, want %v: %q", c.name, got, !c.ok, out)
		}
		if !strings.Contains(out, c.phrase) || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: output %q should be one line containing %q", c.name, out, c.phrase)
		}
	}
}

func TestLogLogSlope(t *testing.T) {
	pow := func(p float64, noise []float64) ([]float64, []float64) {
		var x, y []float64
		for i, h := range []float64{1, 0.5, 0.25, 0.125} {
			x, y = append(x, h), append(y, 3*math.Pow(h, p)*(1+noise[i]))
		}
		return x, y
	}
	for _, c := range []struct {
		name  string
		p     float64
		noise []float64
		tol   float64 // exact power laws are fitted to rounding; 1% noise moves the slope by < 0.02
	}{
		{"order 1", 1, []float64{0, 0, 0, 0}, 1e-12},
		{"order 4", 4, []float64{0, 0, 0, 0}, 1e-12},
		{"order -1/2", -0.5, []float64{0, 0, 0, 0}, 1e-12},
		{"order 2 with 1% noise", 2, []float64{0.01, -0.01, 0.01, -0.01}, 0.02},
	} {
		x, y := pow(c.p, c.noise)
		if got := LogLogSlope(x, y); math.Abs(got-c.p) > c.tol {
			t.Errorf("%s: slope %v, want %v within %v", c.name, got, c.p, c.tol)
		}
	}
	for _, c := range []struct {
		name string
		x, y []float64
	}{
		{"one point", []float64{1}, []float64{1}},
		{"length mismatch", []float64{1, 2}, []float64{1}},
		{"zero error", []float64{1, 2}, []float64{0, 1}},
		{"same x", []float64{2, 2}, []float64{1, 3}},
	} {
		if got := LogLogSlope(c.x, c.y); !math.IsNaN(got) {
			t.Errorf("%s: slope %v, want NaN", c.name, got)
		}
	}
}
