package probpath

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/internal/parallel"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// coeffsAt validates the path and t and returns the schedule's coefficients,
// which must be finite with sigma_t > 0 (every host closed form divides by
// sigma_t).
func (p Affine) coeffsAt(t float64, who string) (schedule.Coeffs, error) {
	if err := p.check(); err != nil {
		return schedule.Coeffs{}, err
	}
	if !(t >= 0 && t <= 1) {
		return schedule.Coeffs{}, fmt.Errorf("probpath.%s: t = %g; need 0 <= t <= 1 (t = 0 noise, t = 1 data)", who, t)
	}
	c := p.Sched.At(t)
	for _, v := range []float64{c.Alpha, c.Sigma, c.DAlpha, c.DSigma} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return c, fmt.Errorf("probpath.%s: %s at t = %g gives non-finite coefficients %+v; use a t strictly inside (0, 1)", who, p.Sched.Name(), t, c)
		}
	}
	if !(c.Sigma > 0) {
		return c, fmt.Errorf("probpath.%s: sigma_t = %g at t = %g for %s; the field divides by sigma_t -- use t < 1 or a schedule with sigma_1 > 0 (e.g. CondOT{SigmaMin: 0.01})", who, c.Sigma, t, p.Sched.Name())
	}
	s2 := 2 * c.Sigma * c.Sigma
	if math.IsInf(1/s2, 0) || math.IsInf(c.DSigma/c.Sigma, 0) {
		return c, fmt.Errorf("probpath.%s: sigma_t = %g at t = %g for %s is so small that 1/sigma_t^2 overflows float64; use a t further from where sigma_t vanishes, or a larger sigma_min", who, c.Sigma, t, p.Sched.Name())
	}
	if math.IsInf(s2, 0) {
		return c, fmt.Errorf("probpath.%s: sigma_t = %g at t = %g for %s is so large that sigma_t^2 overflows float64; use a smaller sigma_max, or a t where sigma_t is smaller", who, c.Sigma, t, p.Sched.Name())
	}
	return c, nil
}

// notFinite returns an error for the first non-finite value of v (row r of
// the result of who), which comes from distances too large for float64 next
// to sigma_t; nil when all are finite.
func notFinite(who string, v []float64, r int, c schedule.Coeffs, t float64) error {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("probpath.%s: the result at query point %d is %v: its squared distances to the data, over 2 sigma_t^2 = %g (t = %g), overflow float64; rescale the points or use a t where sigma_t is larger", who, r, x, 2*c.Sigma*c.Sigma, t)
		}
	}
	return nil
}

// CondVelocity returns the conditional velocity u_t(x | z) = (sigma'_t /
// sigma_t) (x - alpha_t z) + alpha'_t z: the velocity at x of the path that
// ends at the data point z. At x = x_t = alpha_t z + sigma_t x0 it equals
// alpha'_t z + sigma'_t x0 (Sample's DXt). It fails if x and z are empty or
// differ in length, contain NaN/Inf, if t is outside [0, 1], or if sigma_t
// is 0 there.
func (p Affine) CondVelocity(x, z []float64, t float64) ([]float64, error) {
	c, err := p.coeffsAt(t, "CondVelocity")
	if err != nil {
		return nil, err
	}
	if len(x) == 0 || len(x) != len(z) {
		return nil, fmt.Errorf("probpath.CondVelocity: len(x) = %d, len(z) = %d; need equal, non-zero dimensions", len(x), len(z))
	}
	out := make([]float64, len(x))
	k := c.DSigma / c.Sigma
	for j := range x {
		if math.IsNaN(x[j]) || math.IsInf(x[j], 0) || math.IsNaN(z[j]) || math.IsInf(z[j], 0) {
			return nil, fmt.Errorf("probpath.CondVelocity: coordinate %d is not finite (x = %v, z = %v)", j, x[j], z[j])
		}
		out[j] = k*(x[j]-c.Alpha*z[j]) + c.DAlpha*z[j]
	}
	if err := notFinite("CondVelocity", out, 0, c, t); err != nil {
		return nil, err
	}
	return out, nil
}

// Empirical is the affine path started from a dataset: q(z) uniform over
// Points (N rows of D coordinates). Its marginals p_t are Gaussian mixtures
// and its marginal velocity is known in closed form (see the package doc).
type Empirical struct {
	Path   Affine
	Points [][]float64
}

// prepare validates e, the query set x and t, and returns the coefficients,
// the flattened data points and the sizes.
func (e Empirical) prepare(x [][]float64, t float64, who string) (c schedule.Coeffs, z []float64, n, d int, err error) {
	c, err = e.Path.coeffsAt(t, who)
	if err != nil {
		return
	}
	n, d, err = points.Check(e.Points)
	if err != nil {
		err = fmt.Errorf("probpath.%s: Empirical.Points: %w", who, err)
		return
	}
	_, dx, err := points.Check(x)
	if err != nil {
		err = fmt.Errorf("probpath.%s: query points x: %w", who, err)
		return
	}
	if dx != d {
		err = fmt.Errorf("probpath.%s: query points have dimension %d, data points have %d", who, dx, d)
		return
	}
	z = make([]float64, n*d)
	for i, row := range e.Points {
		copy(z[i*d:], row)
	}
	return c, z, n, d, nil
}

// expCut: mixture terms whose logit is more than expCut below the largest
// are skipped. Each weighs less than exp(-50) = 2e-22 of the largest term
// (which contributes 1 to the normalizer), so even a million of them change
// the sums by under 2e-16 relative -- below float64 rounding -- while near
// t = 1 (small sigma_t) most terms are skipped and their math.Exp saved.
const expCut = 50

// logits fills out[i] = -|x - alpha z_i|^2 / (2 sigma^2) and returns the maximum.
func logits(out, x, z []float64, alpha, inv2s2 float64) float64 {
	d := len(x)
	mx := math.Inf(-1)
	if d == 2 { // the common 2D case, unrolled
		x0, x1 := x[0], x[1]
		for i := range out {
			u, v := x0-alpha*z[2*i], x1-alpha*z[2*i+1]
			l := -(u*u + v*v) * inv2s2
			out[i] = l
			mx = max(mx, l)
		}
		return mx
	}
	for i := range out {
		zi := z[i*d : (i+1)*d]
		d2 := 0.0
		for j, xj := range x {
			u := xj - alpha*zi[j]
			d2 += u * u
		}
		l := -d2 * inv2s2
		out[i] = l
		mx = max(mx, l)
	}
	return mx
}

// Velocity returns the exact marginal velocity u_t(x) of the dataset at each
// row of x (shape [M, D]):
//
//	u_t(x) = (sigma'_t/sigma_t) (x - alpha_t m(x)) + alpha'_t m(x),
//	m(x) = sum_i softmax_i(-|x - alpha_t z_i|^2 / (2 sigma_t^2)) z_i.
//
// Rows are processed in parallel. It fails for invalid points or settings,
// mismatched dimensions, t outside [0, 1], or sigma_t = 0 (e.g. t = 1 with
// CondOT{SigmaMin: 0}).
func (e Empirical) Velocity(x [][]float64, t float64) ([][]float64, error) {
	c, z, n, d, err := e.prepare(x, t, "Empirical.Velocity")
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(x))
	back := make([]float64, len(x)*d)
	for r := range out {
		out[r] = back[r*d : (r+1)*d : (r+1)*d]
	}
	inv2s2 := 1 / (2 * c.Sigma * c.Sigma)
	k := c.DSigma / c.Sigma
	parallel.Rows(len(x), n*d, func(lo, hi int) {
		lg := make([]float64, n)
		m := make([]float64, d)
		for r := lo; r < hi; r++ {
			xr := x[r]
			mx := logits(lg, xr, z, c.Alpha, inv2s2)
			clear(m)
			sum := 0.0
			if d == 2 { // the common 2D case, unrolled
				m0, m1 := 0.0, 0.0
				for i, l := range lg {
					if l-mx < -expCut {
						continue
					}
					w := math.Exp(l - mx)
					sum += w
					m0 += w * z[2*i]
					m1 += w * z[2*i+1]
				}
				m[0], m[1] = m0, m1
			} else {
				for i, l := range lg {
					if l-mx < -expCut {
						continue
					}
					w := math.Exp(l - mx)
					sum += w
					zi := z[i*d : (i+1)*d]
					for j := range m {
						m[j] += w * zi[j]
					}
				}
			}
			for j := range m {
				mj := m[j] / sum
				out[r][j] = k*(xr[j]-c.Alpha*mj) + c.DAlpha*mj
			}
		}
	})
	for r, row := range out {
		if err := notFinite("Empirical.Velocity", row, r, c, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LogDensity returns log p_t(x) for each row of x, where p_t is the mixture
// (1/N) sum_i N(x; alpha_t z_i, sigma_t^2 I):
//
//	log p_t(x) = logsumexp_i(-|x - alpha_t z_i|^2 / (2 sigma_t^2)) - log N - (D/2) log(2 pi sigma_t^2).
//
// Errors as for Velocity.
func (e Empirical) LogDensity(x [][]float64, t float64) ([]float64, error) {
	c, z, n, d, err := e.prepare(x, t, "Empirical.LogDensity")
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	inv2s2 := 1 / (2 * c.Sigma * c.Sigma)
	norm := -math.Log(float64(n)) - 0.5*float64(d)*math.Log(2*math.Pi*c.Sigma*c.Sigma)
	parallel.Rows(len(x), n*d, func(lo, hi int) {
		lg := make([]float64, n)
		for r := lo; r < hi; r++ {
			mx := logits(lg, x[r], z, c.Alpha, inv2s2)
			sum := 0.0
			for _, l := range lg {
				if l-mx >= -expCut {
					sum += math.Exp(l - mx)
				}
			}
			out[r] = mx + math.Log(sum) + norm
		}
	})
	for r, v := range out {
		if err := notFinite("Empirical.LogDensity", []float64{v}, r, c, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// VelocityGraph is Velocity inside a graph, for integrating the exact
// marginal field with an ODE solver: x has shape [B, D], points [N, D] (the
// dataset, fed as a constant input), and t is a scalar (or [B], one time per
// row). The result has x's shape and dtype.
//
// The squared distances are expanded as |x|^2 - 2 alpha x.z + alpha^2 |z|^2
// (one matrix product instead of a [B, N, D] tensor); |x|^2 is dropped since
// the softmax over i does not depend on it. In float32 the logits then carry
// an absolute error of about 1e-7 (|alpha x.z| + alpha^2 |z|^2) / sigma_t^2,
// small for sigma_t >= 0.01 and data of unit scale. Nothing checks t or
// sigma_t > 0 here (graph values are not known when building); sigma_t = 0
// gives Inf/NaN. It panics on shape mismatches.
func (e Empirical) VelocityGraph(x, t, points *graph.Node) *graph.Node {
	sched := e.Path.mustSched("Empirical.VelocityGraph")
	if x.Rank() != 2 || points.Rank() != 2 || x.Shape().Dimensions[1] != points.Shape().Dimensions[1] {
		exceptions.Panicf("probpath.Empirical.VelocityGraph: x shape %s and points shape %s must be [B, D] and [N, D]", x.Shape(), points.Shape())
	}
	if points.DType() != x.DType() {
		points = graph.ConvertDType(points, x.DType())
	}
	b, n := x.Shape().Dimensions[0], points.Shape().Dimensions[0]
	c := sched.Graph(t)
	col := func(v *graph.Node) *graph.Node { return rowColumn(v, x, t, "VelocityGraph") }
	a, s, da, ds := col(c.Alpha), col(c.Sigma), col(c.DAlpha), col(c.DSigma)
	inv2s2 := graph.Reciprocal(graph.MulScalar(graph.Square(s), 2)) // [B, 1]
	xz := graph.Einsum("bd,nd->bn", x, points)                      // [B, N]
	zz := graph.Reshape(graph.ReduceSum(graph.Square(points), 1), 1, n)
	// logit = (2 alpha x.z - alpha^2 |z|^2) / (2 sigma^2)
	lg := graph.Sub(
		graph.Mul(graph.BroadcastToDims(graph.MulScalar(a, 2), b, n), xz),
		graph.Mul(graph.BroadcastToDims(graph.Square(a), b, n), graph.BroadcastToDims(zz, b, n)))
	lg = graph.Mul(lg, graph.BroadcastToDims(inv2s2, b, n))
	w := graph.Softmax(lg, 1)
	m := graph.MatMul(w, points) // [B, D]
	d := x.Shape().Dimensions[1]
	bc := func(v *graph.Node) *graph.Node { return graph.BroadcastToDims(v, b, d) }
	k := bc(graph.Div(ds, s))
	return graph.Add(graph.Mul(k, graph.Sub(x, graph.Mul(bc(a), m))), graph.Mul(bc(da), m))
}

// LogDensityGraph is LogDensity inside a graph, so that autodiff can take its
// derivatives in t and x (e.g. to check the continuity equation): x has shape
// [B, D], points [N, D], t is a scalar or [B]; the result has shape [B]:
//
//	log p_t(x) = logsumexp_i(-|x - alpha_t z_i|^2 / (2 sigma_t^2)) - log N - (D/2) log(2 pi sigma_t^2).
//
// The log-sum-exp subtracts the row maximum (held constant for the gradient,
// which does not change the value or the derivative). Use float64 inputs for
// derivative checks: float32 rounding of the squared distances is amplified
// by 1/sigma_t^2. Shape errors panic; sigma_t = 0 gives Inf/NaN.
func (e Empirical) LogDensityGraph(x, t, points *graph.Node) *graph.Node {
	sched := e.Path.mustSched("Empirical.LogDensityGraph")
	if x.Rank() != 2 || points.Rank() != 2 || x.Shape().Dimensions[1] != points.Shape().Dimensions[1] {
		exceptions.Panicf("probpath.Empirical.LogDensityGraph: x shape %s and points shape %s must be [B, D] and [N, D]", x.Shape(), points.Shape())
	}
	if points.DType() != x.DType() {
		points = graph.ConvertDType(points, x.DType())
	}
	b, n, d := x.Shape().Dimensions[0], points.Shape().Dimensions[0], x.Shape().Dimensions[1]
	c := sched.Graph(t)
	col := func(v *graph.Node) *graph.Node { return rowColumn(v, x, t, "LogDensityGraph") }
	a, s := col(c.Alpha), col(c.Sigma)
	xx := graph.BroadcastToDims(graph.Reshape(graph.ReduceSum(graph.Square(x), 1), b, 1), b, n)
	xz := graph.Einsum("bd,nd->bn", x, points)
	zz := graph.BroadcastToDims(graph.Reshape(graph.ReduceSum(graph.Square(points), 1), 1, n), b, n)
	ab := graph.BroadcastToDims(a, b, n)
	sq := graph.Add(graph.Sub(xx, graph.Mul(graph.MulScalar(ab, 2), xz)), graph.Mul(graph.Square(ab), zz)) // |x - alpha z_i|^2
	lg := graph.Neg(graph.Div(sq, graph.BroadcastToDims(graph.MulScalar(graph.Square(s), 2), b, n)))
	mx := graph.StopGradient(graph.ReduceMax(lg, 1)) // [B]
	lse := graph.Add(mx, graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(lg, graph.BroadcastToDims(graph.Reshape(mx, b, 1), b, n))), 1)))
	s2 := graph.Reshape(graph.Square(s), b)
	norm := graph.AddScalar(graph.MulScalar(graph.Log(graph.MulScalar(s2, 2*math.Pi)), -0.5*float64(d)), -math.Log(float64(n)))
	return graph.Add(lse, norm)
}

// rowColumn turns a schedule coefficient computed on t (a scalar or [B]) into
// a column of shape [B, 1] in x's dtype, x being [B, D]; who names the caller
// in the panic for any other shape of t.
func rowColumn(v, x, t *graph.Node, who string) *graph.Node {
	b := x.Shape().Dimensions[0]
	if v.DType() != x.DType() {
		v = graph.ConvertDType(v, x.DType())
	}
	switch {
	case v.Rank() == 0:
		return graph.BroadcastToDims(v, b, 1)
	case v.Rank() == 1 && v.Shape().Dimensions[0] == b:
		return graph.Reshape(v, b, 1)
	}
	exceptions.Panicf("probpath.Empirical.%s: t shape %s, want a scalar or [%d]", who, t.Shape(), b)
	return nil
}
