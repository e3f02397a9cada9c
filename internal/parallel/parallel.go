package parallel

import (
	"runtime"
	"sync"
)

// MinWork is the work (inner-loop operations) below which Rows runs on the
// calling goroutine: starting a goroutine costs about 1 us, worth it only
// above some 64k operations.
const MinWork = 1 << 16

// Run calls fn(0), ..., fn(workers-1), each on its own goroutine, and
// returns when all have returned. With workers <= 1 it calls fn(0) on the
// calling goroutine (workers < 1 is taken as 1).
func Run(workers int, fn func(w int)) {
	if workers <= 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w)
		}()
	}
	wg.Wait()
}

// Rows calls fn on disjoint chunks [lo, hi) that cover [0, rows) in order,
// spread over up to GOMAXPROCS goroutines when the work rows * rowCost is at
// least MinWork, and as one call fn(0, rows) otherwise (rows = 0 included).
func Rows(rows, rowCost int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers <= 1 || rows < 2 || rows*rowCost < MinWork {
		fn(0, rows)
		return
	}
	workers = min(workers, rows)
	chunk := (rows + workers - 1) / workers
	Run((rows+chunk-1)/chunk, func(w int) {
		fn(w*chunk, min((w+1)*chunk, rows))
	})
}
