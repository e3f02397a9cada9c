package sde

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/schedule"
)

func TestQuadraticVariation(t *testing.T) {
	const T, paths = 1.0, 2000
	for _, c := range []struct {
		name  string
		steps int
	}{
		// Q is a sum of n independent h Z^2: mean T, sd T sqrt(2/n). Over 2000
		// paths the sample mean has standard error sd/sqrt(2000); allow 4 of
		// them. The sample sd of 2000 draws errs by about sd/sqrt(2*2000) (1.6%)
		// times a kurtosis factor sqrt(1 + 6/n) (<= 1.3 at n = 10); allow 10%.
		{"10 steps", 10},
		{"100 steps", 100},
		{"1000 steps", 1000},
	} {
		r := rand.New(rand.NewPCG(uint64(c.steps), 9))
		q := make([]float64, paths)
		for i := range q {
			w, err := Brownian(T, c.steps, r)
			if err != nil {
				t.Fatal(err)
			}
			q[i] = QuadraticVariation(w)
		}
		mean, sd := 0.0, 0.0
		for _, v := range q {
			mean += v / paths
		}
		for _, v := range q {
			sd += (v - mean) * (v - mean) / (paths - 1)
		}
		sd = math.Sqrt(sd)
		want := T * math.Sqrt(2/float64(c.steps))
		if d := math.Abs(mean - T); d > 4*want/math.Sqrt(paths) {
			t.Errorf("%s: mean Q = %.5f, want %v within 4 SE (%.2g)", c.name, mean, T, 4*want/math.Sqrt(paths))
		}
		if math.Abs(sd/want-1) > 0.1 {
			t.Errorf("%s: sd Q = %.5f, want %.5f within 10%%", c.name, sd, want)
		}
	}
}

func TestQuadraticVariationSmoothAndExact(t *testing.T) {
	if q := QuadraticVariation([]float64{0, 1, 3}); q != 5 {
		t.Errorf("Q(0, 1, 3) = %v, want 1 + 4 = 5 (exact)", q)
	}
	if q := QuadraticVariation([]float64{7}); q != 0 {
		t.Errorf("Q of one sample = %v, want 0", q)
	}
	// x(t) = sin(2 pi t) on [0, 1]: Q ~ h int x'^2 = h 2 pi^2, the midpoint
	// sum of a smooth integrand, relative error O(h^2); allow 1e-3 at n >= 100.
	for _, n := range []int{100, 1000, 10000} {
		x := make([]float64, n+1)
		for k := range x {
			x[k] = math.Sin(2 * math.Pi * float64(k) / float64(n))
		}
		h := 1 / float64(n)
		if q, want := QuadraticVariation(x), h*2*math.Pi*math.Pi; math.Abs(q/want-1) > 1e-3 {
			t.Errorf("n = %d: smooth Q = %.6g, want %.6g (h 2 pi^2)", n, q, want)
		}
	}
}

func TestBrownianErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name  string
		t1    float64
		steps int
		rng   *rand.Rand
		want  string
	}{
		{"zero length", 0, 10, r, "t1"},
		{"no steps", 1, 0, r, "steps"},
		{"nil rng", 1, 10, nil, "random source"},
	} {
		if _, err := Brownian(c.t1, c.steps, c.rng); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if w, _ := Brownian(1, 4, r); len(w) != 5 || w[0] != 0 {
		t.Errorf("path %v: want 5 samples starting at 0", w)
	}
}

func TestVPMarginalsAreScheduleVP(t *testing.T) {
	const n = 20000
	x := []float64{2, -1}
	vp := VP{}
	for _, c := range []struct {
		name string
		s    float64
	}{
		// 1000 Euler-Maruyama steps per unit of s: the weak error of the
		// variance is about beta h / 4 relative (<= 0.5% at beta = 20), that of
		// the mean smaller still; 4 standard errors of 20000 points (mean
		// sqrt(v/n), std sqrt(v/2n), 2% of the std) cover both.
		{"s = 0.1 (t = 0.9)", 0.1},
		{"s = 0.5 (t = 0.5)", 0.5},
		{"s = 1 (t = 0)", 1},
	} {
		x0 := make([][]float64, n)
		for i := range x0 {
			x0[i] = append([]float64(nil), x...)
		}
		p, err := EulerMaruyamaG(vp.Drift, vp.G, x0, 0, c.s, int(1000*c.s), rand.New(rand.NewPCG(4, 4)), false)
		if err != nil {
			t.Fatal(err)
		}
		mean, std, err := points.Moments(p.X)
		if err != nil {
			t.Fatal(err)
		}
		co := schedule.VP{}.At(1 - c.s)
		for j := range x {
			if d := math.Abs(mean[j] - co.Alpha*x[j]); d > 4*co.Sigma/math.Sqrt(n) {
				t.Errorf("%s: mean[%d] = %.4f, want alpha x = %.4f", c.name, j, mean[j], co.Alpha*x[j])
			}
			if d := math.Abs(std[j] - co.Sigma); d > 4*co.Sigma/math.Sqrt(2*n) {
				t.Errorf("%s: std[%d] = %.4f, want sigma = %.4f", c.name, j, std[j], co.Sigma)
			}
		}
	}
}

func TestEulerMaruyamaG(t *testing.T) {
	// A constant g draws the same numbers as EulerMaruyama: identical paths.
	x0 := draw(20, 3)
	a, err := EulerMaruyama(ou.Drift, ou.Sigma, x0, 0, 1, 50, rand.New(rand.NewPCG(8, 8)), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EulerMaruyamaG(ou.Drift, func(float64) float64 { return ou.Sigma }, x0, 0, 1, 50, rand.New(rand.NewPCG(8, 8)), false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.X {
		for j := range a.X[i] {
			if a.X[i][j] != b.X[i][j] {
				t.Fatalf("point %d: %v vs %v, want identical", i, a.X[i], b.X[i])
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name string
		g    Diffusion
		want string
	}{
		{"nil g", nil, "must not be nil"},
		{"negative g", func(t float64) float64 { return t - 0.5 }, "g(0) = -0.5"},
		{"NaN g", func(float64) float64 { return math.NaN() }, "NaN"},
	} {
		if _, err := EulerMaruyamaG(ou.Drift, c.g, x0, 0, 1, 10, r, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
