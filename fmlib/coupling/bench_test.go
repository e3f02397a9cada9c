package coupling

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gofm/gofm/fmlib/data"
)

// benchBatches returns a N(0, I) batch and an 8-gaussians batch of size n,
// the typical 2D flow-matching minibatch.
func benchBatches(n int) (x0, x1 [][]float64) {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	x0 = gaussianBatch(rng, n, 2, 0)
	x1, _ = data.Generate("8gaussians", n, uint64(n))
	return x0, x1
}

func BenchmarkExactOT(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			x0, x1 := benchBatches(n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := (ExactOT{}).Pair(x0, x1, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSinkhorn(b *testing.B) {
	for _, eps := range []float64{0.05, 0.01} {
		for _, n := range []int{256, 1024} {
			b.Run(fmt.Sprintf("eps=%g/n=%d", eps, n), func(b *testing.B) {
				x0, x1 := benchBatches(n)
				rng := rand.New(rand.NewPCG(1, 2))
				s := Sinkhorn{Epsilon: eps}
				p, err := s.Plan(x0, x1)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, _, err := s.Pair(x0, x1, rng); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(p.Iter), "iters")
			})
		}
	}
}
