package fields

import (
	"math"
	"testing"

	"github.com/gofm/gofm/fmlib/metrics"
)

func TestTanhField(t *testing.T) {
	f := TanhField{Rate: 1.5}
	for _, x := range []float64{-3, -0.7, 0, 0.2, 1, 2.5} {
		for _, tt := range []float64{0.3, 1} {
			y := f.Flow(x, tt)
			// d psi/dt = u(psi): central difference, h = 1e-5: error ~1e-10.
			h := 1e-5
			dt := (f.Flow(x, tt+h) - f.Flow(x, tt-h)) / (2 * h)
			if d := math.Abs(dt - f.Rate*math.Tanh(y)); d > 1e-8 {
				t.Errorf("x=%v t=%v: d psi/dt = %v, u(psi) = %v", x, tt, dt, f.Rate*math.Tanh(y))
			}
			if d := math.Abs(f.Inverse(y, tt) - x); d > 1e-12 {
				t.Errorf("x=%v t=%v: inverse(flow) = %v", x, tt, f.Inverse(y, tt))
			}
			dx := (f.Flow(x+h, tt) - f.Flow(x-h, tt)) / (2 * h)
			if d := math.Abs(math.Log(dx) - f.LogDerivative(x, tt)); d > 1e-8 {
				t.Errorf("x=%v t=%v: log d psi/dx = %v by differences, %v by formula", x, tt, math.Log(dx), f.LogDerivative(x, tt))
			}
			// Instantaneous change of variables: log d psi_t/dx = int_0^t div u(psi_s(x)) ds
			// (Simpson, 200 intervals: error ~1e-9).
			const m = 200
			integral := 0.0
			for k := 0; k <= m; k++ {
				w := 2.0
				if k == 0 || k == m {
					w = 1
				} else if k%2 == 1 {
					w = 4
				}
				integral += w * f.Divergence(f.Flow(x, tt*float64(k)/m))
			}
			integral *= tt / m / 3
			if d := math.Abs(integral - f.LogDerivative(x, tt)); d > 1e-7 {
				t.Errorf("x=%v t=%v: int div = %v, log derivative %v", x, tt, integral, f.LogDerivative(x, tt))
			}
		}
	}
	// The pushed density integrates to 1 (midpoint rule on [-12, 12], 2400 bins).
	probs, err := metrics.BinProbs(func(y [][]float64) ([]float64, error) {
		out := make([]float64, len(y))
		for i, r := range y {
			out[i] = f.PushedLogDensity(r[0], 1)
		}
		return out, nil
	}, 1, metrics.Bins{Min: -12, Max: 12, N: 2400})
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, p := range probs {
		total += p
	}
	if math.Abs(total-1) > 1e-6 {
		t.Errorf("pushed density integrates to %v", total)
	}
	u, _ := f.HostVelocity([][]float64{{0.5, -2}}, 0)
	if math.Abs(u[0][0]-1.5*math.Tanh(0.5)) > 1e-15 || math.Abs(u[0][1]-1.5*math.Tanh(-2)) > 1e-15 {
		t.Errorf("HostVelocity = %v", u)
	}
	if logCosh(1000) != 1000-math.Ln2 || math.Abs(logCosh(0.3)-math.Log(math.Cosh(0.3))) > 1e-15 {
		t.Errorf("logCosh")
	}
}
