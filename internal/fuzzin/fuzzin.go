// Package fuzzin decodes the bytes of a Go fuzz input into the small numeric
// inputs the fuzz targets of fmlib pass to host APIs: sizes, flags and
// float64 values that are mostly of ordinary size but, often enough for the
// fuzzer to find them, huge, tiny, subnormal, signed zero, NaN or ±Inf.
//
// Decoding never fails: once the bytes are used up every read returns its
// zero value, so any byte string is a valid input and the fuzzer's
// mutations (cut, extend, flip) all stay meaningful.
package fuzzin

import "math"

// Reader reads fuzz bytes front to back.
type Reader struct {
	b []byte
}

// New returns a Reader of b.
func New(b []byte) *Reader { return &Reader{b: b} }

// Byte returns the next byte (0 when none is left).
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Bool returns whether the next byte is odd.
func (r *Reader) Bool() bool { return r.Byte()&1 == 1 }

// Uint16 returns the next two bytes, big-endian.
func (r *Reader) Uint16() uint16 { return uint16(r.Byte())<<8 | uint16(r.Byte()) }

// Uint64 returns the next eight bytes, big-endian.
func (r *Reader) Uint64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(r.Byte())
	}
	return v
}

// Intn returns a value in [lo, hi] from the next byte (hi - lo < 256).
func (r *Reader) Intn(lo, hi int) int { return lo + int(r.Byte())%(hi-lo+1) }

// Specials are values at the edges of float64 that the numeric APIs must
// handle: signed zeros, the smallest subnormal and normal, values whose
// square (sqrt(MaxFloat64) ~ 1.34e154) or whose float32 conversion
// (MaxFloat32 ~ 3.4e38) overflows, and the largest finite value.
var Specials = []float64{
	0, math.Copysign(0, -1), 1, -1,
	math.SmallestNonzeroFloat64, math.Float64frombits(1 << 52), // smallest subnormal, smallest normal
	1e-160, 1e154, 1.5e154, -1.5e154, // around sqrt(MaxFloat64)
	math.MaxFloat32, 3.5e38, -3.5e38, // around MaxFloat32
	1e300, -1e300, math.MaxFloat64, -math.MaxFloat64,
}

// Float returns a value decoded from the next bytes. Five times in eight it
// is a small number (a 16-bit integer / 256, so in [-128, 128) on a 1/256
// grid, with many exact ties), once a value of Specials, once a small number
// times a power of ten between 1e-320 and 1e307, and once the raw bits of a
// float64 (any value, NaN and ±Inf included).
func (r *Reader) Float() float64 {
	small := func() float64 { return float64(int16(r.Uint16())) / 256 }
	switch r.Byte() % 8 {
	case 5:
		return Specials[int(r.Byte())%len(Specials)]
	case 6:
		return small() * math.Pow(10, float64(r.Intn(-320, 307)))
	case 7:
		return math.Float64frombits(r.Uint64())
	default:
		return small()
	}
}

// Finite is Float with NaN and ±Inf replaced by 0.
func (r *Reader) Finite() float64 {
	v := r.Float()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Points returns n rows of d values from Float (Finite when finite).
func (r *Reader) Points(n, d int, finite bool) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, d)
		for j := range p[i] {
			if finite {
				p[i][j] = r.Finite()
			} else {
				p[i][j] = r.Float()
			}
		}
	}
	return p
}

// AllFinite reports whether every value of p is finite.
func AllFinite(p [][]float64) bool {
	for _, row := range p {
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// Close reports whether a and b agree to within rel times the larger
// magnitude, or abs (for values near 0).
func Close(a, b, rel, abs float64) bool {
	return math.Abs(a-b) <= math.Max(abs, rel*math.Max(math.Abs(a), math.Abs(b)))
}
