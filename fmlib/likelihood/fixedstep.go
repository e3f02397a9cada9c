package likelihood

import (
	"math"

	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// FixedStepLogProb returns log p_1(y) for every row of y (shape [N, D]) under
// the flow of v from p_0 = N(0, I), with the whole solve built inside the
// graph: the augmented ODE of the package doc,
//
//	dx/dt = v_t(x),   dL/dt = div v_t(x),   x(1) = y,  L(1) = 0,
//
// is integrated from t = 1 back to t = 0 with `steps` fixed steps of the
// explicit Runge-Kutta tableau tb (h = -1/steps; stage i of the step from t
// evaluates v at t + C[i] h and x + h sum_j A[i][j] k_j), the divergence
// exact (ExactDivergence, D backward passes per evaluation), and the result is
// log N(x(0); 0, I) + L(0), shape [N].
//
// Because every stage is a node of the graph, the gradient of (a function
// of) the result with respect to v's variables differentiates through every
// step of the solve ("discretize, then optimize"): this is what maximum
// likelihood training of a continuous normalizing flow costs without the
// adjoint method. The backward pass holds the activations of all
// steps * tb.Stages() field evaluations and their divergences, so memory and
// time grow linearly with the number of steps; the derivatives of the
// divergence are second derivatives of v. The error against the exact flow
// is that of the method, O(h^Order).
//
// Scope handling follows ode.Solver: every evaluation receives
// scope.ResetVisited(), so all stages read the same variables. It panics
// (GoMLX style) if y is not a float [N, D] node, if steps < 1 or if v
// returns another shape.
func FixedStepLogProb(scope *model.Scope, v vfield.Graph, y *graph.Node, tb ode.Tableau, steps int) *graph.Node {
	if y.Rank() != 2 || !y.DType().IsFloat() {
		exceptions.Panicf("likelihood.FixedStepLogProb: y must be float with shape [N, D], got %s", y.Shape())
	}
	if steps < 1 {
		exceptions.Panicf("likelihood.FixedStepLogProb: steps = %d; need at least 1", steps)
	}
	if len(tb.B) == 0 || len(tb.A) != len(tb.B) || len(tb.C) != len(tb.B) {
		exceptions.Panicf("likelihood.FixedStepLogProb: tableau %q is malformed (len A, B, C = %d, %d, %d)", tb.Name, len(tb.A), len(tb.B), len(tb.C))
	}
	g := y.Graph()
	n, d := y.Shape().Dimensions[0], y.Shape().Dimensions[1]
	dt := y.DType()
	field := func(x *graph.Node, t float64) (u, div *graph.Node) {
		sc := scope
		if sc != nil {
			sc = sc.ResetVisited()
		}
		u = v(sc, x, graph.Scalar(g, dt, t))
		if !u.Shape().Equal(x.Shape()) {
			exceptions.Panicf("likelihood.FixedStepLogProb: the velocity returned shape %s for x of shape %s", u.Shape(), x.Shape())
		}
		return u, ExactDivergence(u, x)
	}
	h := -1.0 / float64(steps)
	x, l := y, graph.Zeros(g, shapes.Make(dt, n))
	for k := range steps {
		t := 1 + float64(k)*h
		kx := make([]*graph.Node, len(tb.B))
		kl := make([]*graph.Node, len(tb.B))
		for i := range tb.B {
			xi := x
			for j, a := range tb.A[i] {
				if a != 0 {
					xi = graph.Add(xi, graph.MulScalar(kx[j], h*a))
				}
			}
			kx[i], kl[i] = field(xi, t+tb.C[i]*h)
		}
		for i, b := range tb.B {
			if b != 0 {
				x = graph.Add(x, graph.MulScalar(kx[i], h*b))
				l = graph.Add(l, graph.MulScalar(kl[i], h*b))
			}
		}
	}
	// log N(x; 0, I) = -(D log(2 pi) + |x|^2) / 2
	logP0 := graph.AddScalar(graph.MulScalar(graph.ReduceSum(graph.Square(x), 1), -0.5), -0.5*float64(d)*math.Log(2*math.Pi))
	return graph.Add(logP0, l)
}
