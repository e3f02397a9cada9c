package metrics

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"gonum.org/v1/gonum/mat"
)

// LogPdf returns log N(x_i; Mean, Cov) for every row of x,
//
//	log N(x; mu, S) = -(d log(2 pi) + log det S + (x - mu)^T S^{-1} (x - mu)) / 2,
//
// by a Cholesky factorization of S. With FitGaussian's moments it is the
// maximum-likelihood Gaussian baseline of a density model (up to the n-1 in
// the covariance): -mean LogPdf on held-out data is the NLL a flow must beat.
// Cov must be positive definite.
func (g Gaussian) LogPdf(x [][]float64) ([]float64, error) {
	d := len(g.Mean)
	if len(g.Cov) != d {
		return nil, fmt.Errorf("metrics: Gaussian.LogPdf: mean has %d entries, covariance %d rows", d, len(g.Cov))
	}
	_, dx, err := points.Check(x)
	if err != nil {
		return nil, fmt.Errorf("metrics: Gaussian.LogPdf: %w", err)
	}
	if dx != d {
		return nil, fmt.Errorf("metrics: Gaussian.LogPdf: points of dimension %d, Gaussian of dimension %d", dx, d)
	}
	s := mat.NewSymDense(d, nil)
	for i := range d {
		if len(g.Cov[i]) != d {
			return nil, fmt.Errorf("metrics: Gaussian.LogPdf: covariance row %d has %d entries, want %d", i, len(g.Cov[i]), d)
		}
		for j := i; j < d; j++ {
			s.SetSym(i, j, g.Cov[i][j])
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		return nil, fmt.Errorf("metrics: Gaussian.LogPdf: the covariance is not positive definite")
	}
	c := -0.5 * (float64(d)*math.Log(2*math.Pi) + ch.LogDet())
	out := make([]float64, len(x))
	diff, sol := mat.NewVecDense(d, nil), mat.NewVecDense(d, nil)
	for i, row := range x {
		for j, v := range row {
			diff.SetVec(j, v-g.Mean[j])
		}
		if err := ch.SolveVecTo(sol, diff); err != nil {
			return nil, fmt.Errorf("metrics: Gaussian.LogPdf: %w", err)
		}
		out[i] = c - 0.5*mat.Dot(diff, sol)
	}
	return out, nil
}
