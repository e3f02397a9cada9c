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
// store) as the velocity field, and reports the time per function evaluation
// next to the forward-pass time measured above.
func solveBench(be compute.Backend, store *model.Store, cfg models.MLPConfig, o options, fwdMedian float64) error {
	field := func(scope *model.Scope, t *graph.Node, x, _ []*graph.Node) []*graph.Node {
		return []*graph.Node{models.MLP(scope.At("mlp"), x[0], t, cfg)}
	}
	solver, err := ode.New(be, store, field, ode.Options{Method: ode.Dopri5, Atol: solveTol, Rtol: solveTol})
	if err != nil {
		return err
	}
	x0 := tensors.FromFlatDataAndDimensions(make([]float32, 2*o.points), o.points, 2)
	tensors.MustMutableFlatData[float32](x0, func(flat []float32) {
		for i := range flat {
			flat[i] = float32(i%7)/7 - 0.5 // a fixed, spread-out start; the field is what is timed
		}
	})
	defer x0.FinalizeAll()
	solve := func() (float64, ode.Stats, error) {
		start := time.Now()
		sol, err := solver.Solve(0, 1, []*tensors.Tensor{x0})
		if err != nil {
			return 0, ode.Stats{}, err
		}
		sec := time.Since(start).Seconds()
		finalize(sol.X)
		return sec, sol.Stats, nil
	}
	if _, _, err := solve(); err != nil { // compiles the step graphs
		return fmt.Errorf("dopri5 solve: %w", err)
	}
	var secs []float64
	var stats ode.Stats
	// A solve is hundreds of forward passes: at most 3 timed repetitions.
	for range min(o.reps, 3) {
		s, st, err := solve()
		if err != nil {
			return fmt.Errorf("dopri5 solve: %w", err)
		}
		secs, stats = append(secs, s), st
	}
	m := median(secs)
	perNFE := m / float64(stats.NFE)
	fmt.Printf("  go      dopri5 solve of %d 2D points, t 0 -> 1, atol = rtol = %g: %.1f ms, NFE %d (%d accepted, %d rejected steps), %.2f ms per NFE  [min %.1f max %.1f ms]\n",
		o.points, solveTol, 1e3*m, stats.NFE, stats.Accepted, stats.Rejected, 1e3*perNFE, 1e3*slices.Min(secs), 1e3*slices.Max(secs))
	fmt.Printf("          per NFE / one forward pass: %.2fx (the solver's own work: stage combinations, error norm, one scalar read per step)\n", perNFE/fwdMedian)
	return nil
}

func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		_ = t.FinalizeAll()
	}
}
