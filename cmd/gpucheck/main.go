// Command gpucheck checks, in one command, that gofm's graphs run on this
// machine's NVIDIA GPU through XLA's CUDA PJRT plugin, and that they compute
// what the pure-Go backend computes.
//
// It finds the plugin (fmlib/backend.FindPlugin, or -plugin, or the plugin
// named by GOMLX_BACKEND=xla:/path), prints what it found around it (NVIDIA's
// library wheels, the CUDA data dir, the cuDNN version, the PJRT C API
// version next to go-xla's), starts XLA the way backend.New does
// (backend.NewCUDA: libraries preloaded, XLA_FLAGS set, no preallocation),
// prints the device, then runs three graphs on XLA and on the pure-Go backend
// and compares the results:
//
//   - matmul: [256, 512] x [512, 384];
//   - conv: a 3x3 "same" convolution of [8, 32, 32, 16] (NHWC) to 32 channels;
//   - gradient: of mean(tanh(conv)^2) + mean(tanh(matmul)^2) with respect to
//     the kernel, the image and the right matrix (the backward convolutions
//     are where a cuDNN problem shows).
//
// A result agrees when max|xla - go| <= tol * max|go| (no NaN or Inf). The
// tolerances: 1e-4 for the matrix product, run in full float32 (gpucheck
// passes tf32=false unless -options says otherwise): a float32 sum of 512
// terms is good to about 1e-6 of its scale, so 1e-4 leaves room for a
// different summation order and nothing more; 2e-3 for the convolutions and
// the gradient, because XLA lets cuDNN use TF32 for float32 convolutions on
// Ampere and later GPUs (10-bit mantissa, rounding 2^-11 = 4.9e-4 per input).
// A wrong layout or a broken kernel gives errors of the order of 1.
//
// Usage:
//
//	go run ./cmd/gpucheck [-plugin /path/to/xla_cuda_plugin.so] [-options tf32=false] [-v]
//	go run ./cmd/gpucheck -print-env        # export lines for a shell: eval "$(go run ./cmd/gpucheck -print-env)"
//	go run ./cmd/gpucheck -backend go       # self-test of the check: the Go backend against itself
//
// Exit status: 0 every result agrees; 1 a result disagrees or XLA failed (the
// message names the failure mode and what to do about it); 2 bad flags; 3
// nothing to check: no GPU or no CUDA plugin on this machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Exit codes.
const (
	exitOK       = 0
	exitFail     = 1
	exitUsage    = 2
	exitNoDevice = 3
)

// Tolerances, relative to the largest magnitude of the reference (see the
// package documentation for the reasoning).
const (
	tolFloat32 = 1e-4 // float32 matrix product, TF32 off
	tolTF32    = 2e-3 // convolutions, which XLA may run in TF32 on the GPU
)

// env is what run needs from the machine, replaced in tests.
type env struct {
	findPlugin func() (string, []string) // the CUDA plugin, "" if none, and the folders searched
	gpuNodes   func() []string           // NVIDIA device nodes
	getenv     func(string) string
}

func machineEnv() env {
	return env{
		findPlugin: func() (string, []string) { return backend.FindPlugin("cuda", nil) },
		gpuNodes: func() []string {
			m, _ := filepath.Glob("/dev/nvidia[0-9]*")
			return m
		},
		getenv: os.Getenv,
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, machineEnv()))
}

type options struct {
	plugin, xlaOptions, backend string
	printEnv, verbose           bool
}

func run(args []string, stdout, stderr io.Writer, e env) int {
	fs := flag.NewFlagSet("gpucheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.plugin, "plugin", "", "CUDA PJRT plugin file (default: GOMLX_BACKEND=xla:/path if set, else searched as backend.FindPlugin does)")
	fs.StringVar(&o.xlaOptions, "options", "tf32=false", "XLA options, comma-separated (preallocate=false is added unless given)")
	fs.StringVar(&o.backend, "backend", "xla", `backend to check against the pure-Go one: "xla" (the GPU) or "go" (a self-test of this check)`)
	fs.BoolVar(&o.printEnv, "print-env", false, `only print shell export lines for the plugin (eval "$(gpucheck -print-env)")`)
	fs.BoolVar(&o.verbose, "v", false, "show XLA's own log (TF_CPP_MIN_LOG_LEVEL=0)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gpucheck [flags]\n\nRuns a matmul, a convolution and a gradient on XLA CUDA and on the pure-Go backend and compares them.\nExit status: 0 agree, 1 disagree or XLA failed, 2 bad flags, 3 no GPU or no CUDA plugin.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gpucheck: unexpected argument %q; see gpucheck -help\n", fs.Arg(0))
		return exitUsage
	}
	switch o.backend {
	case "go":
		return selfTest(stdout, stderr)
	case "xla":
	default:
		fmt.Fprintf(stderr, "gpucheck: -backend %q; use \"xla\" (the GPU) or \"go\" (self-test)\n", o.backend)
		return exitUsage
	}
	// XLA's log: errors (a cuDNN version complaint is one) unless -v asks for all.
	level := "2"
	if o.verbose {
		level = "0"
	}
	os.Setenv("TF_CPP_MIN_LOG_LEVEL", level)
	return checkXLA(o, stdout, stderr, e)
}

// pluginFromEnv returns the plugin path and options of GOMLX_BACKEND when it
// names an absolute plugin path ("xla:/p.so,opts"), else "".
func pluginFromEnv(v string) (plugin, opts string) {
	name, cfg, _ := strings.Cut(strings.TrimSpace(v), ":")
	if name != "xla" && name != "stablehlo" && name != "hlo" {
		return "", ""
	}
	plugin, opts, _ = strings.Cut(cfg, ",")
	if !filepath.IsAbs(plugin) {
		return "", ""
	}
	return plugin, opts
}

func checkXLA(o options, stdout, stderr io.Writer, e env) int {
	plugin := o.plugin
	if plugin == "" {
		if p, opts := pluginFromEnv(e.getenv(backend.EnvVar)); p != "" {
			plugin = p
			if opts != "" {
				o.xlaOptions = opts
			}
			fmt.Fprintf(stdout, "plugin from %s=%s\n", backend.EnvVar, e.getenv(backend.EnvVar))
		}
	}
	var searched []string
	if plugin == "" {
		plugin, searched = e.findPlugin()
	}
	nodes := e.gpuNodes()

	if plugin == "" {
		if len(nodes) == 0 {
			fmt.Fprintln(stdout, "RESULT: NO GPU: no GPU device (/dev/nvidia*) and no CUDA PJRT plugin on this machine: nothing to check.")
		} else {
			fmt.Fprintf(stdout, "RESULT: NO PLUGIN: GPU device %s but no CUDA PJRT plugin found.\n", strings.Join(nodes, " "))
		}
		fmt.Fprintf(stdout, "  searched: %s\n  to use a GPU: %s\n  here: the pure-Go backend (GOMLX_BACKEND=go); gpucheck -backend go tests this check itself\n",
			strings.Join(searched, ", "), backend.FailureNoPlugin.Advice(nil))
		return exitNoDevice
	}
	setup := backend.SetupCUDA(plugin)
	if o.printEnv {
		fmt.Fprint(stdout, setup.ExportLines(nil))
		return exitOK
	}
	// Load the CUDA libraries first (NewCUDA does it again, at no cost), so that
	// probing the plugin file below finds them as XLA will.
	setup.Apply()
	describeSetup(stdout, setup)
	if len(nodes) == 0 {
		fmt.Fprintf(stdout, "RESULT: NO GPU: a CUDA PJRT plugin but no GPU device (/dev/nvidia*) on this machine: nothing to check.\n  here: the pure-Go backend (GOMLX_BACKEND=go); on a GPU machine run gpucheck again\n")
		return exitNoDevice
	}
	fmt.Fprintf(stdout, "GPU device nodes: %s\n", strings.Join(nodes, " "))
	if smi := nvidiaSMI(); smi != "" {
		fmt.Fprintf(stdout, "nvidia-smi -L: %s\n", smi)
	}

	xb, st, err := backend.NewCUDA(plugin, o.xlaOptions)
	describeStart(stdout, st)
	if err != nil {
		fmt.Fprintf(stdout, "RESULT: FAIL: %v\n", err)
		if se := (*backend.StartError)(nil); errors.As(err, &se) && se.Failure == backend.FailureCUDALibraries {
			fmt.Fprintf(stdout, "shell lines that put the libraries on LD_LIBRARY_PATH for a new process:\n%s", setup.ExportLines(nil))
		}
		return exitFail
	}
	defer xb.Finalize()
	fmt.Fprintf(stdout, "backend: %s\n", xb.Description())
	for i := range xb.NumDevices() {
		fmt.Fprintf(stdout, "device %d: %s\n", i, xb.DeviceDescription(compute.DeviceNum(i)))
	}
	ref, err := gobackend.New(backend.GoConfig)
	if err != nil {
		fmt.Fprintf(stderr, "gpucheck: the pure-Go backend failed to start: %v\n", err)
		return exitFail
	}
	defer ref.Finalize()
	return report(stdout, "XLA CUDA", xb, ref, &setup)
}

func describeSetup(w io.Writer, s backend.CUDASetup) {
	fmt.Fprintf(w, "plugin: %s\n", s.Plugin)
	if ma, mi, err := backend.PluginAPIVersion(s.Plugin); err == nil {
		note := "same as go-xla's"
		if v := fmt.Sprintf("%d.%d", ma, mi); v != backend.GoXLAPJRTVersion {
			note = "go-xla v0.4.1 speaks " + backend.GoXLAPJRTVersion + "; if starting fails with \"Unexpected PJRT_... size\", the two are too far apart"
		}
		fmt.Fprintf(w, "  PJRT C API %d.%d (%s)\n", ma, mi, note)
	} else {
		fmt.Fprintf(w, "  loading the plugin file: %v\n", err)
	}
	show := func(label, v string) {
		if v == "" {
			v = "(none found)"
		}
		fmt.Fprintf(w, "  %-16s %s\n", label+":", v)
	}
	show("site-packages", s.SitePackages)
	show("NVIDIA wheels", s.NvidiaDir)
	show("CUDA data dir", s.DataDir)
	show("library folders", strings.Join(s.LibDirs, " "))
	if s.CuDNN != "" || s.CuDNNMin != "" {
		show("cuDNN wheel", s.CuDNN+map[bool]string{true: " (the plugin's packages ask for >= " + s.CuDNNMin + ")", false: ""}[s.CuDNNMin != ""])
	}
	for _, p := range s.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
}

func describeStart(w io.Writer, st backend.CUDAStart) {
	var ok, failed []string
	for _, p := range st.Preloaded {
		if p.Err == nil {
			ok = append(ok, filepath.Base(p.Path))
		} else {
			failed = append(failed, p.Err.Error())
		}
	}
	if len(st.Preloaded) > 0 {
		fmt.Fprintf(w, "loaded ahead of the plugin: %s\n", strings.Join(ok, " "))
	}
	for _, f := range failed {
		fmt.Fprintf(w, "  could not load: %s\n", f)
	}
	v := backend.CUDALibVersions(st.Setup.LibDirs)
	none := func(s string) string {
		if s == "" {
			return "?"
		}
		return s
	}
	fmt.Fprintf(w, "versions: driver supports CUDA %s, CUDA runtime %s, cuDNN %s\n", none(v.Driver), none(v.Runtime), none(v.CuDNN))
	for _, e := range v.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if st.Config != "" {
		fmt.Fprintf(w, "XLA configuration: %s\n", st.Config)
	}
	if f := os.Getenv("XLA_FLAGS"); f != "" {
		fmt.Fprintf(w, "XLA_FLAGS=%s\n", f)
	}
}

// nvidiaSMI returns nvidia-smi -L's output on one line, or "".
func nvidiaSMI() string {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-L").Output()
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(string(out), "\n", " ; ")), " ")
}

// selfTest compares two instances of the pure-Go backend: every result must
// agree, which checks the graphs and the comparison without a GPU.
func selfTest(stdout, stderr io.Writer) int {
	a, err := gobackend.New(backend.GoConfig)
	if err != nil {
		fmt.Fprintf(stderr, "gpucheck: the pure-Go backend failed to start: %v\n", err)
		return exitFail
	}
	defer a.Finalize()
	b, err := gobackend.New(backend.GoConfig)
	if err != nil {
		fmt.Fprintf(stderr, "gpucheck: the pure-Go backend failed to start: %v\n", err)
		return exitFail
	}
	defer b.Finalize()
	fmt.Fprintln(stdout, "self-test: the pure-Go backend against a second instance of itself (no GPU involved)")
	return report(stdout, "go", a, b, nil)
}

// report runs the checks on test and ref, prints a table and the verdict.
func report(w io.Writer, name string, test, ref compute.Backend, setup *backend.CUDASetup) int {
	results, err := runChecks(test, ref)
	if err != nil {
		msg := oneLine(err)
		if setup != nil {
			// Compilation and the first run are where cuDNN, ptxas and memory problems show.
			f := backend.ClassifyXLAError(err)
			msg = fmt.Sprintf("%s: %s; %s", f, msg, f.Advice(setup))
		}
		fmt.Fprintf(w, "RESULT: FAIL: running the checks on %s: %s\n", name, msg)
		return exitFail
	}
	fmt.Fprintf(w, "%-22s %-18s %10s %10s %10s %8s  %s\n", "check", "shape", "max|ref|", "max|diff|", "diff/ref", "tol", "result")
	failed := 0
	for _, r := range results {
		verdict := "ok"
		if !r.ok {
			verdict = "DIFFERS"
			if r.bad != "" {
				verdict += " (" + r.bad + ")"
			}
			failed++
		}
		fmt.Fprintf(w, "%-22s %-18s %10.4g %10.3g %10.3g %8.0e  %s  (%s)\n", r.name, r.shape, r.maxRef, r.maxDiff, r.rel, r.tol, verdict, r.elapsed.Round(time.Microsecond))
	}
	fmt.Fprintln(w, "tolerance: max|diff| <= tol * max|ref|; 1e-4 for the float32 matmul (TF32 off), 2e-3 where convolutions may run in TF32")
	if failed > 0 {
		fmt.Fprintf(w, "RESULT: FAIL: %d of %d results on %s differ from the pure-Go backend beyond the tolerance\n", failed, len(results), name)
		return exitFail
	}
	fmt.Fprintf(w, "RESULT: PASS: %s agrees with the pure-Go backend on all %d results (matmul, convolution, gradient)\n", name, len(results))
	return exitOK
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// result is one compared output.
type result struct {
	name, shape     string
	maxRef, maxDiff float64
	rel, tol        float64
	ok              bool
	bad             string        // why not ok beyond the tolerance: NaN, sizes
	elapsed         time.Duration // time of the test backend's (second, compiled) call
}

// compare checks got against ref: max|got - ref| <= tol * max|ref|, every
// value finite, same length.
func compare(name, shape string, got, ref []float32, tol float64) result {
	r := result{name: name, shape: shape, tol: tol}
	if len(got) != len(ref) {
		r.bad = fmt.Sprintf("%d values, reference has %d", len(got), len(ref))
		return r
	}
	for i := range ref {
		g, f := float64(got[i]), float64(ref[i])
		if math.IsNaN(g) || math.IsInf(g, 0) || math.IsNaN(f) || math.IsInf(f, 0) {
			r.bad = fmt.Sprintf("non-finite value at %d: %g vs %g", i, g, f)
			return r
		}
		r.maxRef = max(r.maxRef, math.Abs(f))
		r.maxDiff = max(r.maxDiff, math.Abs(g-f))
	}
	r.rel = r.maxDiff // a reference of all zeros compares absolutely
	if r.maxRef > 0 {
		r.rel = r.maxDiff / r.maxRef
	}
	r.ok = r.rel <= tol
	return r
}

// inputs are the fixed check inputs: uniform in [-1, 1) from a seeded
// generator, the right-hand matrix and the kernel scaled by 1/sqrt(fan-in)
// so that pre-activations are O(1) and tanh does not saturate (a saturated
// tanh would leave gradients of ~0 that compare trivially).
type inputs struct {
	a, b, x, k *tensors.Tensor
}

// Sizes of the checks: big enough for the GPU to use its real kernels
// (tiled matmul, cuDNN convolution), small enough to run in a second on the
// pure-Go backend.
const (
	mmM, mmK, mmN           = 256, 512, 384
	cvB, cvH, cvW, cvC, cvO = 8, 32, 32, 16, 32
	kernelSize              = 3
)

func newInputs() inputs {
	rng := rand.New(rand.NewPCG(2024, 11))
	uniform := func(scale float64, dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		flat := make([]float32, n)
		for i := range flat {
			flat[i] = float32(scale * (2*rng.Float64() - 1))
		}
		return tensors.FromFlatDataAndDimensions(flat, dims...)
	}
	return inputs{
		a: uniform(1, mmM, mmK),
		b: uniform(1/math.Sqrt(mmK), mmK, mmN),
		x: uniform(1, cvB, cvH, cvW, cvC),
		k: uniform(1/math.Sqrt(kernelSize*kernelSize*cvC), kernelSize, kernelSize, cvC, cvO),
	}
}

// check is one graph to run on both backends.
type check struct {
	name  string
	tol   float64
	outs  []string // names of the outputs
	build func(a, b, x, k *graph.Node) []*graph.Node
}

func conv(x, k *graph.Node) *graph.Node { return graph.Convolve(x, k).PadSame().Done() }

var checks = []check{
	{"matmul", tolFloat32, []string{"matmul"}, func(a, b, _, _ *graph.Node) []*graph.Node {
		return []*graph.Node{graph.MatMul(a, b)}
	}},
	{"conv", tolTF32, []string{"conv 3x3 same"}, func(_, _, x, k *graph.Node) []*graph.Node {
		return []*graph.Node{conv(x, k)}
	}},
	{"gradient", tolTF32, []string{"gradient dL/dkernel", "gradient dL/dimage", "gradient dL/dmatrix"}, func(a, b, x, k *graph.Node) []*graph.Node {
		l := graph.Add(graph.ReduceAllMean(graph.Square(graph.Tanh(conv(x, k)))),
			graph.ReduceAllMean(graph.Square(graph.Tanh(graph.MatMul(a, b)))))
		return graph.Gradient(l, k, x, b)
	}},
}

// runChecks runs every check on test and ref and compares the outputs.
func runChecks(test, ref compute.Backend) (results []result, err error) {
	for _, c := range checks {
		// Fresh (identical) inputs for each backend: a tensor, once on a
		// backend's device, belongs to that backend.
		got, dims, elapsed, err := runOn(test, c, newInputs())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		want, _, _, err := runOn(ref, c, newInputs())
		if err != nil {
			return nil, fmt.Errorf("%s on the reference backend: %w", c.name, err)
		}
		for i := range got {
			r := compare(c.outs[i], fmt.Sprint(dims[i]), got[i], want[i], c.tol)
			r.elapsed = elapsed
			results = append(results, r)
		}
	}
	return results, nil
}

// runOn compiles the check on b, runs it twice (the second call is timed:
// the first one compiles) and returns the outputs as flat float32 slices.
func runOn(b compute.Backend, c check, in inputs) (flat [][]float32, dims [][]int, elapsed time.Duration, err error) {
	defer func() {
		// GoMLX reports graph-building and execution errors as panics.
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	exec, err := graph.NewExec(b, func(a, bb, x, k *graph.Node) []*graph.Node { return c.build(a, bb, x, k) })
	if err != nil {
		return nil, nil, 0, err
	}
	defer exec.Finalize()
	var outs []*tensors.Tensor
	for i := range 2 {
		for _, o := range outs {
			_ = o.FinalizeAll()
		}
		start := time.Now()
		outs, err = exec.Call(in.a, in.b, in.x, in.k)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, o := range outs {
			tensors.MustConstFlatData(o, func(f []float32) {}) // wait for the device
		}
		if i == 1 {
			elapsed = time.Since(start)
		}
	}
	defer func() {
		for _, o := range outs {
			_ = o.FinalizeAll()
		}
	}()
	for _, o := range outs {
		v, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			return nil, nil, 0, err
		}
		flat = append(flat, v)
		dims = append(dims, o.Shape().Dimensions)
	}
	return flat, dims, elapsed, nil
}
