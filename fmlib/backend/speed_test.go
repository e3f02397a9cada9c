package backend

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestSpeedWarning(t *testing.T) {
	for _, c := range []struct {
		name    string
		simd    bool
		arch    string
		godebug string
		warn    bool
	}{
		{"simd amd64 without the setting", true, "amd64", "", true},
		{"simd amd64 with other settings only", true, "amd64", "gctrace=1,cpu.avx512f=on", true},
		{"simd amd64 with the setting", true, "amd64", "cpu.fma=off", false},
		{"simd amd64 with the setting among others", true, "amd64", "gctrace=1, cpu.fma=off", false},
		{"simd amd64 with FMA explicitly on", true, "amd64", "cpu.fma=on", true},
		{"no simd build", false, "amd64", "", false},
		{"arm64 (no AVX)", true, "arm64", "", false},
	} {
		w := speedWarning(c.simd, c.arch, c.godebug)
		if (w != "") != c.warn {
			t.Errorf("%s: warning %q, want warning=%v", c.name, w, c.warn)
		}
		if w != "" && !strings.Contains(w, "GODEBUG="+MathSetting) {
			t.Errorf("%s: warning %q does not say what to set", c.name, w)
		}
	}
}

// Under CI the tests run through make, which must export the setting (the
// kernelspec and the Dockerfiles are checked by their own tests).
func TestMakeExportsMathSetting(t *testing.T) {
	if os.Getenv("CI") == "" {
		t.Skip("checks make's environment; runs under CI")
	}
	if w := SpeedWarning(); w != "" {
		t.Errorf("make test ran without the setting: %s", w)
	}
}

// BenchmarkExpAfterMatmul measures what MathSetting is about: each
// iteration runs a 512x512 matrix product on the pure-Go backend, then an
// Exp of 2.56M values, either as a backend op ("graph") or with Go's
// math.Exp in a loop ("host"). Compare runs with and without the setting:
//
//	GODEBUG=cpu.fma=off go test -run XXX -bench ExpAfterMatmul ./fmlib/backend
//	GODEBUG= go test -run XXX -bench ExpAfterMatmul ./fmlib/backend
//
// (on amd64 with GOEXPERIMENT=simd). The slow path strikes at random, so
// use -count 5 or more and look at the spread.
func BenchmarkExpAfterMatmul(b *testing.B) {
	be, err := NewGo()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Finalize()
	const n = 2_560_000 // as in MathSetting's measurement
	mm := graph.MustNewExec(be, func(a *graph.Node) *graph.Node { return graph.MatMul(a, a) })
	ex := graph.MustNewExec(be, graph.Exp)
	a := make([]float32, 512*512)
	for i := range a {
		a[i] = float32(i%7) * 0.01
	}
	at := tensors.FromFlatDataAndDimensions(a, 512, 512)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%1000)*0.002 - 1 // in [-1, 1): no overflow, no denormals
	}
	xt := tensors.FromFlatDataAndDimensions(x, n)
	out := make([]float64, n)
	b.Run("graph", func(b *testing.B) {
		for b.Loop() {
			mm.MustExec1(at).FinalizeAll()
			ex.MustExec1(xt).FinalizeAll()
		}
	})
	b.Run("host", func(b *testing.B) {
		for b.Loop() {
			mm.MustExec1(at).FinalizeAll()
			for i, v := range x {
				out[i] = math.Exp(float64(v))
			}
		}
	})
}
