package vfield

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Graph is a velocity field u(x, t) in a graph (see the package doc for the
// shapes). scope is where a network reads its weights; it is nil for fields
// without variables, and a field must not assume it is set unless its
// caller documents a store.
type Graph func(scope *model.Scope, x, t *graph.Node) *graph.Node

// Labeled is a class-conditional velocity field u(x, t | y) in a graph: Graph
// with a third input y, the class label of every row of x (an integer
// vector of shape [B], values 0..K where K, the number of classes, is the
// "null" label of the unconditional field; see package guidance). Networks
// built with a label embedding (models.MLPLabeled, models.UNetLabeled) have
// this type; guidance.Field binds labels (and a guidance scale) to one and
// returns a Graph that every solver and likelihood estimator takes.
type Labeled func(scope *model.Scope, x, t, y *graph.Node) *graph.Node

// Host is a velocity field evaluated on the host: u_t at every row of x, one
// row of the same length per point. It may write its result over the rows of
// x and return them; callers that keep x copy it first.
type Host func(x [][]float64, t float64) ([][]float64, error)

// Eval calls u at (x, t) and checks that it returned one row of length D for
// each of the N rows of x (x itself is assumed to be n rows of length d, as
// points.Check returns). who names the caller in the error, e.g.
// "ode.SolveHost".
func (u Host) Eval(who string, x [][]float64, t float64, n, d int) ([][]float64, error) {
	v, err := u(x, t)
	if err != nil {
		return nil, fmt.Errorf("%s: the field at t = %g: %w", who, t, err)
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s: the field at t = %g returned %d rows for %d points; it must return one row per point", who, t, len(v), n)
	}
	for i, row := range v {
		if len(row) != d {
			return nil, fmt.Errorf("%s: the field at t = %g returned a row of length %d for point %d of dimension %d; each row must have the point's dimension", who, t, len(row), i, d)
		}
	}
	return v, nil
}
