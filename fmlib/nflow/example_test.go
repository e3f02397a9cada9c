package nflow_test

import (
	"fmt"
	"math"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/nflow"
	"github.com/gomlx/gomlx/ml/model"
)

// An affine coupling layer in 4D with random weights: its log-determinant, the
// sum of the log-scales, agrees with log|det J| of the full Jacobian computed
// by automatic differentiation, and the inverse undoes the layer.
func Example() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	layer := nflow.Coupling{Mask: []bool{true, false, true, false}, Hidden: []int{16}}
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(1) // reproducible random weights
	forward, err := nflow.NewRunner(backend, store, layer.Forward)
	if err != nil {
		panic(err)
	}
	inverse, err := nflow.NewRunner(backend, store, layer.Inverse) // same store: same weights
	if err != nil {
		panic(err)
	}
	x := [][]float64{{0.5, -1, 2, 0.25}, {-1.5, 0.25, 0.125, 1}} // exact in float32
	claimed, autodiff, err := forward.LogDets(x)
	if err != nil {
		panic(err)
	}
	y, _, err := forward.Apply(x)
	if err != nil {
		panic(err)
	}
	back, _, err := inverse.Apply(y)
	if err != nil {
		panic(err)
	}
	for i := range x {
		worst := 0.0
		for j := range x[i] {
			worst = math.Max(worst, math.Abs(back[i][j]-x[i][j]))
		}
		fmt.Printf("point %d: sum s and log|det J| agree to 1e-5: %v; x_a unchanged: %v; inverse(forward(x)) = x to 1e-5: %v\n",
			i, math.Abs(claimed[i]-autodiff[i]) < 1e-5, y[i][0] == x[i][0] && y[i][2] == x[i][2], worst < 1e-5)
	}
	_, err = nflow.LogAbsDet([][]float64{{1, 2}})
	fmt.Println(err)
	// Output:
	// point 0: sum s and log|det J| agree to 1e-5: true; x_a unchanged: true; inverse(forward(x)) = x to 1e-5: true
	// point 1: sum s and log|det J| agree to 1e-5: true; x_a unchanged: true; inverse(forward(x)) = x to 1e-5: true
	// nflow.LogAbsDet: row 0 has 2 entries in a 1-row matrix; the matrix must be square
}
