package backend

import (
	"os"
	"runtime"
	"strings"
)

// MathSetting is the GODEBUG setting every gofm process runs with (the
// Makefile, the kernelspec and the Docker images set it). It makes Go's math
// package take its SSE-only code paths.
//
// Why: built with GOEXPERIMENT=simd, the pure-Go backend's matmul kernels use
// AVX-512 and do not clear the upper register state afterwards (no
// VZEROUPPER). Go's math.Exp assembly, which the backend calls per element for
// Logistic (SiLU), Exp and Tanh, mixes VEX-encoded FMA with legacy SSE
// instructions, and with the upper state dirty every switch between the two
// costs a state transition. Measured here (Xeon with AVX-512, 2 cores): an Exp
// over 2.56M float32 values took 21 ms or up to 2,650 ms at random, and the
// forward pass of a 3x256 SiLU MLP on 10,000 points 1.0-5.7 s; with this
// setting they take a stable 28 ms and 174 ms, and a training step is
// unchanged. A GOEXPERIMENT=simd build without the setting shows the same
// numbers as a build without simd, so the cause is the mix, not the data.
//
// Re-measured with gomlx v0.28.16 / compute v0.1.14 on Go 1.27.3 (the same
// machine, BenchmarkExpAfterMatmul's loop: a 512x512 matmul on the backend,
// then an Exp of 2.56M values, 15 times per process, 3 processes each way): the
// backend's own Exp, Logistic and Tanh now run SIMD kernels and take the
// same 4-46 ms with or without the setting, but Go's math.Exp called from
// Go code after a backend matmul (host-side densities, metrics, samplers)
// still took 29-6,711 ms without it against 41-114 ms with it. So it stays.
//
// GODEBUG's cpu.* options are read from the environment at process start,
// so they cannot be set from Go code: SpeedWarning tells a process that lacks it.
const MathSetting = "cpu.fma=off"

// SpeedWarning returns a one-line warning when this process runs a
// GOEXPERIMENT=simd build on amd64 without GODEBUG=cpu.fma=off (see
// MathSetting), and "" otherwise. session.Start prints it under the backend line.
func SpeedWarning() string {
	return speedWarning(simdBuild, runtime.GOARCH, os.Getenv("GODEBUG"))
}

func speedWarning(simd bool, arch, godebug string) string {
	if !simd || arch != "amd64" {
		return ""
	}
	for _, kv := range strings.Split(godebug, ",") {
		if strings.TrimSpace(kv) == MathSetting {
			return ""
		}
	}
	return "warning: GODEBUG=" + MathSetting + " is not set: on this simd build exp/tanh/sigmoid can run 10-100x slower at random " +
		"(run through make, the \"Go (gofm)\" kernel, or export GODEBUG=" + MathSetting + ")"
}
