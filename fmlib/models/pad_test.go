package models

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// reference builds the same pad as padEdges from GoMLX's own ops, whose
// gradients GoMLX defines: a Slice for the negative edges, then a Pad with
// the positive ones.
func reference(x *graph.Node, axes []compute.PadAxis) *graph.Node {
	dims := x.Shape().Dimensions
	spec := make([]graph.SliceAxisSpec, x.Rank())
	pos := make([]compute.PadAxis, x.Rank())
	for i := range spec {
		lo, hi := 0, dims[i]
		if i < len(axes) {
			if axes[i].Start < 0 {
				lo = -axes[i].Start
			} else {
				pos[i].Start = axes[i].Start
			}
			if axes[i].End < 0 {
				hi += axes[i].End
			} else {
				pos[i].End = axes[i].End
			}
		}
		spec[i] = graph.AxisRange(lo, hi)
	}
	return graph.Pad(graph.Slice(x, spec...), graph.ScalarZero(x.Graph(), x.DType()), pos...)
}

// TestPadEdges: padEdges (one Pad, negative edges cutting) gives the same
// values and the same gradient as Slice followed by Pad, for shifts, cuts
// and mixed edges; and concatCut's gradient equals Concatenate's.
func TestPadEdges(t *testing.T) {
	dims := []int{3, 4, 5}
	cases := []struct {
		name string
		axes []compute.PadAxis
	}{
		{"shift right along the last axis", []compute.PadAxis{{}, {}, {Start: 1, End: -1}}},
		{"shift left along the last axis", []compute.PadAxis{{}, {}, {Start: -1, End: 1}}},
		{"shift rows", []compute.PadAxis{{}, {Start: -1, End: 1}, {}}},
		{"cut a block of the first axis", []compute.PadAxis{{Start: -1, End: -1}}},
		{"cut and shift on two axes", []compute.PadAxis{{Start: 0, End: -2}, {}, {Start: 1, End: -1}}},
		{"grow and cut", []compute.PadAxis{{Start: 2, End: -1}, {Start: -3, End: 1}, {}}},
		{"plain padding", []compute.PadAxis{{Start: 1, End: 2}}},
	}
	for _, c := range cases {
		exec, err := graph.NewExec(backendForTest(t), func(x, r *graph.Node) []*graph.Node {
			y, ref := padEdges(x, c.axes), reference(x, c.axes)
			rr := graph.Slice(r, graph.AxisRange(0, y.Shape().Dimensions[0]), graph.AxisRange(0, y.Shape().Dimensions[1]),
				graph.AxisRange(0, y.Shape().Dimensions[2])) // a weight per output element
			g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, rr)), x)[0]
			gRef := graph.Gradient(graph.ReduceAllSum(graph.Mul(ref, rr)), x)[0]
			diff := func(a, b *graph.Node) *graph.Node { return graph.ReduceAllMax(graph.Abs(graph.Sub(a, b))) }
			return []*graph.Node{diff(y, ref), diff(g, gRef), graph.ReduceAllSum(graph.Abs(g))}
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		outs, err := exec.Exec(randomTensor(1, 1, dims...), randomTensor(2, 1, 6, 6, 6))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// Both sides copy the same float32 values (no arithmetic): exactly equal.
		if d := tensors.ToScalar[float32](outs[0]); d != 0 {
			t.Errorf("%s: values differ by %g", c.name, d)
		}
		if d := tensors.ToScalar[float32](outs[1]); d != 0 {
			t.Errorf("%s: gradients differ by %g", c.name, d)
		}
		// A gradient of zeros would pass the comparison against a broken
		// reference too; every case keeps some of x.
		if s := tensors.ToScalar[float32](outs[2]); s == 0 {
			t.Errorf("%s: the gradient is all zeros", c.name)
		}
	}

	exec, err := graph.NewExec(backendForTest(t), func(a, b, r *graph.Node) []*graph.Node {
		y, ref := concatCut([]*graph.Node{a, b}, 0), graph.Concatenate([]*graph.Node{a, b}, 0)
		g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), a, b)
		gRef := graph.Gradient(graph.ReduceAllSum(graph.Mul(ref, r)), a, b)
		diff := func(a, b *graph.Node) *graph.Node { return graph.ReduceAllMax(graph.Abs(graph.Sub(a, b))) }
		return []*graph.Node{diff(y, ref), diff(g[0], gRef[0]), diff(g[1], gRef[1])}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(randomTensor(3, 1, 2, 4, 5), randomTensor(4, 1, 3, 4, 5), randomTensor(5, 1, 5, 4, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"values", "gradient of the first part", "gradient of the second part"} {
		// Copies of the same values: exactly equal.
		if d := tensors.ToScalar[float32](outs[i]); d != 0 {
			t.Errorf("concatCut: %s differ by %g", name, d)
		}
	}
}
