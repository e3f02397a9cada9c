package metrics

import (
	"fmt"
	"math"
)

// Bins is a regular grid of N bins tiling [Min, Max) on one axis.
type Bins struct {
	Min, Max float64
	N        int
}

// Validate reports bins with N < 1 or without finite Min < Max.
func (b Bins) Validate() error {
	if b.N < 1 {
		return fmt.Errorf("metrics: Bins.N = %d; need at least one bin", b.N)
	}
	if math.IsNaN(b.Min) || math.IsNaN(b.Max) || math.IsInf(b.Min, 0) || math.IsInf(b.Max, 0) || !(b.Min < b.Max) {
		return fmt.Errorf("metrics: bins over [%g, %g); need finite Min < Max", b.Min, b.Max)
	}
	return nil
}

// Width is the width of one bin.
func (b Bins) Width() float64 { return (b.Max - b.Min) / float64(b.N) }

// Centers returns the N bin centres.
func (b Bins) Centers() []float64 {
	c := make([]float64, b.N)
	for i := range c {
		c[i] = b.Min + (float64(i)+0.5)*b.Width()
	}
	return c
}

// index returns the bin of v, or false outside [Min, Max).
func (b Bins) index(v float64) (int, bool) {
	if !(v >= b.Min && v < b.Max) {
		return 0, false
	}
	i := int((v - b.Min) / b.Width())
	return min(i, b.N-1), true
}

func checkBins(fn string, bins []Bins) (cells int, err error) {
	if len(bins) == 0 {
		return 0, fmt.Errorf("metrics: %s: no bins given (one Bins per coordinate)", fn)
	}
	cells = 1
	for k, b := range bins {
		if err := b.Validate(); err != nil {
			return 0, fmt.Errorf("metrics: %s: axis %d: %w", fn, k, err)
		}
		cells *= b.N
	}
	if cells > 10_000_000 {
		return 0, fmt.Errorf("metrics: %s: %d cells; at most 1e7", fn, cells)
	}
	return cells, nil
}

// Counts bins the rows of pts, of dimension len(bins), on the product grid of
// bins. The result is flat with the first coordinate's bin varying fastest:
// cell (i0, i1, ...) is at i0 + N0*(i1 + N1*(...)); in 2D, cell (ix, iy) is at
// iy*Nx + ix, the row layout of plots.HeatMap after BinRows. outside counts the
// rows that fall in no cell.
func Counts(pts [][]float64, bins ...Bins) (counts []int, outside int, err error) {
	cells, err := checkBins("Counts", bins)
	if err != nil {
		return nil, 0, err
	}
	if len(pts) == 0 {
		return nil, 0, fmt.Errorf("metrics: Counts: no points")
	}
	counts = make([]int, cells)
rows:
	for r, p := range pts {
		if len(p) != len(bins) {
			return nil, 0, fmt.Errorf("metrics: Counts: row %d has %d coordinates for %d axes of bins", r, len(p), len(bins))
		}
		idx, stride := 0, 1
		for k, b := range bins {
			if math.IsNaN(p[k]) {
				return nil, 0, fmt.Errorf("metrics: Counts: row %d coordinate %d is NaN", r, k)
			}
			i, ok := b.index(p[k])
			if !ok {
				outside++
				continue rows
			}
			idx += i * stride
			stride *= b.N
		}
		counts[idx]++
	}
	return counts, outside, nil
}

// BinProbs returns the probability of every cell of the product grid of bins
// (laid out as in Counts) under the density exp(logp(x)), by the composite
// midpoint rule with sub points per axis in each bin (error of order
// (width/sub)^2 times the density's second derivatives). logp is called once,
// on all sub^D * cells points (rows of dimension len(bins)), and must return
// one log-density per row.
func BinProbs(logp func(x [][]float64) ([]float64, error), sub int, bins ...Bins) ([]float64, error) {
	cells, err := checkBins("BinProbs", bins)
	if err != nil {
		return nil, err
	}
	if logp == nil {
		return nil, fmt.Errorf("metrics: BinProbs: logp is nil")
	}
	if sub < 1 {
		return nil, fmt.Errorf("metrics: BinProbs: sub = %d; need at least one point per axis and bin", sub)
	}
	d := len(bins)
	per := 1
	for range d {
		per *= sub
	}
	if cells*per > 20_000_000 {
		return nil, fmt.Errorf("metrics: BinProbs: %d evaluation points; at most 2e7 (use fewer bins or a smaller sub)", cells*per)
	}
	// Axis k has N_k*sub fine points; point (f0, f1, ...) belongs to cell (f0/sub, f1/sub, ...).
	fine := make([]Bins, d)
	vol := 1.0
	for k, b := range bins {
		fine[k] = Bins{Min: b.Min, Max: b.Max, N: b.N * sub}
		vol *= fine[k].Width()
	}
	centres := make([][]float64, d)
	for k := range fine {
		centres[k] = fine[k].Centers()
	}
	total := cells * per
	x := make([][]float64, total)
	cell := make([]int, total)
	for f := range total {
		row := make([]float64, d)
		rest, idx, stride := f, 0, 1
		for k := range d {
			fk := rest % fine[k].N
			rest /= fine[k].N
			row[k] = centres[k][fk]
			idx += (fk / sub) * stride
			stride *= bins[k].N
		}
		x[f], cell[f] = row, idx
	}
	lp, err := logp(x)
	if err != nil {
		return nil, fmt.Errorf("metrics: BinProbs: %w", err)
	}
	if len(lp) != total {
		return nil, fmt.Errorf("metrics: BinProbs: logp returned %d values for %d points", len(lp), total)
	}
	probs := make([]float64, cells)
	for f, v := range lp {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("metrics: BinProbs: log-density %v at %v", v, x[f])
		}
		probs[cell[f]] += math.Exp(v) * vol
	}
	return probs, nil
}

// Fit compares observed bin counts with expected ones (GoodnessOfFit).
type Fit struct {
	// MaxZ is the largest |count - n p| / sqrt(n p (1 - p)) over the bins
	// used: the deviation in binomial standard errors.
	MaxZ float64
	// WorstBin is the index of the bin with MaxZ.
	WorstBin int
	// ChiSq is sum (count - n p)^2 / (n p) over the bins used; for a correct
	// model it is about Used, give or take sqrt(2 Used).
	ChiSq float64
	// Used is the number of bins with n p >= minExpected.
	Used int
}

// GoodnessOfFit compares counts of n samples in bins (as from Counts) with
// their probabilities (as from BinProbs), over the bins where the expected
// count n p is at least minExpected (where the binomial is close to normal;
// 20 is a common choice). For a correct density and independent samples each
// bin's z-score is roughly standard normal, so max |z| over K bins exceeds 4.5
// with probability about K * 7e-6.
func GoodnessOfFit(counts []int, probs []float64, n int, minExpected float64) (Fit, error) {
	if len(counts) == 0 || len(counts) != len(probs) {
		return Fit{}, fmt.Errorf("metrics: GoodnessOfFit: %d counts and %d probabilities; need equal non-zero lengths", len(counts), len(probs))
	}
	if n < 1 {
		return Fit{}, fmt.Errorf("metrics: GoodnessOfFit: n = %d samples; need n >= 1", n)
	}
	if !(minExpected > 0) {
		return Fit{}, fmt.Errorf("metrics: GoodnessOfFit: minExpected = %g; need a positive threshold", minExpected)
	}
	f := Fit{WorstBin: -1}
	for i, p := range probs {
		if math.IsNaN(p) || p < 0 {
			return Fit{}, fmt.Errorf("metrics: GoodnessOfFit: probability %v in bin %d", p, i)
		}
		e := float64(n) * p
		if e < minExpected {
			continue
		}
		q := math.Max(1-p, 1e-12) // a bin holding (almost) all the mass
		dev := float64(counts[i]) - e
		if z := math.Abs(dev) / math.Sqrt(e*q); z > f.MaxZ || f.WorstBin < 0 {
			f.MaxZ, f.WorstBin = z, i
		}
		f.ChiSq += dev * dev / e
		f.Used++
	}
	if f.Used == 0 {
		return Fit{}, fmt.Errorf("metrics: GoodnessOfFit: no bin has an expected count of at least %g; use more samples or wider bins", minExpected)
	}
	return f, nil
}

// BinRows reshapes flat cell values laid out as in Counts (2D: x fastest) into
// rows[iy][ix] for plots.HeatMap, multiplying every value by scale (e.g.
// 1/(n * cell area) to turn counts into a density).
func BinRows(flat []float64, nx int, scale float64) ([][]float64, error) {
	if nx < 1 || len(flat) == 0 || len(flat)%nx != 0 {
		return nil, fmt.Errorf("metrics: BinRows: %d values do not fill rows of %d", len(flat), nx)
	}
	rows := make([][]float64, len(flat)/nx)
	for iy := range rows {
		rows[iy] = make([]float64, nx)
		for ix := range nx {
			rows[iy][ix] = flat[iy*nx+ix] * scale
		}
	}
	return rows, nil
}
