package guidance

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Condition is what a class-conditional model is asked for: labels and a
// guidance scale.
type Condition struct {
	// Labels holds one label for every row of a batch (length 1) or one
	// label per row (length B, the batch the field is then called with).
	// A label is a class 0..K-1 or the null label K (the number of
	// classes): the unconditional field.
	Labels []int
	// Scale is the guidance scale w >= 0 of v_w = (1 + w) u(x | y) - w u(x)
	// (see the package documentation; 0: the conditional model).
	Scale float64
}

// Label is the Condition of one label y for every row with guidance scale w.
func Label(y int, w float64) Condition { return Condition{Labels: []int{y}, Scale: w} }

// Check reports what is wrong with c for a model of classes classes, in
// words a user can act on: no labels, a label outside 0..classes, a
// negative, infinite or NaN scale.
func (c Condition) Check(classes int) error {
	if classes < 1 {
		return fmt.Errorf("guidance: the model has no classes (it is unconditional): labels and guidance need a class-conditional model (a conditional preset such as mnist-cond)")
	}
	if len(c.Labels) == 0 {
		return fmt.Errorf("guidance: no label given; give one label for all samples, or one per sample (0 to %d, or %d for the unconditional field)", classes-1, classes)
	}
	for i, y := range c.Labels {
		if y < 0 || y > classes {
			where := ""
			if len(c.Labels) > 1 {
				where = fmt.Sprintf(" (sample %d)", i)
			}
			return fmt.Errorf("guidance: label %d%s is outside the model's classes; use 0 to %d (or %d, the null label, for the unconditional field)", y, where, classes-1, classes)
		}
	}
	return CheckScale(c.Scale)
}

// CheckScale reports a guidance scale that is negative, infinite or NaN.
func CheckScale(w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return fmt.Errorf("guidance: guidance scale %g; need a finite w >= 0 (0: the conditional model; 1 to 4 sharpens; w is Ho & Salimans' scale, w' = 1 + w in the mixture convention)", w)
	}
	return nil
}

// String describes c, e.g. "label 7, guidance 2" or "labels [0 1 2], guidance 0".
func (c Condition) String() string {
	if len(c.Labels) == 1 {
		return fmt.Sprintf("label %d, guidance %g", c.Labels[0], c.Scale)
	}
	return fmt.Sprintf("labels %v, guidance %g", c.Labels, c.Scale)
}

// MixWeight returns w' = 1 + w, the weight of the conditional field in the
// mixture form v = (1 - w') u(x) + w' u(x | y) of the guided velocity with
// scale w.
func MixWeight(w float64) float64 { return 1 + w }

// FromMixWeight returns w = w' - 1, the scale Condition.Scale takes, for a
// mixture weight w' (a "guidance scale" of libraries that write
// (1 - w') u(x) + w' u(x | y)).
func FromMixWeight(wPrime float64) float64 { return wPrime - 1 }

// Combine returns the guided value (1 + w) cond - w uncond of two nodes of
// the same shape: velocities, or any prediction of the network (see the
// package documentation). w = 0 returns cond itself.
func Combine(cond, uncond *graph.Node, w float64) *graph.Node {
	if !cond.Shape().Equal(uncond.Shape()) {
		exceptions.Panicf("guidance.Combine: conditional %s and unconditional %s shapes differ", cond.Shape(), uncond.Shape())
	}
	if w == 0 {
		return cond
	}
	return graph.Sub(graph.MulScalar(cond, 1+w), graph.MulScalar(uncond, w))
}

// Field returns the guided velocity of the class-conditional field u for
// c, a vfield.Graph for ode.New (through ode.Single), likelihood.New and
// anything else that takes a field:
//
//	v(x, t) = (1 + w) u(x, t | y) - w u(x, t | null)
//
// with y = c.Labels (one for all rows, or one per row: the field must then
// be called with that many rows, else it panics while its graph is built),
// null = classes and w = c.Scale. With w = 0 it is u(x, t | y) itself (one
// evaluation); otherwise the conditional and null rows are stacked into one
// batch of 2B rows for a single call of u. The labels are constants of the
// graph: a solver built on the field samples that condition only.
func Field(u vfield.Labeled, classes int, c Condition) (vfield.Graph, error) {
	if u == nil {
		return nil, fmt.Errorf("guidance: no conditional field given")
	}
	if err := c.Check(classes); err != nil {
		return nil, err
	}
	labels := make([]int32, len(c.Labels))
	for i, y := range c.Labels {
		labels[i] = int32(y)
	}
	w := c.Scale
	return func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		g := x.Graph()
		if x.Rank() < 1 {
			exceptions.Panicf("guidance.Field: x must have shape [B, ...], got %s", x.Shape())
		}
		b := x.Shape().Dimensions[0]
		y := batchLabels(g, labels, b)
		if w == 0 {
			return u(scope, x, t, y)
		}
		null := graph.BroadcastToDims(graph.Scalar(g, dtypes.Int32, classes), b)
		x2 := graph.Concatenate([]*graph.Node{x, x}, 0)
		t2 := t
		if t.Rank() > 0 { // one time per row: the null rows take the same times
			t2 = graph.Concatenate([]*graph.Node{t, t}, 0)
		}
		out := u(scope, x2, t2, graph.Concatenate([]*graph.Node{y, null}, 0))
		cond := graph.Slice(out, graph.AxisRange(0, b))
		uncond := graph.Slice(out, graph.AxisRange(b, 2*b))
		return Combine(cond, uncond, w)
	}, nil
}

// batchLabels is the [b] int32 label node of a batch of b rows.
func batchLabels(g *graph.Graph, labels []int32, b int) *graph.Node {
	if len(labels) == 1 {
		return graph.BroadcastToDims(graph.Scalar(g, dtypes.Int32, labels[0]), b)
	}
	if len(labels) != b {
		exceptions.Panicf("guidance.Field: %d labels (one per sample) but the field is called on %d points; give one label for all points, or exactly one per point", len(labels), b)
	}
	return graph.Const(g, tensors.FromValue(labels))
}

// Host returns the guided velocity (1 + w) cond(x, t) - w uncond(x, t) of
// two host fields (closed-form conditional and unconditional fields, e.g.
// the exact fields of a labelled Gaussian mixture) with scale w >= 0. Each
// field gets its own copy of x (host fields may overwrite their input).
func Host(cond, uncond vfield.Host, w float64) (vfield.Host, error) {
	if cond == nil || uncond == nil {
		return nil, fmt.Errorf("guidance.Host: both the conditional and the unconditional field are needed")
	}
	if err := CheckScale(w); err != nil {
		return nil, fmt.Errorf("guidance.Host: %w", err)
	}
	return func(x [][]float64, t float64) ([][]float64, error) {
		n := len(x)
		d := 0
		if n > 0 {
			d = len(x[0])
		}
		vc, err := vfield.Host(cond).Eval("guidance.Host (conditional)", clone(x), t, n, d)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			return vc, nil
		}
		vu, err := vfield.Host(uncond).Eval("guidance.Host (unconditional)", clone(x), t, n, d)
		if err != nil {
			return nil, err
		}
		out := make([][]float64, n)
		for i := range out {
			out[i] = make([]float64, d)
			for j := range out[i] {
				out[i][j] = (1+w)*vc[i][j] - w*vu[i][j]
			}
		}
		return out, nil
	}, nil
}

func clone(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, r := range x {
		out[i] = append([]float64(nil), r...)
	}
	return out
}
