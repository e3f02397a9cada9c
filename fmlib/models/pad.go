package models

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// Shifts and cuts as Pad.
//
// The U-Net moves feature maps by one row or column (the 3x3 convolution's
// neighbours) and takes blocks out of larger tensors. Written with Slice
// and Concatenate, the pure-Go backend copies those element by element
// (its Slice walks every output index); one Pad whose edges may be negative
// (a negative edge cuts that many elements) copies contiguous runs with
// memmove. On the mnist-unet preset's training step Slice had been the
// largest single cost, about a quarter of the step.
//
// GoMLX's gradient of Pad slices the adjoint from the pad's start, which is
// undefined for a negative start. For the pads built here (padEdges) the
// gradient is the adjoint padded with the negated edges,
//
//	y = Pad(x, s, e) along an axis  =>  dL/dx = Pad(dL/dy, -s, -e)
//
// (y[i+s] = x[i] wherever both exist; the rest of y is the zero fill), for
// either sign of s and e. It is registered for padEdges' nodes only
// (overrideVJP): every other Pad keeps GoMLX's gradient.

// padNodesKey keys the graph state holding the pads built by padEdges,
// with their edges.
type padNodesKey struct{}

func init() {
	overrideVJP(graph.NodeTypePad, padNodesKey{}, func(node, v *graph.Node, axes []compute.PadAxis) []*graph.Node {
		neg := make([]compute.PadAxis, len(axes))
		for i, a := range axes {
			neg[i] = compute.PadAxis{Start: -a.Start, End: -a.End}
		}
		return []*graph.Node{padEdges(v, neg), graph.ZerosLike(node.Inputs()[1])}
	})
}

// padEdges pads x with zeros by axes[i].Start elements before and
// axes[i].End after along axis i; a negative amount removes that many
// elements instead. Missing axes are left as they are.
func padEdges(x *graph.Node, axes []compute.PadAxis) *graph.Node {
	y := graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), axes...)
	record(padNodesKey{}, y, append([]compute.PadAxis(nil), axes...))
	return y
}

// padAxis is padEdges along one axis.
func padAxis(x *graph.Node, axis, start, end int) *graph.Node {
	axes := make([]compute.PadAxis, x.Rank())
	axes[axis] = compute.PadAxis{Start: start, End: end}
	return padEdges(x, axes)
}

// cut returns x[.., lo:hi, ..] along axis (a Slice, as one Pad).
func cut(x *graph.Node, axis, lo, hi int) *graph.Node {
	return padAxis(x, axis, -lo, hi-x.Shape().Dimensions[axis])
}

// shiftAxis returns u with u[.., j, ..] = x[.., j+d, ..] along axis, zero
// where j+d is outside [0, n).
func shiftAxis(x *graph.Node, axis, d int) *graph.Node {
	if n := x.Shape().Dimensions[axis]; d >= n || -d >= n {
		return graph.ZerosLike(x)
	}
	return padAxis(x, axis, -d, d)
}

// concatCut is Concatenate along axis with a gradient that cuts the
// adjoint into the operands' parts with cut (GoMLX's Concatenate gradient
// slices). The adjoint is captured by an identity on the output, as in
// matmulCN.
func concatCut(xs []*graph.Node, axis int) *graph.Node {
	var adjoint *graph.Node
	parts := make([]*graph.Node, len(xs))
	lo := 0
	for i, x := range xs {
		start, end := lo, lo+x.Shape().Dimensions[axis]
		lo = end
		parts[i] = graph.IdentityWithCustomGradient(x, func(_, _ *graph.Node) *graph.Node {
			return cut(adjoint, axis, start, end)
		})
	}
	y := graph.Concatenate(parts, axis)
	return graph.IdentityWithCustomGradient(y, func(_, v *graph.Node) *graph.Node {
		adjoint = v
		return v
	})
}
