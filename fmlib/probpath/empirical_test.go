package probpath

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/ode"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestSinglePoint: with one data point the marginal velocity is the
// conditional one and the density is the single Gaussian N(alpha z, sigma^2 I).
// Velocity computes m(x) = (1 * z) / 1 = z exactly, so it must agree with
// CondVelocity to a few ulps (1e-14 relative allows for a fused multiply-add
// on one side only). The Gaussian log-density is written here directly;
// 1e-12 absolute covers rounding of terms of size up to ~100.
func TestSinglePoint(t *testing.T) {
	z := []float64{0.7, -1.2, 2}
	xs := normals(31, 4, 3)
	for _, s := range testSchedules {
		p := mustPath(t, s)
		e := Empirical{Path: p, Points: [][]float64{z}}
		for _, tt := range []float64{0.2, 0.6, 0.95} {
			u, err := e.Velocity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := e.LogDensity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			c := s.At(tt)
			for r, x := range xs {
				want, err := p.CondVelocity(x, z, tt)
				if err != nil {
					t.Fatal(err)
				}
				for j := range want {
					if math.Abs(u[r][j]-want[j]) > 1e-14*(1+math.Abs(want[j])) {
						t.Errorf("%s t=%g row %d: Velocity %v, CondVelocity %v", s.Name(), tt, r, u[r], want)
					}
				}
				d2 := 0.0
				for j := range x {
					d2 += (x[j] - c.Alpha*z[j]) * (x[j] - c.Alpha*z[j])
				}
				wantLP := -d2/(2*c.Sigma*c.Sigma) - 1.5*math.Log(2*math.Pi*c.Sigma*c.Sigma)
				if math.Abs(lp[r]-wantLP) > 1e-12*(1+math.Abs(wantLP)) {
					t.Errorf("%s t=%g row %d: LogDensity %v, Gaussian %v", s.Name(), tt, r, lp[r], wantLP)
				}
			}
		}
	}
}

// TestMixture: for several data points, Velocity is the posterior-weighted
// average sum_i w_i u_t(x | z_i) and LogDensity the log of the mixture
// average, with weights computed here the naive way (plain exp of the
// Gaussian densities, no log-sum-exp). Times and data keep every density
// far from underflow (sigma_t >= 0.1, |x - alpha z| <= ~6), so the naive
// sums are accurate to ~1e-15 relative; 1e-10 relative allows for the
// amplification by |sigma'/sigma| <= ~20 and the different summation order.
// Weights are also checked to lie in [0, 1] and sum to 1.
func TestMixture(t *testing.T) {
	pts := normals(41, 7, 3)
	xs := normals(42, 5, 3)
	for _, s := range testSchedules {
		p := mustPath(t, s)
		e := Empirical{Path: p, Points: pts}
		for _, tt := range []float64{0.3, 0.7} {
			c := s.At(tt)
			u, err := e.Velocity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := e.LogDensity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			for r, x := range xs {
				dens := make([]float64, len(pts))
				total := 0.0
				for i, z := range pts {
					d2 := 0.0
					for j := range x {
						d2 += (x[j] - c.Alpha*z[j]) * (x[j] - c.Alpha*z[j])
					}
					dens[i] = math.Exp(-d2/(2*c.Sigma*c.Sigma)) / math.Pow(2*math.Pi*c.Sigma*c.Sigma, 1.5)
					total += dens[i]
				}
				want := make([]float64, 3)
				wsum := 0.0
				for i, z := range pts {
					w := dens[i] / total
					if w < 0 || w > 1 {
						t.Fatalf("weight %v outside [0, 1]", w)
					}
					wsum += w
					ui, err := p.CondVelocity(x, z, tt)
					if err != nil {
						t.Fatal(err)
					}
					for j := range want {
						want[j] += w * ui[j]
					}
				}
				if math.Abs(wsum-1) > 1e-12 {
					t.Fatalf("weights sum to %v", wsum)
				}
				for j := range want {
					if math.Abs(u[r][j]-want[j]) > 1e-10*(1+math.Abs(want[j])) {
						t.Errorf("%s t=%g row %d: Velocity %v, weighted conditional velocities %v", s.Name(), tt, r, u[r], want)
						break
					}
				}
				wantLP := math.Log(total / float64(len(pts)))
				if math.Abs(lp[r]-wantLP) > 1e-10*(1+math.Abs(wantLP)) {
					t.Errorf("%s t=%g row %d: LogDensity %v, naive mixture %v", s.Name(), tt, r, lp[r], wantLP)
				}
			}
		}
	}
}

// TestLogDensityNormalized: exp(LogDensity) integrates to 1 over the plane
// (Riemann sum on [-6, 6]^2 with step h = 0.04). The mixture components have
// sigma_t >= 0.5 (CondOT at t = 0.5: 0.505; Cosine at t = 0.5: 0.71) and
// means inside [-1, 1]^2, so the tails outside the box carry less than
// exp(-5^2 / (2 * 0.71^2)) ~ 1e-11 of the mass, and the midpoint/Riemann rule
// on a Gaussian with h/sigma <= 0.08 is spectrally accurate (error ~
// exp(-2 pi^2 sigma^2 / h^2), far below 1e-12). Measured |mass - 1| was
// 8e-14; the tolerance 1e-9 is far above that and above the rounding of a
// 90,000-term sum (at most ~9e4 * 1.1e-16 = 1e-11), while a wrong
// normalization constant (D/2 or log N) is off by O(1).
func TestLogDensityNormalized(t *testing.T) {
	pts := [][]float64{{1, 1}, {-1, 0.5}, {0.2, -0.8}}
	const h, lo, n = 0.04, -6.0, 300 // 300 * 0.04 = 12: the box [-6, 6]^2
	grid := make([][]float64, 0, n*n)
	for i := range n {
		for j := range n {
			grid = append(grid, []float64{lo + (float64(i)+0.5)*h, lo + (float64(j)+0.5)*h})
		}
	}
	for _, s := range []schedule.Scheduler{schedule.CondOT{SigmaMin: 0.01}, schedule.Cosine{}} {
		e := Empirical{Path: mustPath(t, s), Points: pts}
		lp, err := e.LogDensity(grid, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		mass := 0.0
		for _, v := range lp {
			mass += math.Exp(v) * h * h
		}
		if math.Abs(mass-1) > 1e-9 {
			t.Errorf("%s: integral of p_t = %.15f, want 1 +- 1e-9", s.Name(), mass)
		}
	}
}

// TestContinuityEquation: the exact marginal velocity and density satisfy
// d/dt log p_t + div u_t + u_t . grad log p_t = 0 (the continuity equation
// divided by p_t). All derivatives are central finite differences with step
// h = 1e-4 of the host functions (truncation ~h^2 times third derivatives,
// which are at most ~1e2..1e3 for these sigma_t >= 0.05, i.e. ~1e-6..1e-5;
// rounding ~1e-16 * |log p| / h ~ 1e-11). The residual is compared with the
// size of the three terms: it must be below 2e-5 of their sum of absolute
// values (measured worst: 1.2e-6, VP at t = 0.9; an error in the velocity or
// density formula breaks the balance by O(1) relative).
func TestContinuityEquation(t *testing.T) {
	pts := [][]float64{{1, 1}, {-1, 0.5}, {0.2, -0.8}, {0, 1.5}}
	xs := normals(51, 6, 2)
	const h = 1e-4
	for _, s := range []schedule.Scheduler{schedule.CondOT{SigmaMin: 0.05}, schedule.VP{}, schedule.Cosine{}, schedule.VE{SigmaMin: 0.05, SigmaMax: 5}} {
		e := Empirical{Path: mustPath(t, s), Points: pts}
		for _, tt := range []float64{0.3, 0.6, 0.9} {
			for _, x := range xs {
				lpAt := func(y []float64, tau float64) float64 {
					v, err := e.LogDensity([][]float64{y}, tau)
					if err != nil {
						t.Fatal(err)
					}
					return v[0]
				}
				uAt := func(y []float64) []float64 {
					v, err := e.Velocity([][]float64{y}, tt)
					if err != nil {
						t.Fatal(err)
					}
					return v[0]
				}
				dt := (lpAt(x, tt+h) - lpAt(x, tt-h)) / (2 * h)
				u := uAt(x)
				div, adv := 0.0, 0.0
				for j := range x {
					xp := append([]float64(nil), x...)
					xm := append([]float64(nil), x...)
					xp[j] += h
					xm[j] -= h
					div += (uAt(xp)[j] - uAt(xm)[j]) / (2 * h)
					adv += u[j] * (lpAt(xp, tt) - lpAt(xm, tt)) / (2 * h)
				}
				res := dt + div + adv
				scale := math.Abs(dt) + math.Abs(div) + math.Abs(adv)
				if math.Abs(res) > 2e-5*scale {
					t.Errorf("%s t=%g x=%v: dlogp/dt %g + div u %g + u.grad logp %g = %g (scale %g)", s.Name(), tt, x, dt, div, adv, res, scale)
				}
			}
		}
	}
}

// TestTransport integrates the exact marginal ODE dx/dt = u_t(x) for CondOT
// with sigma_min = 0.01 from N(0, I) samples at t = 0 to t = 1 with RK4 on the
// host (ode.SolveHost, 400 steps; near t = 1, u's stiffness is
// |sigma'/sigma| <= 0.99/0.01 = 99, and RK4 is stable for h * 99 < 2.8, so
// h = 0.0025 is well inside). The endpoint distribution is the mixture of
// N(z_i, 0.01^2 I): every endpoint must lie within 5 sigma_min of a training
// point (the radius of a 2D standard normal exceeds 5 with probability
// exp(-12.5) = 4e-6, so for 200 samples a false failure has probability
// ~1e-3, and the draws are seeded), and every training point must receive a
// fair share of the samples (each gets 1/5 in expectation, 40 +- 6 of 200;
// at least 15 rules out a collapsed mode).
func TestTransport(t *testing.T) {
	const sigmaMin, n, steps = 0.01, 200, 400
	pts := [][]float64{{2, 0}, {-1, 1.5}, {-1, -1.5}, {0.5, 0.5}, {1.5, -2}}
	e := Empirical{Path: mustPath(t, schedule.CondOT{SigmaMin: sigmaMin}), Points: pts}
	sol, err := ode.SolveHost(e.Velocity, normals(61, n, 2), 0, 1, ode.Options{Method: ode.RK4, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	x := sol.X
	counts := make([]int, len(pts))
	worst := 0.0
	for _, y := range x {
		best, bi := math.Inf(1), -1
		for i, z := range pts {
			if d := math.Hypot(y[0]-z[0], y[1]-z[1]); d < best {
				best, bi = d, i
			}
		}
		counts[bi]++
		worst = math.Max(worst, best)
	}
	if worst > 5*sigmaMin {
		t.Errorf("an endpoint is %g from the nearest training point, want <= %g", worst, 5*sigmaMin)
	}
	for i, c := range counts {
		if c < 15 {
			t.Errorf("training point %v received %d of %d samples, want >= 15", pts[i], c, n)
		}
	}
	t.Logf("farthest endpoint %.4f (%.2f sigma_min) from its training point; counts %v", worst, worst/sigmaMin, counts)
}

// TestVelocityGraph: the graph version agrees with the host Velocity, for a
// scalar t and for per-row t, from mild (t = 0) to stiff (t = 0.99, where
// |sigma'/sigma| reaches 16 for CondOT, 75 for VP, 100 for Cosine).
//
// Tolerance 1e-5 (1 + |k|) (1 + |u|) with k = sigma'/sigma: float32 rounding
// enters the logits as ~eps32 (|alpha x.z| + alpha^2 |z|^2) / sigma^2 and
// moves the posterior mean m(x) accordingly; u amplifies an error in m by
// |k alpha - alpha'| ~ |k|. The measured worst error / (1 + |u|) was 6e-6 at
// |k| ~ 10 and 4e-5 at |k| = 75, i.e. at most ~1/20 of the tolerance, while
// any formula error is O(1).
func TestVelocityGraph(t *testing.T) {
	pts := normals(71, 20, 2)
	xs := normals(72, 30, 2)
	pts32, ptsh := f32(pts)
	xs32, xsh := f32(xs)
	for _, s := range []schedule.Scheduler{schedule.CondOT{SigmaMin: 0.05}, schedule.VP{}, schedule.Cosine{}} {
		e := Empirical{Path: mustPath(t, s), Points: ptsh}
		for _, tt := range []float32{0, 0.3, 0.7, 0.9, 0.99} {
			th := float64(tt)
			c := s.At(th)
			k := c.DSigma / c.Sigma
			want, err := e.Velocity(xsh, th)
			if err != nil {
				t.Fatal(err)
			}
			perRow := make([]float32, len(xs))
			for i := range perRow {
				perRow[i] = tt
			}
			for _, tv := range []any{tt, perRow} {
				out := graph.MustExecOnce(backendForTest(t), func(xn, tn, pn *graph.Node) *graph.Node {
					return e.VelocityGraph(xn, tn, pn)
				}, xs32, tv, pts32)
				got := tensorRows(t, out)
				for r := range want {
					for j := range want[r] {
						tol := 1e-5 * (1 + math.Abs(k)) * (1 + math.Abs(want[r][j]))
						if e := math.Abs(float64(got[r][j]) - want[r][j]); e > tol || math.IsNaN(e) {
							t.Errorf("%s t=%v (t input %T) row %d: graph %v, host %v (err %g > %g)", s.Name(), tt, tv, r, got[r], want[r], e, tol)
						}
					}
				}
			}
		}
	}
}

// TestHostErrors: bad input returns an error naming the problem.
func TestHostErrors(t *testing.T) {
	good := mustPath(t, schedule.CondOT{SigmaMin: 0.01})
	rf := mustPath(t, schedule.CondOT{})
	pts := [][]float64{{0, 0}, {1, 1}}
	x := [][]float64{{0.5, 0.5}}
	cases := []struct {
		name, want string
		err        func() error
	}{
		{"t < 0", "t = -0.1", func() error { _, err := (Empirical{good, pts}).Velocity(x, -0.1); return err }},
		{"t > 1", "t = 1.5", func() error { _, err := (Empirical{good, pts}).LogDensity(x, 1.5); return err }},
		{"t NaN", "t = NaN", func() error { _, err := good.CondVelocity([]float64{1}, []float64{1}, math.NaN()); return err }},
		{"sigma = 0 at t = 1", "sigma_t = 0", func() error { _, err := (Empirical{rf, pts}).Velocity(x, 1); return err }},
		{"sigma = 0 cond", "sigma_t = 0", func() error { _, err := rf.CondVelocity([]float64{1}, []float64{1}, 1); return err }},
		{"infinite coefficients", "non-finite", func() error {
			_, err := (Empirical{Affine{schedule.Polynomial{N: 0.5}}, pts}).Velocity(x, 0)
			return err
		}},
		{"dimension mismatch", "dimension 3", func() error {
			_, err := (Empirical{good, pts}).Velocity([][]float64{{1, 2, 3}}, 0.5)
			return err
		}},
		{"empty points", "Points", func() error { _, err := (Empirical{good, nil}).Velocity(x, 0.5); return err }},
		{"empty query", "query", func() error { _, err := (Empirical{good, pts}).LogDensity(nil, 0.5); return err }},
		{"ragged points", "ragged", func() error {
			_, err := (Empirical{good, [][]float64{{1, 2}, {3}}}).Velocity(x, 0.5)
			return err
		}},
		{"NaN query", "finite", func() error {
			_, err := (Empirical{good, pts}).Velocity([][]float64{{math.NaN(), 0}}, 0.5)
			return err
		}},
		{"no scheduler", "no scheduler", func() error { _, err := (Empirical{Points: pts}).Velocity(x, 0.5); return err }},
		{"invalid scheduler", "SigmaMin", func() error {
			_, err := (Empirical{Affine{schedule.CondOT{SigmaMin: 2}}, pts}).Velocity(x, 0.5)
			return err
		}},
		{"cond length mismatch", "len(x) = 2, len(z) = 1", func() error {
			_, err := good.CondVelocity([]float64{1, 2}, []float64{1}, 0.5)
			return err
		}},
		{"cond empty", "non-zero", func() error { _, err := good.CondVelocity(nil, nil, 0.5); return err }},
		{"cond NaN", "not finite", func() error {
			_, err := good.CondVelocity([]float64{math.Inf(1)}, []float64{1}, 0.5)
			return err
		}},
		// sigma_1 = 5e-324 > 0, but 1/sigma^2 overflows: 0 * Inf would be NaN.
		{"sigma_t^2 underflows", "1/sigma_t^2 overflows", func() error {
			_, err := (Empirical{mustPath(t, schedule.CondOT{SigmaMin: 5e-324}), pts}).Velocity(x, 1)
			return err
		}},
		// sigma_0 = 1e160: sigma^2 overflows, log p would be -Inf everywhere.
		{"sigma_t^2 overflows", "sigma_t^2 overflows", func() error {
			_, err := (Empirical{mustPath(t, schedule.VE{SigmaMin: 1, SigmaMax: 1e160}), pts}).LogDensity(x, 0)
			return err
		}},
		// |x - alpha z|^2 = 1e320 overflows: every logit is -Inf.
		{"far query", "query point 0", func() error {
			_, err := (Empirical{good, pts}).Velocity([][]float64{{1e160, 0}}, 0.5)
			return err
		}},
		{"far query density", "query point 1", func() error {
			_, err := (Empirical{good, pts}).LogDensity([][]float64{{0, 0}, {0, -1e160}}, 0.5)
			return err
		}},
		{"cond overflow", "overflow", func() error {
			_, err := good.CondVelocity([]float64{-1e308}, []float64{1e308}, 0.5)
			return err
		}},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil {
			t.Errorf("%s: no error", c.name)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.want)
		}
	}
}

// TestParallelMatchesSerial: the row-parallel path (large inputs) gives the
// same numbers as row-by-row calls (serial path): each row's arithmetic is
// identical, so the results must be bitwise equal.
func TestParallelMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 1))
	pts := make([][]float64, 300)
	for i := range pts {
		pts[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	xs := normals(82, 500, 2) // 500 * 300 * 2 = 3e5 > the 2^16 threshold
	e := Empirical{Path: mustPath(t, schedule.CondOT{SigmaMin: 0.01}), Points: pts}
	all, err := e.Velocity(xs, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	lpAll, err := e.LogDensity(xs, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < len(xs); r += 37 {
		one, _ := e.Velocity(xs[r:r+1], 0.8)
		lpOne, _ := e.LogDensity(xs[r:r+1], 0.8)
		if one[0][0] != all[r][0] || one[0][1] != all[r][1] || lpOne[0] != lpAll[r] {
			t.Errorf("row %d: parallel %v %v, serial %v %v", r, all[r], lpAll[r], one[0], lpOne[0])
		}
	}
}

// BenchmarkEmpiricalVelocity: 10,000 query points against 1,000 data points
// in 2D (the size of a notebook's vector-field or sampling call).
func BenchmarkEmpiricalVelocity(b *testing.B) {
	pts := normals(91, 1000, 2)
	xs := normals(92, 10000, 2)
	p, _ := New(schedule.CondOT{SigmaMin: 0.01})
	e := Empirical{Path: p, Points: pts}
	for b.Loop() {
		if _, err := e.Velocity(xs, 0.7); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmpiricalVelocityGraph: the same size through VelocityGraph on
// the pure-Go backend (compiled once; each iteration is one graph call).
func BenchmarkEmpiricalVelocityGraph(b *testing.B) {
	pts32, _ := f32(normals(91, 1000, 2))
	xs32, _ := f32(normals(92, 10000, 2))
	p, _ := New(schedule.CondOT{SigmaMin: 0.01})
	e := Empirical{Path: p, Points: nil}
	bk, err := fmbackend.NewGo()
	if err != nil {
		b.Fatal(err)
	}
	exec := graph.MustNewExec(bk, e.VelocityGraph)
	xt, tt, pt := tensors.FromValue(xs32), tensors.FromValue(float32(0.7)), tensors.FromValue(pts32)
	exec.MustCall(xt, tt, pt)
	for b.Loop() {
		exec.MustCall(xt, tt, pt)
	}
}

// TestLogDensityGraph: in float64 the graph log-density equals the host one to
// rounding (1e-9 absolute on values of order 10), for a scalar t and per-row t,
// including far from the data (where the log-sum-exp's shift matters).
func TestLogDensityGraph(t *testing.T) {
	pts := normals(81, 15, 2)
	xs := append(normals(82, 20, 2), []float64{9, -7})
	for _, s := range []schedule.Scheduler{schedule.CondOT{SigmaMin: 0.05}, schedule.VP{}} {
		e := Empirical{Path: mustPath(t, s), Points: pts}
		for _, tt := range []float64{0, 0.5, 0.95} {
			want, err := e.LogDensity(xs, tt)
			if err != nil {
				t.Fatal(err)
			}
			perRow := make([]float64, len(xs))
			for i := range perRow {
				perRow[i] = tt
			}
			for _, tv := range []any{tt, perRow} {
				out := graph.MustExecOnce(backendForTest(t), func(xn, tn, pn *graph.Node) *graph.Node {
					return e.LogDensityGraph(xn, tn, pn)
				}, xs, tv, pts)
				got := out.Value().([]float64)
				for r := range want {
					if d := math.Abs(got[r] - want[r]); d > 1e-9*(1+math.Abs(want[r])) || math.IsNaN(d) {
						t.Errorf("%s t=%v (%T) row %d: graph %v, host %v", s.Name(), tt, tv, r, got[r], want[r])
					}
				}
			}
		}
	}
}
