// Package livevars keeps the model variables of a graph as graph inputs,
// read from their store at every execution.
//
// Since GoMLX v0.28.16, model.Exec embeds a variable's current value as a
// constant in any graph it builds after the variable has a value, unless
// the graph is marked as training, on backends that prefer constants for
// variables: the pure-Go backend does. A graph compiled once and executed
// again after training changed the weights then computes with the old
// ones, silently. Found by notebook 06: an evaluator built before training
// kept reporting the initial weights' loss.
//
// fmlib compiles graphs once and reuses them across weight updates
// (evaluators, ODE solvers, classifiers, likelihoods), so every model.Exec
// graph function in fmlib calls Keep first. Keep marks the graph as
// training, the one switch GoMLX consults: fmlib has no layer whose
// behaviour depends on that mark (no dropout, no batch normalisation).
// A layer that does (label dropout for guidance, say) must take its own
// explicit switch instead.
package livevars

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Keep makes the variables that g reads from scope's store graph inputs
// (see the package doc). Call it in a model.Exec graph function before the
// first variable is read. A nil scope (a graph without a store) is left
// alone.
func Keep(scope *model.Scope, g graph.GraphProvider) {
	if scope == nil {
		return
	}
	scope.Store().SetTraining(g.Graph(), true)
}
