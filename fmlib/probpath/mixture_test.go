package probpath

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/schedule"
)

var testMix = Mixture{
	Means:   [][]float64{{2, 0}, {0, 1.5}, {-1, -1}},
	Stds:    []float64{0.2, 0.5, 0.3},
	Weights: []float64{1, 2, 1},
}

func mixOn(t *testing.T, s schedule.Scheduler) Mixture {
	m := testMix
	m.Path = mustPath(t, s)
	return m
}

// TestMixturePointMasses: with standard deviation 0 and equal weights the
// mixture is an empirical dataset of its means, whose exact field and
// density Empirical computes by another route (softmax over logits): the two
// must agree to rounding (1e-11 absolute on values of size up to ~20).
func TestMixturePointMasses(t *testing.T) {
	xs := normals(5, 40, 2)
	for _, s := range testSchedules {
		m := Mixture{Path: mustPath(t, s), Means: testMix.Means, Stds: []float64{0}}
		e := Empirical{Path: m.Path, Points: testMix.Means}
		for _, tt := range []float64{0.2, 0.5, 0.9} {
			um, err := m.Velocity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			ue, err := e.Velocity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			lm, err := m.LogDensity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			le, err := e.LogDensity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			for r := range xs {
				for j := range xs[r] {
					if d := math.Abs(um[r][j] - ue[r][j]); d > 1e-11*(1+math.Abs(ue[r][j])) {
						t.Fatalf("%s t=%g row %d: Mixture velocity %v, Empirical %v", s.Name(), tt, r, um[r], ue[r])
					}
				}
				if d := math.Abs(lm[r] - le[r]); d > 1e-11*(1+math.Abs(le[r])) {
					t.Fatalf("%s t=%g row %d: Mixture log-density %g, Empirical %g", s.Name(), tt, r, lm[r], le[r])
				}
			}
		}
	}
}

// gradFD is the central-difference gradient of f at each row of x.
func gradFD(t *testing.T, f func([][]float64) ([]float64, error), x [][]float64, h float64) [][]float64 {
	t.Helper()
	out := make([][]float64, len(x))
	for r := range x {
		out[r] = make([]float64, len(x[r]))
		for j := range x[r] {
			xp, xm := append([]float64(nil), x[r]...), append([]float64(nil), x[r]...)
			xp[j] += h
			xm[j] -= h
			v, err := f([][]float64{xp, xm})
			if err != nil {
				t.Fatal(err)
			}
			out[r][j] = (v[0] - v[1]) / (2 * h)
		}
	}
	return out
}

// TestMixtureScoreLink: the velocities (posterior means of the conditional
// velocity) and the log-densities are written independently; the affine
// link u = a_t x + b_t grad log p_t must tie them, for one class and for
// the whole mixture, on every schedule with alpha_t > 0. The scores come
// from central differences with h = 1e-5: truncation O(h^2) times the third derivative, ~1e-9,
// and rounding ~1e-16 |log p| / h ~ 1e-10, times |b_t| <= ~3 here: 1e-6
// absolute is a safe bound that still catches any wrong coefficient.
func TestMixtureScoreLink(t *testing.T) {
	xs := normals(9, 25, 2)
	for _, s := range testSchedules {
		m := mixOn(t, s)
		for _, tt := range []float64{0.3, 0.6, 0.9} {
			a, b, err := m.Path.ScoreLink(tt)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, u [][]float64, logp func([][]float64) ([]float64, error)) {
				score := gradFD(t, logp, xs, 1e-5)
				for r := range xs {
					for j := range xs[r] {
						want := a*xs[r][j] + b*score[r][j]
						if d := math.Abs(u[r][j] - want); d > 1e-6 {
							t.Fatalf("%s %s t=%g row %d: velocity %v, a x + b score gives %g in coordinate %d", s.Name(), name, tt, r, u[r], want, j)
						}
					}
				}
			}
			u, err := m.Velocity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			check("mixture", u, func(x [][]float64) ([]float64, error) { return m.LogDensity(x, tt) })
			// The closed-form scores against the same differences (1e-7:
			// truncation and rounding of the differences alone, no b_t).
			for name, sc := range map[string]func() ([][]float64, error){
				"Score":      func() ([][]float64, error) { return m.Score(xs, tt) },
				"ClassScore": func() ([][]float64, error) { return m.ClassScore(1, xs, tt) },
			} {
				got, err := sc()
				if err != nil {
					t.Fatal(err)
				}
				logp := func(x [][]float64) ([]float64, error) { return m.LogDensity(x, tt) }
				if name == "ClassScore" {
					logp = func(x [][]float64) ([]float64, error) { return m.ClassLogDensity(1, x, tt) }
				}
				fd := gradFD(t, logp, xs, 1e-5)
				for r := range xs {
					for j := range xs[r] {
						if d := math.Abs(got[r][j] - fd[r][j]); d > 1e-7*(1+math.Abs(fd[r][j])) {
							t.Fatalf("%s %s t=%g row %d: %v, finite differences %v", s.Name(), name, tt, r, got[r], fd[r])
						}
					}
				}
			}
			uc, err := m.ClassVelocity(1)(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			check("class 1", uc, func(x [][]float64) ([]float64, error) { return m.ClassLogDensity(1, x, tt) })
		}
	}
}

// TestMixtureTransport: the class field carries N(0, I) at t = 0 to the
// class's Gaussian at t = 1, N(mu_y, (s_y^2 + sigma_min^2) I) on the
// conditional OT path. RK4 with 100 steps on an affine field is exact to
// ~1e-9; the tolerances are 5 standard errors of the sample moments of
// n = 4000 points (mean: 5 sd/sqrt(n), std: 5 sd/sqrt(2n)).
func TestMixtureTransport(t *testing.T) {
	const n = 4000
	m := mixOn(t, schedule.CondOT{SigmaMin: 0.01})
	for y := range m.Means {
		sol, err := ode.SolveHost(m.ClassVelocity(y), normals(uint64(20+y), n, 2), 0, 1, ode.Options{Method: ode.RK4, Steps: 100})
		if err != nil {
			t.Fatal(err)
		}
		sd := math.Hypot(m.Stds[y], 0.01)
		for j := range 2 {
			mean, sq := 0.0, 0.0
			for _, p := range sol.X {
				mean += p[j]
			}
			mean /= n
			for _, p := range sol.X {
				sq += (p[j] - mean) * (p[j] - mean)
			}
			std := math.Sqrt(sq / (n - 1))
			if d := math.Abs(mean - m.Means[y][j]); d > 5*sd/math.Sqrt(n) {
				t.Errorf("class %d coordinate %d: mean %g, want %g", y, j, mean, m.Means[y][j])
			}
			if d := math.Abs(std - sd); d > 5*sd/math.Sqrt(2*n) {
				t.Errorf("class %d coordinate %d: std %g, want %g", y, j, std, sd)
			}
		}
	}
}

// TestMixturePosterior: the posterior sums to 1 and is the Bayes ratio
// w_k p_t(x | k) / p_t(x) of the class and mixture log-densities; the
// unconditional field is the posterior average of the class fields; and
// ClassSample draws from the class's Gaussian (moments within 5 standard
// errors of n = 20000 points).
func TestMixturePosterior(t *testing.T) {
	m := mixOn(t, schedule.CondOT{SigmaMin: 0.01})
	xs := normals(3, 30, 2)
	const tt = 0.7
	post, err := m.Posterior(xs, tt)
	if err != nil {
		t.Fatal(err)
	}
	lp, _ := m.LogDensity(xs, tt)
	u, _ := m.Velocity(xs, tt)
	avg := make([][]float64, len(xs))
	for r := range avg {
		avg[r] = make([]float64, 2)
	}
	for k := range m.Means {
		lk, err := m.ClassLogDensity(k, xs, tt)
		if err != nil {
			t.Fatal(err)
		}
		uk, _ := m.ClassVelocity(k)(xs, tt)
		for r := range xs {
			want := m.Weights[k] / 4 * math.Exp(lk[r]-lp[r])
			if d := math.Abs(post[r][k] - want); d > 1e-12 {
				t.Fatalf("row %d class %d: posterior %g, Bayes' rule %g", r, k, post[r][k], want)
			}
			for j := range 2 {
				avg[r][j] += post[r][k] * uk[r][j]
			}
		}
	}
	for r := range xs {
		s := 0.0
		for _, p := range post[r] {
			s += p
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d: posterior sums to %g", r, s)
		}
		for j := range 2 {
			if d := math.Abs(u[r][j] - avg[r][j]); d > 1e-12 {
				t.Fatalf("row %d: velocity %v, posterior average of the class fields %v", r, u[r], avg[r])
			}
		}
	}
	const n = 20000
	c := m.Path.Sched.At(tt)
	x, err := m.ClassSample(2, n, tt, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(c.Alpha*c.Alpha*0.09 + c.Sigma*c.Sigma)
	for j := range 2 {
		mean := 0.0
		for _, p := range x {
			mean += p[j]
		}
		mean /= n
		if d := math.Abs(mean - c.Alpha*m.Means[2][j]); d > 5*sd/math.Sqrt(n) {
			t.Errorf("ClassSample coordinate %d: mean %g, want %g", j, mean, c.Alpha*m.Means[2][j])
		}
	}
}

func TestMixtureErrors(t *testing.T) {
	p := mustPath(t, schedule.CondOT{SigmaMin: 0.01})
	x := [][]float64{{0, 0}}
	cases := []struct {
		name string
		m    Mixture
		x    [][]float64
		tt   float64
		want string
	}{
		{"std count", Mixture{Path: p, Means: testMix.Means, Stds: []float64{1, 2}}, x, 0.5, "3 means and 2 standard deviations"},
		{"negative std", Mixture{Path: p, Means: testMix.Means, Stds: []float64{-1}}, x, 0.5, "need a finite value >= 0"},
		{"weights", Mixture{Path: p, Means: testMix.Means, Stds: []float64{1}, Weights: []float64{1, 0, 1}}, x, 0.5, "weights > 0"},
		{"dimension", Mixture{Path: p, Means: testMix.Means, Stds: []float64{1}}, [][]float64{{0, 0, 0}}, 0.5, "dimension 3"},
		{"time", Mixture{Path: p, Means: testMix.Means, Stds: []float64{1}}, x, 1.5, "t = 1.5"},
		{"no means", Mixture{Path: p, Stds: []float64{1}}, x, 0.5, "Means"},
	}
	for _, c := range cases {
		if _, err := c.m.Velocity(c.x, c.tt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	m := mixOn(t, schedule.CondOT{SigmaMin: 0.01})
	if _, err := m.ClassVelocity(3)(x, 0.5); err == nil || !strings.Contains(err.Error(), "classes 0 to 2") {
		t.Errorf("class 3: %v", err)
	}
	if _, _, err := m.Path.ScoreLink(0); err == nil || !strings.Contains(err.Error(), "alpha_t = 0") {
		t.Errorf("ScoreLink(0): %v", err)
	}
	a, b, err := m.Path.ScoreLink(0.25)
	if err != nil || math.Abs(a-4) > 1e-15 || math.Abs(b-(0.75+0.0025)/0.25) > 1e-14 {
		t.Errorf("ScoreLink(0.25) on CondOT(0.01): a = %g, b = %g (%v); want 1/t = 4 and sigma_t/t", a, b, err)
	}
}
