package sde

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Brownian returns one path of a standard one-dimensional Brownian motion at
// the steps+1 times t_k = k t1/steps: W_0 = 0 and independent increments
//
//	W_{k+1} - W_k ~ N(0, h),   h = t1/steps,
//
// drawn as sqrt(h) Z_k with Z_k ~ N(0, 1) from rng.
func Brownian(t1 float64, steps int, rng *rand.Rand) ([]float64, error) {
	if !(t1 > 0) || math.IsInf(t1, 0) {
		return nil, fmt.Errorf("sde.Brownian: t1 = %v; give a finite t1 > 0", t1)
	}
	if steps <= 0 {
		return nil, fmt.Errorf("sde.Brownian: steps = %d; give a positive number of steps", steps)
	}
	if rng == nil {
		return nil, fmt.Errorf("sde.Brownian: the random source must not be nil")
	}
	sqrtH := math.Sqrt(t1 / float64(steps))
	w := make([]float64, steps+1)
	for k := range steps {
		w[k+1] = w[k] + sqrtH*rng.NormFloat64()
	}
	return w, nil
}

// QuadraticVariation returns the sum of squared increments of a sampled path,
//
//	Q = sum_k (x_{k+1} - x_k)^2.
//
// For Brownian motion on [0, T] sampled with step h = T/n it is a sum of n
// independent h Z_k^2, so E Q = T and sd Q = T sqrt(2/n): Q concentrates at T
// as the step shrinks (the quadratic variation [W]_T = T, "(dW)^2 = dt").
// For a path with a bounded derivative Q <= h T max|x'|^2 goes to 0 instead.
// Fewer than two samples give 0.
func QuadraticVariation(x []float64) float64 {
	q := 0.0
	for k := 1; k < len(x); k++ {
		d := x[k] - x[k-1]
		q += d * d
	}
	return q
}
