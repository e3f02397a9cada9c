package sde

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
)

// Path is the result of EulerMaruyama.
type Path struct {
	X     [][]float64 // the points at t1
	Times []float64   // with keep: t0 and the end of every step
	// Trajectory (with keep) is time-major, as ode.PointsSolution's:
	// Trajectory[k][i] is point i at Times[k].
	Trajectory [][][]float64
}

// EulerMaruyama simulates dX = f dt + sigma dW from the points x0 (left
// unmodified) from t0 to t1 > t0 in steps steps, drawing the noise from rng.
// With keep it records every step. It fails on bad settings and when a point
// becomes NaN/Inf (the step is too large for the drift).
func EulerMaruyama(f vfield.Host, sigma float64, x0 [][]float64, t0, t1 float64, steps int, rng *rand.Rand, keep bool) (*Path, error) {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("sde.EulerMaruyama: sigma = %v; give a finite sigma >= 0", sigma)
	}
	return eulerMaruyama("sde.EulerMaruyama", f, func(float64) float64 { return sigma }, x0, t0, t1, steps, rng, keep)
}

// Diffusion is a time-dependent noise scale g(t) >= 0, as in
// dX = f_t(X) dt + g(t) dW.
type Diffusion func(t float64) float64

// EulerMaruyamaG simulates dX = f_t(X) dt + g(t) dW, with a noise scale that
// depends on time, by the steps
//
//	X_{k+1} = X_k + h f_{t_k}(X_k) + g(t_k) sqrt(h) Z_k,   Z_k ~ N(0, I),
//
// otherwise as EulerMaruyama (which is the case g = sigma). It fails when
// g(t_k) is negative, NaN or infinite.
func EulerMaruyamaG(f vfield.Host, g Diffusion, x0 [][]float64, t0, t1 float64, steps int, rng *rand.Rand, keep bool) (*Path, error) {
	if g == nil {
		return nil, fmt.Errorf("sde.EulerMaruyamaG: the noise scale g must not be nil")
	}
	return eulerMaruyama("sde.EulerMaruyamaG", f, g, x0, t0, t1, steps, rng, keep)
}

// eulerMaruyama is EulerMaruyamaG with the caller's name in its errors.
func eulerMaruyama(name string, f vfield.Host, g Diffusion, x0 [][]float64, t0, t1 float64, steps int, rng *rand.Rand, keep bool) (*Path, error) {
	if f == nil || rng == nil {
		return nil, fmt.Errorf("%s: the drift and the random source must not be nil", name)
	}
	if steps <= 0 {
		return nil, fmt.Errorf("%s: steps = %d; give a positive number of steps", name, steps)
	}
	if !(t1 > t0) || math.IsInf(t1-t0, 0) {
		return nil, fmt.Errorf("%s: need finite t0 < t1, got t0 = %v, t1 = %v", name, t0, t1)
	}
	n, d, err := points.Check(x0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	x := clonePoints(x0)
	p := &Path{}
	if keep {
		p.Times = []float64{t0}
		p.Trajectory = [][][]float64{clonePoints(x)}
	}
	h := (t1 - t0) / float64(steps)
	sqrtH := math.Sqrt(h)
	for k := range steps {
		t := t0 + float64(k)*h
		gt := g(t)
		if !(gt >= 0) || math.IsInf(gt, 0) {
			return nil, fmt.Errorf("%s: the noise scale g(%g) = %v; it must be finite and >= 0", name, t, gt)
		}
		noise := gt * sqrtH
		v, err := f.Eval(name+": drift", x, t, n, d)
		if err != nil {
			return nil, err
		}
		for i := range x {
			for j := range d {
				x[i][j] += h*v[i][j] + noise*rng.NormFloat64()
				if math.IsNaN(x[i][j]) || math.IsInf(x[i][j], 0) {
					return nil, fmt.Errorf("%s: point %d became NaN/Inf at t = %g; reduce the step size (steps = %d)", name, i, t+h, steps)
				}
			}
		}
		if keep {
			p.Times = append(p.Times, t+h)
			p.Trajectory = append(p.Trajectory, clonePoints(x))
		}
	}
	if keep {
		p.Times[len(p.Times)-1] = t1
	}
	p.X = x
	return p, nil
}

// OU is the Ornstein-Uhlenbeck process dX = -Theta X dt + Sigma dW started
// from N(M0, S0^2 I) at t = 0 (see the package doc).
type OU struct {
	Theta, Sigma float64
	M0           []float64
	S0           float64
}

// Mean returns m_t.
func (o OU) Mean(t float64) []float64 {
	m := make([]float64, len(o.M0))
	for j, v := range o.M0 {
		m[j] = v * math.Exp(-o.Theta*t)
	}
	return m
}

// Var returns the per-coordinate variance v_t.
func (o OU) Var(t float64) float64 {
	e := math.Exp(-2 * o.Theta * t)
	return o.S0*o.S0*e + o.Sigma*o.Sigma/(2*o.Theta)*(1-e)
}

// Drift is f(x) = -Theta x.
func (o OU) Drift(x [][]float64, _ float64) ([][]float64, error) {
	out := make([][]float64, len(x))
	for i, p := range x {
		out[i] = make([]float64, len(p))
		for j, v := range p {
			out[i][j] = -o.Theta * v
		}
	}
	return out, nil
}

// LogDensity returns log p_t at every row of x.
func (o OU) LogDensity(x [][]float64, t float64) ([]float64, error) {
	m, v := o.Mean(t), o.Var(t)
	out := make([]float64, len(x))
	for i, p := range x {
		if len(p) != len(m) {
			return nil, fmt.Errorf("sde.OU.LogDensity: point %d has %d coordinates, the process %d", i, len(p), len(m))
		}
		sq := 0.0
		for j := range p {
			sq += (p[j] - m[j]) * (p[j] - m[j])
		}
		out[i] = -0.5*float64(len(p))*math.Log(2*math.Pi*v) - sq/(2*v)
	}
	return out, nil
}

// FlowVelocity is the probability-flow velocity f(x) - (Sigma^2/2) grad log p_t(x)
// = -Theta x + (Sigma^2/2) (x - m_t)/v_t.
func (o OU) FlowVelocity(x [][]float64, t float64) ([][]float64, error) {
	m, v := o.Mean(t), o.Var(t)
	out := make([][]float64, len(x))
	for i, p := range x {
		out[i] = make([]float64, len(p))
		for j, val := range p {
			out[i][j] = -o.Theta*val + o.Sigma*o.Sigma/2*(val-m[j])/v
		}
	}
	return out, nil
}

// clonePoints returns a deep copy of the rows of x.
func clonePoints(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = append([]float64(nil), x[i]...)
	}
	return out
}
