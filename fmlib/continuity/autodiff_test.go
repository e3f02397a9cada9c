package continuity

import (
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gomlx/gomlx/core/graph"
)

// The same conditional OT Gaussian path as in continuity_test.go, in a graph.
func gaussLogPGraph(x, t *graph.Node) *graph.Node {
	b := x.Shape().Dimensions[0]
	tc := graph.Reshape(t, b, 1)
	s := graph.OneMinus(graph.MulScalar(tc, 1-smin)) // [B, 1]
	mu := graph.Mul(graph.BroadcastToDims(tc, b, 2), graph.BroadcastToDims(graph.Const(x.Graph(), [][]float64{z}), b, 2))
	sq := graph.ReduceSum(graph.Square(graph.Div(graph.Sub(x, mu), graph.BroadcastToDims(s, b, 2))), 1)
	return graph.Sub(graph.MulScalar(sq, -0.5), graph.Reshape(graph.Log(graph.MulScalar(graph.Square(s), 2*3.141592653589793)), b))
}

func fieldGraph(scale float64) GraphField {
	return func(x, t *graph.Node) *graph.Node {
		b := x.Shape().Dimensions[0]
		tc := graph.BroadcastToDims(graph.Reshape(t, b, 1), b, 2)
		zc := graph.BroadcastToDims(graph.Const(x.Graph(), [][]float64{z}), b, 2)
		s := graph.OneMinus(graph.MulScalar(tc, 1-smin))
		k := graph.MulScalar(graph.Reciprocal(s), -(1-smin)*scale)
		return graph.Add(zc, graph.Mul(k, graph.Sub(x, graph.Mul(tc, zc))))
	}
}

func TestResidualAutodiff(t *testing.T) {
	be := testbe.Go(t)
	grid := Grid(-3, 4, -3, 3, 15, 13)
	for _, c := range []struct {
		name  string
		u     GraphField
		t     float64
		right bool
	}{
		{"right field, t = 0.3", fieldGraph(1), 0.3, true},
		{"right field, t = 0.8", fieldGraph(1), 0.8, true},
		{"half the contraction", fieldGraph(0.5), 0.5, false},
	} {
		r, err := ResidualAutodiff(be, gaussLogPGraph, c.u, grid, c.t)
		if err != nil {
			t.Fatal(err)
		}
		rel := r.MaxRelative()
		// No truncation error: float64 rounding of sums of O(1) terms, ~1e-15; 1e-12 is generous.
		if c.right && rel > 1e-12 {
			t.Errorf("%s: relative residual %.3g > 1e-12", c.name, rel)
		}
		if !c.right && rel < 0.1 {
			t.Errorf("%s: a wrong field gave relative residual %.3g < 0.1", c.name, rel)
		}
		// The autodiff dp/dt agrees with the central difference of the host path.
		fd, err := Residual(gaussLogP, field(1), grid, c.t, 1e-4, 1e-4)
		if err != nil {
			t.Fatal(err)
		}
		var worst, scale float64
		for i := range grid {
			worst = max(worst, abs(fd.DpDt[i]-r.DpDt[i]))
			scale = max(scale, abs(r.DpDt[i]))
		}
		if worst/scale > 1e-6 { // central difference with h = 1e-4 on widths >= 0.28: ~1e-7
			t.Errorf("%s: dp/dt by autodiff and by central differences differ by %.3g (relative)", c.name, worst/scale)
		}
	}
	if _, err := ResidualAutodiff(be, nil, fieldGraph(1), grid, 0.5); err == nil {
		t.Error("nil log-density accepted")
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
