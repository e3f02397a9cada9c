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

// The spiral's flow in closed form: a quarter turn (w t = pi/2) while the
// distance to the origin shrinks by e^{-a t}; a Gaussian cloud stays
// Gaussian, its mean following the flow and its spread shrinking alike.
func ExampleSpiral() {
	s := fields.Spiral{Decay: 0.5, Omega: math.Pi / 2}
	x := s.FlowPoint([]float64{1, 0}, 1)
	fmt.Printf("psi_1(1, 0) = (%.4f, %.4f), e^-a = %.4f\n", x[0], x[1], math.Exp(-0.5))
	fmt.Printf("div u = %g everywhere\n", s.Divergence())
	mean, std := s.PushGaussian([]float64{2, 0}, 0.3, 1)
	fmt.Printf("N((2, 0), 0.3^2 I) at t = 1: mean (%.4f, %.4f), std %.4f\n", mean[0], mean[1], std)
	// Output:
	// psi_1(1, 0) = (0.0000, 0.6065), e^-a = 0.6065
	// div u = -1 everywhere
	// N((2, 0), 0.3^2 I) at t = 1: mean (0.0000, 1.2131), std 0.1820
}
