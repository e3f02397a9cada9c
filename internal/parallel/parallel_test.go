package parallel

import (
	"runtime"
	"slices"
	"sync"
	"testing"
)

// TestRun: every worker index is called exactly once, for any count
// (0 and negative counts run worker 0 once, inline).
func TestRun(t *testing.T) {
	for _, c := range []struct {
		workers int
		want    []int // the indices called, sorted
	}{
		{-1, []int{0}}, // taken as 1
		{0, []int{0}},  // taken as 1
		{1, []int{0}},
		{3, []int{0, 1, 2}},
		{17, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}, // more than the CPUs
	} {
		var mu sync.Mutex
		var got []int
		Run(c.workers, func(w int) {
			mu.Lock()
			got = append(got, w)
			mu.Unlock()
		})
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("Run(%d) called %v, want %v", c.workers, got, c.want)
		}
	}
}

// TestRows: the chunks are disjoint and cover [0, rows) exactly, for small
// work (one call) and large work (several chunks when GOMAXPROCS > 1).
func TestRows(t *testing.T) {
	for _, c := range []struct {
		rows, rowCost int
		oneCall       bool // below MinWork (or a single row): fn(0, rows) once
	}{
		{0, 1000, true},
		{1, MinWork * 2, true},
		{100, 10, true},        // 1000 < MinWork
		{1000, 1000, false},    // 1e6 >= MinWork
		{7, MinWork, false},    // fewer rows than a typical CPU count
		{1001, MinWork, false}, // rows not a multiple of the chunk
	} {
		var mu sync.Mutex
		seen := make([]int, c.rows)
		calls := 0
		Rows(c.rows, c.rowCost, func(lo, hi int) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, n := range seen {
			if n != 1 {
				t.Errorf("Rows(%d, %d): row %d covered %d times", c.rows, c.rowCost, i, n)
				break
			}
		}
		if c.oneCall && calls != 1 {
			t.Errorf("Rows(%d, %d): %d calls, want 1 below MinWork", c.rows, c.rowCost, calls)
		}
		if !c.oneCall && runtime.GOMAXPROCS(0) > 1 && calls < 2 {
			t.Errorf("Rows(%d, %d): %d call(s), want the rows split over workers", c.rows, c.rowCost, calls)
		}
	}
}
