package guidance_test

import (
	"fmt"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// A class-conditional field with two classes that moves every point at a
// constant velocity: (1, 0) for class 0, (0, 1) for class 1 and (0.5, 0.5)
// for the null label 2 (the average, as an unconditional field would be).
// Guidance with scale w pushes class 0 further from the average:
// v = (1 + w)(1, 0) - w (0.5, 0.5) = (1 + w/2, -w/2), and one Euler step
// over [0, 1] from the origin lands there exactly.
func ExampleField() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	velocity := [][]float64{{1, 0}, {0, 1}, {0.5, 0.5}} // rows: class 0, class 1, null
	u := func(_ *model.Scope, x, _, y *graph.Node) *graph.Node {
		onehot := graph.OneHot(y, 3, x.DType())
		return graph.MatMul(onehot, graph.ConvertDType(graph.Const(x.Graph(), velocity), x.DType()))
	}
	for _, w := range []float64{0, 1, 2} {
		field, err := guidance.Field(u, 2, guidance.Label(0, w))
		if err != nil {
			panic(err)
		}
		s, err := ode.New(backend, nil, ode.Single(field), ode.Options{Method: ode.Euler, Steps: 1})
		if err != nil {
			panic(err)
		}
		sol, err := s.SolvePoints(0, 1, [][]float64{{0, 0}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("w = %g (w' = %g): %v\n", w, guidance.MixWeight(w), sol.X[0])
	}
	_, err = guidance.Field(u, 2, guidance.Label(5, 1))
	fmt.Println(err)
	// Output:
	// w = 0 (w' = 1): [1 0]
	// w = 1 (w' = 2): [1.5 -0.5]
	// w = 2 (w' = 3): [2 -1]
	// guidance: label 5 is outside the model's classes; use 0 to 1 (or 2, the null label, for the unconditional field)
}
