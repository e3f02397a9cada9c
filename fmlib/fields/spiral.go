package fields

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Spiral is the linear field u(x) = A x described in the package doc.
type Spiral struct {
	Decay float64 // a: the inward pull; the flow shrinks distances by e^{-a t}
	Omega float64 // w: the angular speed in radians per unit time
}

// Velocity returns u(x) for one 2D point.
func (s Spiral) Velocity(x []float64) []float64 {
	return []float64{-s.Decay*x[0] - s.Omega*x[1], s.Omega*x[0] - s.Decay*x[1]}
}

// Divergence returns div u = trace(A) = -2a (the same everywhere).
func (s Spiral) Divergence() float64 { return -2 * s.Decay }

// FlowPoint returns psi_t(x) for one 2D point.
func (s Spiral) FlowPoint(x []float64, t float64) []float64 {
	r := math.Exp(-s.Decay * t)
	c, sn := math.Cos(s.Omega*t), math.Sin(s.Omega*t)
	return []float64{r * (c*x[0] - sn*x[1]), r * (sn*x[0] + c*x[1])}
}

// Flow returns psi_t(x) for every point of a 2D point set.
func (s Spiral) Flow(x [][]float64, t float64) ([][]float64, error) {
	_, d, err := points.Check(x)
	if err != nil {
		return nil, err
	}
	if d != 2 {
		return nil, fmt.Errorf("fields: Spiral flows 2D points, got dimension %d", d)
	}
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return nil, fmt.Errorf("fields: time %v is not finite", t)
	}
	out := make([][]float64, len(x))
	for i, p := range x {
		out[i] = s.FlowPoint(p, t)
	}
	return out, nil
}

// PushGaussian returns the mean and standard deviation at time t of the
// isotropic Gaussian N(mean, std^2 I) carried by the flow.
func (s Spiral) PushGaussian(mean []float64, std, t float64) ([]float64, float64) {
	return s.FlowPoint(mean, t), std * math.Exp(-s.Decay*t)
}

// Field returns u as a graph field on points of shape [N, 2]:
// u(x) = x A^T, a matrix product with a constant (ode.Single(s.Field())
// hands it to a solver).
func (s Spiral) Field() vfield.Graph {
	return func(_ *model.Scope, x, _ *graph.Node) *graph.Node {
		at := graph.Const(x.Graph(), [][]float64{{-s.Decay, s.Omega}, {-s.Omega, -s.Decay}}) // A^T
		return graph.MatMul(x, graph.ConvertDType(at, x.DType()))
	}
}
