package ode

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// stageTimes returns the times at which the stages of the step from t to
// tEnd evaluate the field: t + c_i (tEnd - t), where c_i = 0 gives t and
// c_i = 1 gives tEnd exactly, each clamped to [lo, hi] (the interval of
// integration). Rounding in t + c_i h could otherwise put a stage an ulp
// outside the interval, where a field defined only there (e.g. on [0, 1])
// fails. The graph solver and SolveHost share it.
func stageTimes(c []float64, t, tEnd, lo, hi float64) []float64 {
	out := make([]float64, len(c))
	for i, ci := range c {
		s := t + ci*(tEnd-t)
		switch ci {
		case 0:
			s = t
		case 1:
			s = tEnd
		}
		out[i] = min(max(s, lo), hi)
	}
	return out
}

// stageTimesF32 is stageTimes as the float32 vector a step graph takes.
func stageTimesF32(c []float64, t, tEnd, lo, hi float64) []float32 {
	ts := stageTimes(c, t, tEnd, lo, hi)
	out := make([]float32, len(ts))
	for i, v := range ts {
		out[i] = float32(v)
	}
	return out
}

// rkStages builds the stages of one explicit Runge-Kutta step in a graph,
// for every tableau (the fixed-step methods and Dopri5):
//
//	X_i = x + h sum_{j<i} a[i][j] k_j,   k_i = f(ts[i], X_i),   i = 0..len(a)-1
//
// ts is the [len(a)] vector of stage times (from stageTimes). When k0 is not
// nil it is k_0, carried over from the previous step (first same as last),
// and is not evaluated again. It returns the stages k and their inputs X
// (k[i][v] and X[i][v] for state tensor v).
func (s *Solver) rkStages(scope *model.Scope, a [][]float64, ts, h *graph.Node, x, k0, aux []*graph.Node) (k, xs [][]*graph.Node) {
	k = make([][]*graph.Node, len(a))
	xs = make([][]*graph.Node, len(a))
	for i := range a {
		xs[i] = x
		if i > 0 {
			xs[i] = make([]*graph.Node, len(x))
			for v := range x {
				xs[i][v] = combine(x[v], h, a[i], column(k[:i], v))
			}
		}
		if i == 0 && k0 != nil {
			k[0] = k0
			continue
		}
		k[i] = s.callField(scope, xs[i], graph.Reshape(graph.Slice(ts, graph.AxisElem(i))), aux)
	}
	return k, xs
}

// column returns k[j][v] for every stage j: the stages of state tensor v.
func column(k [][]*graph.Node, v int) []*graph.Node {
	out := make([]*graph.Node, len(k))
	for j := range k {
		out[j] = k[j][v]
	}
	return out
}
