//go:build goexperiment.simd && amd64

package coupling

import (
	"math"
	"math/bits"
	"simd/archsimd"
)

var haveAVX2 = archsimd.X86.AVX2()

// bestTwo is bestTwoScalar with AVX2: four (smallest, second smallest) lanes
// in one Float64x4 pair, then the same merge and index search.
func bestTwo(row, v []float64) (j1 int, w1, w2 float64) {
	if !haveAVX2 || len(row) < 8 {
		return bestTwoScalar(row, v)
	}
	v = v[:len(row)]
	inf := archsimd.BroadcastFloat64x4(math.Inf(1))
	m1, m2 := inf, inf
	j := 0
	for ; j+4 <= len(row); j += 4 {
		h := archsimd.LoadFloat64x4(row[j:]).Sub(archsimd.LoadFloat64x4(v[j:]))
		m2 = m2.Min(m1.Max(h))
		m1 = m1.Min(h)
	}
	var a1, a2 [4]float64
	m1.StoreArray(&a1)
	m2.StoreArray(&a2)
	w1, w2 = a1[0], a2[0]
	for k := 1; k < 4; k++ {
		w2 = min2(min2(w2, a2[k]), max2(w1, a1[k]))
		w1 = min2(w1, a1[k])
	}
	for ; j < len(row); j++ {
		h := row[j] - v[j]
		w2 = min2(w2, max2(w1, h))
		w1 = min2(w1, h)
	}
	target := archsimd.BroadcastFloat64x4(w1)
	for j = 0; j+4 <= len(row); j += 4 {
		h := archsimd.LoadFloat64x4(row[j:]).Sub(archsimd.LoadFloat64x4(v[j:]))
		if m := h.Equal(target).ToBits(); m != 0 {
			return j + bits.TrailingZeros8(m), w1, w2
		}
	}
	for ; j < len(row); j++ {
		if row[j]-v[j] == w1 {
			return j, w1, w2
		}
	}
	return 0, w1, w2 // not reached for finite costs
}

// dot32 is dot32Scalar with AVX2 (two Float64x4 accumulators).
func dot32(k []float32, v []float64) float64 {
	if !haveAVX2 || len(k) < 16 {
		return dot32Scalar(k, v)
	}
	v = v[:len(k)]
	s0 := archsimd.BroadcastFloat64x4(0)
	s1 := s0
	j := 0
	for ; j+8 <= len(k); j += 8 {
		k0 := archsimd.LoadFloat32x4(k[j:]).ConvertToFloat64()
		k1 := archsimd.LoadFloat32x4(k[j+4:]).ConvertToFloat64()
		s0 = s0.Add(k0.Mul(archsimd.LoadFloat64x4(v[j:])))
		s1 = s1.Add(k1.Mul(archsimd.LoadFloat64x4(v[j+4:])))
	}
	var a [4]float64
	s0.Add(s1).StoreArray(&a)
	s := (a[0] + a[1]) + (a[2] + a[3])
	for ; j < len(k); j++ {
		s += float64(k[j]) * v[j]
	}
	return s
}

// axpy32 is axpy32Scalar with AVX2.
func axpy32(dst []float64, a float64, k []float32) {
	if !haveAVX2 || len(k) < 16 {
		axpy32Scalar(dst, a, k)
		return
	}
	dst = dst[:len(k)]
	av := archsimd.BroadcastFloat64x4(a)
	j := 0
	for ; j+4 <= len(k); j += 4 {
		kv := archsimd.LoadFloat32x4(k[j:]).ConvertToFloat64()
		archsimd.LoadFloat64x4(dst[j:]).Add(kv.Mul(av)).Store(dst[j:])
	}
	for ; j < len(k); j++ {
		dst[j] += a * float64(k[j])
	}
}
