package nflow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Jacobian returns the Jacobian of f at every row of x, shape [N, E, D] for x
// of shape [N, D] and f(x) of shape [N, E]: J[n, i, j] = d f_i / d x_j at row
// n. It takes E reverse-mode gradients, one per output coordinate, each the
// gradient of sum_n f_i(x_n); that gradient's row n is row i of the Jacobian
// at x_n only if f treats rows independently, which is assumed (true of
// per-point networks and coupling layers).
func Jacobian(f func(x *graph.Node) *graph.Node, x *graph.Node) *graph.Node {
	if x.Rank() != 2 {
		exceptions.Panicf("nflow.Jacobian: x must have shape [N, D], got %s", x.Shape())
	}
	y := f(x)
	if y.Rank() != 2 || y.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
		exceptions.Panicf("nflow.Jacobian: f(x) must have shape [N, E] with N = %d, got %s", x.Shape().Dimensions[0], y.Shape())
	}
	e := y.Shape().Dimensions[1]
	rows := make([]*graph.Node, e)
	for i := range e {
		yi := graph.ReduceAllSum(graph.Slice(y, graph.AxisRange(), graph.AxisElem(i)))
		rows[i] = graph.Gradient(yi, x)[0] // [N, D]: d f_i / d x at every row
	}
	return graph.Stack(rows, 1)
}

// checkRowsPair panics unless u and x are [N, D] of the same shape.
func checkRowsPair(fn string, u, x *graph.Node) {
	if x.Rank() != 2 || !u.Shape().Equal(x.Shape()) {
		exceptions.Panicf("nflow.%s: u and x must have the same shape [N, D], got %s and %s", fn, u.Shape(), x.Shape())
	}
}

// ExactDivergence returns div u = sum_i d u_i / d x_i at every row, shape
// [N], for u = u(x) computed from x (both [N, D]). It takes D backward
// passes, one per coordinate i, each yielding the whole row i of the Jacobian
// of which only the diagonal entry is kept: the cost grows like D. Rows must
// be independent (as for Jacobian). It checks the shapes and calls
// likelihood.ExactDivergence, the computation the likelihood estimator uses.
func ExactDivergence(u, x *graph.Node) *graph.Node {
	checkRowsPair("ExactDivergence", u, x)
	return likelihood.ExactDivergence(u, x)
}

// HutchinsonEstimate returns eps_n^T (du/dx)(x_n) eps_n at every row n, shape
// [N], for u = u(x) and probes eps of shape [N, D]: one backward pass (the
// vector-Jacobian product eps^T du/dx) whatever D. With E[eps eps^T] = I it
// is an unbiased estimate of div u (see HutchinsonVariance).
func HutchinsonEstimate(u, x, eps *graph.Node) *graph.Node {
	checkRowsPair("HutchinsonEstimate", u, x)
	if !eps.Shape().Equal(x.Shape()) {
		exceptions.Panicf("nflow.HutchinsonEstimate: eps must have x's shape %s, got %s", x.Shape(), eps.Shape())
	}
	return likelihood.HutchinsonDivergence(u, x, graph.InsertAxes(eps, 0))
}

// Probes draws n probe vectors of dimension d: entries +-1 with equal
// probability (Rademacher) or N(0, 1) (Gaussian). Either has E[eps eps^T] = I.
func Probes(r *rand.Rand, p likelihood.Probe, n, d int) ([][]float64, error) {
	if r == nil {
		return nil, fmt.Errorf("nflow.Probes: nil random source")
	}
	if n < 1 || d < 1 {
		return nil, fmt.Errorf("nflow.Probes: %d probes of dimension %d; need n, d >= 1", n, d)
	}
	if p != likelihood.Rademacher && p != likelihood.Gaussian {
		return nil, fmt.Errorf("nflow.Probes: unknown probe distribution %v", p)
	}
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			if p == likelihood.Gaussian {
				out[i][j] = r.NormFloat64()
			} else if r.Uint64()&1 == 0 {
				out[i][j] = 1
			} else {
				out[i][j] = -1
			}
		}
	}
	return out, nil
}

// HutchinsonVariance returns the variance of one probe's estimate
// eps^T J eps of tr(J): with S = (J + J^T)/2, 2 sum_{i != j} S_ij^2 for
// Rademacher probes and 2 sum_{i,j} S_ij^2 for Gaussian ones. (eps^T J eps =
// eps^T S eps; for Rademacher probes the diagonal terms are the constant
// sum_i S_ii, and each off-diagonal pair contributes 2 S_ij eps_i eps_j.)
func HutchinsonVariance(j [][]float64, p likelihood.Probe) (float64, error) {
	d, err := checkSquare("HutchinsonVariance", j)
	if err != nil {
		return 0, err
	}
	if p != likelihood.Rademacher && p != likelihood.Gaussian {
		return 0, fmt.Errorf("nflow.HutchinsonVariance: unknown probe distribution %v", p)
	}
	v := 0.0
	for a := range d {
		for b := range d {
			if a == b && p == likelihood.Rademacher {
				continue
			}
			s := (j[a][b] + j[b][a]) / 2
			v += 2 * s * s
		}
	}
	return v, nil
}

// checkSquare returns the size of a non-empty square matrix of finite values.
func checkSquare(fn string, a [][]float64) (int, error) {
	d := len(a)
	if d == 0 {
		return 0, fmt.Errorf("nflow.%s: empty matrix", fn)
	}
	for i, row := range a {
		if len(row) != d {
			return 0, fmt.Errorf("nflow.%s: row %d has %d entries in a %d-row matrix; the matrix must be square", fn, i, len(row), d)
		}
		for k, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("nflow.%s: entry (%d, %d) is %v; entries must be finite", fn, i, k, v)
			}
		}
	}
	return d, nil
}

// LogAbsDet returns log|det a| of a square matrix by LU decomposition with
// partial pivoting in float64 (log|det| = sum_i log|U_ii|). A singular matrix
// gives -Inf. a is not modified.
func LogAbsDet(a [][]float64) (float64, error) {
	d, err := checkSquare("LogAbsDet", a)
	if err != nil {
		return 0, err
	}
	m := make([][]float64, d)
	for i := range m {
		m[i] = append([]float64(nil), a[i]...)
	}
	sum := 0.0
	for k := range d {
		p := k
		for i := k + 1; i < d; i++ {
			if math.Abs(m[i][k]) > math.Abs(m[p][k]) {
				p = i
			}
		}
		if m[p][k] == 0 {
			return math.Inf(-1), nil
		}
		m[k], m[p] = m[p], m[k]
		sum += math.Log(math.Abs(m[k][k]))
		for i := k + 1; i < d; i++ {
			f := m[i][k] / m[k][k]
			for j := k + 1; j < d; j++ {
				m[i][j] -= f * m[k][j]
			}
		}
	}
	return sum, nil
}

// Matrices copies a float32 or float64 tensor of shape [N, E, D] (such as
// Jacobian's result) into N host matrices of E rows and D columns.
func Matrices(t *tensors.Tensor) ([][][]float64, error) {
	if t == nil {
		return nil, fmt.Errorf("nflow.Matrices: nil tensor")
	}
	s := t.Shape()
	if s.Rank() != 3 {
		return nil, fmt.Errorf("nflow.Matrices: tensor shape %s; want rank 3 [N, E, D]", s)
	}
	var flat []float64
	switch s.DType {
	case dtypes.Float32:
		f32, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("nflow.Matrices: %w", err)
		}
		flat = make([]float64, len(f32))
		for i, v := range f32 {
			flat[i] = float64(v)
		}
	case dtypes.Float64:
		f64, err := tensors.CopyFlatData[float64](t)
		if err != nil {
			return nil, fmt.Errorf("nflow.Matrices: %w", err)
		}
		flat = f64
	default:
		return nil, fmt.Errorf("nflow.Matrices: dtype %s; want float32 or float64", s.DType)
	}
	n, e, d := s.Dimensions[0], s.Dimensions[1], s.Dimensions[2]
	out := make([][][]float64, n)
	for k := range out {
		out[k] = make([][]float64, e)
		for i := range out[k] {
			off := (k*e + i) * d
			out[k][i] = flat[off : off+d : off+d]
		}
	}
	return out, nil
}
