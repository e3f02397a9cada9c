package likelihood_test

import (
	"fmt"
	"math"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// The field u(x) = x/2 spreads N(0, I) into N(0, e I) at t = 1 in 2D; its
// divergence is 1, so log p_1(x) = log p_0(x_0) - 1 with x_0 = x e^{-1/2}.
func Example() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	spread := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.MulScalar(x, 0.5) }
	est, err := likelihood.New(backend, nil, spread, likelihood.Options{}) // exact divergence, Dopri5 at 1e-5
	if err != nil {
		panic(err)
	}
	r, err := est.LogProbPoints([][]float64{{0, 0}, {1, 1}})
	if err != nil {
		panic(err)
	}
	for i, x := range [][]float64{{0, 0}, {1, 1}} {
		want := -math.Log(2*math.Pi) - (x[0]*x[0]+x[1]*x[1])/(2*math.E) - 1
		fmt.Printf("log p_1(%v) = %.4f (closed form %.4f)\n", x, r.LogP[i], want)
	}
	// Output:
	// log p_1([0 0]) = -2.8379 (closed form -2.8379)
	// log p_1([1 1]) = -3.2058 (closed form -3.2058)
}
