package backend

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
)

// GoXLAPJRTVersion is the PJRT C API version go-xla v0.4.1 was built with
// (PJRT_API_MAJOR.PJRT_API_MINOR of its pjrt_c_api.h; a test checks it
// against the module's header). A plugin built for a version too far from it
// fails with "Unexpected PJRT_... size".
const GoXLAPJRTVersion = "0.104"

// Failure is the kind of problem that keeps XLA on CUDA from working.
type Failure int

// The failure modes ClassifyXLAError tells apart.
const (
	FailureUnknown       Failure = iota // none of the below
	FailureNoPlugin                     // no plugin file
	FailureNotPlugin                    // the file is not a PJRT plugin
	FailurePJRTVersion                  // go-xla and the plugin speak different PJRT C API versions
	FailureCUDALibraries                // a CUDA library could not be loaded
	FailureCuDNN                        // cuDNN missing, or of a version the plugin cannot use
	FailureDriver                       // no usable GPU or NVIDIA driver (missing, too old)
	FailureToolkit                      // ptxas or libdevice not found (the CUDA data dir)
	FailureOutOfMemory                  // GPU memory exhausted
)

var failureNames = [...]string{"unknown XLA failure", "no CUDA PJRT plugin", "not a PJRT plugin",
	"PJRT version mismatch", "CUDA libraries missing", "cuDNN missing or mismatched",
	"no usable GPU or NVIDIA driver", "CUDA toolkit files (ptxas, libdevice) missing", "GPU out of memory"}

// String names the failure mode in a few words.
func (f Failure) String() string {
	if f < 0 || int(f) >= len(failureNames) {
		return fmt.Sprintf("Failure(%d)", int(f))
	}
	return failureNames[f]
}

// failurePatterns are matched, lower-cased and in this order, against an
// error's text: the first hit decides. The order matters where messages
// overlap: a missing libcudnn or libcuda.so.1 is also "cannot open shared
// object file", and a missing library's dlopen error also says "No such file
// or directory".
var failurePatterns = []struct {
	f    Failure
	subs []string
}{
	{FailurePJRTVersion, []string{"unexpected pjrt_", "check installed software versions", "pjrt api version", "pjrt c api version"}},
	{FailureCuDNN, []string{"cudnn", "dnn library"}},
	{FailureDriver, []string{"libcuda.so", "cuda_error_no_device", "no cuda-capable device", "driver version is insufficient",
		"cuda_error_system_driver_mismatch", "cuda_error_compat_not_supported", "cuda_error_not_initialized", "cuinit", "no visible gpu"}},
	{FailureToolkit, []string{"libdevice", "ptxas", "xla_gpu_cuda_data_dir", "nvlink"}},
	{FailureOutOfMemory, []string{"resource_exhausted", "out of memory"}},
	{FailureNoPlugin, []string{"failed to stat", "not found in paths", "no cuda pjrt plugin found", "plugin file"}},
	{FailureCUDALibraries, []string{"cannot open shared object file", "undefined symbol", "version `", "libcudart", "libcublas",
		"libcufft", "libcusolver", "libcusparse", "libnvrtc", "libnvjitlink", "libnccl", "libcupti"}},
	{FailureNotPlugin, []string{"invalid elf header", "file too short", "wrong elf class", "not a pjrt plugin", "getpjrtapi",
		"only et_dyn and et_exec"}},
}

// ClassifyXLAError tells which failure mode an error from starting or running
// XLA on CUDA (go-xla's, the plugin's, the dynamic loader's) belongs to.
func ClassifyXLAError(err error) Failure {
	if err == nil {
		return FailureUnknown
	}
	msg := strings.ToLower(err.Error())
	for _, p := range failurePatterns {
		for _, s := range p.subs {
			if strings.Contains(msg, s) {
				return p.f
			}
		}
	}
	return FailureUnknown
}

// Advice says what to do about failure f; setup (may be nil) adds what was
// found around the plugin.
func (f Failure) Advice(setup *CUDASetup) string {
	var s CUDASetup
	if setup != nil {
		s = *setup
	}
	switch f {
	case FailureNoPlugin:
		return `install jax's CUDA plugin (pip install "jax[cuda13]" puts xla_cuda_plugin.so under site-packages/jax_plugins/), or set ` +
			EnvVar + `=xla:/absolute/path/to/xla_cuda_plugin.so; without a GPU use ` + EnvVar + `=go`
	case FailureNotPlugin:
		return "give the plugin's shared library itself (xla_cuda_plugin.so or pjrt_c_api_cuda_plugin.so), not a Python file, a folder or a partial download"
	case FailurePJRTVersion:
		v := "an unknown version"
		if s.Plugin != "" {
			if ma, mi, err := PluginAPIVersion(s.Plugin); err == nil {
				v = fmt.Sprintf("%d.%d", ma, mi)
			}
		}
		return fmt.Sprintf("go-xla v0.4.1 speaks PJRT C API %s and this plugin %s: use a jax-cuda-pjrt wheel released close to go-xla v0.4.1, or a go-xla release built for this plugin's API",
			GoXLAPJRTVersion, v)
	case FailureCUDALibraries:
		if len(s.LibDirs) == 0 {
			return `the plugin could not load a CUDA library and no NVIDIA library folders were found next to it: install its CUDA wheels (pip install "jax[cuda13]") or put a CUDA installation's lib64 on LD_LIBRARY_PATH before starting the program`
		}
		return "the plugin could not load a CUDA library from " + strings.Join(s.LibDirs, ", ") +
			`: start the program with them on LD_LIBRARY_PATH (eval "$(go run ./cmd/gpucheck -print-env)"), and check that the wheels match the plugin's CUDA version`
	case FailureCuDNN:
		have := s.CuDNN
		if have == "" {
			have = "unknown"
		}
		want := ""
		if s.CuDNNMin != "" {
			want = "; the plugin's packages ask for >= " + s.CuDNNMin
		}
		return "install the nvidia-cudnn wheel the plugin's jax version asks for (installed: " + have + want +
			"), and make sure no other libcudnn is found first (ldconfig -p | grep cudnn; LD_LIBRARY_PATH)"
	case FailureDriver:
		return "check nvidia-smi: the GPU must be visible (in a container: --gpus all) and the driver new enough for the plugin (CUDA 13 needs driver >= 580, CUDA 12 >= 525)"
	case FailureToolkit:
		dir := "<a folder holding nvvm/libdevice and bin/ptxas>"
		if s.DataDir != "" {
			dir = s.DataDir
		}
		return "set XLA_FLAGS=--xla_gpu_cuda_data_dir=" + dir + " and put its bin/ on PATH (ptxas)"
	case FailureOutOfMemory:
		return "see nvidia-smi for other processes holding GPU memory; preallocation is off here (preallocate=false), so lower the batch size"
	}
	return "run `go run ./cmd/gpucheck` for a diagnosis; TF_CPP_MIN_LOG_LEVEL=0 shows XLA's own log"
}

// StartError is the error of a failed start (or first run) of XLA on CUDA:
// the failure mode, the plugin, the original error and what to do.
type StartError struct {
	Failure Failure
	Plugin  string
	Err     error
	Advice  string
}

// Error is one line: mode, first line of the cause, advice (the plugin is
// left to the caller, who usually names it already).
func (e *StartError) Error() string {
	cause := ""
	if e.Err != nil {
		cause = ": " + oneLine(e.Err)
	}
	return "XLA CUDA: " + e.Failure.String() + cause + "; " + e.Advice
}

// Unwrap returns the original error.
func (e *StartError) Unwrap() error { return e.Err }

// classify wraps err (from XLA with the plugin of setup) in a StartError.
func classify(err error, setup *CUDASetup) *StartError {
	f := ClassifyXLAError(err)
	plugin := ""
	if setup != nil {
		plugin = setup.Plugin
	}
	return &StartError{Failure: f, Plugin: plugin, Err: err, Advice: f.Advice(setup)}
}

// CUDAStart is what NewCUDA did.
type CUDAStart struct {
	Setup     CUDASetup   // what was found around the plugin
	Preloaded []Preloaded // the CUDA libraries loaded ahead of the plugin
	Config    string      // the configuration given to xla.New: plugin path and options
}

// NewCUDA starts XLA on the CUDA PJRT plugin at plugin ("" searches with
// FindPlugin) with the comma-separated XLA options (e.g. "tf32=false";
// "preallocate=false" is added unless options set it, so XLA takes GPU memory
// as it needs it rather than 75% up front). It applies SetupCUDA's findings
// first (CUDASetup.Apply). Errors are *StartError, whose Failure says which
// failure mode it is.
func NewCUDA(plugin, options string) (compute.Backend, CUDAStart, error) {
	var st CUDAStart
	if plugin == "" {
		var searched []string
		plugin, searched = FindPlugin("cuda", nil)
		if plugin == "" {
			err := fmt.Errorf("no CUDA PJRT plugin found (looked for %s in %s)", strings.Join(pluginFileNames("cuda"), " or "), strings.Join(searched, ", "))
			return nil, st, &StartError{Failure: FailureNoPlugin, Err: err, Advice: FailureNoPlugin.Advice(nil)}
		}
	}
	st.Setup = SetupCUDA(plugin)
	st.Preloaded = st.Setup.Apply()
	st.Config = st.Setup.Plugin + "," + withOption(options, "preallocate", "false")
	st.Config = strings.TrimSuffix(st.Config, ",")
	b, err := xla.New(st.Config)
	if err != nil {
		return nil, st, classify(err, &st.Setup)
	}
	return b, st, nil
}
