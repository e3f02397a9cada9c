package models

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// Dense layers with the activation inside the product.
//
// nn.Dense applies SiLU (and the other activations whose gradient needs the
// layer's input) as a separate op after the fused matmul + bias, because
// the backend's fused dense gradient cannot differentiate through them. On
// the pure-Go backend that op copies the pre-activation and rewrites it, a
// fifth of an MLP forward pass on 10,000 points. denseEpilogue instead
// applies the activation in the product's epilogue, while the result is
// still in cache.
//
// Its gradient recomputes the pre-activation p = x W + b (one more product)
// and goes through the backend's activation and dense gradients:
//
//	y = act(p)  =>  dL/dp = act'(p) dL/dy;  dL/dx, dL/dW, dL/db from dL/dp as for x W + b.
//
// So it is used where gradients are rare: MLP calls with one time for the
// batch (ODE solves, density evaluation). Training calls, with a time per
// row, keep nn.Dense. The rule is registered for denseEpilogue's nodes
// only (overrideVJP).

// epilogueKey keys the graph state holding the nodes built by
// denseEpilogue, with their inputs.
type epilogueKey struct{}

type epilogueArgs struct {
	x, w, b *graph.Node
	act     compute.ActivationConfig
}

func init() {
	overrideVJP(graph.NodeTypeFusedDense, epilogueKey{}, func(node, v *graph.Node, a epilogueArgs) []*graph.Node {
		plain := compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs}
		pre := graph.BackendFusedDense(a.x, a.w, a.b, plain)
		dpre := graph.BackendFusedActivationVJP(node, pre, v, a.act)
		dx, dw, db := graph.BackendFusedDenseVJP(a.x, a.w, a.b, pre, dpre, plain)
		return []*graph.Node{dx, dw, db}
	})
}

// denseEpilogue is act(h w + b) as one fused op (w [in, out], b [out]),
// differentiable as described above. act must not be TypeNone.
func denseEpilogue(h, w, b *graph.Node, act activation.Type) *graph.Node {
	cfg := act.ToBackend()
	y := graph.BackendFusedDense(h, w, b, compute.DenseConfig{Activation: cfg, WeightLayout: compute.DenseLayoutInputOutputs})
	record(epilogueKey{}, y, epilogueArgs{x: h, w: w, b: b, act: cfg})
	return y
}

// epilogueSupported reports whether g's backend has the fused dense op and
// the two gradients denseEpilogue's gradient uses (the pure-Go backend
// does; XLA has none of them).
func epilogueSupported(g *graph.Graph) bool {
	be := g.Backend()
	if be == nil {
		return false
	}
	ops := be.Capabilities().Operations
	return ops[compute.OpTypeFusedDense] && ops[compute.OpTypeFusedDenseVJP] && ops[compute.OpTypeFusedActivationVJP]
}
