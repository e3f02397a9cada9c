package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func backendForTest(t *testing.T) compute.Backend { return testbe.Go(t) }

// sigmaMin of the CondOT path used throughout: small but > 0, so sigma_t >= 0.01
// and the DSM target -x0/sigma_t stays finite on all of [0, 1].
const sigmaMin = 0.01

func condOT(t *testing.T) probpath.Affine {
	t.Helper()
	p, err := probpath.New(schedule.CondOT{SigmaMin: sigmaMin})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// randomBatch returns float32 x0 ~ N(0,1), x1 ~ N(0, 4) of shape [b, d] and t ~ U[0, 1].
func randomBatch(seed uint64, b, d int) (x0, x1 [][]float32, tv []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x0 = make([][]float32, b)
	x1 = make([][]float32, b)
	tv = make([]float32, b)
	for i := range b {
		x0[i] = make([]float32, d)
		x1[i] = make([]float32, d)
		for j := range d {
			x0[i][j] = float32(rng.NormFloat64())
			x1[i][j] = float32(2 * rng.NormFloat64())
		}
		tv[i] = float32(rng.Float64())
	}
	return
}

func TestUniformTime(t *testing.T) {
	cases := []struct {
		eps float64
		u   []float32
	}{
		{0, []float32{0, 0.25, 0.999}},
		{DefaultTimeEps, []float32{0, 0.5, 0.9999}},
		{0.1, []float32{0, 0.5, 0.75}},
	}
	for _, c := range cases {
		exec, err := graph.NewExec(backendForTest(t), func(u *graph.Node) *graph.Node { return UniformTime(u, c.eps) })
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call1(c.u)
		if err != nil {
			t.Fatal(err)
		}
		got := out.Value().([]float32)
		for i, u := range c.u {
			want := c.eps + (1-2*c.eps)*float64(u)
			// float32 arithmetic on values <= 1: a few ulps (6e-8 each).
			if math.Abs(float64(got[i])-want) > 3e-7 {
				t.Errorf("eps=%g u=%v: got %v want %v", c.eps, u, got[i], want)
			}
		}
	}
	for _, eps := range []float64{-1e-3, 0.5, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("UniformTime(eps=%g) did not panic", eps)
				}
			}()
			exec, _ := graph.NewExec(backendForTest(t), func(u *graph.Node) *graph.Node { return UniformTime(u, eps) })
			exec.MustCall1([]float32{0.5})
		}()
	}
}

// TestSampleTime: range, mean, and reproducibility with a seeded store.
func TestSampleTime(t *testing.T) {
	const n = 20000
	const eps = 0.05
	draw := func(seed int64) []float32 {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(seed); err != nil {
			t.Fatal(err)
		}
		exec := model.MustNewExec(backendForTest(t), store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
			return SampleTime(scope, g, dtypes.Float32, n, eps)
		})
		return exec.MustCall1().Value().([]float32)
	}
	a := draw(5)
	sum := 0.0
	lo, hi := 1.0, 0.0
	for _, v := range a {
		sum += float64(v)
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo < eps || hi >= 1-eps {
		t.Errorf("samples span [%v, %v], want inside [%v, %v)", lo, hi, eps, 1-eps)
	}
	// The range of 20000 uniform draws leaves gaps of order 1/20000 at the
	// ends; 1e-3 is a loose bound that still catches a wrong affine map.
	if lo > eps+1e-3 || hi < 1-eps-1e-3 {
		t.Errorf("samples span [%v, %v], expected to nearly reach [%v, %v)", lo, hi, eps, 1-eps)
	}
	// Mean of U[eps, 1-eps] is 0.5, std of the mean (1-2 eps)/sqrt(12 n) =
	// 0.0018; 5 standard deviations = 0.009.
	if m := sum / n; math.Abs(m-0.5) > 0.009 {
		t.Errorf("mean %v, want 0.5 +- 0.009", m)
	}
	b := draw(5)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed gave different draws at %d: %v vs %v", i, a[i], b[i])
		}
	}
}

// LogitNormalTime against its host formula at fixed z, and the moments of
// logit(t) for draws from a seeded store.
func TestLogitNormalTime(t *testing.T) {
	z := []float32{-3, -1, 0, 0.5, 2}
	for _, c := range []struct{ mean, std, eps float64 }{{0, 1, 0}, {0.5, 0.7, 0}, {-1, 2, DefaultTimeEps}} {
		exec, err := graph.NewExec(backendForTest(t), func(zn *graph.Node) *graph.Node { return LogitNormalTime(zn, c.mean, c.std, c.eps) })
		if err != nil {
			t.Fatal(err)
		}
		got := exec.MustCall1(z).Value().([]float32)
		for i, zi := range z {
			want := c.eps + (1-2*c.eps)/(1+math.Exp(-(c.mean+c.std*float64(zi))))
			// float32 sigmoid of arguments up to 7 in size: a few ulps.
			if math.Abs(float64(got[i])-want) > 1e-6 {
				t.Errorf("mean %g std %g eps %g z %v: t = %v, want %v", c.mean, c.std, c.eps, zi, got[i], want)
			}
		}
	}
	const n, mean, std = 20000, 0.3, 0.8
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(9); err != nil {
		t.Fatal(err)
	}
	exec := model.MustNewExec(backendForTest(t), store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
		return SampleLogitNormalTime(scope, g, dtypes.Float32, n, mean, std, 0)
	})
	var s, s2 float64
	for _, v := range exec.MustCall1().Value().([]float32) {
		if !(v > 0 && v < 1) {
			t.Fatalf("draw %v outside (0, 1)", v)
		}
		l := math.Log(float64(v) / (1 - float64(v)))
		s, s2 = s+l, s2+l*l
	}
	m := s / n
	sd := math.Sqrt(s2/n - m*m)
	// Standard errors of the mean and the std of n normal draws: std/sqrt(n) = 0.0057
	// and std/sqrt(2n) = 0.004; 5 of them, plus float32 rounding of t near 0 and 1.
	if math.Abs(m-mean) > 0.03 || math.Abs(sd-std) > 0.025 {
		t.Errorf("logit(t): mean %.4f std %.4f, want %g and %g", m, sd, mean, std)
	}
	for _, bad := range []struct{ mean, std float64 }{{0, 0}, {0, -1}, {math.NaN(), 1}, {0, math.Inf(1)}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LogitNormalTime(mean %g, std %g) did not panic", bad.mean, bad.std)
				}
			}()
			e, _ := graph.NewExec(backendForTest(t), func(zn *graph.Node) *graph.Node { return LogitNormalTime(zn, bad.mean, bad.std, 0) })
			e.MustCall1(z)
		}()
	}
}

// evalLosses computes, in one graph, PredictionLoss for pred = 0,
// pred = target and pred = target + delta, for fixed x0, x1, t.
func evalLosses(t *testing.T, kind Kind, path probpath.Affine, x0, x1 [][]float32, tv []float32, delta float32) (zero, exact, shifted float64) {
	t.Helper()
	exec, err := graph.NewExec(backendForTest(t), func(x0n, x1n, tn *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
		s := path.Sample(x0n, x1n, tn)
		target, _ := Target(kind, path, s)
		return PredictionLoss(kind, path, graph.ZerosLike(s.Xt), s),
			PredictionLoss(kind, path, target, s),
			PredictionLoss(kind, path, graph.AddScalar(target, delta), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, err := exec.Call3(x0, x1, tv)
	if err != nil {
		t.Fatal(err)
	}
	return float64(tensors.ToScalar[float32](a)), float64(tensors.ToScalar[float32](b)), float64(tensors.ToScalar[float32](c))
}

// TestPredictionLoss checks every kind against host closed forms:
//   - pred = target gives exactly 0;
//   - pred = 0 gives mean(lambda * target^2), computed on the host from the
//     scheduler's At(t) coefficients (CFM: (dAlpha x1 + dSigma x0)^2; DSM:
//     sigma^2 (x0/sigma)^2 = x0^2; DDPM: x0^2);
//   - pred = target + delta gives delta^2 mean(lambda) > 0.
func TestPredictionLoss(t *testing.T) {
	path := condOT(t)
	const b, d = 64, 3
	x0, x1, tv := randomBatch(11, b, d)
	const delta = 0.1
	for _, kind := range []Kind{CFM, DSM, DDPM} {
		zero, exact, shifted := evalLosses(t, kind, path, x0, x1, tv, delta)
		if exact != 0 {
			t.Errorf("%v: loss at the exact target = %g, want exactly 0", kind, exact)
		}
		var wantZero, meanW float64
		for i := range b {
			c := path.Sched.At(float64(tv[i]))
			w := 1.0
			if kind == DSM {
				w = c.Sigma * c.Sigma
			}
			meanW += w / b
			for j := range d {
				var target float64
				switch kind {
				case CFM:
					target = c.DAlpha*float64(x1[i][j]) + c.DSigma*float64(x0[i][j])
				case DSM:
					target = -float64(x0[i][j]) / c.Sigma
				case DDPM:
					target = float64(x0[i][j])
				}
				wantZero += w * target * target / (b * d)
			}
		}
		// float32 sums of 192 terms of order 1-10: relative error ~1e-6;
		// 1e-5 relative leaves a margin.
		if math.Abs(zero-wantZero) > 1e-5*wantZero {
			t.Errorf("%v: loss at pred=0 = %.7g, host closed form %.7g", kind, zero, wantZero)
		}
		wantShift := delta * delta * meanW
		// (target + delta) - target in float32 is delta up to one ulp of the
		// target (|target| <= ~400 for DSM at sigma = 0.01: ulp 3e-5), i.e.
		// a relative error of up to 3e-4 on delta = 0.1 and 6e-4 on delta^2.
		if shifted <= 0 || math.Abs(shifted-wantShift) > 1e-3*wantShift {
			t.Errorf("%v: loss at pred=target+%v = %.7g, want %.7g", kind, delta, shifted, wantShift)
		}
	}
}

func TestKind(t *testing.T) {
	cases := []struct {
		k     Kind
		name  string
		param probpath.Param
	}{
		{CFM, "CFM", probpath.Velocity},
		{DSM, "DSM", probpath.Score},
		{DDPM, "DDPM", probpath.Epsilon},
	}
	for _, c := range cases {
		if c.k.String() != c.name || c.k.Param() != c.param || !c.k.Valid() {
			t.Errorf("kind %d: got (%s, %v, %v)", int(c.k), c.k, c.k.Param(), c.k.Valid())
		}
	}
	if Kind(7).Valid() {
		t.Errorf("Kind(7) reported valid")
	}
}
