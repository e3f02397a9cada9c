package metrics

import (
	"math"
	"slices"
	"testing"
)

func errOf[A any](_ A, err error) error          { return err }
func errOf2[A, B any](_ A, _ B, err error) error { return err }

func TestHistogram(t *testing.T) {
	b := Bins{Min: -1, Max: 1, N: 4}
	if w := b.Width(); w != 0.5 {
		t.Errorf("width %v", w)
	}
	if c := b.Centers(); c[0] != -0.75 || c[3] != 0.75 {
		t.Errorf("centres %v", c)
	}
	counts, outside, err := Counts([][]float64{{-1}, {-0.6}, {0.99}, {1}, {-2}, {0}}, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 0, 1, 1}; !slices.Equal(counts, want) || outside != 2 {
		t.Errorf("counts %v outside %d; want %v and 2", counts, outside, want)
	}
	// 2D layout: x fastest.
	counts, _, err = Counts([][]float64{{0.5, -0.5}, {-0.5, 0.5}}, Bins{-1, 1, 2}, Bins{-1, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 1, 0}; !slices.Equal(counts, want) {
		t.Errorf("2D counts %v, want %v", counts, want)
	}
	// A uniform density on [0, 2] x [0, 1]: every cell gets its area / 2 (rounding only).
	probs, err := BinProbs(func(x [][]float64) ([]float64, error) {
		out := make([]float64, len(x))
		for i := range out {
			out[i] = math.Log(0.5)
		}
		return out, nil
	}, 3, Bins{0, 2, 4}, Bins{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range probs {
		if math.Abs(p-1.0/8) > 1e-15 {
			t.Errorf("cell %d: %v, want 1/8", i, p)
		}
	}
	// A linear density 2x on [0, 1): the midpoint rule is exact for linear functions.
	probs, err = BinProbs(func(x [][]float64) ([]float64, error) {
		out := make([]float64, len(x))
		for i, r := range x {
			out[i] = math.Log(2 * r[0])
		}
		return out, nil
	}, 1, Bins{0, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range probs {
		want := (math.Pow(float64(i+1)/4, 2) - math.Pow(float64(i)/4, 2))
		if math.Abs(p-want) > 1e-15 {
			t.Errorf("bin %d: %v, want %v", i, p, want)
		}
	}
	fit, err := GoodnessOfFit([]int{30, 50, 20}, []float64{0.3, 0.5, 0.2}, 100, 5)
	if err != nil || fit.MaxZ != 0 || fit.ChiSq != 0 || fit.Used != 3 {
		t.Errorf("perfect fit: %+v, %v", fit, err)
	}
	fit, err = GoodnessOfFit([]int{45, 50, 15, 0}, []float64{0.3, 0.5, 0.19, 0.01}, 100, 5)
	if err != nil || fit.Used != 3 || fit.WorstBin != 0 || math.Abs(fit.MaxZ-15/math.Sqrt(30*0.7)) > 1e-12 {
		t.Errorf("fit %+v, %v", fit, err)
	}
	rows, err := BinRows([]float64{1, 2, 3, 4, 5, 6}, 3, 2)
	if err != nil || len(rows) != 2 || rows[1][0] != 8 || rows[0][2] != 6 {
		t.Errorf("BinRows: %v, %v", rows, err)
	}
	// Bad input.
	for _, bad := range []struct {
		name string
		err  error
	}{
		{"no bins", errOf2(Counts([][]float64{{1}}))},
		{"zero bins", errOf2(Counts([][]float64{{1}}, Bins{0, 1, 0}))},
		{"empty range", errOf2(Counts([][]float64{{1}}, Bins{1, 1, 3}))},
		{"no points", errOf2(Counts(nil, b))},
		{"wrong dimension", errOf2(Counts([][]float64{{1, 2}}, b))},
		{"NaN point", errOf2(Counts([][]float64{{math.NaN()}}, b))},
		{"nil logp", errOf(BinProbs(nil, 1, b))},
		{"sub 0", errOf(BinProbs(func(x [][]float64) ([]float64, error) { return make([]float64, len(x)), nil }, 0, b))},
		{"short logp", errOf(BinProbs(func(x [][]float64) ([]float64, error) { return nil, nil }, 1, b))},
		{"NaN logp", errOf(BinProbs(func(x [][]float64) ([]float64, error) { return []float64{0, 0, 0, math.NaN()}, nil }, 1, b))},
		{"length mismatch", errOf(GoodnessOfFit([]int{1}, []float64{0.5, 0.5}, 1, 1))},
		{"no samples", errOf(GoodnessOfFit([]int{1}, []float64{1}, 0, 1))},
		{"bad threshold", errOf(GoodnessOfFit([]int{1}, []float64{1}, 1, 0))},
		{"negative probability", errOf(GoodnessOfFit([]int{1}, []float64{-1}, 1, 1))},
		{"nothing expected", errOf(GoodnessOfFit([]int{1}, []float64{0.1}, 10, 5))},
		{"ragged rows", errOf(BinRows([]float64{1, 2, 3}, 2, 1))},
	} {
		if bad.err == nil {
			t.Errorf("%s: accepted", bad.name)
		}
	}
}
