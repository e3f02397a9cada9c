package metrics

import (
	"math"
	"testing"
)

func TestGaussianLogPdf(t *testing.T) {
	cases := []struct {
		name string
		g    Gaussian
		x    []float64
		want float64
		// tol: a Cholesky solve of a well-conditioned 1x1 or 2x2 system in
		// float64 against the hand formula: rounding, 1e-12.
		tol float64
	}{
		{"standard 1D at 0", Gaussian{Mean: []float64{0}, Cov: [][]float64{{1}}}, []float64{0}, -0.5 * math.Log(2*math.Pi), 1e-12},
		{"1D, mean 1, variance 4, at 3", Gaussian{Mean: []float64{1}, Cov: [][]float64{{4}}}, []float64{3}, -0.5*math.Log(2*math.Pi*4) - 0.5, 1e-12},
		// det S = 2*1 - 0.5^2 = 1.75; S^-1 = [[1, -0.5], [-0.5, 2]] / 1.75;
		// at x - mu = (1, 1): quadratic form (1 - 1 + 2) / 1.75.
		{"2D correlated", Gaussian{Mean: []float64{0, -1}, Cov: [][]float64{{2, 0.5}, {0.5, 1}}}, []float64{1, 0},
			-math.Log(2*math.Pi) - 0.5*math.Log(1.75) - 0.5*2/1.75, 1e-12},
	}
	for _, c := range cases {
		got, err := c.g.LogPdf([][]float64{c.x})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got[0]-c.want) > c.tol {
			t.Errorf("%s: LogPdf = %.15f, want %.15f", c.name, got[0], c.want)
		}
	}
	if _, err := (Gaussian{Mean: []float64{0, 0}, Cov: [][]float64{{1, 2}, {2, 1}}}).LogPdf([][]float64{{0, 0}}); err == nil {
		t.Error("an indefinite covariance was accepted")
	}
}
