package nflow

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Defaults used by Coupling fields left at their zero value.
const (
	// DefaultMaxScale bounds the log-scale s of a coupling layer: |s| < 2, a
	// factor exp(s) between 0.14 and 7.4 per layer.
	DefaultMaxScale = 2.0
)

// DefaultHidden are the conditioner's hidden widths when Coupling.Hidden is nil.
var DefaultHidden = []int{32, 32}

// Coupling is one affine coupling layer (see the package doc) on points of
// dimension D = len(Mask). Its conditioner's variables live in the scope
// passed to Forward and Inverse: call both with the same scope to get a layer
// and its inverse.
type Coupling struct {
	// Mask[j] true puts coordinate j in the conditioning half x_a (copied
	// unchanged); false puts it in the transformed half x_b. Both halves must
	// be non-empty.
	Mask []bool
	// Hidden are the widths of the conditioner's tanh hidden layers; nil
	// means DefaultHidden, an empty non-nil slice a linear conditioner.
	Hidden []int
	// MaxScale M soft-clamps the log-scale: s = M tanh(raw / M); 0 means
	// DefaultMaxScale.
	MaxScale float64
	// InitStd, when positive, draws the conditioner's initial weights and
	// biases from N(0, InitStd^2) instead of using the scope's initializer: a
	// random layer of a chosen strength, for demonstrations and tests. (A
	// layer meant for training usually starts near the identity instead.)
	InitStd float64
}

// Validate reports an invalid configuration.
func (c Coupling) Validate() error {
	if len(c.Mask) < 2 {
		return fmt.Errorf("nflow: Coupling.Mask has %d entries; a coupling layer needs D >= 2 coordinates", len(c.Mask))
	}
	na := 0
	for _, m := range c.Mask {
		if m {
			na++
		}
	}
	if na == 0 || na == len(c.Mask) {
		return fmt.Errorf("nflow: Coupling.Mask %v puts every coordinate in one half; both the conditioning (true) and the transformed (false) half must be non-empty", c.Mask)
	}
	for i, w := range c.Hidden {
		if w <= 0 {
			return fmt.Errorf("nflow: Coupling.Hidden[%d] = %d; hidden widths must be positive", i, w)
		}
	}
	if c.MaxScale < 0 || math.IsNaN(c.MaxScale) || math.IsInf(c.MaxScale, 0) {
		return fmt.Errorf("nflow: Coupling.MaxScale = %g; give a positive bound (0 means %g)", c.MaxScale, DefaultMaxScale)
	}
	if c.InitStd < 0 || math.IsNaN(c.InitStd) || math.IsInf(c.InitStd, 0) {
		return fmt.Errorf("nflow: Coupling.InitStd = %g; give a positive standard deviation, or 0 for the scope's initializer", c.InitStd)
	}
	return nil
}

func (c Coupling) hidden() []int {
	if c.Hidden == nil {
		return DefaultHidden
	}
	return c.Hidden
}

func (c Coupling) maxScale() float64 {
	if c.MaxScale == 0 {
		return DefaultMaxScale
	}
	return c.MaxScale
}

// mustCheck panics (GoMLX style) on an invalid layer or a mismatched input.
func (c Coupling) mustCheck(fn string, x *graph.Node) {
	if err := c.Validate(); err != nil {
		exceptions.Panicf("nflow.Coupling.%s: %v", fn, err)
	}
	if x.Rank() != 2 || x.Shape().Dimensions[1] != len(c.Mask) || !x.DType().IsFloat() {
		exceptions.Panicf("nflow.Coupling.%s: input must be float with shape [N, %d] (len(Mask)), got %s", fn, len(c.Mask), x.Shape())
	}
}

// maskNode returns the mask as a [1, D] node of x's dtype: 1 for x_a, 0 for x_b.
func maskNode(mask []bool, x *graph.Node) *graph.Node {
	m := make([]float64, len(mask))
	for j, v := range mask {
		if v {
			m[j] = 1
		}
	}
	return graph.ConvertDType(graph.Const(x.Graph(), [][]float64{m}), x.DType())
}

// Conditioner is the network of a coupling layer: a tanh MLP from in [N, K]
// to a log-scale s and a shift t, both [N, dOut], with s soft-clamped to
// (-maxScale, maxScale). Weights use the scope's initializer (GoMLX's default:
// He-normal weights, zero biases); variables live under scope/"hidden_i" and
// scope/"out". Coupling uses it on the masked input; it is exported so that
// variants (including deliberately wrong ones) can be built from it.
func Conditioner(scope *model.Scope, in *graph.Node, dOut int, hidden []int, maxScale float64) (s, t *graph.Node) {
	h := in
	for i, w := range hidden {
		h = graph.Tanh(models.Dense(scope.At("hidden_%d", i), h, w))
	}
	out := models.Dense(scope.At("out"), h, 2*dOut)
	s = graph.Slice(out, graph.AxisRange(), graph.AxisRange(0, dOut))
	t = graph.Slice(out, graph.AxisRange(), graph.AxisRange(dOut, 2*dOut))
	s = graph.MulScalar(graph.Tanh(graph.MulScalar(s, 1/maxScale)), maxScale)
	return s, t
}

// ScaleShift returns the layer's log-scale s and shift t at x (shape [N, D]),
// computed from the conditioning half x_a only and zero on it: s_j = t_j = 0
// wherever Mask[j] is true.
func (c Coupling) ScaleShift(scope *model.Scope, x *graph.Node) (s, t *graph.Node) {
	c.mustCheck("ScaleShift", x)
	m := maskNode(c.Mask, x)
	if c.InitStd > 0 {
		scope = scope.WithInitializer(initializer.RandomNormalFn(scope, c.InitStd))
	}
	s, t = Conditioner(scope, graph.Mul(x, m), len(c.Mask), c.hidden(), c.maxScale())
	keepB := graph.OneMinus(m)
	return graph.Mul(s, keepB), graph.Mul(t, keepB)
}

// Forward returns y = f(x) (x_a copied, x_b scaled by exp(s) and shifted by t)
// and log|det J_f(x)| = sum_j s_j, shape [N].
func (c Coupling) Forward(scope *model.Scope, x *graph.Node) (y, logDet *graph.Node) {
	c.mustCheck("Forward", x)
	s, t := c.ScaleShift(scope, x)
	return graph.Add(graph.Mul(x, graph.Exp(s)), t), graph.ReduceSum(s, 1)
}

// Inverse returns x = f^{-1}(y) and log|det J_{f^{-1}}(y)| = -sum_j s_j,
// shape [N]. Since y_a = x_a, the conditioner sees the same input as in
// Forward.
func (c Coupling) Inverse(scope *model.Scope, y *graph.Node) (x, logDet *graph.Node) {
	c.mustCheck("Inverse", y)
	s, t := c.ScaleShift(scope, y)
	return graph.Mul(graph.Sub(y, t), graph.Exp(graph.Neg(s))), graph.Neg(graph.ReduceSum(s, 1))
}

// Flow is a normalizing flow f = f_K o ... o f_1 of coupling layers on top of
// the base distribution N(0, I); layer k keeps its variables in
// scope/"coupling_k".
type Flow []Coupling

// Alternating returns a flow of `layers` coupling layers in dimension d >= 2
// whose masks alternate: the first keeps the even coordinates (0, 2, ...) and
// transforms the odd ones, the next the reverse, and so on. Every layer copies
// proto's settings (Hidden, MaxScale, InitStd); proto.Mask is ignored.
func Alternating(d, layers int, proto Coupling) (Flow, error) {
	if d < 2 {
		return nil, fmt.Errorf("nflow.Alternating: dimension %d; coupling layers need d >= 2", d)
	}
	if layers < 1 {
		return nil, fmt.Errorf("nflow.Alternating: %d layers; need at least 1", layers)
	}
	f := make(Flow, layers)
	for k := range f {
		mask := make([]bool, d)
		for j := range mask {
			mask[j] = (j+k)%2 == 0
		}
		c := proto
		c.Mask = mask
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("nflow.Alternating: %w", err)
		}
		f[k] = c
	}
	return f, nil
}

// Forward returns y = f(x) and log|det J_f(x)|, the sum of the layers'
// log-determinants, shape [N].
func (f Flow) Forward(scope *model.Scope, x *graph.Node) (y, logDet *graph.Node) {
	if len(f) == 0 {
		exceptions.Panicf("nflow.Flow.Forward: the flow has no layers")
	}
	y = x
	for k, c := range f {
		var ld *graph.Node
		y, ld = c.Forward(scope.At("coupling_%d", k), y)
		logDet = addOrSet(logDet, ld)
	}
	return y, logDet
}

// Inverse returns x = f^{-1}(y), running the layers' inverses in reverse
// order, and log|det J_{f^{-1}}(y)| = -log|det J_f(x)|, shape [N].
func (f Flow) Inverse(scope *model.Scope, y *graph.Node) (x, logDet *graph.Node) {
	if len(f) == 0 {
		exceptions.Panicf("nflow.Flow.Inverse: the flow has no layers")
	}
	x = y
	for k := len(f) - 1; k >= 0; k-- {
		var ld *graph.Node
		x, ld = f[k].Inverse(scope.At("coupling_%d", k), x)
		logDet = addOrSet(logDet, ld)
	}
	return x, logDet
}

// LogProb returns log p_Y(y) = log N(f^{-1}(y); 0, I) + log|det J_{f^{-1}}(y)|
// for every row of y, shape [N].
func (f Flow) LogProb(scope *model.Scope, y *graph.Node) *graph.Node {
	x, ld := f.Inverse(scope, y)
	return graph.Add(StdNormalLogPdf(x), ld)
}

// StdNormalLogPdf returns log N(x; 0, I) = -(D log(2 pi) + |x|^2)/2 for every
// row of x [N, D], shape [N]: likelihood.StdNormalLogPdf (the host formula)
// applied in the graph.
func StdNormalLogPdf(x *graph.Node) *graph.Node {
	d := x.Shape().Dimensions[1]
	sq := graph.ReduceSum(graph.Square(x), 1)
	return graph.AddScalar(graph.MulScalar(sq, -0.5), likelihood.StdNormalLogPdf(d, 0))
}

func addOrSet(acc, v *graph.Node) *graph.Node {
	if acc == nil {
		return v
	}
	return graph.Add(acc, v)
}
