package coupling

import "math"

// auctionMinN: from this size on, Assignment initialises with the auction
// algorithm instead of JV's phases 1-3 (a variable so tests can force either).
var auctionMinN = 64

// auctionFinal sets the last phase's eps to auctionFinal * (cost range) / n.
// Smaller values spend more bids, larger ones leave more work to augment; on
// 2D batches of 256-1024 points 1e-3 is near the fastest total.
const auctionFinal = 1e-3

// auctionBidsPerRow times n times the number of phases is the bid budget
// (a variable so tests can exhaust it).
var auctionBidsPerRow = 64

// auctionScale is the factor by which the auction's epsilon shrinks per phase.
const auctionScale = 4

// initAuction finds near-optimal column prices with Bertsekas' forward
// auction algorithm with epsilon scaling, then keeps only the assignments
// that satisfy JV's invariant exactly; augment completes the rest. Phase 4 is
// exact for any prices, so the auction only has to be good, not exact: with
// near-optimal prices the remaining shortest augmenting paths are short.
//
// In the min-cost form used here a row i values column j at c_ij - v_j (v as
// in JV). A free row bids for its cheapest column j1, lowering v_j1 by the
// margin to its second cheapest plus eps, and evicts the previous owner.
// Each phase ends with every row assigned and eps-complementary slackness:
// c_i,row(i) - v_row(i) <= min_j (c_ij - v_j) + eps.
func (w *lapWorkspace) initAuction(n int, c []float64, rowSol []int) (numFree int) {
	v, colSol, free := w.v, w.colSol, w.free
	lo, hi := c[0], c[0]
	for _, x := range c {
		lo, hi = min(lo, x), max(hi, x)
	}
	for j := range v {
		v[j] = 0
	}
	if hi == lo { // constant cost: every permutation is optimal
		for i := range rowSol {
			rowSol[i], colSol[i] = i, i
		}
		return 0
	}
	span := hi - lo
	// Final eps: the auction's total suboptimality is at most n*eps, here
	// 1e-3 of the cost range; augment removes the rest.
	epsFinal := auctionFinal * span / float64(n)
	eps := span / 4
	// Bid budget: on 2D batches all phases together take ~45 bids per row;
	// the budget allows 64 per row and phase. Past it the auction stops and
	// augment finishes (exactly) from where it is.
	budget := auctionBidsPerRow * n * int(math.Ceil(math.Log(span/epsFinal)/math.Log(auctionScale))+1)
	for {
		for i := range rowSol {
			rowSol[i], colSol[i] = -1, -1
		}
		top := 0 // stack of free rows in free[:top]
		for i := n - 1; i >= 0; i-- {
			free[top] = i
			top++
		}
		for top > 0 && budget > 0 {
			budget--
			top--
			i := free[top]
			j1, w1, w2 := bestTwo(c[i*n:i*n+n], v)
			v[j1] -= w2 - w1 + eps
			if k := colSol[j1]; k >= 0 {
				rowSol[k] = -1
				free[top] = k
				top++
			}
			colSol[j1] = i
			rowSol[i] = j1
		}
		if eps <= epsFinal || budget <= 0 {
			break
		}
		eps = max(eps/auctionScale, epsFinal)
	}
	// Keep an assignment only where it is exactly a row minimum (the JV
	// invariant); free the other rows and their columns.
	for i := 0; i < n; i++ {
		j := rowSol[i]
		if j >= 0 {
			row := c[i*n : i*n+n]
			mine := row[j] - v[j]
			ok := true
			for k, x := range row {
				if x-v[k] < mine {
					ok = false
					break
				}
			}
			if ok {
				continue
			}
			colSol[j] = -1
			rowSol[i] = -1
		}
		free[numFree] = i
		numFree++
	}
	return numFree
}

// bestTwoScalar returns the index and value of the smallest row[j] - v[j]
// and the second smallest value (bestTwo may use SIMD instead). It keeps four independent (smallest, second) lanes
// updated without branches, merges them, then finds the index in a second
// pass.
func bestTwoScalar(row, v []float64) (j1 int, w1, w2 float64) {
	v = v[:len(row)]
	inf := math.Inf(1)
	a1, a2, b1, b2, c1, c2, d1, d2 := inf, inf, inf, inf, inf, inf, inf, inf
	j := 0
	for ; j+4 <= len(row); j += 4 {
		ha := row[j] - v[j]
		hb := row[j+1] - v[j+1]
		hc := row[j+2] - v[j+2]
		hd := row[j+3] - v[j+3]
		a2 = min2(a2, max2(a1, ha))
		a1 = min2(a1, ha)
		b2 = min2(b2, max2(b1, hb))
		b1 = min2(b1, hb)
		c2 = min2(c2, max2(c1, hc))
		c1 = min2(c1, hc)
		d2 = min2(d2, max2(d1, hd))
		d1 = min2(d1, hd)
	}
	for ; j < len(row); j++ {
		h := row[j] - v[j]
		a2 = min2(a2, max2(a1, h))
		a1 = min2(a1, h)
	}
	// merge: the two smallest of the four lanes' pairs
	w1, w2 = a1, a2
	for _, p := range [3][2]float64{{b1, b2}, {c1, c2}, {d1, d2}} {
		w2 = min2(min2(w2, p[1]), max2(w1, p[0]))
		w1 = min2(w1, p[0])
	}
	for j, x := range row {
		if x-v[j] == w1 {
			return j, w1, w2
		}
	}
	return 0, w1, w2 // not reached for finite costs
}

// min2 and max2 are plain float comparisons (no NaN or signed-zero handling,
// which the finite costs here do not need), cheaper than the builtins.
func min2(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

func max2(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}
