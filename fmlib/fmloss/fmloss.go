package fmloss

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/vfield"
)

// Target names a regression target for the network at a sample (t, z, x0).
type Target int

const (
	// Conditional is the CFM target u_t(x_t | z) = alpha'_t z + sigma'_t x0.
	Conditional Target = iota
	// Marginal is the FM target u_t(x_t), the exact marginal field of the
	// dataset (probpath.Empirical.Velocity, float64).
	Marginal
	// PriorAverage is a deliberately wrong marginal target: the conditional
	// fields averaged with the prior weights 1/N instead of the posterior
	// ones, which is u_t(x_t | zbar) with zbar the mean of the data.
	PriorAverage
	// WrongTime is a deliberately wrong conditional target: the conditional
	// field at x_t but at the time WrongTimeFactor * t,
	// u_{0.9 t}(x_t | z) = (sigma_t / sigma_{0.9 t}) u_t(x_t | z) for CondOT.
	WrongTime
)

// WrongTimeFactor is the time at which WrongTime evaluates the conditional
// field, as a fraction of the sample's time.
const WrongTimeFactor = 0.9

// String returns "conditional", "marginal" or "prior average".
func (k Target) String() string {
	switch k {
	case Conditional:
		return "conditional"
	case Marginal:
		return "marginal"
	case PriorAverage:
		return "prior average"
	case WrongTime:
		return "conditional at the wrong time"
	}
	return fmt.Sprintf("Target(%d)", int(k))
}

// Valid reports whether k is one of Conditional, Marginal, PriorAverage.
func (k Target) Valid() bool { return k >= Conditional && k <= WrongTime }

// Samples are n draws (t, z, x0) and the points x_t = alpha_t z + sigma_t x0
// they give.
type Samples struct {
	T  []float64   // times in [eps, 1 - eps)
	Z  [][]float64 // data points, rows of the dataset
	X0 [][]float64 // noise, N(0, I)
	Xt [][]float64 // the path points
}

// Len is the number of samples.
func (s Samples) Len() int { return len(s.T) }

// Slice returns samples lo..hi-1 (sharing the rows).
func (s Samples) Slice(lo, hi int) Samples {
	return Samples{T: s.T[lo:hi], Z: s.Z[lo:hi], X0: s.X0[lo:hi], Xt: s.Xt[lo:hi]}
}

// Problem is a dataset with its path, and the network to regress.
type Problem struct {
	// Data is the dataset and the affine path (its Velocity is the marginal field).
	Data probpath.Empirical
	// Net is the network v(x, t); it creates its variables in the scope it is given.
	Net vfield.Graph
	// TimeEps keeps sampled times in [TimeEps, 1 - TimeEps); 0 means
	// objective.DefaultTimeEps.
	TimeEps float64
}

func (p Problem) timeEps() float64 {
	if p.TimeEps == 0 {
		return objective.DefaultTimeEps
	}
	return p.TimeEps
}

// Validate reports the first invalid setting.
func (p Problem) Validate() error {
	if p.Data.Path.Sched == nil {
		return fmt.Errorf("fmloss: Problem.Data.Path has no scheduler; build it with probpath.New(schedule.CondOT{SigmaMin: 0.01}) or similar")
	}
	if err := p.Data.Path.Sched.Validate(); err != nil {
		return fmt.Errorf("fmloss: path scheduler %s: %w", p.Data.Path.Sched.Name(), err)
	}
	if _, _, err := points.Check(p.Data.Points); err != nil {
		return fmt.Errorf("fmloss: Problem.Data.Points: %w", err)
	}
	if eps := p.timeEps(); !(eps >= 0 && eps < 0.5) {
		return fmt.Errorf("fmloss: Problem.TimeEps = %g; need 0 <= TimeEps < 0.5 (0 means %g)", p.TimeEps, float64(objective.DefaultTimeEps))
	}
	return nil
}

// newRand is the generator Draw and Trainer use for a seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed5eed)) }

// Draw returns n samples: z uniform over the dataset rows (with replacement),
// x0 ~ N(0, I), t uniform on [TimeEps, 1 - TimeEps), from a PCG generator
// seeded by seed.
func (p Problem) Draw(n int, seed uint64) (Samples, error) {
	if err := p.Validate(); err != nil {
		return Samples{}, err
	}
	if n < 1 {
		return Samples{}, fmt.Errorf("fmloss.Draw: n = %d; need n >= 1", n)
	}
	return p.draw(newRand(seed), n), nil
}

// DrawAt is Draw with every time set to t (e.g. to look at a field where
// p_t has its mass). It fails unless 0 <= t <= 1.
func (p Problem) DrawAt(n int, t float64, seed uint64) (Samples, error) {
	if !(t >= 0 && t <= 1) {
		return Samples{}, fmt.Errorf("fmloss.DrawAt: t = %g; need 0 <= t <= 1", t)
	}
	s, err := p.Draw(n, seed)
	if err != nil {
		return s, err
	}
	c := p.Data.Path.Sched.At(t)
	for i := range s.T {
		s.T[i] = t
		for j := range s.Xt[i] {
			s.Xt[i][j] = c.Alpha*s.Z[i][j] + c.Sigma*s.X0[i][j]
		}
	}
	return s, nil
}

// draw is Draw on a given generator (p already validated).
func (p Problem) draw(rng *rand.Rand, n int) Samples {
	d := len(p.Data.Points[0])
	eps := p.timeEps()
	s := Samples{T: make([]float64, n), Z: make([][]float64, n), X0: make([][]float64, n), Xt: make([][]float64, n)}
	for i := range n {
		s.T[i] = eps + (1-2*eps)*rng.Float64()
		s.Z[i] = p.Data.Points[rng.IntN(len(p.Data.Points))]
		s.X0[i] = make([]float64, d)
		for j := range d {
			s.X0[i][j] = rng.NormFloat64()
		}
		c := p.Data.Path.Sched.At(s.T[i])
		s.Xt[i] = make([]float64, d)
		for j := range d {
			s.Xt[i][j] = c.Alpha*s.Z[i][j] + c.Sigma*s.X0[i][j]
		}
	}
	return s
}

// Target returns the target of kind at every sample (float64, computed on
// the host): Conditional alpha'_t z + sigma'_t x0, Marginal the exact
// marginal field at x_t, PriorAverage the conditional field of the data
// mean at x_t.
func (p Problem) Target(kind Target, s Samples) ([][]float64, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, fmt.Errorf("fmloss: unknown target %d (valid: Conditional, Marginal, PriorAverage, WrongTime)", int(kind))
	}
	n := s.Len()
	if len(s.Z) != n || len(s.X0) != n || len(s.Xt) != n {
		return nil, fmt.Errorf("fmloss: samples have %d times, %d z, %d x0, %d x_t rows; build them with Problem.Draw", n, len(s.Z), len(s.X0), len(s.Xt))
	}
	var zbar []float64
	if kind == PriorAverage {
		var err error
		if zbar, _, err = points.Moments(p.Data.Points); err != nil {
			return nil, err
		}
	}
	out := make([][]float64, n)
	for i := range n {
		var err error
		switch kind {
		case Conditional:
			c := p.Data.Path.Sched.At(s.T[i])
			out[i] = make([]float64, len(s.Z[i]))
			for j := range out[i] {
				out[i][j] = c.DAlpha*s.Z[i][j] + c.DSigma*s.X0[i][j]
			}
		case Marginal:
			var u [][]float64
			u, err = p.Data.Velocity(s.Xt[i:i+1], s.T[i])
			if err == nil {
				out[i] = u[0]
			}
		case PriorAverage:
			out[i], err = p.Data.Path.CondVelocity(s.Xt[i], zbar, s.T[i])
		case WrongTime:
			out[i], err = p.Data.Path.CondVelocity(s.Xt[i], s.Z[i], WrongTimeFactor*s.T[i])
		}
		if err != nil {
			return nil, fmt.Errorf("fmloss: %s target at sample %d: %w", kind, i, err)
		}
	}
	return out, nil
}

// Stat is a sample mean and its standard error.
type Stat struct{ Mean, SE float64 }

// String formats the mean and its standard error as "m ± se".
func (s Stat) String() string { return fmt.Sprintf("%.4g ± %.2g", s.Mean, s.SE) }

// Z is Mean / SE: how many standard errors the mean is from zero.
func (s Stat) Z() float64 { return s.Mean / s.SE }

// MeanSE returns the mean of x and its standard error sd/sqrt(n), with the
// n-1 sample standard deviation (SE is NaN for fewer than 2 values), as a
// Stat: metrics.MeanSE, which computes it.
func MeanSE(x []float64) Stat {
	mean, se := metrics.MeanSE(x)
	return Stat{mean, se}
}

// SqNorm returns |a_i|^2 for every row.
func SqNorm(a [][]float64) []float64 {
	out := make([]float64, len(a))
	for i, r := range a {
		for _, v := range r {
			out[i] += v * v
		}
	}
	return out
}

// SqDist returns |a_i - b_i|^2 for every row (a and b have the same shape).
func SqDist(a, b [][]float64) []float64 {
	out := make([]float64, len(a))
	for i, r := range a {
		for j, v := range r {
			d := v - b[i][j]
			out[i] += d * d
		}
	}
	return out
}

// GapAt estimates the gap between the losses at one time,
//
//	C(t) = E_{z ~ q, x0} |u_t(x_t | z) - u_t(x_t)|^2,
//
// the variance of the conditional target around the marginal field at time
// t (L_CFM - L_FM = the average of C(t) over the sampled times), as the mean
// of |Conditional - Marginal|^2 over n draws at time t (DrawAt with seed),
// with its standard error. For the conditional OT path,
// c - m = (z - E[z | x_t]) / sigma_t, so C(t) = E Var(z | x_t) / sigma_t^2:
// at t = 0 the posterior is the prior and C(0) is the data's total variance.
func (p Problem) GapAt(t float64, n int, seed uint64) (Stat, error) {
	s, err := p.DrawAt(n, t, seed)
	if err != nil {
		return Stat{}, err
	}
	c, err := p.Target(Conditional, s)
	if err != nil {
		return Stat{}, err
	}
	m, err := p.Target(Marginal, s)
	if err != nil {
		return Stat{}, err
	}
	return MeanSE(SqDist(c, m)), nil
}

// BinByTime splits [0, 1] into k equal bins and returns, per bin, the mean
// of x over the samples whose time t[i] falls in it, with its standard
// error (NaN mean for an empty bin, NaN SE for a bin with one sample). A
// time of exactly 1 counts in the last bin. x and t have the same length.
func BinByTime(t, x []float64, k int) ([]Stat, error) {
	if k < 1 {
		return nil, fmt.Errorf("fmloss.BinByTime: k = %d bins; need k >= 1", k)
	}
	if len(t) != len(x) {
		return nil, fmt.Errorf("fmloss.BinByTime: %d times for %d values; need one time per value", len(t), len(x))
	}
	bins := make([][]float64, k)
	for i, ti := range t {
		if !(ti >= 0 && ti <= 1) {
			return nil, fmt.Errorf("fmloss.BinByTime: t[%d] = %g is outside [0, 1]", i, ti)
		}
		b := min(int(ti*float64(k)), k-1)
		bins[b] = append(bins[b], x[i])
	}
	out := make([]Stat, k)
	for b, v := range bins {
		if len(v) == 0 {
			out[b] = Stat{math.NaN(), math.NaN()}
			continue
		}
		out[b] = MeanSE(v)
	}
	return out, nil
}
