package schedule

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX v0.28 defines no gradient for Expm1, which VP.Graph uses for
// sigma_t = sqrt(-expm1(-T)) (exact near t = 1, where 1 - exp(-T) would
// lose all digits). Reverse-mode autodiff needs a VJP for every node between
// the loss and a variable, and a training graph reaches the store's RNG
// state through the sampled times t, so without this every objective on
// the VP path failed to compile its training step ("no gradient is defined
// yet" for Expm1). d expm1(x)/dx = exp(x) = expm1(x) + 1, which the VJP
// builds from the node's own value. Registered only if GoMLX has none.
func init() {
	if _, ok := graph.VJPRegistration[graph.NodeTypeExpm1]; ok {
		return
	}
	graph.VJPRegistration[graph.NodeTypeExpm1] = func(node *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
		return []*graph.Node{graph.Mul(v[0], graph.AddScalar(node, 1))}
	}
}
