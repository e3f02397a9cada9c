package ode

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Tableau is the Butcher tableau of an explicit Runge-Kutta method:
// stage i evaluates k_i = f(t + C[i] h, x + h sum_{j<i} A[i][j] k_j) and the
// step returns x + h sum_i B[i] k_i. A is strictly lower triangular (A[i] has
// length i).
type Tableau struct {
	Name  string
	Order int
	A     [][]float64
	B     []float64
	C     []float64
}

// Stages returns the number of field evaluations of one step.
func (tb Tableau) Stages() int { return len(tb.B) }

// validate checks the tableau's shape (programmer error if wrong).
func (tb Tableau) validate() error {
	s := len(tb.B)
	if s == 0 || len(tb.C) != s || len(tb.A) != s {
		return fmt.Errorf("ode: tableau %q: need len(A) = len(B) = len(C) > 0, got %d, %d, %d", tb.Name, len(tb.A), len(tb.B), len(tb.C))
	}
	for i, row := range tb.A {
		if len(row) != i {
			return fmt.Errorf("ode: tableau %q: row A[%d] must have %d entries, got %d", tb.Name, i, i, len(row))
		}
	}
	return nil
}

// Tableaux of the fixed-step methods.
var (
	EulerTableau = Tableau{Name: "Euler", Order: 1,
		A: [][]float64{{}}, B: []float64{1}, C: []float64{0}}
	MidpointTableau = Tableau{Name: "Midpoint", Order: 2,
		A: [][]float64{{}, {0.5}}, B: []float64{0, 1}, C: []float64{0, 0.5}}
	HeunTableau = Tableau{Name: "Heun", Order: 2,
		A: [][]float64{{}, {1}}, B: []float64{0.5, 0.5}, C: []float64{0, 1}}
	RK4Tableau = Tableau{Name: "RK4", Order: 4,
		A: [][]float64{{}, {0.5}, {0, 0.5}, {0, 0, 1}},
		B: []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
		C: []float64{0, 0.5, 0.5, 1}}
)

// Dormand-Prince 5(4) coefficients. The 7th stage is evaluated at the
// 5th-order solution, so it is the first stage of the next step (FSAL).
var (
	dopriC = []float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1}
	dopriA = [][]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	}
	// dopriE = b (5th order) - b* (4th order embedded), including stage 7.
	dopriE = []float64{
		35.0/384 - 5179.0/57600,
		0,
		500.0/1113 - 7571.0/16695,
		125.0/192 - 393.0/640,
		-2187.0/6784 + 92097.0/339200,
		11.0/84 - 187.0/2100,
		-1.0 / 40,
	}
)

// Dopri5Tableau is the 5th-order propagating part of Dormand-Prince 5(4)
// (its B is the last row of A; the 7th FSAL stage has weight 0).
var Dopri5Tableau = Tableau{Name: "Dopri5", Order: 5,
	A: dopriA[:6], B: dopriA[6], C: dopriC[:6]}

// weightedSum returns sum_j w[j] k[j], skipping zero weights (nil if all are zero).
func weightedSum(w []float64, k []*graph.Node) *graph.Node {
	var acc *graph.Node
	for j, wj := range w {
		if wj == 0 {
			continue
		}
		term := graph.MulScalar(k[j], wj)
		if acc == nil {
			acc = term
		} else {
			acc = graph.Add(acc, term)
		}
	}
	return acc
}

// combine returns x + h * sum_j w[j] k[j] for one state tensor.
func combine(x, h *graph.Node, w []float64, k []*graph.Node) *graph.Node {
	acc := weightedSum(w, k)
	if acc == nil {
		return x
	}
	return graph.Add(x, graph.Mul(acc, h))
}
