package objective

import (
	"math"
	"testing"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func vpPath(t *testing.T, s schedule.VP) probpath.Affine {
	t.Helper()
	p, err := probpath.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// vpBeta is the VP noise rate at flow time t: beta(1 - t).
func vpBeta(s schedule.VP, t float64) float64 {
	bmin, bmax := s.BetaMin, s.BetaMax
	if bmin == 0 {
		bmin = schedule.DefaultBetaMin
	}
	if bmax == 0 {
		bmax = schedule.DefaultBetaMax
	}
	return bmin + (bmax-bmin)*(1-t)
}

// TestLikelihoodWeightVP: for the VP path g_t^2 = beta(1 - t), on the host
// and in the graph, at times from the noise end to next to the data.
func TestLikelihoodWeightVP(t *testing.T) {
	times := []float32{1e-5, 0.1, 0.5, 0.9, 0.999, 1 - 1e-5}
	for _, c := range []struct {
		s   schedule.VP
		tol float64 // relative
		why string
	}{
		// The graph computes 2 sigma (sigma alpha'/alpha - sigma') in
		// float32 from four coefficients, near t = 1 with sigma ~ 3e-3 and
		// sigma' ~ -1.6e3: the sum of two terms of very different sizes,
		// each good to a few ulps (1e-7 relative): 2e-6 relative.
		{schedule.VP{}, 2e-6, "default rates"},
		{schedule.VP{BetaMin: 1, BetaMax: 1}, 2e-6, "constant rate: g^2 = 1"},
	} {
		path := vpPath(t, c.s)
		exec := graph.MustNewExec(backendForTest(t), func(tt *graph.Node) *graph.Node { return LikelihoodWeight(path, tt) })
		got := exec.MustCall1(times).Value().([]float32)
		for i, ti := range times {
			want := vpBeta(c.s, float64(ti))
			if host := LikelihoodWeightAt(c.s, float64(ti)); math.Abs(host-want) > 1e-12*want {
				t.Errorf("%s: host g^2(%v) = %v, want beta = %v (float64: 1e-12 relative)", c.why, ti, host, want)
			}
			if math.Abs(float64(got[i])-want) > c.tol*want {
				t.Errorf("%s: graph g^2(%v) = %v, want beta = %v (relative tolerance %g)", c.why, ti, got[i], want, c.tol)
			}
		}
	}
}

// TestScoreFlowLoss: the loss of a network that predicts 0 on one VP sample,
// against its closed form g^2 |x0|^2 / (D sigma^2) = beta / sigma^2 |x0|^2 / D,
// beside the usual DSM weight's |x0|^2 / D; and 0 for the exact target.
func TestScoreFlowLoss(t *testing.T) {
	path := vpPath(t, schedule.VP{})
	x0 := [][]float32{{1, 0}, {0.5, -2}}
	x1 := [][]float32{{2, 2}, {-1, 0.25}}
	times := []float32{0.5, 0.99}
	// Per row: weight |x0|^2 / (2 sigma^2) (D = 2), then the mean over rows.
	want := map[Kind]float64{}
	for i, ti := range times {
		c := schedule.VP{}.At(float64(ti))
		sq := float64(x0[i][0]*x0[i][0] + x0[i][1]*x0[i][1])
		want[ScoreFlow] += vpBeta(schedule.VP{}, float64(ti)) * sq / (2 * c.Sigma * c.Sigma) / 2
		want[DSM] += sq / 2 / 2
	}
	for _, kind := range []Kind{DSM, ScoreFlow} {
		exec := graph.MustNewExec(backendForTest(t), func(a, b, tt *graph.Node) (*graph.Node, *graph.Node) {
			s := path.Sample(a, b, tt)
			target, _ := Target(kind, path, s)
			return PredictionLoss(kind, path, graph.ZerosLike(s.Xt), s), PredictionLoss(kind, path, target, s)
		})
		zero, exact := exec.MustCall2(x0, x1, times)
		got := float64(tensors.ToScalar[float32](zero))
		// float32 arithmetic on values up to ~1e3 (beta/sigma^2 at t = 0.99 is 44): 1e-6 relative.
		if math.Abs(got-want[kind]) > 1e-6*want[kind] {
			t.Errorf("%s: loss of 0 = %v, want %v", kind, got, want[kind])
		}
		if e := tensors.ToScalar[float32](exact); e != 0 {
			t.Errorf("%s: loss of the target = %v, want 0", kind, e)
		}
	}
	if kind := ScoreFlow; kind.Param() != probpath.Score || kind.String() != "ScoreFlow" || !kind.Valid() {
		t.Errorf("ScoreFlow: param %v, name %q, valid %v", kind.Param(), kind.String(), kind.Valid())
	}
}

// TestLogSNRTime checks the importance sampler on a grid of u (midpoint
// rule, so the checks are deterministic):
//   - lambda(t(u)) is lambda_eps + u Z (the inverse is right) and t stays in [eps, 1 - eps];
//   - the ratio integrates to 1 over u (q is a density on [eps, 1 - eps]);
//   - E_q[r g^2] = E_uniform[g^2] = (T(1 - eps) - T(eps)) / (1 - 2 eps) for VP:
//     the reweighted likelihood weight has the uniform-time mean;
//   - r g^2 = Z sigma^2 / (1 - 2 eps): the constant-weight form of the package notes.
func TestLogSNRTime(t *testing.T) {
	const n = 4000
	for _, c := range []struct {
		s   schedule.VP
		eps float64
	}{{schedule.VP{}, DefaultTimeEps}, {schedule.VP{BetaMin: 0.5, BetaMax: 5}, 1e-3}, {schedule.VP{BetaMin: 1, BetaMax: 1}, 1e-4}} {
		path := vpPath(t, c.s)
		lo, _, z, err := LogSNRRange(c.s, c.eps)
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float32, n)
		for i := range u {
			u[i] = (float32(i) + 0.5) / n
		}
		exec := graph.MustNewExec(backendForTest(t), func(un *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
			tt, r := LogSNRTime(path, un, c.eps)
			return tt, r, LikelihoodWeight(path, tt)
		})
		a, b, w := exec.MustCall3(u)
		tv, rv, gv := a.Value().([]float32), b.Value().([]float32), w.Value().([]float32)
		sumR, sumRG := 0.0, 0.0
		for i := range u {
			ti := float64(tv[i])
			if ti < c.eps || ti > 1-c.eps {
				t.Fatalf("%s eps %g: t(u = %v) = %v outside [eps, 1-eps]", c.s.Name(), c.eps, u[i], ti)
			}
			// float32 t near 1 has spacing 6e-8, and d lambda/dt ~ 1/(1-t)
			// up to 1/eps: lambda is good to about 6e-8/(1-t) + 1e-6.
			if l := c.s.LogSNR(ti); math.Abs(l-(lo+float64(u[i])*z)) > 6e-8/(1-ti)+2e-5 {
				t.Errorf("%s: lambda(t(u = %v)) = %v, want %v", c.s.Name(), u[i], l, lo+float64(u[i])*z)
			}
			rg := float64(rv[i]) * float64(gv[i])
			sig2 := -math.Expm1(-tOf(c.s, ti))
			// float32 products of a few terms: 1e-5 relative.
			if want := z * sig2 / (1 - 2*c.eps); math.Abs(rg-want) > 1e-5*want {
				t.Errorf("%s: r g^2 at t = %v is %v, want Z sigma^2/(1-2eps) = %v", c.s.Name(), ti, rg, want)
			}
			sumR += float64(rv[i])
			sumRG += rg
		}
		// The midpoint rule on n = 4000 points of smooth functions of u
		// (both are smooth in lambda, linear in u) is exact to ~1e-7;
		// float32 sums of 4000 terms: 1e-5 relative.
		if m := sumR / n; math.Abs(m-1) > 1e-5 {
			t.Errorf("%s: mean ratio %v, want 1", c.s.Name(), m)
		}
		want := (tOf(c.s, c.eps) - tOf(c.s, 1-c.eps)) / (1 - 2*c.eps)
		if m := sumRG / n; math.Abs(m-want) > 1e-5*want {
			t.Errorf("%s: E_q[r g^2] = %v, want E_uniform[g^2] = %v", c.s.Name(), m, want)
		}
	}
	// Schedules without the inverse, and bad eps, are refused.
	if _, _, _, err := LogSNRRange(schedule.CondOT{SigmaMin: 1e-3}, 1e-5); err == nil {
		t.Error("LogSNRRange accepted CondOT, which has no log-SNR inverse")
	}
	if _, _, _, err := LogSNRRange(schedule.VP{}, 0); err == nil {
		t.Error("LogSNRRange accepted eps = 0 (infinite lambda at t = 1)")
	}
}

// tOf is the VP integrated rate T(1 - t).
func tOf(s schedule.VP, t float64) float64 {
	bmin, bmax := s.BetaMin, s.BetaMax
	if bmin == 0 {
		bmin, bmax = schedule.DefaultBetaMin, schedule.DefaultBetaMax
	}
	u := 1 - t
	return u * (bmin + 0.5*(bmax-bmin)*u)
}

// TestSampleLogSNRTime: draws from a seeded store land in [eps, 1-eps], and a
// fifth of them near the data (t > 1 - 1e-3) for the default VP path, as the
// package notes say: P = (lambda_{1-eps} - lambda_{1-1e-3}) / Z.
func TestSampleLogSNRTime(t *testing.T) {
	const n = 20000
	path := vpPath(t, schedule.VP{})
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	exec := model.MustNewExec(backendForTest(t), store, func(scope *model.Scope, g *graph.Graph) (*graph.Node, *graph.Node) {
		return SampleLogSNRTime(scope, g, dtypes.Float32, n, path, DefaultTimeEps)
	})
	a, _ := exec.MustCall2()
	tv := a.Value().([]float32)
	lo, hi, z, _ := LogSNRRange(schedule.VP{}, DefaultTimeEps)
	p := (hi - schedule.VP{}.LogSNR(1-1e-3)) / z
	near := 0
	for _, v := range tv {
		if v < DefaultTimeEps || float64(v) > 1-DefaultTimeEps {
			t.Fatalf("draw %v outside [eps, 1-eps]", v)
		}
		if v > 1-1e-3 {
			near++
		}
	}
	// Binomial(n, p ~ 0.19): sd sqrt(p(1-p)/n) = 0.0028; 5 sd = 0.014.
	if f := float64(near) / n; math.Abs(f-p) > 0.014 {
		t.Errorf("fraction of draws at t > 1 - 1e-3: %v, want %v (lambda from %v to %v)", f, p, lo, hi)
	}
	if p < 0.15 || p > 0.25 {
		t.Errorf("P(t > 1 - 1e-3) = %v; the package notes say about a fifth", p)
	}
}
