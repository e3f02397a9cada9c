// Copyright 2026 The gofm Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd && linux

package safesimd

import (
	"fmt"
	"runtime/debug"
	"simd"
	"syscall"
	"testing"
	"unsafe"
)

// edge maps two pages, makes the second inaccessible and returns the
// first: a slice that ends at its end ends where readable memory ends,
// as a Go heap object can at the end of the heap's mapped arena.
func edge(t *testing.T) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return mem[:page]
}

// tail returns the last n elements of type E that fit in page, set to
// 1, 2, ..., n.
func tail[E int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64](page []byte, n int) []E {
	var e E
	all := unsafe.Slice((*E)(unsafe.Pointer(&page[0])), len(page)/int(unsafe.Sizeof(e)))
	s := all[len(all)-n:]
	for i := range s {
		s[i] = E(i + 1)
	}
	return s
}

// faults reports whether f faulted (with debug.SetPanicOnFault on).
func faults(f func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			faulted = true
		}
	}()
	f()
	return false
}

// check loads every short tail (1 to lanes-1 elements ending at the
// inaccessible page) with ours and with the standard function: ours must
// not fault and must give the elements, zeros after, and the count.
func check[E int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64](
	t *testing.T, name string, lanes int, ours, std func([]E) ([]E, int)) {
	page := edge(t)
	stdFaults := 0
	for n := 1; n < lanes; n++ {
		s := tail[E](page, n)
		var got []E
		var count int
		if faults(func() { got, count = ours(s) }) {
			t.Fatalf("%s: Load%ssPart of %d elements at the end of mapped memory faulted", name, name, n)
		}
		if count != n {
			t.Errorf("%s, %d elements: count %d, want %d", name, n, count, n)
		}
		for i, v := range got {
			want := E(0)
			if i < n {
				want = E(i + 1)
			}
			if v != want {
				t.Errorf("%s, %d elements: lane %d = %v, want %v (all lanes %v)", name, n, i, v, want, got)
				break
			}
		}
		if faults(func() { std(s) }) {
			stdFaults++
		}
	}
	// Not an assertion: it says whether the standard library still needs
	// this package (if it reports 0, the patch of compute can go).
	t.Logf("%s: %d lanes; simd.Load%ssPart faulted on %d of %d short tails", name, lanes, name, stdFaults, lanes-1)
}

func TestLoadPartAtTheEdge(t *testing.T) {
	check(t, "Float32", simd.BroadcastFloat32s(0).Len(),
		func(s []float32) ([]float32, int) {
			v, n := LoadFloat32sPart(s)
			out := make([]float32, simd.BroadcastFloat32s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []float32) ([]float32, int) {
			v, n := simd.LoadFloat32sPart(s)
			out := make([]float32, simd.BroadcastFloat32s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Float64", simd.BroadcastFloat64s(0).Len(),
		func(s []float64) ([]float64, int) {
			v, n := LoadFloat64sPart(s)
			out := make([]float64, simd.BroadcastFloat64s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []float64) ([]float64, int) {
			v, n := simd.LoadFloat64sPart(s)
			out := make([]float64, simd.BroadcastFloat64s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Int8", simd.BroadcastInt8s(0).Len(),
		func(s []int8) ([]int8, int) {
			v, n := LoadInt8sPart(s)
			out := make([]int8, simd.BroadcastInt8s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []int8) ([]int8, int) {
			v, n := simd.LoadInt8sPart(s)
			out := make([]int8, simd.BroadcastInt8s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Int16", simd.BroadcastInt16s(0).Len(),
		func(s []int16) ([]int16, int) {
			v, n := LoadInt16sPart(s)
			out := make([]int16, simd.BroadcastInt16s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []int16) ([]int16, int) {
			v, n := simd.LoadInt16sPart(s)
			out := make([]int16, simd.BroadcastInt16s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Int32", simd.BroadcastInt32s(0).Len(),
		func(s []int32) ([]int32, int) {
			v, n := LoadInt32sPart(s)
			out := make([]int32, simd.BroadcastInt32s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []int32) ([]int32, int) {
			v, n := simd.LoadInt32sPart(s)
			out := make([]int32, simd.BroadcastInt32s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Int64", simd.BroadcastInt64s(0).Len(),
		func(s []int64) ([]int64, int) {
			v, n := LoadInt64sPart(s)
			out := make([]int64, simd.BroadcastInt64s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []int64) ([]int64, int) {
			v, n := simd.LoadInt64sPart(s)
			out := make([]int64, simd.BroadcastInt64s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Uint8", simd.BroadcastUint8s(0).Len(),
		func(s []uint8) ([]uint8, int) {
			v, n := LoadUint8sPart(s)
			out := make([]uint8, simd.BroadcastUint8s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []uint8) ([]uint8, int) {
			v, n := simd.LoadUint8sPart(s)
			out := make([]uint8, simd.BroadcastUint8s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Uint16", simd.BroadcastUint16s(0).Len(),
		func(s []uint16) ([]uint16, int) {
			v, n := LoadUint16sPart(s)
			out := make([]uint16, simd.BroadcastUint16s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []uint16) ([]uint16, int) {
			v, n := simd.LoadUint16sPart(s)
			out := make([]uint16, simd.BroadcastUint16s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Uint32", simd.BroadcastUint32s(0).Len(),
		func(s []uint32) ([]uint32, int) {
			v, n := LoadUint32sPart(s)
			out := make([]uint32, simd.BroadcastUint32s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []uint32) ([]uint32, int) {
			v, n := simd.LoadUint32sPart(s)
			out := make([]uint32, simd.BroadcastUint32s(0).Len())
			v.Store(out)
			return out, n
		})
	check(t, "Uint64", simd.BroadcastUint64s(0).Len(),
		func(s []uint64) ([]uint64, int) {
			v, n := LoadUint64sPart(s)
			out := make([]uint64, simd.BroadcastUint64s(0).Len())
			v.Store(out)
			return out, n
		},
		func(s []uint64) ([]uint64, int) {
			v, n := simd.LoadUint64sPart(s)
			out := make([]uint64, simd.BroadcastUint64s(0).Len())
			v.Store(out)
			return out, n
		})
}

// ExampleLoadFloat32sPart loads the last three elements of a slice.
func ExampleLoadFloat32sPart() {
	v, n := LoadFloat32sPart([]float32{1, 2, 3, 4, 5}[2:])
	out := make([]float32, simd.BroadcastFloat32s(0).Len())
	v.Store(out)
	fmt.Println(n, out[:4])
	// Output: 3 [3 4 5 0]
}
