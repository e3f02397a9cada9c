package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkPairwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 10000
	x := gauss(rng, n, 2, nil)
	y := gauss(rng, n, 2, []float64{0.5, 0})
	for _, w := range []int{1, 0} {
		name := "serial"
		if w == 0 {
			name = "parallel"
		}
		b.Run(fmt.Sprintf("EnergyDistance/n=%d/%s", n, name), func(b *testing.B) {
			defer func(o int) { maxWorkers = o }(maxWorkers)
			maxWorkers = w
			for i := 0; i < b.N; i++ {
				if _, err := EnergyDistance(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("MMD5/n=%d/%s", n, name), func(b *testing.B) {
			defer func(o int) { maxWorkers = o }(maxWorkers)
			maxWorkers = w
			for i := 0; i < b.N; i++ {
				if _, err := MMD(x, y, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkW2(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{1000, 2000, 5000} {
		x := gauss(rng, n, 2, nil)
		y := gauss(rng, n, 2, []float64{1, 0})
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := W2(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
