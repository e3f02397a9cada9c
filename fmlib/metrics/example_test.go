package metrics_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/metrics"
)

func ExampleW2() {
	x := [][]float64{{0, 0}, {1, 0}, {2, 0}}
	y := [][]float64{{2, 1}, {0, 1}, {1, 1}} // x shifted by (0, 1), shuffled
	w, err := metrics.W2(x, y)
	if err != nil {
		panic(err)
	}
	fmt.Println(w)
	// Output: 1
}

func ExampleEnergyDistance() {
	x := [][]float64{{0}, {1}}
	y := [][]float64{{2}, {3}}
	// 2 * mean|x - y| - |x1 - x2| - |y1 - y2| = 2*2 - 1 - 1
	e, err := metrics.EnergyDistance(x, y)
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	// Output: 2
}

func ExampleMMD() {
	x := [][]float64{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
	far := [][]float64{{10, 10}, {10, 11}, {11, 10}, {11, 11}}
	// With far-apart sets the cross term vanishes and MMD^2 is the sum of the
	// two within-set kernel means, equal here: each unit-square corner has two
	// neighbours at squared distance 1 and one at 2, so each mean is
	// (2 exp(-1/2) + exp(-1)) / 3 = 0.5270.
	m, err := metrics.MMD(x, far, []float64{1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", m)
	// Output: 1.0540
}

func ExampleNLL() {
	mean, se, err := metrics.NLL([]float64{-1.5, -2.0, -2.5})
	if err != nil {
		panic(err)
	}
	fmt.Printf("NLL = %.2f ± %.2f nats\n", mean, se)
	// Output: NLL = 2.00 ± 0.29 nats
}
