package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// CUDA: what the XLA CUDA PJRT plugin needs around it.
//
// The plugin (jax's xla_cuda_plugin.so, or go-xla's pjrt_c_api_cuda_plugin.so)
// does not carry the CUDA libraries: it finds libcudart, cuBLAS, cuFFT, cuDNN,
// NCCL ... at run time by their sonames ("libcudart.so.13"), and it compiles
// GPU kernels with ptxas and libdevice from a CUDA "data dir". In a Python
// environment those come from NVIDIA's wheels, under site-packages/nvidia/:
//
//	CUDA 13: nvidia/cu13/{lib,bin,nvvm}, nvidia/cudnn/lib, nvidia/nccl/lib, nvidia/nvshmem/lib
//	CUDA 12: nvidia/cuda_runtime/lib, nvidia/cublas/lib, nvidia/cuda_nvcc/{bin,nvvm}, nvidia/cudnn/lib, ...
//
// LD_LIBRARY_PATH cannot help a running process: the dynamic loader reads it
// once, at process start. Instead, the way jax itself does it, the libraries
// are loaded by absolute path before the plugin (PreloadCUDALibraries): a later
// request for the same soname, from the plugin or from cuDNN, gets the copy
// already loaded. The environment variables XLA reads when it creates its
// client (XLA_FLAGS for the data dir) are set in the process (Go's os.Setenv
// reaches the C environment in a cgo program), and PATH gains the data dir's
// bin/ for ptxas. CUDASetup.ExportLines gives the equivalent shell lines for
// the cases this cannot cover (a plugin whose own dependencies are missing,
// or a program started outside Go).

// CUDASetup is what SetupCUDA found around a CUDA PJRT plugin.
type CUDASetup struct {
	Plugin       string   // the plugin file (real path)
	SitePackages string   // the Python site-packages holding it ("" for other layouts)
	Python       string   // that environment's interpreter, e.g. <venv>/bin/python3 ("" if none)
	NvidiaDir    string   // the folder of NVIDIA's wheels (holding cu13/, cudnn/, ...; "" if none was found)
	LibDirs      []string // library folders under NvidiaDir, the CUDA toolkit's first
	DataDir      string   // CUDA data dir for XLA: holds nvvm/libdevice (and bin/ptxas); "" if none was found
	CuDNN        string   // installed cuDNN wheel version, e.g. "9.13.0.50" ("" if unknown)
	CuDNNMin     string   // lowest cuDNN version the plugin's Python packages ask for ("" if unknown)
	Problems     []string // what looks wrong, one line each, saying what to do
}

// SetupCUDA inspects the folders around the CUDA PJRT plugin file plugin
// (jax wheel or go-xla layout) and reports what XLA will need. It only reads
// the file system; Apply acts on it.
func SetupCUDA(plugin string) CUDASetup {
	s := CUDASetup{Plugin: plugin}
	if real, err := filepath.EvalSymlinks(plugin); err == nil {
		s.Plugin = real
	}
	// jax: <site-packages>/jax_plugins/xla_cuda13/xla_cuda_plugin.so.
	// go-xla: <dir>/pjrt_c_api_cuda_plugin.so with NVIDIA's folders in <dir>/nvidia or <dir>/../nvidia.
	dir := filepath.Dir(s.Plugin)
	if filepath.Base(filepath.Dir(dir)) == "jax_plugins" {
		s.SitePackages = filepath.Dir(filepath.Dir(dir))
		s.Python = venvPython(s.SitePackages)
	}
	for d, i := dir, 0; i < 3; d, i = filepath.Dir(d), i+1 {
		if isDir(filepath.Join(d, "nvidia")) {
			s.NvidiaDir = filepath.Join(d, "nvidia")
			break
		}
	}
	if s.NvidiaDir == "" {
		s.Problems = append(s.Problems, fmt.Sprintf("no nvidia/ folder of NVIDIA's CUDA wheels next to the plugin (looked in the 3 folders above %s): the CUDA libraries must then come from the system (ldconfig) or LD_LIBRARY_PATH; install the plugin with its CUDA wheels (pip install \"jax[cuda13]\") to get them", s.Plugin))
		return s
	}

	subs, _ := os.ReadDir(s.NvidiaDir)
	var toolkit, others []string
	for _, e := range subs {
		lib := filepath.Join(s.NvidiaDir, e.Name(), "lib")
		if !isDir(lib) {
			continue
		}
		// The toolkit folder (cu13, or cuda_runtime for CUDA 12) first: its
		// libraries are the ones the others are built against.
		if strings.HasPrefix(e.Name(), "cu1") || e.Name() == "cuda_runtime" {
			toolkit = append(toolkit, lib)
		} else {
			others = append(others, lib)
		}
	}
	slices.Sort(toolkit)
	slices.Reverse(toolkit) // the newest CUDA first (cu13 before cu12)
	slices.Sort(others)
	s.LibDirs = append(toolkit, others...)

	// The data dir is the folder with nvvm/libdevice: cu13 (CUDA 13), cuda_nvcc (CUDA 12).
	if m, _ := filepath.Glob(filepath.Join(s.NvidiaDir, "*", "nvvm", "libdevice")); len(m) > 0 {
		slices.Sort(m)
		slices.Reverse(m)
		s.DataDir = filepath.Dir(filepath.Dir(m[0]))
	} else {
		s.Problems = append(s.Problems, fmt.Sprintf("no nvvm/libdevice under %s: XLA cannot compile GPU kernels without it; install NVIDIA's nvcc wheel for this CUDA version (nvidia-cuda-nvcc), or set XLA_FLAGS=--xla_gpu_cuda_data_dir=<a CUDA toolkit folder holding nvvm/libdevice>", s.NvidiaDir))
	}
	if len(s.LibDirs) == 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("no nvidia/*/lib folders under %s: the CUDA runtime, cuBLAS and cuDNN libraries are missing; install the plugin's CUDA wheels (pip install \"jax[cuda13]\")", s.NvidiaDir))
	} else if !s.hasLib("libcudnn.so.") {
		s.Problems = append(s.Problems, fmt.Sprintf("no libcudnn.so.* in %s: XLA needs cuDNN for convolutions; install the nvidia-cudnn wheel the plugin asks for", strings.Join(s.LibDirs, ", ")))
	}
	if s.SitePackages != "" {
		s.CuDNN, s.CuDNNMin = cudnnWheelVersions(s.SitePackages)
		if s.CuDNN != "" && s.CuDNNMin != "" && compareVersions(s.CuDNN, s.CuDNNMin) < 0 {
			s.Problems = append(s.Problems, fmt.Sprintf("cuDNN %s is installed but the plugin's packages ask for >= %s: install a matching nvidia-cudnn wheel (pip install \"nvidia-cudnn-cu13>=%s\") or the jax version that was built with cuDNN %s", s.CuDNN, s.CuDNNMin, s.CuDNNMin, s.CuDNN))
		}
	}
	return s
}

// hasLib reports whether a file whose name starts with prefix is in one of the
// library folders.
func (s CUDASetup) hasLib(prefix string) bool {
	for _, d := range s.LibDirs {
		if m, _ := filepath.Glob(filepath.Join(d, prefix+"*")); len(m) > 0 {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// venvPython returns the interpreter of the environment whose site-packages
// is sp (<root>/lib/pythonX.Y/site-packages -> <root>/bin/python3), or "".
func venvPython(sp string) string {
	if !strings.HasPrefix(filepath.Base(filepath.Dir(sp)), "python") {
		return ""
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(sp)))
	for _, name := range []string{"python3", "python"} {
		p := filepath.Join(root, "bin", name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

var (
	// nvidia_cudnn_cu13-9.13.0.50.dist-info
	reCuDNNWheel = regexp.MustCompile(`^nvidia_cudnn_cu\d+-([0-9][0-9.]*)\.dist-info$`)
	// Requires-Dist: nvidia-cudnn-cu13<10.0,>=9.8 ; extra == "with-cuda"
	reCuDNNReq = regexp.MustCompile(`(?i)^Requires-Dist:\s*nvidia[-_]cudnn[-_]cu\d+\s*\(?([^;)]*)`)
	reAtLeast  = regexp.MustCompile(`>=\s*([0-9][0-9.]*)`)
)

// cudnnWheelVersions reads, from the wheel metadata in site-packages sp, the
// installed cuDNN version and the highest lower bound any jax package puts on
// it ("" when not found).
func cudnnWheelVersions(sp string) (installed, atLeast string) {
	infos, _ := filepath.Glob(filepath.Join(sp, "nvidia_cudnn_cu*.dist-info"))
	slices.Sort(infos)
	for _, d := range slices.Backward(infos) {
		if m := reCuDNNWheel.FindStringSubmatch(filepath.Base(d)); m != nil {
			installed = m[1]
			break
		}
	}
	metas, _ := filepath.Glob(filepath.Join(sp, "jax*.dist-info", "METADATA"))
	for _, f := range metas {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			req := reCuDNNReq.FindStringSubmatch(strings.TrimSpace(line))
			if req == nil {
				continue
			}
			if m := reAtLeast.FindStringSubmatch(req[1]); m != nil && (atLeast == "" || compareVersions(m[1], atLeast) > 0) {
				atLeast = m[1]
			}
		}
	}
	return installed, atLeast
}

// compareVersions compares dotted version numbers ("9.8" < "9.13.0.50"),
// missing parts counting as 0.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// EnvChange is one environment variable SetupCUDA wants, with its new value.
type EnvChange struct{ Name, Value string }

// Env returns the environment variables the plugin needs, merged with the
// current values that lookup (nil: os.LookupEnv) gives: XLA_FLAGS with
// --xla_gpu_cuda_data_dir (unless one is set already), PATH with the data
// dir's bin/ (ptxas) in front, and LD_LIBRARY_PATH with the library folders
// in front (only useful to a process started after it is set: see
// ExportLines). Variables that need no change are left out.
func (s CUDASetup) Env(lookup lookupFn) []EnvChange {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var out []EnvChange
	if s.DataDir != "" {
		flags, _ := lookup("XLA_FLAGS")
		if !strings.Contains(flags, "--xla_gpu_cuda_data_dir") {
			out = append(out, EnvChange{"XLA_FLAGS", strings.TrimSpace(flags + " --xla_gpu_cuda_data_dir=" + s.DataDir)})
		}
		if bin := filepath.Join(s.DataDir, "bin"); isDir(bin) {
			if v, ok := prependList(lookup, "PATH", []string{bin}); ok {
				out = append(out, EnvChange{"PATH", v})
			}
		}
	}
	if v, ok := prependList(lookup, "LD_LIBRARY_PATH", s.LibDirs); ok {
		out = append(out, EnvChange{"LD_LIBRARY_PATH", v})
	}
	return out
}

// prependList puts dirs (those not there yet) in front of the list variable
// name; ok is false when nothing changes.
func prependList(lookup lookupFn, name string, dirs []string) (string, bool) {
	cur, _ := lookup(name)
	have := filepath.SplitList(cur)
	var add []string
	for _, d := range dirs {
		if !slices.Contains(have, d) && !slices.Contains(add, d) {
			add = append(add, d)
		}
	}
	if len(add) == 0 {
		return cur, false
	}
	if cur != "" {
		add = append(add, cur)
	}
	return strings.Join(add, string(filepath.ListSeparator)), true
}

// ExportLines returns shell lines (one "export NAME='value'" per line) that
// set up, for programs started afterwards, what Apply sets up in-process, plus
// GOMLX_BACKEND naming the plugin: `eval "$(go run ./cmd/gpucheck -print-env)"`.
func (s CUDASetup) ExportLines(lookup lookupFn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "export %s=%s\n", EnvVar, shellQuote("xla:"+s.Plugin))
	for _, e := range s.Env(lookup) {
		fmt.Fprintf(&b, "export %s=%s\n", e.Name, shellQuote(e.Value))
	}
	return b.String()
}

func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// Apply prepares this process for the plugin: it sets XLA_FLAGS and PATH as
// Env says (LD_LIBRARY_PATH is left alone: it would only mislead child
// processes such as a PyTorch run, which bring their own copies), silences
// go-xla's warning about a missing ../nvidia folder when the folder was found
// elsewhere (GOPJRT_CUDA_CHECKS=0, unless set), and loads the CUDA libraries
// by absolute path (PreloadCUDALibraries). It returns what the preloading did.
// Apply is idempotent; call it before xla.New.
func (s CUDASetup) Apply() []Preloaded {
	for _, e := range s.Env(nil) {
		if e.Name == "LD_LIBRARY_PATH" {
			continue
		}
		os.Setenv(e.Name, e.Value)
	}
	if s.NvidiaDir != "" {
		if _, ok := os.LookupEnv("GOPJRT_CUDA_CHECKS"); !ok {
			os.Setenv("GOPJRT_CUDA_CHECKS", "0")
		}
	}
	return PreloadCUDALibraries(s.LibDirs)
}

// preloadOrder lists the sonames' stems in the order they are loaded: each
// after the libraries it links to (cuBLAS needs cuBLASLt, cuDNN needs the
// runtime, cuBLAS and NVRTC), so that every dependency is found already loaded.
var preloadOrder = []string{
	"libcudart", "libnvrtc", "libnvJitLink", "libcublasLt", "libcublas", "libcupti",
	"libcusparse", "libcusolver", "libcufft", "libnccl", "libnvshmem_host", "libcudnn",
}

// Preloaded is the outcome of loading one library.
type Preloaded struct {
	Path string
	Err  error // nil when loaded
}

// preloadCandidates returns, for each stem of preloadOrder, the first file in
// dirs named exactly <stem>.so.<N> (the soname the plugin asks for, not the
// fully versioned file name).
func preloadCandidates(dirs []string) []string {
	var out []string
	for _, stem := range preloadOrder {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(stem) + `\.so\.\d+$`)
	found:
		for _, d := range dirs {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if re.MatchString(e.Name()) {
					out = append(out, filepath.Join(d, e.Name()))
					break found
				}
			}
		}
	}
	return out
}

// PreloadCUDALibraries loads the CUDA libraries found in dirs (see
// preloadOrder) by absolute path and keeps them loaded, so that the plugin's
// requests by soname find them. A library that fails to load is reported,
// not fatal: the plugin may not need it, or may find a system copy.
func PreloadCUDALibraries(dirs []string) []Preloaded {
	var out []Preloaded
	for _, p := range preloadCandidates(dirs) {
		out = append(out, Preloaded{Path: p, Err: dlopenKeep(p)})
	}
	return out
}

// isCUDAPlugin tells whether a plugin path names a CUDA plugin (as go-xla
// decides whether CUDA options apply).
func isCUDAPlugin(path string) bool {
	return strings.Contains(strings.ToLower(filepath.Base(path)), "cuda")
}

// withOption returns the comma-separated option list opts with key=value
// added unless opts already sets key (as "key=..." or, for booleans, "key" or
// "nokey").
func withOption(opts, key, value string) string {
	for _, o := range strings.Split(opts, ",") {
		k, _, _ := strings.Cut(strings.TrimSpace(o), "=")
		if k == key || k == "no"+key {
			return opts
		}
	}
	if opts == "" {
		return key + "=" + value
	}
	return opts + "," + key + "=" + value
}

// soStem returns the name of a library file up to ".so" ("libcudnn" for
// ".../libcudnn.so.9").
func soStem(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, ".so"); i >= 0 {
		return base[:i]
	}
	return base
}

// cudaVersionString formats a CUDA version number as the driver and runtime
// APIs report it, 1000*major + 10*minor: 13000 -> "13.0", 12080 -> "12.8".
func cudaVersionString(v int) string {
	return fmt.Sprintf("%d.%d", v/1000, (v%1000)/10)
}

// cudnnVersionString formats cudnnGetVersion's number: 10000*major +
// 100*minor + patch from cuDNN 9 on (90800 -> "9.8.0"), 1000*major +
// 100*minor + patch before (8907 -> "8.9.7").
func cudnnVersionString(v int64) string {
	if v >= 90000 {
		return fmt.Sprintf("%d.%d.%d", v/10000, (v%10000)/100, v%100)
	}
	return fmt.Sprintf("%d.%d.%d", v/1000, (v%1000)/100, v%100)
}
