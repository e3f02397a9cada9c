package metrics_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/metrics"
)

// rot2 returns the 2 x 2 matrix R diag(a, b) Rᵀ, R the rotation by theta.
func rot2(a, b, theta float64) [][]float64 {
	c, s := math.Cos(theta), math.Sin(theta)
	return [][]float64{
		{a*c*c + b*s*s, (a - b) * c * s},
		{(a - b) * c * s, a*s*s + b*c*c},
	}
}

// trSqrt2 is Tr((S1^{1/2} S2 S1^{1/2})^{1/2}) for 2 x 2 covariances, from
// the identity Tr(M^{1/2}) = sqrt(Tr M + 2 sqrt(det M)) for 2 x 2 PSD M, with
// Tr M = Tr(S1 S2) and det M = det S1 det S2. It needs no matrix square root,
// so it checks the general (non-commuting) case independently.
func trSqrt2(s1, s2 [][]float64) float64 {
	tr := s1[0][0]*s2[0][0] + s1[0][1]*s2[1][0] + s1[1][0]*s2[0][1] + s1[1][1]*s2[1][1]
	det := (s1[0][0]*s1[1][1] - s1[0][1]*s1[1][0]) * (s2[0][0]*s2[1][1] - s2[0][1]*s2[1][0])
	return math.Sqrt(tr + 2*math.Sqrt(det))
}

// frechet2 is the closed-form Fréchet distance for 2D Gaussians.
func frechet2(mu1 []float64, s1 [][]float64, mu2 []float64, s2 [][]float64) float64 {
	dm := (mu1[0]-mu2[0])*(mu1[0]-mu2[0]) + (mu1[1]-mu2[1])*(mu1[1]-mu2[1])
	return dm + s1[0][0] + s1[1][1] + s2[0][0] + s2[1][1] - 2*trSqrt2(s1, s2)
}

func diag(v ...float64) [][]float64 {
	m := make([][]float64, len(v))
	for i := range m {
		m[i] = make([]float64, len(v))
		m[i][i] = v[i]
	}
	return m
}

// TestFrechetClosedForms checks FrechetFromMoments against exact values.
// Well-conditioned cases agree to 1e-12 (a few hundred ulps of values of
// order 1-10, the accuracy of the eigen and singular value solvers). Cases
// with singular covariances get 1e-7: an exact zero eigenvalue is computed
// as about 1e-16 ||S||, and its square root, about 1e-8 ||S||^{1/2}, enters
// the cross term.
func TestFrechetClosedForms(t *testing.T) {
	full := [][]float64{{2, 0.6, -0.3}, {0.6, 1, 0.2}, {-0.3, 0.2, 0.5}} // positive definite (diagonally dominant)
	v := []float64{1, -2, 0.5}
	rank1 := [][]float64{{1, -2, 0.5}, {-2, 4, -1}, {0.5, -1, 0.25}} // v vᵀ
	s1, s2 := rot2(3, 0.5, 0.4), rot2(1, 2, -1.1)                    // do not commute
	cases := []struct {
		name string
		mu1  []float64
		s1   [][]float64
		mu2  []float64
		s2   [][]float64
		want float64
		tol  float64
	}{
		{"equal Gaussians", []float64{1, 2, 3}, full, []float64{1, 2, 3}, full, 0, 1e-12},
		{"shifted mean: squared shift", []float64{0, 0, 0}, full, v, full, 1 + 4 + 0.25, 1e-12},
		{"diagonal: sum (sqrt a - sqrt b)^2", []float64{0, 0, 0}, diag(4, 9, 0.25), []float64{0, 0, 0}, diag(1, 1, 1), 1 + 4 + 0.25, 1e-12},
		{"1D: dmu^2 + (sigma1 - sigma2)^2", []float64{1}, diag(9), []float64{-1}, diag(4), 4 + 1, 1e-12},
		{"commuting, rotated: as diagonal", []float64{0, 0}, rot2(4, 1, 0.7), []float64{0, 0}, rot2(1, 9, 0.7), 1 + 4, 1e-12},
		{"non-commuting 2x2 closed form", []float64{0.5, 0}, s1, []float64{0, 1}, s2, frechet2([]float64{0.5, 0}, s1, []float64{0, 1}, s2), 1e-12},
		{"singular, orthogonal supports", []float64{0, 0}, diag(1, 0), []float64{0, 0}, diag(0, 1), 2, 1e-7},
		{"equal rank-1 covariances", []float64{0, 0, 0}, rank1, []float64{0, 0, 0}, rank1, 0, 1e-7},
		{"zero covariances: squared mean distance", []float64{3, 4}, diag(0, 0), []float64{0, 0}, diag(0, 0), 25, 1e-12},
	}
	for _, c := range cases {
		got, err := metrics.FrechetFromMoments(c.mu1, c.s1, c.mu2, c.s2)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if math.Abs(got-c.want) > c.tol*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: %.15g, want %.15g (tolerance %g)", c.name, got, c.want, c.tol)
		}
		back, _ := metrics.FrechetFromMoments(c.mu2, c.s2, c.mu1, c.s1)
		if math.Abs(back-got) > c.tol*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: not symmetric: %.15g one way, %.15g the other", c.name, got, back)
		}
	}
}

// sampleGauss draws n points of N(mu, L Lᵀ) for a 2 x 2 lower-triangular L.
func sampleGauss(rng *rand.Rand, n int, mu []float64, l [2][2]float64) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		z0, z1 := rng.NormFloat64(), rng.NormFloat64()
		p[i] = []float64{mu[0] + l[0][0]*z0, mu[1] + l[1][0]*z0 + l[1][1]*z1}
	}
	return p
}

// TestFrechetSamples checks the sample estimate against the population value
// of two non-commuting 2D Gaussians. Over reps independent pairs of n-samples
// the mean estimate must be within 5 standard errors plus a bias allowance of
// the truth. The bias: the mean term has expectation |dmu|^2 + (Tr S1 +
// Tr S2)/n exactly (x̄ - ȳ has covariance (S1 + S2)/n), and the covariance
// term's bias is of the same order (d/n times the scale); 3 (Tr S1 + Tr S2)/n
// covers both.
func TestFrechetSamples(t *testing.T) {
	const reps, n = 200, 4000
	l1 := [2][2]float64{{1.5, 0}, {0.8, 0.6}}  // S1 = L1 L1ᵀ = [[2.25, 1.2], [1.2, 1]]
	l2 := [2][2]float64{{0.7, 0}, {-0.5, 1.2}} // S2 = [[0.49, -0.35], [-0.35, 1.69]]
	s1 := [][]float64{{2.25, 1.2}, {1.2, 1}}
	s2 := [][]float64{{0.49, -0.35}, {-0.35, 1.69}}
	mu1, mu2 := []float64{0, 0}, []float64{1, -0.5}
	truth := frechet2(mu1, s1, mu2, s2)
	rng := rand.New(rand.NewPCG(7, 11))
	vals := make([]float64, reps)
	mean := 0.0
	for r := range vals {
		x, y := sampleGauss(rng, n, mu1, l1), sampleGauss(rng, n, mu2, l2)
		f, err := metrics.Frechet(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if r == 0 {
			back, _ := metrics.Frechet(y, x)
			if math.Abs(back-f) > 1e-12*f {
				t.Errorf("Frechet(x, y) = %.15g but Frechet(y, x) = %.15g", f, back)
			}
		}
		vals[r] = f
		mean += f / reps
	}
	se := 0.0
	for _, v := range vals {
		se += (v - mean) * (v - mean)
	}
	se = math.Sqrt(se / (reps - 1) / reps)
	bias := 3 * (2.25 + 1 + 0.49 + 1.69) / n
	if math.Abs(mean-truth) > 5*se+bias {
		t.Errorf("mean estimate %.5f ± %.5f, population value %.5f (allowed bias %.5f)", mean, se, truth, bias)
	}
	t.Logf("population %.5f, mean of %d estimates %.5f ± %.5f", truth, reps, mean, se)
}

func TestFitGaussian(t *testing.T) {
	g, err := metrics.FitGaussian([][]float64{{0, 0}, {2, 0}, {0, 2}, {2, 2}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Mean (1, 1); deviations (±1, ±1) four times and (0, 0): variance 4/4 = 1
	// per axis (n - 1 = 4), covariance (1 - 1 - 1 + 1)/4 = 0.
	want := [][]float64{{1, 0}, {0, 1}}
	for i := range 2 {
		if math.Abs(g.Mean[i]-1) > 1e-15 {
			t.Errorf("mean[%d] = %v, want 1", i, g.Mean[i])
		}
		for j := range 2 {
			if math.Abs(g.Cov[i][j]-want[i][j]) > 1e-15 {
				t.Errorf("cov[%d][%d] = %v, want %v", i, j, g.Cov[i][j], want[i][j])
			}
		}
	}
	// Moments of two fitted sets give the same distance as the sets.
	x := [][]float64{{0, 1}, {2, 0}, {1, 3}, {-1, 1}}
	y := [][]float64{{5, 5}, {4, 6}, {6, 4}}
	gx, _ := metrics.FitGaussian(x)
	gy, _ := metrics.FitGaussian(y)
	a, err1 := metrics.Frechet(x, y)
	b, err2 := metrics.FrechetFromMoments(gx.Mean, gx.Cov, gy.Mean, gy.Cov)
	if err1 != nil || err2 != nil || math.Abs(a-b) > 1e-12*a {
		t.Errorf("Frechet %v (%v) vs FrechetFromMoments %v (%v)", a, err1, b, err2)
	}
}

// TestFrechetSingular: with fewer samples than dimensions the covariance is
// singular (rank n-1), and the distance of a set to itself must still be 0.
// Tolerance 1e-7 of Tr S, as for the singular closed forms (square roots of
// rounding-size eigenvalues enter the cross term).
func TestFrechetSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const n, d = 5, 20
	x := make([][]float64, n)
	tr := 0.0
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.NormFloat64()
			tr += x[i][j] * x[i][j] / (n - 1) // rough Tr S, for the scale
		}
	}
	f, err := metrics.Frechet(x, x)
	if err != nil || f > 1e-7*tr {
		t.Errorf("Frechet(x, x) with n = %d < d = %d: %v (%v), want 0", n, d, f, err)
	}
}

func TestFrechetErrors(t *testing.T) {
	ok := [][]float64{{0, 0}, {1, 1}, {2, 0}}
	for _, c := range []struct {
		name string
		x, y [][]float64
		want string
	}{
		{"one sample", [][]float64{{1, 2}}, ok, "at least 2 samples"},
		{"empty", nil, ok, "empty"},
		{"mismatched dims", ok, [][]float64{{1, 2, 3}, {4, 5, 6}}, "dimensions differ"},
		{"NaN", ok, [][]float64{{1, math.NaN()}, {0, 0}}, "must be finite"},
		{"ragged", [][]float64{{1, 2}, {3}}, ok, "ragged"},
		// Deviations of 1e155 square to +Inf in the covariance.
		{"covariance overflows", ok, [][]float64{{1e155, 0}, {-1e155, 0}}, "covariance of y overflows"},
	} {
		if _, err := metrics.Frechet(c.x, c.y); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Frechet, %s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := metrics.FitGaussian([][]float64{{1}}); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("FitGaussian of one row: %v", err)
	}
	id := diag(1, 1)
	for _, c := range []struct {
		name     string
		mu1, mu2 []float64
		s1, s2   [][]float64
		want     string
	}{
		{"empty means", nil, nil, id, id, "empty"},
		{"mean lengths differ", []float64{0, 0}, []float64{0}, id, id, "same dimension"},
		{"NaN mean", []float64{0, math.NaN()}, []float64{0, 0}, id, id, "finite"},
		{"covariance too small", []float64{0, 0}, []float64{0, 0}, diag(1), id, "2 x 2"},
		{"ragged covariance", []float64{0, 0}, []float64{0, 0}, id, [][]float64{{1, 0}, {0}}, "row 1 has 1"},
		{"Inf covariance", []float64{0, 0}, []float64{0, 0}, id, [][]float64{{1, 0}, {0, math.Inf(1)}}, "finite"},
		{"not symmetric", []float64{0, 0}, []float64{0, 0}, id, [][]float64{{1, 0.5}, {0, 1}}, "not symmetric"},
		{"indefinite", []float64{0, 0}, []float64{0, 0}, [][]float64{{1, 2}, {2, 1}}, id, "positive semi-definite"},
		// Finite entries whose eigenvalue 2e308 overflows: an error, not a
		// panic in the SVD.
		{"eigenvalue overflows", []float64{0, 0}, []float64{0, 0}, [][]float64{{1e308, 1e308}, {1e308, 1e308}}, id, "rescale"},
	} {
		if _, err := metrics.FrechetFromMoments(c.mu1, c.s1, c.mu2, c.s2); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FrechetFromMoments, %s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// Rounding-size negative eigenvalues are clipped, not errors: diag(1, -1e-13)
	// is 1e-13 below PSD, well inside PSDTolerance (1e-9).
	if _, err := metrics.FrechetFromMoments([]float64{0, 0}, diag(1, -1e-13), []float64{0, 0}, id); err != nil {
		t.Errorf("tiny negative eigenvalue: %v", err)
	}
	// Subnormal features: the eigenvalues of their covariance are rounded in
	// absolute steps of 5e-324, far beyond PSDTolerance relative to 5e-317,
	// and still within rounding of PSD.
	if _, err := metrics.FrechetFromMoments([]float64{0, 0}, diag(5e-317, -5e-324), []float64{0, 0}, id); err != nil {
		t.Errorf("subnormal covariance: %v", err)
	}
}

func ExampleFrechet() {
	x := [][]float64{{0}, {2}} // mean 1, variance 2
	y := [][]float64{{4}, {6}} // mean 5, variance 2
	// (1 - 5)^2 + (sqrt 2 - sqrt 2)^2
	f, err := metrics.Frechet(x, y)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", f)
	// Output: 16.000000
}

func ExampleFrechetFromMoments() {
	// N(0, diag(4, 1)) vs N((1, 0), I): |dmu|^2 + (2 - 1)^2 + (1 - 1)^2.
	f, err := metrics.FrechetFromMoments(
		[]float64{0, 0}, [][]float64{{4, 0}, {0, 1}},
		[]float64{1, 0}, [][]float64{{1, 0}, {0, 1}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", f)
	_, err = metrics.FrechetFromMoments([]float64{0}, [][]float64{{-1}}, []float64{0}, [][]float64{{1}})
	fmt.Println(err)
	// Output:
	// 2.000000
	// metrics: FrechetFromMoments: the first covariance has eigenvalue -1 (largest magnitude 1); a covariance must be positive semi-definite
}
