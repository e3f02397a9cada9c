// Package parallel is the one goroutine fan-out of fmlib's host loops
// (probpath's empirical field, metrics' pair sums, coupling's Sinkhorn
// sweeps): Run starts one goroutine per worker and waits for all, Rows
// splits a range of rows into contiguous chunks over GOMAXPROCS workers when
// the work is large enough to pay for them.
package parallel
