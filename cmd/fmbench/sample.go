package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Tolerances of the timed sampling solve: the paper's NFE column uses dopri5
// with atol = rtol = 1e-5.
const solveTol = 1e-5

// solveBench times a Dopri5 sampling solve of o.points points from t = 0 to 1
// with the benchmark's MLP (the weights the training repetitions left in the
// store) as the velocity field, and, where py is not nil, the same solve in
// PyTorch (torch_ref.py's dopri5: the same tableau, initial step, error norm
// and step-size controller, the same start, its own MLP trained alike). The
// two sides' repetitions interleave, -solve-reps of each.
// It reports time, NFE and time per function evaluation (next to the
// forward-pass time fwdMedian) and returns the summary row.
//
// The field is called with a scalar t (one time for the whole batch, as ODE
// solvers pass it), for which models.MLP computes the time embedding once
// and folds it into the first layer's bias; torch_ref.py's MLP does the same.
func solveBench(be compute.Backend, store *model.Store, cfg models.MLPConfig, o options, fwdMedian float64, py *torchProc) (benchRow, error) {
	row := benchRow{name: fmt.Sprintf("mlp dopri5 solve, %d points", o.points)}
	field := func(scope *model.Scope, x []*graph.Node, t *graph.Node, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{models.MLP(scope.At("mlp"), x[0], t, cfg)}
	}
	solver, err := ode.New(be, store, field, ode.Options{Method: ode.Dopri5, Atol: solveTol, Rtol: solveTol})
	if err != nil {
		return row, err
	}
	x0 := tensors.FromFlatDataAndDimensions(make([]float32, 2*o.points), o.points, 2)
	tensors.MustMutableFlatData[float32](x0, func(flat []float32) {
		for i := range flat {
			flat[i] = float32(i%7)/7 - 0.5 // a fixed, spread-out start; the field is what is timed
		}
	})
	defer x0.FinalizeAll()
	solve := func(t1 float64) (float64, ode.Stats, error) {
		start := time.Now()
		sol, err := solver.Solve(0, t1, []*tensors.Tensor{x0})
		if err != nil {
			return 0, ode.Stats{}, err
		}
		sec := time.Since(start).Seconds()
		finalize(sol.X)
		return sec, sol.Stats, nil
	}
	// Warm-up: a solve over the first 5% of the interval compiles the three
	// step graphs (the compiled graphs are keyed by shapes, not by times) for a
	// few steps' cost instead of a whole solve's. PyTorch needs none: it
	// compiles nothing, and its forward warm-up already ran the scalar-t path.
	if _, _, err := solve(0.05); err != nil {
		return row, fmt.Errorf("dopri5 solve: %w", err)
	}
	var secs, pySecs []float64
	var stats ode.Stats
	var pyLast torchSolve
	for range o.solveReps {
		s, st, err := solve(1)
		if err != nil {
			return row, fmt.Errorf("dopri5 solve: %w", err)
		}
		secs, stats = append(secs, s), st
		if py != nil {
			if pyLast, err = py.solve(); err != nil {
				return row, fmt.Errorf("pytorch dopri5 solve: %w", err)
			}
			pySecs = append(pySecs, pyLast.sec)
		}
	}
	if o.profSolve != "" {
		if err := profileOnce(o.profSolve, func() error { _, _, err := solve(1); return err }); err != nil {
			return row, fmt.Errorf("profiling the dopri5 solve: %w", err)
		}
		fmt.Printf("  cpu profile of a dopri5 solve: %s\n", o.profSolve)
	}
	m := median(secs)
	perNFE := m / float64(stats.NFE)
	fmt.Printf("  dopri5 solve of %d 2D points, t 0 -> 1, atol = rtol = %g, medians over %d repetitions:\n", o.points, solveTol, o.solveReps)
	fmt.Printf("  go      %.1f ms, NFE %d (%d accepted, %d rejected steps), %.2f ms per NFE  [min %.1f max %.1f ms]\n",
		1e3*m, stats.NFE, stats.Accepted, stats.Rejected, 1e3*perNFE, 1e3*slices.Min(secs), 1e3*slices.Max(secs))
	if fwdMedian > 0 {
		fmt.Printf("          per NFE / one forward pass: %.2fx (the solver's own work: stage combinations, error norm, one scalar read per step)\n", perNFE/fwdMedian)
	}
	row.goSec, row.goNFE = m, stats.NFE
	if py != nil {
		pm := median(pySecs)
		pyPerNFE := pm / float64(pyLast.nfe)
		fmt.Printf("  pytorch %.1f ms, NFE %d (%d accepted, %d rejected steps), %.2f ms per NFE  [min %.1f max %.1f ms]\n",
			1e3*pm, pyLast.nfe, pyLast.accepted, pyLast.rejected, 1e3*pyPerNFE, 1e3*slices.Min(pySecs), 1e3*slices.Max(pySecs))
		fmt.Printf("  ratio go/pytorch: solve %.2fx, per NFE %.2fx (>1: Go slower; the NFE differ where the two trained fields do)\n", m/pm, perNFE/pyPerNFE)
		row.pySec, row.pyNFE = pm, pyLast.nfe
	}
	return row, nil
}

func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		_ = t.FinalizeAll()
	}
}
