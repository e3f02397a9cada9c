package ode

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gomlx/gomlx/core/tensors"
)

// PointsSolution is the host-side result of SolvePoints.
type PointsSolution struct {
	X     [][]float64 // the points at t1, one row per point
	Times []float64   // with Options.SaveTrajectory: t0 and the end of every accepted step; with SaveAt, SaveAt
	// Trajectory is time-major, as Solution.Trajectory: Trajectory[k][i] is
	// point i at Times[k] (with Options.SaveTrajectory or SaveAt), the layout
	// plots.Trajectories draws.
	Trajectory [][][]float64
	Stats      Stats
}

// SolvePoints integrates a point set of N rows in dimension D, one state tensor
// of shape [N, D], from t0 to t1 and returns the points (and, with
// SaveTrajectory, the points at every saved time) as host slices. aux is passed to the
// field as in Solve. Points are validated by points.Check (no ragged rows, no
// NaN/Inf) and computed in float32, the solver's state type.
func (s *Solver) SolvePoints(t0, t1 float64, x [][]float64, aux ...*tensors.Tensor) (*PointsSolution, error) {
	x0, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("ode.SolvePoints: %w", err)
	}
	defer x0.FinalizeAll()
	sol, err := s.Solve(t0, t1, []*tensors.Tensor{x0}, aux...)
	if err != nil {
		return nil, err
	}
	out := &PointsSolution{Stats: sol.Stats, Times: sol.Times}
	if out.X, err = points.FromTensor(sol.X[0]); err != nil {
		return nil, fmt.Errorf("ode.SolvePoints: %w", err)
	}
	if len(sol.Trajectory) > 0 {
		out.Trajectory = make([][][]float64, len(sol.Trajectory))
		for k, state := range sol.Trajectory {
			if state[0] == sol.X[0] { // the state at t1, already read
				out.Trajectory[k] = out.X
				continue
			}
			if out.Trajectory[k], err = points.FromTensor(state[0]); err != nil {
				return nil, fmt.Errorf("ode.SolvePoints: %w", err)
			}
			if state[0] != x0 { // x0 (the state at t0) is finalized on return
				finalize(state)
			}
		}
	}
	finalize(sol.X)
	return out, nil
}
