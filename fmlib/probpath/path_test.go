package probpath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func backendForTest(t *testing.T) compute.Backend { return testbe.Go(t) }

// f32eps is the float32 unit roundoff (2^-24).
const f32eps = 1.0 / (1 << 24)

func mustPath(t *testing.T, s schedule.Scheduler) Affine {
	t.Helper()
	p, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// normals returns an [n][d] matrix of standard normals from a seeded PCG.
func normals(seed uint64, n, d int) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = rng.NormFloat64()
		}
	}
	return out
}

// f32 rounds a matrix to float32 rows (graph inputs) and back to float64, so
// host references see exactly the values the graph sees.
func f32(m [][]float64) ([][]float32, [][]float64) {
	a := make([][]float32, len(m))
	b := make([][]float64, len(m))
	for i, row := range m {
		a[i] = make([]float32, len(row))
		b[i] = make([]float64, len(row))
		for j, v := range row {
			a[i][j] = float32(v)
			b[i][j] = float64(a[i][j])
		}
	}
	return a, b
}

func vec32(v []float64) ([]float32, []float64) {
	a := make([]float32, len(v))
	b := make([]float64, len(v))
	for i, x := range v {
		a[i] = float32(x)
		b[i] = float64(a[i])
	}
	return a, b
}

func tensorRows(t *testing.T, tt *tensors.Tensor) [][]float32 {
	t.Helper()
	v, ok := tt.Value().([][]float32)
	if !ok {
		t.Fatalf("tensor %s is not a float32 matrix", tt.Shape())
	}
	return v
}

// schedules used across tests: each family, with settings whose coefficients
// are finite on (0, 1).
var testSchedules = []schedule.Scheduler{
	schedule.CondOT{SigmaMin: 0.01},
	schedule.CondOT{},
	schedule.VP{},
	schedule.VE{SigmaMin: 0.01, SigmaMax: 10},
	schedule.Cosine{},
	schedule.Polynomial{N: 2},
}

func TestNew(t *testing.T) {
	if _, err := New(nil); err == nil || !strings.Contains(err.Error(), "nil scheduler") {
		t.Errorf("New(nil) error = %v, want one saying nil scheduler", err)
	}
	if _, err := New(schedule.CondOT{SigmaMin: 1.5}); err == nil || !strings.Contains(err.Error(), "SigmaMin") {
		t.Errorf("New(CondOT{1.5}) error = %v, want one naming SigmaMin", err)
	}
	if p, err := New(schedule.Cosine{}); err != nil || p.Sched.Name() != "Cosine" {
		t.Errorf("New(Cosine) = %v, %v", p, err)
	}
}

// TestSampleMatchesHost: Xt and DXt equal alpha x1 + sigma x0 and
// alpha' x1 + sigma' x0 computed in float64 from the same float32 inputs,
// with t given per row ([B]). Tolerance 16 eps32 (|alpha x1| + |sigma x0|) + 1e-30:
// the graph forms two float32 products and a sum (3 roundings, each at most
// eps32 of the terms), and the float32 coefficients carry their own error:
// up to ~8 eps32 relative for VE, whose exp(log(1000) (1-t)) amplifies the
// rounding of its argument (<= 6.9) by that argument (schedule tests measured
// 4.7e-7 = 7.9 eps32).
func TestSampleMatchesHost(t *testing.T) {
	const b, d = 6, 3
	x0, x0h := f32(normals(1, b, d))
	x1, x1h := f32(normals(2, b, d))
	tv, th := vec32([]float64{0, 0.1, 0.37, 0.5, 0.83, 0.99})
	for _, s := range testSchedules {
		p := mustPath(t, s)
		outs := graph.MustExecOnceN(backendForTest(t), func(x0n, x1n, tn *graph.Node) []*graph.Node {
			smp := p.Sample(x0n, x1n, tn)
			return []*graph.Node{smp.Xt, smp.DXt}
		}, x0, x1, tv)
		xt, dxt := tensorRows(t, outs[0]), tensorRows(t, outs[1])
		for i := range b {
			c := s.At(th[i])
			for j := range d {
				wantX := c.Alpha*x1h[i][j] + c.Sigma*x0h[i][j]
				wantD := c.DAlpha*x1h[i][j] + c.DSigma*x0h[i][j]
				tolX := 16*f32eps*(math.Abs(c.Alpha*x1h[i][j])+math.Abs(c.Sigma*x0h[i][j])) + 1e-30
				tolD := 16*f32eps*(math.Abs(c.DAlpha*x1h[i][j])+math.Abs(c.DSigma*x0h[i][j])) + 1e-30
				if e := math.Abs(float64(xt[i][j]) - wantX); e > tolX {
					t.Errorf("%s row %d (t=%g) col %d: Xt %v, want %v (err %g > %g)", s.Name(), i, th[i], j, xt[i][j], wantX, e, tolX)
				}
				if e := math.Abs(float64(dxt[i][j]) - wantD); e > tolD {
					t.Errorf("%s row %d (t=%g) col %d: DXt %v, want %v (err %g > %g)", s.Name(), i, th[i], j, dxt[i][j], wantD, e, tolD)
				}
			}
		}
	}
}

// TestSampleEnds: CondOT at t = 0 gives x_t = x0 exactly (alpha = 0, sigma =
// 1 are exact in float32, so the products and sum are exact), for a scalar
// t and for data of rank 3 ([B, 2, 2], t [B] broadcast on trailing axes).
func TestSampleEnds(t *testing.T) {
	p := mustPath(t, schedule.CondOT{SigmaMin: 0.01})
	x0 := [][][]float32{{{1, 2}, {3, 4}}, {{-1, 0.5}, {7, -3}}}
	x1 := [][][]float32{{{9, 9}, {9, 9}}, {{-9, 8}, {7, 6}}}
	for _, tv := range []any{float32(0), []float32{0, 0}} {
		out := graph.MustExecOnce(backendForTest(t), func(x0n, x1n, tn *graph.Node) *graph.Node {
			return p.Sample(x0n, x1n, tn).Xt
		}, x0, x1, tv)
		got := out.Value().([][][]float32)
		if fmt.Sprint(got) != fmt.Sprint(x0) {
			t.Errorf("t=%v: Xt = %v, want x0 = %v", tv, got, x0)
		}
	}
}

// TestSampleStatisticsAtOne: at t = 1 CondOT gives x_t = x1 + sigma_min x0,
// i.e. N(x1, sigma_min^2 I) for x0 ~ N(0, I). With n = 20000 draws the sample
// mean has standard error sigma_min / sqrt(n) = 7e-5 and the sample standard
// deviation a relative standard error 1/sqrt(2n) = 0.5%; the test allows 5
// standard errors (a false failure has probability ~1e-6; the draws are
// seeded anyway). float32 rounding of x1 + 0.01 x0 (x1 ~ 2, spacing 2.4e-7)
// adds ~1e-5 relative to sigma_min: negligible.
func TestSampleStatisticsAtOne(t *testing.T) {
	const n, sigmaMin = 20000, 0.01
	p := mustPath(t, schedule.CondOT{SigmaMin: sigmaMin})
	center := []float64{1.5, -2}
	x0, _ := f32(normals(3, n, 2))
	x1 := make([][]float32, n)
	for i := range x1 {
		x1[i] = []float32{float32(center[0]), float32(center[1])}
	}
	out := graph.MustExecOnce(backendForTest(t), func(x0n, x1n, tn *graph.Node) *graph.Node {
		return p.Sample(x0n, x1n, tn).Xt
	}, x0, x1, float32(1))
	xt := tensorRows(t, out)
	for j := range 2 {
		var sum, sq float64
		for i := range n {
			sum += float64(xt[i][j])
		}
		mean := sum / n
		for i := range n {
			d := float64(xt[i][j]) - mean
			sq += d * d
		}
		std := math.Sqrt(sq / (n - 1))
		if tol := 5 * sigmaMin / math.Sqrt(n); math.Abs(mean-center[j]) > tol {
			t.Errorf("coordinate %d: mean %v, want %v +- %g", j, mean, center[j], tol)
		}
		if tol := 5 * sigmaMin / math.Sqrt(2*n); math.Abs(std-sigmaMin) > tol {
			t.Errorf("coordinate %d: std %v, want %v +- %g", j, std, sigmaMin, tol)
		}
	}
}

var allParams = []Param{Velocity, Epsilon, Score, X1}

// paramRow is how each parameterization reads off the pair (x1, eps) at
// coefficients c: value = r[0] x1 + r[1] eps. This is the test's own,
// matrix-form description of the four quantities (the package uses closed
// forms per pair).
func paramRow(q Param, c schedule.Coeffs) [2]float64 {
	switch q {
	case Velocity:
		return [2]float64{c.DAlpha, c.DSigma}
	case Epsilon:
		return [2]float64{0, 1}
	case Score:
		return [2]float64{0, -1 / c.Sigma}
	case X1:
		return [2]float64{1, 0}
	}
	panic("bad param")
}

// refConvert converts in float64 by solving the 2x2 system
// [alpha sigma; row_from] (x1, eps) = (xt, pred) with Cramer's rule.
func refConvert(from, to Param, c schedule.Coeffs, pred, xt float64) float64 {
	r := paramRow(from, c)
	det := c.Alpha*r[1] - c.Sigma*r[0]
	x1 := (xt*r[1] - c.Sigma*pred) / det
	eps := (c.Alpha*pred - r[0]*xt) / det
	q := paramRow(to, c)
	return q[0]*x1 + q[1]*eps
}

// TestRefConvert checks the test's reference itself: from exact (x1, eps),
// converting the exact "from" value must give the exact "to" value. float64
// with coefficients up to ~100: 1e-12 relative is ~100 ulps of margin.
func TestRefConvert(t *testing.T) {
	x1, eps := 0.7, -1.3
	for _, s := range testSchedules {
		for _, tt := range []float64{0.1, 0.5, 0.9} {
			c := s.At(tt)
			xt := c.Alpha*x1 + c.Sigma*eps
			for _, from := range allParams {
				for _, to := range allParams {
					rf, rt := paramRow(from, c), paramRow(to, c)
					want := rt[0]*x1 + rt[1]*eps
					got := refConvert(from, to, c, rf[0]*x1+rf[1]*eps, xt)
					if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
						t.Errorf("%s t=%g %s->%s: reference %v, want %v", s.Name(), tt, from, to, got, want)
					}
				}
			}
		}
	}
}

// TestConvert: for every schedule, t in {0.1, 0.5, 0.9} (per row) and every
// ordered pair (from, to), the graph conversion of the exact "from" value
// (rounded to float32) matches the float64 reference, and converting back
// recovers the input.
//
// Tolerance: the conversion is linear, out = A xt + B pred with A =
// ref(xt=1, pred=0), B = ref(0, 1). The graph forms A and B from a handful of
// float32 ops on the coefficients and then one multiply-add. The float32
// coefficients carry up to ~8 eps32 relative error (VE, see
// TestSampleMatchesHost) and A, B multiply up to two of them plus a few
// more roundings, so |err| <= 32 eps32 (|A xt| + |B pred|) (measured worst:
// 0.7 of 16 eps32, i.e. 11 eps32) -- it scales with
// the terms that cancel, i.e. with the conversion's conditioning (e.g.
// dividing by alpha_t = 0.01 for Polynomial(2) at t = 0.1), which a tolerance
// on |out| alone would ignore. The round trip allows the forward bound
// carried through the backward map plus the backward map's own bound.
func TestConvert(t *testing.T) {
	const b, d = 3, 4
	ts := []float64{0.1, 0.5, 0.9}
	x1s := normals(11, b, d)
	epss := normals(12, b, d)
	worst := 0.0 // largest err/tol seen, logged to show the margin
	defer func() { t.Logf("worst forward error / tolerance: %.3g", worst) }()
	for _, s := range testSchedules {
		p := mustPath(t, s)
		tv, th := vec32(ts)
		cs := make([]schedule.Coeffs, b)
		for i := range cs {
			cs[i] = s.At(th[i])
		}
		// Exact x_t and exact value of every parameterization.
		xtExact := make([][]float64, b)
		val := map[Param][][]float64{}
		for _, q := range allParams {
			val[q] = make([][]float64, b)
		}
		for i := range b {
			xtExact[i] = make([]float64, d)
			for _, q := range allParams {
				val[q][i] = make([]float64, d)
			}
			for j := range d {
				xtExact[i][j] = cs[i].Alpha*x1s[i][j] + cs[i].Sigma*epss[i][j]
				for _, q := range allParams {
					r := paramRow(q, cs[i])
					val[q][i][j] = r[0]*x1s[i][j] + r[1]*epss[i][j]
				}
			}
		}
		xt32, xth := f32(xtExact)
		for _, from := range allParams {
			pred32, predh := f32(val[from])
			for _, to := range allParams {
				outs := graph.MustExecOnceN(backendForTest(t), func(pn, xn, tn *graph.Node) []*graph.Node {
					fwd := p.Convert(from, to, pn, xn, tn)
					return []*graph.Node{fwd, p.Convert(to, from, fwd, xn, tn)}
				}, pred32, xt32, tv)
				fwd, back := tensorRows(t, outs[0]), tensorRows(t, outs[1])
				for i := range b {
					c := cs[i]
					A, B := refConvert(from, to, c, 0, 1), refConvert(from, to, c, 1, 0)
					Ab, Bb := refConvert(to, from, c, 0, 1), refConvert(to, from, c, 1, 0)
					for j := range d {
						want := refConvert(from, to, c, predh[i][j], xth[i][j])
						tol := 32*f32eps*(math.Abs(A*xth[i][j])+math.Abs(B*predh[i][j])) + 1e-30
						if from == to {
							want, tol = predh[i][j], 0 // identity: pred returned unchanged
						}
						if tol > 0 {
							worst = math.Max(worst, math.Abs(float64(fwd[i][j])-want)/tol)
						}
						if e := math.Abs(float64(fwd[i][j]) - want); e > tol || math.IsNaN(e) {
							t.Errorf("%s t=%g %s->%s [%d,%d]: got %v want %v (err %g > tol %g)", s.Name(), th[i], from, to, i, j, fwd[i][j], want, e, tol)
						}
						tolBack := math.Abs(Bb)*tol + 32*f32eps*(math.Abs(Ab*xth[i][j])+math.Abs(Bb*want)) + 1e-30
						if from == to {
							tolBack = 0
						}
						if e := math.Abs(float64(back[i][j]) - predh[i][j]); e > tolBack || math.IsNaN(e) {
							t.Errorf("%s t=%g %s->%s->%s [%d,%d]: got %v want %v (err %g > tol %g)", s.Name(), th[i], from, to, from, i, j, back[i][j], predh[i][j], e, tolBack)
						}
					}
				}
			}
		}
	}
}

// TestConvertAvoidsUnneededSingularity: at t = 0, CondOT has alpha_0 = 0;
// Score <-> Epsilon only involves sigma_0 = 1 and must stay finite and exact
// (score = -eps / 1), while Epsilon -> X1 (dividing by alpha_0) is
// legitimately infinite.
func TestConvertAvoidsUnneededSingularity(t *testing.T) {
	p := mustPath(t, schedule.CondOT{SigmaMin: 0.01})
	pred := [][]float32{{0.5, -2}}
	xt := [][]float32{{0.5, -2}}
	outs := graph.MustExecOnceN(backendForTest(t), func(pn, xn, tn *graph.Node) []*graph.Node {
		return []*graph.Node{p.Convert(Epsilon, Score, pn, xn, tn), p.Convert(Score, Epsilon, pn, xn, tn), p.Convert(Epsilon, X1, pn, xn, tn)}
	}, pred, xt, []float32{0})
	if got := tensorRows(t, outs[0]); got[0][0] != -0.5 || got[0][1] != 2 {
		t.Errorf("Epsilon->Score at t=0: %v, want [[-0.5 2]]", got)
	}
	if got := tensorRows(t, outs[1]); got[0][0] != -0.5 || got[0][1] != 2 {
		t.Errorf("Score->Epsilon at t=0: %v, want [[-0.5 2]]", got)
	}
	if got := tensorRows(t, outs[2]); !math.IsInf(float64(got[0][0]), 0) && !math.IsNaN(float64(got[0][0])) {
		t.Errorf("Epsilon->X1 at t=0 (alpha=0): %v, expected a non-finite value", got)
	}
}

// TestDXtIsCondVelocity: the graph's DXt equals the host conditional velocity
// u_t(x_t | x1) at x_t computed in float64 from the same inputs.
// Tolerance 16 eps32 (|alpha' x1| + |sigma' x0|) + 1e-30, as in
// TestSampleMatchesHost (the host side is exact to ~1e-15 relative, except
// that it goes through (x_t - alpha x1) / sigma: a cancellation of size
// eps64 |x_t| / sigma_t <= 1e-14 here, since sigma_t >= 0.01 for t <= 0.99).
func TestDXtIsCondVelocity(t *testing.T) {
	const b, d = 5, 2
	x0, x0h := f32(normals(21, b, d))
	x1, x1h := f32(normals(22, b, d))
	tv, th := vec32([]float64{0, 0.25, 0.5, 0.75, 0.99})
	for _, s := range testSchedules {
		p := mustPath(t, s)
		out := graph.MustExecOnce(backendForTest(t), func(x0n, x1n, tn *graph.Node) *graph.Node {
			return p.Sample(x0n, x1n, tn).DXt
		}, x0, x1, tv)
		dxt := tensorRows(t, out)
		for i := range b {
			c := s.At(th[i])
			x := make([]float64, d)
			for j := range d {
				x[j] = c.Alpha*x1h[i][j] + c.Sigma*x0h[i][j]
			}
			u, err := p.CondVelocity(x, x1h[i], th[i])
			if err != nil {
				t.Fatalf("%s t=%g: %v", s.Name(), th[i], err)
			}
			for j := range d {
				tol := 16*f32eps*(math.Abs(c.DAlpha*x1h[i][j])+math.Abs(c.DSigma*x0h[i][j])) + 1e-30
				if e := math.Abs(float64(dxt[i][j]) - u[j]); e > tol {
					t.Errorf("%s t=%g [%d,%d]: DXt %v, CondVelocity %v (err %g > %g)", s.Name(), th[i], i, j, dxt[i][j], u[j], e, tol)
				}
			}
		}
	}
}

func TestParamString(t *testing.T) {
	want := map[Param]string{Velocity: "Velocity", Epsilon: "Epsilon", Score: "Score", X1: "X1", Param(9): "Param(9)"}
	for q, w := range want {
		if q.String() != w || q.Valid() != (w != "Param(9)") {
			t.Errorf("Param %d: String %q Valid %v", int(q), q.String(), q.Valid())
		}
	}
}

// TestGraphPanics: programmer errors in graph building panic.
func TestGraphPanics(t *testing.T) {
	p := mustPath(t, schedule.CondOT{SigmaMin: 0.01})
	cases := []struct {
		name string
		fn   func(a, b, tn *graph.Node) *graph.Node
		tv   any
	}{
		{"Sample x0/x1 shape mismatch", func(a, b, tn *graph.Node) *graph.Node {
			return p.Sample(a, graph.Reshape(b, 1, 4), tn).Xt
		}, []float32{0.5, 0.5}},
		{"Sample time shape mismatch", func(a, b, tn *graph.Node) *graph.Node { return p.Sample(a, b, tn).Xt }, []float32{0.5, 0.5, 0.5}},
		{"Convert unknown param", func(a, b, tn *graph.Node) *graph.Node { return p.Convert(Param(7), Velocity, a, b, tn) }, []float32{0.5, 0.5}},
		{"Convert shape mismatch", func(a, b, tn *graph.Node) *graph.Node {
			return p.Convert(Score, Velocity, a, graph.Reshape(b, 4, 1), tn)
		}, []float32{0.5, 0.5}},
		{"nil scheduler", func(a, b, tn *graph.Node) *graph.Node { return Affine{}.Sample(a, b, tn).Xt }, []float32{0.5, 0.5}},
		{"VelocityGraph rank", func(a, b, tn *graph.Node) *graph.Node {
			return Empirical{Path: p}.VelocityGraph(graph.Reshape(a, 4), graph.ReduceSum(tn), b)
		}, []float32{0.5, 0.5}},
	}
	x := [][]float32{{1, 2}, {3, 4}}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			graph.MustExecOnce(backendForTest(t), c.fn, x, x, c.tv)
		}()
	}
}
