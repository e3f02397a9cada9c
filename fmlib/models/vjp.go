package models

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Gradients of our own for some nodes of GoMLX's op types.
//
// padEdges and denseEpilogue build ordinary Pad and FusedDense nodes whose
// gradients GoMLX either cannot take (a Pad with a negative edge) or the
// backend does not implement (a fused dense with SiLU inside). Each records
// its nodes, with what the gradient needs, in the graph's state under a key
// of its own; overrideVJP wraps GoMLX's gradient for the op type once, so
// that recorded nodes get ours and every other node of that type keeps
// GoMLX's.

// overrideVJP makes the gradient of node type nt, for the nodes recorded
// under key, vjp(node, adjoint, what was recorded); other nodes of type nt
// keep the gradient registered before.
func overrideVJP[T any](nt graph.NodeType, key any, vjp func(node, v *graph.Node, rec T) []*graph.Node) {
	generic := graph.VJPRegistration[nt]
	graph.VJPRegistration[nt] = func(node *graph.Node, v []*graph.Node, out shapes.Shape) []*graph.Node {
		recs, _ := node.Graph().State(key).(map[*graph.Node]T)
		if rec, ok := recs[node]; ok {
			return vjp(node, v[0], rec)
		}
		return generic(node, v, out)
	}
}

// record stores rec for node under key in node's graph (see overrideVJP).
func record[T any](key any, node *graph.Node, rec T) {
	g := node.Graph()
	recs, _ := g.State(key).(map[*graph.Node]T)
	if recs == nil {
		recs = map[*graph.Node]T{}
		g.AttachState(key, recs)
	}
	recs[node] = rec
}
