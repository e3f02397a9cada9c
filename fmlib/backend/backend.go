package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
)

// EnvVar is the environment variable that overrides the automatic choice.
const EnvVar = "GOMLX_BACKEND"

func init() {
	// Never let go-xla try to download plugins: these machines are offline and a
	// download attempt would hang or fail late.
	xla.EnableAutoInstall(false)
}

// GoConfig is the configuration the pure-Go backend starts with unless
// GOMLX_BACKEND=go:<config> gives another. It is empty: the backend's
// default, which runs a graph's independent operations concurrently when a
// single graph executes and one after another otherwise.
//
// It used to be "ops_sequential". GoMLX compute v0.1.2 ran independent
// operations on its worker pool, and a matrix product on a pool worker fans
// out on the same pool; when every worker was such a product waiting for a
// free worker, the program hung (MNIST MLP training here, at random after a
// few hundred steps). compute v0.1.14 runs operations on at most
// min(8, pool size) executors, the calling goroutine being one of them, so
// at least one pool slot is never held by an executor and a product's
// fan-out always progresses. Checked on 2 cores with the workload that hung
// before, in this default mode: gofm train -preset mnist-mlp for 2,000 steps
// (12.5 steps/s, no stall) and -preset mnist-unet for 400 steps with the
// U-Net's old product-serializing barriers removed (2.8 steps/s, no stall).
// Sequential execution was no faster there (U-Net step medians within the
// machine's +-15% noise either way), so the default is used.
const GoConfig = ""

// NewGo starts the pure-Go backend with GoConfig, whatever GOMLX_BACKEND
// says and whether or not a GPU is present: for examples and programs whose
// output must not depend on the machine. Prefer New elsewhere.
func NewGo() (compute.Backend, error) {
	return gobackend.New(GoConfig)
}

// Selection says which backend New chose and why.
type Selection struct {
	Name   string // "go" or "xla"
	Config string // configuration passed to the backend (plugin path and options for XLA)
	Reason string // why this backend was chosen, in one line
}

// String is the one-line description notebooks print.
func (s Selection) String() string {
	if s.Name == "" {
		return "backend: none selected yet"
	}
	desc := s.Name
	if s.Name == "go" {
		desc = "go (pure-Go backend)"
	} else if s.Config != "" {
		desc = "xla (" + s.Config + ")"
	}
	return "backend: " + desc + " -- " + s.Reason
}

var (
	mu      sync.Mutex
	last    Selection
	goSetup sync.Once
)

// Last returns the selection made by the most recent successful New.
func Last() Selection {
	mu.Lock()
	defer mu.Unlock()
	return last
}

// New returns the compute backend chosen as described in the package doc.
func New() (compute.Backend, error) {
	b, sel, err := choose(os.Getenv(EnvVar), os.LookupEnv)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	last = sel
	mu.Unlock()
	return b, nil
}

// Must is New for tests, examples and notebooks: it panics with New's error.
func Must() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

type lookupFn func(string) (string, bool)

func choose(env string, lookup lookupFn) (compute.Backend, Selection, error) {
	env = strings.TrimSpace(env)
	if env != "" {
		return explicit(env, lookup)
	}
	plugin, _ := FindPlugin("cuda", lookup)
	if plugin != "" && gpuPresent() {
		b, st, err := NewCUDA(plugin, "")
		if err == nil {
			return b, Selection{Name: "xla", Config: st.Config, Reason: "CUDA PJRT plugin found (" + EnvVar + " unset)"}, nil
		}
		b2, err2 := NewGo()
		if err2 != nil {
			return nil, Selection{}, fmt.Errorf("backend: XLA CUDA failed (%v) and the pure-Go backend failed too: %w", err, err2)
		}
		return b2, Selection{Name: "go", Reason: fmt.Sprintf("CUDA PJRT plugin %s found but XLA failed to start: %v", plugin, oneLine(err))}, nil
	}
	b, err := NewGo()
	if err != nil {
		return nil, Selection{}, fmt.Errorf("backend: pure-Go backend failed to start: %w", err)
	}
	reason := "no CUDA PJRT plugin found (" + EnvVar + " unset)"
	if plugin != "" {
		reason = "CUDA PJRT plugin found but no GPU device (/dev/nvidia*)"
	}
	return b, Selection{Name: "go", Reason: reason}, nil
}

func explicit(env string, lookup lookupFn) (compute.Backend, Selection, error) {
	name, config, _ := strings.Cut(env, ":")
	switch name {
	case "go", "simplego":
		if config == "" {
			config = GoConfig
		}
		b, err := gobackend.New(config)
		if err != nil {
			return nil, Selection{}, fmt.Errorf("backend: %s=%q: pure-Go backend failed: %w", EnvVar, env, err)
		}
		return b, Selection{Name: "go", Config: config, Reason: EnvVar + "=" + env}, nil
	case "xla", "stablehlo", "hlo":
		plugin, options, _ := strings.Cut(config, ",")
		if plugin == "" {
			plugin = "cuda"
		}
		path := plugin
		if filepath.IsAbs(plugin) {
			if st, err := os.Stat(plugin); err != nil || st.IsDir() {
				return nil, Selection{}, fmt.Errorf("backend: %s=%q: plugin file %s does not exist; give the absolute path of a PJRT plugin .so, or unset %s to use the pure-Go backend", EnvVar, env, plugin, EnvVar)
			}
			if real, err := filepath.EvalSymlinks(plugin); err == nil {
				path = real
			}
		} else {
			var searched []string
			path, searched = FindPlugin(plugin, lookup)
			if path == "" {
				return nil, Selection{}, fmt.Errorf("backend: %s=%q: no %s PJRT plugin found (looked for %s in %s); install one, set %s=xla:/absolute/path/to/plugin.so, or unset %s to use the pure-Go backend",
					EnvVar, env, strings.ToUpper(plugin), strings.Join(pluginFileNames(plugin), " or "), strings.Join(searched, ", "), EnvVar, EnvVar)
			}
		}
		cfg := path
		if options != "" {
			cfg += "," + options
		}
		var b compute.Backend
		var err error
		if isCUDAPlugin(path) {
			// CUDA: library folders, data dir and no preallocation (cuda.go).
			var st CUDAStart
			b, st, err = NewCUDA(path, options)
			cfg = st.Config
		} else {
			b, err = xla.New(cfg)
		}
		if se := (*StartError)(nil); errors.As(err, &se) {
			return nil, Selection{}, fmt.Errorf("backend: %s=%q: XLA failed to start with plugin %s: %w", EnvVar, env, path, se)
		} else if err != nil {
			return nil, Selection{}, fmt.Errorf("backend: %s=%q: XLA failed to start with plugin %s: %v", EnvVar, env, path, oneLine(err))
		}
		return b, Selection{Name: "xla", Config: cfg, Reason: EnvVar + "=" + env}, nil
	default:
		return nil, Selection{}, fmt.Errorf("backend: %s=%q: unknown backend %q; use \"go\" (pure Go) or \"xla:cuda\" / \"xla:/path/to/plugin.so\", or unset %s", EnvVar, env, name, EnvVar)
	}
}

// pluginFileNames are the file names a PJRT plugin called name may have:
// go-xla's convention and, for CUDA, the jax wheel's.
func pluginFileNames(name string) []string {
	names := []string{"pjrt_c_api_" + name + "_plugin.so"}
	if name == "cuda" {
		names = append(names, "xla_cuda_plugin.so")
	}
	return names
}

// FindPlugin looks for the PJRT plugin called name ("cuda", "cpu", ...) in the
// folders listed in the package doc and returns the real path of the first one
// found ("" if none) and the folders it searched, in order.
func FindPlugin(name string, lookup lookupFn) (path string, searched []string) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var dirs []string
	addList := func(v string) {
		for _, d := range filepath.SplitList(v) {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	if v, ok := lookup("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		addList(v)
	}
	dirs = append(dirs, "/usr/local/lib/go-xla")
	if home, ok := lookup("HOME"); ok && home != "" {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	if v, ok := lookup("LD_LIBRARY_PATH"); ok {
		addList(v)
	}
	if name == "cuda" {
		// The jax CUDA wheels install the plugin as jax_plugins/xla_cuda<N>/xla_cuda_plugin.so.
		var roots []string
		if v, ok := lookup("VIRTUAL_ENV"); ok && v != "" {
			roots = append(roots, v+"/lib/python3*/site-packages")
		}
		if home, ok := lookup("HOME"); ok && home != "" {
			roots = append(roots, home+"/.local/lib/python3*/site-packages")
		}
		roots = append(roots, "/opt/*/.venv/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
			"/usr/local/lib/python3*/site-packages", "/usr/lib/python3/dist-packages")
		for _, r := range roots {
			dirs = append(dirs, r+"/jax_plugins/xla_cuda*")
		}
	}
	files := pluginFileNames(name)
	for _, d := range dirs {
		searched = append(searched, d)
		for _, f := range files {
			matches, _ := filepath.Glob(filepath.Join(d, f))
			for _, m := range matches {
				st, err := os.Stat(m) // follows links: a dangling link does not count
				if err != nil || st.IsDir() {
					continue
				}
				if real, err := filepath.EvalSymlinks(m); err == nil {
					m = real
				}
				return m, searched
			}
		}
	}
	return "", searched
}

// gpuPresent reports whether an NVIDIA device node exists.
func gpuPresent() bool {
	m, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(m) > 0
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
