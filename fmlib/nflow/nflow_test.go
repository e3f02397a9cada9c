package nflow

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func be(t testing.TB) compute.Backend { return testbe.Go(t) }

func seededStore(t testing.TB, seed int64) *model.Store {
	t.Helper()
	s := model.NewStore()
	if err := s.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	return s
}

func gaussianPoints(r *rand.Rand, n, d int, scale float64) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = scale * r.NormFloat64()
		}
	}
	return x
}

// leaky is a deliberately wrong coupling layer: its conditioner reads all of
// x, x_b included, so the Jacobian is no longer triangular and sum s is not
// log|det J|.
func leaky(c Coupling) Map {
	return func(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
		s, sh := Conditioner(scope, x, len(c.Mask), c.hidden(), c.maxScale())
		keepB := graph.OneMinus(maskNode(c.Mask, x))
		s, sh = graph.Mul(s, keepB), graph.Mul(sh, keepB)
		return graph.Add(graph.Mul(x, graph.Exp(s)), sh), graph.ReduceSum(s, 1)
	}
}

func TestCouplingLogDet(t *testing.T) {
	cases := []struct {
		name string
		c    Coupling
		// tol: |claimed - autodiff| in nats. Both come from float32
		// arithmetic (relative rounding ~6e-8 per operation); the Jacobian
		// entries carry a few roundings each and the log-det sums D terms of
		// size |s| <= MaxScale, so ~1e-5 is a generous bound.
		tol float64
	}{
		{"D=2, keep x0", Coupling{Mask: []bool{true, false}}, 1e-5},
		{"D=2, keep x1", Coupling{Mask: []bool{false, true}}, 1e-5},
		{"D=3, one kept", Coupling{Mask: []bool{false, true, false}, Hidden: []int{16}}, 1e-5},
		{"D=6, alternating", Coupling{Mask: []bool{true, false, true, false, true, false}}, 1e-5},
		{"D=6, linear conditioner, large scales", Coupling{Mask: []bool{true, true, false, false, true, false}, Hidden: []int{}, MaxScale: 4}, 2e-5},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run, err := NewRunner(be(t), seededStore(t, int64(10+i)), tc.c.Forward)
			if err != nil {
				t.Fatal(err)
			}
			x := gaussianPoints(r, 64, len(tc.c.Mask), 1.5)
			claimed, auto, err := run.LogDets(x)
			if err != nil {
				t.Fatal(err)
			}
			worst, spread := 0.0, 0.0
			for k := range x {
				worst = math.Max(worst, math.Abs(claimed[k]-auto[k]))
				spread = math.Max(spread, math.Abs(claimed[k]))
			}
			if worst > tc.tol {
				t.Errorf("max |sum s - log|det J|| = %.3g > %g", worst, tc.tol)
			}
			if spread < 0.05 {
				t.Errorf("log-determinants are all below %.3g: the layer is too close to the identity to test anything", spread)
			}
			t.Logf("max diff %.3g, max |logdet| %.3g", worst, spread)

			// The leaky variant must be caught by the same comparison.
			bad, err := NewRunner(be(t), seededStore(t, int64(10+i)), leaky(tc.c))
			if err != nil {
				t.Fatal(err)
			}
			claimed, auto, err = bad.LogDets(x)
			if err != nil {
				t.Fatal(err)
			}
			worst = 0
			for k := range x {
				worst = math.Max(worst, math.Abs(claimed[k]-auto[k]))
			}
			if worst < 100*tc.tol {
				t.Errorf("leaky conditioner: max diff %.3g, want > %g", worst, 100*tc.tol)
			}
		})
	}
}

func TestCouplingInverse(t *testing.T) {
	c := Coupling{Mask: []bool{false, true, true, false}}
	store := seededStore(t, 3)
	fwd, err := NewRunner(be(t), store, c.Forward)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := NewRunner(be(t), store, c.Inverse)
	if err != nil {
		t.Fatal(err)
	}
	x := gaussianPoints(rand.New(rand.NewPCG(4, 4)), 100, 4, 2)
	y, ldF, err := fwd.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	back, ldI, err := inv.Apply(y)
	if err != nil {
		t.Fatal(err)
	}
	// float32: |x| up to ~8, scaled by up to e^2 and back: ~1e-5 absolute.
	const tol = 1e-4
	for i := range x {
		for j := range x[i] {
			if d := math.Abs(back[i][j] - x[i][j]); d > tol {
				t.Fatalf("row %d: inverse(forward(x)) = %v, x = %v", i, back[i], x[i])
			}
			if c.Mask[j] && y[i][j] != float64(float32(x[i][j])) {
				t.Fatalf("row %d: conditioning coordinate %d changed: %v -> %v", i, j, x[i][j], y[i][j])
			}
		}
		if d := math.Abs(ldF[i] + ldI[i]); d > 1e-5 {
			t.Fatalf("row %d: forward log-det %v, inverse %v; they must cancel", i, ldF[i], ldI[i])
		}
	}
}

func TestFlowDensity(t *testing.T) {
	flow, err := Alternating(2, 3, Coupling{Hidden: []int{16, 16}})
	if err != nil {
		t.Fatal(err)
	}
	store := seededStore(t, 5)
	fwd, err := NewRunner(be(t), store, flow.Forward)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := NewRunner(be(t), store, flow.Inverse)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40000
	y, _, err := fwd.Apply(gaussianPoints(rand.New(rand.NewPCG(6, 6)), n, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	bins := []metrics.Bins{{Min: -6, Max: 6, N: 24}, {Min: -6, Max: 6, N: 24}}
	logp := func(p [][]float64) ([]float64, error) { return FlowLogProb(inv, p) }
	probs, err := metrics.BinProbs(logp, 3, bins...)
	if err != nil {
		t.Fatal(err)
	}
	mass := 0.0
	for _, p := range probs {
		mass += p
	}
	counts, outside, err := metrics.Counts(y, bins...)
	if err != nil {
		t.Fatal(err)
	}
	// The box holds all but the outside fraction of the samples; its mass by
	// the formula must agree within 4 binomial standard errors plus the
	// midpoint rule's error (~1e-3 here).
	pOut := float64(outside) / n
	if d := math.Abs(1 - mass - pOut); d > 4*math.Sqrt(math.Max(pOut, 1.0/n)/n)+2e-3 {
		t.Errorf("mass in the box %.5f by the formula, %.5f by the samples", mass, 1-pOut)
	}
	fit, err := metrics.GoodnessOfFit(counts, probs, n, 20)
	if err != nil {
		t.Fatal(err)
	}
	// max |z| over ~200 bins: 4.5 is exceeded with probability ~1e-3.
	if fit.MaxZ > 4.5 {
		t.Errorf("max |z| = %.2f over %d bins", fit.MaxZ, fit.Used)
	}
	t.Logf("fit: max z %.2f chi2 %.1f over %d bins, mass %.5f outside %d", fit.MaxZ, fit.ChiSq, fit.Used, mass, outside)
	// Without the log-determinant the same test fails.
	wrong := func(p [][]float64) ([]float64, error) {
		x, _, err := inv.Apply(p)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(x))
		for i, r := range x {
			out[i] = likelihood.StdNormalLogPdf(2, r[0]*r[0]+r[1]*r[1])
		}
		return out, nil
	}
	wp, err := metrics.BinProbs(wrong, 3, bins...)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := metrics.GoodnessOfFit(counts, wp, n, 20)
	if err != nil {
		t.Fatal(err)
	}
	if wf.MaxZ < 10 {
		t.Errorf("density without the log-determinant: max |z| = %.2f; want a clear failure", wf.MaxZ)
	}
}

func TestCouplingValidate(t *testing.T) {
	cases := []struct {
		c    Coupling
		want string
	}{
		{Coupling{Mask: []bool{true}}, "D >= 2"},
		{Coupling{Mask: []bool{true, true}}, "non-empty"},
		{Coupling{Mask: []bool{false, false, false}}, "non-empty"},
		{Coupling{Mask: []bool{true, false}, Hidden: []int{4, 0}}, "Hidden[1]"},
		{Coupling{Mask: []bool{true, false}, MaxScale: -1}, "MaxScale"},
		{Coupling{Mask: []bool{true, false}, MaxScale: math.Inf(1)}, "MaxScale"},
		{Coupling{Mask: []bool{true, false}, InitStd: -0.1}, "InitStd"},
	}
	for _, tc := range cases {
		err := tc.c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.c, err, tc.want)
		}
	}
	if err := (Coupling{Mask: []bool{true, false}}).Validate(); err != nil {
		t.Errorf("valid layer: %v", err)
	}
	if _, err := Alternating(1, 2, Coupling{}); err == nil {
		t.Error("Alternating(1, ...) accepted")
	}
	if _, err := Alternating(2, 0, Coupling{}); err == nil {
		t.Error("Alternating(2, 0, ...) accepted")
	}
	if _, err := Alternating(2, 2, Coupling{Hidden: []int{-1}}); err == nil {
		t.Error("Alternating with a negative hidden width accepted")
	}
	f, err := Alternating(3, 2, Coupling{})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]bool{{true, false, true}, {false, true, false}}; !equalMasks(f, want) {
		t.Errorf("Alternating(3, 2) masks %v, want %v", f, want)
	}
	// A bad layer inside a graph panics with the validation message; the
	// runner reports it as an error.
	run, err := NewRunner(be(t), nil, Coupling{Mask: []bool{true, true}}.Forward)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run.Apply([][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), "non-empty") {
		t.Errorf("invalid mask in a graph: error %v", err)
	}
	run, err = NewRunner(be(t), nil, Coupling{Mask: []bool{true, false}}.Forward)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run.Apply([][]float64{{1, 2, 3}}); err == nil || !strings.Contains(err.Error(), "[N, 2]") {
		t.Errorf("wrong input width: error %v", err)
	}
}

func equalMasks(f Flow, want [][]bool) bool {
	if len(f) != len(want) {
		return false
	}
	for k := range f {
		if len(f[k].Mask) != len(want[k]) {
			return false
		}
		for j := range want[k] {
			if f[k].Mask[j] != want[k][j] {
				return false
			}
		}
	}
	return true
}

func TestLogAbsDet(t *testing.T) {
	cases := []struct {
		name string
		a    [][]float64
		want float64
	}{
		{"1x1", [][]float64{{-3}}, math.Log(3)},
		{"diagonal", [][]float64{{2, 0, 0}, {0, -0.5, 0}, {0, 0, 7}}, math.Log(7)},
		{"needs a row swap", [][]float64{{0, 2}, {3, 1}}, math.Log(6)},
		{"lower triangular", [][]float64{{1.5, 0, 0}, {4, 2, 0}, {-9, 3, 0.1}}, math.Log(0.3)},
		{"scaled rotation", [][]float64{{3 * math.Cos(1), -3 * math.Sin(1)}, {3 * math.Sin(1), 3 * math.Cos(1)}}, math.Log(9)},
		{"singular", [][]float64{{1, 2}, {2, 4}}, math.Inf(-1)},
		{"permutation of a diagonal", [][]float64{{0, 0, 5}, {0.2, 0, 0}, {0, 3, 0}}, math.Log(3)},
	}
	for _, tc := range cases {
		got, err := LogAbsDet(tc.a)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		// float64 elimination on exact small numbers: rounding only.
		if !(math.Abs(got-tc.want) <= 1e-12 || (math.IsInf(tc.want, -1) && math.IsInf(got, -1))) {
			t.Errorf("%s: log|det| = %v, want %v", tc.name, got, tc.want)
		}
	}
	a := [][]float64{{0, 2}, {3, 1}}
	if _, err := LogAbsDet(a); err != nil || a[0][0] != 0 || a[1][0] != 3 {
		t.Errorf("LogAbsDet modified its input: %v", a)
	}
	for _, bad := range [][][]float64{nil, {{1, 2}}, {{1, 2}, {3}}, {{math.NaN()}}} {
		if _, err := LogAbsDet(bad); err == nil {
			t.Errorf("LogAbsDet(%v) accepted", bad)
		}
	}
	// A random 6x6 matrix against the product of its (complex) eigenvalue
	// moduli is overkill; instead, det(A B) = det A det B.
	r := rand.New(rand.NewPCG(7, 7))
	m := func() [][]float64 { return gaussianPoints(r, 6, 6, 1) }
	A, B := m(), m()
	AB := make([][]float64, 6)
	for i := range AB {
		AB[i] = make([]float64, 6)
		for j := range 6 {
			for k := range 6 {
				AB[i][j] += A[i][k] * B[k][j]
			}
		}
	}
	la, _ := LogAbsDet(A)
	lb, _ := LogAbsDet(B)
	lab, _ := LogAbsDet(AB)
	if math.Abs(la+lb-lab) > 1e-10 {
		t.Errorf("log|det AB| = %v, log|det A| + log|det B| = %v", lab, la+lb)
	}
}

// linField is u(x) = x A^T with a fixed non-symmetric A: div u = tr A, and
// the Jacobian is A at every point.
var linA = [][]float64{{0.5, 1.0, -0.3}, {-0.2, -1.5, 0.8}, {0.6, 0.1, 0.4}}

func linField(_ *model.Scope, x, _ *graph.Node) *graph.Node {
	at := make([][]float64, 3)
	for i := range at {
		at[i] = []float64{linA[0][i], linA[1][i], linA[2][i]}
	}
	return graph.MatMul(x, graph.ConvertDType(graph.Const(x.Graph(), at), x.DType()))
}

func TestDivergence(t *testing.T) {
	div, err := NewDivergence(be(t), nil, linField, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 8))
	x := gaussianPoints(r, 5, 3, 1)
	tr := linA[0][0] + linA[1][1] + linA[2][2]
	ex, err := div.Exact(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ex {
		if math.Abs(v-tr) > 1e-6 { // float32 sum of three O(1) entries
			t.Errorf("exact divergence at row %d: %v, want tr A = %v", i, v, tr)
		}
	}
	jac, err := div.Jacobian(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range 3 {
			if math.Abs(jac[0][i][j]-linA[i][j]) > 1e-6 {
				t.Fatalf("Jacobian[%d][%d] = %v, want %v", i, j, jac[0][i][j], linA[i][j])
			}
		}
	}
	for _, p := range []likelihood.Probe{likelihood.Rademacher, likelihood.Gaussian} {
		const m = 20000
		pts := make([][]float64, m)
		for i := range pts {
			pts[i] = x[0]
		}
		eps, err := Probes(r, p, m, 3)
		if err != nil {
			t.Fatal(err)
		}
		est, err := div.Hutchinson(pts, eps)
		if err != nil {
			t.Fatal(err)
		}
		mean, variance := meanVar(est)
		want, err := HutchinsonVariance(linA, p)
		if err != nil {
			t.Fatal(err)
		}
		// Unbiased: the mean is within 4 standard errors of tr A.
		if se := math.Sqrt(want / m); math.Abs(mean-tr) > 4*se {
			t.Errorf("%v: mean estimate %.4f, tr A = %.4f (standard error %.4f)", p, mean, tr, se)
		}
		// The sample variance of m draws has relative standard error
		// sqrt((kurtosis - 1)/m) <~ sqrt(4/m) here; allow 5 of them.
		if math.Abs(variance/want-1) > 5*math.Sqrt(4.0/m) {
			t.Errorf("%v: variance %.4f, predicted %.4f", p, variance, want)
		}
	}
	if _, err := div.Hutchinson(x, x[:2]); err == nil {
		t.Error("Hutchinson with fewer probes than points accepted")
	}
	if _, err := div.Hutchinson(nil, x); err == nil {
		t.Error("Hutchinson with no points accepted")
	}
}

func meanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v)-1)
}

func TestHutchinsonVariance(t *testing.T) {
	// Rademacher: exact enumeration of all 2^D sign vectors.
	j := [][]float64{{1, 2, 0, -1}, {0.5, -1, 3, 0}, {0, 1, 2, 0.25}, {-2, 0, 1, 0.5}}
	d := len(j)
	var mean, sq float64
	for bits := range 1 << d {
		e := make([]float64, d)
		for k := range e {
			e[k] = 1
			if bits>>k&1 == 1 {
				e[k] = -1
			}
		}
		q := 0.0
		for a := range d {
			for b := range d {
				q += e[a] * j[a][b] * e[b]
			}
		}
		mean += q
		sq += q * q
	}
	n := float64(int(1) << d)
	mean, sq = mean/n, sq/n
	got, err := HutchinsonVariance(j, likelihood.Rademacher)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-(sq-mean*mean)) > 1e-12 {
		t.Errorf("Rademacher variance %v, enumeration %v", got, sq-mean*mean)
	}
	if math.Abs(mean-(1-1+2+0.5)) > 1e-12 {
		t.Errorf("enumerated mean %v is not the trace", mean)
	}
	// Gaussian, diagonal J: eps^T J eps = sum J_ii eps_i^2, variance 2 sum J_ii^2.
	g, err := HutchinsonVariance([][]float64{{2, 0}, {0, -3}}, likelihood.Gaussian)
	if err != nil || math.Abs(g-26) > 1e-12 {
		t.Errorf("Gaussian variance of diag(2, -3): %v, %v; want 26", g, err)
	}
	if _, err := HutchinsonVariance([][]float64{{1, 2}}, likelihood.Rademacher); err == nil {
		t.Error("non-square matrix accepted")
	}
	if _, err := HutchinsonVariance([][]float64{{1}}, likelihood.Probe(7)); err == nil {
		t.Error("unknown probe accepted")
	}
	if _, err := Probes(rand.New(rand.NewPCG(1, 1)), likelihood.Probe(7), 2, 2); err == nil {
		t.Error("Probes: unknown probe accepted")
	}
	if _, err := Probes(nil, likelihood.Gaussian, 2, 2); err == nil {
		t.Error("Probes: nil source accepted")
	}
	if _, err := Probes(rand.New(rand.NewPCG(1, 1)), likelihood.Gaussian, 0, 2); err == nil {
		t.Error("Probes: zero probes accepted")
	}
}

func TestMatricesAndRunnerErrors(t *testing.T) {
	if _, err := Matrices(nil); err == nil {
		t.Error("Matrices(nil) accepted")
	}
	if _, err := NewRunner(nil, nil, Coupling{}.Forward); err == nil {
		t.Error("NewRunner without backend accepted")
	}
	if _, err := NewRunner(be(t), nil, nil); err == nil {
		t.Error("NewRunner without map accepted")
	}
	if _, err := NewDivergence(be(t), nil, nil, 0); err == nil {
		t.Error("NewDivergence without field accepted")
	}
	if _, err := FlowLogProb(nil, [][]float64{{1, 2}}); err == nil {
		t.Error("FlowLogProb without runner accepted")
	}
	run, err := NewRunner(be(t), nil, Coupling{Mask: []bool{true, false}}.Forward)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run.Apply([][]float64{{1, math.NaN()}}); err == nil {
		t.Error("NaN input accepted")
	}
	if _, _, err := run.Apply(nil); err == nil {
		t.Error("empty input accepted")
	}
}

func TestFlowInverseAndLogDet(t *testing.T) {
	flow, err := Alternating(4, 3, Coupling{Hidden: []int{16}, InitStd: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	store := seededStore(t, 9)
	fwd, err := NewRunner(be(t), store, flow.Forward)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := NewRunner(be(t), store, flow.Inverse)
	if err != nil {
		t.Fatal(err)
	}
	x := gaussianPoints(rand.New(rand.NewPCG(9, 9)), 50, 4, 1.5)
	// The flow's log-det (a sum over layers) against its full Jacobian:
	// float32 rounding through three layers, as in TestCouplingLogDet.
	claimed, auto, err := fwd.LogDets(x)
	if err != nil {
		t.Fatal(err)
	}
	y, ldF, err := fwd.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	back, ldI, err := inv.Apply(y)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if d := math.Abs(claimed[i] - auto[i]); d > 2e-5 {
			t.Errorf("row %d: flow log-det %v, autodiff %v", i, claimed[i], auto[i])
		}
		if d := math.Abs(ldF[i] + ldI[i]); d > 2e-5 {
			t.Errorf("row %d: forward log-det %v and inverse %v do not cancel", i, ldF[i], ldI[i])
		}
		for j := range x[i] {
			if d := math.Abs(back[i][j] - x[i][j]); d > 1e-4 {
				t.Fatalf("row %d: inverse(forward(x)) = %v, x = %v", i, back[i], x[i])
			}
		}
	}
}

// mlpField is a small random network u(x) with a dense Jacobian.
func mlpField(scope *model.Scope, x, t *graph.Node) *graph.Node {
	d := x.Shape().Dimensions[1]
	h := graph.Tanh(models.Dense(scope.At("h"), graph.Concatenate([]*graph.Node{x, graph.BroadcastToDims(graph.Reshape(t, 1, 1), x.Shape().Dimensions[0], 1)}, 1), 24))
	return models.Dense(scope.At("out"), h, d)
}

func TestDivergenceNonlinear(t *testing.T) {
	div, err := NewDivergence(be(t), seededStore(t, 11), mlpField, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	x := gaussianPoints(rand.New(rand.NewPCG(10, 10)), 7, 5, 1)
	ex, err := div.Exact(x)
	if err != nil {
		t.Fatal(err)
	}
	jac, err := div.Jacobian(x)
	if err != nil {
		t.Fatal(err)
	}
	// Row independence: the Jacobian of row 0 alone is the same as in the batch.
	alone, err := div.Jacobian(x[:1])
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		tr := 0.0
		for k := range 5 {
			tr += jac[i][k][k]
		}
		// Two float32 computations of the same five numbers.
		if math.Abs(ex[i]-tr) > 1e-5 {
			t.Errorf("row %d: exact divergence %v, trace of the Jacobian %v", i, ex[i], tr)
		}
	}
	for a := range 5 {
		for b := range 5 {
			if math.Abs(alone[0][a][b]-jac[0][a][b]) > 1e-6 {
				t.Fatalf("Jacobian of row 0 depends on the other rows: %v vs %v", alone[0][a][b], jac[0][a][b])
			}
		}
	}
	// Hutchinson with e_k probes recovers the diagonal entries exactly.
	for k := range 5 {
		eps := make([][]float64, len(x))
		for i := range eps {
			eps[i] = make([]float64, 5)
			eps[i][k] = 1
		}
		h, err := div.Hutchinson(x, eps)
		if err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if math.Abs(h[i]-jac[i][k][k]) > 1e-6 {
				t.Errorf("row %d, probe e_%d: %v, Jacobian entry %v", i, k, h[i], jac[i][k][k])
			}
		}
	}
}
