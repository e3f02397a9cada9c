package probpath

import (
	"fmt"
	"slices"

	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Affine is the Gaussian path x_t = alpha_t x1 + sigma_t x0 of a schedule.
type Affine struct{ Sched schedule.Scheduler }

// New returns the affine path of s after validating its settings.
func New(s schedule.Scheduler) (Affine, error) {
	if s == nil {
		return Affine{}, fmt.Errorf("probpath.New: nil scheduler; pass e.g. schedule.CondOT{SigmaMin: 0.01}")
	}
	if err := s.Validate(); err != nil {
		return Affine{}, fmt.Errorf("probpath.New: %w", err)
	}
	return Affine{Sched: s}, nil
}

// check returns an error if the path has no (valid) scheduler.
func (p Affine) check() error {
	if p.Sched == nil {
		return fmt.Errorf("probpath: Affine has no scheduler; build it with probpath.New(schedule.CondOT{SigmaMin: 0.01}) or similar")
	}
	if err := p.Sched.Validate(); err != nil {
		return fmt.Errorf("probpath: %w", err)
	}
	return nil
}

// mustSched panics (graph-building style) if the path has no scheduler.
func (p Affine) mustSched(who string) schedule.Scheduler {
	if p.Sched == nil {
		exceptions.Panicf("probpath.%s: Affine has no scheduler; build it with probpath.New", who)
	}
	return p.Sched
}

// Sample is one draw of the path: the endpoints, the time, the point x_t and
// its conditional velocity dx_t/dt = alpha'_t x1 + sigma'_t x0.
type Sample struct{ X0, X1, T, Xt, DXt *graph.Node }

// Sample computes x_t = alpha_t x1 + sigma_t x0 and DXt = alpha'_t x1 +
// sigma'_t x0. x0 and x1 have the same shape [B, ...]; t is a float tensor
// of shape [B] (one time per row, broadcast over the trailing axes), a
// scalar (one time for all rows), or x0's shape. The schedule's coefficients
// are converted to x0's dtype. It panics on mismatched shapes.
func (p Affine) Sample(x0, x1, t *graph.Node) Sample {
	sched := p.mustSched("Sample")
	if !x0.Shape().Equal(x1.Shape()) {
		exceptions.Panicf("probpath.Sample: x0 shape %s differs from x1 shape %s", x0.Shape(), x1.Shape())
	}
	c := sched.Graph(t)
	a, s := expandTo(c.Alpha, x0, "Sample"), expandTo(c.Sigma, x0, "Sample")
	da, ds := expandTo(c.DAlpha, x0, "Sample"), expandTo(c.DSigma, x0, "Sample")
	return Sample{
		X0:  x0,
		X1:  x1,
		T:   t,
		Xt:  graph.Add(graph.Mul(a, x1), graph.Mul(s, x0)),
		DXt: graph.Add(graph.Mul(da, x1), graph.Mul(ds, x0)),
	}
}

// expandTo converts a coefficient c computed on t's shape to like's dtype and
// broadcasts it to like's shape. c may be a scalar, have like's shape, or
// have shape [B] with B = like's first dimension (one value per row).
func expandTo(c, like *graph.Node, who string) *graph.Node {
	if c.DType() != like.DType() {
		c = graph.ConvertDType(c, like.DType())
	}
	dims := like.Shape().Dimensions
	switch {
	case c.Rank() == 0:
		return graph.BroadcastToDims(c, dims...)
	case slices.Equal(c.Shape().Dimensions, dims):
		return c
	case c.Rank() == 1 && len(dims) >= 1 && c.Shape().Dimensions[0] == dims[0]:
		ones := make([]int, len(dims))
		for i := range ones {
			ones[i] = 1
		}
		ones[0] = dims[0]
		return graph.BroadcastToDims(graph.Reshape(c, ones...), dims...)
	}
	exceptions.Panicf("probpath.%s: time shape %s does not fit data shape %s (want a scalar, [B] with B = the first data dimension, or the data shape)",
		who, c.Shape(), like.Shape())
	return nil
}

// Param names a quantity a network can predict at (x_t, t).
type Param int

const (
	// Velocity is v = alpha'_t x1 + sigma'_t x0 (conditional flow matching).
	Velocity Param = iota
	// Epsilon is the noise x0 (DDPM).
	Epsilon
	// Score is grad_x log p_t(x | x1) = -x0 / sigma_t (denoising score matching).
	Score
	// X1 is the clean data point (x-prediction).
	X1
)

// String returns the parameterization's name.
func (q Param) String() string {
	switch q {
	case Velocity:
		return "Velocity"
	case Epsilon:
		return "Epsilon"
	case Score:
		return "Score"
	case X1:
		return "X1"
	}
	return fmt.Sprintf("Param(%d)", int(q))
}

// Valid reports whether q is one of Velocity, Epsilon, Score, X1.
func (q Param) Valid() bool { return q >= Velocity && q <= X1 }

// lin is a linear form A x_t + B pred with coefficients on t's shape; a nil
// coefficient is an exact zero (so that a singular coefficient that is not
// needed is never multiplied by 0).
type lin struct{ a, b *graph.Node }

func mulC(x, y *graph.Node) *graph.Node {
	if x == nil || y == nil {
		return nil
	}
	return graph.Mul(x, y)
}

func addC(x, y *graph.Node) *graph.Node {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	}
	return graph.Add(x, y)
}

// combine returns l1 * f1 + l2 * f2 for scalar-coefficient forms; f1 or f2 is
// only evaluated when its multiplier is not nil.
func combine(l1 *graph.Node, f1 func() lin, l2 *graph.Node, f2 func() lin) lin {
	var out lin
	if l1 != nil {
		v := f1()
		out.a, out.b = addC(out.a, mulC(l1, v.a)), addC(out.b, mulC(l1, v.b))
	}
	if l2 != nil {
		v := f2()
		out.a, out.b = addC(out.a, mulC(l2, v.a)), addC(out.b, mulC(l2, v.b))
	}
	return out
}

// Convert maps a prediction pred of kind from at (xt, t) to kind to (see the
// package doc for the formulas). pred and xt have the same shape [B, ...];
// t is as in Sample ([B], a scalar, or xt's shape). from == to returns pred
// unchanged. The result is singular (Inf/NaN) where the conversion divides by
// a zero alpha_t, sigma_t or determinant -- see the package doc. It panics on
// shape mismatches or an unknown Param.
func (p Affine) Convert(from, to Param, pred, xt, t *graph.Node) *graph.Node {
	sched := p.mustSched("Convert")
	if !from.Valid() || !to.Valid() {
		exceptions.Panicf("probpath.Convert: unknown parameterization %s -> %s (valid: Velocity, Epsilon, Score, X1)", from, to)
	}
	if !pred.Shape().Equal(xt.Shape()) {
		exceptions.Panicf("probpath.Convert: prediction shape %s differs from x_t shape %s", pred.Shape(), xt.Shape())
	}
	if from == to {
		return pred
	}
	c := sched.Graph(t)
	a, s, da, ds := c.Alpha, c.Sigma, c.DAlpha, c.DSigma
	one := graph.OnesLike(a)

	// (x1, eps) as linear forms in (x_t, pred).
	var x1, eps func() lin
	switch from {
	case X1:
		x1 = func() lin { return lin{nil, one} }
		eps = func() lin { inv := graph.Reciprocal(s); return lin{inv, graph.Neg(graph.Mul(a, inv))} }
	case Epsilon:
		eps = func() lin { return lin{nil, one} }
		x1 = func() lin { inv := graph.Reciprocal(a); return lin{inv, graph.Neg(graph.Mul(s, inv))} }
	case Score:
		eps = func() lin { return lin{nil, graph.Neg(s)} }
		x1 = func() lin { inv := graph.Reciprocal(a); return lin{inv, graph.Mul(graph.Square(s), inv)} }
	case Velocity:
		var detInv *graph.Node // 1 / (alpha sigma' - sigma alpha'), built once if needed
		inv := func() *graph.Node {
			if detInv == nil {
				detInv = graph.Reciprocal(graph.Sub(graph.Mul(a, ds), graph.Mul(s, da)))
			}
			return detInv
		}
		x1 = func() lin { d := inv(); return lin{graph.Mul(ds, d), graph.Neg(graph.Mul(s, d))} }
		eps = func() lin { d := inv(); return lin{graph.Neg(graph.Mul(da, d)), graph.Mul(a, d)} }
	}

	// The target as l1 x1 + l2 eps.
	var out lin
	switch to {
	case X1:
		out = combine(one, x1, nil, eps)
	case Epsilon:
		out = combine(nil, x1, one, eps)
	case Score:
		out = combine(nil, x1, graph.Neg(graph.Reciprocal(s)), eps)
	case Velocity:
		out = combine(da, x1, ds, eps)
	}
	res := graph.ZerosLike(pred)
	if out.b != nil {
		res = graph.Mul(expandTo(out.b, pred, "Convert"), pred)
	}
	if out.a != nil {
		res = graph.Add(graph.Mul(expandTo(out.a, xt, "Convert"), xt), res)
	}
	return res
}

// VelocityOf returns the velocity field of a network that predicts the
// quantity param on this path: u(x, t) = Convert(param -> Velocity, net(x, t),
// x, t). A velocity network is returned as it is; a noise (DDPM) or score
// (denoising score matching) network becomes the field of its
// probability-flow ODE, which ode and likelihood integrate.
func (p Affine) VelocityOf(param Param, net vfield.Graph) vfield.Graph {
	if param == Velocity {
		return net
	}
	return func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return p.Convert(param, Velocity, net(scope, x, t), x, t)
	}
}
