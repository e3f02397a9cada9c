package vfield_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/vfield"
)

// A host field that halves every point's distance to the origin per unit
// time, u(x, t) = -x / 2, evaluated with its rows checked.
func ExampleHost_Eval() {
	var contract vfield.Host = func(x [][]float64, _ float64) ([][]float64, error) {
		out := make([][]float64, len(x))
		for i, p := range x {
			out[i] = []float64{-p[0] / 2, -p[1] / 2}
		}
		return out, nil
	}
	v, err := contract.Eval("example", [][]float64{{2, 4}}, 0, 1, 2)
	fmt.Println(v, err)
	// Output: [[-1 -2]] <nil>
}
