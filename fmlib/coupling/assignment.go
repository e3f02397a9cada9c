package coupling

import (
	"fmt"
	"math"
)

// Assignment solves the linear assignment problem for the square cost matrix
// cost (n rows of n finite values, each at most MaxCost(n) in magnitude): it
// returns the permutation perm that minimises total = sum_i cost[i][perm[i]],
// i.e. row i is matched to column perm[i]. The solution is exact (up to
// float64 rounding in the sums); among several optimal matchings an
// arbitrary one is returned.
//
// The algorithm is Jonker-Volgenant's shortest augmenting path method,
// started from auction prices for n >= 64 (see the package documentation):
// O(n^3) in the worst case, much faster on typical dense costs (about 37 ms
// for n = 1024 2D points on a 2-core test machine).
func Assignment(cost [][]float64) (perm []int, total float64, err error) {
	n := len(cost)
	if n == 0 {
		return nil, 0, fmt.Errorf("coupling: Assignment: empty cost matrix")
	}
	flat := make([]float64, n*n)
	for i, row := range cost {
		if len(row) != n {
			return nil, 0, fmt.Errorf("coupling: Assignment: cost matrix must be square: row %d has %d columns, want %d (the number of rows)", i, len(row), n)
		}
		for j, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, 0, fmt.Errorf("coupling: Assignment: cost[%d][%d] = %v, costs must be finite", i, j, c)
			}
		}
		copy(flat[i*n:], row)
	}
	if i, j, c, bad := tooLarge(flat, n); bad {
		return nil, 0, fmt.Errorf("coupling: Assignment: |cost[%d][%d]| = %g exceeds MaxCost(%d) = %g, beyond which the solver's sums overflow float64; rescale the costs (the optimal matching does not change)", i, j, c, n, MaxCost(n))
	}
	var ws lapWorkspace
	perm = make([]int, n)
	ws.solve(n, flat, perm)
	for i, j := range perm {
		total += cost[i][j]
	}
	return perm, total, nil
}

// MaxCost is the largest cost magnitude Assignment accepts for an n x n
// matrix: math.MaxFloat64 / (4 (n + 1)), about 4e304 for n = 1024. The
// solver's prices, shortest-path lengths and the returned total are sums of
// at most n + 1 costs and cost differences (each at most twice the largest
// |cost|), so with every |cost| below this bound none of them overflows.
func MaxCost(n int) float64 { return math.MaxFloat64 / (4 * float64(n+1)) }

// tooLarge returns the first entry of the row-major n x n matrix c whose
// magnitude exceeds MaxCost(n) (+Inf included), with bad true.
func tooLarge(c []float64, n int) (i, j int, v float64, bad bool) {
	limit := MaxCost(n)
	for k, x := range c {
		if !(math.Abs(x) <= limit) {
			return k / n, k % n, x, true
		}
	}
	return 0, 0, 0, false
}

// lapWorkspace holds the scratch arrays of the solver so that repeated calls
// (one per training batch) do not allocate.
type lapWorkspace struct {
	v       []float64 // column dual prices
	d       []float64 // shortest-path distances, in colList order (augmentation)
	vp      []float64 // column prices in colList order (augmentation)
	colSol  []int     // row assigned to each column, -1 if none
	free    []int     // unassigned rows
	colList []int     // column ordering used by the augmentation
	pred    []int     // predecessor row of each column in the shortest-path tree
	matches []int     // column-reduction counters
}

func (w *lapWorkspace) resize(n int) {
	if cap(w.v) < n {
		w.v = make([]float64, n)
		w.d = make([]float64, n)
		w.vp = make([]float64, n)
		w.colSol = make([]int, n)
		w.free = make([]int, n)
		w.colList = make([]int, n)
		w.pred = make([]int, n)
		w.matches = make([]int, n)
	}
	w.v, w.d, w.vp = w.v[:n], w.d[:n], w.vp[:n]
	w.colSol, w.free, w.colList = w.colSol[:n], w.free[:n], w.colList[:n]
	w.pred, w.matches = w.pred[:n], w.matches[:n]
}

// solve writes into rowSol (length n) the optimal column of every row for the
// row-major n x n cost c (finite values).
//
// Invariant used throughout (implicit row duals): every assigned row i has
// its column j = rowSol[i] at the minimum of the reduced cost c[i][k] - v[k]
// over k, so u[i] = c[i][j] - v[j] and all reduced costs c - u - v are >= 0,
// with equality on the assigned pairs.
func (w *lapWorkspace) solve(n int, c []float64, rowSol []int) {
	w.resize(n)
	if n == 1 {
		rowSol[0] = 0
		return
	}
	var numFree int
	if n >= auctionMinN {
		numFree = w.initAuction(n, c, rowSol)
	} else {
		numFree = w.initJV(n, c, rowSol)
	}
	w.augment(n, c, rowSol, numFree)
}

// initJV runs the initialisation phases 1-3 of Jonker-Volgenant, leaving a
// partial assignment that satisfies the invariant, and returns the number of
// free rows (listed in w.free).
func (w *lapWorkspace) initJV(n int, c []float64, rowSol []int) (numFree int) {
	v, colSol, free, matches := w.v, w.colSol, w.free, w.matches
	for i := range matches {
		matches[i] = 0
		rowSol[i] = -1
	}

	// Phase 1, column reduction: v[j] = min_i c[i][j]; assign column j to its
	// minimising row when that row is still free (columns in reverse order,
	// as in the original paper).
	for j := n - 1; j >= 0; j-- {
		imin, min := 0, c[j]
		for i := 1; i < n; i++ {
			if x := c[i*n+j]; x < min {
				imin, min = i, x
			}
		}
		v[j] = min
		matches[imin]++
		if matches[imin] == 1 {
			rowSol[imin] = j
			colSol[j] = imin
		} else {
			colSol[j] = -1
		}
	}

	// Phase 2, reduction transfer: a row assigned in phase 1 transfers its
	// slack to its column, so that the row's reduced minimum becomes the
	// second smallest reduced cost; unassigned rows are listed as free.
	// (A row that won several columns keeps the first one it won; the other
	// columns stay unassigned. Such rows are neither free nor transferred.)
	numFree = 0
	for i := 0; i < n; i++ {
		switch matches[i] {
		case 0:
			free[numFree] = i
			numFree++
		case 1:
			j1 := rowSol[i]
			min := math.Inf(1)
			row := c[i*n : i*n+n]
			for j, x := range row {
				if j != j1 {
					if r := x - v[j]; r < min {
						min = r
					}
				}
			}
			v[j1] -= min
		}
	}

	// Phase 3, augmenting row reduction (twice): each free row takes its
	// cheapest reduced column j1, lowering v[j1] so that the row's reduced cost
	// there equals its second smallest; the row that owned j1 becomes free and
	// is processed next. Each lowering strictly decreases v, so the phase
	// terminates; a step budget guards against long float-rounding chains
	// (rows left over simply go to phase 4, which is exact on its own).
	for pass := 0; pass < 2 && numFree > 0; pass++ {
		k, prevNumFree := 0, numFree
		numFree = 0
		budget := 2 * n
		for k < prevNumFree {
			if budget--; budget < 0 {
				numFree += copy(free[numFree:], free[k:prevNumFree])
				break
			}
			i := free[k]
			k++
			row := c[i*n : i*n+n]
			uMin, uSub := row[0]-v[0], math.Inf(1)
			j1, j2 := 0, -1
			for j := 1; j < n; j++ {
				h := row[j] - v[j]
				if h < uSub {
					if h >= uMin {
						uSub, j2 = h, j
					} else {
						uSub, j2 = uMin, j1
						uMin, j1 = h, j
					}
				}
			}
			i0 := colSol[j1]
			if uMin < uSub {
				v[j1] -= uSub - uMin
			} else if i0 >= 0 {
				// tie: prefer the second column, which may be unassigned
				j1 = j2
				i0 = colSol[j2]
			}
			if i0 >= 0 {
				rowSol[i0] = -1
			}
			rowSol[i] = j1
			colSol[j1] = i
			if i0 >= 0 {
				if uMin < uSub {
					// continue the augmenting chain with the displaced row
					k--
					free[k] = i0
				} else {
					free[numFree] = i0
					numFree++
				}
			}
		}
	}

	return numFree
}

// augment is phase 4 of Jonker-Volgenant: it completes the assignment from
// any partial one satisfying the invariant (free rows in w.free[:numFree],
// their columns' colSol -1).
func (w *lapWorkspace) augment(n int, c []float64, rowSol []int, numFree int) {
	v, d, colSol, free, colList, pred := w.v, w.d, w.colSol, w.free, w.colList, w.pred
	// Phase 4, augmentation: for each remaining free row, a Dijkstra search in
	// reduced costs finds the shortest alternating path to an unassigned
	// column; prices of the scanned columns are updated to keep the reduced
	// costs non-negative and the path is flipped.
	//
	// The columns are kept in a permuted order colList; d and vp hold the
	// tentative distance and the price of column colList[k] at position k, so
	// the inner scan reads them contiguously (only the cost row is gathered).
	vp := w.vp
	for f := 0; f < numFree; f++ {
		freeRow := free[f]
		row := c[freeRow*n : freeRow*n+n]
		for j := 0; j < n; j++ {
			d[j] = row[j] - v[j]
			vp[j] = v[j]
			pred[j] = freeRow
			colList[j] = j
		}
		// positions [0, low) are scanned (final distance <= min), [low, up)
		// are at the current minimum distance, [up, n) are the rest.
		low, up, last := 0, 0, 0
		min := 0.0
		endOfPath := -1
		swap := func(a, b int) {
			colList[a], colList[b] = colList[b], colList[a]
			d[a], d[b] = d[b], d[a]
			vp[a], vp[b] = vp[b], vp[a]
		}
		for endOfPath < 0 {
			if up == low {
				// collect the columns with the minimum tentative distance
				last = low - 1
				min = d[up]
				up++
				for k := up; k < n; k++ {
					if h := d[k]; h <= min {
						if h < min {
							up = low
							min = h
						}
						swap(k, up)
						up++
					}
				}
				for k := low; k < up; k++ {
					if colSol[colList[k]] < 0 {
						endOfPath = colList[k]
						break
					}
				}
				if endOfPath >= 0 {
					break
				}
			}
			// scan one column at the minimum: relax through its assigned row
			j1 := colList[low]
			low++
			i := colSol[j1]
			ri := c[i*n : i*n+n]
			h := ri[j1] - v[j1] - min
			cl, dd, vv := colList[:n], d[:n], vp[:n]
			for k := up; k < n; k++ {
				v2 := ri[cl[k]] - vv[k] - h
				if v2 < dd[k] {
					j := cl[k]
					pred[j] = i
					dd[k] = v2
					if v2 == min {
						if colSol[j] < 0 {
							endOfPath = j
							break
						}
						swap(k, up)
						up++
					}
				}
			}
		}
		// price update for the columns scanned before the final minimum level
		for k := 0; k <= last; k++ {
			v[colList[k]] += d[k] - min
		}
		// flip the alternating path back to freeRow
		for {
			i := pred[endOfPath]
			colSol[endOfPath] = i
			j := endOfPath
			endOfPath = rowSol[i]
			rowSol[i] = j
			if i == freeRow {
				break
			}
		}
	}
}
