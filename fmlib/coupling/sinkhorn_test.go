package coupling

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSinkhornMarginals(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		n, m, d int
		eps     float64
		tol     float64
	}{
		{50, 50, 2, 0.05, 1e-6},
		{40, 70, 3, 0.5, 1e-8}, // rectangular plan
		{64, 64, 2, 0.002, 1e-5},
		{30, 30, 2, 1e-4, 1e-4}, // tiny eps: kernel entries underflow, exercises the log-domain path
	}
	for _, c := range cases {
		x0 := gaussianBatch(rng, c.n, c.d, 0)
		x1 := gaussianBatch(rng, c.m, c.d, 1.5)
		p, err := Sinkhorn{Epsilon: c.eps, Tol: c.tol, MaxIter: 100000}.Plan(x0, x1)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		var total float64
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.m; j++ {
				q := p.P[i*c.m+j]
				if !(q >= 0) {
					t.Fatalf("%+v: P[%d][%d] = %v", c, i, j, q)
				}
				total += q
			}
		}
		// Rows are within the requested L1 tolerance; columns are exact after
		// the last column update up to float64 rounding (1e-12 for <= 100 terms).
		if p.RowErr > c.tol || p.ColErr > 1e-12 || math.Abs(total-1) > c.tol+1e-12 {
			t.Errorf("%+v: row err %.3g col err %.3g total %v after %d iterations", c, p.RowErr, p.ColErr, total, p.Iter)
		}
	}
}

func TestSinkhornApproachesExactOT(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 60
	x0 := gaussianBatch(rng, n, 2, 0)
	x1 := gaussianBatch(rng, n, 2, 2)
	_, exact, err := OTPermutation(x0, x1)
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, eps := range []float64{1, 0.1, 0.01, 0.001} {
		p, err := Sinkhorn{Epsilon: eps, Tol: 1e-6, MaxIter: 200000}.Plan(x0, x1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("eps=%g: %d iterations, cost %.6f (exact %.6f)", eps, p.Iter, p.Cost, exact)
		// Any coupling costs at least the exact OT cost (up to the marginal
		// error 1e-6 times the max cost ~50); the entropic cost decreases with eps.
		if p.Cost < exact-5e-5 || p.Cost > prev {
			t.Errorf("eps=%g: cost %.6f, exact %.6f, previous %.6f", eps, p.Cost, exact, prev)
		}
		prev = p.Cost
		// The gap is O(eps_abs log n) in general and much smaller for a
		// well-separated optimum; at eps = 0.001 (eps_abs ~0.008) we require 1%.
		if eps == 0.001 && p.Cost > exact*1.01 {
			t.Errorf("eps=%g: cost %.6f not within 1%% of the exact %.6f", eps, p.Cost, exact)
		}
	}
}

// TestSinkhornPairDistribution checks that Pair samples partners from the
// plan's conditional rows: over many draws, the frequency of each (i, j)
// matches n * P[i][j].
func TestSinkhornPairDistribution(t *testing.T) {
	x0 := [][]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}}
	x1 := [][]float64{{0.2, 0.1}, {1.1, 0.3}, {-0.5, 1}, {1, 1.4}}
	s := Sinkhorn{Epsilon: 0.3, Tol: 1e-10}
	p, err := s.Plan(x0, x1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const draws = 20000
	var count [4][4]int
	for k := 0; k < draws; k++ {
		a, b, err := s.Pair(x0, x1, rng)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if &a[i][0] != &x0[i][0] {
				t.Fatal("x0 order not kept")
			}
			for j := range x1 {
				if &b[i][0] == &x1[j][0] {
					count[i][j]++
				}
			}
		}
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			q := 4 * p.P[i*4+j] // conditional probability of j given i
			got := float64(count[i][j]) / draws
			// 5 binomial standard errors
			if math.Abs(got-q) > 5*math.Sqrt(q*(1-q)/draws)+1e-9 {
				t.Errorf("pair (%d,%d): frequency %.4f, plan conditional %.4f", i, j, got, q)
			}
		}
	}
}

func TestSinkhornNotConverged(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x0 := gaussianBatch(rng, 50, 2, 0)
	x1 := gaussianBatch(rng, 50, 2, 3)
	// 2 iterations cannot reach 1e-12 at a small temperature.
	if _, err := (Sinkhorn{Epsilon: 0.01, MaxIter: 2, Tol: 1e-12}).Plan(x0, x1); err == nil {
		t.Error("want a not-converged error")
	}
	// Identical points: mean cost 0, any coupling is optimal; uniform plan.
	same := [][]float64{{1, 1}, {1, 1}}
	p, err := Sinkhorn{Epsilon: 0.1}.Plan(same, same)
	if err != nil || p.P[0] != 0.25 || p.P[3] != 0.25 {
		t.Errorf("identical points: plan %v err %v, want uniform", p, err)
	}
}

// TestSinkhornLarge exercises the multi-goroutine sweep (n*m >= 65536).
func TestSinkhornLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 300
	x0 := gaussianBatch(rng, n, 2, 0)
	x1 := gaussianBatch(rng, n, 2, 1)
	_, exact, _ := OTPermutation(x0, x1)
	p, err := Sinkhorn{Epsilon: 0.05, Tol: 1e-6}.Plan(x0, x1)
	if err != nil {
		t.Fatal(err)
	}
	// marginal errors as in TestSinkhornMarginals (columns: rounding over 300
	// float64 terms); any coupling costs at least the exact OT cost.
	if p.RowErr > 1e-6 || p.ColErr > 1e-12 || p.Cost < exact-1e-6*100 {
		t.Errorf("row err %.3g col err %.3g cost %.5f (exact %.5f)", p.RowErr, p.ColErr, p.Cost, exact)
	}
	a, b, err := Sinkhorn{Epsilon: 0.05}.Pair(x0, x1, rng)
	if err != nil || len(a) != n || len(b) != n {
		t.Fatalf("Pair: %d, %d rows, err %v", len(a), len(b), err)
	}
	// At Epsilon 0.05 the sampled pairs are much closer to OT than random
	// pairs: with the shift (1, 1), E|x0 - x1|^2 = 2 + 2 + 2 = 6 for
	// independent pairs, while the OT cost is |shift|^2 = 2 plus a
	// finite-sample term; the entropic blur adds a little on top.
	ms := meanSq(a, b)
	t.Logf("sampled pairs %.3f, exact OT %.3f", ms, exact)
	if ms > 1.5*exact {
		t.Errorf("sampled pairs cost %.3f, exact OT %.3f", ms, exact)
	}
}
