package coupling

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
)

// bruteForce returns the minimum of sum_i c[i][p[i]] over all permutations p.
func bruteForce(c [][]float64) float64 {
	n := len(c)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	best := math.Inf(1)
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			var s float64
			for i, j := range p {
				s += c[i][j]
			}
			best = min(best, s)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
	return best
}

// refHungarian is an independent O(n^3) reference: the classic
// shortest-augmenting-path Hungarian method with explicit row and column
// potentials, adding one row at a time (no JV initialisation phases).
func refHungarian(c [][]float64) float64 {
	n := len(c)
	u, v := make([]float64, n+1), make([]float64, n+1)
	p, way := make([]int, n+1), make([]int, n+1) // p[j]: row (1-based) matched to column j
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		minv := make([]float64, n+1)
		used := make([]bool, n+1)
		for j := range minv {
			minv[j] = math.Inf(1)
		}
		for p[j0] != 0 {
			used[j0] = true
			i0, delta, j1 := p[j0], math.Inf(1), 0
			for j := 1; j <= n; j++ {
				if !used[j] {
					cur := c[i0-1][j-1] - u[i0] - v[j]
					if cur < minv[j] {
						minv[j], way[j] = cur, j0
					}
					if minv[j] < delta {
						delta, j1 = minv[j], j
					}
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	var s float64
	for j := 1; j <= n; j++ {
		s += c[p[j]-1][j-1]
	}
	return s
}

// randomCost draws an n x n cost of the given kind.
func randomCost(rng *rand.Rand, n int, kind string) [][]float64 {
	c := make([][]float64, n)
	pts := make([][2]float64, 2*n)
	for k := range pts {
		pts[k] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	for i := range c {
		c[i] = make([]float64, n)
		for j := range c[i] {
			switch kind {
			case "uniform":
				c[i][j] = rng.Float64()
			case "ties": // small integers: many equal costs and tied optima
				c[i][j] = float64(rng.IntN(4))
			case "negative-offset": // large offset and negative values
				c[i][j] = -1e6 + 100*rng.NormFloat64()
			case "sqeuclid": // the ExactOT cost
				d0, d1 := pts[i][0]-pts[n+j][0], pts[i][1]-pts[n+j][1]
				c[i][j] = d0*d0 + d1*d1
			case "rank1": // c_ij = a_i b_j: highly degenerate structure
				c[i][j] = pts[i][0] * pts[n+j][1]
			case "constant": // every permutation is optimal
				c[i][j] = 2.5
			}
		}
	}
	return c
}

var costKinds = []string{"uniform", "ties", "negative-offset", "sqeuclid", "rank1", "constant"}

// checkPerm verifies perm is a permutation and total is its cost.
func checkPerm(t *testing.T, c [][]float64, perm []int, total float64) {
	t.Helper()
	seen := make([]bool, len(c))
	var s float64
	for i, j := range perm {
		if j < 0 || j >= len(c) || seen[j] {
			t.Fatalf("perm %v is not a permutation", perm)
		}
		seen[j] = true
		s += c[i][j]
	}
	if s != total {
		t.Fatalf("total %v differs from the cost of perm %v", total, s)
	}
}

// initModes runs f once per initialisation of the solver: JV's phases 1-3
// only, the auction for every n >= 2, and an auction whose bid budget is 0
// (so augment alone solves from zero prices).
func initModes(t *testing.T, f func(t *testing.T)) {
	defer func(a, b int) { auctionMinN, auctionBidsPerRow = a, b }(auctionMinN, auctionBidsPerRow)
	for _, m := range []struct {
		name         string
		minN, perRow int
	}{{"jv", 1 << 30, 64}, {"auction", 2, 64}, {"augment-only", 2, 0}} {
		auctionMinN, auctionBidsPerRow = m.minN, m.perRow
		t.Run(m.name, f)
	}
}

func TestAssignmentBruteForce(t *testing.T) { initModes(t, testAssignmentBruteForce) }
func TestAssignmentReference(t *testing.T)  { initModes(t, testAssignmentReference) }

func testAssignmentBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range costKinds {
		for n := 1; n <= 7; n++ {
			for rep := 0; rep < 40; rep++ {
				c := randomCost(rng, n, kind)
				perm, total, err := Assignment(c)
				if err != nil {
					t.Fatal(err)
				}
				checkPerm(t, c, perm, total)
				want := bruteForce(c)
				// Both sides are sums of at most 7 terms; relative 1e-12 covers
				// the different summation orders (1e-12 * 7e6 for the offset case).
				if math.Abs(total-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s n=%d: Assignment total %v, brute force %v (cost %v)", kind, n, total, want, c)
				}
			}
		}
	}
}

func testAssignmentReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kind := range costKinds {
		for _, n := range []int{8, 20, 64, 150, 300} {
			for rep := 0; rep < 3; rep++ {
				c := randomCost(rng, n, kind)
				perm, total, err := Assignment(c)
				if err != nil {
					t.Fatal(err)
				}
				checkPerm(t, c, perm, total)
				want := refHungarian(c)
				// Sums of n <= 150 terms of size <= 1e6: rounding differences
				// are far below 1e-9 relative.
				if math.Abs(total-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s n=%d: Assignment %v, reference Hungarian %v", kind, n, total, want)
				}
			}
		}
	}
}

func TestAssignmentErrors(t *testing.T) {
	cases := []struct {
		name string
		cost [][]float64
		want string
	}{
		{"empty", nil, "empty"},
		{"rectangular", [][]float64{{1, 2, 3}, {4, 5, 6}}, "square"},
		{"ragged", [][]float64{{1, 2}, {3}}, "row 1"},
		{"nan", [][]float64{{1, math.NaN()}, {3, 4}}, "cost[0][1]"},
		{"inf", [][]float64{{1, 2}, {math.Inf(1), 4}}, "finite"},
		// Finite, but the solver's price differences would overflow.
		{"too large", [][]float64{{1, -math.MaxFloat64}, {3, 4}}, "MaxCost(2)"},
	}
	for _, c := range cases {
		if _, _, err := Assignment(c.cost); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func gaussianBatch(rng *rand.Rand, n, d int, shift float64) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, d)
		for k := range p[i] {
			p[i][k] = rng.NormFloat64() + shift
		}
	}
	return p
}

func meanSq(x0, x1 [][]float64) float64 {
	var s float64
	for i := range x0 {
		for k := range x0[i] {
			d := x0[i][k] - x1[i][k]
			s += d * d
		}
	}
	return s / float64(len(x0))
}

func TestExactOTBeatsIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// maxRatio bounds OT cost / independent cost. 2D moons vs N(0, I): the
	// population values are ~0.3 (W2^2) vs ~4.9, so 0.5 leaves ample room for
	// finite n. 5D N(0,I) vs N(2*1, I): W2^2 = |shift|^2 = 20 vs E|X-Y|^2 = 30,
	// ratio 2/3; the empirical OT cost is within a few % of 20 at n = 300, so
	// 0.8. n = 1 has a single matching: the costs are equal.
	for _, c := range []struct {
		n, d     int
		maxRatio float64
	}{{512, 2, 0.5}, {300, 5, 0.8}, {1, 3, 1}} {
		x0 := gaussianBatch(rng, c.n, c.d, 0)
		x1, _ := data.Generate("moons", c.n, 1)
		if c.d != 2 {
			x1 = gaussianBatch(rng, c.n, c.d, 2)
		}
		a0, a1, err := Independent{}.Pair(x0, x1, nil)
		if err != nil {
			t.Fatal(err)
		}
		b0, b1, err := ExactOT{}.Pair(x0, x1, nil)
		if err != nil {
			t.Fatal(err)
		}
		ind, ot := meanSq(a0, a1), meanSq(b0, b1)
		if ot > c.maxRatio*ind {
			t.Errorf("n=%d d=%d: OT mean cost %.4f, independent %.4f", c.n, c.d, ot, ind)
		}
		// x1p is a permutation of x1 rows and x0p is x0 as given.
		perm, w2sq, err := OTPermutation(x0, x1)
		if err != nil || math.Abs(w2sq-ot) > 1e-12*ot {
			t.Errorf("OTPermutation cost %v vs Pair %v (err %v)", w2sq, ot, err)
		}
		for i := range x0 {
			if &b0[i][0] != &x0[i][0] || &b1[i][0] != &x1[perm[i]][0] {
				t.Fatalf("row %d: ExactOT pairs are not (x0[i], x1[perm[i]])", i)
			}
		}
	}
}

func TestIndependentShuffle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x0 := gaussianBatch(rng, 100, 2, 0)
	x1 := gaussianBatch(rng, 100, 2, 0)
	_, y1, err := Independent{Shuffle: true}.Pair(x0, x1, rng)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	seen := map[*float64]bool{}
	for i := range y1 {
		seen[&y1[i][0]] = true
		if &y1[i][0] != &x1[i][0] {
			moved++
		}
	}
	// A uniform permutation of 100 has ~1 fixed point; > 90 moved rows
	// fails with negligible probability.
	if len(seen) != 100 || moved < 90 {
		t.Errorf("shuffle: %d distinct rows, %d moved", len(seen), moved)
	}
	if _, _, err := (Independent{Shuffle: true}).Pair(x0, x1, nil); err == nil {
		t.Error("Shuffle with nil rng: want an error")
	}
}

func TestCouplerErrors(t *testing.T) {
	ok := [][]float64{{0, 0}, {1, 1}}
	couplers := []Coupler{Independent{}, ExactOT{}, Sinkhorn{Epsilon: 0.1}}
	cases := []struct {
		name   string
		x0, x1 [][]float64
		want   string
	}{
		{"batch sizes", ok, [][]float64{{0, 0}}, "batch sizes differ"},
		{"ragged x0", [][]float64{{0, 0}, {1}}, ok, "x0: points: ragged"},
		{"dims", ok, [][]float64{{0, 0, 0}, {1, 1, 1}}, "dimensions differ"},
		{"nan x1", ok, [][]float64{{0, math.NaN()}, {1, 1}}, "x1: points: row 0"},
		{"empty", nil, nil, "empty"},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, cp := range couplers {
		for _, c := range cases {
			if _, _, err := cp.Pair(c.x0, c.x1, rng); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%T %s: error %v, want one containing %q", cp, c.name, err, c.want)
			}
		}
	}
	for _, s := range []Sinkhorn{{}, {Epsilon: -1}, {Epsilon: math.NaN()}, {Epsilon: 0.1, MaxIter: -1}, {Epsilon: 0.1, Tol: -1}} {
		if _, _, err := s.Pair(ok, ok, rng); err == nil {
			t.Errorf("%+v: want a settings error", s)
		}
	}
	if _, _, err := (Sinkhorn{Epsilon: 0.1}).Pair(ok, ok, nil); err == nil {
		t.Error("Sinkhorn with nil rng: want an error")
	}
}

// Points whose squared distances overflow float64, or a temperature that
// float64 cannot resolve against the costs, are errors that say what to
// change, not pairings computed from Inf or NaN.
func TestScaleErrors(t *testing.T) {
	ok := [][]float64{{0, 0}, {1, 1}}
	huge := [][]float64{{0, 0}, {2e154, 0}} // (2e154)^2 = 4e308 > MaxFloat64
	rng := rand.New(rand.NewPCG(1, 1))
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"ExactOT", func() error { _, _, err := (ExactOT{}).Pair(huge, ok, nil); return err }, "rescale the points"},
		{"OTPermutation", func() error { _, _, err := OTPermutation(ok, huge); return err }, "rescale the points"},
		{"Sinkhorn", func() error { _, _, err := (Sinkhorn{Epsilon: 0.1}).Pair(huge, ok, rng); return err }, "rescale the points"},
		// eps = 1e-20 * mean cost: 1e-20 of the largest cost, far below minRelTemp.
		{"Sinkhorn tiny Epsilon", func() error { _, err := (Sinkhorn{Epsilon: 1e-20}).Plan(ok, ok); return err }, "raise Epsilon"},
	}
	for _, c := range cases {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// expectScaleErrors runs every exact and entropic entry point on random
// 2D sets of n = 2 (JV's initialisation) and n = 100 >= auctionMinN
// (auction prices) points with coordinates of each size in scales (drawn
// from a generator with stream seed) and expects an error saying want and
// to rescale.
func expectScaleErrors(t *testing.T, seed uint64, scales []float64, want string) {
	t.Helper()
	sets := func(n int, scale float64) (x0, x1 [][]float64) {
		rng := rand.New(rand.NewPCG(uint64(n), seed))
		x0, x1 = make([][]float64, n), make([][]float64, n)
		for i := range x0 {
			x0[i] = []float64{scale * rng.NormFloat64(), scale * rng.NormFloat64()}
			x1[i] = []float64{scale * rng.NormFloat64(), scale * rng.NormFloat64()}
		}
		return x0, x1
	}
	for _, n := range []int{2, 100} {
		for _, scale := range scales {
			x0, x1 := sets(n, scale)
			for name, run := range map[string]func() error{
				"ExactOT":       func() error { _, _, err := (ExactOT{}).Pair(x0, x1, nil); return err },
				"OTPermutation": func() error { _, _, err := OTPermutation(x0, x1); return err },
				"Sinkhorn.Pair": func() error {
					_, _, err := (Sinkhorn{Epsilon: 0.05}).Pair(x0, x1, rand.New(rand.NewPCG(1, 1)))
					return err
				},
				"Sinkhorn.Plan": func() error { _, err := (Sinkhorn{Epsilon: 0.05}).Plan(x0, x1); return err },
			} {
				err := run()
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "rescale") {
					t.Errorf("%s, n = %d, coordinates ~%g: error %v, want one saying %q and to rescale", name, n, scale, err, want)
				}
			}
		}
	}
}

// Finite coordinates near 1e160 (or 1e300) square to +Inf. Every entry point says the coordinates are too
// large and to rescale, on both solver paths: n = 2 (JV's initialisation) and
// n = 100 >= auctionMinN (auction prices), and Sinkhorn stops before its
// first iteration instead of running to MaxIter.
func TestHugeCoordinates(t *testing.T) {
	expectScaleErrors(t, 7, []float64{1e160, 1e300}, "coordinates are too large")
}

// Tiny coordinates: squared distances that underflow to 0 (or to
// subnormals with a few bits) would make every matching look optimal, a
// silent wrong answer; each entry point must say to rescale instead. Points
// that all coincide are a legitimate input (every matching is optimal).
func TestTinyCoordinates(t *testing.T) {
	expectScaleErrors(t, 9, []float64{1e-170, 1e-155}, "coordinates are too small")
	same := [][]float64{{1, 2}, {1, 2}, {1, 2}}
	if _, _, err := OTPermutation(same, same); err != nil {
		t.Errorf("coinciding points: %v", err)
	}
	if _, _, err := (ExactOT{}).Pair(same, same, nil); err != nil {
		t.Errorf("coinciding points: %v", err)
	}
}

// TestKernels compares the (possibly SIMD) inner loops with their scalar
// versions on rows of many lengths, including exact ties.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for n := 1; n <= 70; n++ {
		row, v := make([]float64, n), make([]float64, n)
		k32, dst := make([]float32, n), make([]float64, n)
		for j := range row {
			row[j] = float64(rng.IntN(5)) // ties
			v[j] = rng.NormFloat64()
			k32[j] = float32(rng.Float64())
			dst[j] = rng.NormFloat64()
		}
		if n >= 2 {
			j1, w1, w2 := bestTwo(row, v)
			s1, sw1, sw2 := bestTwoScalar(row, v)
			if j1 != s1 || w1 != sw1 || w2 != sw2 {
				t.Errorf("n=%d: bestTwo (%d %v %v), scalar (%d %v %v)", n, j1, w1, w2, s1, sw1, sw2)
			}
		}
		// different summation orders: agree to ~n ulps of the magnitude (< n)
		if d, s := dot32(k32, v), dot32Scalar(k32, v); math.Abs(d-s) > 1e-13*float64(n) {
			t.Errorf("n=%d: dot32 %v, scalar %v", n, d, s)
		}
		d1 := append([]float64(nil), dst...)
		axpy32(d1, 0.7, k32)
		axpy32Scalar(dst, 0.7, k32)
		for j := range dst {
			if d1[j] != dst[j] { // elementwise: same operations, same rounding
				t.Errorf("n=%d: axpy32[%d] %v, scalar %v", n, j, d1[j], dst[j])
			}
		}
	}
}
