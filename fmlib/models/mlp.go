package models

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Defaults used by MLPConfig fields left at their zero value.
const (
	// DefaultActivation is the hidden-layer nonlinearity when MLPConfig.Activation is "".
	DefaultActivation = "silu"

	// DefaultTimeEmbedDim is the width of the sinusoidal time embedding when
	// MLPConfig.TimeEmbedDim is 0: 32 sine/cosine pairs. For a 2D input it is
	// the largest part of the first layer's input, which lets the network
	// change its behaviour sharply in t (the velocity of a flow towards a
	// multi-modal distribution changes quickly near t = 1).
	DefaultTimeEmbedDim = 64

	// DefaultMinFreq and DefaultMaxFreq bound the angular frequencies (radians
	// per unit of t) of the time embedding when MLPConfig.MinFreq / MaxFreq
	// are 0. With t in [0, 1], frequency 1 gives a sine that is monotone on
	// the whole interval (a smooth "clock"), and frequency 100 resolves
	// changes on a time scale of about 2*pi/100 ~ 0.06 per period.
	DefaultMinFreq = 1.0
	DefaultMaxFreq = 100.0
)

// DefaultHidden are the hidden-layer widths used when MLPConfig.Hidden is nil.
var DefaultHidden = []int{256, 256, 256}

// activations maps the accepted names to GoMLX activation types.
var activations = map[string]activation.Type{
	"silu": activation.TypeSilu,
	"relu": activation.TypeRelu,
	"gelu": activation.TypeGelu,
	"tanh": activation.TypeTanh,
	"selu": activation.TypeSelu,
}

// Activations returns the accepted activation names, sorted.
func Activations() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MLPConfig configures MLP. The zero value is the default network: three
// hidden layers of 256 units, SiLU, a 64-wide time embedding with
// frequencies from 1 to 100 radians per unit time.
type MLPConfig struct {
	// Hidden are the widths of the hidden layers, input side first. nil means
	// DefaultHidden; an empty non-nil slice means no hidden layer (a linear
	// map of [x, embed(t)]).
	Hidden []int

	// Activation is one of Activations(): "silu" (default), "relu", "gelu"
	// (exact, erf-based), "tanh", "selu".
	Activation string

	// TimeEmbedDim is the (even) width of the sinusoidal time embedding;
	// 0 means DefaultTimeEmbedDim.
	TimeEmbedDim int

	// MinFreq and MaxFreq are the lowest and highest angular frequencies of
	// the time embedding (0 means the defaults; need 0 < MinFreq <= MaxFreq).
	MinFreq, MaxFreq float64

	// FusedActivation asks nn.Dense to apply the hidden-layer activation
	// (one op) instead of applying it after the layer. The result is the same
	// function. Since GoMLX v0.28.16 it makes no difference on the pure-Go
	// backend: nn.Dense and activation.Apply both use its fused dense and
	// fused activation ops, each with its own gradient. It may still matter
	// on other backends. Ignored for "selu", which no backend fuses.
	FusedActivation bool

	// PlainOps builds every layer from plain graph ops (a matrix product, a
	// bias add and the activation's elementwise formula) instead of the
	// backend's fused dense and activation ops, and feeds a scalar time as a
	// per-row column. Same variables, same function. GoMLX cannot
	// differentiate the gradients of the fused ops again, so set it when a
	// loss differentiates the network twice: maximum likelihood of a
	// continuous normalizing flow, whose loss holds the divergence (first
	// derivatives in x) and is then differentiated in the weights
	// (likelihood.FixedStepLogProb). It costs speed otherwise.
	PlainOps bool

	// Classes, when > 0, makes the network class-conditional (MLPLabeled):
	// a learned embedding of the label, one of Classes classes or the null
	// label Classes, is added to the time embedding. 0: unconditional (MLP).
	Classes int
}

// Resolved returns a copy of c with every zero-valued field replaced by its
// default. It does not validate.
func (c MLPConfig) Resolved() MLPConfig {
	r := c
	if r.Hidden == nil {
		r.Hidden = append([]int(nil), DefaultHidden...)
	} else {
		r.Hidden = append([]int{}, c.Hidden...)
	}
	if r.Activation == "" {
		r.Activation = DefaultActivation
	}
	if r.TimeEmbedDim == 0 {
		r.TimeEmbedDim = DefaultTimeEmbedDim
	}
	if r.MinFreq == 0 {
		r.MinFreq = DefaultMinFreq
	}
	if r.MaxFreq == 0 {
		r.MaxFreq = DefaultMaxFreq
	}
	return r
}

// Validate reports the first invalid setting of c (after defaults are
// applied), with the accepted values.
func (c MLPConfig) Validate() error {
	r := c.Resolved()
	for i, w := range r.Hidden {
		if w <= 0 {
			return fmt.Errorf("models: MLPConfig.Hidden[%d] = %d; hidden widths must be positive (e.g. []int{256, 256, 256}, or nil for that default)", i, w)
		}
	}
	if _, ok := activations[strings.ToLower(r.Activation)]; !ok {
		return fmt.Errorf("models: MLPConfig.Activation %q is unknown; valid names are %s (\"\" means %q)",
			r.Activation, strings.Join(Activations(), ", "), DefaultActivation)
	}
	if r.TimeEmbedDim < 0 || r.TimeEmbedDim%2 != 0 {
		return fmt.Errorf("models: MLPConfig.TimeEmbedDim = %d; it must be a positive even number (sine/cosine pairs), or 0 for the default %d", r.TimeEmbedDim, DefaultTimeEmbedDim)
	}
	if !(r.MinFreq > 0) || !(r.MaxFreq >= r.MinFreq) || math.IsInf(r.MaxFreq, 0) {
		return fmt.Errorf("models: time-embedding frequencies MinFreq = %g, MaxFreq = %g; need 0 < MinFreq <= MaxFreq < Inf (0 means the defaults %g and %g)",
			r.MinFreq, r.MaxFreq, DefaultMinFreq, DefaultMaxFreq)
	}
	return checkClasses("MLPConfig", r.Classes)
}

// NumParams is the number of trainable scalars of the MLP for inputs of
// dimension d:
//
//	widths w_0 = d + E, w_1..w_L = Hidden, w_{L+1} = d;
//	params = sum_{l=0..L} (w_l * w_{l+1} + w_{l+1})   (weights + biases)
//
// plus (Classes+1)*E for the label embedding of a conditional network.
//
// It returns an error if c is invalid or d < 1.
func (c MLPConfig) NumParams(d int) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	if d < 1 {
		return 0, fmt.Errorf("models: input dimension %d; need d >= 1", d)
	}
	r := c.Resolved()
	widths := append([]int{d + r.TimeEmbedDim}, r.Hidden...)
	widths = append(widths, d)
	n := 0
	if r.Classes > 0 {
		n = (r.Classes + 1) * r.TimeEmbedDim
	}
	for l := 0; l+1 < len(widths); l++ {
		n += widths[l]*widths[l+1] + widths[l+1]
	}
	return n, nil
}

// Frequencies returns the TimeEmbedDim/2 angular frequencies of the time
// embedding of the (resolved) config: log-spaced from MinFreq to MaxFreq,
//
//	omega_k = MinFreq * (MaxFreq/MinFreq)^(k/(K-1)),  k = 0..K-1, K = TimeEmbedDim/2
//
// (omega_0 = MinFreq when K = 1).
func (c MLPConfig) Frequencies() []float64 {
	r := c.Resolved()
	k := r.TimeEmbedDim / 2
	out := make([]float64, k)
	for i := range out {
		if k == 1 {
			out[i] = r.MinFreq
			continue
		}
		out[i] = r.MinFreq * math.Pow(r.MaxFreq/r.MinFreq, float64(i)/float64(k-1))
	}
	return out
}

// TimeEmbedding returns the sinusoidal embedding of t for the given
// frequencies: shape t.Shape + [2K], laid out as
//
//	[sin(omega_0 t), ..., sin(omega_{K-1} t), cos(omega_0 t), ..., cos(omega_{K-1} t)].
//
// t must be a float tensor of any shape.
func TimeEmbedding(t *graph.Node, freqs []float64) *graph.Node {
	if len(freqs) == 0 {
		exceptions.Panicf("models.TimeEmbedding: no frequencies given")
	}
	if !t.DType().IsFloat() {
		exceptions.Panicf("models.TimeEmbedding: t must be a float tensor, got %s", t.Shape())
	}
	g := t.Graph()
	w := make([]float64, len(freqs))
	copy(w, freqs)
	omega := graph.ConvertDType(graph.Const(g, w), t.DType()) // [K]
	rank := t.Rank()
	tt := graph.InsertAxes(t, rank)               // [..., 1]
	omega = graph.ExpandLeftToRank(omega, rank+1) // [1.., K]
	dims := append(append([]int(nil), t.Shape().Dimensions...), len(freqs))
	arg := graph.Mul(graph.BroadcastToDims(tt, dims...), graph.BroadcastToDims(omega, dims...))
	return graph.Concatenate([]*graph.Node{graph.Sin(arg), graph.Cos(arg)}, rank)
}

// MLP is a time-conditioned multilayer perceptron f(x, t) -> R^D, the
// velocity (or score / noise) network for points x of shape [B, D]. t is a
// scalar (one time for the batch, as ODE solvers pass it) or has shape [B]
// or [B, 1]; it is converted to x's dtype.
//
// The input of the first layer is the concatenation [x, embed(t)] of shape
// [B, D + TimeEmbedDim] (see TimeEmbedding and MLPConfig.Frequencies); each
// hidden layer is activation(h W + b); the output layer is linear with D
// units. Weights use the scope's initializer (GoMLX's default is He-normal
// with zero biases, seeded by the store's RNG).
//
// Variables live under scope/"layer_0" ... "layer_{L-1}" and scope/"output".
// Calling MLP several times with the same scope (e.g. several stages of an
// ODE step inside one graph) reuses the same weights.
//
// It panics (GoMLX style) if cfg is invalid (see MLPConfig.Validate), the
// shapes do not fit, or cfg.Classes > 0 (use MLPLabeled).
func MLP(scope *model.Scope, x, t *graph.Node, cfg MLPConfig) *graph.Node {
	return mlp(scope, x, t, nil, cfg)
}

// MLPLabeled is the class-conditional MLP f(x, t | y) (cfg.Classes > 0):
// MLP with the first layer's input [x, e(t) + l_y], where l_y is the learned
// embedding of y's row in a table of Classes+1 rows (LabelEmbedding, under
// scope/LabelScope; row Classes is the null label of the unconditional
// field). y is an integer vector [B], one label per row of x. Every other
// variable is MLP's. A scalar t is broadcast to the batch (the labels
// differ per row, so the time embedding cannot be folded into the first
// layer's bias as MLP does).
func MLPLabeled(scope *model.Scope, x, t, y *graph.Node, cfg MLPConfig) *graph.Node {
	if cfg.Classes < 1 {
		exceptions.Panicf("models.MLPLabeled: MLPConfig.Classes = %d; set the number of classes (or call MLP for an unconditional network)", cfg.Classes)
	}
	return mlp(scope, x, t, batchLabels(y, x, "models.MLPLabeled"), cfg)
}

func mlp(scope *model.Scope, x, t, y *graph.Node, cfg MLPConfig) *graph.Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	r := cfg.Resolved()
	if r.Classes > 0 && y == nil {
		exceptions.Panicf("models.MLP: MLPConfig.Classes = %d makes the network class-conditional: call MLPLabeled with the labels", r.Classes)
	}
	if x.Rank() != 2 {
		exceptions.Panicf("models.MLP: x must have shape [B, D], got %s", x.Shape())
	}
	if !x.DType().IsFloat() {
		exceptions.Panicf("models.MLP: x must be float, got %s", x.Shape())
	}
	b, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	dtype := x.DType()
	t = graph.ConvertDType(t, dtype)
	switch {
	case t.Rank() == 0:
	case t.Rank() == 1 && t.Shape().Dimensions[0] == b:
	case t.Rank() == 2 && t.Shape().Dimensions[0] == b && t.Shape().Dimensions[1] == 1:
		t = graph.Reshape(t, b)
	default:
		exceptions.Panicf("models.MLP: t must be a scalar or have shape [%d] or [%d, 1] (x is %s), got %s", b, b, x.Shape(), t.Shape())
	}
	if y != nil && t.Rank() == 0 {
		t = graph.BroadcastToDims(t, b)
	}
	if r.PlainOps {
		return plainMLP(scope, x, t, y, r)
	}
	act := activations[strings.ToLower(r.Activation)]
	fusable := act.ToBackend().Type != compute.ActivationNone
	fuse := r.FusedActivation && fusable
	// With one time for the batch (ODE solves, densities) the activation
	// goes into the product's epilogue (see denseEpilogue); training passes
	// a time per row and keeps nn.Dense's split, whose gradient is cheaper.
	epi := t.Rank() == 0 && fusable && epilogueSupported(x.Graph())
	layer := func(i int, h *graph.Node, emb *graph.Node) *graph.Node {
		if i == len(r.Hidden) {
			return firstOrDense(scope.At("output"), h, emb, d, activation.TypeNone, false)
		}
		if fuse || epi {
			return firstOrDense(scope.At("layer_%d", i), h, emb, r.Hidden[i], act, epi)
		}
		return activation.Apply(act, firstOrDense(scope.At("layer_%d", i), h, emb, r.Hidden[i], activation.TypeNone, false))
	}
	var h, emb *graph.Node
	if t.Rank() == 0 {
		// One time for the whole batch (what ODE solvers pass): embed it
		// once and fold it into the first layer's bias (see firstOrDense).
		h, emb = x, TimeEmbedding(t, r.Frequencies())
	} else {
		h = graph.Concatenate([]*graph.Node{x, timeLabelEmbedding(scope, t, y, r)}, 1)
	}
	for i := range len(r.Hidden) + 1 {
		h = layer(i, h, emb)
		emb = nil
	}
	return h
}

// timeLabelEmbedding is e(t) for times t [B], plus the label embedding l_y
// when labels y are given: the [B, E] conditioning input of the first layer.
func timeLabelEmbedding(scope *model.Scope, t, y *graph.Node, r MLPConfig) *graph.Node {
	emb := TimeEmbedding(t, r.Frequencies())
	if y == nil {
		return emb
	}
	return graph.Add(emb, LabelEmbedding(scope.At(LabelScope), y, r.Classes, r.TimeEmbedDim, emb.DType()))
}

// firstOrDense is denseLayer, except when emb (the time embedding [E] of
// a time shared by the batch) is given: then h holds the points alone and
// the layer is the first one, whose input is [h, emb]. With the weights
// W = [W_x; W_e] split by rows,
//
//	[h, emb] W + b = h W_x + (emb W_e + b),
//
// so the embedding enters as part of the bias, computed once per call
// instead of once per row (and the concatenation disappears). The
// variables are the same as denseLayer's on [h, emb].
func firstOrDense(scope *model.Scope, h, emb *graph.Node, out int, act activation.Type, epi bool) *graph.Node {
	if emb == nil {
		return denseLayer(scope, h, out, act, epi)
	}
	g := h.Graph()
	d, e := h.Shape().Dimensions[1], emb.Shape().Dimensions[0]
	w := scope.VariableWithShape("weights", shapes.Make(h.DType(), d+e, out)).NodeValue(g)
	bias := scope.VariableWithShape("biases", shapes.Make(h.DType(), out)).NodeValue(g)
	wx, we := cut(w, 0, 0, d), cut(w, 0, d, d+e)
	bias = graph.Add(bias, graph.Reshape(graph.MatMul(graph.Reshape(emb, 1, e), we), out))
	return applyDense(h, wx, bias, act, epi)
}

// Dense is h W + b with W [in, out] and b [out] the variables "weights"
// and "biases" in scope (in is h's last dimension; the scope's initializer
// sets them: GoMLX's default is He-normal weights and zero biases). It is the
// dense layer of every fmlib network: MLP, the classifier, nflow's
// conditioners.
func Dense(scope *model.Scope, h *graph.Node, out int) *graph.Node {
	return denseLayer(scope, h, out, activation.TypeNone, false)
}

// denseLayer is act(h W + b) with W [in, out] and b [out] variables in
// scope; epi puts the activation in the product's epilogue (denseEpilogue).
func denseLayer(scope *model.Scope, h *graph.Node, out int, act activation.Type, epi bool) *graph.Node {
	g := h.Graph()
	in := h.Shape().Dimensions[h.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(h.DType(), in, out)).NodeValue(g)
	bias := scope.VariableWithShape("biases", shapes.Make(h.DType(), out)).NodeValue(g)
	return applyDense(h, w, bias, act, epi)
}

// applyDense is act(h w + b): one nn.Dense, or denseEpilogue when epi.
func applyDense(h, w, b *graph.Node, act activation.Type, epi bool) *graph.Node {
	switch {
	case act == activation.TypeNone:
		return nn.Dense(h, w, b, compute.DenseLayoutInputOutputs)
	case epi:
		return denseEpilogue(h, w, b, act)
	}
	return nn.Dense(h, w, b, compute.DenseLayoutInputOutputs, act)
}

// plainMLP is MLP from plain graph ops (MLPConfig.PlainOps): every layer is
// act(h W + b) on [x, embed(t)], with the variables of the fused version.
func plainMLP(scope *model.Scope, x, t, y *graph.Node, r MLPConfig) *graph.Node {
	b, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	if t.Rank() == 0 {
		t = graph.BroadcastToDims(t, b)
	}
	h := graph.Concatenate([]*graph.Node{x, timeLabelEmbedding(scope, t, y, r)}, 1)
	name := strings.ToLower(r.Activation)
	for i, w := range r.Hidden {
		h = plainActivation(name, plainDense(scope.At("layer_%d", i), h, w))
	}
	return plainDense(scope.At("output"), h, d)
}

// plainDense is h W + b with denseLayer's variables, as a matrix product
// and an add.
func plainDense(scope *model.Scope, h *graph.Node, out int) *graph.Node {
	g := h.Graph()
	in := h.Shape().Dimensions[h.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(h.DType(), in, out)).NodeValue(g)
	bias := scope.VariableWithShape("biases", shapes.Make(h.DType(), out)).NodeValue(g)
	return graph.Add(graph.MatMul(h, w), graph.Reshape(bias, 1, out))
}

// plainActivation is the activation's formula in elementwise graph ops.
func plainActivation(name string, x *graph.Node) *graph.Node {
	switch name {
	case "silu":
		return graph.Mul(x, graph.Sigmoid(x))
	case "relu":
		return graph.Max(x, graph.ZerosLike(x))
	case "gelu":
		return graph.Mul(x, graph.MulScalar(graph.AddScalar(graph.Erf(graph.DivScalar(x, math.Sqrt2)), 1), 0.5))
	case "tanh":
		return graph.Tanh(x)
	case "selu":
		pos := graph.GreaterThan(x, graph.ZerosLike(x))
		return graph.MulScalar(graph.Where(pos, x, graph.MulScalar(graph.MinusOne(graph.Exp(x)), activation.SeluAlpha)), activation.SeluScale)
	}
	exceptions.Panicf("models.MLP: unknown activation %q; use one of %v", name, Activations())
	return nil
}
