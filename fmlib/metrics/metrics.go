package metrics

import (
	"fmt"
	"math"
	"runtime"
	"sort"

	"github.com/gofm/gofm/fmlib/coupling"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/internal/parallel"
)

// DefaultBandwidths returns the RBF bandwidths MMD uses when given none:
// 0.1, 0.2, 0.5, 1 and 2, spanning the noise scale (~0.1) up to the overall
// scale (std ~1-2) of the 2D toy datasets in package data.
func DefaultBandwidths() []float64 { return []float64{0.1, 0.2, 0.5, 1, 2} }

// MaxW2Points bounds the set size accepted by W2: the exact solver stores an
// n x n cost matrix (8 n^2 bytes) and takes O(n^3) time in the worst case.
const MaxW2Points = 5000

// checkTwo validates two point sets of the same dimension with at least
// minRows rows each, and returns them flattened (row-major).
func checkTwo(who string, x, y [][]float64, minRows int) (fx, fy []float64, d int, err error) {
	n, d, err := points.Check(x)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %s: x: %w", who, err)
	}
	m, dy, err := points.Check(y)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %s: y: %w", who, err)
	}
	if d != dy {
		return nil, nil, 0, fmt.Errorf("metrics: %s: dimensions differ: x rows have %d coordinates, y rows have %d", who, d, dy)
	}
	if n < minRows || m < minRows {
		return nil, nil, 0, fmt.Errorf("metrics: %s: x has %d points and y has %d; the unbiased estimate needs at least %d each", who, n, m, minRows)
	}
	return flatten(x, d), flatten(y, d), d, nil
}

func flatten(p [][]float64, d int) []float64 {
	f := make([]float64, 0, len(p)*d)
	for _, r := range p {
		f = append(f, r...)
	}
	return f
}

// EnergyDistance returns the unbiased (U-statistic) estimate of the energy
// distance between the distributions of x (n points) and y (m points):
//
//	2/(n m) sum_{i,j} |x_i - y_j| - 1/(n(n-1)) sum_{i != i'} |x_i - x_i'| - 1/(m(m-1)) sum_{j != j'} |y_j - y_j'|
//
// Its expectation is exactly 2 E|X-Y| - E|X-X'| - E|Y-Y'| (zero iff the
// distributions are equal), so on two samples of one distribution it
// fluctuates around 0 and may be slightly negative. n, m >= 2.
func EnergyDistance(x, y [][]float64) (float64, error) {
	fx, fy, d, err := checkTwo("EnergyDistance", x, y, 2)
	if err != nil {
		return 0, err
	}
	k := distKernel{}
	n, m := float64(len(x)), float64(len(y))
	xy := pairSum(fx, fy, d, false, k) / (n * m)
	xx := 2 * pairSum(fx, fx, d, true, k) / (n * (n - 1))
	yy := 2 * pairSum(fy, fy, d, true, k) / (m * (m - 1))
	e := 2*xy - xx - yy
	if math.IsNaN(e) || math.IsInf(e, 0) {
		// A distance (or a sum of them) overflowed: Inf, or Inf - Inf = NaN.
		return 0, fmt.Errorf("metrics: EnergyDistance: the distances between the points overflow float64 (the squared distance must stay below %g); rescale the points", math.MaxFloat64)
	}
	return e, nil
}

// EnergyDistanceBlocks splits x and y into k consecutive blocks of
// floor(n/k) and floor(m/k) rows (a remainder is left out) and returns the
// EnergyDistance of each block pair (x block b against y block b). The
// blocks are independent, so their mean estimates the energy distance
// without bias and MeanSE of the k values gives its standard error; the
// difference of two block lists computed against the same y (paired
// differences, e.g. two models against one held-out sample) has its standard
// error the same way. The block mean varies more than EnergyDistance on all
// rows (it leaves out the pairs across blocks), so the SE is a conservative
// error bar for the full estimate too. Need k >= 2 and at least 2 rows per
// block.
func EnergyDistanceBlocks(x, y [][]float64, k int) ([]float64, error) {
	if k < 2 {
		return nil, fmt.Errorf("metrics: EnergyDistanceBlocks: k = %d blocks; need k >= 2 for a standard error", k)
	}
	bx, by := len(x)/k, len(y)/k
	if bx < 2 || by < 2 {
		return nil, fmt.Errorf("metrics: EnergyDistanceBlocks: %d and %d rows give blocks of %d and %d rows for k = %d; need at least 2 rows per block", len(x), len(y), bx, by, k)
	}
	out := make([]float64, k)
	for b := range k {
		e, err := EnergyDistance(x[b*bx:(b+1)*bx], y[b*by:(b+1)*by])
		if err != nil {
			return nil, err
		}
		out[b] = e
	}
	return out, nil
}

// MMD returns the unbiased estimate of the squared maximum mean discrepancy
// MMD^2 between the distributions of x and y for the kernel
//
//	k(a, b) = (1/H) sum_{h in bandwidths} exp(-|a - b|^2 / (2 h^2))
//
// (an average of H Gaussian RBF kernels, so k(a, a) = 1):
//
//	1/(n(n-1)) sum_{i != i'} k(x_i, x_i') + 1/(m(m-1)) sum_{j != j'} k(y_j, y_j') - 2/(n m) sum_{i,j} k(x_i, y_j).
//
// Note it is the square (the natural unbiased quantity); it fluctuates around
// 0, possibly below, for equal distributions. bandwidths nil or empty means
// DefaultBandwidths(); every bandwidth must be finite and > 0. n, m >= 2.
// Cost: O((n+m)^2) kernel evaluations; bandwidths whose squared ratios are
// integers (as the defaults) share one exponential per pair. About 3 s for
// n = m = 10,000 in 2D with the defaults on 2 cores.
func MMD(x, y [][]float64, bandwidths []float64) (float64, error) {
	if len(bandwidths) == 0 {
		bandwidths = DefaultBandwidths()
	}
	coef := make([]float64, len(bandwidths))
	for i, h := range bandwidths {
		if !(h > 0) || math.IsInf(h, 0) {
			return 0, fmt.Errorf("metrics: MMD: bandwidths[%d] = %v, want a finite value > 0", i, h)
		}
		coef[i] = -1 / (2 * h * h)
		if math.IsInf(coef[i], 0) || coef[i] == 0 {
			// 2 h^2 underflowed to 0 or overflowed: exp(coef |a-b|^2) would be
			// NaN (-Inf * 0) or 1 for every pair.
			return 0, fmt.Errorf("metrics: MMD: bandwidths[%d] = %v, whose square is outside float64's range; use bandwidths on the scale of the data (rescale the points if they are that small or large)", i, h)
		}
	}
	k := newRBF(coef)
	fx, fy, d, err := checkTwo("MMD", x, y, 2)
	if err != nil {
		return 0, err
	}
	hh := float64(len(bandwidths))
	n, m := float64(len(x)), float64(len(y))
	xy := pairSum(fx, fy, d, false, k) / (n * m * hh)
	xx := 2 * pairSum(fx, fx, d, true, k) / (n * (n - 1) * hh)
	yy := 2 * pairSum(fy, fy, d, true, k) / (m * (m - 1) * hh)
	return xx + yy - 2*xy, nil
}

// W2 returns the exact 2-Wasserstein distance between the empirical
// distributions of two equal-size sets,
//
//	W2 = sqrt( min_perm (1/n) sum_i |x_i - y_perm(i)|^2 ),
//
// computed with the exact assignment solver of package coupling. Sets of
// different sizes are rejected (subsample the larger one), as are sets larger
// than MaxW2Points.
func W2(x, y [][]float64) (float64, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("metrics: W2: x has %d points and y has %d; the exact empirical W2 here needs equal sizes (subsample the larger set)", len(x), len(y))
	}
	if len(x) > MaxW2Points {
		return 0, fmt.Errorf("metrics: W2: %d points exceeds MaxW2Points = %d (an n x n cost matrix); subsample both sets", len(x), MaxW2Points)
	}
	_, msd, err := coupling.OTPermutation(x, y)
	if err != nil {
		return 0, fmt.Errorf("metrics: W2: %w", err)
	}
	return math.Sqrt(msd), nil
}

// MeanSE is the sample mean of v and its standard error s/sqrt(n), where s
// is the sample standard deviation (n-1 denominator). With one value the
// standard error is undefined and returned as NaN; with none both are NaN.
// Values are not checked: a NaN or ±Inf in v makes the results NaN or ±Inf.
func MeanSE(v []float64) (mean, stdErr float64) {
	n := len(v)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(n)
	if n == 1 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range v {
		d := x - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(n-1) / float64(n))
}

// NLL summarises per-point log-likelihoods logp (natural log, e.g. from the
// instantaneous change of variables) as the mean negative log-likelihood
// -(1/n) sum_i logp_i and its standard error (MeanSE of -logp). With one
// value the standard error is undefined and returned as NaN. Every value
// must be finite.
func NLL(logp []float64) (mean, stdErr float64, err error) {
	if len(logp) == 0 {
		return 0, 0, fmt.Errorf("metrics: NLL: no log-likelihood values")
	}
	neg := make([]float64, len(logp))
	for i, v := range logp {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("metrics: NLL: logp[%d] = %v, want finite values", i, v)
		}
		neg[i] = -v
	}
	mean, stdErr = MeanSE(neg)
	return mean, stdErr, nil
}

// kernel evaluates the sum of k(a, b_j) over the rows b_j of b (flat
// row-major, dimension d) for one row a. Implementations are specialised by
// type so the inner loops have no indirect calls; scratch has scratchSize()
// elements, one buffer per goroutine.
type kernel interface {
	scratchSize() int
	rowSum(a, b []float64, d int, scratch []float64) float64
}

// distKernel: k = |a - b|.
type distKernel struct{}

func (distKernel) scratchSize() int { return 0 }

func (distKernel) rowSum(a, b []float64, d int, _ []float64) float64 {
	var s float64
	if d == 2 {
		a0, a1 := a[0], a[1]
		for j := 0; j+1 < len(b); j += 2 {
			d0, d1 := a0-b[j], a1-b[j+1]
			s += math.Sqrt(d0*d0 + d1*d1)
		}
		return s
	}
	for j := 0; j+d <= len(b); j += d {
		var q float64
		for k, x := range a[:d] {
			t := x - b[j+k]
			q += t * t
		}
		s += math.Sqrt(q)
	}
	return s
}

// rbfKernel: k = sum_h exp(coef_h |a - b|^2) (unnormalised), coef_h < 0.
//
// Exponentials dominate the cost, so they are shared between bandwidths:
// coefficients are sorted by magnitude and when coef_k = r * coef_p for an
// integer r <= 4096 (as for the default bandwidths, whose coefficients are
// 1, 4, 16, 100 and 400 times the smallest), exp(coef_k q) is computed as
// exp(coef_p q)^r by binary powering (relative error ~r ulp, < 1e-12).
// Exponents are clamped at -700, so a term that is truly below e^-700
// (~1e-304) is evaluated as about 1e-304 (a negligible absolute error) and
// every intermediate value stays a normal float (no slow subnormals).
type rbfKernel struct {
	coef []float64 // sorted by increasing magnitude
	from []int     // from[k] = p: exp(coef_k q) = value_p^pow[k]; -1: math.Exp
	pow  []int
	lo   []float64 // lower clamp of value_p for chained terms: exp(-700/pow)
}

const (
	rbfBlock  = 256  // pairs per block
	expFloor  = -700 // exponent clamp
	maxChainR = 4096 // largest integer power used for chaining
)

func newRBF(coef []float64) rbfKernel {
	c := append([]float64(nil), coef...)
	sort.Slice(c, func(i, j int) bool { return c[i] > c[j] }) // all < 0: smallest magnitude first
	k := rbfKernel{coef: c, from: make([]int, len(c)), pow: make([]int, len(c)), lo: make([]float64, len(c))}
	for i := range c {
		k.from[i] = -1
		for p := i - 1; p >= 0; p-- {
			r := c[i] / c[p]
			if ri := math.Round(r); ri <= maxChainR && math.Abs(r-ri) <= 1e-12*r {
				k.from[i], k.pow[i] = p, int(ri)
				k.lo[i] = math.Exp(expFloor / ri)
				break
			}
		}
	}
	return k
}

func (r rbfKernel) scratchSize() int { return (len(r.coef) + 1) * rbfBlock }

func (r rbfKernel) rowSum(a, b []float64, d int, scratch []float64) float64 {
	var s float64
	m := len(b) / d
	qb := scratch[:rbfBlock]
	for start := 0; start < m; start += rbfBlock {
		l := min(rbfBlock, m-start)
		q := qb[:l]
		if d == 2 {
			a0, a1 := a[0], a[1]
			bb := b[2*start : 2*(start+l)]
			for t := range q {
				d0, d1 := a0-bb[2*t], a1-bb[2*t+1]
				q[t] = d0*d0 + d1*d1
			}
		} else {
			for t := range q {
				bj := b[(start+t)*d : (start+t+1)*d]
				var x float64
				for k, v := range a[:d] {
					u := v - bj[k]
					x += u * u
				}
				q[t] = x
			}
		}
		for k, c := range r.coef {
			vk := scratch[(k+1)*rbfBlock : (k+1)*rbfBlock+l]
			if p := r.from[k]; p < 0 {
				for t, x := range q {
					vk[t] = math.Exp(max(c*x, expFloor))
				}
			} else {
				vp, lo, n := scratch[(p+1)*rbfBlock:(p+1)*rbfBlock+l], r.lo[k], r.pow[k]
				if n == 4 { // the common ratio (bandwidths a factor 2 apart)
					for t, x := range vp {
						x2 := max(x, lo)
						x2 *= x2
						vk[t] = x2 * x2
					}
				} else {
					for t, x := range vp {
						vk[t] = powInt(max(x, lo), n)
					}
				}
			}
			s += sum4(vk)
		}
	}
	return s
}

// sum4 sums v with four independent accumulators.
func sum4(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func powInt(x float64, n int) float64 {
	r := 1.0
	for n > 0 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
		n >>= 1
	}
	return r
}

// maxWorkers, when > 0, sets the number of goroutines of pairSum (tests and
// benchmarks).
var maxWorkers = 0

// parallelMinPairs: below this many pairs the sum runs on one goroutine.
const parallelMinPairs = 1 << 16

// pairSum returns sum_{i,j} k(a_i, b_j), or with symmetric (a == b) the sum
// over i < j only. Rows are dealt round-robin to GOMAXPROCS goroutines (which
// balances the triangular symmetric case); each keeps its own partial sums.
func pairSum(a, b []float64, d int, symmetric bool, k kernel) float64 {
	n := len(a) / d
	rowSum := func(i int, scratch []float64) float64 {
		if symmetric {
			return k.rowSum(a[i*d:i*d+d], b[(i+1)*d:], d, scratch)
		}
		return k.rowSum(a[i*d:i*d+d], b, d, scratch)
	}
	workers := runtime.GOMAXPROCS(0)
	if maxWorkers > 0 {
		workers = maxWorkers
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 || n*(len(b)/d) < parallelMinPairs {
		var s float64
		scratch := make([]float64, k.scratchSize())
		for i := 0; i < n; i++ {
			s += rowSum(i, scratch)
		}
		return s
	}
	partial := make([]float64, workers)
	parallel.Run(workers, func(w int) {
		var s float64
		scratch := make([]float64, k.scratchSize())
		for i := w; i < n; i += workers {
			s += rowSum(i, scratch)
		}
		partial[w] = s
	})
	var s float64
	for _, p := range partial {
		s += p
	}
	return s
}
