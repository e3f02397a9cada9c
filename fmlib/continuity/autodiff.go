package continuity

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// GraphLogDensity returns log p_t(x) in a graph: x has shape [B, D], t shape
// [B] (one time per row, so that the derivative in t is per row); the result
// has shape [B]. Rows must not interact.
type GraphLogDensity func(x, t *graph.Node) *graph.Node

// GraphField returns u_t(x) in a graph, shape [B, D], for x [B, D] and t [B].
type GraphField func(x, t *graph.Node) *graph.Node

// ResidualGraph returns d/dt p + div(p u) and d/dt p at every row, both of
// shape [B], by reverse-mode autodiff: one gradient for d/dt p and one per
// dimension for the divergence (rows are independent, so the gradient of a
// sum over rows gives each row's own derivative).
func ResidualGraph(logp GraphLogDensity, u GraphField, x, t *graph.Node) (residual, dpdt *graph.Node) {
	b, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	p := graph.Exp(logp(x, t))
	dpdt = graph.Gradient(graph.ReduceAllSum(p), t)[0]
	flux := graph.Mul(graph.BroadcastToDims(graph.Reshape(p, b, 1), b, d), u(x, t))
	residual = dpdt
	for j := range d {
		fj := graph.ReduceAllSum(graph.Slice(flux, graph.AxisRange(), graph.AxisElem(j)))
		gj := graph.Slice(graph.Gradient(fj, x)[0], graph.AxisRange(), graph.AxisElem(j))
		residual = graph.Add(residual, graph.Reshape(gj, b))
	}
	return residual, dpdt
}

// ResidualAutodiff evaluates ResidualGraph on the backend in float64 at the
// points x (rows of dimension D) and time t. Unlike Residual it has no
// truncation error: what remains is float64 rounding.
func ResidualAutodiff(backend compute.Backend, logp GraphLogDensity, u GraphField, x [][]float64, t float64) (*Result, error) {
	n, d, err := points.Check(x)
	if err != nil {
		return nil, fmt.Errorf("continuity.ResidualAutodiff: %w", err)
	}
	if logp == nil || u == nil || backend == nil {
		return nil, fmt.Errorf("continuity.ResidualAutodiff: the backend, the log-density and the field must not be nil")
	}
	flat := make([]float64, 0, n*d)
	for _, row := range x {
		flat = append(flat, row...)
	}
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = t
	}
	xt := tensors.FromFlatDataAndDimensions(flat, n, d)
	tt := tensors.FromFlatDataAndDimensions(ts, n)
	defer xt.FinalizeAll()
	defer tt.FinalizeAll()
	exec, err := graph.NewExec(backend, func(xn, tn *graph.Node) []*graph.Node {
		r, dp := ResidualGraph(logp, u, xn, tn)
		return []*graph.Node{r, dp}
	})
	if err != nil {
		return nil, fmt.Errorf("continuity.ResidualAutodiff: %w", err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(xt, tt)
	if err != nil {
		return nil, fmt.Errorf("continuity.ResidualAutodiff: evaluating the graph: %w", err)
	}
	r := &Result{}
	if r.Residual, err = tensors.CopyFlatData[float64](out[0]); err != nil {
		return nil, err
	}
	if r.DpDt, err = tensors.CopyFlatData[float64](out[1]); err != nil {
		return nil, err
	}
	for _, o := range out {
		_ = o.FinalizeAll()
	}
	return r, nil
}
