package sde

import (
	"math"

	"github.com/gofm/gofm/fmlib/schedule"
)

// VP is the variance-preserving SDE of score-based diffusion (Song et al.
// 2021) in diffusion time s in [0, 1], which runs from data (s = 0) to noise
// (s = 1), the opposite of the flow-matching time t of this project (t = 1 - s):
//
//	dX = -1/2 beta(s) X ds + sqrt(beta(s)) dW,   beta(s) = beta_min + (beta_max - beta_min) s.
//
// The drift is linear, so X stays Gaussian. Started from a data point x,
// with T(s) = int_0^s beta = beta_min s + (beta_max - beta_min) s^2/2,
//
//	X_s ~ N(alpha(s) x, (1 - alpha(s)^2) I),   alpha(s) = exp(-T(s)/2):
//
// the mean obeys m' = -beta m/2, and the variance v' = -beta v + beta, whose
// solution from v(0) = 0 is 1 - exp(-T). This is schedule.VP at t = 1 - s
// (alpha_t = exp(-T(1-t)/2), sigma_t = sqrt(1 - alpha_t^2)). Zero fields
// mean schedule.DefaultBetaMin and schedule.DefaultBetaMax, as in schedule.VP.
type VP struct{ BetaMin, BetaMax float64 }

// betas returns the settings with defaults applied.
func (v VP) betas() (bmin, bmax float64) {
	bmin, bmax = v.BetaMin, v.BetaMax
	if bmin == 0 {
		bmin = schedule.DefaultBetaMin
	}
	if bmax == 0 {
		bmax = schedule.DefaultBetaMax
	}
	return
}

// Beta returns the noise rate beta(s).
func (v VP) Beta(s float64) float64 {
	bmin, bmax := v.betas()
	return bmin + (bmax-bmin)*s
}

// G returns the noise scale sqrt(beta(s)), a Diffusion for EulerMaruyamaG.
func (v VP) G(s float64) float64 { return math.Sqrt(v.Beta(s)) }

// Drift is f_s(x) = -beta(s) x / 2.
func (v VP) Drift(x [][]float64, s float64) ([][]float64, error) {
	b := v.Beta(s)
	out := make([][]float64, len(x))
	for i, p := range x {
		out[i] = make([]float64, len(p))
		for j, val := range p {
			out[i][j] = -0.5 * b * val
		}
	}
	return out, nil
}
