package schedule

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// Reverse-mode autodiff goes through every schedule's graph (training
// graphs reach the RNG state through the sampled times): the gradient of
// alpha_t and sigma_t with respect to t must exist and equal the closed-form
// DAlpha and DSigma. For VP this exercises the registered Expm1 VJP.
func TestAutodiffMatchesDerivatives(t *testing.T) {
	ts := []float32{0.05, 0.25, 0.5, 0.75, 0.95}
	for _, s := range allSchedules {
		outs := graph.MustExecOnceN(backendForTest(t), func(tn *graph.Node) []*graph.Node {
			c := s.Graph(tn)
			da := graph.Gradient(graph.ReduceAllSum(c.Alpha), tn)[0]
			ds := graph.Gradient(graph.ReduceAllSum(c.Sigma), tn)[0]
			return []*graph.Node{da, ds}
		}, ts)
		da, ds := outs[0].Value().([]float32), outs[1].Value().([]float32)
		for i, tt := range ts {
			c := s.At(float64(tt))
			// float32 graph arithmetic: a few ulps of values of order 1-10
			// (VP's DAlpha reaches beta_max/2 = 10 near t = 1).
			for _, p := range []struct {
				name      string
				got, want float64
			}{{"dalpha/dt", float64(da[i]), c.DAlpha}, {"dsigma/dt", float64(ds[i]), c.DSigma}} {
				if tol := 1e-5 * math.Max(1, math.Abs(p.want)); !(math.Abs(p.got-p.want) <= tol) {
					t.Errorf("%s t=%g: autodiff %s = %.7g, closed form %.7g (tol %g)", s.Name(), tt, p.name, p.got, p.want, tol)
				}
			}
		}
	}
}
