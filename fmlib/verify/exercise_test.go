package verify

import (
	"math"
	"strings"
	"testing"
)

func TestDiagnose(t *testing.T) {
	want := []float64{1, -2, 3, 0.5}
	scaled := func(c, b float64) []float64 {
		out := make([]float64, len(want))
		for i, w := range want {
			out[i] = c*w + b
		}
		return out
	}
	for _, c := range []struct {
		name string
		got  []float64
		hint string // substring; "" means no diagnosis
	}{
		{"equal: nothing to explain", scaled(1, 1e-12), ""},
		{"sign", scaled(-1, 0), "wrong sign"},
		{"factor 2", scaled(2, 0), "off by a factor 2"},
		{"factor 0.5", scaled(0.5, 0), "off by a factor 0.5"},
		{"offset", scaled(1, 0.9189), "off by a constant 0.9189"},
		{"zeros", []float64{0, 0, 0, 0}, "all zeros"},
		{"NaN", []float64{1, math.NaN(), 3, 0.5}, "NaN at index 1"},
		{"Inf", []float64{1, -2, math.Inf(1), 0.5}, "+Inf at index 2"},
		{"order", []float64{-2, 1, 3, 0.5}, "wrong order"},
		{"unrelated", []float64{1, -2, 3, 7}, ""},
	} {
		got := Diagnose(c.got, want, 1e-9)
		if c.hint == "" && got != "" || !strings.Contains(got, c.hint) {
			t.Errorf("%s: Diagnose = %q, want it to contain %q", c.name, got, c.hint)
		}
	}
	if got := Diagnose([]float64{1}, want, 1e-9); got != "" {
		t.Errorf("lengths differ: Diagnose = %q, want \"\" (Match reports the shape)", got)
	}
}

func TestDiagnoseScalar(t *testing.T) {
	for _, c := range []struct {
		got, want float64
		hint      string
	}{
		{1, 1, ""}, {-1.5, 1.5, "wrong sign"}, {0, 2, "got zero"}, {3, 1.5, "got / want = 2"}, {math.NaN(), 1, "NaN"},
	} {
		if got := DiagnoseScalar(c.got, c.want, 1e-9); !strings.Contains(got, c.hint) || (c.hint == "" && got != "") {
			t.Errorf("DiagnoseScalar(%v, %v) = %q, want %q", c.got, c.want, got, c.hint)
		}
	}
}

func TestMatch(t *testing.T) {
	want := []float64{1, -2, 3}
	for _, c := range []struct {
		name   string
		f      func() bool
		ok     bool
		phrase string
	}{
		{"holds", func() bool { return Match("x", []float64{1, -2, 3 + 1e-8}, want, 1e-6) }, true, "max |got - want| / max |want| = 3.33e-09, tolerance 1e-06: holds"},
		{"sign", func() bool { return Match("x", []float64{-1, 2, -3}, want, 1e-6) }, false, "max |got - want| / max |want| = 2, tolerance 1e-06: does not hold: wrong sign"},
		{"shape", func() bool { return Match("x", []float64{1, -2}, want, 1e-6) }, false, "wrong shape (got 2 values, want 3)"},
		{"where", func() bool { return Match("x", []float64{1, -2, 9}, want, 1e-6) }, false, "largest difference at index 2 (got 9, want 3)"},
		{"NaN", func() bool { return Match("x", []float64{1, math.NaN(), 3}, want, 1e-6) }, false, "got NaN at index 1"},
		{"rows hold", func() bool { return MatchRows("x", [][]float64{{1, 2}, {3, 4}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, true, ": holds"},
		{"rows transposed", func() bool {
			return MatchRows("x", [][]float64{{1, 2, 3}, {4, 5, 6}}, [][]float64{{1, 4}, {2, 5}, {3, 6}}, 1e-9)
		}, false, "wrong shape (got 2 x 3, want 3 x 2: transposed?)"},
		{"rows short", func() bool { return MatchRows("x", [][]float64{{1}, {3}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, false, "got rows of 1 values, want 2"},
		{"rows count", func() bool { return MatchRows("x", [][]float64{{1, 2}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, false, "got 1 rows, want 2"},
		{"rows ragged", func() bool { return MatchRows("x", [][]float64{{1, 2}, {3}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, false, "row 1 of got has 1 values"},
		{"rows factor", func() bool { return MatchRows("x", [][]float64{{2, 4}, {6, 8}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, false, "off by a factor 2"},
		{"rows where", func() bool { return MatchRows("x", [][]float64{{1, 2}, {3, 7}}, [][]float64{{1, 2}, {3, 4}}, 1e-9) }, false, "row 1, column 1 (got 7, want 4)"},
	} {
		ok, out := capture(t, c.f)
		if ok != c.ok {
			t.Errorf("%s: returned %v, want %v (output %q)", c.name, ok, c.ok, out)
		}
		if strings.HasPrefix(out, FailMarker) == c.ok || !strings.Contains(out, c.phrase) || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: output %q: want one line containing %q, fail marker %v", c.name, out, c.phrase, !c.ok)
		}
		if !IsCheckLine(strings.TrimSuffix(out, "\n")) {
			t.Errorf("%s: IsCheckLine(%q) = false", c.name, out)
		}
	}
}

func TestTodoAndExercise(t *testing.T) {
	e := Exercise("t.1")
	// Before Todo the exercise's checks judge as usual.
	if ok, out := capture(t, func() bool { return e.Below("err", 2, 1) }); ok || !strings.HasPrefix(out, FailMarker) {
		t.Errorf("solved exercise, failing value: ok %v, output %q", ok, out)
	}
	if ok, out := capture(t, func() bool { return e.Near("v", -2, 2, 0.1) }); ok || !strings.Contains(out, "wrong sign") {
		t.Errorf("Near with the wrong sign: ok %v, output %q", ok, out)
	}
	_, out := capture(t, func() bool { Todo("t.1"); Todo("t.1"); return true })
	if want := TodoMarker + "exercise t.1: write your code between // EXERCISE t.1 and // END EXERCISE t.1\n"; out != want {
		t.Errorf("Todo twice printed %q, want once %q", out, want)
	}
	if !Pending("t.1") || Pending("t.2") {
		t.Errorf("Pending: t.1 %v (want true), t.2 %v (want false)", Pending("t.1"), Pending("t.2"))
	}
	for name, f := range map[string]func() bool{
		"Below": func() bool { return e.Below("err", 2, 1) },
		"Above": func() bool { return e.Above("err", 2, 1) },
		"Near":  func() bool { return e.Near("err", 2, 1, 0.1) },
		"Match": func() bool { return e.Match("err", []float64{1}, []float64{1}, 0.1) },
		"MatchRows": func() bool {
			return e.MatchRows("err", [][]float64{{1}}, [][]float64{{1}}, 0.1)
		},
	} {
		ok, out := capture(t, f)
		want := TodoMarker + "exercise t.1: err: not checked until the exercise is done\n"
		if ok || out != want {
			t.Errorf("%s while pending: ok %v, output %q, want false and %q", name, ok, out, want)
		}
		if !IsCheckLine(strings.TrimSuffix(out, "\n")) {
			t.Errorf("%s: IsCheckLine(%q) = false", name, out)
		}
	}
	both := Exercise("t.3, t.1")
	if ok, out := capture(t, func() bool { return both.Below("both", 0, 1) }); ok || out != TodoMarker+"exercise t.1: both: not checked until the exercise is done\n" {
		t.Errorf("two ids, one pending: ok %v, output %q", ok, out)
	}
	if ok, out := capture(t, func() bool { return Exercise("t.3,t.4").Below("neither", 0, 1) }); !ok || strings.Contains(out, TodoMarker) {
		t.Errorf("two ids, none pending: ok %v, output %q", ok, out)
	}
	if IsCheckLine("plain prose: holds") || IsCheckLine("t = 1: mean (1.0, 2.0)") {
		t.Error("IsCheckLine accepts a line that no check prints")
	}
}
