package coupling_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/coupling"
)

func ExampleAssignment() {
	cost := [][]float64{
		{4, 1, 3},
		{2, 0, 5},
		{3, 2, 2},
	}
	perm, total, err := coupling.Assignment(cost)
	if err != nil {
		panic(err)
	}
	fmt.Println(perm, total)
	// Output: [1 0 2] 5
}

func ExampleExactOT() {
	// Noise points on the x axis, data points above them in the reverse order:
	// the OT coupling pairs each noise point with the data point straight above.
	x0 := [][]float64{{0, 0}, {10, 0}, {20, 0}}
	x1 := [][]float64{{20, 1}, {10, 1}, {0, 1}}
	a, b, err := coupling.ExactOT{}.Pair(x0, x1, nil)
	if err != nil {
		panic(err)
	}
	for i := range a {
		fmt.Println(a[i], "->", b[i])
	}
	_, _, err = coupling.ExactOT{}.Pair(x0, x1[:2], nil)
	fmt.Println(err)
	// Output:
	// [0 0] -> [0 1]
	// [10 0] -> [10 1]
	// [20 0] -> [20 1]
	// coupling: ExactOT: batch sizes differ: x0 has 3 rows, x1 has 2; pair batches of equal size
}

func ExampleSinkhorn() {
	x0 := [][]float64{{0, 0}, {4, 0}}
	x1 := [][]float64{{4, 1}, {0, 1}}
	for _, eps := range []float64{10, 0.05} {
		p, err := coupling.Sinkhorn{Epsilon: eps, Tol: 1e-9}.Plan(x0, x1)
		if err != nil {
			panic(err)
		}
		fmt.Printf("Epsilon %-4g plan [[%.3f %.3f] [%.3f %.3f]]\n", eps, p.P[0], p.P[1], p.P[2], p.P[3])
	}
	// Check by hand for Epsilon 10: costs 17 (crossed) and 1 (straight), mean 9,
	// eps = 90; a symmetric 2x2 plan [[p, 1/2-p], [1/2-p, p]] has
	// p^2/(1/2-p)^2 = exp(-(17+17-1-1)/90), so p = 0.228.
	// Pair samples partners from the plan rows (rng needed).
	rng := rand.New(rand.NewPCG(1, 2))
	a, b, _ := coupling.Sinkhorn{Epsilon: 0.05}.Pair(x0, x1, rng)
	fmt.Println(a[0], "->", b[0])
	// Output:
	// Epsilon 10   plan [[0.228 0.272] [0.272 0.228]]
	// Epsilon 0.05 plan [[0.000 0.500] [0.500 0.000]]
	// [0 0] -> [0 1]
}
