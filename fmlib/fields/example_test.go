package fields_test

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/fields"
)

// The closed-form flow of dx/dt = 1.5 tanh(x) and the density it makes of
// N(0, 1): the log-derivative of the flow is the integral of the divergence
// along the trajectory.
func ExampleTanhField() {
	f := fields.TanhField{Rate: 1.5}
	x := 0.4
	y := f.Flow(x, 1)
	fmt.Printf("psi_1(%.1f) = %.4f, back: %.4f\n", x, y, f.Inverse(y, 1))
	fmt.Printf("log psi_1'(x) = %.4f\n", f.LogDerivative(x, 1))
	fmt.Printf("log p_1 at 0 and at 2.5: %.4f %.4f (N(0,1): %.4f)\n", f.PushedLogDensity(0, 1), f.PushedLogDensity(2.5, 1), -0.5*math.Log(2*math.Pi))
	// Output:
	// psi_1(0.4) = 1.3701, back: 0.4000
	// log psi_1'(x) = 0.8384
	// log p_1 at 0 and at 2.5: -2.4189 -1.7386 (N(0,1): -0.9189)
}
