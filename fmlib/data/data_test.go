package data

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// binomTol returns a 5-sigma tolerance for the fraction of n Bernoulli(p)
// trials: a correct generator fails it with probability < 1e-6.
func binomTol(p float64, n int) float64 { return 5 * math.Sqrt(p*(1-p)/float64(n)) }

func flatOf(n int, fill func([]float64, *rand.Rand), seed uint64) []float64 {
	f := make([]float64, 2*n)
	fill(f, rand.New(rand.NewPCG(seed, 99)))
	return f
}

func TestReproducible(t *testing.T) {
	for _, name := range Names() {
		a, err := Generate(name, 1000, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Generate(name, 1000, 7)
		c, _ := Generate(name, 1000, 8)
		same, diff := true, 0
		for i := range a {
			for j := range a[i] {
				same = same && a[i][j] == b[i][j]
				if a[i][j] != c[i][j] {
					diff++
				}
			}
		}
		if !same {
			t.Errorf("%s: same seed gave different data", name)
		}
		// Continuous coordinates from different streams coincide with
		// probability ~0; allow 1% for any discrete structure.
		if diff < 1980 {
			t.Errorf("%s: seeds 7 and 8 share %d of 2000 coordinates", name, 2000-diff)
		}
		// Sample with an equivalent rng continues the same stream as Generate.
		s, err := Sample(name, 1000, rand.New(rand.NewPCG(7, registry[name].stream)))
		if err != nil || s[999][1] != a[999][1] {
			t.Errorf("%s: Sample with the Generate stream differs (err %v)", name, err)
		}
	}
}

func TestShapeAndScale(t *testing.T) {
	const n = 20000
	for _, name := range Names() {
		for _, m := range []int{1, 3, n} {
			p, err := Generate(name, m, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != m {
				t.Fatalf("%s: got %d rows, want %d", name, len(p), m)
			}
			for i, row := range p {
				if len(row) != Dim || cap(row) != Dim {
					t.Fatalf("%s: row %d has len %d cap %d, want %d", name, i, len(row), cap(row), Dim)
				}
				for _, v := range row {
					if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 4 {
						t.Fatalf("%s: row %d = %v outside the documented range", name, i, row)
					}
				}
			}
			if m < n {
				continue
			}
			// "Roughly unit to a few std": every dataset's per-axis std lies in
			// [0.5, 2] and its mean within 0.5 of the origin (the exact values
			// range from ~0.99 (moons y) to ~1.73 (moons x)).
			for ax := 0; ax < 2; ax++ {
				var s, s2 float64
				for _, row := range p {
					s += row[ax]
					s2 += row[ax] * row[ax]
				}
				mean := s / n
				std := math.Sqrt(s2/n - mean*mean)
				if math.Abs(mean) > 0.5 || std < 0.5 || std > 2 {
					t.Errorf("%s axis %d: mean %.3f std %.3f, want |mean| <= 0.5, std in [0.5, 2]", name, ax, mean, std)
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Generate("swissroll", 10, 1)
	if err == nil || !strings.Contains(err.Error(), "checkerboard") || !strings.Contains(err.Error(), "swissroll") {
		t.Errorf("unknown name: error %v should name the bad name and list valid names", err)
	}
	for _, n := range []int{0, -5} {
		if _, err := Generate("moons", n, 1); err == nil {
			t.Errorf("n = %d: want an error", n)
		}
	}
	if _, err := Sample("moons", 10, nil); err == nil {
		t.Error("nil rng: want an error")
	}
	if p, err := Generate("MOONS", 2, 1); err != nil || len(p) != 2 {
		t.Errorf("names are case insensitive: got %v, %v", p, err)
	}
}

// arcResidual returns the distance of (x, y) to the moon arcs: upper arc centre
// (-1, -0.5) radius 2, y >= -0.5; lower arc centre (1, 0.5) radius 2, y <= 0.5.
// It also reports whether the upper arc is the nearer one.
func arcResidual(x, y float64) (float64, bool) {
	arc := func(cx, cy, sign float64) float64 {
		dx, dy := x-cx, y-cy
		if sign*dy >= 0 { // within the half plane of the arc: radial distance
			return math.Abs(math.Hypot(dx, dy) - 2)
		}
		// otherwise the nearest point is one of the two endpoints (cx±2, cy)
		return math.Min(math.Hypot(dx-2, dy), math.Hypot(dx+2, dy))
	}
	u, l := arc(-1, -0.5, 1), arc(1, 0.5, -1)
	return math.Min(u, l), u < l
}

// spiralResidual returns ρ - φ/π reduced to the nearest integer (in [-0.5, 0.5]),
// which is 0 on both spiral arms, and whether the point is on the first arm
// (the nearest integer is even).
func spiralResidual(x, y float64) (float64, bool) {
	rho := math.Hypot(x, y)
	phi := math.Atan2(y, x)
	if phi < 0 {
		phi += 2 * math.Pi
	}
	v := rho - phi/math.Pi
	k := math.Round(v)
	return v - k, math.Mod(k, 2) == 0
}

func TestGeometryNoiseFree(t *testing.T) {
	const n = 20000
	// 1e-9: the noise-free constructions are exact up to a few float64 roundings
	// of O(1) quantities (~1e-15); 1e-9 leaves room while catching any real offset.
	const exact = 1e-9
	cases := []struct {
		name     string
		fill     func([]float64, *rand.Rand)
		residual func(x, y float64) (float64, bool)
	}{
		{"moons", func(f []float64, r *rand.Rand) { moons(f, nil, r, 0) }, arcResidual},
		{"spirals", func(f []float64, r *rand.Rand) { spirals(f, nil, r, 0) }, func(x, y float64) (float64, bool) {
			if math.Hypot(x, y) > 3+exact {
				return math.Inf(1), false
			}
			return spiralResidual(x, y)
		}},
		{"circles", func(f []float64, r *rand.Rand) { circles(f, nil, r, 0) }, func(x, y float64) (float64, bool) {
			r := math.Hypot(x, y)
			a, b := math.Abs(r-CirclesInner), math.Abs(r-CirclesOuter)
			return math.Min(a, b), a < b
		}},
	}
	for _, c := range cases {
		f := flatOf(n, c.fill, 3)
		first := 0
		for i := 0; i < n; i++ {
			res, isFirst := c.residual(f[2*i], f[2*i+1])
			if math.Abs(res) > exact {
				t.Fatalf("%s: noise-free point %v is %g off the curve", c.name, f[2*i:2*i+2], res)
			}
			if isFirst {
				first++
			}
		}
		if frac := float64(first) / n; math.Abs(frac-0.5) > binomTol(0.5, n) {
			t.Errorf("%s: fraction on the first component %.4f, want 0.5 ± %.4f", c.name, frac, binomTol(0.5, n))
		}
	}
}

// TestGeometryNoisy checks that the default noise has the documented std: the
// residual to the noise-free curve is, to first order, a zero-mean Gaussian
// whose std is the noise std (times a known factor for the spirals).
func TestGeometryNoisy(t *testing.T) {
	const n = 20000
	// The RMS of n Gaussian residuals estimates σ with relative std 1/sqrt(2n)
	// = 0.5%; second-order (curvature) effects are ~σ/(4r) <= 2.5% of σ² relative
	// for these curves, so a 5% band is safe yet rejects a noise 1.1x off.
	const relTol = 0.05
	cases := []struct {
		name  string
		noise float64
		gen   string
		// scaled residual: ~N(0, 1) to first order; ok=false skips the point.
		z func(x, y float64) (z float64, ok bool)
	}{
		{"moons", MoonsNoise, "moons", func(x, y float64) (float64, bool) {
			r, _ := arcResidual(x, y)
			return r / MoonsNoise, true
		}},
		{"circles", CirclesNoise, "circles", func(x, y float64) (float64, bool) {
			r := math.Hypot(x, y)
			return math.Min(math.Abs(r-CirclesInner), math.Abs(r-CirclesOuter)) / CirclesNoise, true
		}},
		// ρ - φ/π changes by e_r - e_t/(πρ) for noise (e_r, e_t), so its std is
		// σ sqrt(1 + 1/(πρ)^2); only ρ > 1 is used (small angular term, no wrap).
		{"spirals", SpiralsNoise, "spirals", func(x, y float64) (float64, bool) {
			rho := math.Hypot(x, y)
			if rho < 1 {
				return 0, false
			}
			r, _ := spiralResidual(x, y)
			return r / (SpiralsNoise * math.Sqrt(1+1/(math.Pi*math.Pi*rho*rho))), true
		}},
	}
	for _, c := range cases {
		p, _ := Generate(c.gen, n, 11)
		var s2 float64
		m := 0
		for _, row := range p {
			if z, ok := c.z(row[0], row[1]); ok {
				s2 += z * z
				m++
			}
		}
		rms := math.Sqrt(s2 / float64(m))
		t.Logf("%s rms %.4f", c.name, rms)
		if math.Abs(rms-1) > relTol {
			t.Errorf("%s: residual RMS / noise = %.4f over %d points, want 1 ± %.2f", c.name, rms, m, relTol)
		}
	}
}

func TestEightGaussians(t *testing.T) {
	const n = 40000
	p, _ := EightGaussians(n, 5)
	var cnt [8]int
	var sum, sum2 [8][2]float64
	for _, row := range p {
		// nearest centre; neighbouring centres are 2R sin(π/8) = 1.53 = 7.7σ
		// apart, so a point is misassigned with probability ~1e-4.
		best, bd := 0, math.Inf(1)
		for k, c := range eightCentres {
			d := math.Hypot(row[0]-EightGaussiansRadius*c[0], row[1]-EightGaussiansRadius*c[1])
			if d < bd {
				best, bd = k, d
			}
		}
		cnt[best]++
		for ax := 0; ax < 2; ax++ {
			sum[best][ax] += row[ax]
			sum2[best][ax] += row[ax] * row[ax]
		}
	}
	for k := range cnt {
		frac := float64(cnt[k]) / n
		if math.Abs(frac-0.125) > binomTol(0.125, n) {
			t.Errorf("cluster %d holds %.4f of the points, want 0.125 ± %.4f", k, frac, binomTol(0.125, n))
		}
		m := float64(cnt[k])
		for ax := 0; ax < 2; ax++ {
			mean := sum[k][ax] / m
			std := math.Sqrt(sum2[k][ax]/m - mean*mean)
			// 5 standard errors of the mean (σ/sqrt(m)).
			if want := EightGaussiansRadius * eightCentres[k][ax]; math.Abs(mean-want) > 5*EightGaussiansStd/math.Sqrt(m) {
				t.Errorf("cluster %d axis %d: mean %.4f, want %.4f", k, ax, mean, want)
			}
			// sample std has relative standard error 1/sqrt(2m) ≈ 1.1%; 6% band.
			if math.Abs(std/EightGaussiansStd-1) > 0.06 {
				t.Errorf("cluster %d axis %d: std %.4f, want %.4f", k, ax, std, EightGaussiansStd)
			}
		}
	}
}

func TestCheckerboard(t *testing.T) {
	const n = 40000
	p, _ := Checkerboard(n, 9)
	var cnt [4][4]int
	var fracSum float64
	for _, row := range p {
		x, y := row[0], row[1]
		if x < -2 || x >= 2 || y < -2 || y >= 2 {
			t.Fatalf("point %v outside [-2, 2)^2", row)
		}
		a, b := int(math.Floor(x))+2, int(math.Floor(y))+2
		if (a+b)%2 != 0 {
			t.Fatalf("point %v falls in a white square", row)
		}
		cnt[a][b]++
		fracSum += x - math.Floor(x)
	}
	for a := 0; a < 4; a++ {
		for b := a % 2; b < 4; b += 2 {
			frac := float64(cnt[a][b]) / n
			if math.Abs(frac-0.125) > binomTol(0.125, n) {
				t.Errorf("square (%d,%d) holds %.4f, want 0.125 ± %.4f", a-2, b-2, frac, binomTol(0.125, n))
			}
		}
	}
	// Uniform within squares: the fractional part has mean 1/2, std sqrt(1/12);
	// 5 standard errors.
	if m := fracSum / n; math.Abs(m-0.5) > 5*math.Sqrt(1.0/12/n) {
		t.Errorf("mean fractional x %.4f, want 0.5", m)
	}
}

func BenchmarkGenerate1e6(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Generate(name, 1_000_000, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLabeled checks that the labelled generators return the very points of
// the plain ones, with classes drawn uniformly and (where the geometry
// decides it) the class the point's position says.
func TestLabeled(t *testing.T) {
	const n = 20000
	// where returns the class a point's position implies, or -1 where the
	// classes overlap (moons, spirals: no check).
	cases := []struct {
		name    string
		classes int
		where   func(x, y float64) int
		minHit  float64 // fraction of points whose position must agree with the label
		why     string
	}{
		{"8gaussians", 8, func(x, y float64) int {
			k := int(math.Round(math.Atan2(y, x) / (math.Pi / 4)))
			return (k + 8) % 8
		}, 0.999, "neighbouring centres are 1.53 apart, 3.8 std each side: P(wrong sector) ~ 1e-4"},
		{"checkerboard", 8, func(x, y float64) int {
			a, b := int(math.Floor(x))+2, int(math.Floor(y))+2
			return a + 4*(b/2)
		}, 1, "squares do not overlap"},
		{"circles", 2, func(x, y float64) int {
			if math.Hypot(x, y) < 1.5 {
				return 0
			}
			return 1
		}, 1, "radii 1 and 2, noise 0.08: 6 std from the midway radius"},
		{"moons", 2, nil, 0, "the moons overlap within their noise"},
		{"spirals", 2, nil, 0, "the arms are 1 apart, but the centre mixes them"},
	}
	for _, c := range cases {
		k, err := Classes(c.name)
		if err != nil || k != c.classes {
			t.Fatalf("%s: Classes = %d, %v; want %d", c.name, k, err, c.classes)
		}
		plain, _ := Generate(c.name, n, 5)
		x, y, err := GenerateLabeled(c.name, n, 5)
		if err != nil {
			t.Fatal(err)
		}
		xs, ys, err := SampleLabeled(c.name, n, rand.New(rand.NewPCG(5, registry[c.name].stream)))
		if err != nil {
			t.Fatal(err)
		}
		count := make([]int, k)
		hit := 0
		for i := range x {
			if x[i][0] != plain[i][0] || x[i][1] != plain[i][1] || xs[i][0] != x[i][0] || ys[i] != y[i] {
				t.Fatalf("%s: point %d differs between Generate, GenerateLabeled and SampleLabeled", c.name, i)
			}
			if y[i] < 0 || y[i] >= k {
				t.Fatalf("%s: label %d outside 0..%d", c.name, y[i], k-1)
			}
			count[y[i]]++
			if c.where != nil && c.where(x[i][0], x[i][1]) == y[i] {
				hit++
			}
		}
		p := 1 / float64(k)
		for j, m := range count {
			if f := float64(m) / n; math.Abs(f-p) > binomTol(p, n) {
				t.Errorf("%s: class %d has fraction %.4f; want %.4f +- %.4f (5 sigma)", c.name, j, f, p, binomTol(p, n))
			}
		}
		if c.where != nil && float64(hit)/n < c.minHit {
			t.Errorf("%s: %.5f of the labels agree with the position; want >= %g (%s)", c.name, float64(hit)/n, c.minHit, c.why)
		}
	}
	if _, _, err := SampleLabeled("moons", 3, nil); err == nil {
		t.Error("SampleLabeled with a nil rng: no error")
	}
	if _, err := Classes("nope"); err == nil {
		t.Error("Classes of an unknown set: no error")
	}
}

// TestEightGaussiansMeans: the labelled points of each class scatter around
// its documented centre (mean within 5 standard errors, EightGaussiansStd /
// sqrt(n_k) per coordinate, n_k ~ 2500).
func TestEightGaussiansMeans(t *testing.T) {
	x, y, err := GenerateLabeled("8gaussians", 20000, 4)
	if err != nil {
		t.Fatal(err)
	}
	means := EightGaussiansMeans()
	sum := make([][2]float64, 8)
	count := make([]int, 8)
	for i, p := range x {
		sum[y[i]][0] += p[0]
		sum[y[i]][1] += p[1]
		count[y[i]]++
	}
	for k, m := range means {
		if r := math.Hypot(m[0], m[1]); math.Abs(r-EightGaussiansRadius) > 1e-12 {
			t.Errorf("class %d: centre %v at radius %g", k, m, r)
		}
		for j := range 2 {
			got := sum[k][j] / float64(count[k])
			if d := math.Abs(got - m[j]); d > 5*EightGaussiansStd/math.Sqrt(float64(count[k])) {
				t.Errorf("class %d coordinate %d: sample mean %g, centre %g", k, j, got, m[j])
			}
		}
	}
}
