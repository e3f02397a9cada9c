package likelihood

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/ode"
)

// Dequantize maps 8-bit values v in {0, ..., 255} (one row per example) to
// y = 2 (v + u) / 256 - 1 in [-1, 1), u ~ U[0, 1) drawn per coordinate. It
// fails on values that are not integers in [0, 255] (data scaled already, or
// corrupt), naming the first one.
func Dequantize(pixels [][]float64, rng *rand.Rand) ([][]float64, error) {
	if len(pixels) == 0 {
		return nil, fmt.Errorf("likelihood.Dequantize: no examples")
	}
	if rng == nil {
		return nil, fmt.Errorf("likelihood.Dequantize: rng is nil")
	}
	out := make([][]float64, len(pixels))
	for i, row := range pixels {
		if len(row) != len(pixels[0]) || len(row) == 0 {
			return nil, fmt.Errorf("likelihood.Dequantize: example %d has %d values, example 0 has %d", i, len(row), len(pixels[0]))
		}
		out[i] = make([]float64, len(row))
		for j, v := range row {
			if !(v >= 0 && v <= 255) || v != math.Trunc(v) {
				return nil, fmt.Errorf("likelihood.Dequantize: example %d value %d is %v; give raw 8-bit values (integers 0..255), not scaled data", i, j, v)
			}
			out[i][j] = 2*(v+rng.Float64())/256 - 1
		}
	}
	return out, nil
}

// BitsPerDim returns, per example, -log_2 P(v) / D where P(v) is estimated
// from logp[i], the K >= 1 log-densities log p_y(y_k) of K dequantizations of
// example i in the [-1, 1] scaling (see the package doc):
//
//	bpd_i = -logmeanexp_k(logp[i][k]) / (D ln 2) + log_2 128.
func BitsPerDim(logp [][]float64, dim int) ([]float64, error) {
	if dim < 1 {
		return nil, fmt.Errorf("likelihood.BitsPerDim: dimension %d; give D >= 1", dim)
	}
	out := make([]float64, len(logp))
	for i, lp := range logp {
		if len(lp) == 0 {
			return nil, fmt.Errorf("likelihood.BitsPerDim: example %d has no log-densities", i)
		}
		m := math.Inf(-1)
		for _, v := range lp {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("likelihood.BitsPerDim: example %d has a NaN log-density", i)
			}
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range lp {
			s += math.Exp(v - m)
		}
		lme := m + math.Log(s/float64(len(lp)))
		out[i] = -lme/(float64(dim)*math.Ln2) + 7
	}
	return out, nil
}

// BitsPerDimOneSample returns, per example, the mean over its K
// log-densities of the one-sample (K = 1) bound,
//
//	bpd1_i = (1/K) sum_k [-logp[i][k] / (D ln 2) + log_2 128],
//
// an unbiased estimate of the K = 1 bound of E[-log_2 P(v)]/D with K times
// less variance. BitsPerDim of the same log-densities is never larger
// (log-mean-exp >= mean, Jensen), and in expectation over the
// dequantizations the K-sample bound is tighter (Burda et al. 2016).
func BitsPerDimOneSample(logp [][]float64, dim int) ([]float64, error) {
	if dim < 1 {
		return nil, fmt.Errorf("likelihood.BitsPerDimOneSample: dimension %d; give D >= 1", dim)
	}
	out := make([]float64, len(logp))
	for i, lp := range logp {
		if len(lp) == 0 {
			return nil, fmt.Errorf("likelihood.BitsPerDimOneSample: example %d has no log-densities", i)
		}
		s := 0.0
		for _, v := range lp {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("likelihood.BitsPerDimOneSample: example %d has a NaN log-density", i)
			}
			s += v
		}
		out[i] = -s/float64(len(lp))/(float64(dim)*math.Ln2) + 7
	}
	return out, nil
}

// DequantizedLogProb draws k uniform dequantizations of each 8-bit example
// (rows of D integers in [0, 255]) and returns their log-densities
// log p_y(y_ik), logp[i][k], all from one backward solve of N*k points, with
// the solve's statistics. BitsPerDim and BitsPerDimOneSample turn them into
// the K-sample and the one-sample bounds.
func (e *Estimator) DequantizedLogProb(pixels [][]float64, k int, rng *rand.Rand) ([][]float64, ode.Stats, error) {
	if k < 1 {
		return nil, ode.Stats{}, fmt.Errorf("likelihood.BitsPerDim: k = %d importance samples; give k >= 1", k)
	}
	var all [][]float64
	for range k {
		y, err := Dequantize(pixels, rng)
		if err != nil {
			return nil, ode.Stats{}, err
		}
		all = append(all, y...)
	}
	r, err := e.LogProbPoints(all)
	if err != nil {
		return nil, ode.Stats{}, err
	}
	n := len(pixels)
	logp := make([][]float64, n)
	for i := range n {
		for j := range k {
			logp[i] = append(logp[i], r.LogP[j*n+i])
		}
	}
	return logp, r.Stats, nil
}

// BitsPerDim evaluates 8-bit examples (rows of D integers in [0, 255]) with
// k uniform dequantizations each, all in one backward solve of N*k points,
// and returns bits per dimension per example (the k-sample bound) and the
// solve's statistics.
func (e *Estimator) BitsPerDim(pixels [][]float64, k int, rng *rand.Rand) ([]float64, ode.Stats, error) {
	logp, st, err := e.DequantizedLogProb(pixels, k, rng)
	if err != nil {
		return nil, st, err
	}
	bpd, err := BitsPerDim(logp, len(pixels[0]))
	return bpd, st, err
}
