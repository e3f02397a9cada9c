// Command fmbench measures the speed of the building blocks of flow-matching
// training and sampling on a GoMLX backend ("go" below) against the same
// networks and algorithms in PyTorch on the same machine, side by side in
// one run:
//
//   - one CFM training step (CondOT path, Adam) of each network chosen by
//     -net: "mlp", the 2D MLP (models.MLP, -hidden, SiLU, batch -batch), and
//     "unet", the MNIST U-Net (models.UNet with the default
//     UNetConfig{Height: 28, Width: 28, Channels: 1}, batch -unet-batch):
//     milliseconds per step, steps/s and samples/s;
//   - for the MLP: one function evaluation (forward pass) on -points 2D
//     points, and a Dopri5 sampling solve of them from t = 0 to 1 at
//     atol = rtol = 1e-5 (time, NFE, time per function evaluation; see
//     sample.go). Both take one time t for the whole batch, as ODE solvers
//     pass it, and both sides exploit it the same way: the time embedding
//     is computed once and folded into the first layer's bias.
//
// For each of these the summary at the end prints the go time, the
// PyTorch time and their ratio (the solve: with the NFE of each side),
// then the peak resident memory of the Go process (getrusage's maxrss: the
// whole process, every network and graph of the run; it is also printed
// after each network as a running maximum, and -net unet alone gives the
// U-Net's own, the figure behind issue #13's "<= 1 GB"). Where PyTorch is
// skipped, one line says why.
//
// -device picks where both sides run. "cpu": the pure-Go backend (or the
// one GOMLX_BACKEND names) and PyTorch on the CPU. "cuda": XLA through the
// CUDA PJRT plugin (fmlib/backend: GOMLX_BACKEND=xla:cuda unless set to an
// XLA plugin already) and PyTorch on the GPU. "auto" (the default): the
// backend fmlib/backend.New chooses, PyTorch on the GPU exactly when that
// is XLA CUDA. Both sides use GOMAXPROCS threads (PyTorch: --threads).
//
// The PyTorch side (torch_ref.py, embedded, our own reference
// implementation of the same networks, training step and Dopri5 solver)
// runs in the same invocation where the interpreter (-python) can import
// torch; Go and PyTorch repetitions interleave, and the ratios are printed.
// make bench gives it the venv that scripts/bench-venv.sh sets up (torch
// 2.11.0 from PyPI, the GPU machine's version). Both sides read the loss
// back after every step (the training loop does), so GPU steps are timed
// to completion. Both sides let matrix products use TF32 on the GPU unless
// -tf32=false (go-xla's and XLA's default; PyTorch's is off); convolutions
// may use TF32 on both sides either way (XLA's and cuDNN's defaults). The
// parameter counts of the two sides are compared: a difference means the
// networks are not the same, and is printed.
//
// Every number is the median over -reps repetitions (the solve: -solve-reps)
// after a warm-up. Build with GOEXPERIMENT=simd (make bench does): without
// it the pure-Go backend's matmul is several times slower.
//
// Usage:
//
//	GOEXPERIMENT=simd go run ./cmd/fmbench [-net mlp] [-device auto] [-steps 20] [-reps 7] [-quick]
//	    [-hidden 256,256,256] [-batch 256] [-unet-batch 64] [-points 10000] [-act silu] [-fused]
//	    [-solve] [-solve-reps 5] [-python auto] [-tf32] [-cpuprofile-train f] [-cpuprofile-forward f]
//
// make bench runs
//
//	go run ./cmd/fmbench -net mlp,unet -python "$(bash scripts/bench-venv.sh)"
//
// On a GPU machine, the benchmark (both networks, XLA CUDA against
// PyTorch CUDA, in one run):
//
//	go run ./cmd/fmbench -device cuda -net mlp,unet -hidden 128,128,128
package main

import (
	"bufio"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

//go:embed torch_ref.py
var torchRef []byte

// sigmaMin of the CondOT path used by the benchmark (and torch_ref.py).
const sigmaMin = 0.01

// defaultPython is the last interpreter tried for PyTorch (Debian's
// python3-torch).
const defaultPython = "/usr/bin/python3"

// benchVenvEnv names the venv of make bench's PyTorch (scripts/bench-venv.sh);
// defaultBenchVenv is its default, under $HOME.
const (
	benchVenvEnv     = "GOFM_BENCH_VENV"
	defaultBenchVenv = ".local/share/gofm/bench-venv"
)

// skipPrefix starts a -python value that skips PyTorch and says why: what
// scripts/bench-venv.sh hands over when it cannot install PyTorch.
const skipPrefix = "skip:"

// defaultSolveReps is -solve-reps' default; see its help.
const defaultSolveReps = 5

type options struct {
	nets                          []string // "mlp", "unet", in the order given
	hidden                        []int
	steps, reps, batch, unetBatch int
	points, threads, solveReps    int
	act, device                   string
	fused, quick, tf32, solve     bool
	python                        string
	profTrain, profForward        string
	profSolve                     string
}

const usageHead = `fmbench: gofm against PyTorch, side by side in one run: the MLP's CFM train
step, its forward pass and Dopri5 solve on -points 2D points, the U-Net's train step
(-net), each with the go time, the PyTorch time and their ratio, then the peak
resident memory of the Go process. make bench runs it for both networks with a
PyTorch 2.11.0 venv of its own (scripts/bench-venv.sh).

Usage: go run ./cmd/fmbench [flags]   (build with GOEXPERIMENT=simd, as make does)

`

// parseFlags reads the command line; errors say which flag to fix.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("fmbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	var nets, hidden string
	fs.StringVar(&nets, "net", "mlp", `networks to benchmark, comma-separated: "mlp" (2D MLP), "unet" (MNIST U-Net); `+
		`"-net unet" alone gives the U-Net's own peak memory (the figure is a running maximum over the process)`)
	fs.StringVar(&hidden, "hidden", "256,256,256", "hidden widths of the MLP, comma-separated")
	fs.StringVar(&o.device, "device", "auto", `where both sides run: "cpu", "cuda" (XLA CUDA and PyTorch on the GPU), or "auto" (the backend fmlib/backend chooses)`)
	fs.IntVar(&o.steps, "steps", 20, "training steps per timed repetition")
	fs.IntVar(&o.reps, "reps", 7, "timed repetitions of the train steps and forward pass, each side (the median is reported)")
	fs.BoolVar(&o.quick, "quick", false, "quick mode for CI: -steps 3 -reps 3 -solve-reps 1, 2,000 points, no profiles")
	fs.IntVar(&o.batch, "batch", 256, "training batch size of the MLP")
	fs.IntVar(&o.unetBatch, "unet-batch", 64, "training batch size of the U-Net (64: the mnist-unet preset's)")
	fs.IntVar(&o.points, "points", 10000, "points in the MLP's forward pass and sampling solve")
	fs.StringVar(&o.act, "act", "silu", "hidden activation of the MLP: "+strings.Join(models.Activations(), ", "))
	fs.BoolVar(&o.fused, "fused", false, "compute the MLP's activation inside the backend's fused dense op (forward pass only)")
	fs.StringVar(&o.python, "python", "auto", `Python interpreter for the PyTorch reference; "auto": on the GPU the plugin's Python environment or $VIRTUAL_ENV's, `+
		`then make bench's venv ($`+benchVenvEnv+`, default ~/`+defaultBenchVenv+`), then `+defaultPython+`; "" skips PyTorch; "`+skipPrefix+` <reason>" skips it and prints the reason (what scripts/bench-venv.sh hands over when it cannot install PyTorch)`)
	fs.BoolVar(&o.tf32, "tf32", true, "let matrix products use TF32 on the GPU, on both sides")
	fs.StringVar(&o.profTrain, "cpuprofile-train", "", "write a CPU profile of training steps to this file (one -net only)")
	fs.StringVar(&o.profForward, "cpuprofile-forward", "", "write a CPU profile of MLP forward passes to this file")
	fs.StringVar(&o.profSolve, "cpuprofile-solve", "", "write a CPU profile of one Dopri5 sampling solve (after the timed ones) to this file")
	fs.BoolVar(&o.solve, "solve", true, "also time a Dopri5 sampling solve with the MLP, on both sides")
	fs.IntVar(&o.solveReps, "solve-reps", defaultSolveReps, fmt.Sprintf("timed repetitions of the Dopri5 solve, each side (the median is reported). "+
		"Default %d, fewer than -reps': a 10,000-point solve of the trained MLP is about 225 function evaluations, about 9 s on the pure-Go "+
		"backend and 13 s in PyTorch on 2 cores, and %d of each (a median that up to two disturbed repetitions cannot move) keep make bench, "+
		"both networks and both sides, within about 5 minutes", defaultSolveReps, defaultSolveReps))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see -help)", fs.Arg(0))
	}
	for _, n := range strings.Split(nets, ",") {
		n = strings.TrimSpace(strings.ToLower(n))
		if n != "mlp" && n != "unet" {
			return o, fmt.Errorf(`-net %q: unknown network %q; use "mlp", "unet" or "mlp,unet"`, nets, n)
		}
		if !slices.Contains(o.nets, n) {
			o.nets = append(o.nets, n)
		}
	}
	for _, w := range strings.Split(hidden, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || v < 1 {
			return o, fmt.Errorf("-hidden %q: widths must be positive integers separated by commas, e.g. 128,128,128", hidden)
		}
		o.hidden = append(o.hidden, v)
	}
	if o.device != "auto" && o.device != "cpu" && o.device != "cuda" {
		return o, fmt.Errorf(`-device %q: use "auto", "cpu" or "cuda"`, o.device)
	}
	if o.quick {
		o.steps, o.reps, o.solveReps, o.points = 3, 3, 1, 2000
		o.profTrain, o.profForward, o.profSolve = "", "", ""
	}
	if o.steps < 1 || o.reps < 1 || o.solveReps < 1 || o.batch < 1 || o.unetBatch < 1 || o.points < 1 {
		return o, fmt.Errorf("-steps, -reps, -solve-reps, -batch, -unet-batch and -points must be >= 1")
	}
	if o.profTrain != "" && len(o.nets) > 1 {
		return o, fmt.Errorf("-cpuprofile-train profiles one network: give a single -net")
	}
	o.threads = runtime.GOMAXPROCS(0)
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fmbench:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "fmbench:", err)
		os.Exit(1)
	}
}

// backendFor returns the GOMLX_BACKEND value to set for the device ("" to
// leave the environment as it is), given its current value.
func backendFor(device, current string, tf32 bool) (string, error) {
	cur := strings.TrimSpace(current)
	name, _, _ := strings.Cut(cur, ":")
	switch device {
	case "cpu":
		if cur == "" {
			return "go", nil
		}
		if strings.Contains(strings.ToLower(cur), "cuda") {
			return "", fmt.Errorf("-device cpu but %s=%s names a CUDA plugin; unset %s or use -device cuda", backend.EnvVar, cur, backend.EnvVar)
		}
	case "cuda":
		if cur == "" {
			if tf32 {
				return "xla:cuda", nil
			}
			return "xla:cuda,tf32=false", nil
		}
		if name != "xla" && name != "stablehlo" && name != "hlo" {
			return "", fmt.Errorf("-device cuda but %s=%s chooses another backend; unset %s or set it to xla:cuda or xla:/path/to/xla_cuda_plugin.so", backend.EnvVar, cur, backend.EnvVar)
		}
	}
	return "", nil
}

// cudaPlugin returns the plugin path of a selection that runs XLA on CUDA,
// or "".
func cudaPlugin(sel backend.Selection) string {
	if sel.Name != "xla" {
		return ""
	}
	plugin, _, _ := strings.Cut(sel.Config, ",")
	if !strings.Contains(strings.ToLower(filepath.Base(plugin)), "cuda") {
		return ""
	}
	return plugin
}

// pythonFor resolves -python: "auto" is, for PyTorch on the GPU, the
// interpreter of the plugin's Python environment (where the GPU machine's
// torch lives), then $VIRTUAL_ENV's; on either device then make bench's
// venv (benchVenv, "" for none), and defaultPython otherwise.
func pythonFor(flagValue, torchDevice, pluginPython, virtualEnv, benchVenv string, exists func(string) bool) string {
	if flagValue != "auto" {
		return flagValue
	}
	var candidates []string
	if torchDevice == "cuda" {
		candidates = append(candidates, pluginPython)
		if virtualEnv != "" {
			candidates = append(candidates, filepath.Join(virtualEnv, "bin", "python3"))
		}
	}
	if benchVenv != "" {
		candidates = append(candidates, filepath.Join(benchVenv, "bin", "python3"))
	}
	for _, p := range candidates {
		if p != "" && exists(p) {
			return p
		}
	}
	return defaultPython
}

// benchVenvDir is make bench's venv: $GOFM_BENCH_VENV, else
// ~/.local/share/gofm/bench-venv ("" without a home directory).
func benchVenvDir(env, home string) string {
	if env != "" {
		return env
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, defaultBenchVenv)
}

// pythonSkip returns why the resolved -python value skips PyTorch, or ""
// when it names an interpreter.
func pythonSkip(python string) string {
	if python == "" {
		return `-python ""`
	}
	if rest, ok := strings.CutPrefix(python, skipPrefix); ok {
		if r := strings.TrimSpace(rest); r != "" {
			return r
		}
		return "-python " + strconv.Quote(python)
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func simdBuild() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOEXPERIMENT" {
				return s.Value
			}
		}
	}
	return ""
}

// benchRow is one timed operation, for the closing table.
type benchRow struct {
	name         string  // what was timed, e.g. "mlp train step, batch 256"
	goSec, pySec float64 // median seconds per step, pass or solve (pySec 0: no PyTorch)
	goNFE, pyNFE int     // the solve's function evaluations (0: not a solve)
}

// cells returns the row's go, pytorch and go/pytorch columns ("-" where
// PyTorch did not run).
func (r benchRow) cells() (goCell, pyCell, ratio string) {
	cell := func(sec float64, nfe int) string {
		if nfe > 0 {
			return fmt.Sprintf("%s, NFE %d", formatSeconds(sec), nfe)
		}
		return formatSeconds(sec)
	}
	goCell, pyCell, ratio = cell(r.goSec, r.goNFE), "-", "-"
	if r.pySec > 0 {
		pyCell, ratio = cell(r.pySec, r.pyNFE), fmt.Sprintf("%.2fx", r.goSec/r.pySec)
	}
	return goCell, pyCell, ratio
}

// formatSeconds prints a duration with three significant digits: in ms
// below one second, else in s.
func formatSeconds(sec float64) string {
	ms := 1e3 * sec
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 999.5:
		return fmt.Sprintf("%.0f ms", ms)
	case sec < 9.995:
		return fmt.Sprintf("%.2f s", sec)
	case sec < 99.95:
		return fmt.Sprintf("%.1f s", sec)
	}
	return fmt.Sprintf("%.0f s", sec)
}

// formatKiB prints a memory size given in KiB (getrusage's maxrss on
// Linux) in MiB or GiB, with the decimal MB or GB next to it (the issue's
// target is stated in GB).
func formatKiB(kib int64) string {
	bytes := float64(kib) * 1024
	if kib >= 1<<20 {
		return fmt.Sprintf("%.2f GiB (%.2f GB)", bytes/(1<<30), bytes/1e9)
	}
	return fmt.Sprintf("%.1f MiB (%.0f MB)", bytes/(1<<20), bytes/1e6)
}

// peakLine is the peak-memory line for getrusage's answer (kib, err):
// with nets nil, the running maximum printed after each network section;
// else the closing line, labelled with the networks the process ran.
func peakLine(kib int64, err error, nets []string) string {
	if err != nil {
		return "go peak resident memory: unknown (" + err.Error() + ")"
	}
	if nets == nil {
		return fmt.Sprintf("  go peak resident memory so far: %s (a running maximum over the whole process; -net unet alone gives the U-Net's own)", formatKiB(kib))
	}
	what := "both networks"
	if len(nets) == 1 {
		what = "the " + nets[0] + " only"
	}
	return fmt.Sprintf("go peak resident memory: %s (the whole Go process: %s, all graphs; getrusage maxrss)", formatKiB(kib), what)
}

func run(o options) error {
	mlpCfg := models.MLPConfig{Hidden: o.hidden, Activation: o.act, FusedActivation: o.fused}
	if err := mlpCfg.Validate(); err != nil {
		return err
	}
	set, err := backendFor(o.device, os.Getenv(backend.EnvVar), o.tf32)
	if err != nil {
		return err
	}
	if set != "" {
		os.Setenv(backend.EnvVar, set)
	}
	be, err := backend.New()
	if err != nil {
		if set != "" {
			return fmt.Errorf("-device %s (which sets %s=%s): %w", o.device, backend.EnvVar, set, err)
		}
		return err
	}
	defer be.Finalize()
	sel := backend.Last()
	plugin := cudaPlugin(sel)
	torchDevice := "cpu"
	if plugin != "" {
		torchDevice = "cuda"
	} else if o.device == "cuda" {
		return fmt.Errorf("-device cuda but the backend is %s; give %s=xla:/path/to/xla_cuda_plugin.so", sel, backend.EnvVar)
	}
	fmt.Printf("fmbench: %s\n", sel)
	if plugin != "" {
		for i := range be.NumDevices() {
			fmt.Printf("device %d: %s\n", i, be.DeviceDescription(compute.DeviceNum(i)))
		}
	}
	if w := backend.SpeedWarning(); w != "" && plugin == "" {
		fmt.Println(w)
	}
	exp := simdBuild()
	if !strings.Contains(exp, "simd") {
		exp += " (WARNING: built without GOEXPERIMENT=simd: the Go backend's matmul is much slower)"
	}
	fmt.Printf("go %s, GOEXPERIMENT=%s, GOMAXPROCS=%d, NumCPU=%d\n", runtime.Version(), exp, o.threads, runtime.NumCPU())

	pluginPython := ""
	if plugin != "" {
		pluginPython = backend.SetupCUDA(plugin).Python
	}
	home, _ := os.UserHomeDir()
	o.python = pythonFor(o.python, torchDevice, pluginPython, os.Getenv("VIRTUAL_ENV"), benchVenvDir(os.Getenv(benchVenvEnv), home), fileExists)
	if pythonSkip(o.python) == "" {
		fmt.Printf("pytorch: %s, %d threads\n", o.python, o.threads)
	}

	var rows []benchRow
	var skipped []string // why PyTorch did not run, once per reason
	for _, net := range o.nets {
		spec, err := newSpec(net, mlpCfg, o)
		if err != nil {
			return err
		}
		r, skip, err := benchNet(be, spec, mlpCfg, o, torchDevice)
		if err != nil {
			return fmt.Errorf("%s: %w", net, err)
		}
		rows = append(rows, r...)
		if skip != "" && !slices.Contains(skipped, skip) {
			skipped = append(skipped, skip)
		}
		kib, err := peakRSSKiB()
		fmt.Println(peakLine(kib, err, nil))
	}
	printSummary(sel, torchDevice, o, rows, skipped)
	return nil
}

func printSummary(sel backend.Selection, torchDevice string, o options, rows []benchRow, skipped []string) {
	goName := "go: pure-Go"
	if sel.Name == "xla" {
		goName = "go: XLA CUDA"
	}
	pyName := "pytorch: " + torchDevice
	reps := fmt.Sprintf("%d repetitions", o.reps)
	if o.solve && slices.Contains(o.nets, "mlp") {
		reps += fmt.Sprintf(" (solve: %d)", o.solveReps)
	}
	threads := fmt.Sprintf("%d threads", o.threads)
	if slices.ContainsFunc(rows, func(r benchRow) bool { return r.pySec > 0 }) {
		threads += " on each side (go/pytorch > 1: go slower)"
	}
	fmt.Printf("\nsummary: median time per train step, forward pass or solve over %s, %s\n", reps, threads)
	width, goW, pyW := len("benchmark"), len(goName), len(pyName)
	for _, r := range rows {
		g, p, _ := r.cells()
		width, goW, pyW = max(width, len(r.name)), max(goW, len(g)), max(pyW, len(p))
	}
	fmt.Printf("  %-*s  %*s  %*s  %10s\n", width, "benchmark", goW, goName, pyW, pyName, "go/pytorch")
	for _, r := range rows {
		g, p, ratio := r.cells()
		fmt.Printf("  %-*s  %*s  %*s  %10s\n", width, r.name, goW, g, pyW, p, ratio)
	}
	for _, why := range skipped {
		fmt.Printf("  PyTorch comparison skipped: %s\n", why)
	}
	kib, err := peakRSSKiB()
	fmt.Println(peakLine(kib, err, o.nets))
}

// netSpec is one network to benchmark.
type netSpec struct {
	name      string // "mlp" or "unet"
	title     string // for the summary
	dim       int    // values per data row
	batch     int
	params    int
	net       vfield.Graph
	torchArgs []string
	forward   bool // time a forward pass on o.points rows (the 2D MLP)
	pool      func(rng *rand.Rand) []float32
}

func newSpec(name string, mlpCfg models.MLPConfig, o options) (netSpec, error) {
	switch name {
	case "mlp":
		n, err := mlpCfg.NumParams(2)
		if err != nil {
			return netSpec{}, err
		}
		return netSpec{
			name: "mlp", dim: 2, batch: o.batch, params: n, forward: true,
			title: fmt.Sprintf("mlp %s 2D, batch %d", joinInts(o.hidden, "x"), o.batch),
			net: func(scope *model.Scope, x, t *graph.Node) *graph.Node {
				return models.MLP(scope.At("mlp"), x, t, mlpCfg)
			},
			torchArgs: []string{"--net", "mlp", "--hidden", joinInts(o.hidden, ","), "--act", o.act},
			pool:      blobsPool,
		}, nil
	case "unet":
		cfg := models.UNetConfig{Height: 28, Width: 28, Channels: 1}
		n, err := cfg.NumParams()
		if err != nil {
			return netSpec{}, err
		}
		r := cfg.Resolved()
		if r.Attention {
			return netSpec{}, fmt.Errorf("torch_ref.py has no attention block; the benchmark's U-Net must not use one")
		}
		return netSpec{
			name: "unet", dim: cfg.Dim(), batch: o.unetBatch, params: n,
			title: fmt.Sprintf("unet 28x28x1 (patch %d, %d ch), batch %d", r.Patch, r.BaseChannels, o.unetBatch),
			net: func(scope *model.Scope, x, t *graph.Node) *graph.Node {
				return models.UNet(scope.At("unet"), x, t, cfg)
			},
			torchArgs: []string{"--net", "unet",
				"--height", strconv.Itoa(r.Height), "--width", strconv.Itoa(r.Width), "--channels", strconv.Itoa(r.Channels),
				"--patch", strconv.Itoa(r.Patch), "--base", strconv.Itoa(r.BaseChannels), "--mult", joinInts(r.ChannelMult, ","),
				"--res-blocks", strconv.Itoa(r.ResBlocks), "--groups", strconv.Itoa(r.Groups),
				"--time-hidden", strconv.Itoa(r.TimeHidden), "--embed", strconv.Itoa(r.TimeEmbedDim),
				"--min-freq", fmt.Sprint(r.MinFreq), "--max-freq", fmt.Sprint(r.MaxFreq)},
			pool: func(rng *rand.Rand) []float32 { return imagePool(rng, cfg.Dim()) },
		}, nil
	}
	return netSpec{}, fmt.Errorf("unknown network %q", name)
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// blobsPool is 4096 2D points in two Gaussian blobs at (+-2, 0), std 0.2.
func blobsPool(rng *rand.Rand) []float32 {
	pool := make([]float32, 2*4096)
	for i := 0; i < len(pool); i += 2 {
		c := float32(-2)
		if (i/2)%2 == 1 {
			c = 2
		}
		pool[i] = c + 0.2*float32(rng.NormFloat64())
		pool[i+1] = 0.2 * float32(rng.NormFloat64())
	}
	return pool
}

// imagePool is 256 "images" of d pixels uniform in [-1, 1]: the step's cost
// does not depend on the content, and no data set is needed.
func imagePool(rng *rand.Rand, d int) []float32 {
	pool := make([]float32, 256*d)
	for i := range pool {
		pool[i] = float32(2*rng.Float64() - 1)
	}
	return pool
}

// benchNet times one network on the Go side and, where possible, in
// PyTorch. It returns the summary rows and, when PyTorch did not run, why.
func benchNet(be compute.Backend, spec netSpec, mlpCfg models.MLPConfig, o options, torchDevice string) ([]benchRow, string, error) {
	fmt.Printf("\nnetwork: %s, %d parameters\n", spec.title, spec.params)
	if spec.name == "mlp" {
		fmt.Printf("  MLP hidden %v, %s%s, time embedding %d\n", o.hidden, o.act,
			map[bool]string{true: " (fused)", false: ""}[o.fused], models.DefaultTimeEmbedDim)
	}
	b, err := newGoBench(be, spec, o)
	if err != nil {
		return nil, "", err
	}
	start := time.Now()
	if err := b.warmup(); err != nil {
		return nil, "", err
	}
	fmt.Printf("  go warm-up (compiles the graphs): %.1f s\n", time.Since(start).Seconds())

	var py *torchProc
	skip := pythonSkip(o.python)
	if skip != "" {
		fmt.Printf("  pytorch: skipped (%s)\n", skip)
	} else if py, err = startTorch(o, spec, torchDevice); err != nil {
		skip = err.Error()
		fmt.Printf("  pytorch: skipped (%s)\n", skip)
		py = nil
	} else {
		defer py.close()
		fmt.Printf("  pytorch: %s\n", py.info)
		if py.params != spec.params {
			fmt.Printf("  WARNING: PyTorch's network has %d parameters, Go's %d: the two networks differ; compare with care\n", py.params, spec.params)
		}
	}

	var goTrain, goFwd, pyTrain, pyFwd []float64
	for range o.reps {
		t, err := b.trainRep()
		if err != nil {
			return nil, "", err
		}
		goTrain = append(goTrain, t)
		if py != nil {
			if t, err = py.call("train", o.steps); err != nil {
				return nil, "", err
			}
			pyTrain = append(pyTrain, t)
		}
		if !spec.forward {
			continue
		}
		if t, err = b.forwardRep(); err != nil {
			return nil, "", err
		}
		goFwd = append(goFwd, t)
		if py != nil {
			if t, err = py.call("forward", 1); err != nil {
				return nil, "", err
			}
			pyFwd = append(pyFwd, t)
		}
	}
	report := func(who string, train, fwd []float64) {
		st := median(train)
		fmt.Printf("  %-7s train step (CFM, CondOT sigma_min=%g, batch %d, Adam): %.2f ms/step  %.1f steps/s  %.0f samples/s  [min %.2f max %.2f ms]\n",
			who, sigmaMin, spec.batch, 1e3*st, 1/st, float64(spec.batch)/st, 1e3*slices.Min(train), 1e3*slices.Max(train))
		if len(fwd) > 0 {
			fmt.Printf("  %-7s forward pass on %d 2D points (one t for the batch): %.2f ms  [min %.2f max %.2f ms]\n",
				who, o.points, 1e3*median(fwd), 1e3*slices.Min(fwd), 1e3*slices.Max(fwd))
		}
	}
	fmt.Printf("  medians over %d repetitions (train: %d steps per repetition)\n", o.reps, o.steps)
	report("go", goTrain, goFwd)
	trainRow := benchRow{name: fmt.Sprintf("%s train step, batch %d", spec.name, spec.batch), goSec: median(goTrain)}
	var fwdRow benchRow
	if spec.forward {
		fwdRow = benchRow{name: fmt.Sprintf("%s forward, %d points", spec.name, o.points), goSec: median(goFwd)}
	}
	if py != nil {
		report("pytorch", pyTrain, pyFwd)
		trainRow.pySec = median(pyTrain)
		if spec.forward {
			fwdRow.pySec = median(pyFwd)
			fmt.Printf("  ratio go/pytorch: train step %.2fx, forward %.2fx (>1: Go slower)\n",
				trainRow.goSec/trainRow.pySec, fwdRow.goSec/fwdRow.pySec)
		} else {
			fmt.Printf("  ratio go/pytorch: train step %.2fx (>1: Go slower)\n", trainRow.goSec/trainRow.pySec)
		}
	}
	rows := []benchRow{trainRow}
	if spec.forward {
		rows = append(rows, fwdRow)
	}

	if spec.name == "mlp" && o.solve {
		r, err := solveBench(be, b.store, mlpCfg, o, fwdRow.goSec, py)
		if err != nil {
			return nil, "", err
		}
		rows = append(rows, r)
	}
	if o.profTrain != "" {
		if err := profile(o.profTrain, func() error { _, err := b.trainRep(); return err }); err != nil {
			return nil, "", err
		}
		fmt.Printf("  cpu profile of training steps: %s\n", o.profTrain)
	}
	if o.profForward != "" && spec.forward {
		if err := profile(o.profForward, func() error { _, err := b.forwardRep(); return err }); err != nil {
			return nil, "", err
		}
		fmt.Printf("  cpu profile of forward passes: %s\n", o.profForward)
	}
	return rows, skip, nil
}

// profile runs fn repeatedly for about 3 seconds under the CPU profiler.
func profile(path string, fn func() error) error {
	return profileOnce(path, func() error {
		start := time.Now()
		for time.Since(start) < 3*time.Second {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
}

// profileOnce writes a CPU profile of one call of fn to path.
func profileOnce(path string, fn func() error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// goBench holds the compiled Go graphs of one network.
type goBench struct {
	o       options
	spec    netSpec
	store   *model.Store
	trainer *training.Trainer
	fwd     *model.Exec // nil unless spec.forward
	data    []float32   // a pool of data rows to draw batches from
	rng     *rand.Rand
	x       *tensors.Tensor // forward-pass input [points, dim]
}

func newGoBench(be compute.Backend, spec netSpec, o options) (*goBench, error) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		return nil, err
	}
	path, err := probpath.New(schedule.CondOT{SigmaMin: sigmaMin})
	if err != nil {
		return nil, err
	}
	tr, err := training.NewTrainer(be, store, training.Config{Kind: objective.CFM, Path: path, Net: spec.net})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(7, 8))
	b := &goBench{o: o, spec: spec, store: store, trainer: tr, data: spec.pool(rng), rng: rng}
	if spec.forward {
		if b.fwd, err = model.NewExec(be, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
			livevars.Keep(scope, x)
			return spec.net(scope, x, t)
		}); err != nil {
			return nil, err
		}
		xs := make([]float32, spec.dim*o.points)
		for i := range xs {
			xs[i] = float32(rng.NormFloat64())
		}
		b.x = tensors.FromFlatDataAndDimensions(xs, o.points, spec.dim)
	}
	return b, nil
}

func (b *goBench) batch() *tensors.Tensor {
	d := b.spec.dim
	flat := make([]float32, d*b.spec.batch)
	n := len(b.data) / d
	for i := range b.spec.batch {
		k := b.rng.IntN(n)
		copy(flat[i*d:(i+1)*d], b.data[k*d:(k+1)*d])
	}
	return tensors.FromFlatDataAndDimensions(flat, b.spec.batch, d)
}

// warmup compiles the graphs and runs a few calls.
func (b *goBench) warmup() error {
	for range 5 {
		if _, err := b.trainer.Step(b.batch()); err != nil {
			return err
		}
	}
	if b.fwd != nil {
		for range 2 {
			if _, err := b.forwardRep(); err != nil {
				return err
			}
		}
	}
	return nil
}

// trainRep returns the mean seconds per step over o.steps steps. Each step
// reads its loss back, so on a GPU it has finished when the next starts.
func (b *goBench) trainRep() (float64, error) {
	batches := make([]*tensors.Tensor, b.o.steps)
	for i := range batches {
		batches[i] = b.batch()
	}
	start := time.Now()
	for _, x := range batches {
		if _, err := b.trainer.Step(x); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds() / float64(b.o.steps), nil
}

// forwardRep returns the seconds of one forward pass on o.points points
// (including the transfer of the result back to the host).
func (b *goBench) forwardRep() (float64, error) {
	start := time.Now()
	out, err := b.fwd.Call1(b.x, float32(0.5))
	if err != nil {
		return 0, err
	}
	// Touch the result so any lazy device->host transfer is included.
	tensors.MustConstFlatData(out, func(flat []float32) { _ = flat[0] })
	el := time.Since(start).Seconds()
	_ = out.FinalizeAll()
	return el, nil
}

// torchProc is a running torch_ref.py answering timing requests.
type torchProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	info   string
	params int
	file   string
}

// torchArgs is the command line of torch_ref.py for spec.
func torchArgs(script string, o options, spec netSpec, device string) []string {
	args := []string{script, "--device", device, "--batch", strconv.Itoa(spec.batch), "--points", strconv.Itoa(o.points),
		"--sigma-min", fmt.Sprint(sigmaMin), "--lr", fmt.Sprint(training.DefaultLearningRate),
		"--threads", strconv.Itoa(o.threads), "--tf32", map[bool]string{true: "1", false: "0"}[o.tf32]}
	if spec.name == "mlp" {
		args = append(args, "--embed", strconv.Itoa(models.DefaultTimeEmbedDim),
			"--min-freq", fmt.Sprint(models.DefaultMinFreq), "--max-freq", fmt.Sprint(models.DefaultMaxFreq),
			"--tol", fmt.Sprint(solveTol))
	}
	return append(args, spec.torchArgs...)
}

func startTorch(o options, spec netSpec, device string) (*torchProc, error) {
	if _, err := os.Stat(o.python); err != nil {
		return nil, fmt.Errorf("%s not found; give an interpreter with PyTorch with -python", o.python)
	}
	probe := "import torch"
	if device == "cuda" {
		probe += "; assert torch.cuda.is_available(), 'torch.cuda.is_available() is False (a CPU-only torch build, or no GPU visible)'"
	}
	if out, err := exec.Command(o.python, "-c", probe).CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		hint := "run scripts/bench-venv.sh (make bench does) and give its interpreter with -python"
		if device == "cuda" {
			hint = "give a Python with a CUDA build of torch with -python"
		}
		return nil, fmt.Errorf("%s cannot use torch on %s: %s; %s", o.python, device, msg, hint)
	}
	f, err := os.CreateTemp("", "fmbench-torch-*.py")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(torchRef); err != nil {
		return nil, err
	}
	f.Close()
	cmd := exec.Command(o.python, torchArgs(f.Name(), o, spec, device)...)
	cmd.Stderr = os.Stderr
	// OpenMP threads busy-wait after each parallel region by default. On a
	// 2-core machine the idle PyTorch process then steals the CPU from the Go
	// measurement that follows it (measured here: the Go forward pass 15x
	// slower when interleaved). PASSIVE makes them sleep when done.
	cmd.Env = append(os.Environ(), "OMP_WAIT_POLICY=PASSIVE")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &torchProc{cmd: cmd, in: in, out: bufio.NewScanner(outPipe), file: f.Name()}
	if !p.out.Scan() {
		p.close()
		return nil, fmt.Errorf("torch_ref.py did not start (its error is above)")
	}
	if p.params, p.info, err = parseReady(p.out.Text()); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// parseReady reads torch_ref.py's first line, "ready <parameters> <description>".
func parseReady(line string) (params int, info string, err error) {
	rest, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		return 0, "", fmt.Errorf("torch_ref.py: unexpected first line %q", line)
	}
	n, info, _ := strings.Cut(rest, " ")
	if params, err = strconv.Atoi(n); err != nil {
		return 0, "", fmt.Errorf("torch_ref.py: unexpected first line %q (want \"ready <parameters> <description>\")", line)
	}
	return params, info, nil
}

// request sends one request line and returns the answer line.
func (p *torchProc) request(what string, n int) (string, error) {
	if _, err := fmt.Fprintf(p.in, "%s %d\n", what, n); err != nil {
		return "", fmt.Errorf("torch_ref.py: %w", err)
	}
	if !p.out.Scan() {
		return "", fmt.Errorf("torch_ref.py stopped answering")
	}
	return strings.TrimSpace(p.out.Text()), nil
}

// call asks for one repetition and returns seconds per step / per pass.
func (p *torchProc) call(what string, n int) (float64, error) {
	line, err := p.request(what, n)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(line, 64)
	if err != nil || !(v >= 0) {
		return 0, fmt.Errorf("torch_ref.py: bad answer %q to %q", line, what)
	}
	return v, nil
}

// torchSolve is torch_ref.py's answer to "solve N".
type torchSolve struct {
	sec                     float64 // mean seconds per solve
	nfe, accepted, rejected int     // of the last solve
}

// solve runs one Dopri5 solve in PyTorch.
func (p *torchProc) solve() (torchSolve, error) {
	line, err := p.request("solve", 1)
	if err != nil {
		return torchSolve{}, err
	}
	return parseSolve(line)
}

// parseSolve reads "<seconds> <NFE> <accepted> <rejected>".
func parseSolve(line string) (torchSolve, error) {
	var r torchSolve
	f := strings.Fields(line)
	bad := fmt.Errorf("torch_ref.py: bad answer %q to solve (want \"<seconds> <NFE> <accepted> <rejected>\")", line)
	if len(f) != 4 {
		return r, bad
	}
	var err error
	if r.sec, err = strconv.ParseFloat(f[0], 64); err != nil || !(r.sec >= 0) {
		return r, bad
	}
	for i, dst := range []*int{&r.nfe, &r.accepted, &r.rejected} {
		if *dst, err = strconv.Atoi(f[i+1]); err != nil || *dst < 0 {
			return r, bad
		}
	}
	// fmlib/ode's count: k1, the initial-step probe, 6 per attempted step.
	if r.nfe != 2+6*(r.accepted+r.rejected) {
		return r, fmt.Errorf("torch_ref.py: solve answered NFE %d for %d accepted and %d rejected steps; want 2 + 6 per step", r.nfe, r.accepted, r.rejected)
	}
	return r, nil
}

func (p *torchProc) close() {
	fmt.Fprintln(p.in, "quit")
	p.in.Close()
	_ = p.cmd.Wait()
	os.Remove(p.file)
}
