package backend

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// touch creates the files (and their folders) under root; a name ending in
// "/" is a folder.
func touch(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("fake"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// jaxCUDA13 is the layout of jax 0.11's CUDA 13 wheels in a virtual
// environment (as on the project's GPU machine), relative to the venv root.
var jaxCUDA13 = []string{
	"bin/python3",
	"lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
	"lib/python3.12/site-packages/nvidia/cu13/lib/libcudart.so.13",
	"lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
	"lib/python3.12/site-packages/nvidia/cu13/lib/libcublasLt.so.13",
	"lib/python3.12/site-packages/nvidia/cu13/bin/ptxas",
	"lib/python3.12/site-packages/nvidia/cu13/nvvm/libdevice/libdevice.10.bc",
	"lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
	"lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2",
	"lib/python3.12/site-packages/nvidia/nvshmem/lib/libnvshmem_host.so.3",
	"lib/python3.12/site-packages/nvidia/__init__.py", // a file, not a component folder
}

func TestSetupCUDALayouts(t *testing.T) {
	const sp = "lib/python3.12/site-packages"
	cases := []struct {
		name     string
		files    []string
		plugin   string // relative to the root
		nvidia   string // want, relative ("" = none)
		dataDir  string // want, relative ("" = none)
		libDirs  []string
		python   string
		problems []string // substrings, one per expected problem
	}{
		{
			name: "jax CUDA 13 wheels", files: jaxCUDA13,
			plugin: sp + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so", nvidia: sp + "/nvidia", dataDir: sp + "/nvidia/cu13",
			// cu13 (the toolkit) first, then the others sorted.
			libDirs: []string{sp + "/nvidia/cu13/lib", sp + "/nvidia/cudnn/lib", sp + "/nvidia/nccl/lib", sp + "/nvidia/nvshmem/lib"},
			python:  "bin/python3",
		},
		{
			name: "jax CUDA 12 wheels (one folder per library, nvcc apart)",
			files: []string{
				sp + "/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
				sp + "/nvidia/cuda_runtime/lib/libcudart.so.12", sp + "/nvidia/cublas/lib/libcublas.so.12",
				sp + "/nvidia/cuda_nvcc/bin/ptxas", sp + "/nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc",
				sp + "/nvidia/cudnn/lib/libcudnn.so.9",
			},
			plugin: sp + "/jax_plugins/xla_cuda12/xla_cuda_plugin.so", nvidia: sp + "/nvidia", dataDir: sp + "/nvidia/cuda_nvcc",
			libDirs: []string{sp + "/nvidia/cuda_runtime/lib", sp + "/nvidia/cublas/lib", sp + "/nvidia/cudnn/lib"},
		},
		{
			name:   "go-xla layout with nvidia/ beside the plugin",
			files:  []string{"go-xla/pjrt_c_api_cuda_plugin.so", "go-xla/nvidia/cu13/lib/libcudart.so.13", "go-xla/nvidia/cu13/nvvm/libdevice/x.bc", "go-xla/nvidia/cudnn/lib/libcudnn.so.9"},
			plugin: "go-xla/pjrt_c_api_cuda_plugin.so", nvidia: "go-xla/nvidia", dataDir: "go-xla/nvidia/cu13",
			libDirs: []string{"go-xla/nvidia/cu13/lib", "go-xla/nvidia/cudnn/lib"},
		},
		{
			name: "plugin alone", files: []string{"plugins/pjrt_c_api_cuda_plugin.so"}, plugin: "plugins/pjrt_c_api_cuda_plugin.so",
			problems: []string{"no nvidia/ folder"},
		},
		{
			name:   "no libdevice, no cuDNN",
			files:  []string{sp + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so", sp + "/nvidia/cu13/lib/libcudart.so.13"},
			plugin: sp + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so", nvidia: sp + "/nvidia",
			libDirs:  []string{sp + "/nvidia/cu13/lib"},
			problems: []string{"no nvvm/libdevice", "no libcudnn.so"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			touch(t, root, c.files...)
			s := SetupCUDA(filepath.Join(root, c.plugin))
			rel := func(p string) string {
				if p == "" {
					return ""
				}
				r, _ := filepath.Rel(root, p)
				return r
			}
			if rel(s.NvidiaDir) != c.nvidia || rel(s.DataDir) != c.dataDir || rel(s.Python) != c.python {
				t.Errorf("nvidia %q data %q python %q, want %q %q %q", rel(s.NvidiaDir), rel(s.DataDir), rel(s.Python), c.nvidia, c.dataDir, c.python)
			}
			var dirs []string
			for _, d := range s.LibDirs {
				dirs = append(dirs, rel(d))
			}
			if !slices.Equal(dirs, c.libDirs) {
				t.Errorf("lib dirs %q, want %q", dirs, c.libDirs)
			}
			if len(s.Problems) != len(c.problems) {
				t.Fatalf("problems %q, want %d", s.Problems, len(c.problems))
			}
			for i, p := range c.problems {
				if !strings.Contains(s.Problems[i], p) {
					t.Errorf("problem %d = %q, want it to mention %q", i, s.Problems[i], p)
				}
			}
		})
	}
}

func TestSetupCUDAFollowsSymlink(t *testing.T) {
	root := t.TempDir()
	touch(t, root, jaxCUDA13...)
	real := filepath.Join(root, "lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	link := filepath.Join(root, "pjrt_c_api_cuda_plugin.so")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if s := SetupCUDA(link); s.Plugin != real || s.DataDir == "" {
		t.Errorf("through a symlink: plugin %q data dir %q; want the real file and its wheels", s.Plugin, s.DataDir)
	}
}

func TestCuDNNWheelVersions(t *testing.T) {
	cases := []struct {
		name      string
		wheel     string // dist-info folder of the installed cuDNN ("" = none)
		metadata  string // METADATA of jax_cuda13_plugin ("" = none)
		installed string
		atLeast   string
		problem   bool
	}{
		{"matching", "nvidia_cudnn_cu13-9.13.0.50.dist-info", "Requires-Dist: nvidia-cudnn-cu13<10.0,>=9.8; extra == \"with-cuda\"\n", "9.13.0.50", "9.8", false},
		// 9.7 < 9.8: the plugin refuses it ("Loaded runtime CuDNN library ... but source was compiled with").
		{"too old", "nvidia_cudnn_cu13-9.7.1.26.dist-info", "Requires-Dist: nvidia-cudnn-cu13 (>=9.8,<10.0)\n", "9.7.1.26", "9.8", true},
		{"no metadata", "nvidia_cudnn_cu13-9.13.0.50.dist-info", "", "9.13.0.50", "", false},
		{"no wheel", "", "Requires-Dist: nvidia-cudnn-cu13>=9.8\n", "", "9.8", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			sp := "lib/python3.12/site-packages/"
			touch(t, root, sp+"jax_plugins/xla_cuda13/xla_cuda_plugin.so", sp+"nvidia/cu13/lib/libcudart.so.13",
				sp+"nvidia/cu13/nvvm/libdevice/x.bc", sp+"nvidia/cudnn/lib/libcudnn.so.9")
			if c.wheel != "" {
				touch(t, root, sp+c.wheel+"/")
			}
			if c.metadata != "" {
				touch(t, root, sp+"jax_cuda13_plugin-0.11.2.dist-info/")
				os.WriteFile(filepath.Join(root, sp, "jax_cuda13_plugin-0.11.2.dist-info/METADATA"), []byte("Name: jax-cuda13-plugin\n"+c.metadata), 0o644)
			}
			s := SetupCUDA(filepath.Join(root, sp, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
			if s.CuDNN != c.installed || s.CuDNNMin != c.atLeast {
				t.Errorf("cuDNN %q >= %q, want %q >= %q", s.CuDNN, s.CuDNNMin, c.installed, c.atLeast)
			}
			if got := len(s.Problems) > 0; got != c.problem {
				t.Errorf("problems %q, want some: %v", s.Problems, c.problem)
			}
		})
	}
}

func TestCUDAEnvAndExports(t *testing.T) {
	root := t.TempDir()
	touch(t, root, jaxCUDA13...)
	sp := filepath.Join(root, "lib/python3.12/site-packages")
	s := SetupCUDA(filepath.Join(sp, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	cu13 := filepath.Join(sp, "nvidia/cu13")
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string // variable -> exact value; absent = no change
	}{
		{"empty environment", map[string]string{},
			map[string]string{
				"XLA_FLAGS":       "--xla_gpu_cuda_data_dir=" + cu13,
				"PATH":            cu13 + "/bin",
				"LD_LIBRARY_PATH": strings.Join(s.LibDirs, ":"),
			}},
		{"existing values kept behind", map[string]string{"XLA_FLAGS": "--xla_gpu_autotune_level=0", "PATH": "/usr/bin", "LD_LIBRARY_PATH": "/opt/x"},
			map[string]string{
				"XLA_FLAGS":       "--xla_gpu_autotune_level=0 --xla_gpu_cuda_data_dir=" + cu13,
				"PATH":            cu13 + "/bin:/usr/bin",
				"LD_LIBRARY_PATH": strings.Join(s.LibDirs, ":") + ":/opt/x",
			}},
		{"user's data dir and folders already there", map[string]string{"XLA_FLAGS": "--xla_gpu_cuda_data_dir=/usr/local/cuda", "PATH": cu13 + "/bin", "LD_LIBRARY_PATH": strings.Join(s.LibDirs, ":")},
			map[string]string{}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, e := range s.Env(fakeEnv(c.env)) {
			got[e.Name] = e.Value
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: changes %q, want %q", c.name, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, got[k], v)
			}
		}
	}

	// Export lines run through a shell give back the same values, quotes and all.
	q := SetupCUDA(filepath.Join(sp, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	q.Plugin = filepath.Join(root, "it's here", "xla_cuda_plugin.so")
	lines := q.ExportLines(fakeEnv(map[string]string{}))
	if !strings.Contains(lines, "export GOMLX_BACKEND=") || !strings.Contains(lines, "export XLA_FLAGS=") {
		t.Fatalf("export lines lack GOMLX_BACKEND or XLA_FLAGS:\n%s", lines)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		out, err := exec.Command(sh, "-c", lines+`printf '%s\n' "$GOMLX_BACKEND" "$XLA_FLAGS"`).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := "xla:" + q.Plugin + "\n--xla_gpu_cuda_data_dir=" + cu13 + "\n"
		if string(out) != want {
			t.Errorf("shell read back %q, want %q", out, want)
		}
	}
}

func TestPreloadCandidates(t *testing.T) {
	root := t.TempDir()
	touch(t, root,
		"a/libcublas.so.13", "a/libcublasLt.so.13", "a/libcudart.so.13.0.96", "a/libcudart.so.13",
		"a/libnvrtc-builtins.so.13.0", "a/libnvrtc.so.13", "b/libcudnn.so.9", "b/libcudnn_ops.so.9", "b/libcudart.so.12")
	got := preloadCandidates([]string{filepath.Join(root, "a"), filepath.Join(root, "b")})
	var names []string
	for _, p := range got {
		r, _ := filepath.Rel(root, p)
		names = append(names, r)
	}
	// Sonames only (not libcudart.so.13.0.96 or libnvrtc-builtins), the first
	// folder winning (a/libcudart.so.13 over b/libcudart.so.12), cuBLASLt before
	// cuBLAS, cuDNN last; cuDNN's sub-libraries are left to cuDNN.
	want := []string{"a/libcudart.so.13", "a/libnvrtc.so.13", "a/libcublasLt.so.13", "a/libcublas.so.13", "b/libcudnn.so.9"}
	if !slices.Equal(names, want) {
		t.Errorf("candidates %q, want %q", names, want)
	}
	// Fake files are no shared objects: each failure is reported, none is fatal.
	loaded := PreloadCUDALibraries([]string{filepath.Join(root, "a")})
	if len(loaded) != 4 {
		t.Errorf("%d load attempts in folder a, want its 4 sonames", len(loaded))
	}
	for _, p := range loaded {
		if p.Err == nil {
			t.Errorf("%s: loaded a file that is not a library", p.Path)
		}
	}
}

// buildSO compiles C source into a shared library at path, or skips the test
// when no C compiler is available.
func buildSO(t *testing.T, path, src string) {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc: cannot build test libraries")
	}
	c := path + ".c"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", path, c).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
}

// TestPreloadAndVersionsWithRealLibraries builds stand-ins for the CUDA
// runtime, cuDNN and a PJRT plugin and checks that they load and report the
// versions they were given.
func TestPreloadAndVersionsWithRealLibraries(t *testing.T) {
	root := t.TempDir()
	cu := filepath.Join(root, "nvidia/cu13/lib")
	dnn := filepath.Join(root, "nvidia/cudnn/lib")
	// 13010 = CUDA 13.1 in the runtime API's 1000*major + 10*minor;
	// 91300 = cuDNN 9.13.0 in cuDNN 9's 10000*major + 100*minor + patch.
	buildSO(t, filepath.Join(cu, "libcudart.so.13"), "int cudaRuntimeGetVersion(int *v) { *v = 13010; return 0; }\n")
	buildSO(t, filepath.Join(dnn, "libcudnn.so.9"), "#include <stddef.h>\nsize_t cudnnGetVersion(void) { return 91300; }\n")
	// A plugin reporting PJRT C API 0.99: PJRT_Api's leading fields.
	buildSO(t, filepath.Join(root, "plugin/pjrt_c_api_cuda_plugin.so"), `#include <stddef.h>
typedef struct { size_t s; void *e; int major; int minor; } version_t;
typedef struct { size_t s; void *e; version_t v; } api_t;
static api_t api = {sizeof(api_t), 0, {sizeof(version_t), 0, 0, 99}};
const api_t *GetPjrtApi(void) { return &api; }
`)
	buildSO(t, filepath.Join(root, "plugin/libother.so"), "int other(void) { return 1; }\n")

	dirs := []string{cu, dnn}
	for _, p := range PreloadCUDALibraries(dirs) {
		if p.Err != nil {
			t.Errorf("%s: %v", p.Path, p.Err)
		}
	}
	v := CUDALibVersions(dirs)
	if v.Runtime != "13.1" || v.CuDNN != "9.13.0" {
		t.Errorf("versions %+v, want runtime 13.1 and cuDNN 9.13.0", v)
	}
	if ma, mi, err := PluginAPIVersion(filepath.Join(root, "plugin/pjrt_c_api_cuda_plugin.so")); err != nil || ma != 0 || mi != 99 {
		t.Errorf("plugin API version %d.%d (%v), want 0.99", ma, mi, err)
	}
	_, _, err := PluginAPIVersion(filepath.Join(root, "plugin/libother.so"))
	if err == nil || ClassifyXLAError(err) != FailureNotPlugin {
		t.Errorf("a library without GetPjrtApi: err %v, want a not-a-plugin error", err)
	}
}

func TestClassifyXLAError(t *testing.T) {
	cases := []struct {
		msg  string
		want Failure
		why  string
	}{
		{`failed to stat "/x/xla_cuda_plugin.so": no such file or directory`, FailureNoPlugin, "go-xla stats the path first"},
		{`plugin name "cuda" not found in paths [/usr/local/lib/go-xla]`, FailureNoPlugin, "go-xla's search by name"},
		{`failed to dynamically load PJRT plugin from "/x/p.so": "/x/p.so: invalid ELF header"`, FailureNotPlugin, "a text file named .so"},
		{`"/x/p.so: file too short"`, FailureNotPlugin, "an empty or truncated file"},
		{`tried to load "/x/p.so", but failed to find symbol "GetPjrtApi"`, FailureNotPlugin, "a shared library but no plugin"},
		{`initializing PJRT getPlugin: Unexpected PJRT_Plugin_Initialize_Args size: expected 32, got 24. Check installed software versions. The framework PJRT API version is 0.104.`, FailurePJRTVersion, "the plugin's struct size check"},
		{`"libcudart.so.13: cannot open shared object file: No such file or directory"`, FailureCUDALibraries, "a missing runtime, despite 'No such file'"},
		{`libcublasLt.so.13: version 'libcublasLt.so.13' not found`, FailureCUDALibraries, "names a CUDA library"},
		{`/x/libcusolver.so.12: undefined symbol: cusparseSpSV_bufferSize`, FailureCUDALibraries, "mismatched CUDA libraries"},
		{`libcuda.so.1: cannot open shared object file: No such file or directory`, FailureDriver, "no driver: libcuda is the driver, not a wheel"},
		{`INTERNAL: CUDA error: Failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected`, FailureDriver, "no GPU visible"},
		{`CUDA driver version is insufficient for CUDA runtime version`, FailureDriver, "driver older than the runtime"},
		{`Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.8.0.  CuDNN library needs to have matching major version and equal or higher minor version.`, FailureCuDNN, "XLA's cuDNN version check"},
		{`FAILED_PRECONDITION: DNN library initialization failed.`, FailureCuDNN, "how the version check surfaces in the status"},
		{`libcudnn.so.9: cannot open shared object file`, FailureCuDNN, "missing cuDNN counts as cuDNN, not generic libraries"},
		{`INTERNAL: Can't find libdevice directory ${CUDA_DIR}/nvvm/libdevice`, FailureToolkit, "data dir not set"},
		{`INTERNAL: Couldn't get ptxas version string`, FailureToolkit, "ptxas not on PATH"},
		{`RESOURCE_EXHAUSTED: Out of memory while trying to allocate 1073741824 bytes.`, FailureOutOfMemory, "allocator failure"},
		{`something else entirely`, FailureUnknown, "no pattern"},
	}
	for _, c := range cases {
		if got := ClassifyXLAError(errors.New(c.msg)); got != c.want {
			t.Errorf("%q: %s, want %s (%s)", c.msg, got, c.want, c.why)
		}
	}
	if ClassifyXLAError(nil) != FailureUnknown {
		t.Error("nil error should be unknown")
	}
	// Every mode has a name and advice that says what to do.
	for f := FailureUnknown; f <= FailureOutOfMemory; f++ {
		if strings.HasPrefix(f.String(), "Failure(") || f.Advice(nil) == "" {
			t.Errorf("failure %d lacks a name or advice", int(f))
		}
	}
}

func TestStartErrorIsOneLineAndUnwraps(t *testing.T) {
	cause := errors.New("libcudart.so.13: cannot open shared object file\nmore detail")
	s := CUDASetup{Plugin: "/p/xla_cuda_plugin.so", LibDirs: []string{"/sp/nvidia/cu13/lib"}}
	err := classify(cause, &s)
	if err.Failure != FailureCUDALibraries || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "/sp/nvidia/cu13/lib") || !errors.Is(err, cause) {
		t.Errorf("StartError %q (failure %s)", err, err.Failure)
	}
}

func TestNewCUDAFailures(t *testing.T) {
	// Apply changes the process environment: restore it afterwards.
	for _, k := range []string{"XLA_FLAGS", "PATH", "GOPJRT_CUDA_CHECKS"} {
		t.Setenv(k, os.Getenv(k))
	}
	os.Unsetenv("GOPJRT_CUDA_CHECKS") // Apply sets it only when unset
	root := t.TempDir()
	touch(t, root, jaxCUDA13...)
	plugin := filepath.Join(root, "lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	cases := []struct {
		plugin, options string
		want            Failure
		wantConfig      string // suffix of the configuration passed to XLA
	}{
		{filepath.Join(root, "missing.so"), "", FailureNoPlugin, "missing.so,preallocate=false"},
		// The fake plugin file is 4 bytes of text.
		{plugin, "tf32=false", FailureNotPlugin, "xla_cuda_plugin.so,tf32=false,preallocate=false"},
		{plugin, "preallocate=true", FailureNotPlugin, "xla_cuda_plugin.so,preallocate=true"},
	}
	for _, c := range cases {
		b, st, err := NewCUDA(c.plugin, c.options)
		if err == nil {
			b.Finalize()
			t.Fatalf("%s: started XLA on a fake plugin", c.plugin)
		}
		var se *StartError
		if !errors.As(err, &se) || se.Failure != c.want {
			t.Errorf("%s: error %v, want a %s StartError", c.plugin, err, c.want)
		}
		if !strings.HasSuffix(st.Config, c.wantConfig) {
			t.Errorf("%s: config %q, want suffix %q", c.plugin, st.Config, c.wantConfig)
		}
	}
	// Apply set the data dir for XLA and put ptxas on PATH.
	if !strings.Contains(os.Getenv("XLA_FLAGS"), "--xla_gpu_cuda_data_dir="+filepath.Join(root, "lib/python3.12/site-packages/nvidia/cu13")) ||
		!strings.Contains(os.Getenv("PATH"), "nvidia/cu13/bin") || os.Getenv("GOPJRT_CUDA_CHECKS") == "" {
		t.Errorf("environment not prepared: XLA_FLAGS=%q PATH=%q", os.Getenv("XLA_FLAGS"), os.Getenv("PATH"))
	}
}

func TestWithOption(t *testing.T) {
	cases := []struct{ opts, want string }{
		{"", "preallocate=false"},
		{"tf32=false", "tf32=false,preallocate=false"},
		{"preallocate=true", "preallocate=true"},
		{"nopreallocate", "nopreallocate"}, // go-xla's boolean "no" form counts as set
		{"preallocate", "preallocate"},
	}
	for _, c := range cases {
		if got := withOption(c.opts, "preallocate", "false"); got != c.want {
			t.Errorf("withOption(%q) = %q, want %q", c.opts, got, c.want)
		}
	}
}

func TestVersionFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{cudaVersionString(13000), "13.0"}, // CUDA 13.0 as cudaRuntimeGetVersion reports it
		{cudaVersionString(12080), "12.8"},
		{cudnnVersionString(91300), "9.13.0"}, // cuDNN 9 numbering: 10000*major + 100*minor + patch
		{cudnnVersionString(8907), "8.9.7"},   // cuDNN 8 numbering: 1000*major + 100*minor + patch
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	cmp := []struct {
		a, b string
		want int
	}{
		{"9.8", "9.13.0.50", -1}, // numeric, not lexical: 8 < 13
		{"9.13", "9.13.0", 0},    // missing parts are 0
		{"10.0", "9.99", 1},
	}
	for _, c := range cmp {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestGoXLAPJRTVersionMatchesHeader keeps GoXLAPJRTVersion in step with the
// go-xla module in go.mod.
func TestGoXLAPJRTVersionMatchesHeader(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gomlx/go-xla").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	h, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pjrt", "pjrt_c_api.h"))
	if err != nil {
		t.Skipf("go-xla's header: %v", err)
	}
	major := regexp.MustCompile(`#define PJRT_API_MAJOR (\d+)`).FindSubmatch(h)
	minor := regexp.MustCompile(`#define PJRT_API_MINOR (\d+)`).FindSubmatch(h)
	if major == nil || minor == nil {
		t.Fatal("PJRT_API_MAJOR/MINOR not found in go-xla's pjrt_c_api.h")
	}
	if got := string(major[1]) + "." + string(minor[1]); got != GoXLAPJRTVersion {
		t.Errorf("go-xla's header says PJRT C API %s; update GoXLAPJRTVersion (%s)", got, GoXLAPJRTVersion)
	}
}

// TestExplicitCUDAErrorIsClassified: GOMLX_BACKEND naming a CUDA plugin goes
// through NewCUDA, and its error keeps the failure mode for callers.
func TestExplicitCUDAErrorIsClassified(t *testing.T) {
	for _, k := range []string{"XLA_FLAGS", "PATH", "GOPJRT_CUDA_CHECKS"} {
		t.Setenv(k, os.Getenv(k))
	}
	root := t.TempDir()
	touch(t, root, jaxCUDA13...)
	plugin := filepath.Join(root, "lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	_, _, err := choose("xla:"+plugin+",tf32=false", fakeEnv(nil))
	var se *StartError
	if !errors.As(err, &se) || se.Failure != FailureNotPlugin || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "XLA failed to start with plugin "+plugin) {
		t.Errorf("error %v; want a one-line not-a-plugin StartError naming the plugin", err)
	}
}
