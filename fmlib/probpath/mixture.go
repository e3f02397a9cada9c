package probpath

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/vfield"
)

// Mixture is the affine path started from a labelled mixture of isotropic
// Gaussians: class k has weight Weights[k], mean Means[k] and standard
// deviation Stds[k],
//
//	q(x1) = sum_k Weights[k] N(x1; Means[k], Stds[k]^2 I),   q(x1 | y = k) = N(x1; Means[k], Stds[k]^2 I).
//
// Every class path is Gaussian, so the class-conditional and the
// unconditional velocities, densities and scores are known in closed form
// (see the package documentation): the exact answers a class-conditional
// network and classifier-free guidance (package guidance) are checked
// against in 2D.
type Mixture struct {
	Path  Affine
	Means [][]float64 // K rows of D coordinates
	// Stds holds one standard deviation per class, or one for all (length 1).
	Stds []float64
	// Weights holds the class weights (normalized here); nil means equal.
	Weights []float64
}

// mixPrep is a validated mixture at one time.
type mixPrep struct {
	c      schedule.Coeffs
	k, d   int
	means  [][]float64
	logW   []float64 // log of the normalized class weights
	v      []float64 // v_k = alpha^2 s_k^2 + sigma^2, the class variance at t
	gain   []float64 // (alpha' alpha s_k^2 + sigma' sigma) / v_k
	scaled [][]float64
}

func (m Mixture) prepare(x [][]float64, t float64, who string) (mixPrep, error) {
	var p mixPrep
	c, err := m.Path.coeffsAt(t, who)
	if err != nil {
		return p, err
	}
	k, d, err := points.Check(m.Means)
	if err != nil {
		return p, fmt.Errorf("probpath.%s: Mixture.Means: %w", who, err)
	}
	if len(m.Stds) != 1 && len(m.Stds) != k {
		return p, fmt.Errorf("probpath.%s: Mixture has %d means and %d standard deviations; give one per class or one for all", who, k, len(m.Stds))
	}
	for _, s := range m.Stds {
		if !(s >= 0) || math.IsInf(s, 0) {
			return p, fmt.Errorf("probpath.%s: Mixture standard deviation %g; need a finite value >= 0", who, s)
		}
	}
	w := m.Weights
	if w == nil {
		w = make([]float64, k)
		for i := range w {
			w[i] = 1
		}
	}
	if len(w) != k {
		return p, fmt.Errorf("probpath.%s: Mixture has %d means and %d weights; give one weight per class (or none for equal weights)", who, k, len(w))
	}
	sum := 0.0
	for _, v := range w {
		if !(v > 0) || math.IsInf(v, 0) {
			return p, fmt.Errorf("probpath.%s: Mixture weight %g; need finite weights > 0", who, v)
		}
		sum += v
	}
	if x != nil {
		_, dx, err := points.Check(x)
		if err != nil {
			return p, fmt.Errorf("probpath.%s: query points x: %w", who, err)
		}
		if dx != d {
			return p, fmt.Errorf("probpath.%s: query points have dimension %d, the mixture's means %d", who, dx, d)
		}
	}
	p = mixPrep{c: c, k: k, d: d, means: m.Means, logW: make([]float64, k), v: make([]float64, k), gain: make([]float64, k), scaled: make([][]float64, k)}
	for i := range k {
		s := m.Stds[0]
		if len(m.Stds) == k {
			s = m.Stds[i]
		}
		p.logW[i] = math.Log(w[i] / sum)
		p.v[i] = c.Alpha*c.Alpha*s*s + c.Sigma*c.Sigma
		p.gain[i] = (c.DAlpha*c.Alpha*s*s + c.DSigma*c.Sigma) / p.v[i]
		p.scaled[i] = make([]float64, d)
		for j, mu := range m.Means[i] {
			p.scaled[i][j] = c.Alpha * mu
		}
	}
	return p, nil
}

// classLog is log p_t(x | k) of one point.
func (p mixPrep) classLog(x []float64, k int) float64 {
	d2 := 0.0
	for j, xj := range x {
		u := xj - p.scaled[k][j]
		d2 += u * u
	}
	return -d2/(2*p.v[k]) - 0.5*float64(p.d)*math.Log(2*math.Pi*p.v[k])
}

// posterior fills post with p_t(k | x) and returns log p_t(x).
func (p mixPrep) posterior(x []float64, post []float64) float64 {
	mx := math.Inf(-1)
	for k := range post {
		post[k] = p.logW[k] + p.classLog(x, k)
		mx = max(mx, post[k])
	}
	sum := 0.0
	for k, l := range post {
		post[k] = math.Exp(l - mx)
		sum += post[k]
	}
	for k := range post {
		post[k] /= sum
	}
	return mx + math.Log(sum)
}

func (m Mixture) checkClass(y int, who string) error {
	if y < 0 || y >= len(m.Means) {
		return fmt.Errorf("probpath.%s: class %d; the mixture has classes 0 to %d", who, y, len(m.Means)-1)
	}
	return nil
}

// velocity is coordinate j of class k's velocity at a point whose
// coordinate j is xj: alpha'_t mu_kj + g_k(t) (xj - alpha_t mu_kj).
func (p mixPrep) velocity(k, j int, xj float64) float64 {
	return p.c.DAlpha*p.means[k][j] + p.gain[k]*(xj-p.scaled[k][j])
}

// score is coordinate j of grad log p_t(x | k): -(xj - alpha_t mu_kj) / v_k.
func (p mixPrep) score(k, j int, xj float64) float64 {
	return -(xj - p.scaled[k][j]) / p.v[k]
}

// field evaluates a per-class quantity at every row of x: class y's own
// (y >= 0), or its posterior-weighted average over the classes (y = -1),
// sum_k p_t(k | x) f_k(x), which is how the marginal velocity and score
// follow from the class ones.
func (m Mixture) field(x [][]float64, t float64, y int, f func(mixPrep, int, int, float64) float64, who string) ([][]float64, error) {
	if y >= 0 {
		if err := m.checkClass(y, who); err != nil {
			return nil, err
		}
	}
	p, err := m.prepare(x, t, who)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(x))
	post := make([]float64, p.k)
	for r, xr := range x {
		out[r] = make([]float64, p.d)
		if y >= 0 {
			for j, xj := range xr {
				out[r][j] = f(p, y, j, xj)
			}
			continue
		}
		p.posterior(xr, post)
		for k, pk := range post {
			for j, xj := range xr {
				out[r][j] += pk * f(p, k, j, xj)
			}
		}
	}
	return out, nil
}

// ClassVelocity returns the exact velocity u_t(x | y) of class y's path, a
// host field:
//
//	u_t(x | y) = alpha'_t mu_y + g_y(t) (x - alpha_t mu_y),
//	g_y(t) = (alpha'_t alpha_t s_y^2 + sigma'_t sigma_t) / (alpha_t^2 s_y^2 + sigma_t^2),
//
// the posterior mean of the conditional velocity alpha'_t x1 + sigma'_t x0
// given x_t = x within the class (affine in x: one Gaussian's field). The
// field fails for a class outside 0..K-1 and as Velocity does.
func (m Mixture) ClassVelocity(y int) vfield.Host {
	return func(x [][]float64, t float64) ([][]float64, error) {
		return m.field(x, t, y, mixPrep.velocity, "Mixture.ClassVelocity")
	}
}

// Velocity returns the exact unconditional velocity at every row of x, the
// posterior-weighted average of the class fields (Theorem 1 of Lipman et
// al. applied to the classes):
//
//	u_t(x) = sum_k p_t(k | x) u_t(x | k),   p_t(k | x) ∝ w_k N(x; alpha_t mu_k, (alpha_t^2 s_k^2 + sigma_t^2) I).
//
// It fails for an invalid mixture (means, standard deviations, weights),
// query points of another dimension or not finite, t outside [0, 1], and
// sigma_t = 0 there.
func (m Mixture) Velocity(x [][]float64, t float64) ([][]float64, error) {
	return m.field(x, t, -1, mixPrep.velocity, "Mixture.Velocity")
}

// ClassLogDensity returns log p_t(x | y) at every row of x: a Gaussian with
// mean alpha_t mu_y and variance alpha_t^2 s_y^2 + sigma_t^2 per coordinate.
// Errors as for ClassVelocity.
func (m Mixture) ClassLogDensity(y int, x [][]float64, t float64) ([]float64, error) {
	if err := m.checkClass(y, "Mixture.ClassLogDensity"); err != nil {
		return nil, err
	}
	p, err := m.prepare(x, t, "Mixture.ClassLogDensity")
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	for r, xr := range x {
		out[r] = p.classLog(xr, y)
	}
	return out, nil
}

// LogDensity returns log p_t(x) = log sum_k w_k p_t(x | k) at every row of
// x. Errors as for Velocity.
func (m Mixture) LogDensity(x [][]float64, t float64) ([]float64, error) {
	p, err := m.prepare(x, t, "Mixture.LogDensity")
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	post := make([]float64, p.k)
	for r, xr := range x {
		out[r] = p.posterior(xr, post)
	}
	return out, nil
}

// ClassScore returns grad log p_t(x | y) = -(x - alpha_t mu_y) /
// (alpha_t^2 s_y^2 + sigma_t^2) at every row of x. Errors as for
// ClassVelocity.
func (m Mixture) ClassScore(y int, x [][]float64, t float64) ([][]float64, error) {
	return m.field(x, t, y, mixPrep.score, "Mixture.ClassScore")
}

// Score returns grad log p_t(x) = sum_k p_t(k | x) grad log p_t(x | k) at
// every row of x. Errors as for Velocity.
func (m Mixture) Score(x [][]float64, t float64) ([][]float64, error) {
	return m.field(x, t, -1, mixPrep.score, "Mixture.Score")
}

// Posterior returns p_t(k | x) for every row of x (K values a row, summing
// to 1): the noisy classifier of the path at time t. Errors as for Velocity.
func (m Mixture) Posterior(x [][]float64, t float64) ([][]float64, error) {
	p, err := m.prepare(x, t, "Mixture.Posterior")
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(x))
	for r, xr := range x {
		out[r] = make([]float64, p.k)
		p.posterior(xr, out[r])
	}
	return out, nil
}

// ClassSample draws n points of p_t(x | y), alpha_t mu_y + sqrt(alpha_t^2
// s_y^2 + sigma_t^2) eps with eps ~ N(0, I) from rng. At t = 1 with
// sigma_1 = 0 these are samples of q(x1 | y) itself. It fails for n < 1, a
// nil rng and as ClassVelocity does (sigma_t = 0 included: use t < 1 or a
// path with sigma_1 > 0).
func (m Mixture) ClassSample(y, n int, t float64, rng *rand.Rand) ([][]float64, error) {
	if err := m.checkClass(y, "Mixture.ClassSample"); err != nil {
		return nil, err
	}
	if n < 1 || rng == nil {
		return nil, fmt.Errorf("probpath.Mixture.ClassSample: need n >= 1 (got %d) and a generator", n)
	}
	p, err := m.prepare(nil, t, "Mixture.ClassSample")
	if err != nil {
		return nil, err
	}
	sd := math.Sqrt(p.v[y])
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, p.d)
		for j := range out[i] {
			out[i][j] = p.scaled[y][j] + sd*rng.NormFloat64()
		}
	}
	return out, nil
}

// ScoreLink returns the coefficients of the affine link between the
// marginal velocity and the score on the path at t, valid for any data
// distribution (and for any class's path):
//
//	u_t(x) = a_t x + b_t grad log p_t(x),
//	a_t = alpha'_t / alpha_t,   b_t = sigma_t (alpha'_t sigma_t / alpha_t - sigma'_t).
//
// It follows from u_t(x) = alpha'_t E[x1 | x] + sigma'_t E[x0 | x] with
// x = alpha_t E[x1 | x] + sigma_t E[x0 | x] and Tweedie's formula
// E[x0 | x] = -sigma_t grad log p_t(x). On the conditional OT path it is
// a_t = 1/t, b_t = sigma_t / t. It fails where alpha_t = 0 (t = 0 for
// the usual paths) and for t outside [0, 1].
func (p Affine) ScoreLink(t float64) (a, b float64, err error) {
	if err := p.check(); err != nil {
		return 0, 0, err
	}
	if !(t >= 0 && t <= 1) {
		return 0, 0, fmt.Errorf("probpath.ScoreLink: t = %g; need 0 <= t <= 1", t)
	}
	c := p.Sched.At(t)
	if c.Alpha == 0 {
		return 0, 0, fmt.Errorf("probpath.ScoreLink: alpha_t = 0 at t = %g (%s): the velocity does not determine the score there; use t > 0", t, p.Sched.Name())
	}
	a = c.DAlpha / c.Alpha
	b = c.Sigma * (c.DAlpha*c.Sigma/c.Alpha - c.DSigma)
	if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
		return 0, 0, fmt.Errorf("probpath.ScoreLink: non-finite coefficients at t = %g (%s)", t, p.Sched.Name())
	}
	return a, b, nil
}
