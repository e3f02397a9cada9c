package fields

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TanhField is the field u(x) = c tanh(x), applied to every coordinate, whose
// flow is known in closed form (see the package doc):
// psi_t(x) = asinh(e^{c t} sinh x). With c > 0 it pushes mass away from the
// origin, so N(0, 1) becomes bimodal.
type TanhField struct {
	Rate float64 // c
}

// Velocity is u(x) = c tanh(x) on a graph node of any shape, in the signature
// of vfield.Graph.
func (f TanhField) Velocity(_ *model.Scope, x, _ *graph.Node) *graph.Node {
	return graph.MulScalar(graph.Tanh(x), f.Rate)
}

// HostVelocity is u(x) = c tanh(x) for host points, in the signature of
// vfield.Host.
func (f TanhField) HostVelocity(x [][]float64, _ float64) ([][]float64, error) {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = f.Rate * math.Tanh(v)
		}
	}
	return out, nil
}

// Divergence is du/dx = c sech^2(x) for one coordinate.
func (f TanhField) Divergence(x float64) float64 {
	c := math.Cosh(x)
	return f.Rate / (c * c)
}

// Flow returns psi_t(x) = asinh(e^{c t} sinh x).
func (f TanhField) Flow(x, t float64) float64 {
	return math.Asinh(math.Exp(f.Rate*t) * math.Sinh(x))
}

// Inverse returns psi_t^{-1}(y) = asinh(e^{-c t} sinh y).
func (f TanhField) Inverse(y, t float64) float64 {
	return math.Asinh(math.Exp(-f.Rate*t) * math.Sinh(y))
}

// LogDerivative returns log(d psi_t / dx) = c t + log cosh x - log cosh psi_t(x)
// (the derivative is positive: the flow is increasing).
func (f TanhField) LogDerivative(x, t float64) float64 {
	return f.Rate*t + logCosh(x) - logCosh(f.Flow(x, t))
}

// PushedLogDensity returns log p_t(y) for X_0 ~ N(0, 1) carried by the flow:
// log N(x; 0, 1) - log(d psi_t/dx)(x) with x = psi_t^{-1}(y).
func (f TanhField) PushedLogDensity(y, t float64) float64 {
	x := f.Inverse(y, t)
	return -0.5*(math.Log(2*math.Pi)+x*x) - f.LogDerivative(x, t)
}

// logCosh is log cosh x without overflow: |x| + log((1 + e^{-2|x|})/2).
func logCosh(x float64) float64 {
	a := math.Abs(x)
	return a + math.Log1p(math.Exp(-2*a)) - math.Ln2
}

// String names the field.
func (f TanhField) String() string { return fmt.Sprintf("u(x) = %g tanh(x)", f.Rate) }
