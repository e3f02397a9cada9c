package backend

import (
	"os"
	"strings"
	"testing"
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
