package coupling

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/fuzzin"
)

// fuzzInit sets the solver's initialisation from a byte (JV's phases 1-3,
// the auction from n = 2 on, or augment alone) and returns the function that
// restores it. Fuzz functions run one at a time in a process, so changing
// the package variables is safe.
func fuzzInit(mode byte) (restore func()) {
	a, b := auctionMinN, auctionBidsPerRow
	switch mode % 3 {
	case 1:
		auctionMinN = 2
	case 2:
		auctionMinN, auctionBidsPerRow = 2, 0
	}
	return func() { auctionMinN, auctionBidsPerRow = a, b }
}

// sqCost is the squared Euclidean cost matrix of two point sets, computed
// here independently of sqDistMatrix.
func sqCost(x0, x1 [][]float64) [][]float64 {
	c := make([][]float64, len(x0))
	for i := range c {
		c[i] = make([]float64, len(x1))
		for j := range c[i] {
			for k := range x0[i] {
				d := x0[i][k] - x1[j][k]
				c[i][j] += d * d
			}
		}
	}
	return c
}

// checkOptimal fails unless perm is a permutation whose cost total is
// finite and, to rounding, the brute-force minimum of c.
func checkOptimal(t *testing.T, c [][]float64, perm []int, total float64) {
	t.Helper()
	seen := make([]bool, len(c))
	for _, j := range perm {
		if j < 0 || j >= len(c) || seen[j] {
			t.Fatalf("perm %v is not a permutation of 0..%d", perm, len(c)-1)
		}
		seen[j] = true
	}
	if math.IsNaN(total) || math.IsInf(total, 0) {
		t.Fatalf("perm %v has cost %v", perm, total)
	}
	// At most 7 terms: the sums differ by a few ulps of the largest
	// magnitude met, far below 1e-12 of the sum of |c| along any matching.
	var scale float64
	for _, row := range c {
		var m float64
		for _, v := range row {
			m = max(m, math.Abs(v))
		}
		scale += m
	}
	if want := bruteForce(c); total > want+1e-12*scale {
		t.Fatalf("perm %v costs %v; the optimum is %v (cost %v)", perm, total, want, c)
	}
}

// FuzzAssignment: on a finite square cost matrix Assignment returns an
// optimal permutation (checked by brute force, n <= 7) and its cost, or an
// error saying what to change; NaN, ±Inf and ragged matrices are errors.
func FuzzAssignment(f *testing.F) {
	f.Add([]byte{0, 3, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0, 9, 0})
	f.Add([]byte{1, 4, 5, 15, 5, 16, 5, 15, 5, 15})      // ±MaxFloat64 costs, auction
	f.Add([]byte{2, 2, 7, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}) // +Inf
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		defer fuzzInit(r.Byte())()
		n := r.Intn(0, 7)
		c := r.Points(n, n, false)
		if n > 0 && r.Byte()%8 == 0 { // one input in eight has a short row
			i := r.Intn(0, n-1)
			c[i] = c[i][:r.Intn(0, n-1)]
		}
		perm, total, err := Assignment(c)
		bad := n == 0 || !fuzzin.AllFinite(c)
		for _, row := range c {
			bad = bad || len(row) != n
		}
		if err != nil {
			if !bad && !strings.Contains(err.Error(), "rescale") {
				t.Fatalf("Assignment(%v): %v; a finite square matrix needs a solution or an error that says to rescale it", c, err)
			}
			return
		}
		if bad {
			t.Fatalf("Assignment(%v) accepted an empty, ragged or non-finite matrix: perm %v", c, perm)
		}
		checkOptimal(t, c, perm, total)
		var s float64
		for i, j := range perm {
			s += c[i][j]
		}
		if s != total {
			t.Fatalf("Assignment(%v): total %v, but perm %v costs %v", c, total, perm, s)
		}
	})
}

// fuzzBatches decodes two batches of n points in dimension d (1 <= n <= 7,
// d <= 3) whose values may be NaN, ±Inf, huge or subnormal.
func fuzzBatches(r *fuzzin.Reader) (x0, x1 [][]float64) {
	n, d := r.Intn(1, 7), r.Intn(1, 3)
	return r.Points(n, d, false), r.Points(n, d, false)
}

// FuzzExactOT: ExactOT.Pair keeps x0 and permutes the rows of x1 (the same
// row slices, each once) by an optimal matching, which OTPermutation also
// returns with its finite mean squared distance; non-finite points are an
// error, and so are points whose squared distances overflow, with an error
// that says to rescale.
func FuzzExactOT(f *testing.F) {
	f.Add([]byte{0, 3, 1, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 3, 0, 0, 2, 0, 0, 1, 0})
	f.Add([]byte{1, 2, 0, 5, 7, 5, 9, 5, 9, 5, 7})          // ±1.5e154: squares overflow
	f.Add([]byte{2, 4, 1, 6, 0, 1, 0, 6, 0, 1, 4, 6, 0, 1}) // tiny values
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		defer fuzzInit(r.Byte())()
		x0, x1 := fuzzBatches(r)
		finite := fuzzin.AllFinite(x0) && fuzzin.AllFinite(x1)
		c := sqCost(x0, x1)
		x0p, x1p, err := ExactOT{}.Pair(x0, x1, nil)
		perm, msd, err2 := OTPermutation(x0, x1)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ExactOT.Pair: %v, but OTPermutation: %v", err, err2)
		}
		if err != nil {
			if finite && !strings.Contains(err.Error(), "rescale") {
				t.Fatalf("finite points %v, %v: %v; want a pairing or an error that says to rescale", x0, x1, err)
			}
			return
		}
		if !finite {
			t.Fatalf("non-finite points %v, %v were paired", x0, x1)
		}
		var total float64
		for i, j := range perm {
			total += c[i][j]
		}
		checkOptimal(t, c, perm, total)
		if !fuzzin.Close(msd, total/float64(len(perm)), 1e-12, 0) || msd < 0 {
			t.Fatalf("OTPermutation: mean squared distance %v, but perm %v costs %v in total", msd, perm, total)
		}
		for i := range x0 {
			if &x0p[i][0] != &x0[i][0] || &x1p[i][0] != &x1[perm[i]][0] {
				t.Fatalf("row %d: Pair did not keep x0[%d] and pair it with x1[%d] (perm %v)", i, i, perm[i], perm)
			}
		}
	})
}

// FuzzSinkhorn: Sinkhorn.Plan rejects invalid settings and points (and
// points or an Epsilon outside float64's reach, saying what to change) and
// otherwise returns a plan of finite non-negative entries with the
// marginals 1/n and 1/m (within Tol for the rows when it converged) and a
// cost between the smallest and the largest squared distance; Pair pairs
// every x0[i], in order, with one of the rows of x1.
func FuzzSinkhorn(f *testing.F) {
	// Bytes: Epsilon's kind and value, MaxIter + 1, Tol's index, n - 1,
	// m - 1, d - 1, then the points.
	f.Add([]byte{1, 128, 1, 0, 2, 3, 1, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0, 9, 0}) // Epsilon 0.1, defaults
	f.Add([]byte{1, 128, 1, 0, 1, 1, 0, 5, 8, 5, 9, 5, 7, 5, 9})                                                          // ±1.5e154: squares overflow
	f.Add([]byte{1, 0, 1, 0, 1, 1, 1, 6, 0, 1, 0, 6, 0, 1, 4, 6, 0, 1, 9})                                                // Epsilon 1e-3, subnormal points
	f.Add([]byte{0, 7, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0})                                                      // Epsilon NaN
	f.Add([]byte{1, 128, 2, 1, 2, 2, 1, 0, 1, 0, 0, 5, 0, 0, 3, 0, 0, 7, 0})                                              // MaxIter 1: not converged
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		var s Sinkhorn
		switch r.Byte() % 4 {
		case 0: // any value, to exercise the checks
			s.Epsilon = r.Float()
		default: // 1e-3 .. 10, the useful range
			s.Epsilon = math.Pow(10, -3+4*float64(r.Byte())/255)
		}
		s.MaxIter = r.Intn(-1, 254)
		s.Tol = []float64{0, 1e-6, 0.1, -1}[r.Byte()%4]
		n, m, d := r.Intn(1, 6), r.Intn(1, 6), r.Intn(1, 3)
		x0, x1 := r.Points(n, d, false), r.Points(m, d, false)
		badSettings := !(s.Epsilon > 0) || math.IsInf(s.Epsilon, 0) || s.MaxIter < 0 || s.Tol < 0
		finite := fuzzin.AllFinite(x0) && fuzzin.AllFinite(x1)
		p, err := s.Plan(x0, x1)
		if badSettings || !finite {
			if err == nil {
				t.Fatalf("Sinkhorn%+v.Plan accepted invalid settings or non-finite points %v, %v", s, x0, x1)
			}
			return
		}
		if p == nil {
			if msg := err.Error(); !strings.Contains(msg, "rescale") && !strings.Contains(msg, "raise Epsilon") {
				t.Fatalf("Sinkhorn%+v.Plan(%v, %v): no plan and %v; want an error that says to rescale or raise Epsilon", s, x0, x1, err)
			}
			return
		}
		if err != nil && !strings.Contains(err.Error(), "MaxIter") {
			t.Fatalf("Sinkhorn%+v.Plan(%v, %v): a plan and an error that is not about convergence: %v", s, x0, x1, err)
		}
		checkPlan(t, s, p, x0, x1, err == nil)
		if n != m {
			return
		}
		x0p, x1p, err := s.Pair(x0, x1, rand.New(rand.NewPCG(r.Uint64(), 1)))
		if err != nil {
			return // not converged, as Plan said
		}
		for i := range x0 {
			if &x0p[i][0] != &x0[i][0] {
				t.Fatalf("Pair moved x0[%d]", i)
			}
			found := false
			for j := range x1 {
				found = found || &x1p[i][0] == &x1[j][0]
			}
			if !found {
				t.Fatalf("Pair gave x0[%d] a partner %v that is not a row of x1", i, x1p[i])
			}
		}
	})
}

// checkPlan checks the entries, marginals and cost of a plan.
func checkPlan(t *testing.T, s Sinkhorn, p *Plan, x0, x1 [][]float64, converged bool) {
	t.Helper()
	n, m := len(x0), len(x1)
	if p.N != n || p.M != m || len(p.P) != n*m {
		t.Fatalf("plan of %d x %d with %d entries for %d and %d points", p.N, p.M, len(p.P), n, m)
	}
	var total float64
	for _, v := range p.P {
		if !(v >= 0) || math.IsInf(v, 0) {
			t.Fatalf("Sinkhorn%+v.Plan(%v, %v): entry %v in %v", s, x0, x1, v, p.P)
		}
		total += v
	}
	for _, v := range []float64{p.Cost, p.RowErr, p.ColErr, p.Eps} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("Sinkhorn%+v.Plan(%v, %v): non-finite figure in %+v", s, x0, x1, *p)
		}
	}
	if !converged {
		return
	}
	tol := s.Tol
	if tol == 0 {
		tol = DefaultSinkhornTol
	}
	// The kernel is float32: the column marginals, exact in exact
	// arithmetic after every iteration, carry a relative rounding error of
	// a few times 2^-24 ~ 6e-8 per entry; 1e-5 leaves room for that.
	if p.RowErr > tol+1e-5 || p.ColErr > 1e-5 || math.Abs(total-1) > tol+1e-5 {
		t.Fatalf("Sinkhorn%+v.Plan(%v, %v): mass %v, row error %v, column error %v (Tol %v)", s, x0, x1, total, p.RowErr, p.ColErr, tol)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range sqCost(x0, x1) {
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	// The cost is a weighted mean of the squared distances (all >= 0) with
	// weights summing to 1 up to the mass error.
	if slack := tol + 1e-5; p.Cost < lo*(1-slack) || p.Cost > hi*(1+slack) {
		t.Fatalf("Sinkhorn%+v.Plan(%v, %v): cost %v outside the squared distances' range [%v, %v]", s, x0, x1, p.Cost, lo, hi)
	}
}
