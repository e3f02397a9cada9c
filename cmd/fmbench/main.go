// Command fmbench measures the speed of the building blocks of flow-matching
// training and sampling on the selected GoMLX backend (fmlib/backend: the
// pure-Go backend unless GOMLX_BACKEND says otherwise):
//
//   - one CFM training step (MLP 3x256 SiLU, batch 256, Adam, CondOT path):
//     milliseconds per step, steps/s and samples/s;
//   - one function evaluation (forward pass) of that MLP on 10,000 2D points;
//   - a Dopri5 sampling solve of 10,000 points at atol = rtol = 1e-5 (NFE,
//     time, time per function evaluation; see sample.go).
//
// Where PyTorch is importable by /usr/bin/python3 (or -python), the same
// network and step run in PyTorch (torch_ref.py, embedded) in the same
// invocation, Go and PyTorch repetitions interleaved, and the ratios are
// printed. Every number is the median over -reps repetitions after a
// warm-up. Build with GOEXPERIMENT=simd (make bench does): without it the
// pure-Go backend's matmul is several times slower.
//
// Usage:
//
//	GOEXPERIMENT=simd go run ./cmd/fmbench [-steps 20] [-reps 7] [-quick]
//	    [-act silu] [-fused] [-cpuprofile-train f] [-cpuprofile-forward f]
package main

import (
	"bufio"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
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

type options struct {
	steps, reps, batch, points, threads int
	act                                 string
	fused, quick                        bool
	python                              string
	profTrain, profForward              string
	solve                               bool
}

func main() {
	var o options
	flag.IntVar(&o.steps, "steps", 20, "training steps per timed repetition")
	flag.IntVar(&o.reps, "reps", 7, "timed repetitions (the median is reported)")
	flag.BoolVar(&o.quick, "quick", false, "quick mode for CI: -steps 3 -reps 3, 2,000 forward points, no profiles")
	flag.IntVar(&o.batch, "batch", 256, "training batch size")
	flag.IntVar(&o.points, "points", 10000, "points in the forward pass and the sampling solve")
	flag.StringVar(&o.act, "act", "silu", "hidden activation: "+strings.Join(models.Activations(), ", "))
	flag.BoolVar(&o.fused, "fused", false, "compute the activation inside the backend's fused dense op (forward pass only)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python interpreter for the PyTorch reference (\"\" to skip)")
	flag.StringVar(&o.profTrain, "cpuprofile-train", "", "write a CPU profile of training steps to this file")
	flag.StringVar(&o.profForward, "cpuprofile-forward", "", "write a CPU profile of forward passes to this file")
	flag.BoolVar(&o.solve, "solve", true, "also time a Dopri5 sampling solve")
	flag.Parse()
	if o.quick {
		o.steps, o.reps, o.points = 3, 3, 2000
		o.profTrain, o.profForward = "", ""
	}
	o.threads = runtime.GOMAXPROCS(0)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "fmbench:", err)
		os.Exit(1)
	}
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

func run(o options) error {
	if o.steps < 1 || o.reps < 1 || o.batch < 1 || o.points < 1 {
		return fmt.Errorf("-steps, -reps, -batch and -points must be >= 1")
	}
	cfg := models.MLPConfig{Hidden: []int{256, 256, 256}, Activation: o.act, FusedActivation: o.fused}
	if err := cfg.Validate(); err != nil {
		return err
	}
	be, err := backend.New()
	if err != nil {
		return err
	}
	nParams, _ := cfg.NumParams(2)
	fmt.Printf("fmbench: %s\n", backend.Last())
	if w := backend.SpeedWarning(); w != "" {
		fmt.Println(w)
	}
	exp := simdBuild()
	if !strings.Contains(exp, "simd") {
		exp += " (WARNING: built without GOEXPERIMENT=simd: the Go backend's matmul is much slower)"
	}
	fmt.Printf("go %s, GOEXPERIMENT=%s, GOMAXPROCS=%d, NumCPU=%d\n", runtime.Version(), exp, o.threads, runtime.NumCPU())
	fmt.Printf("network: MLP hidden %v, %s%s, time embedding %d, %d parameters (2D)\n",
		cfg.Hidden, o.act, map[bool]string{true: " (fused)", false: ""}[o.fused], models.DefaultTimeEmbedDim, nParams)

	b := newGoBench(be, cfg, o)
	if err := b.warmup(); err != nil {
		return err
	}

	var py *torchProc
	if o.python == "" {
		fmt.Println("pytorch: skipped (-python \"\")")
	} else if py, err = startTorch(o); err != nil {
		fmt.Printf("pytorch: skipped (%v)\n", err)
		py = nil
	} else {
		defer py.close()
		fmt.Printf("pytorch: %s\n", py.info)
	}

	var goTrain, goFwd, pyTrain, pyFwd []float64
	for range o.reps {
		t, err := b.trainRep()
		if err != nil {
			return err
		}
		goTrain = append(goTrain, t)
		if py != nil {
			if t, err = py.call("train", o.steps); err != nil {
				return err
			}
			pyTrain = append(pyTrain, t)
		}
		if t, err = b.forwardRep(); err != nil {
			return err
		}
		goFwd = append(goFwd, t)
		if py != nil {
			if t, err = py.call("forward", 1); err != nil {
				return err
			}
			pyFwd = append(pyFwd, t)
		}
	}
	report := func(who string, train, fwd []float64) {
		st := median(train)
		fmt.Printf("%-7s train step (CFM, CondOT sigma_min=%g, batch %d, Adam): %.2f ms/step  %.1f steps/s  %.0f samples/s  [min %.2f max %.2f ms]\n",
			who, sigmaMin, o.batch, 1e3*st, 1/st, float64(o.batch)/st, 1e3*slices.Min(train), 1e3*slices.Max(train))
		fmt.Printf("%-7s forward pass on %d 2D points: %.2f ms  [min %.2f max %.2f ms]\n",
			who, o.points, 1e3*median(fwd), 1e3*slices.Min(fwd), 1e3*slices.Max(fwd))
	}
	fmt.Printf("medians over %d repetitions (train: %d steps per repetition)\n", o.reps, o.steps)
	report("go", goTrain, goFwd)
	if py != nil {
		report("pytorch", pyTrain, pyFwd)
		fmt.Printf("ratio go/pytorch: train step %.2fx, forward %.2fx (>1: Go slower)\n",
			median(goTrain)/median(pyTrain), median(goFwd)/median(pyFwd))
	}

	if o.solve {
		if err := solveBench(be, b.store, cfg, o, median(goFwd)); err != nil {
			return err
		}
	}

	if o.profTrain != "" {
		if err := profile(o.profTrain, func() error { _, err := b.trainRep(); return err }); err != nil {
			return err
		}
		fmt.Printf("cpu profile of training steps: %s\n", o.profTrain)
	}
	if o.profForward != "" {
		if err := profile(o.profForward, func() error { _, err := b.forwardRep(); return err }); err != nil {
			return err
		}
		fmt.Printf("cpu profile of forward passes: %s\n", o.profForward)
	}
	return nil
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

// goBench holds the compiled Go graphs.
type goBench struct {
	o       options
	store   *model.Store
	trainer *objective.Trainer
	fwd     *model.Exec
	data    []float32 // a pool of 2D data points to draw batches from
	rng     *rand.Rand
	x       *tensors.Tensor // forward-pass input [points, 2]
}

func newGoBench(be compute.Backend, cfg models.MLPConfig, o options) *goBench {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		panic(err)
	}
	path, err := probpath.New(schedule.CondOT{SigmaMin: sigmaMin})
	if err != nil {
		panic(err)
	}
	net := func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return models.MLP(scope.At("mlp"), x, t, cfg)
	}
	tr, err := objective.NewTrainer(be, store, objective.Config{Kind: objective.CFM, Path: path, Net: net})
	if err != nil {
		panic(err)
	}
	fwd, err := model.NewExec(be, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return net(scope, x, t)
	})
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	// Data pool: two Gaussian blobs at (+-2, 0), std 0.2.
	pool := make([]float32, 2*4096)
	for i := 0; i < len(pool); i += 2 {
		c := float32(-2)
		if (i/2)%2 == 1 {
			c = 2
		}
		pool[i] = c + 0.2*float32(rng.NormFloat64())
		pool[i+1] = 0.2 * float32(rng.NormFloat64())
	}
	xs := make([]float32, 2*o.points)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	return &goBench{o: o, store: store, trainer: tr, fwd: fwd, data: pool, rng: rng,
		x: tensors.FromFlatDataAndDimensions(xs, o.points, 2)}
}

func (b *goBench) batch() *tensors.Tensor {
	flat := make([]float32, 2*b.o.batch)
	n := len(b.data) / 2
	for i := range b.o.batch {
		k := b.rng.IntN(n)
		flat[2*i], flat[2*i+1] = b.data[2*k], b.data[2*k+1]
	}
	return tensors.FromFlatDataAndDimensions(flat, b.o.batch, 2)
}

// warmup compiles both graphs and runs a few calls.
func (b *goBench) warmup() error {
	for range 5 {
		if _, err := b.trainer.Step(b.batch()); err != nil {
			return err
		}
	}
	for range 2 {
		if _, err := b.forwardRep(); err != nil {
			return err
		}
	}
	return nil
}

// trainRep returns the mean seconds per step over o.steps steps.
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
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	info string
	file string
}

func startTorch(o options) (*torchProc, error) {
	if _, err := os.Stat(o.python); err != nil {
		return nil, fmt.Errorf("%s not found", o.python)
	}
	if out, err := exec.Command(o.python, "-c", "import torch").CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%s cannot import torch: %s; install Debian's python3-torch to compare", o.python, msg)
	}
	f, err := os.CreateTemp("", "fmbench-torch-*.py")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(torchRef); err != nil {
		return nil, err
	}
	f.Close()
	hidden := []string{"256", "256", "256"}
	cmd := exec.Command(o.python, f.Name(),
		"--batch", strconv.Itoa(o.batch), "--points", strconv.Itoa(o.points),
		"--hidden", strings.Join(hidden, ","), "--act", o.act,
		"--embed", strconv.Itoa(models.DefaultTimeEmbedDim),
		"--min-freq", fmt.Sprint(models.DefaultMinFreq), "--max-freq", fmt.Sprint(models.DefaultMaxFreq),
		"--sigma-min", fmt.Sprint(sigmaMin), "--lr", fmt.Sprint(objective.DefaultLearningRate),
		"--threads", strconv.Itoa(o.threads))
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
		return nil, fmt.Errorf("torch_ref.py did not start")
	}
	line := p.out.Text()
	if !strings.HasPrefix(line, "ready ") {
		p.close()
		return nil, fmt.Errorf("torch_ref.py: unexpected %q", line)
	}
	p.info = strings.TrimPrefix(line, "ready ")
	return p, nil
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

