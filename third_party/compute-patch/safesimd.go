// Copyright 2026 The gofm Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

// Package safesimd replaces the standard simd package's partial loads,
// simd.Load<T>sPart, for slices shorter than a vector.
//
// Go 1.27.3 implements them (simd/archsimd Load<T>x<N>Part) as a load of a
// whole vector from the slice's first element, masked afterwards. Lanes past
// the slice's end are zeroed, but they are read first, so a tail that ends
// where mapped memory ends faults: the pure-Go backend then dies with
// "fatal error: fault" (SIGSEGV). Here a short slice is copied into a
// zeroed stack buffer as wide as the widest vector (64 bytes, AVX-512) and
// the vector is loaded from there: the same lanes and count as the standard
// function (the first len(s) elements, zeros after), no read past s.
//
// gofm's copy of github.com/gomlx/compute calls these instead of simd's
// (see third_party/compute-patch/README.md in the gofm repository).
package safesimd

import "simd"

// lanes64 is the most lanes any vector has: 64 bytes of int8 (AVX-512).
// Each buffer below holds lanes64 elements, at least one vector of its type.
const lanes64 = 64

// LoadInt8sPart is simd.LoadInt8sPart without reading past the end of s.
func LoadInt8sPart(s []int8) (simd.Int8s, int) {
	lanes := simd.BroadcastInt8s(0).Len()
	if len(s) >= lanes {
		return simd.LoadInt8s(s), lanes
	}
	var buf [lanes64]int8
	n := copy(buf[:], s)
	return simd.LoadInt8s(buf[:]), n
}

// LoadInt16sPart is simd.LoadInt16sPart without reading past the end of s.
func LoadInt16sPart(s []int16) (simd.Int16s, int) {
	lanes := simd.BroadcastInt16s(0).Len()
	if len(s) >= lanes {
		return simd.LoadInt16s(s), lanes
	}
	var buf [lanes64]int16
	n := copy(buf[:], s)
	return simd.LoadInt16s(buf[:]), n
}

// LoadInt32sPart is simd.LoadInt32sPart without reading past the end of s.
func LoadInt32sPart(s []int32) (simd.Int32s, int) {
	lanes := simd.BroadcastInt32s(0).Len()
	if len(s) >= lanes {
		return simd.LoadInt32s(s), lanes
	}
	var buf [lanes64]int32
	n := copy(buf[:], s)
	return simd.LoadInt32s(buf[:]), n
}

// LoadInt64sPart is simd.LoadInt64sPart without reading past the end of s.
func LoadInt64sPart(s []int64) (simd.Int64s, int) {
	lanes := simd.BroadcastInt64s(0).Len()
	if len(s) >= lanes {
		return simd.LoadInt64s(s), lanes
	}
	var buf [lanes64]int64
	n := copy(buf[:], s)
	return simd.LoadInt64s(buf[:]), n
}

// LoadUint8sPart is simd.LoadUint8sPart without reading past the end of s.
func LoadUint8sPart(s []uint8) (simd.Uint8s, int) {
	lanes := simd.BroadcastUint8s(0).Len()
	if len(s) >= lanes {
		return simd.LoadUint8s(s), lanes
	}
	var buf [lanes64]uint8
	n := copy(buf[:], s)
	return simd.LoadUint8s(buf[:]), n
}

// LoadUint16sPart is simd.LoadUint16sPart without reading past the end of s.
func LoadUint16sPart(s []uint16) (simd.Uint16s, int) {
	lanes := simd.BroadcastUint16s(0).Len()
	if len(s) >= lanes {
		return simd.LoadUint16s(s), lanes
	}
	var buf [lanes64]uint16
	n := copy(buf[:], s)
	return simd.LoadUint16s(buf[:]), n
}

// LoadUint32sPart is simd.LoadUint32sPart without reading past the end of s.
func LoadUint32sPart(s []uint32) (simd.Uint32s, int) {
	lanes := simd.BroadcastUint32s(0).Len()
	if len(s) >= lanes {
		return simd.LoadUint32s(s), lanes
	}
	var buf [lanes64]uint32
	n := copy(buf[:], s)
	return simd.LoadUint32s(buf[:]), n
}

// LoadUint64sPart is simd.LoadUint64sPart without reading past the end of s.
func LoadUint64sPart(s []uint64) (simd.Uint64s, int) {
	lanes := simd.BroadcastUint64s(0).Len()
	if len(s) >= lanes {
		return simd.LoadUint64s(s), lanes
	}
	var buf [lanes64]uint64
	n := copy(buf[:], s)
	return simd.LoadUint64s(buf[:]), n
}

// LoadFloat32sPart is simd.LoadFloat32sPart without reading past the end of s.
func LoadFloat32sPart(s []float32) (simd.Float32s, int) {
	lanes := simd.BroadcastFloat32s(0).Len()
	if len(s) >= lanes {
		return simd.LoadFloat32s(s), lanes
	}
	var buf [lanes64]float32
	n := copy(buf[:], s)
	return simd.LoadFloat32s(buf[:]), n
}

// LoadFloat64sPart is simd.LoadFloat64sPart without reading past the end of s.
func LoadFloat64sPart(s []float64) (simd.Float64s, int) {
	lanes := simd.BroadcastFloat64s(0).Len()
	if len(s) >= lanes {
		return simd.LoadFloat64s(s), lanes
	}
	var buf [lanes64]float64
	n := copy(buf[:], s)
	return simd.LoadFloat64s(buf[:]), n
}
