package likelihood

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/internal/testbe"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func be(t testing.TB) compute.Backend { return testbe.Go(t) }

// Gaussian OT path from N(0, I) to N(mu, diag(s^2)) in 2D: psi_t(x0) = t mu + sigma_t x0 with
// sigma_t = 1 + (s - 1) t per coordinate, so u_t(x) = mu + (s - 1)/sigma_t (x - t mu), a
// time-dependent field whose p_1 is known.
var (
	gMu = []float64{1, -0.5}
	gS  = []float64{0.5, 2}
)

func gaussianPathVelocity(_ *model.Scope, x, t *graph.Node) *graph.Node {
	g := x.Graph()
	mu := graph.Const(g, [][]float32{{float32(gMu[0]), float32(gMu[1])}})
	sm1 := graph.Const(g, [][]float32{{float32(gS[0] - 1), float32(gS[1] - 1)}})
	sigma := graph.OnePlus(graph.Mul(sm1, t))
	return graph.Add(mu, graph.Mul(graph.Div(sm1, sigma), graph.Sub(x, graph.Mul(t, mu))))
}

func gaussianLogPdf(x []float64) float64 {
	lp := 0.0
	for j := range x {
		z := (x[j] - gMu[j]) / gS[j]
		lp += -0.5*math.Log(2*math.Pi) - math.Log(gS[j]) - 0.5*z*z
	}
	return lp
}

func TestExactGaussianPath(t *testing.T) {
	e, err := New(be(t), nil, gaussianPathVelocity, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{1, -0.5}, {0.2, 1.5}, {1.9, -4}, {0.6, 0.3}}
	r, err := e.LogProbPoints(x)
	if err != nil {
		t.Fatal(err)
	}
	// The bar: 1e-3 nats with exact divergence and Dopri5 at 1e-5. The
	// solver's error is ~1e-5 per unit of the state, and float32 rounding ~1e-6.
	const tol = 1e-3
	for i, p := range x {
		want := gaussianLogPdf(p)
		if d := math.Abs(r.LogP[i] - want); d > tol {
			t.Errorf("x=%v: log p = %.6f, closed form %.6f, off by %.2g > %g", p, r.LogP[i], want, d, tol)
		}
		// The backward flow lands on x0 = (x1 - mu)/s (the same solver tolerance).
		for j := range p {
			if d := math.Abs(r.X0[i][j] - (p[j]-gMu[j])/gS[j]); d > tol {
				t.Errorf("x=%v: x0[%d] = %.6f, want %.6f", p, j, r.X0[i][j], (p[j]-gMu[j])/gS[j])
			}
		}
		if math.Abs(r.LogP0[i]+r.DeltaLogP[i]-r.LogP[i]) > 1e-12 {
			t.Errorf("LogP != LogP0 + DeltaLogP")
		}
	}
	if r.Stats.NFE == 0 || r.Stats.Accepted == 0 {
		t.Errorf("no solver statistics: %+v", r.Stats)
	}
}

// A constant symmetric linear field u(x) = A x: x_1 = e^A x_0, so
// log p_1(x) = log N(e^{-A} x; 0, I) - tr A. Its Jacobian has off-diagonal
// entries, so Hutchinson's estimate has a variance.
var linA = [2][2]float64{{0.3, 0.4}, {0.4, -0.2}}

func linearVelocity(_ *model.Scope, x, _ *graph.Node) *graph.Node {
	a := graph.Const(x.Graph(), [][]float32{{float32(linA[0][0]), float32(linA[1][0])}, {float32(linA[0][1]), float32(linA[1][1])}})
	return graph.MatMul(x, a) // rows times A^T
}

// expNegA returns e^{-A} by its Taylor series (|A| < 1: 30 terms reach float64 precision).
func expNegA() [2][2]float64 {
	res := [2][2]float64{{1, 0}, {0, 1}}
	term := res
	for k := 1; k <= 30; k++ {
		var next [2][2]float64
		for i := range 2 {
			for j := range 2 {
				next[i][j] = -(term[i][0]*linA[0][j] + term[i][1]*linA[1][j]) / float64(k)
			}
		}
		term = next
		for i := range 2 {
			for j := range 2 {
				res[i][j] += term[i][j]
			}
		}
	}
	return res
}

func linearLogPdf(x []float64) float64 {
	m := expNegA()
	x0 := []float64{m[0][0]*x[0] + m[0][1]*x[1], m[1][0]*x[0] + m[1][1]*x[1]}
	return StdNormalLogPdf(2, x0[0]*x0[0]+x0[1]*x0[1]) - (linA[0][0] + linA[1][1])
}

func TestHutchinsonUnbiased(t *testing.T) {
	p := []float64{0.7, -1.2}
	want := linearLogPdf(p)
	exact, err := New(be(t), nil, linearVelocity, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := exact.LogProbPoints([][]float64{p})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(r.LogP[0] - want); d > 1e-3 { // as in TestExactGaussianPath
		t.Fatalf("exact: log p %.6f, closed form %.6f", r.LogP[0], want)
	}
	// M copies of the point, each with its own probes: M independent estimates.
	const m = 400
	rows := make([][]float64, m)
	for i := range rows {
		rows[i] = p
	}
	for _, c := range []struct {
		probe  Probe
		probes int
		// the per-probe variance of eps^T A eps: Rademacher 4 a_12^2 = 0.64;
		// Gaussian 2 |A|_F^2 = 0.9
		perProbeVar float64
	}{
		{Rademacher, 1, 0.64},
		{Rademacher, 8, 0.64},
		{Gaussian, 1, 0.9},
	} {
		h, err := New(be(t), nil, linearVelocity, Options{Method: Hutchinson, Probe: c.probe, Probes: c.probes, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		r, err := h.LogProbPoints(rows)
		if err != nil {
			t.Fatal(err)
		}
		mean, se := metrics.MeanSE(r.LogP)
		// Unbiased: the mean of M estimates is within 3 standard errors of the truth.
		if d := math.Abs(mean - want); d > 3*se {
			t.Errorf("%s x%d: mean %.5f vs closed form %.5f: off by %.3g > 3 SE = %.3g", c.probe, c.probes, mean, want, d, 3*se)
		}
		v := se * se * m
		// The sample variance of 400 estimates is within +-30% of the predicted
		// one with overwhelming probability (its relative SE is about sqrt(2/399) = 7%,
		// more for the heavier-tailed Gaussian case).
		if pred := c.perProbeVar / float64(c.probes); math.Abs(v-pred) > 0.3*pred {
			t.Errorf("%s x%d: variance %.4f, predicted %.4f", c.probe, c.probes, v, pred)
		}
	}
}

// An image-shaped batch [N, 1, 2, 2] with the elementwise field u = c x: the
// Jacobian is c I, so every probe gives the exact trace c D.
func TestImageShapedBatch(t *testing.T) {
	const c = -0.4
	v := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.MulScalar(x, c) }
	x := tensors.FromValue([][][][]float32{{{{0.5, -1}, {2, 0.1}}}, {{{0, 0.3}, {-0.7, 1.1}}}})
	for _, opts := range []Options{{}, {Method: Hutchinson, Seed: 1}, {Method: Hutchinson, Probe: Gaussian, Probes: 2}} {
		e, err := New(be(t), nil, v, opts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.LogProb(x)
		if err != nil {
			t.Fatal(err)
		}
		flat := x.Value().([][][][]float32)
		for i := range 2 {
			sq := 0.0
			for _, row := range flat[i][0] {
				for _, val := range row {
					x0 := float64(val) * math.Exp(-c)
					sq += x0 * x0
				}
			}
			want := StdNormalLogPdf(4, sq) - c*4
			tol := 1e-3 // as above; for Gaussian probes the estimate is random:
			if opts.Probe == Gaussian {
				tol = 3 // eps^T (cI) eps = c |eps|^2 has std |c| sqrt(2 D / K) = 0.57
			}
			if d := math.Abs(r.LogP[i] - want); d > tol {
				t.Errorf("%v %v: example %d: log p %.5f, want %.5f", opts.Method, opts.Probe, i, r.LogP[i], want)
			}
		}
	}
}

func TestBitsPerDim(t *testing.T) {
	// The uniform density on [-1, 1]^D, log p_y = -D ln 2, gives P(v) = 256^-D: exactly 8 bits.
	for _, d := range []int{1, 3, 784} {
		lp := -float64(d) * math.Ln2
		bpd, err := BitsPerDim([][]float64{{lp}, {lp, lp, lp}}, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bpd {
			if math.Abs(b-8) > 1e-12 {
				t.Errorf("D=%d: uniform density gives %v bits per dim, want 8", d, b)
			}
		}
	}
	// Importance weighting averages probabilities, not logs: logs 0 and -inf-ish average to log 1/2.
	bpd, _ := BitsPerDim([][]float64{{0, -1000}}, 1)
	if want := math.Log(2)/math.Ln2 + 7; math.Abs(bpd[0]-want) > 1e-12 {
		t.Errorf("log-mean-exp: got %v, want %v", bpd[0], want)
	}
	for _, bad := range []struct {
		logp [][]float64
		d    int
		want string
	}{
		{[][]float64{{1}}, 0, "dimension"},
		{[][]float64{{}}, 2, "no log-densities"},
		{[][]float64{{math.NaN()}}, 2, "NaN"},
	} {
		if _, err := BitsPerDim(bad.logp, bad.d); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("BitsPerDim(%v, %d): error %v, want one mentioning %q", bad.logp, bad.d, err, bad.want)
		}
	}
}

func TestDequantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	px := [][]float64{{0, 255, 128}, {7, 0, 1}}
	y, err := Dequantize(px, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range px {
		for j, v := range row {
			lo, hi := 2*v/256-1, 2*(v+1)/256-1 // the bin of v in [-1, 1]
			if y[i][j] < lo || y[i][j] >= hi {
				t.Errorf("value %v dequantized to %v outside its bin [%v, %v)", v, y[i][j], lo, hi)
			}
		}
	}
	for _, bad := range []struct {
		px   [][]float64
		want string
	}{
		{nil, "no examples"},
		{[][]float64{{256}}, "8-bit"},
		{[][]float64{{-1}}, "8-bit"},
		{[][]float64{{0.5}}, "8-bit"},
		{[][]float64{{math.NaN()}}, "8-bit"},
		{[][]float64{{1, 2}, {3}}, "example 1"},
	} {
		if _, err := Dequantize(bad.px, rng); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Dequantize(%v): error %v, want one mentioning %q", bad.px, err, bad.want)
		}
	}
}

func TestEstimatorBitsPerDim(t *testing.T) {
	// u = 0: p_1 = p_0 = N(0, I), so log p_y is the standard normal density at the
	// dequantized points, which we can average ourselves with the same random draws.
	zero := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.ZerosLike(x) }
	e, err := New(be(t), nil, zero, Options{})
	if err != nil {
		t.Fatal(err)
	}
	px := [][]float64{{128, 128}, {0, 255}}
	const k = 4
	got, _, err := e.BitsPerDim(px, k, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	lp := make([][]float64, len(px))
	for range k {
		y, _ := Dequantize(px, rng)
		for i, row := range y {
			lp[i] = append(lp[i], StdNormalLogPdf(2, row[0]*row[0]+row[1]*row[1]))
		}
	}
	want, _ := BitsPerDim(lp, 2)
	for i := range px {
		// float32 states: the dequantized points are rounded to ~1e-7 relative.
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Errorf("example %d: %v bits per dim, want %v", i, got[i], want[i])
		}
	}
	if _, _, err := e.BitsPerDim(px, 0, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("k = 0 accepted")
	}
}

func TestBadInput(t *testing.T) {
	v := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.Neg(x) }
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Method: Method(7)}, "unknown method"},
		{Options{Method: Hutchinson, Probe: Probe(5)}, "unknown probe"},
		{Options{Method: Hutchinson, Probes: -1}, "Probes = -1"},
		{Options{T0: 0.5, T1: 0.2}, "0 <= T0 < T1 <= 1"},
		{Options{T1: 1.5}, "0 <= T0 < T1 <= 1"},
	} {
		if _, err := New(be(t), nil, v, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): error %v, want one mentioning %q", c.opts, err, c.want)
		}
	}
	if _, err := New(be(t), nil, nil, Options{}); err == nil {
		t.Error("nil velocity accepted")
	}
	e, err := New(be(t), nil, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x    *tensors.Tensor
		want string
	}{
		{tensors.FromValue([]float32{1, 2}), "rank >= 2"},
		{tensors.FromValue([][]float64{{1, 2}}), "float32"},
		{tensors.FromValue([][]float32{{1, float32(math.NaN())}}), "non-finite"},
		{tensors.FromFlatDataAndDimensions(make([]float32, 300), 1, 300), "use Options{Method: likelihood.Hutchinson}"},
		// Empty batches: N = 0 divided the size by N; D = 0 has no coordinates.
		{tensors.FromFlatDataAndDimensions([]float32{}, 0, 2), "no points"},
		{tensors.FromFlatDataAndDimensions([]float32{}, 2, 0), "no coordinates"},
	} {
		if _, err := e.LogProb(c.x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LogProb(%s): error %v, want one mentioning %q", c.x.Shape(), err, c.want)
		}
	}
	if _, err := e.LogProbPoints([][]float64{{1, 2}, {3}}); err == nil || !strings.Contains(err.Error(), "ragged") {
		t.Errorf("ragged points: %v", err)
	}
}

// With T0, T1 the flow runs over [T0, T1] only. For v(x) = -x in D = 2,
// x(T1) = x(T0) e^{-L} with L = T1 - T0 and div v = -D, so
// log p1(x) = log N(x e^{L}; 0, I) + D L.
func TestTimeSpan(t *testing.T) {
	v := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.Neg(x) }
	x := [][]float64{{0.3, -0.2}, {1, 0.5}}
	for _, span := range [][2]float64{{0, 0}, {0.25, 0.75}, {0.1, 0.3}} {
		e, err := New(be(t), nil, v, Options{T0: span[0], T1: span[1]})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.LogProbPoints(x)
		if err != nil {
			t.Fatal(err)
		}
		l := span[1] - span[0]
		if span == [2]float64{} {
			l = 1
		}
		for i, p := range x {
			s := math.Exp(l)
			want := StdNormalLogPdf(2, (p[0]*p[0]+p[1]*p[1])*s*s) + 2*l
			// Dopri5 at 1e-5 in float32: 1e-4 absolute is 10x its error.
			if math.Abs(res.LogP[i]-want) > 1e-4 {
				t.Errorf("span %v point %d: log p = %.6f, want %.6f", span, i, res.LogP[i], want)
			}
		}
	}
}

// TestKSampleBound: the K-sample (importance-weighted) bound against the
// one-sample bound and the exact bits per dimension, for a model whose
// discrete probability is known: y ~ N(0, s^2 I), so that
// P(v) = prod_j (Phi(b_j/s) - Phi(a_j/s)) over the cell [a_j, b_j) of each
// pixel. s = 0.005 is below the cell width 2/256 = 0.0078, so the density
// changes across a cell and the bounds differ visibly (for a density that is
// flat across cells they coincide). Checks: per draw the K-sample bound is at
// most the mean of the one-sample bounds of the same draws (Jensen); in
// expectation both lie above the exact value and K = 5 is closer. The
// estimator itself (a linear flow dx/dt = log(s) x, whose p_1 is this
// Gaussian) returns the closed-form log-densities through DequantizedLogProb.
func TestKSampleBound(t *testing.T) {
	const s, k, reps = 0.005, 5, 4000
	px := [][]float64{{127, 128}, {120, 131}}
	const d = 2
	logN := func(y []float64) float64 {
		sq := 0.0
		for _, v := range y {
			sq += v * v
		}
		return StdNormalLogPdf(d, sq/(s*s)) - d*math.Log(s)
	}
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for i, row := range px {
		exact := 0.0
		for _, v := range row {
			a, b := 2*v/256-1, 2*(v+1)/256-1
			exact -= math.Log(phi(b/s)-phi(a/s)) / (d * math.Ln2)
		}
		rng := rand.New(rand.NewPCG(7, uint64(i)))
		var one, many, diff []float64
		for range reps {
			lp := make([]float64, k)
			for j := range lp {
				y, _ := Dequantize([][]float64{row}, rng)
				lp[j] = logN(y[0])
			}
			b1, err := BitsPerDimOneSample([][]float64{lp}, d)
			if err != nil {
				t.Fatal(err)
			}
			bk, _ := BitsPerDim([][]float64{lp}, d)
			if bk[0] > b1[0]+1e-12 {
				t.Fatalf("example %d: K-sample bound %v above the one-sample bound %v of the same draws", i, bk[0], b1[0])
			}
			one, many, diff = append(one, b1[0]), append(many, bk[0]), append(diff, b1[0]-bk[0])
		}
		m1, se1 := meanSE(one)
		mk, sek := meanSE(many)
		md, sed := meanSE(diff)
		t.Logf("example %d: exact %.4f bits/dim, K = 1 %.4f +- %.4f, K = %d %.4f +- %.4f", i, exact, m1, se1, k, mk, sek)
		// 5 standard errors: a false alarm has odds below 1e-6.
		if !(md > 5*sed) {
			t.Errorf("example %d: K = %d bound not below the K = 1 bound in expectation: difference %v +- %v", i, k, md, sed)
		}
		if mk < exact-5*sek || m1 < exact-5*se1 {
			t.Errorf("example %d: a bound below the exact %v: K = 1 %v +- %v, K = %d %v +- %v", i, exact, m1, se1, k, mk, sek)
		}
		if !(mk-exact < m1-exact) {
			t.Errorf("example %d: K = %d (%v) not closer to the exact %v than K = 1 (%v)", i, k, mk, exact, m1)
		}
	}

	// The estimator on the linear flow: the same log-densities, in the
	// order of DequantizedLogProb's draws.
	c := math.Log(s)
	lin := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.MulScalar(x, c) }
	e, err := New(be(t), nil, lin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := e.DequantizedLogProb(px, 3, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for j := range 3 {
		y, _ := Dequantize(px, rng)
		for i := range px {
			// Dopri5 at rtol 1e-5 on a linear ODE: x_0 = y/s is good to a few
			// rtol relative, so |x_0|^2/2 (up to ~80 for the second example,
			// 12 sd out) to ~1e-4 relative; float32 states add 1e-3 absolute.
			if want := logN(y[i]); math.Abs(got[i][j]-want) > 1e-4*math.Abs(want)+1e-3 {
				t.Errorf("example %d draw %d: log p %v, want %v", i, j, got[i][j], want)
			}
		}
	}
}

func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}
