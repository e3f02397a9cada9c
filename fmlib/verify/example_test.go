package verify_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/verify"
)

// A convergence-order check: errors that halve with the step size have order 1.
func Example() {
	h := []float64{0.1, 0.05, 0.025}
	err := []float64{0.02, 0.01, 0.005}
	p := verify.LogLogSlope(h, err)
	verify.Near("fitted order of the method", p, 1, 0.3)
	verify.Above("distance from the claimed order 2 (a wrong claim)", 2-p, 0.3)
	fmt.Println("done")
	// Output:
	// fitted order of the method: 1 vs predicted 1 (off by 0), tolerance 0.3: holds
	// distance from the claimed order 2 (a wrong claim): 1, threshold 0.3: above it, as expected
	// done
}
