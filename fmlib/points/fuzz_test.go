package points

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/fuzzin"
)

// fuzzRows decodes a point set of up to 8 rows and 3 columns, ragged when
// the first byte says so (one row gets a different length), with values
// that may be NaN, ±Inf or beyond float32's range.
func fuzzRows(b []byte) [][]float64 {
	r := fuzzin.New(b)
	ragged := r.Byte()%8 == 0 // one input in eight has a ragged row
	n, d := r.Intn(0, 8), r.Intn(0, 3)
	p := r.Points(n, d, false)
	if ragged && n > 0 {
		i := r.Intn(0, n-1)
		p[i] = p[i][:0]
		for range r.Intn(0, 4) {
			p[i] = append(p[i], r.Float())
		}
	}
	return p
}

// FuzzCheckToTensor: Check accepts exactly the non-empty rectangular finite
// sets (and names the bad row otherwise); ToTensor accepts exactly what
// float32 represents without overflow, and FromTensor gives back the values
// rounded to float32.
func FuzzCheckToTensor(f *testing.F) {
	f.Add([]byte{1, 2, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0})          // 2 x 2 small values
	f.Add([]byte{1, 1, 1, 5, 16})                                       // -MaxFloat64: finite, beyond float32
	f.Add([]byte{1, 3, 3, 7, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})             // a NaN
	f.Add([]byte{0, 3, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0}) // ragged
	f.Add([]byte{1, 0, 2})                                              // empty
	f.Fuzz(func(t *testing.T, b []byte) {
		p := fuzzRows(b)
		n, d, err := Check(p)
		want := wantCheck(p)
		if (err == nil) != (want == "") {
			t.Fatalf("Check(%v) = %d, %d, %v; want error %q", p, n, d, err, want)
		}
		if err != nil {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("Check(%v): error %q does not say %q", p, err, want)
			}
			if _, terr := ToTensor(p); terr == nil {
				t.Fatalf("ToTensor(%v) accepted a set Check rejects", p)
			}
			return
		}
		if n != len(p) || d != len(p[0]) {
			t.Fatalf("Check(%v) = %d, %d; want %d, %d", p, n, d, len(p), len(p[0]))
		}
		tt, err := ToTensor(p)
		big := beyondFloat32(p)
		if (err == nil) == (big != "") {
			t.Fatalf("ToTensor(%v): err %v; want an error iff a value overflows float32 (%q)", p, err, big)
		}
		if err != nil {
			if !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "float32") {
				t.Fatalf("ToTensor(%v): error %q does not name %q and float32", p, err, big)
			}
			return
		}
		back, err := FromTensor(tt)
		if err != nil {
			t.Fatalf("FromTensor(ToTensor(%v)): %v", p, err)
		}
		for i, row := range p {
			for j, v := range row {
				if got := back[i][j]; got != float64(float32(v)) || math.IsInf(got, 0) {
					t.Fatalf("round trip of %v: [%d][%d] = %v, want float32(%v) = %v", p, i, j, got, v, float32(v))
				}
			}
		}
	})
}

// wantCheck is the start of the error Check must give for p ("" for none).
func wantCheck(p [][]float64) string {
	if len(p) == 0 {
		return "empty point set"
	}
	if len(p[0]) == 0 {
		return "row 0 has no coordinates"
	}
	for i, row := range p {
		if len(row) != len(p[0]) {
			return fmt.Sprintf("row %d has %d coordinates", i, len(row))
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Sprintf("row %d coordinate %d is", i, j)
			}
		}
	}
	return ""
}

// beyondFloat32 names the first value of p whose float32 conversion
// overflows ("" for none).
func beyondFloat32(p [][]float64) string {
	for i, row := range p {
		for j, v := range row {
			if math.IsInf(float64(float32(v)), 0) {
				return fmt.Sprintf("row %d coordinate %d", i, j)
			}
		}
	}
	return ""
}
