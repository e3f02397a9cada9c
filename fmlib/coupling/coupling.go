package coupling

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/gofm/gofm/fmlib/points"
)

// Coupler decides how a batch of source points x0 (noise, t = 0) is paired
// with a batch of target points x1 (data, t = 1) for conditional flow matching.
//
// Pair returns two batches of the same size as the inputs; row i of x0p is
// paired with row i of x1p. The returned outer slices are new, but their rows
// share memory with the input rows (no coordinates are copied): do not modify
// them in place if the inputs must stay intact.
type Coupler interface {
	Pair(x0, x1 [][]float64, rng *rand.Rand) (x0p, x1p [][]float64, err error)
}

// checkBatches validates a pair of batches: both non-empty, rectangular and
// finite, with the same number of rows and the same dimension.
func checkBatches(who string, x0, x1 [][]float64) (n, d int, err error) {
	n, d, err = points.Check(x0)
	if err != nil {
		return 0, 0, fmt.Errorf("coupling: %s: x0: %w", who, err)
	}
	n1, d1, err := points.Check(x1)
	if err != nil {
		return 0, 0, fmt.Errorf("coupling: %s: x1: %w", who, err)
	}
	if n1 != n {
		return 0, 0, fmt.Errorf("coupling: %s: batch sizes differ: x0 has %d rows, x1 has %d; pair batches of equal size", who, n, n1)
	}
	if d1 != d {
		return 0, 0, fmt.Errorf("coupling: %s: dimensions differ: x0 rows have %d coordinates, x1 rows have %d", who, d, d1)
	}
	return n, d, nil
}

// Independent pairs the batches independently of their positions.
//
// With Shuffle false (the zero value) the rows are paired as given: x0[i] with
// x1[i]. When x0 and x1 are drawn independently (the usual case: Gaussian
// noise and a data batch) this already is a sample of the product coupling
// q0(x0) q1(x1), and rng is not used (it may be nil). With Shuffle true, x1 is
// permuted uniformly at random with rng (which must then be non-nil), for
// batches whose row order carries information.
type Independent struct {
	Shuffle bool
}

// Pair implements Coupler.
func (c Independent) Pair(x0, x1 [][]float64, rng *rand.Rand) (x0p, x1p [][]float64, err error) {
	if _, _, err := checkBatches("Independent", x0, x1); err != nil {
		return nil, nil, err
	}
	x0p = append([][]float64(nil), x0...)
	x1p = append([][]float64(nil), x1...)
	if c.Shuffle {
		if rng == nil {
			return nil, nil, fmt.Errorf("coupling: Independent{Shuffle: true} needs a non-nil rng")
		}
		rng.Shuffle(len(x1p), func(i, j int) { x1p[i], x1p[j] = x1p[j], x1p[i] })
	}
	return x0p, x1p, nil
}

// ExactOT pairs the batches by the exact optimal transport plan between the
// two empirical distributions for the squared Euclidean cost: x0[i] is paired
// with x1[perm[i]] where perm minimises sum_i |x0[i] - x1[perm[i]]|^2 (a
// minibatch OT coupling). rng is not used (it may be nil); ties between
// optimal matchings are broken deterministically.
type ExactOT struct{}

// otScratch holds the reusable buffers of ExactOT (one per concurrent call).
type otScratch struct {
	cost []float64
	perm []int
	ws   lapWorkspace
}

var otPool = sync.Pool{New: func() any { return new(otScratch) }}

// Pair implements Coupler.
func (ExactOT) Pair(x0, x1 [][]float64, _ *rand.Rand) (x0p, x1p [][]float64, err error) {
	n, _, err := checkBatches("ExactOT", x0, x1)
	if err != nil {
		return nil, nil, err
	}
	s := otPool.Get().(*otScratch)
	defer otPool.Put(s)
	if cap(s.cost) < n*n {
		s.cost = make([]float64, n*n)
	}
	if cap(s.perm) < n {
		s.perm = make([]int, n)
	}
	cost, perm := s.cost[:n*n], s.perm[:n]
	sqDistMatrix(cost, x0, x1)
	if err := checkSqDists("ExactOT", cost, n, x0, x1); err != nil {
		return nil, nil, err
	}
	s.ws.solve(n, cost, perm)
	x0p = append([][]float64(nil), x0...)
	x1p = make([][]float64, n)
	for i, j := range perm {
		x1p[i] = x1[j]
	}
	return x0p, x1p, nil
}

// OTPermutation returns the optimal matching used by ExactOT (x0[i] is
// matched with x1[perm[i]]) and its mean squared distance
// (1/n) sum_i |x0[i] - x1[perm[i]]|^2, the squared 2-Wasserstein distance
// between the two empirical distributions.
func OTPermutation(x0, x1 [][]float64) (perm []int, meanSqDist float64, err error) {
	n, _, err := checkBatches("OTPermutation", x0, x1)
	if err != nil {
		return nil, 0, err
	}
	s := otPool.Get().(*otScratch)
	defer otPool.Put(s)
	if cap(s.cost) < n*n {
		s.cost = make([]float64, n*n)
	}
	cost := s.cost[:n*n]
	sqDistMatrix(cost, x0, x1)
	if err := checkSqDists("OTPermutation", cost, n, x0, x1); err != nil {
		return nil, 0, err
	}
	perm = make([]int, n)
	s.ws.solve(n, cost, perm)
	var total float64
	for i, j := range perm {
		total += cost[i*n+j]
	}
	return perm, total / float64(n), nil
}

// checkSqDists reports squared distances in the n x n matrix c of the
// points x0, x1 that the exact solver cannot take: too large (see MaxCost;
// +Inf when it overflowed) or too small (see tooSmall).
func checkSqDists(who string, c []float64, n int, x0, x1 [][]float64) error {
	if i, j, v, bad := tooLarge(c, n); bad {
		return fmt.Errorf("coupling: %s: the points' coordinates are too large: the squared distance |x0[%d] - x1[%d]|^2 = %g exceeds %g (MaxCost for %d points), beyond which the solver's sums overflow float64; rescale the points (divide both sets by one factor: the matching does not change)", who, i, j, v, MaxCost(n), n)
	}
	if m, bad := tooSmall(c, x0, x1); bad {
		return fmt.Errorf("coupling: %s: the points' coordinates are too small: the largest squared distance is %g, below %g, where float64 keeps too few digits of the costs (or rounds them to 0) to tell matchings apart; rescale the points (multiply both sets by one factor: the matching does not change)", who, m, minMaxSqDist)
	}
	return nil
}

// minMaxSqDist is the smallest largest-squared-distance accepted: 2^54 times
// the smallest normal float64 (0x1p-1022), so that every cost within a
// factor 2^-54 of the largest is a normal number carrying float64's full 53
// bits; below it squared distances of distinct points degrade to subnormals
// or round to 0, and every matching looks alike.
const minMaxSqDist = 0x1p-968

// tooSmall reports whether the squared distances c of the points x0, x1 are
// too small to match on (see minMaxSqDist), with the largest of them. All
// distances 0 is fine when the points really coincide (every matching is
// optimal), an underflow otherwise.
func tooSmall(c []float64, x0, x1 [][]float64) (largest float64, bad bool) {
	for _, v := range c {
		largest = max(largest, v)
	}
	if largest >= minMaxSqDist {
		return largest, false
	}
	if largest > 0 {
		return largest, true
	}
	for _, a := range x0 {
		for _, b := range x1 {
			for k := range a {
				if a[k] != b[k] {
					return 0, true
				}
			}
		}
	}
	return 0, false
}

// sqDistMatrix fills c (row-major len(a) x len(b)) with |a_i - b_j|^2.
func sqDistMatrix(c []float64, a, b [][]float64) {
	m := len(b)
	if len(a[0]) == 2 {
		for i, ai := range a {
			a0, a1 := ai[0], ai[1]
			row := c[i*m : i*m+m]
			for j, bj := range b {
				d0, d1 := a0-bj[0], a1-bj[1]
				row[j] = d0*d0 + d1*d1
			}
		}
		return
	}
	for i, ai := range a {
		row := c[i*m : i*m+m]
		for j, bj := range b {
			var s float64
			for k, x := range ai {
				d := x - bj[k]
				s += d * d
			}
			row[j] = s
		}
	}
}
