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

// Dopri5 with SaveAt: the states at t = 0.5, 1 and 2 of dx/dt = -x, each
// reached exactly (the step that would pass a save time is shortened).
func ExampleOptions_saveAt() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	decay := func(_ *model.Scope, x []*graph.Node, _ *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Neg(x[0])}
	}
	opts := ode.Options{Method: ode.Dopri5, Atol: 1e-6, Rtol: 1e-6, SaveAt: []float64{0.5, 1, 2}}
	solver, err := ode.New(backend, nil, decay, opts)
	if err != nil {
		panic(err)
	}
	sol, err := solver.Solve(0, 2, []*tensors.Tensor{tensors.FromValue([]float32{1})})
	if err != nil {
		panic(err)
	}
	for k, t := range sol.Times {
		x := sol.Trajectory[k][0].Value().([]float32)[0]
		fmt.Printf("x(%g) = %.5f (exact %.5f)\n", t, x, math.Exp(-t))
	}
	// Output:
	// x(0.5) = 0.60653 (exact 0.60653)
	// x(1) = 0.36788 (exact 0.36788)
	// x(2) = 0.13534 (exact 0.13534)
}

// ParseMethod reads a solver name as given on a command line, in any case.
func ExampleParseMethod() {
	for _, name := range []string{"rk4", "Dopri5", "rk45"} {
		m, err := ode.ParseMethod(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		tb, _ := m.Tableau()
		fmt.Printf("%s: %d stages, order %d\n", m, tb.Stages(), tb.Order)
	}
	// Output:
	// RK4: 4 stages, order 4
	// Dopri5: 6 stages, order 5
	// ode: unknown method "rk45"; use one of euler, midpoint, heun, rk4, dopri5
}

// SolveHost in float64 with the stages of the last step ending exactly at
// t1, and the layout of the trajectory: Trajectory[k][i] is point i at
// Times[k].
func ExampleSolveHost() {
	rotate := func(x [][]float64, _ float64) ([][]float64, error) {
		out := make([][]float64, len(x))
		for i, p := range x {
			out[i] = []float64{-p[1], p[0]}
		}
		return out, nil
	}
	start := [][]float64{{1, 1}, {2, 0.5}}
	sol, err := ode.SolveHost(rotate, start, 0, math.Pi, ode.Options{Method: ode.RK4, Steps: 100, SaveAt: []float64{0, math.Pi / 2, math.Pi}})
	if err != nil {
		panic(err)
	}
	for k, t := range sol.Times {
		fmt.Printf("t = %.4f: point 0 at (%.4f, %.4f), point 1 at (%.4f, %.4f)\n", t,
			sol.Trajectory[k][0][0], sol.Trajectory[k][0][1], sol.Trajectory[k][1][0], sol.Trajectory[k][1][1])
	}
	// Output:
	// t = 0.0000: point 0 at (1.0000, 1.0000), point 1 at (2.0000, 0.5000)
	// t = 1.5708: point 0 at (-1.0000, 1.0000), point 1 at (-0.5000, 2.0000)
	// t = 3.1416: point 0 at (-1.0000, -1.0000), point 1 at (-2.0000, -0.5000)
}

// The zero Controller is the default PI controller; Resolved shows the
// values in use and rejects settings that could not control the step.
func ExampleController() {
	c, err := ode.Controller{}.Resolved()
	if err != nil {
		panic(err)
	}
	fmt.Printf("safety %g, factors [%g, %g], alpha %.3g, beta %g\n", c.Safety, c.MinFactor, c.MaxFactor, c.PIAlpha, c.PIBeta)
	c, _ = ode.Controller{Integral: true, MaxFactor: 5}.Resolved()
	fmt.Printf("integral: alpha %g, beta %g, max factor %g\n", c.PIAlpha, c.PIBeta, c.MaxFactor)
	_, err = ode.Controller{MinFactor: 2}.Resolved()
	fmt.Println(err)
	// A looser controller for Dopri5 (the tolerances stay in Options):
	_ = ode.Options{Method: ode.Dopri5, Atol: 1e-5, Rtol: 1e-5, Controller: ode.Controller{Safety: 0.8, MaxFactor: 5}}
	// Output:
	// safety 0.9, factors [0.2, 10], alpha 0.17, beta 0.04
	// integral: alpha 0.2, beta 0, max factor 5
	// ode: Controller.MinFactor = 2; give a value in (0, 1) so that a rejected step shrinks (typical 0.2)
}
