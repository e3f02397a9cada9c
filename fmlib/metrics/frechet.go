package metrics

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"gonum.org/v1/gonum/mat"
)

// PSDTolerance bounds how negative an eigenvalue of a covariance given to
// FrechetFromMoments may be, relative to its largest eigenvalue magnitude,
// and still count as rounding error (it is then clipped to 0). A symmetric
// eigensolver is accurate to about d * 2.2e-16 * ||S|| (d the dimension), so
// 1e-9 leaves room for d up to millions while still rejecting matrices that
// are really indefinite. The same relative bound applies to the asymmetry
// |S_ij - S_ji|. Eigenvalues above -2.2e-308 (the smallest normal float64,
// below which rounding is absolute) always count as rounding error.
const PSDTolerance = 1e-9

// Gaussian is the mean and covariance of a d-dimensional Gaussian: Mean has
// d entries, Cov is d x d (rows of d), symmetric positive semi-definite.
type Gaussian struct {
	Mean []float64
	Cov  [][]float64
}

// FitGaussian returns the sample mean and the unbiased sample covariance of
// the n >= 2 rows of x (d coordinates each):
//
//	mu = (1/n) sum_i x_i,    S = 1/(n-1) sum_i (x_i - mu)(x_i - mu)^T.
//
// With n <= d the covariance is singular (rank n-1); that is allowed, but
// its small eigenvalues are then pure sampling noise (see the package doc).
func FitGaussian(x [][]float64) (Gaussian, error) {
	mu, cov, err := fit("FitGaussian", "x", x)
	if err != nil {
		return Gaussian{}, err
	}
	return Gaussian{Mean: mu, Cov: rows(cov)}, nil
}

// fit validates x and returns its mean and covariance.
func fit(who, name string, x [][]float64) ([]float64, *mat.SymDense, error) {
	n, d, err := points.Check(x)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %s: %s: %w", who, name, err)
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("metrics: %s: %s has %d row; a covariance needs at least 2 samples (for a stable estimate, many more than the dimension %d)", who, name, n, d)
	}
	mu := make([]float64, d)
	for _, r := range x {
		for j, v := range r {
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	xc := mat.NewDense(n, d, nil)
	for i, r := range x {
		for j, v := range r {
			xc.Set(i, j, v-mu[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n-1), xc.T()) // Xcᵀ Xc / (n-1)
	for i := range d {
		for j := i; j < d; j++ {
			if v := cov.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("metrics: %s: the covariance of %s overflows float64 (entry [%d][%d] is %v); rescale the features", who, name, i, j, v)
			}
		}
	}
	return mu, cov, nil
}

// rows copies a symmetric matrix into [][]float64.
func rows(s *mat.SymDense) [][]float64 {
	d := s.SymmetricDim()
	flat := make([]float64, d*d)
	out := make([][]float64, d)
	for i := range out {
		out[i] = flat[i*d : (i+1)*d]
		for j := range out[i] {
			out[i][j] = s.At(i, j)
		}
	}
	return out
}

// Frechet returns the squared Fréchet (2-Wasserstein) distance between the
// Gaussians fitted to the rows of x and of y (see FitGaussian):
//
//	||mu_x - mu_y||^2 + Tr(S_x + S_y - 2 (S_x^{1/2} S_y S_x^{1/2})^{1/2}),
//
// the formula of the Fréchet Inception Distance, applied to whatever
// features x and y hold. Both need at least 2 rows of the same dimension,
// all finite. The result is >= 0 (a value rounding makes slightly negative
// is returned as 0).
func Frechet(x, y [][]float64) (float64, error) {
	mx, sx, err := fit("Frechet", "x", x)
	if err != nil {
		return 0, err
	}
	my, sy, err := fit("Frechet", "y", y)
	if err != nil {
		return 0, err
	}
	if len(mx) != len(my) {
		return 0, fmt.Errorf("metrics: Frechet: dimensions differ: x rows have %d features, y rows have %d; compute both with the same feature extractor", len(mx), len(my))
	}
	return frechet("Frechet", mx, sx, my, sy)
}

// FrechetFromMoments is Frechet for given moments: the squared Fréchet
// distance between N(mu1, s1) and N(mu2, s2). Use it to compare many
// generated sets against reference statistics computed once (FitGaussian).
// s1 and s2 must be d x d, symmetric and positive semi-definite up to
// PSDTolerance; all values finite.
func FrechetFromMoments(mu1 []float64, s1 [][]float64, mu2 []float64, s2 [][]float64) (float64, error) {
	const who = "FrechetFromMoments"
	d := len(mu1)
	if d == 0 {
		return 0, fmt.Errorf("metrics: %s: mu1 is empty; give d >= 1 means", who)
	}
	if len(mu2) != d {
		return 0, fmt.Errorf("metrics: %s: mu1 has %d entries, mu2 has %d; both Gaussians must have the same dimension", who, d, len(mu2))
	}
	for _, m := range []struct {
		name string
		v    []float64
	}{{"mu1", mu1}, {"mu2", mu2}} {
		for i, v := range m.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("metrics: %s: %s[%d] is %v; means must be finite", who, m.name, i, v)
			}
		}
	}
	a, err := symmetric(who, "s1", s1, d)
	if err != nil {
		return 0, err
	}
	b, err := symmetric(who, "s2", s2, d)
	if err != nil {
		return 0, err
	}
	return frechet(who, mu1, a, mu2, b)
}

// symmetric checks that s is a finite, symmetric d x d matrix and returns
// its symmetric part (S + Sᵀ)/2.
func symmetric(who, name string, s [][]float64, d int) (*mat.SymDense, error) {
	if len(s) != d {
		return nil, fmt.Errorf("metrics: %s: %s has %d rows; the means have %d entries, so it must be %d x %d", who, name, len(s), d, d, d)
	}
	scale := 0.0
	for i, r := range s {
		if len(r) != d {
			return nil, fmt.Errorf("metrics: %s: %s row %d has %d entries; it must be %d x %d", who, name, i, len(r), d, d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("metrics: %s: %s[%d][%d] is %v; covariances must be finite", who, name, i, j, v)
			}
			scale = math.Max(scale, math.Abs(v))
		}
	}
	out := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			if diff := math.Abs(s[i][j] - s[j][i]); diff > PSDTolerance*scale {
				return nil, fmt.Errorf("metrics: %s: %s is not symmetric: [%d][%d] = %v but [%d][%d] = %v; give a covariance matrix", who, name, i, j, s[i][j], j, i, s[j][i])
			}
			out.SetSym(i, j, (s[i][j]+s[j][i])/2)
		}
	}
	return out, nil
}

// sqrtFactor returns B = Q diag(sqrt(max(lambda, 0))) for the spectral
// decomposition S = Q diag(lambda) Qᵀ, so that S^{1/2} = B Qᵀ and S = B Bᵀ
// up to the clipped eigenvalues. Eigenvalues below -PSDTolerance * max|lambda|
// are an error: S is not a covariance. Below the smallest normal float64
// (2.2e-308) rounding is absolute, in steps of 5e-324, so no relative bound
// holds there: eigenvalues above -2.2e-308 are always clipped (changing the
// distance by less than d * 2.2e-308).
func sqrtFactor(who, name string, s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("metrics: %s: the eigendecomposition of %s did not converge; check it for huge or denormal values", who, name)
	}
	vals := eig.Values(nil) // ascending
	top := math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1]))
	if vals[0] < -max(PSDTolerance*top, 0x1p-1022) { // 0x1p-1022: the smallest normal float64
		return nil, fmt.Errorf("metrics: %s: %s has eigenvalue %g (largest magnitude %g); a covariance must be positive semi-definite", who, name, vals[0], top)
	}
	var q mat.Dense
	eig.VectorsTo(&q)
	for j, l := range vals {
		r := math.Sqrt(math.Max(l, 0))
		for i := range vals {
			q.Set(i, j, q.At(i, j)*r)
		}
	}
	return &q, nil
}

// frechet evaluates the distance for validated moments. The trace of the
// cross term is computed without forming S1^{1/2} S2 S1^{1/2}: with
// S_k = B_k B_kᵀ (sqrtFactor), Tr((S1^{1/2} S2 S1^{1/2})^{1/2}) is the sum of
// the singular values of B2ᵀ B1 (see the package doc), which keeps the
// accuracy of the two square roots instead of squaring condition numbers.
func frechet(who string, mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) (float64, error) {
	b1, err := sqrtFactor(who, "the first covariance", s1)
	if err != nil {
		return 0, err
	}
	b2, err := sqrtFactor(who, "the second covariance", s2)
	if err != nil {
		return 0, err
	}
	var c mat.Dense
	c.Mul(b2.T(), b1)
	for _, v := range c.RawMatrix().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) { // gonum's SVD panics on NaN
			return 0, fmt.Errorf("metrics: %s: the cross term of the covariances overflows float64; rescale the features", who)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(&c, mat.SVDNone) {
		return 0, fmt.Errorf("metrics: %s: the singular value decomposition of the cross term did not converge; check the inputs for huge or denormal values", who)
	}
	cross := 0.0
	for _, v := range svd.Values(nil) {
		cross += v
	}
	dist := 0.0
	for i := range mu1 {
		dist += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
	}
	dist += mat.Trace(s1) + mat.Trace(s2) - 2*cross
	if math.IsNaN(dist) || math.IsInf(dist, 0) {
		return 0, fmt.Errorf("metrics: %s: the distance overflowed (%v); rescale the features", who, dist)
	}
	return math.Max(dist, 0), nil
}
