package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func gauss(rng *rand.Rand, n, d int, shift []float64) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, d)
		for k := range p[i] {
			p[i][k] = rng.NormFloat64()
			if shift != nil {
				p[i][k] += shift[k]
			}
		}
	}
	return p
}

// replicateMean runs stat on reps independent draws and returns the mean and
// its standard error (sample std / sqrt(reps)).
func replicateMean(reps int, stat func(r int) float64) (mean, se float64) {
	v := make([]float64, reps)
	for r := range v {
		v[r] = stat(r)
		mean += v[r]
	}
	mean /= float64(reps)
	for _, x := range v {
		se += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(se / float64(reps-1) / float64(reps))
}

// foldedMean is E|Z| for Z ~ N(mu, s^2) in 1D.
func foldedMean(mu, s float64) float64 {
	return s*math.Sqrt(2/math.Pi)*math.Exp(-mu*mu/(2*s*s)) + mu*math.Erf(mu/(s*math.Sqrt2))
}

// TestUnbiased checks that EnergyDistance and MMD estimate their population
// values without bias: the mean of independent replicates (small n = 40, where
// the V-statistic bias would be ~1/n of the within-set term, e.g. ~0.05 for the
// energy distance) must lie within 5 standard errors of the closed form.
func TestUnbiased(t *testing.T) {
	const reps, n = 200, 40
	cases := []struct {
		name string
		d    int
		mu   float64 // shift of the first coordinate
		stat func(x, y [][]float64) (float64, error)
		want float64
	}{
		{"energy null 2D", 2, 0, EnergyDistance, 0},
		// 1D: X - Y ~ N(-mu, 2), X - X' ~ N(0, 2): folded-normal means.
		{"energy 1D mu=1", 1, 1, EnergyDistance, 2*foldedMean(1, math.Sqrt2) - 2*foldedMean(0, math.Sqrt2)},
		{"mmd null 2D", 2, 0, func(x, y [][]float64) (float64, error) { return MMD(x, y, nil) }, 0},
		{"mmd h=1 2D mu=1", 2, 1, func(x, y [][]float64) (float64, error) { return MMD(x, y, []float64{1}) }, mmdGauss(1, 2, 1)},
		{"mmd h=0.5,2 2D mu=1.5", 2, 1.5, func(x, y [][]float64) (float64, error) { return MMD(x, y, []float64{0.5, 2}) },
			(mmdGauss(0.5, 2, 1.5) + mmdGauss(2, 2, 1.5)) / 2},
	}
	for ci, c := range cases {
		rng := rand.New(rand.NewPCG(uint64(ci), 1))
		shift := make([]float64, c.d)
		shift[0] = c.mu
		mean, se := replicateMean(reps, func(int) float64 {
			v, err := c.stat(gauss(rng, n, c.d, nil), gauss(rng, n+7, c.d, shift))
			if err != nil {
				t.Fatal(err)
			}
			return v
		})
		if math.Abs(mean-c.want) > 5*se {
			t.Errorf("%s: replicate mean %.5f ± %.5f, population value %.5f", c.name, mean, se, c.want)
		}
	}
}

// mmdGauss is the population MMD^2 between N(0, I_d) and N(mu e1, I_d) for one
// RBF bandwidth h (see the package doc).
func mmdGauss(h float64, d int, mu float64) float64 {
	return 2 * math.Pow(h*h/(h*h+2), float64(d)/2) * (1 - math.Exp(-mu*mu/(2*(h*h+2))))
}

func TestEnergyIncreasesWithShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := gauss(rng, 400, 2, nil)
	z := gauss(rng, 400, 2, nil)
	prev := math.Inf(-1)
	// Same base samples shifted further each time: for shift s the value is a
	// smooth increasing function of s; steps of 0.5 are far above its noise.
	for _, s := range []float64{0, 0.5, 1, 2, 4} {
		y := make([][]float64, len(z))
		for i, r := range z {
			y[i] = []float64{r[0] + s, r[1]}
		}
		e, err := EnergyDistance(x, y)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := MMD(x, y, nil)
		if e <= prev {
			t.Errorf("shift %g: energy distance %.4f not above %.4f", s, e, prev)
		}
		if s == 0 && (math.Abs(e) > 0.02 || math.Abs(m) > 0.01) {
			// two 400-samples of one law: |U-statistics| are O(1/n) ~ 0.0025-0.005
			t.Errorf("same law: energy %.4f, MMD^2 %.4f, want ~0", e, m)
		}
		prev = e
	}
}

func TestW2(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 300
	x := gauss(rng, n, 2, nil)
	z := gauss(rng, n, 2, nil)
	if w, err := W2(x, x); err != nil || w != 0 {
		t.Errorf("W2(x, x) = %v, %v; want exactly 0", w, err)
	}
	rev := make([][]float64, n)
	for i := range x {
		rev[i] = x[n-1-i]
	}
	if w, _ := W2(x, rev); w != 0 {
		t.Errorf("W2(x, reversed x) = %v, want 0", w)
	}
	w0, _ := W2(x, z)
	t.Logf("W2(x, z)^2 = %.4f for two %d-samples of N(0, I_2)", w0*w0, n)
	var xm, zm [2]float64
	for i := range x {
		for k := 0; k < 2; k++ {
			xm[k] += x[i][k] / n
			zm[k] += z[i][k] / n
		}
	}
	for _, mu := range [][]float64{{1, 0}, {2, -1}, {0, 3}} {
		y := make([][]float64, n)
		for i, r := range z {
			y[i] = []float64{r[0] + mu[0], r[1] + mu[1]}
		}
		w, err := W2(x, y)
		if err != nil {
			t.Fatal(err)
		}
		// Shifting y by mu adds -2 mu.(x_i - z_perm(i)) + |mu|^2 to each pair's
		// cost; summed over any permutation the middle term is the constant
		// -2 n mu.(mean x - mean z), so the optimal matching is unchanged and
		// W2(x, z + mu)^2 = W2(x, z)^2 + |mu|^2 - 2 mu.(mean x - mean z) exactly.
		mu2 := mu[0]*mu[0] + mu[1]*mu[1]
		want := w0*w0 + mu2 - 2*(mu[0]*(xm[0]-zm[0])+mu[1]*(xm[1]-zm[1]))
		if math.Abs(w*w-want) > 1e-9*want {
			t.Errorf("mu=%v: W2^2 = %.10f, identity gives %.10f", mu, w*w, want)
		}
		// Statistically W2 ~ |mu|: the extra terms are W2(x,z)^2 (O(log n / n),
		// bounded by 0.2) and 2 mu.(mean x - mean z), where
		// the projection of the mean difference on mu/|mu| has std sqrt(2/n) =
		// 0.082: 0.3 is 3.7 std, giving 0.6 |mu|.
		if math.Abs(w*w-mu2) > 0.2+0.6*math.Sqrt(mu2) {
			t.Errorf("mu=%v: W2 = %.4f, population value %.4f", mu, w, math.Sqrt(mu2))
		}
	}
}

func TestNLL(t *testing.T) {
	cases := []struct {
		logp     []float64
		mean, se float64
	}{
		{[]float64{-1, -2, -3}, 2, 1 / math.Sqrt(3)}, // sample std 1
		{[]float64{0.5, 0.5}, -0.5, 0},
		{[]float64{-4}, 4, math.NaN()},
	}
	for _, c := range cases {
		m, se, err := NLL(c.logp)
		if err != nil {
			t.Fatal(err)
		}
		// exact up to a few roundings of O(1) numbers
		if math.Abs(m-c.mean) > 1e-14 || !(math.Abs(se-c.se) <= 1e-14 || math.IsNaN(c.se) && math.IsNaN(se)) {
			t.Errorf("NLL(%v) = %v ± %v, want %v ± %v", c.logp, m, se, c.mean, c.se)
		}
	}
}

func TestMeanSE(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		v        []float64
		mean, se float64
		tol      float64 // exact up to a few roundings of O(1) numbers
	}{
		{[]float64{1, 2, 3}, 2, 1 / math.Sqrt(3), 1e-15}, // sample sd 1
		{[]float64{5, 5, 5, 5}, 5, 0, 0},
		{[]float64{-7}, -7, nan, 0},
		{nil, nan, nan, 0},
		{[]float64{1e8 + 1, 1e8 + 3}, 1e8 + 2, 1, 1e-7}, // sd sqrt(2), se 1: large offset, small spread
	} {
		m, se := MeanSE(c.v)
		near := func(got, want float64) bool {
			return math.IsNaN(want) && math.IsNaN(got) || math.Abs(got-want) <= c.tol
		}
		if !near(m, c.mean) || !near(se, c.se) {
			t.Errorf("MeanSE(%v) = %v ± %v, want %v ± %v", c.v, m, se, c.mean, c.se)
		}
	}
}

func TestErrors(t *testing.T) {
	ok := [][]float64{{0, 0}, {1, 1}}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"ed dims", second(EnergyDistance(ok, [][]float64{{1}, {2}})), "dimensions differ"},
		{"ed one point", second(EnergyDistance(ok, [][]float64{{1, 1}})), "at least 2"},
		{"ed ragged", second(EnergyDistance([][]float64{{1, 2}, {3}}, ok)), "x: points: ragged"},
		{"mmd nan", second(MMD(ok, [][]float64{{1, math.NaN()}, {0, 0}}, nil)), "y: points: row 0"},
		{"mmd bandwidth", second(MMD(ok, ok, []float64{1, 0})), "bandwidths[1]"},
		{"mmd empty", second(MMD(nil, ok, nil)), "empty"},
		// 2 h^2 underflows to 0: exp(-|a-b|^2 / 0) would be NaN for equal points.
		{"mmd tiny bandwidth", second(MMD(ok, ok, []float64{1, 1e-200})), "bandwidths[1] = 1e-200"},
		// |1e155|^2 overflows: the distance is +Inf and the estimate Inf - Inf.
		{"ed overflow", second(EnergyDistance(ok, [][]float64{{0, 0}, {1e155, 0}})), "rescale the points"},
		{"w2 sizes", second(W2(ok, [][]float64{{1, 1}})), "equal sizes"},
		{"w2 dims", second(W2(ok, [][]float64{{1}, {2}})), "dimensions differ"},
		// Finite coordinates near 1e160 square to +Inf: the solver cannot take them.
		{"w2 overflow", second(W2(ok, [][]float64{{1e160, 0}, {-1e160, 1}})), "coordinates are too large"},
		{"nll empty", third(NLL(nil)), "no log-likelihood"},
		{"nll inf", third(NLL([]float64{1, math.Inf(-1)})), "logp[1]"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

func second(_ float64, err error) error   { return err }
func third(_, _ float64, err error) error { return err }

// TestRBFPowers checks the shared-exponential kernel against direct
// math.Exp for the default bandwidths (integer coefficient ratios), a set
// with non-integer ratios and duplicates, over distances up to the underflow
// range.
func TestRBFPowers(t *testing.T) {
	for _, bw := range [][]float64{DefaultBandwidths(), {0.3, 1, 0.7, 1}, {2}} {
		coef := make([]float64, len(bw))
		for i, h := range bw {
			coef[i] = -1 / (2 * h * h)
		}
		k := newRBF(coef)
		for q := 0.0; q < 40; q += 0.37 {
			a, b := []float64{0, 0}, []float64{math.Sqrt(q), 0}
			got := k.rowSum(a, b, 2, make([]float64, k.scratchSize()))
			var want float64
			for _, c := range coef {
				want += math.Exp(c * q)
			}
			// powers up to 400 of a correctly rounded exp: relative error
			// <= ~400 ulp = 1e-13; terms below e^-700 are evaluated as ~1e-304.
			if math.Abs(got-want) > 1e-12*want+1e-300 {
				t.Errorf("bandwidths %v, q=%.2f: %v, direct %v", bw, q, got, want)
			}
		}
	}
}

// TestParallelMatchesSerial: the goroutine split only changes the summation
// order, so results agree to rounding (~1e-12 relative for 1e5 terms).
func TestParallelMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	x := gauss(rng, 400, 2, nil)
	y := gauss(rng, 350, 2, []float64{0.5, 0})
	defer func(o int) { maxWorkers = o }(maxWorkers)
	var res [2][2]float64
	for k, w := range []int{1, 4} {
		maxWorkers = w
		res[k][0], _ = EnergyDistance(x, y)
		res[k][1], _ = MMD(x, y, nil)
	}
	for i := 0; i < 2; i++ {
		if math.Abs(res[0][i]-res[1][i]) > 1e-12*math.Abs(res[0][i]) {
			t.Errorf("statistic %d: serial %v, parallel %v", i, res[0][i], res[1][i])
		}
	}
}

// TestEnergyDistanceBlocks checks the block estimates: their mean must lie
// within 4 standard errors (from the block spread, k - 1 = 19 degrees of
// freedom: |t| > 4 has probability 8e-4) of the population value, and the
// block count and bad arguments are handled.
func TestEnergyDistanceBlocks(t *testing.T) {
	cases := []struct {
		name string
		d    int
		mu   float64
		k    int
		want float64
	}{
		{"null 2D", 2, 0, 20, 0},
		{"1D mu=1", 1, 1, 20, 2*foldedMean(1, math.Sqrt2) - 2*foldedMean(0, math.Sqrt2)},
		{"2D mu=0.5", 2, 0.5, 20, math.NaN()}, // no closed form: compared with EnergyDistance on all rows
	}
	for ci, c := range cases {
		rng := rand.New(rand.NewPCG(uint64(ci), 9))
		shift := make([]float64, c.d)
		shift[0] = c.mu
		x, y := gauss(rng, 2000, c.d, nil), gauss(rng, 2003, c.d, shift)
		blocks, err := EnergyDistanceBlocks(x, y, c.k)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) != c.k {
			t.Fatalf("%s: %d blocks, want %d", c.name, len(blocks), c.k)
		}
		mean, se := MeanSE(blocks)
		want := c.want
		if math.IsNaN(want) {
			if want, err = EnergyDistance(x, y); err != nil {
				t.Fatal(err)
			}
		}
		if math.Abs(mean-want) > 4*se {
			t.Errorf("%s: block mean %.5f ± %.5f, want %.5f within 4 SE", c.name, mean, se, want)
		}
	}
	x := gauss(rand.New(rand.NewPCG(1, 1)), 10, 2, nil)
	for _, k := range []int{1, 6} { // one block: no SE; 6 blocks of 10 rows: 1 row each
		if _, err := EnergyDistanceBlocks(x, x, k); err == nil {
			t.Errorf("k = %d on 10 rows: no error", k)
		}
	}
}
