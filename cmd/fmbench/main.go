// Command fmbench measures the speed of the building blocks of flow-matching
// training and sampling on a GoMLX backend, against the same networks in
// PyTorch on the same machine:
//
//   - one CFM training step (CondOT path, Adam) of each network chosen by
//     -net: "mlp", the 2D MLP (models.MLP, -hidden, SiLU, batch -batch), and
//     "unet", the MNIST U-Net (models.UNet with the default
//     UNetConfig{Height: 28, Width: 28, Channels: 1}, batch -unet-batch):
//     milliseconds per step, steps/s and samples/s;
//   - for the MLP: one function evaluation (forward pass) on -points 2D
//     points, and a Dopri5 sampling solve of them at atol = rtol = 1e-5
//     (NFE, time, time per function evaluation; see sample.go).
//
// -device picks where both sides run. "cpu": the pure-Go backend (or the
// one GOMLX_BACKEND names) and PyTorch on the CPU. "cuda": XLA through the
// CUDA PJRT plugin (fmlib/backend: GOMLX_BACKEND=xla:cuda unless set to an
// XLA plugin already) and PyTorch on the GPU. "auto" (the default): the
// backend fmlib/backend.New chooses, PyTorch on the GPU exactly when that
// is XLA CUDA.
//
// The PyTorch side (torch_ref.py, embedded, our own reference
// implementation of the same networks and step) runs in the same
// invocation where the interpreter (-python) can import torch; Go and
// PyTorch repetitions interleave, and the ratios are printed. Both sides
// read the loss back after every step (the training loop does), so GPU
// steps are timed to completion. Both sides let matrix products use TF32 on
// the GPU unless -tf32=false (go-xla's and XLA's default; PyTorch's is off);
// convolutions may use TF32 on both sides either way (XLA's and cuDNN's
// defaults). The parameter counts of the two sides are compared: a
// difference means the networks are not the same, and is printed.
//
// Every number is the median over -reps repetitions after a warm-up. Build
// with GOEXPERIMENT=simd (make bench does): without it the pure-Go
// backend's matmul is several times slower.
//
// Usage:
//
//	GOEXPERIMENT=simd go run ./cmd/fmbench [-net mlp] [-device auto] [-steps 20] [-reps 7] [-quick]
//	    [-hidden 256,256,256] [-batch 256] [-unet-batch 64] [-act silu] [-fused]
//	    [-python auto] [-tf32] [-cpuprofile-train f] [-cpuprofile-forward f]
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

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

//go:embed torch_ref.py
var torchRef []byte

// sigmaMin of the CondOT path used by the benchmark (and torch_ref.py).
const sigmaMin = 0.01

// defaultPython is the interpreter tried for PyTorch on the CPU (Debian's
// python3-torch).
const defaultPython = "/usr/bin/python3"

type options struct {
	nets                          []string // "mlp", "unet", in the order given
	hidden                        []int
	steps, reps, batch, unetBatch int
	points, threads               int
	act, device                   string
	fused, quick, tf32, solve     bool
	python                        string
	profTrain, profForward        string
}

// parseFlags reads the command line; errors say which flag to fix.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("fmbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nets, hidden string
	fs.StringVar(&nets, "net", "mlp", `networks to benchmark, comma-separated: "mlp" (2D MLP), "unet" (MNIST U-Net)`)
	fs.StringVar(&hidden, "hidden", "256,256,256", "hidden widths of the MLP, comma-separated")
	fs.StringVar(&o.device, "device", "auto", `where both sides run: "cpu", "cuda" (XLA CUDA and PyTorch on the GPU), or "auto" (the backend fmlib/backend chooses)`)
	fs.IntVar(&o.steps, "steps", 20, "training steps per timed repetition")
	fs.IntVar(&o.reps, "reps", 7, "timed repetitions (the median is reported)")
	fs.BoolVar(&o.quick, "quick", false, "quick mode for CI: -steps 3 -reps 3, 2,000 forward points, no profiles")
	fs.IntVar(&o.batch, "batch", 256, "training batch size of the MLP")
	fs.IntVar(&o.unetBatch, "unet-batch", 64, "training batch size of the U-Net (64: the mnist-unet preset's)")
	fs.IntVar(&o.points, "points", 10000, "points in the MLP's forward pass and sampling solve")
	fs.StringVar(&o.act, "act", "silu", "hidden activation of the MLP: "+strings.Join(models.Activations(), ", "))
	fs.BoolVar(&o.fused, "fused", false, "compute the MLP's activation inside the backend's fused dense op (forward pass only)")
	fs.StringVar(&o.python, "python", "auto", `Python interpreter for the PyTorch reference ("" to skip; "auto": on the GPU the plugin's Python environment, else `+defaultPython+")")
	fs.BoolVar(&o.tf32, "tf32", true, "let matrix products use TF32 on the GPU, on both sides")
	fs.StringVar(&o.profTrain, "cpuprofile-train", "", "write a CPU profile of training steps to this file (one -net only)")
	fs.StringVar(&o.profForward, "cpuprofile-forward", "", "write a CPU profile of MLP forward passes to this file")
	fs.BoolVar(&o.solve, "solve", true, "also time a Dopri5 sampling solve with the MLP")
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
		o.steps, o.reps, o.points = 3, 3, 2000
		o.profTrain, o.profForward = "", ""
	}
	if o.steps < 1 || o.reps < 1 || o.batch < 1 || o.unetBatch < 1 || o.points < 1 {
		return o, fmt.Errorf("-steps, -reps, -batch, -unet-batch and -points must be >= 1")
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
// torch lives), then $VIRTUAL_ENV's, and defaultPython otherwise.
func pythonFor(flagValue, torchDevice, pluginPython, virtualEnv string, exists func(string) bool) string {
	if flagValue != "auto" {
		return flagValue
	}
	if torchDevice == "cuda" {
		candidates := []string{pluginPython}
		if virtualEnv != "" {
			candidates = append(candidates, filepath.Join(virtualEnv, "bin", "python3"))
		}
		for _, p := range candidates {
			if p != "" && exists(p) {
				return p
			}
		}
	}
	return defaultPython
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

// summaryRow is one network's training throughput, for the closing table.
type summaryRow struct {
	net           string
	goSec, pySec  float64 // median seconds per step (pySec 0: no PyTorch)
	batch, params int
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
	o.python = pythonFor(o.python, torchDevice, pluginPython, os.Getenv("VIRTUAL_ENV"), fileExists)

	var summary []summaryRow
	for _, net := range o.nets {
		spec, err := newSpec(net, mlpCfg, o)
		if err != nil {
			return err
		}
		row, err := benchNet(be, spec, mlpCfg, o, torchDevice)
		if err != nil {
			return fmt.Errorf("%s: %w", net, err)
		}
		summary = append(summary, row)
	}
	if len(summary) > 1 || summary[0].pySec > 0 {
		printSummary(sel, torchDevice, summary)
	}
	return nil
}

func printSummary(sel backend.Selection, torchDevice string, rows []summaryRow) {
	goName := "go: pure-Go"
	if sel.Name == "xla" {
		goName = "go: XLA CUDA"
	}
	width := len("network")
	for _, r := range rows {
		width = max(width, len(r.net))
	}
	fmt.Printf("\nsummary: CFM training throughput, samples/s (median)\n")
	fmt.Printf("  %-*s %14s %16s %16s\n", width, "network", goName, "pytorch: "+torchDevice, "time go/pytorch")
	for _, r := range rows {
		py, ratio := "-", "-"
		if r.pySec > 0 {
			py = fmt.Sprintf("%.0f", float64(r.batch)/r.pySec)
			ratio = fmt.Sprintf("%.2fx", r.goSec/r.pySec)
		}
		fmt.Printf("  %-*s %14.0f %16s %16s\n", width, r.net, float64(r.batch)/r.goSec, py, ratio)
	}
}

// netSpec is one network to benchmark.
type netSpec struct {
	name      string // "mlp" or "unet"
	title     string // for the summary
	dim       int    // values per data row
	batch     int
	params    int
	net       objective.NetFn
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

// benchNet times one network on the Go side and, where possible, in PyTorch.
func benchNet(be compute.Backend, spec netSpec, mlpCfg models.MLPConfig, o options, torchDevice string) (summaryRow, error) {
	row := summaryRow{net: spec.title, batch: spec.batch, params: spec.params}
	fmt.Printf("\nnetwork: %s, %d parameters\n", spec.title, spec.params)
	if spec.name == "mlp" {
		fmt.Printf("  MLP hidden %v, %s%s, time embedding %d\n", o.hidden, o.act,
			map[bool]string{true: " (fused)", false: ""}[o.fused], models.DefaultTimeEmbedDim)
	}
	b, err := newGoBench(be, spec, o)
	if err != nil {
		return row, err
	}
	start := time.Now()
	if err := b.warmup(); err != nil {
		return row, err
	}
	fmt.Printf("  go warm-up (compiles the graphs): %.1f s\n", time.Since(start).Seconds())

	var py *torchProc
	if o.python == "" {
		fmt.Println("  pytorch: skipped (-python \"\")")
	} else if py, err = startTorch(o, spec, torchDevice); err != nil {
		fmt.Printf("  pytorch: skipped (%v)\n", err)
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
			return row, err
		}
		goTrain = append(goTrain, t)
		if py != nil {
			if t, err = py.call("train", o.steps); err != nil {
				return row, err
			}
			pyTrain = append(pyTrain, t)
		}
		if !spec.forward {
			continue
		}
		if t, err = b.forwardRep(); err != nil {
			return row, err
		}
		goFwd = append(goFwd, t)
		if py != nil {
			if t, err = py.call("forward", 1); err != nil {
				return row, err
			}
			pyFwd = append(pyFwd, t)
		}
	}
	report := func(who string, train, fwd []float64) {
		st := median(train)
		fmt.Printf("  %-7s train step (CFM, CondOT sigma_min=%g, batch %d, Adam): %.2f ms/step  %.1f steps/s  %.0f samples/s  [min %.2f max %.2f ms]\n",
			who, sigmaMin, spec.batch, 1e3*st, 1/st, float64(spec.batch)/st, 1e3*slices.Min(train), 1e3*slices.Max(train))
		if len(fwd) > 0 {
			fmt.Printf("  %-7s forward pass on %d 2D points: %.2f ms  [min %.2f max %.2f ms]\n",
				who, o.points, 1e3*median(fwd), 1e3*slices.Min(fwd), 1e3*slices.Max(fwd))
		}
	}
	fmt.Printf("  medians over %d repetitions (train: %d steps per repetition)\n", o.reps, o.steps)
	report("go", goTrain, goFwd)
	row.goSec = median(goTrain)
	if py != nil {
		report("pytorch", pyTrain, pyFwd)
		row.pySec = median(pyTrain)
		if spec.forward {
			fmt.Printf("  ratio go/pytorch: train step %.2fx, forward %.2fx (>1: Go slower)\n",
				median(goTrain)/median(pyTrain), median(goFwd)/median(pyFwd))
		} else {
			fmt.Printf("  ratio go/pytorch: train step %.2fx (>1: Go slower)\n", median(goTrain)/median(pyTrain))
		}
	}

	if spec.name == "mlp" && o.solve {
		if err := solveBench(be, b.store, mlpCfg, o, median(goFwd)); err != nil {
			return row, err
		}
	}
	if o.profTrain != "" {
		if err := profile(o.profTrain, func() error { _, err := b.trainRep(); return err }); err != nil {
			return row, err
		}
		fmt.Printf("  cpu profile of training steps: %s\n", o.profTrain)
	}
	if o.profForward != "" && spec.forward {
		if err := profile(o.profForward, func() error { _, err := b.forwardRep(); return err }); err != nil {
			return row, err
		}
		fmt.Printf("  cpu profile of forward passes: %s\n", o.profForward)
	}
	return row, nil
}

// profile runs fn repeatedly for about 3 seconds under the CPU profiler.
func profile(path string, fn func() error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

// goBench holds the compiled Go graphs of one network.
type goBench struct {
	o       options
	spec    netSpec
	store   *model.Store
	trainer *objective.Trainer
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
	tr, err := objective.NewTrainer(be, store, objective.Config{Kind: objective.CFM, Path: path, Net: spec.net})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(7, 8))
	b := &goBench{o: o, spec: spec, store: store, trainer: tr, data: spec.pool(rng), rng: rng}
	if spec.forward {
		if b.fwd, err = model.NewExec(be, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
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
		"--sigma-min", fmt.Sprint(sigmaMin), "--lr", fmt.Sprint(objective.DefaultLearningRate),
		"--threads", strconv.Itoa(o.threads), "--tf32", map[bool]string{true: "1", false: "0"}[o.tf32]}
	if spec.name == "mlp" {
		args = append(args, "--embed", strconv.Itoa(models.DefaultTimeEmbedDim),
			"--min-freq", fmt.Sprint(models.DefaultMinFreq), "--max-freq", fmt.Sprint(models.DefaultMaxFreq))
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
		hint := "install Debian's python3-torch to compare"
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

// call asks for one repetition and returns seconds per step / per pass.
func (p *torchProc) call(what string, n int) (float64, error) {
	if _, err := fmt.Fprintf(p.in, "%s %d\n", what, n); err != nil {
		return 0, fmt.Errorf("torch_ref.py: %w", err)
	}
	if !p.out.Scan() {
		return 0, fmt.Errorf("torch_ref.py stopped answering")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(p.out.Text()), 64)
	if err != nil {
		return 0, fmt.Errorf("torch_ref.py: bad answer %q", p.out.Text())
	}
	return v, nil
}

func (p *torchProc) close() {
	fmt.Fprintln(p.in, "quit")
	p.in.Close()
	_ = p.cmd.Wait()
	os.Remove(p.file)
}
