package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/fuzzin"
)

// fuzzSets decodes two point sets of 1..8 rows in dimension 1..3 (the same
// for both) whose values may be NaN, ±Inf, huge or subnormal; with equal
// true both have the same number of rows.
func fuzzSets(r *fuzzin.Reader, equal bool) (x, y [][]float64) {
	n, m, d := r.Intn(1, 8), r.Intn(1, 8), r.Intn(1, 3)
	if equal {
		m = n
	}
	return r.Points(n, d, false), r.Points(m, d, false)
}

// maxAbs is the largest |value| of a few point sets.
func maxAbs(sets ...[][]float64) float64 {
	var m float64
	for _, p := range sets {
		for _, row := range p {
			for _, v := range row {
				m = max(m, math.Abs(v))
			}
		}
	}
	return m
}

// checkValue fails unless a metric's (value, err) is a finite value or,
// for inputs that are invalid (non-finite, too few rows) or at the edge of
// float64 (valid false), an error that says what to do.
func checkValue(t *testing.T, who string, v float64, err error, valid bool) {
	t.Helper()
	if err != nil {
		if valid {
			t.Fatalf("%s: %v on valid input", who, err)
		}
		if !strings.HasPrefix(err.Error(), "metrics: ") {
			t.Fatalf("%s: error %q lacks the package prefix", who, err)
		}
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("%s = %v with no error", who, v)
	}
}

// sane reports whether every |value| is below 1e150, so that squared
// distances and covariances (squares of differences: below 4e300) stay
// finite; beyond it a metric may answer with an error instead of a value.
func sane(sets ...[][]float64) bool { return maxAbs(sets...) < 1e150 }

// maxDiff is the largest |x[i][k] - y[j][k]| over all pairs and coordinates,
// and the number of coordinates.
func maxDiff(x, y [][]float64) (float64, int) {
	m, d := 0.0, 0
	for _, a := range x {
		d = len(a)
		for _, b := range y {
			for k := range a {
				if k < len(b) {
					m = math.Max(m, math.Abs(a[k]-b[k]))
				}
			}
		}
	}
	return m, d
}

// FuzzEnergyMMD: EnergyDistance and MMD are finite (or a clear error),
// symmetric in x and y to rounding, and MMD^2 lies in [-2, 2] (its kernel
// is in [0, 1]).
func FuzzEnergyMMD(f *testing.F) {
	f.Add([]byte{2, 2, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0})
	f.Add([]byte{1, 1, 1, 5, 7, 5, 9, 5, 9, 5, 7})                   // ±1e154: squared distances overflow
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 2, 0})                         // one point each: too few
	f.Add([]byte{2, 2, 0, 5, 15, 5, 16, 5, 15, 5, 16})               // ±MaxFloat64
	f.Add([]byte{3, 3, 1, 5, 4, 0, 0, 0, 5, 4, 5, 5, 0, 0, 0, 5, 5}) // subnormal
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		x, y := fuzzSets(r, false)
		valid := fuzzin.AllFinite(x) && fuzzin.AllFinite(y) && len(x) >= 2 && len(y) >= 2 && sane(x, y)
		exy, err := EnergyDistance(x, y)
		checkValue(t, "EnergyDistance(x, y)", exy, err, valid)
		eyx, err2 := EnergyDistance(y, x)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("EnergyDistance: %v one way, %v the other", err, err2)
		}
		// Sums of at most 64 distances each, of size <= 2 sqrt(3) max|v|: the
		// two orders differ by far less than 1e-12 of that.
		if err == nil && !fuzzin.Close(exy, eyx, 0, 1e-12*4*maxAbs(x, y)) {
			t.Fatalf("EnergyDistance(x, y) = %v but (y, x) = %v for x %v, y %v", exy, eyx, x, y)
		}
		var bw []float64     // nil: the defaults
		if r.Byte()%4 == 0 { // one input in four brings its own bandwidths
			bw = r.Points(1, r.Intn(1, 3), false)[0]
		}
		bwValid := true
		for _, h := range bw {
			// h^2 must neither underflow nor overflow: 1e-150 < h < 1e150.
			bwValid = bwValid && h > 1e-150 && h < 1e150
		}
		mxy, err := MMD(x, y, bw)
		checkValue(t, "MMD(x, y)", mxy, err, valid && bwValid)
		myx, err2 := MMD(y, x, bw)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("MMD: %v one way, %v the other", err, err2)
		}
		// Averages of kernel values in [0, 1]: rounding is ~1e-16.
		if err == nil && (!fuzzin.Close(mxy, myx, 0, 1e-12) || mxy < -2-1e-12 || mxy > 2+1e-12) {
			t.Fatalf("MMD(x, y) = %v, MMD(y, x) = %v for x %v, y %v", mxy, myx, x, y)
		}
	})
}

// FuzzW2: W2 is finite and >= 0 (or a clear error), symmetric to rounding,
// and 0 between a set and itself.
func FuzzW2(f *testing.F) {
	f.Add([]byte{3, 0, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0})
	f.Add([]byte{2, 0, 1, 5, 8, 5, 9, 0, 1, 0, 5, 7}) // ±1.5e154: squares overflow
	f.Add([]byte{1, 0, 0, 5, 4, 5, 5})                // subnormal
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		x, y := fuzzSets(r, true)
		valid := fuzzin.AllFinite(x) && fuzzin.AllFinite(y) && sane(x, y)
		// Differences below 2^-484 (about 2e-146) square to less than
		// coupling's minimum 2^-968 for the largest squared distance: an
		// error (rescale), unless every point coincides. With D coordinates
		// the largest squared distance can reach D times the largest
		// squared difference, so between 2^-484/sqrt(D) and 2^-484 either
		// answer is right.
		diff, d := maxDiff(x, y)
		tiny := diff > 0 && diff < 0x1p-484
		if tiny && diff*math.Sqrt(float64(d)) >= 0x1p-484 {
			return
		}
		valid = valid && !tiny
		wxy, err := W2(x, y)
		checkValue(t, "W2(x, y)", wxy, err, valid)
		if err != nil {
			return
		}
		wyx, err := W2(y, x)
		if err != nil {
			t.Fatalf("W2(x, y) = %v but W2(y, x): %v", wxy, err)
		}
		// The same matching cost summed in another order: a relative 1e-12.
		if wxy < 0 || !fuzzin.Close(wxy, wyx, 1e-12, 0) {
			t.Fatalf("W2(x, y) = %v, W2(y, x) = %v for x %v, y %v", wxy, wyx, x, y)
		}
		// x against itself: 0, unless x's own spread is too small to match
		// on (the same rule as above).
		if self, _ := maxDiff(x, x); self == 0 || self >= 0x1p-484 {
			if w, err := W2(x, x); err != nil || w != 0 {
				t.Fatalf("W2(x, x) = %v, %v for x %v", w, err, x)
			}
		}
	})
}

// FuzzFrechet: the Frechet distance between the Gaussian fits of two sets is
// finite and >= 0 (or a clear error), symmetric to rounding, and ~0 between
// a set and itself; FrechetFromMoments on fuzzed moments is finite or a
// clear error.
func FuzzFrechet(f *testing.F) {
	f.Add([]byte{3, 3, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0, 7, 0, 0, 9, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0})
	f.Add([]byte{2, 2, 1, 5, 15, 5, 16, 5, 15, 5, 16, 5, 15, 5, 16, 5, 15, 5, 16}) // ±MaxFloat64
	f.Add([]byte{2, 2, 0, 5, 4, 5, 5, 5, 4, 5, 5})                                 // subnormal
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		x, y := fuzzSets(r, false)
		valid := fuzzin.AllFinite(x) && fuzzin.AllFinite(y) && len(x) >= 2 && len(y) >= 2 && sane(x, y)
		fxy, err := Frechet(x, y)
		checkValue(t, "Frechet(x, y)", fxy, err, valid)
		if err == nil {
			fyx, err := Frechet(y, x)
			if err != nil {
				t.Fatalf("Frechet(x, y) = %v but Frechet(y, x): %v", fxy, err)
			}
			gx, _ := FitGaussian(x)
			gy, _ := FitGaussian(y)
			scale := trace(gx.Cov) + trace(gy.Cov) + dist2(gx.Mean, gy.Mean)
			// Eigen- and singular value decompositions are backward stable:
			// errors of a few d * 2.2e-16 of the matrices' size; 1e-9 of
			// the sum of the traces and the squared mean difference covers
			// them (FrechetFromMoments' PSD tolerance is the same). Below
			// 1e-300 (subnormal features) rounding is absolute.
			tol := 1e-9*scale + 1e-300
			if fxy < 0 || !fuzzin.Close(fxy, fyx, 0, tol) {
				t.Fatalf("Frechet(x, y) = %v, Frechet(y, x) = %v for x %v, y %v", fxy, fyx, x, y)
			}
			if fxx, err := Frechet(x, x); (err != nil && valid) || (err == nil && fxx > 1e-9*2*trace(gx.Cov)+1e-300) {
				t.Fatalf("Frechet(x, x) = %v, %v (trace %v) for x %v", fxx, err, trace(gx.Cov), x)
			}
		}
		// Moments straight from the fuzz bytes: any symmetric matrix, PSD
		// or not; the answer is a finite value or an error.
		d := len(x[0])
		mu1, mu2 := r.Points(1, d, false)[0], r.Points(1, d, false)[0]
		s1, s2 := r.Points(d, d, false), r.Points(d, d, false)
		for _, s := range [][][]float64{s1, s2} {
			for i := range s {
				for j := range i {
					s[i][j] = s[j][i]
				}
			}
		}
		v, err := FrechetFromMoments(mu1, s1, mu2, s2)
		checkValue(t, "FrechetFromMoments", v, err, false)
		if err == nil && v < 0 {
			t.Fatalf("FrechetFromMoments = %v < 0", v)
		}
	})
}

func trace(s [][]float64) float64 {
	var t float64
	for i := range s {
		t += s[i][i]
	}
	return t
}

func dist2(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}
