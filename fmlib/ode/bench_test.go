package ode

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// benchPoints returns n deterministic 2D points as a float32 [n, 2] tensor.
func benchPoints(n int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, 2*n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, n, 2)
}

// BenchmarkDopri5 solves the cheap linear field (a 2x2 matmul) for 10,000 2D
// points over [0, 4] at rtol = atol = 1e-5, so the time is dominated by the
// per-step overhead (graph call, scalar read-back). Reports ns per attempted
// step and the NFE per solve.
func BenchmarkDopri5(b *testing.B) {
	s, err := New(be(b), nil, linearField, Options{Method: Dopri5, Atol: 1e-5, Rtol: 1e-5})
	if err != nil {
		b.Fatal(err)
	}
	x := []*tensors.Tensor{benchPoints(10000)}
	sol, err := s.Solve(0, 4, x) // warm-up: compiles the graphs
	if err != nil {
		b.Fatal(err)
	}
	steps := sol.Stats.Accepted + sol.Stats.Rejected
	b.ResetTimer()
	for b.Loop() {
		sol, err := s.Solve(0, 4, x)
		if err != nil {
			b.Fatal(err)
		}
		finalize(sol.X)
	}
	b.ReportMetric(float64(sol.Stats.NFE), "NFE/solve")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}

// BenchmarkRK4 is the fixed-step counterpart: 20 RK4 steps (80 NFE) on the same problem.
func BenchmarkRK4(b *testing.B) {
	s, err := New(be(b), nil, linearField, Options{Method: RK4, Steps: 20})
	if err != nil {
		b.Fatal(err)
	}
	x := []*tensors.Tensor{benchPoints(10000)}
	if _, err := s.Solve(0, 4, x); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		sol, err := s.Solve(0, 4, x)
		if err != nil {
			b.Fatal(err)
		}
		finalize(sol.X)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/step")
}
