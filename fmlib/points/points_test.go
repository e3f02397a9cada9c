package points

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		p       [][]float64
		n, d    int
		wantErr string // substring of the error; "" means no error
	}{
		{"ok", [][]float64{{1, 2}, {3, 4}, {5, 6}}, 3, 2, ""},
		{"one point 1D", [][]float64{{7}}, 1, 1, ""},
		{"empty", nil, 0, 0, "empty"},
		{"zero dim", [][]float64{{}}, 0, 0, "no coordinates"},
		{"ragged", [][]float64{{1, 2}, {3}}, 0, 0, "row 1 has 1"},
		{"nan", [][]float64{{1, 2}, {math.NaN(), 4}}, 0, 0, "row 1 coordinate 0"},
		{"inf", [][]float64{{1, math.Inf(1)}}, 0, 0, "finite"},
	}
	for _, c := range cases {
		n, d, err := Check(c.p)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || n != c.n || d != c.d {
			t.Errorf("%s: got (%d, %d, %v), want (%d, %d, nil)", c.name, n, d, err, c.n, c.d)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := [][]float64{{0.5, -1.25}, {3, 1e-3}, {-2, 4}}
	tt, err := ToTensor(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tt.Shape().Dimensions; len(got) != 2 || got[0] != 3 || got[1] != 2 {
		t.Fatalf("shape %v, want [3 2]", got)
	}
	back, err := FromTensor(tt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p {
		for j := range p[i] {
			// float32 keeps 24 bits of mantissa: relative error <= 2^-24 ~ 6e-8.
			if d := math.Abs(back[i][j] - p[i][j]); d > 6e-8*math.Abs(p[i][j]) {
				t.Errorf("[%d][%d]: %v -> %v", i, j, p[i][j], back[i][j])
			}
		}
	}
	if _, err := ToTensor([][]float64{{1}, {1, 2}}); err == nil {
		t.Error("ToTensor accepted a ragged set")
	}
	// Finite in float64 but ±Inf in float32 (MaxFloat32 ~ 3.4e38): an error,
	// not a tensor holding Inf. MaxFloat32 itself still fits.
	for _, c := range []struct {
		v       float64
		wantErr bool
	}{{math.MaxFloat32, false}, {-math.MaxFloat32, false}, {3.5e38, true}, {-1e300, true}} {
		_, err := ToTensor([][]float64{{0, c.v}})
		if (err != nil) != c.wantErr || (c.wantErr && !strings.Contains(err.Error(), "row 0 coordinate 1")) {
			t.Errorf("ToTensor with coordinate %g: err = %v, want an error: %v", c.v, err, c.wantErr)
		}
	}
	if _, err := FromTensor(tensors.FromValue([]float32{1, 2})); err == nil || !strings.Contains(err.Error(), "rank 1") {
		t.Errorf("FromTensor on rank 1: err = %v", err)
	}
	if _, err := FromTensor(tensors.FromValue([][]int32{{1}})); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("FromTensor on int32: err = %v", err)
	}
}

func TestMoments(t *testing.T) {
	cases := []struct {
		name      string
		p         [][]float64
		mean, std []float64
	}{
		{"one point", [][]float64{{1, -2}}, []float64{1, -2}, []float64{0, 0}},
		// (0,0),(2,4): mean (1,2); deviations (±1, ±2); n-1 = 1 gives std (sqrt 2, sqrt 8).
		{"two points", [][]float64{{0, 0}, {2, 4}}, []float64{1, 2}, []float64{math.Sqrt2, math.Sqrt(8)}},
		{"1D", [][]float64{{1}, {2}, {3}}, []float64{2}, []float64{1}},
	}
	const tol = 1e-12 // a handful of additions of small integers: exact up to rounding of the square root
	for _, c := range cases {
		m, s, err := Moments(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for j := range c.mean {
			if math.Abs(m[j]-c.mean[j]) > tol || math.Abs(s[j]-c.std[j]) > tol {
				t.Errorf("%s: coordinate %d: mean %v std %v, want %v %v", c.name, j, m[j], s[j], c.mean[j], c.std[j])
			}
		}
	}
	if _, _, err := Moments([][]float64{{1, 2}, {3}}); err == nil {
		t.Error("Moments accepted a ragged set")
	}
}
