package coupling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/internal/parallel"
)

// Defaults of Sinkhorn's zero-valued fields.
const (
	// DefaultSinkhornMaxIter is the iteration limit used when MaxIter is 0.
	DefaultSinkhornMaxIter = 2000
	// DefaultSinkhornTol is the marginal tolerance used when Tol is 0: 0.1% of
	// the mass may sit in the wrong rows, ample for sampling pairs.
	DefaultSinkhornTol = 1e-3
)

// Sinkhorn pairs the batches by sampling from the entropy-regularised optimal
// transport plan for the squared Euclidean cost (see the package doc):
//
//	P = argmin_{P in U(a, b)} <P, C> - eps H(P),  a = 1/n, b = 1/m uniform.
//
// Pair keeps x0 in its order and, for every row i, draws its partner x1[j]
// from the conditional P[i, j] / sum_j P[i, j] (independently across rows,
// with rng). The pair (x0p[k], x1p[k]) at a uniformly chosen k is therefore
// distributed as P, up to P's row-marginal error (at most Tol in L1). As Epsilon -> 0 the plan tends to the exact OT
// matching; as Epsilon -> infinity to the independent coupling.
type Sinkhorn struct {
	// Epsilon is the entropic temperature relative to the mean cost:
	// eps = Epsilon * mean_ij |x0_i - x1_j|^2, which makes the setting
	// independent of the data scale. Required, > 0. Around 0.01-0.05 the plan
	// is close to exact OT but smooth; values >> 1 approach the independent
	// coupling. The iteration count grows roughly like 1/Epsilon (on 2D
	// batches of 1024: ~45 at 0.05, ~230 at 0.01), so for small Epsilon
	// ExactOT is usually faster.
	Epsilon float64
	// MaxIter bounds the number of Sinkhorn iterations (0: DefaultSinkhornMaxIter).
	MaxIter int
	// Tol is the convergence threshold on the L1 error of the row marginals,
	// sum_i |sum_j P_ij - 1/n| (the column marginals are exact after every
	// iteration); P sums to 1, so Tol is a fraction of the total mass
	// (0: DefaultSinkhornTol).
	Tol float64
}

// Plan is an entropic transport plan between n source and m target points.
type Plan struct {
	N, M int
	// P is the plan, row-major N x M, summing to 1.
	P []float64
	// Cost is sum_ij P_ij |x0_i - x1_j|^2 (the transport cost, without entropy).
	Cost float64
	// Eps is the absolute temperature used (Epsilon times the mean cost).
	Eps float64
	// Iter is the number of Sinkhorn iterations run.
	Iter int
	// RowErr and ColErr are the L1 marginal errors sum_i |sum_j P_ij - 1/N|
	// and sum_j |sum_i P_ij - 1/M| of P.
	RowErr, ColErr float64
}

func (s Sinkhorn) settings() (maxIter int, tol float64, err error) {
	if !(s.Epsilon > 0) || math.IsInf(s.Epsilon, 0) {
		return 0, 0, fmt.Errorf("coupling: Sinkhorn: Epsilon = %v, want a finite value > 0 (relative to the mean cost; e.g. 0.05)", s.Epsilon)
	}
	maxIter, tol = s.MaxIter, s.Tol
	if maxIter < 0 {
		return 0, 0, fmt.Errorf("coupling: Sinkhorn: MaxIter = %d, want >= 0 (0 means %d)", maxIter, DefaultSinkhornMaxIter)
	}
	if maxIter == 0 {
		maxIter = DefaultSinkhornMaxIter
	}
	if tol < 0 || math.IsNaN(tol) {
		return 0, 0, fmt.Errorf("coupling: Sinkhorn: Tol = %v, want >= 0 (0 means %g)", tol, DefaultSinkhornTol)
	}
	if tol == 0 {
		tol = DefaultSinkhornTol
	}
	return maxIter, tol, nil
}

// Pair implements Coupler. It returns an error if the plan did not reach Tol
// within MaxIter iterations (raise MaxIter or Epsilon), or if rng is nil.
func (s Sinkhorn) Pair(x0, x1 [][]float64, rng *rand.Rand) (x0p, x1p [][]float64, err error) {
	n, _, err := checkBatches("Sinkhorn", x0, x1)
	if err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, fmt.Errorf("coupling: Sinkhorn: rng is nil; pairs are sampled from the plan")
	}
	st := sinkPool.Get().(*sinkState)
	defer sinkPool.Put(st)
	if _, err := s.solve(st, x0, x1); err != nil {
		return nil, nil, err
	}
	x0p = append([][]float64(nil), x0...)
	x1p = make([][]float64, n)
	for i := 0; i < n; i++ {
		// row i of the plan is u_i K_ij v_j; sample j proportionally to K_ij v_j
		kr := st.k[i*n : i*n+n]
		var tot float64
		for j, kv := range kr {
			tot += float64(kv) * st.v[j]
		}
		r := rng.Float64() * tot
		j := 0
		for ; j < n-1; j++ {
			if r -= float64(kr[j]) * st.v[j]; r < 0 {
				break
			}
		}
		x1p[i] = x1[j]
	}
	return x0p, x1p, nil
}

// Plan computes the entropic plan between x0 (n points) and x1 (m points, same
// dimension; n and m may differ). It returns an error if the settings or the
// inputs are invalid or if the marginals did not reach Tol within MaxIter
// iterations (the unconverged plan is returned with the error).
func (s Sinkhorn) Plan(x0, x1 [][]float64) (*Plan, error) {
	_, d, err := points.Check(x0)
	if err != nil {
		return nil, fmt.Errorf("coupling: Sinkhorn: x0: %w", err)
	}
	_, d1, err := points.Check(x1)
	if err != nil {
		return nil, fmt.Errorf("coupling: Sinkhorn: x1: %w", err)
	}
	if d != d1 {
		return nil, fmt.Errorf("coupling: Sinkhorn: dimensions differ: x0 rows have %d coordinates, x1 rows have %d", d, d1)
	}
	st := new(sinkState)
	out, solveErr := s.solve(st, x0, x1)
	if out == nil {
		return nil, solveErr
	}
	n, m := st.n, st.m
	a, b := 1/float64(n), 1/float64(m)
	out.P = make([]float64, n*m)
	rowSums, colSums := make([]float64, n), make([]float64, m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			p := st.u[i] * float64(st.k[i*m+j]) * st.v[j]
			out.P[i*m+j] = p
			out.Cost += p * st.c[i*m+j]
			rowSums[i] += p
			colSums[j] += p
		}
	}
	out.RowErr = 0 // recomputed from P (solve left the last sweep's value)
	for _, r := range rowSums {
		out.RowErr += math.Abs(r - a)
	}
	for _, r := range colSums {
		out.ColErr += math.Abs(r - b)
	}
	return out, solveErr
}

// bigScale bounds the scaling factors u, v to [1/bigScale, bigScale]; beyond
// that they are absorbed into the log-domain potentials. The kernel is stored
// in float32, so K_ij ~ P_ij / (u_i v_j) <= bigScale^2 must stay far below
// float32's 3.4e38.
const bigScale = 1e10

// sinkState holds the buffers of one Sinkhorn solve (pooled for Pair).
type sinkState struct {
	n, m       int
	c          []float64 // cost, row-major n x m
	k          []float32 // kernel exp((f_i + g_j - C_ij)/eps), row-major
	f, g, u, v []float64
	uNew       []float64
	workers    []sinkWorker
}

// sinkWorker is one goroutine's share of the row sweep.
type sinkWorker struct {
	lo, hi   int       // rows [lo, hi)
	colSum   []float64 // partial K^T u_new over its rows
	tmp      []float64 // log-sum-exp scratch
	rowErr   float64
	absorbed bool
}

var sinkPool = sync.Pool{New: func() any { return new(sinkState) }}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// solve runs the log-stabilised Sinkhorn iteration on validated inputs,
// leaving the plan as u_i K_ij v_j in st. It returns the Plan header (P not
// filled), and an error when not converged.
//
// Each iteration is one sweep over the rows of K (split across goroutines):
// row i computes (K v)_i, its marginal error under the current plan,
// u_i <- a / (K v)_i and accumulates K^T u into column sums; then
// v_j <- b / (K^T u)_j. This is exactly Sinkhorn's alternating update (u from
// the old v, v from the new u) with one pass over memory. When a factor
// leaves [1/bigScale, bigScale] or a sum underflows, it is absorbed into its
// potential, computed exactly by a log-sum-exp over that row or column, and
// the row or column of K is recomputed: the result is the log-domain
// iteration without its per-iteration exponentials.
func (s Sinkhorn) solve(st *sinkState, x0, x1 [][]float64) (*Plan, error) {
	maxIter, tol, err := s.settings()
	if err != nil {
		return nil, err
	}
	n, m := len(x0), len(x1)
	st.n, st.m = n, m
	st.c = grow(st.c, n*m)
	st.k = grow(st.k, n*m)
	st.f, st.g = grow(st.f, n), grow(st.g, m)
	st.u, st.v, st.uNew = grow(st.u, n), grow(st.v, m), grow(st.uNew, n)
	c, k, f, g, u, v := st.c, st.k, st.f, st.g, st.u, st.v
	sqDistMatrix(c, x0, x1)
	var meanC, maxC float64
	for _, x := range c {
		meanC += x
		maxC = max(maxC, x)
	}
	if math.IsInf(meanC, 0) {
		return nil, fmt.Errorf("coupling: Sinkhorn: the points' coordinates are too large: their squared distances (or the sum of them) overflow float64; rescale the points (divide both sets by one factor: Epsilon is relative, so the plan does not change)")
	}
	meanC /= float64(n * m)
	if largest, bad := tooSmall(c, x0, x1); bad {
		return nil, fmt.Errorf("coupling: Sinkhorn: the points' coordinates are too small: the largest squared distance is %g, below %g, where float64 keeps too few digits of the costs (or rounds them to 0); rescale the points (multiply both sets by one factor: Epsilon is relative, so the plan does not change)", largest, minMaxSqDist)
	}
	a, b := 1/float64(n), 1/float64(m)
	out := &Plan{N: n, M: m}
	if meanC == 0 { // all points coincide: every coupling is optimal; take the uniform one
		for i := range u {
			u[i] = a
		}
		for j := range v {
			v[j] = 1
		}
		for i := range k {
			k[i] = float32(b)
		}
		return out, nil
	}
	eps := s.Epsilon * meanC
	out.Eps = eps
	inv := 1 / eps
	if math.IsInf(eps, 0) || math.IsInf(inv, 0) {
		return nil, fmt.Errorf("coupling: Sinkhorn: Epsilon = %g times the mean squared distance %g gives the temperature %g, whose inverse is outside float64's range; use an Epsilon of about 0.01 to 10, or rescale the points", s.Epsilon, meanC, eps)
	}
	if eps < minRelTemp*maxC {
		return nil, fmt.Errorf("coupling: Sinkhorn: Epsilon = %g gives the temperature %g, below %g of the largest squared distance %g, where float64 rounding of the costs swamps the plan; raise Epsilon (0.01 to 0.05 is close to exact OT; ExactOT is exact)", s.Epsilon, eps, minRelTemp, maxC)
	}

	// Workers: contiguous row blocks; one block below parallelMinEntries.
	nw := 1
	if n*m >= parallelMinEntries {
		nw = min(runtime.GOMAXPROCS(0), n)
	}
	if cap(st.workers) < nw {
		st.workers = make([]sinkWorker, nw)
	}
	st.workers = st.workers[:nw]
	for w := range st.workers {
		wk := &st.workers[w]
		wk.lo, wk.hi = w*n/nw, (w+1)*n/nw
		wk.colSum = grow(wk.colSum, m)
		wk.tmp = grow(wk.tmp, max(n, m))
	}
	onWorkers := func(fn func(wk *sinkWorker)) {
		parallel.Run(nw, func(w int) { fn(&st.workers[w]) })
	}

	rebuildRow := func(i int) {
		kr, cr := k[i*m:i*m+m], c[i*m:i*m+m]
		for j := range kr {
			kr[j] = float32(math.Exp((f[i] + g[j] - cr[j]) * inv))
		}
	}
	rebuildCol := func(j int) {
		for i := 0; i < n; i++ {
			k[i*m+j] = float32(math.Exp((f[i] + g[j] - c[i*m+j]) * inv))
		}
	}
	// Start with f_i = min_j C_ij, g = 0, u = v = 1: every row of K has a
	// maximum of 1.
	for j := range v {
		g[j], v[j] = 0, 1
	}
	onWorkers(func(wk *sinkWorker) {
		for i := wk.lo; i < wk.hi; i++ {
			row := c[i*m : i*m+m]
			mn := row[0]
			for _, x := range row {
				mn = min(mn, x)
			}
			f[i], u[i] = mn, 1
			rebuildRow(i)
		}
	})
	// logSumRow: log sum_j exp((f_i + g_j - C_ij)/eps + log v_j), stably.
	logSumRow := func(i int, tmp []float64) float64 {
		mx := math.Inf(-1)
		for j := 0; j < m; j++ {
			tmp[j] = (f[i]+g[j]-c[i*m+j])*inv + math.Log(v[j])
			mx = max(mx, tmp[j])
		}
		var sum float64
		for j := 0; j < m; j++ {
			sum += math.Exp(tmp[j] - mx)
		}
		return mx + math.Log(sum)
	}
	logSumCol := func(j int, tmp []float64) float64 {
		mx := math.Inf(-1)
		for i := 0; i < n; i++ {
			tmp[i] = (f[i]+g[j]-c[i*m+j])*inv + math.Log(u[i])
			mx = max(mx, tmp[i])
		}
		var sum float64
		for i := 0; i < n; i++ {
			sum += math.Exp(tmp[i] - mx)
		}
		return mx + math.Log(sum)
	}
	const tiny = 1 / bigScale
	uNew := st.uNew
	sweep := func(wk *sinkWorker) {
		colSum := wk.colSum
		clear(colSum)
		wk.rowErr, wk.absorbed = 0, false
		for i := wk.lo; i < wk.hi; i++ {
			kr := k[i*m : i*m+m]
			sum := dot32(kr, v)
			wk.rowErr += math.Abs(u[i]*sum - a)
			ui := a / sum
			if !(sum > tiny) || math.IsInf(sum, 0) || ui > bigScale || ui < 1/bigScale {
				// absorb the exact update into f_i: f_i + eps log(a / (K v)_i)
				f[i] += eps * (math.Log(a) - logSumRow(i, wk.tmp))
				rebuildRow(i)
				ui = 1
				wk.absorbed = true
			}
			uNew[i] = ui
			axpy32(colSum, ui, kr)
		}
	}
	converged := false
	it := 0
	for ; it < maxIter; it++ {
		onWorkers(sweep)
		var rowErr float64
		absorbed := false
		for w := range st.workers {
			rowErr += st.workers[w].rowErr
			absorbed = absorbed || st.workers[w].absorbed
		}
		// rowErr belongs to the plan (u, K, v) from before this sweep, whose
		// columns are exact; accept it unless a row of K was just rebuilt.
		if it > 0 && rowErr <= tol && !absorbed {
			converged = true
			break
		}
		copy(u, uNew)
		colSum := st.workers[0].colSum
		for w := 1; w < nw; w++ {
			for j, x := range st.workers[w].colSum {
				colSum[j] += x
			}
		}
		for j := 0; j < m; j++ {
			sum := colSum[j]
			vj := b / sum
			if sum > tiny && !math.IsInf(sum, 0) && vj <= bigScale && vj >= 1/bigScale {
				v[j] = vj
				continue
			}
			g[j] += eps * (math.Log(b) - logSumCol(j, st.workers[0].tmp))
			v[j] = 1
			rebuildCol(j)
		}
		out.RowErr = rowErr
	}
	out.Iter = it
	if !converged {
		return out, fmt.Errorf("coupling: Sinkhorn: row marginal error %.3g still above Tol = %g after MaxIter = %d iterations (Epsilon = %g); raise MaxIter or Epsilon, or loosen Tol", out.RowErr, tol, maxIter, s.Epsilon)
	}
	return out, nil
}

// minRelTemp is the smallest temperature eps Sinkhorn accepts relative to
// the largest cost. The kernel's exponents (f_i + g_j - C_ij) / eps carry an
// absolute rounding error of a few ulps of the costs divided by eps, about
// 1e-16 * max C / eps: at 1e-10 that is ~1e-6, harmless, while far below it
// whole rows or columns of the kernel round to 0 or overflow. Epsilon (the
// temperature relative to the mean cost) of 0.01 and up is never near it.
const minRelTemp = 1e-10

// parallelMinEntries: plans with fewer entries are swept on one goroutine.
const parallelMinEntries = 1 << 16

// dot32Scalar returns sum_j k_j v_j with four independent accumulators
// (dot32 may use SIMD instead).
func dot32Scalar(k []float32, v []float64) float64 {
	v = v[:len(k)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(k); j += 4 {
		s0 += float64(k[j]) * v[j]
		s1 += float64(k[j+1]) * v[j+1]
		s2 += float64(k[j+2]) * v[j+2]
		s3 += float64(k[j+3]) * v[j+3]
	}
	for ; j < len(k); j++ {
		s0 += float64(k[j]) * v[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32Scalar adds a * k to dst (axpy32 may use SIMD instead).
func axpy32Scalar(dst []float64, a float64, k []float32) {
	dst = dst[:len(k)]
	for j, x := range k {
		dst[j] += a * float64(x)
	}
}
