package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

func mustGo(t *testing.T) compute.Backend {
	t.Helper()
	b, err := gobackend.New(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// fakeEnv is a machine with the given plugin ("" = none) and device nodes.
func fakeEnv(plugin string, nodes []string, vars map[string]string) env {
	return env{
		findPlugin: func() (string, []string) { return plugin, []string{"/fake/search/dir"} },
		gpuNodes:   func() []string { return nodes },
		getenv:     func(k string) string { return vars[k] },
	}
}

func runFake(t *testing.T, e env, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut, e)
	return code, out.String(), errOut.String()
}

// keepEnv restores the variables (set or unset) after the test: the plugin
// set-up changes the process environment.
func keepEnv(t *testing.T, names ...string) {
	for _, k := range names {
		v, ok := os.LookupEnv(k)
		t.Setenv(k, v) // registers the restoring cleanup
		if !ok {
			os.Unsetenv(k)
		}
	}
}

// fakeJaxPlugin lays out a jax CUDA 13 install whose plugin is a text file.
func fakeJaxPlugin(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	sp := filepath.Join(root, "lib", "python3.12", "site-packages")
	plugin := filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, f := range []string{plugin, filepath.Join(sp, "nvidia/cu13/lib/libcudart.so.13"), filepath.Join(sp, "nvidia/cu13/nvvm/libdevice/libdevice.10.bc")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("fake"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return plugin
}

func TestNothingToCheck(t *testing.T) {
	keepEnv(t, "TF_CPP_MIN_LOG_LEVEL", "XLA_FLAGS", "PATH", "GOPJRT_CUDA_CHECKS")
	plugin := fakeJaxPlugin(t)
	cases := []struct {
		name   string
		e      env
		want   []string
		reason string
	}{
		{"no GPU, no plugin", fakeEnv("", nil, nil), []string{"RESULT: NO GPU", "no CUDA PJRT plugin", "/fake/search/dir", "GOMLX_BACKEND=go"},
			"the CPU machines' case: say so, where it looked, and what to use instead"},
		{"GPU, no plugin", fakeEnv("", []string{"/dev/nvidia0"}, nil), []string{"RESULT: NO PLUGIN", "/dev/nvidia0", `jax[cuda13]`},
			"a GPU machine without the plugin: say how to get one"},
		{"plugin, no GPU", fakeEnv(plugin, nil, nil), []string{"plugin: " + plugin, "CUDA data dir:", "nvidia/cu13", "RESULT: NO GPU"},
			"the set-up is still described, so it can be checked on a CPU machine"},
		{"plugin from GOMLX_BACKEND, no GPU", fakeEnv("", nil, map[string]string{"GOMLX_BACKEND": "xla:" + plugin + ",tf32=true"}),
			[]string{"plugin from GOMLX_BACKEND", "plugin: " + plugin, "RESULT: NO GPU"}, "an explicit plugin wins over the search"},
	}
	for _, c := range cases {
		code, out, _ := runFake(t, c.e)
		if code != exitNoDevice {
			t.Errorf("%s: exit %d, want %d\n%s", c.name, code, exitNoDevice, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q (%s):\n%s", c.name, w, c.reason, out)
			}
		}
	}
}

func TestPrintEnv(t *testing.T) {
	keepEnv(t, "TF_CPP_MIN_LOG_LEVEL")
	plugin := fakeJaxPlugin(t)
	code, out, _ := runFake(t, fakeEnv(plugin, nil, nil), "-print-env")
	if code != exitOK || !strings.Contains(out, "export GOMLX_BACKEND='xla:"+plugin+"'") || !strings.Contains(out, "--xla_gpu_cuda_data_dir=") ||
		!strings.Contains(out, "export LD_LIBRARY_PATH=") || strings.Contains(out, "RESULT") {
		t.Errorf("-print-env: exit %d, output:\n%s", code, out)
	}
	if code, out, _ := runFake(t, fakeEnv("", nil, nil), "-print-env"); code != exitNoDevice || !strings.Contains(out, "no CUDA PJRT plugin") {
		t.Errorf("-print-env without a plugin: exit %d, output:\n%s", code, out)
	}
}

func TestFlags(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"-bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"-backend", "tpu"}, exitUsage, `use "xla"`},
		{[]string{"extra"}, exitUsage, "unexpected argument"},
		{[]string{"-help"}, exitOK, "-print-env"},
	}
	for _, c := range cases {
		code, _, errOut := runFake(t, fakeEnv("", nil, nil), c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errOut, c.want)
		}
	}
}

func TestPluginFromEnv(t *testing.T) {
	cases := []struct{ v, plugin, opts string }{
		{"xla:/p/xla_cuda_plugin.so", "/p/xla_cuda_plugin.so", ""},
		{"xla:/p/xla_cuda_plugin.so,tf32=false", "/p/xla_cuda_plugin.so", "tf32=false"},
		{"xla:cuda", "", ""}, // a name: gpucheck searches itself
		{"go", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		if p, o := pluginFromEnv(c.v); p != c.plugin || o != c.opts {
			t.Errorf("pluginFromEnv(%q) = %q, %q; want %q, %q", c.v, p, o, c.plugin, c.opts)
		}
	}
}

func TestCompare(t *testing.T) {
	ref := []float32{1, -2, 0.5, 4}
	nan := float32(math.NaN())
	cases := []struct {
		name    string
		got     []float32
		tol     float64
		ok      bool
		wantRel float64
	}{
		{"identical", []float32{1, -2, 0.5, 4}, 1e-4, true, 0},
		// 3e-4 off on a scale of 4: 7.5e-5 relative, just within the tolerance
		// (float32 holds 4.0003 to about 2e-7).
		{"just within", []float32{1, -2, 0.5, 4.0003}, 1e-4, true, 7.5e-5},
		// 4e-3 off on a scale of 4: 1e-3 relative, above the float32 tolerance ...
		{"beyond float32", []float32{1, -2, 0.504, 4}, 1e-4, false, 1e-3},
		// ... but within the TF32 one.
		{"within TF32", []float32{1, -2, 0.504, 4}, 2e-3, true, 1e-3},
		// The reversed vector: 3 off on a scale of 4.
		{"wrong layout", []float32{4, 0.5, -2, 1}, 2e-3, false, 0.75},
		{"NaN", []float32{1, nan, 0.5, 4}, 1, false, 0},
		{"short", []float32{1, -2}, 1, false, 0},
	}
	for _, c := range cases {
		r := compare(c.name, "[4]", c.got, ref, c.tol)
		if r.ok != c.ok {
			t.Errorf("%s: ok %v, want %v (%+v)", c.name, r.ok, c.ok, r)
		}
		if c.wantRel > 0 && math.Abs(r.rel-c.wantRel) > 1e-6 {
			t.Errorf("%s: relative difference %g, want %g", c.name, r.rel, c.wantRel)
		}
		if (c.name == "NaN" || c.name == "short") && r.bad == "" {
			t.Errorf("%s: no reason given", c.name)
		}
	}
	// A reference of zeros compares absolutely.
	if r := compare("zeros", "[2]", []float32{0, 1e-5}, []float32{0, 0}, 1e-4); !r.ok || r.rel != float64(float32(1e-5)) {
		t.Errorf("zeros: %+v", r)
	}
}

// TestSelfTest runs the whole check with the pure-Go backend on both sides:
// the graphs build, run, and agree exactly.
func TestSelfTest(t *testing.T) {
	code, out, errOut := runFake(t, fakeEnv("", nil, nil), "-backend", "go")
	if code != exitOK || !strings.Contains(out, "RESULT: PASS") {
		t.Fatalf("self-test: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{"matmul", "conv 3x3 same", "gradient dL/dkernel", "gradient dL/dimage", "gradient dL/dmatrix"} {
		if !strings.Contains(out, name) {
			t.Errorf("self-test output lacks the %q row:\n%s", name, out)
		}
	}
}

// TestChecksAreNotTrivial makes sure every compared output has values well
// away from 0 relative to float32 rounding, so agreement means something:
// a saturated tanh, say, would give gradients of 0 that agree on any backend.
func TestChecksAreNotTrivial(t *testing.T) {
	b, ref := mustGo(t), mustGo(t)
	results, err := runChecks(b, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		// 1e-7: far above float32's smallest normals, far below the gradients'
		// scale (the smallest, dL/dimage, is ~1e-5: a mean over 131,072 values).
		if r.maxRef < 1e-7 {
			t.Errorf("%s: max|ref| = %g: the check compares (almost) nothing", r.name, r.maxRef)
		}
	}
}

// TestXLAFailureIsNamed pretends a GPU is there: the fake plugin file then
// reaches XLA, whose failure must come out classified, with advice.
func TestXLAFailureIsNamed(t *testing.T) {
	keepEnv(t, "TF_CPP_MIN_LOG_LEVEL", "XLA_FLAGS", "PATH", "GOPJRT_CUDA_CHECKS")
	plugin := fakeJaxPlugin(t)
	code, out, _ := runFake(t, fakeEnv(plugin, []string{"/dev/nvidia0"}, nil))
	for _, w := range []string{"GPU device nodes: /dev/nvidia0", "versions: driver supports CUDA", "XLA configuration: " + plugin + ",tf32=false,preallocate=false",
		"RESULT: FAIL: XLA CUDA: not a PJRT plugin", "give the plugin's shared library itself"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
}
