package ode_test

import (
	"fmt"
	"math"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Exponential decay dx/dt = -x from x(0) = 1 with 10 RK4 steps.
func Example() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	decay := func(_ *model.Scope, x []*graph.Node, _ *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Neg(x[0])}
	}
	solver, err := ode.New(backend, nil, decay, ode.Options{Method: ode.RK4, Steps: 10})
	if err != nil {
		panic(err)
	}
	sol, err := solver.Solve(0, 1, []*tensors.Tensor{tensors.FromValue([]float32{1})})
	if err != nil {
		panic(err)
	}
	x := sol.X[0].Value().([]float32)[0]
	fmt.Printf("x(1) = %.5f (exact %.5f)\n", x, math.Exp(-1))
	fmt.Printf("NFE = %d, steps = %d\n", sol.Stats.NFE, sol.Stats.Accepted)
	// Output:
	// x(1) = 0.36788 (exact 0.36788)
	// NFE = 40, steps = 10
}
