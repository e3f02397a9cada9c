package fuzzin

import (
	"math"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want float64
	}{
		{"no bytes left", nil, 0},
		{"small: int16 / 256", []byte{0, 0xff, 0x80}, -0.5}, // int16(0xff80) = -128
		{"a special", []byte{5, 15}, math.MaxFloat64},
		{"scaled by a power of ten", []byte{6, 1, 0, 255}, math.Pow(10, -65)}, // 256/256 * 10^(-320 + 255)
		{"raw bits", []byte{7, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}, math.Inf(1)},
	} {
		if got := New(c.b).Float(); got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%s: Float() = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIntnAndFinite(t *testing.T) {
	r := New([]byte{0, 7, 255, 7, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})
	// Intn(1, 8) maps bytes 0, 7 and 255 to 1 + b % 8.
	for _, want := range []int{1, 8, 8} {
		if got := r.Intn(1, 8); got != want {
			t.Errorf("Intn(1, 8) = %d, want %d", got, want)
		}
	}
	if v := r.Finite(); v != 0 { // the raw bits of a NaN
		t.Errorf("Finite() on NaN bits = %v, want 0", v)
	}
	if !Close(1, 1+1e-13, 1e-12, 0) || Close(1, 1.1, 1e-12, 1e-3) {
		t.Error("Close does not compare within its tolerances")
	}
}
