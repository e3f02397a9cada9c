package continuity

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
)

// LogDensity returns log p_t at each point (one value per row of x).
type LogDensity func(x [][]float64, t float64) ([]float64, error)

// Result holds the residual and its scale at each point.
type Result struct {
	Residual []float64 // d/dt p + div(p u) at each point
	DpDt     []float64 // d/dt p at each point (the scale of the residual)
}

// MaxRelative returns max |Residual| / max |DpDt|, the number a check
// compares with its tolerance.
func (r *Result) MaxRelative() float64 {
	var mr, md float64
	for i := range r.Residual {
		mr = math.Max(mr, math.Abs(r.Residual[i]))
		md = math.Max(md, math.Abs(r.DpDt[i]))
	}
	return mr / md
}

// Residual evaluates d/dt p_t + div(p_t u_t) at the points x by central
// differences with time step ht and space step hx (see the package doc). The
// density is given by its logarithm (mixtures are evaluated stably in log
// space) and exponentiated here. t-ht and t+ht must be valid times of the path.
func Residual(logp LogDensity, u vfield.Host, x [][]float64, t, ht, hx float64) (*Result, error) {
	n, d, err := points.Check(x)
	if err != nil {
		return nil, fmt.Errorf("continuity.Residual: %w", err)
	}
	if !(ht > 0) || !(hx > 0) || math.IsInf(ht, 0) || math.IsInf(hx, 0) {
		return nil, fmt.Errorf("continuity.Residual: steps ht = %v and hx = %v must be positive and finite", ht, hx)
	}
	if logp == nil || u == nil {
		return nil, fmt.Errorf("continuity.Residual: the log-density and the field must not be nil")
	}
	dens := func(pts [][]float64, at float64) ([]float64, error) {
		lp, err := logp(pts, at)
		if err != nil {
			return nil, err
		}
		if len(lp) != len(pts) {
			return nil, fmt.Errorf("continuity.Residual: the log-density returned %d values for %d points", len(lp), len(pts))
		}
		out := make([]float64, len(lp))
		for i, v := range lp {
			out[i] = math.Exp(v)
		}
		return out, nil
	}
	r := &Result{Residual: make([]float64, n), DpDt: make([]float64, n)}
	pPlus, err := dens(x, t+ht)
	if err != nil {
		return nil, fmt.Errorf("continuity.Residual: density at t+ht: %w", err)
	}
	pMinus, err := dens(x, t-ht)
	if err != nil {
		return nil, fmt.Errorf("continuity.Residual: density at t-ht: %w", err)
	}
	for i := range r.DpDt {
		r.DpDt[i] = (pPlus[i] - pMinus[i]) / (2 * ht)
		r.Residual[i] = r.DpDt[i]
	}
	shifted := make([][]float64, n)
	for j := range d {
		for _, sign := range []float64{1, -1} {
			for i, row := range x {
				s := append([]float64(nil), row...)
				s[j] += sign * hx
				shifted[i] = s
			}
			p, err := dens(shifted, t)
			if err != nil {
				return nil, fmt.Errorf("continuity.Residual: density at shifted points: %w", err)
			}
			v, err := u(shifted, t)
			if err != nil {
				return nil, fmt.Errorf("continuity.Residual: field at shifted points: %w", err)
			}
			if len(v) != n {
				return nil, fmt.Errorf("continuity.Residual: the field returned %d rows for %d points", len(v), n)
			}
			for i := range r.Residual {
				if len(v[i]) != d {
					return nil, fmt.Errorf("continuity.Residual: the field returned %d coordinates for a %d-dimensional point", len(v[i]), d)
				}
				r.Residual[i] += sign * p[i] * v[i][j] / (2 * hx)
			}
		}
	}
	return r, nil
}

// Grid returns the nx * ny points of a regular grid on [x0, x1] x [y0, y1],
// row by row (y outer, x inner), including the ends.
func Grid(x0, x1, y0, y1 float64, nx, ny int) [][]float64 {
	var out [][]float64
	for r := range ny {
		y := y0 + (y1-y0)*float64(r)/float64(max(ny-1, 1))
		for c := range nx {
			out = append(out, []float64{x0 + (x1-x0)*float64(c)/float64(max(nx-1, 1)), y})
		}
	}
	return out
}
