package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Defaults used by UNetConfig fields left at their zero value.
const (
	// DefaultUNetPatch is the space-to-depth factor when UNetConfig.Patch is
	// 0: each 2x2 block of pixels becomes one position with 4x the channels
	// (28x28x1 -> 14x14x4), so the network runs at half the resolution. On
	// the pure-Go backend this is what makes a UNet on MNIST trainable in
	// minutes: every convolution costs a quarter of the full-resolution one.
	DefaultUNetPatch = 2

	// DefaultBaseChannels is the width of the first level when
	// UNetConfig.BaseChannels is 0.
	DefaultBaseChannels = 32

	// DefaultResBlocks is the number of residual blocks per level and path
	// when UNetConfig.ResBlocks is 0.
	DefaultResBlocks = 1

	// DefaultGroups is the number of GroupNorm groups when
	// UNetConfig.Groups is 0. It must divide every level's width.
	DefaultGroups = 8
)

// DefaultChannelMult are the per-level width multipliers used when
// UNetConfig.ChannelMult is nil: two levels, the second at half the
// resolution and twice the width.
var DefaultChannelMult = []int{1, 2}

// UNetConfig configures UNet. Height, Width and Channels are required; every
// other zero-valued field means its documented default. The zero-default
// network for 28x28x1 images (MNIST) runs at 14x14 (Patch 2) with 32
// channels and at 7x7 with 64 channels, one residual block per level.
type UNetConfig struct {
	// Height, Width and Channels describe the images; the network's input
	// and output rows have D = Height*Width*Channels values in row-major
	// (height, width, channel) order, channels last: a 28x28 grey image is
	// the 784 pixels row by row, a 32x32 RGB image is r,g,b of pixel (0,0),
	// then of pixel (0,1), and so on.
	Height, Width, Channels int

	// Patch is the space-to-depth factor p applied at the input (and undone
	// at the output): each p x p block of pixels becomes one position with
	// p*p*Channels channels. 0 means DefaultUNetPatch (2); 1 runs the
	// network at the full resolution (about 4x slower). Height and Width
	// must be divisible by Patch.
	Patch int

	// BaseChannels is the width of the first level; 0 means
	// DefaultBaseChannels (32).
	BaseChannels int

	// ChannelMult has one entry per resolution level: level l has
	// BaseChannels*ChannelMult[l] channels and runs at 1/2^l of the
	// (patched) resolution, so every entry after the first adds one 2x2
	// average-pool downsampling. nil means DefaultChannelMult ({1, 2}).
	ChannelMult []int

	// ResBlocks is the number of residual blocks per level on each of the
	// down and up paths; 0 means DefaultResBlocks (1).
	ResBlocks int

	// Attention adds a single-head self-attention block (over the h*w
	// positions) in the middle of the network, at the lowest resolution.
	Attention bool

	// Groups is the number of GroupNorm groups; 0 means DefaultGroups (8).
	// It must divide BaseChannels*ChannelMult[l] for every level.
	Groups int

	// TimeEmbedDim, MinFreq and MaxFreq configure the sinusoidal time
	// embedding exactly as in MLPConfig (0 means DefaultTimeEmbedDim = 64,
	// DefaultMinFreq = 1, DefaultMaxFreq = 100); see TimeEmbedding.
	TimeEmbedDim     int
	MinFreq, MaxFreq float64

	// TimeHidden is the width of the time MLP that maps the embedding to
	// the conditioning vector every residual block projects from; 0 means
	// 4*BaseChannels.
	TimeHidden int

	// Classes, when > 0, makes the network class-conditional (UNetLabeled):
	// a learned embedding of the label, one of Classes classes or the null
	// label Classes, is added to the sinusoidal time embedding before the
	// time MLP. 0: unconditional (UNet). Left out of JSON when 0, so the
	// records of unconditional set-ups do not change.
	Classes int `json:",omitempty"`
}

// Resolved returns a copy of c with every zero-valued field replaced by its
// default. It does not validate.
func (c UNetConfig) Resolved() UNetConfig {
	r := c
	if r.Patch == 0 {
		r.Patch = DefaultUNetPatch
	}
	if r.BaseChannels == 0 {
		r.BaseChannels = DefaultBaseChannels
	}
	if r.ChannelMult == nil {
		r.ChannelMult = slices.Clone(DefaultChannelMult)
	} else {
		r.ChannelMult = slices.Clone(c.ChannelMult)
	}
	if r.ResBlocks == 0 {
		r.ResBlocks = DefaultResBlocks
	}
	if r.Groups == 0 {
		r.Groups = DefaultGroups
	}
	tc := c.timeConfig().Resolved() // the time-embedding defaults live in MLPConfig
	r.TimeEmbedDim, r.MinFreq, r.MaxFreq = tc.TimeEmbedDim, tc.MinFreq, tc.MaxFreq
	if r.TimeHidden == 0 {
		r.TimeHidden = 4 * r.BaseChannels
	}
	return r
}

// Dim is the number of values per image, Height*Width*Channels: the width of
// UNet's input and output rows.
func (c UNetConfig) Dim() int { return c.Height * c.Width * c.Channels }

// timeConfig is the MLPConfig that carries the time-embedding settings, to
// share MLPConfig's validation and frequencies.
func (c UNetConfig) timeConfig() MLPConfig {
	return MLPConfig{TimeEmbedDim: c.TimeEmbedDim, MinFreq: c.MinFreq, MaxFreq: c.MaxFreq}
}

// Frequencies returns the angular frequencies of the time embedding (see
// MLPConfig.Frequencies).
func (c UNetConfig) Frequencies() []float64 { return c.Resolved().timeConfig().Frequencies() }

// Validate reports the first invalid setting of c (after defaults are
// applied), saying what to change.
func (c UNetConfig) Validate() error {
	if c.Height <= 0 || c.Width <= 0 || c.Channels <= 0 {
		return fmt.Errorf("models: UNetConfig Height = %d, Width = %d, Channels = %d; all three are required and must be positive (e.g. 28, 28, 1 for MNIST; 32, 32, 3 for CIFAR-10)",
			c.Height, c.Width, c.Channels)
	}
	r := c.Resolved()
	if r.Patch < 1 {
		return fmt.Errorf("models: UNetConfig.Patch = %d; it must be >= 1 (1 = no space-to-depth), or 0 for the default %d", c.Patch, DefaultUNetPatch)
	}
	if r.Height%r.Patch != 0 || r.Width%r.Patch != 0 {
		return fmt.Errorf("models: UNetConfig.Patch = %d does not divide the image size %dx%d; use a Patch that divides both Height and Width (Patch: 1 always works)",
			r.Patch, r.Height, r.Width)
	}
	if r.BaseChannels < 1 {
		return fmt.Errorf("models: UNetConfig.BaseChannels = %d; it must be positive (e.g. 32), or 0 for the default %d", c.BaseChannels, DefaultBaseChannels)
	}
	if len(r.ChannelMult) == 0 {
		return fmt.Errorf("models: UNetConfig.ChannelMult is empty; give one multiplier per resolution level, e.g. []int{1, 2}, or nil for that default")
	}
	for i, m := range r.ChannelMult {
		if m < 1 {
			return fmt.Errorf("models: UNetConfig.ChannelMult[%d] = %d; multipliers must be positive (e.g. []int{1, 2})", i, m)
		}
	}
	h, w := r.Height/r.Patch, r.Width/r.Patch
	if f := 1 << (len(r.ChannelMult) - 1); h%f != 0 || w%f != 0 {
		return fmt.Errorf("models: UNetConfig has %d levels, i.e. %d halvings of the %dx%d grid (the %dx%d image after Patch %d), which %d does not divide; use fewer levels (shorter ChannelMult) or a smaller Patch",
			len(r.ChannelMult), len(r.ChannelMult)-1, h, w, r.Height, r.Width, r.Patch, f)
	}
	if r.ResBlocks < 1 {
		return fmt.Errorf("models: UNetConfig.ResBlocks = %d; it must be >= 1, or 0 for the default %d", c.ResBlocks, DefaultResBlocks)
	}
	if r.Groups < 1 {
		return fmt.Errorf("models: UNetConfig.Groups = %d; it must be >= 1 (1 = LayerNorm over channels and positions), or 0 for the default %d", c.Groups, DefaultGroups)
	}
	for i, m := range r.ChannelMult {
		if ch := r.BaseChannels * m; ch%r.Groups != 0 {
			return fmt.Errorf("models: UNetConfig.Groups = %d does not divide the %d channels of level %d (BaseChannels %d x ChannelMult[%d] %d); choose Groups dividing every level's width",
				r.Groups, ch, i, r.BaseChannels, i, m)
		}
	}
	if err := r.timeConfig().Validate(); err != nil {
		return err
	}
	if r.TimeHidden < 1 {
		return fmt.Errorf("models: UNetConfig.TimeHidden = %d; it must be positive, or 0 for 4*BaseChannels", c.TimeHidden)
	}
	return checkClasses("UNetConfig", r.Classes)
}

// unetPlan is the resolved architecture: the widths of every block, in build
// order. NumParams and UNet both walk it, so they cannot disagree.
type unetPlan struct {
	cfg        UNetConfig // resolved
	inCh       int        // Channels*Patch^2: the width of the patched image
	levels     []int      // widths per level
	tdim, temb int        // time MLP width, sinusoidal embedding width
}

func (c UNetConfig) plan() unetPlan {
	r := c.Resolved()
	p := unetPlan{cfg: r, inCh: r.Channels * r.Patch * r.Patch, tdim: r.TimeHidden, temb: r.TimeEmbedDim}
	for _, m := range r.ChannelMult {
		p.levels = append(p.levels, r.BaseChannels*m)
	}
	return p
}

// unetVisitor receives the blocks of the network from unetPlan.walk; nil
// fields are skipped.
type unetVisitor struct {
	conv3    func(name string, in, out int, zeroInit bool)
	res      func(name string, in, out int)
	attn     func(name string, ch int)
	down     func()
	up       func()
	norm     func(name string, ch int)
	pushSkip func()
	popSkip  func()
}

// walk calls the visitor for every block of the network in build order,
// with the channel counts the block sees.
func (p unetPlan) walk(v unetVisitor) {
	call := func(f func()) {
		if f != nil {
			f()
		}
	}
	conv3 := func(name string, in, out int, zeroInit bool) {
		if v.conv3 != nil {
			v.conv3(name, in, out, zeroInit)
		}
	}
	res := func(name string, in, out int) {
		if v.res != nil {
			v.res(name, in, out)
		}
	}
	r := p.cfg
	base := p.levels[0]
	conv3("input", p.inCh, base, false)
	ch := base
	for l, lc := range p.levels {
		for i := range r.ResBlocks {
			res(fmt.Sprintf("down_%d_%d", l, i), ch, lc)
			ch = lc
		}
		call(v.pushSkip)
		if l+1 < len(p.levels) {
			call(v.down)
		}
	}
	if r.Attention && v.attn != nil {
		v.attn("mid_attention", ch)
	}
	res("mid", ch, ch)
	for l := len(p.levels) - 1; l >= 0; l-- {
		lc := p.levels[l]
		call(v.popSkip)
		ch += lc // concatenated skip
		for i := range r.ResBlocks {
			res(fmt.Sprintf("up_%d_%d", l, i), ch, lc)
			ch = lc
		}
		if l > 0 {
			call(v.up)
			conv3(fmt.Sprintf("upsample_%d", l), ch, p.levels[l-1], false)
			ch = p.levels[l-1]
		}
	}
	if v.norm != nil {
		v.norm("output_norm", ch)
	}
	conv3("output", ch, p.inCh, true)
}

// NumParams is the number of trainable scalars of the UNet:
//
//	time MLP         E*T + T + T*T + T                  (E = TimeEmbedDim, T = TimeHidden)
//	label embedding  (Classes+1)*E                      (conditional networks only)
//	conv3x3 a -> b   9*a*b + b
//	GroupNorm on c   2*c                                 (scale and offset)
//	residual block   norm(a) + conv(a->b) + (T*b + b) + norm(b) + conv(b->b) [+ a*b if a != b]
//	attention on c   norm(c) + (c*3c + 3c) + (c*c + c)
//
// summed over the blocks listed in UNet's documentation. It returns an error
// if c is invalid.
func (c UNetConfig) NumParams() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	p := c.plan()
	n := p.temb*p.tdim + p.tdim + p.tdim*p.tdim + p.tdim
	if p.cfg.Classes > 0 {
		n += (p.cfg.Classes + 1) * p.temb
	}
	conv := func(a, b int) int { return 9*a*b + b }
	norm := func(a int) int { return 2 * a }
	p.walk(unetVisitor{
		conv3: func(_ string, a, b int, _ bool) { n += conv(a, b) },
		res: func(_ string, a, b int) {
			n += norm(a) + conv(a, b) + p.tdim*b + b + norm(b) + conv(b, b)
			if a != b {
				n += a * b // 1x1 skip, no bias
			}
		},
		attn: func(_ string, ch int) { n += norm(ch) + ch*3*ch + 3*ch + ch*ch + ch },
		norm: func(_ string, ch int) { n += norm(ch) },
	})
	return n, nil
}

// UNet is a time-conditioned convolutional U-Net f(x, t) for images, with
// the same calling convention as MLP: x has shape [B, D] with D =
// Height*Width*Channels (rows of channels-last pixels, see UNetConfig), t
// is a scalar or has shape [B] or [B, 1], and the result has x's shape and
// dtype. See the package documentation for the architecture.
//
// The final convolution is zero-initialised, so a freshly built UNet
// returns exactly 0 (the usual start for velocity / noise predictors). Other
// weights use the scope's initializer (GoMLX's default: He-normal, seeded by
// the store's RNG); biases and GroupNorm offsets start at 0 and GroupNorm
// scales at 1.
//
// Variables live under scope/"time_0", "time_1" (time MLP), "time_proj"
// (the time projections of all residual blocks, side by side), "input",
// "down_<level>_<i>", "mid_attention", "mid", "up_<level>_<i>",
// "upsample_<level>", "output_norm" and "output". Calling UNet several times
// with the same scope reuses the weights.
//
// It panics (GoMLX style) if cfg is invalid (see UNetConfig.Validate), x
// and t do not fit it, or cfg.Classes > 0 (use UNetLabeled).
func UNet(scope *model.Scope, x, t *graph.Node, cfg UNetConfig) *graph.Node {
	return unet(scope, x, t, nil, cfg)
}

// UNetLabeled is the class-conditional U-Net f(x, t | y) (cfg.Classes > 0):
// UNet with the time MLP's input e(t) + l_y, where l_y is the learned
// embedding of y's row in a table of Classes+1 rows (LabelEmbedding, under
// scope/LabelScope; row Classes is the null label of the unconditional
// field). y is an integer vector [B], one label per row of x. Every other
// variable is UNet's, and every residual block sees the label through the
// time conditioning c.
func UNetLabeled(scope *model.Scope, x, t, y *graph.Node, cfg UNetConfig) *graph.Node {
	if cfg.Classes < 1 {
		exceptions.Panicf("models.UNetLabeled: UNetConfig.Classes = %d; set the number of classes (or call UNet for an unconditional network)", cfg.Classes)
	}
	if x.Rank() != 2 {
		exceptions.Panicf("models.UNetLabeled: x must have shape [B, D], got %s", x.Shape())
	}
	return unet(scope, x, t, batchLabels(y, x, "models.UNetLabeled"), cfg)
}

func unet(scope *model.Scope, x, t, y *graph.Node, cfg UNetConfig) *graph.Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	p := cfg.plan()
	r := p.cfg
	if r.Classes > 0 && y == nil {
		exceptions.Panicf("models.UNet: UNetConfig.Classes = %d makes the network class-conditional: call UNetLabeled with the labels", r.Classes)
	}
	if x.Rank() != 2 || x.Shape().Dimensions[1] != r.Dim() {
		exceptions.Panicf("models.UNet: x must have shape [B, %d] (Height %d x Width %d x Channels %d), got %s",
			r.Dim(), r.Height, r.Width, r.Channels, x.Shape())
	}
	if !x.DType().IsFloat() {
		exceptions.Panicf("models.UNet: x must be float, got %s", x.Shape())
	}
	t = batchTimes(t, x, "models.UNet")

	// Time conditioning: e = silu(MLP(embed(t))) as [T, B], and from it every
	// residual block's projection, computed as one product.
	emb := TimeEmbedding(t, r.timeConfig().Frequencies()) // [B, E]
	if y != nil {
		emb = graph.Add(emb, LabelEmbedding(scope.At(LabelScope), y, r.Classes, p.temb, emb.DType()))
	}
	emb = graph.Transpose(emb, 0, 1) // [E, B]
	emb = activation.Swish(denseCN(scope.At("time_0"), emb, p.tdim))
	emb = activation.Swish(denseCN(scope.At("time_1"), emb, p.tdim)) // [T, B]
	var projWidths []int
	p.walk(unetVisitor{res: func(_ string, _, out int) { projWidths = append(projWidths, out) }})
	proj := denseCN(scope.At("time_proj"), emb, sumInts(projWidths)) // [sum out, B]
	projOffset := 0
	nextProj := func(out int) *graph.Node {
		pr := cut(proj, 0, projOffset, projOffset+out)
		projOffset += out
		return pr // [out, B]
	}

	h := patchify(x, r.Height, r.Width, r.Channels, r.Patch) // [inCh, B, h, w]
	var skips []*graph.Node
	p.walk(unetVisitor{
		conv3: func(name string, _, out int, zeroInit bool) { h = conv3x3(scope.At("%s", name), h, out, zeroInit) },
		res: func(name string, _, out int) {
			h = resBlock(scope.At("%s", name), h, nextProj(out), out, r.Groups)
		},
		attn: func(name string, _ int) { h = attentionBlock(scope.At("%s", name), h, r.Groups) },
		down: func() { h = avgPool2(h) },
		up:   func() { h = upsampleNearest2(h) },
		norm: func(name string, _ int) {
			h = activation.Swish(groupNorm(scope.At("%s", name), h, nil, r.Groups))
		},
		pushSkip: func() { skips = append(skips, h) },
		popSkip: func() {
			s := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			h = concatCut([]*graph.Node{h, s}, 0)
		},
	})
	return unpatchify(h, r.Height, r.Width, r.Channels, r.Patch)
}

func sumInts(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// batchTimes converts t (scalar, [B] or [B, 1]) to a [B] tensor of x's
// dtype, where x is [B, D].
func batchTimes(t, x *graph.Node, who string) *graph.Node {
	b := x.Shape().Dimensions[0]
	t = graph.ConvertDType(t, x.DType())
	switch {
	case t.Rank() == 0:
		return graph.BroadcastToDims(t, b)
	case t.Rank() == 1 && t.Shape().Dimensions[0] == b:
		return t
	case t.Rank() == 2 && t.Shape().Dimensions[0] == b && t.Shape().Dimensions[1] == 1:
		return graph.Reshape(t, b)
	}
	exceptions.Panicf("%s: t must be a scalar or have shape [%d] or [%d, 1] (x is %s), got %s", who, b, b, x.Shape(), t.Shape())
	return nil
}

// Internally feature maps are laid out channels-first and batch-second,
// [C, B, H, W] ("CBHW"): a 3x3 convolution is then one matrix product
// W[3*Cout, 3*C] . X3[3*C, B*H*W] whose two gradients are plain matrix
// products as well (see matmulCN), and concatenating skip connections along
// channels copies whole contiguous blocks.

// patchify maps x [B, H*W*C] to [p*p*C, B, H/p, W/p]: channel index
// (py*p + px)*C + c holds pixel (y*p + py, x*p + px), channel c.
func patchify(x *graph.Node, height, width, channels, p int) *graph.Node {
	b := x.Shape().Dimensions[0]
	h, w := height/p, width/p
	x = graph.Reshape(x, b, h, p, w, p, channels)
	x = graph.TransposeAllAxes(x, 2, 4, 5, 0, 1, 3) // [py, px, c, B, h, w]
	return graph.Reshape(x, p*p*channels, b, h, w)
}

// unpatchify inverts patchify: [p*p*C, B, H/p, W/p] -> [B, H*W*C].
func unpatchify(y *graph.Node, height, width, channels, p int) *graph.Node {
	b := y.Shape().Dimensions[1]
	h, w := height/p, width/p
	y = graph.Reshape(y, p, p, channels, b, h, w)
	y = graph.TransposeAllAxes(y, 3, 4, 0, 5, 1, 2) // [B, h, py, w, px, c]
	return graph.Reshape(y, b, height*width*channels)
}

// Matrix products and the pure-Go backend.
//
// Until compute v0.1.14 the backend could hang when as many independent
// products as its worker pool had slots started at once (each waited for a
// free worker that none released), so every product here used to wait for
// the previous one behind a scheduling barrier. Since v0.1.14 the backend
// runs a graph's ops on fewer executors than the pool has workers, which
// always leaves a worker for a product's own fan-out; the barriers (and
// the copies they caused) are gone, and backend.GoConfig no longer forces
// sequential execution (see its doc for the stress run that checked it).

// matmulCN is w [M, K] . x [K, ...] -> [M, ...] (contracting x's first
// axis), with hand-written gradients
//
//	dL/dx = w^T v    as DotGeneral(w^T, v): a small transpose, then a plain product
//	dL/dw = v x^T    as DotGeneral(v, x) contracting all but the first axes
//
// for the adjoint v. GoMLX's generic gradient for x contracts v's first
// axis, which the pure-Go backend runs by transposing v and transposing the
// result back: two copies of large tensors per layer.
//
// The adjoint is captured by an identity on the output, whose gradient
// runs before those of the identities on w and x (reverse mode visits nodes
// from the output back); the generic gradients GoMLX also builds for the
// product are then unused, and the backend drops them.
func matmulCN(w, x *graph.Node) *graph.Node {
	rest := make([]int, x.Rank()-1)
	for i := range rest {
		rest[i] = i + 1
	}
	// The gradients use the identities' outputs ww and xx, not w and x: an
	// op whose input has other pending consumers copies it in the pure-Go
	// backend. ww is created first so that xx's gradient is built first.
	var adjoint, ww, xx *graph.Node
	ww = graph.IdentityWithCustomGradient(w, func(_, _ *graph.Node) *graph.Node {
		return graph.DotGeneral(adjoint, rest, nil, xx, rest, nil)
	})
	xx = graph.IdentityWithCustomGradient(x, func(_, _ *graph.Node) *graph.Node {
		return graph.DotGeneral(graph.Transpose(ww, 0, 1), []int{1}, nil, adjoint, []int{0}, nil)
	})
	y := graph.DotGeneral(ww, []int{1}, nil, xx, []int{0}, nil)
	return graph.IdentityWithCustomGradient(y, func(_, v *graph.Node) *graph.Node {
		adjoint = v
		return v
	})
}

// batchMatmul is a [B, M, K] . c [B, K, N] -> [B, M, N], with
// the gradients v c^T and a^T v built as products in the layouts the
// backend runs without copies (as matmulCN).
func batchMatmul(a, c *graph.Node) *graph.Node {
	var adjoint, aa, cc *graph.Node
	aa = graph.IdentityWithCustomGradient(a, func(_, _ *graph.Node) *graph.Node {
		return graph.DotGeneral(adjoint, []int{2}, []int{0}, cc, []int{2}, []int{0})
	})
	cc = graph.IdentityWithCustomGradient(c, func(_, _ *graph.Node) *graph.Node {
		return graph.DotGeneral(graph.Transpose(aa, 1, 2), []int{2}, []int{0}, adjoint, []int{1}, []int{0})
	})
	y := graph.DotGeneral(aa, []int{2}, []int{0}, cc, []int{1}, []int{0})
	return graph.IdentityWithCustomGradient(y, func(_, v *graph.Node) *graph.Node {
		adjoint = v
		return v
	})
}

// denseCN is W^T x + b on x [in, N] (features first), with W [in, out] and
// b [out] variables in scope (GoMLX's dense layout and initializer):
// [in, N] -> [out, N].
func denseCN(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	in := x.Shape().Dimensions[0]
	weights := scope.VariableWithShape("weights", shapes.Make(dtype, in, out)).NodeValue(g)
	bias := scope.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dtype, out)).NodeValue(g)
	y := matmulCN(graph.Transpose(weights, 0, 1), x)
	return graph.Add(y, graph.Reshape(bias, append([]int{out}, onesDims(x.Rank()-1)...)...))
}

func onesDims(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// conv3x3 is a 3x3 convolution with zero padding ("same" size) and a bias on
// a [C, B, H, W] map, giving [out, B, H, W]. The kernel variable has GoMLX's
// layout [3, 3, C, out] (so the default initializer sees fan-in 9*C); with
// zeroInit it starts at 0.
func conv3x3(scope *model.Scope, x *graph.Node, out int, zeroInit bool) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	c := x.Shape().Dimensions[0]
	wScope := scope
	if zeroInit {
		wScope = scope.WithInitializer(initializer.Zero)
	}
	kernel := wScope.VariableWithShape("weights", shapes.Make(dtype, 3, 3, c, out)).NodeValue(g)
	bias := scope.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dtype, out)).NodeValue(g)
	return conv3x3Apply(x, kernel, bias)
}

// conv3x3Apply is conv3x3 with the kernel K [3, 3, C, out] and bias [out]
// given. Rather than copying the input nine times (im2col), it shifts the
// input horizontally (3 copies stacked along channels, plus a row of ones
// that carries the bias: X3 [3C+1, N]), multiplies once by the kernel
// rearranged as [3*out, 3C+1] (one row block per kernel row), and adds the
// three row blocks of the product shifted vertically:
//
//	Z[ky, o, i, j] = sum_{kx, c} K[ky, kx, c, o] x[c, i, j+kx-1]  (+ b[o] for ky = 1)
//	y[o, i, j]     = sum_{ky} Z[ky, o, i+ky-1, j]                 (zero outside the image)
//
// which is the same cross-correlation as GoMLX's Convolve with PadSame, with
// a third of the data movement.
//
// The gradients are written by hand (captured as in matmulCN): with the
// adjoint v of y, dZ stacks v[i+1], v[i] and v[i-1] (the adjoints of the
// vertical shifts); the kernel
// gradient is dZ X3^T; the input gradient is the sum of the three
// [C, out]-blocks' products km_kx^T dZ, shifted back horizontally. GoMLX's
// generic gradient of the same graph would slice and pad the stacked
// tensors piece by piece, which on the pure-Go backend costs more than the
// products.
func conv3x3Apply(x, kernel, bias *graph.Node) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	dims := x.Shape().Dimensions
	c, b, h, w := dims[0], dims[1], dims[2], dims[3]
	n := b * h * w
	out := kernel.Shape().Dimensions[3]

	// km[ky*out + o, kx*c + ci] = K[ky, kx, ci, o]; last column: bias in the ky = 1 block.
	km := graph.Reshape(graph.TransposeAllAxes(kernel, 0, 3, 1, 2), 3*out, 3*c)
	zb := graph.Zeros(g, shapes.Make(dtype, out))
	biasCol := graph.Reshape(graph.Concatenate([]*graph.Node{zb, bias, zb}, 0), 3*out, 1)
	km = graph.Concatenate([]*graph.Node{km, biasCol}, 1) // [3out, 3c+1]

	var adjoint, dz, kk, xx, x3 *graph.Node
	// dZ = [v[i+1]; v[i]; v[i-1]] as [3out, N] (the adjoints of the three
	// vertical shifts), built once for both gradients.
	getDZ := func() *graph.Node {
		if dz == nil {
			v := graph.Reshape(adjoint, 1, out, b, h, w)
			dz = graph.Concatenate([]*graph.Node{shiftRows(v, +1), v, shiftRows(v, -1)}, 0)
			dz = graph.Reshape(dz, 3*out, n)
		}
		return dz
	}
	// kk is created before xx, so reverse mode visits xx's gradient first:
	// the kernel gradient then reads dZ after the input-gradient products
	// are done with it.
	kk = graph.IdentityWithCustomGradient(km, func(_, _ *graph.Node) *graph.Node {
		return graph.DotGeneral(getDZ(), []int{1}, nil, x3, []int{1}, nil) // [3out, 3c+1]
	})
	xx = graph.IdentityWithCustomGradient(x, func(_, _ *graph.Node) *graph.Node {
		var parts [3]*graph.Node
		for kx := range 3 {
			blk := cut(kk, 1, kx*c, (kx+1)*c) // [3out, c]
			p := graph.DotGeneral(graph.Transpose(blk, 0, 1), []int{1}, nil, getDZ(), []int{0}, nil)
			parts[kx] = graph.Reshape(p, c, b, h, w)
		}
		// X3 holds x shifted right (kx = 0) and left (kx = 2): the adjoints shift back.
		return graph.Add(graph.Add(shiftCols(parts[0], +1), parts[1]), shiftCols(parts[2], -1))
	})

	// Forward.
	ones := graph.Ones(g, shapes.Make(dtype, 1, b, h, w))
	x3 = graph.Concatenate([]*graph.Node{shiftCols(xx, -1), xx, shiftCols(xx, +1), ones}, 0)
	x3 = graph.Reshape(x3, 3*c+1, n)
	z := graph.DotGeneral(kk, []int{1}, nil, x3, []int{0}, nil) // [3out, N]
	z = graph.Reshape(z, 3, out, b, h, w)
	y := cut(z, 0, 1, 2)
	if h > 1 {
		// Block ky = 0 moved down a row and block ky = 2 moved up, each cut
		// out of z and shifted by one Pad.
		above := padEdges(z, []compute.PadAxis{{Start: 0, End: -2}, {}, {}, {Start: 1, End: -1}, {}})
		below := padEdges(z, []compute.PadAxis{{Start: -2, End: 0}, {}, {}, {Start: -1, End: 1}, {}})
		y = graph.Add(graph.Add(y, above), below)
	}
	y = graph.Reshape(y, out, b, h, w)
	return graph.IdentityWithCustomGradient(y, func(_, v *graph.Node) *graph.Node {
		adjoint = v
		dz = nil
		return v
	})
}

// shiftCols returns u with u[..., j] = x[..., j+d] (d = -1 or +1) along the
// last axis, zero where j+d falls outside (see shiftAxis).
func shiftCols(x *graph.Node, d int) *graph.Node {
	return shiftAxis(x, x.Rank()-1, d)
}

// shiftRows is shiftCols along the second-to-last axis (image rows).
func shiftRows(x *graph.Node, d int) *graph.Node {
	return shiftAxis(x, x.Rank()-2, d)
}

// conv1x1 is a per-position linear map without bias (it feeds a sum that
// has one), [C, B, H, W] -> [out, B, H, W], with a [C, out] weight (GoMLX's
// dense layout).
func conv1x1(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	c := x.Shape().Dimensions[0]
	weights := scope.VariableWithShape("weights", shapes.Make(x.DType(), c, out)).NodeValue(x.Graph())
	return matmulCN(graph.Transpose(weights, 0, 1), x)
}

// groupNorm normalises x + shift per image over each group of C/G channels
// and all positions, then applies a per-channel affine map:
//
//	u = x + shift;  y = (u - mean) / sqrt(var + 1e-5) * (1 + scale) + offset
//
// with scale and offset variables of shape [C] starting at 0. x is
// [C, B, H, W]; shift is nil or [C, B] (a per-channel, per-image constant,
// such as a residual block's bias plus time projection), folded into the
// statistics and the final offset so that u is never formed. The
// statistics come from per-channel sums S1 = sum_hw x and S2 = sum_hw x^2
// ([C, B], then summed per group), the variance as E[u^2] - mean^2
// (clamped at 0): feature maps here are O(1), far from where float32
// cancellation matters. The big tensor is only read by the two sums and
// the final y = x * a + b, with a and b of shape [C, B].
func groupNorm(scope *model.Scope, x, shift *graph.Node, groups int) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	dims := x.Shape().Dimensions
	c, b, hw := dims[0], dims[1], dims[2]*dims[3]
	zs := scope.WithInitializer(initializer.Zero)
	scale := zs.VariableWithShape("scale", shapes.Make(dtype, c)).NodeValue(g)
	offset := zs.VariableWithShape("offset", shapes.Make(dtype, c)).NodeValue(g)

	s1 := graph.ReduceSum(x, 2, 3)               // [C, B]
	s2 := graph.ReduceSum(graph.Square(x), 2, 3) // [C, B]
	if shift != nil {
		// sum (x+p) = S1 + hw p;  sum (x+p)^2 = S2 + 2 p S1 + hw p^2.
		s2 = graph.Add(s2, graph.Add(graph.MulScalar(graph.Mul(shift, s1), 2), graph.MulScalar(graph.Square(shift), float64(hw))))
		s1 = graph.Add(s1, graph.MulScalar(shift, float64(hw)))
	}
	cg := c / groups
	inv := 1.0 / float64(cg*hw)
	mean := graph.MulScalar(graph.ReduceSum(graph.Reshape(s1, groups, cg, b), 1), inv)   // [G, B]
	meanSq := graph.MulScalar(graph.ReduceSum(graph.Reshape(s2, groups, cg, b), 1), inv) // [G, B]
	variance := graph.Max(graph.Sub(meanSq, graph.Square(mean)), graph.ScalarZero(g, dtype))
	rstd := graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, 1e-5))) // [G, B] (Rsqrt has no gradient in GoMLX)
	// y = u * a + bb = x * a + (bb + shift * a), with a = rstd (1 + scale)
	// and bb = offset - mean * a, all [C, B].
	gain := graph.Reshape(graph.OnePlus(scale), groups, cg, 1)
	a := graph.Reshape(graph.Mul(graph.Reshape(rstd, groups, 1, b), gain), c, b)
	meanC := graph.Reshape(graph.BroadcastToDims(graph.Reshape(mean, groups, 1, b), groups, cg, b), c, b)
	bb := graph.Sub(graph.Reshape(offset, c, 1), graph.Mul(meanC, a))
	if shift != nil {
		bb = graph.Add(bb, graph.Mul(shift, a))
	}
	return graph.Add(graph.Mul(x, graph.Reshape(a, c, b, 1, 1)), graph.Reshape(bb, c, b, 1, 1))
}

// resBlock is the pre-activation residual block
//
//	h = conv3x3(silu(norm(x))) + p;  y = skip(x) + conv3x3(silu(norm(h)))
//
// where p [out, B] is the block's projection of the time conditioning
// and skip is the identity when the width does not change and a 1x1
// convolution otherwise.
func resBlock(scope *model.Scope, x, p *graph.Node, out, groups int) *graph.Node {
	c := x.Shape().Dimensions[0]
	h := activation.Swish(groupNorm(scope.At("norm_0"), x, nil, groups))
	h = conv3x3(scope.At("conv_0"), h, out, false)
	h = activation.Swish(groupNorm(scope.At("norm_1"), h, p, groups))
	h = conv3x3(scope.At("conv_1"), h, out, false)
	skip := x
	if c != out {
		skip = conv1x1(scope.At("skip"), x, out)
	}
	return graph.Add(skip, h)
}

// attentionBlock is single-head self-attention over the h*w positions of
// each image, with a residual connection:
//
//	u = norm(x);  q, k, v = Wq^T u, Wk^T u, Wv^T u;  y = x + Wo^T (v softmax(q^T k / sqrt(C))^T)
func attentionBlock(scope *model.Scope, x *graph.Node, groups int) *graph.Node {
	dims := x.Shape().Dimensions
	c, b, h, w := dims[0], dims[1], dims[2], dims[3]
	u := groupNorm(scope.At("norm"), x, nil, groups)
	qkv := denseCN(scope.At("qkv"), u, 3*c) // [3C, B, h, w]
	qkv = graph.TransposeAllAxes(graph.Reshape(qkv, 3, c, b, h*w), 0, 2, 3, 1)
	q := graph.Reshape(cut(qkv, 0, 0, 1), b, h*w, c)
	k := graph.Reshape(cut(qkv, 0, 1, 2), b, h*w, c)
	v := graph.Reshape(cut(qkv, 0, 2, 3), b, h*w, c)
	scores := batchMatmul(q, graph.Transpose(k, 1, 2)) // [B, hw, hw]
	att := graph.Softmax(graph.MulScalar(scores, 1/math.Sqrt(float64(c))), -1)
	o := batchMatmul(att, v)                                          // [B, hw, C]
	o = graph.Reshape(graph.TransposeAllAxes(o, 2, 0, 1), c, b, h, w) // [C, B, h, w]
	return graph.Add(x, denseCN(scope.At("out"), o, c))
}

// avgPool2 averages 2x2 blocks: [C, B, H, W] -> [C, B, H/2, W/2].
func avgPool2(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	c, b, h, w := dims[0], dims[1], dims[2], dims[3]
	x = graph.Reshape(x, c, b, h/2, 2, w/2, 2)
	return graph.MulScalar(graph.ReduceSum(x, 3, 5), 0.25)
}

// upsampleNearest2 repeats every position 2x2: [C, B, H, W] -> [C, B, 2H, 2W].
func upsampleNearest2(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	c, b, h, w := dims[0], dims[1], dims[2], dims[3]
	x = graph.Reshape(x, c, b, h, 1, w, 1)
	x = graph.BroadcastToDims(x, c, b, h, 2, w, 2)
	return graph.Reshape(x, c, b, 2*h, 2*w)
}
