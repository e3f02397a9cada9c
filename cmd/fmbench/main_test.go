package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		nets    []string
		hidden  []int
		device  string
		steps   int
		solve   int    // -solve-reps after parsing
		wantErr string // substring; "" = success
	}{
		{name: "defaults: the CPU benchmark as before", nets: []string{"mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 20, solve: defaultSolveReps},
		{name: "the GPU run of issue #8", args: []string{"-device", "cuda", "-net", "mlp,unet", "-hidden", "128,128,128"},
			nets: []string{"mlp", "unet"}, hidden: []int{128, 128, 128}, device: "cuda", steps: 20, solve: defaultSolveReps},
		{name: "spaces, case and repeats", args: []string{"-net", " UNet , mlp,unet"}, nets: []string{"unet", "mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 20, solve: defaultSolveReps},
		// -quick wins over the flags it sets: 3 steps, one solve.
		{name: "quick", args: []string{"-quick", "-steps", "50", "-solve-reps", "5"}, nets: []string{"mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 3, solve: 1},
		{name: "more solves", args: []string{"-solve-reps", "5"}, nets: []string{"mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 20, solve: 5},
		{name: "no solves", args: []string{"-solve-reps", "0"}, wantErr: "-solve-reps"},
		{name: "unknown network", args: []string{"-net", "mlp,resnet"}, wantErr: `unknown network "resnet"`},
		{name: "bad widths", args: []string{"-hidden", "128,x"}, wantErr: "positive integers"},
		{name: "zero width", args: []string{"-hidden", "0"}, wantErr: "positive integers"},
		{name: "unknown device", args: []string{"-device", "tpu"}, wantErr: `use "auto", "cpu" or "cuda"`},
		{name: "no steps", args: []string{"-steps", "0"}, wantErr: "must be >= 1"},
		{name: "profile of two networks", args: []string{"-net", "mlp,unet", "-cpuprofile-train", "p"}, wantErr: "single -net"},
		{name: "stray argument", args: []string{"unet"}, wantErr: "unexpected argument"},
		{name: "unknown flag", args: []string{"-gpu"}, wantErr: "not defined"},
	}
	for _, c := range cases {
		o, err := parseFlags(c.args, io.Discard)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(o.nets, c.nets) || !slices.Equal(o.hidden, c.hidden) || o.device != c.device || o.steps != c.steps || o.solveReps != c.solve {
			t.Errorf("%s: nets %v hidden %v device %q steps %d solve-reps %d; want %v %v %q %d %d",
				c.name, o.nets, o.hidden, o.device, o.steps, o.solveReps, c.nets, c.hidden, c.device, c.steps, c.solve)
		}
	}
}

func TestBackendFor(t *testing.T) {
	cases := []struct {
		device, current string
		tf32            bool
		want, wantErr   string
	}{
		{"auto", "", true, "", ""},                 // fmlib/backend decides
		{"cpu", "", true, "go", ""},                // CPU: the pure-Go backend
		{"cpu", "go:ops_sequential", true, "", ""}, // the user's Go configuration stays
		{"cpu", "xla:cuda", true, "", "names a CUDA plugin"},
		{"cuda", "", true, "xla:cuda", ""},
		{"cuda", "", false, "xla:cuda,tf32=false", ""},
		{"cuda", "xla:/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so", true, "", ""}, // the user's plugin stays
		{"cuda", "go", true, "", "chooses another backend"},
	}
	for _, c := range cases {
		got, err := backendFor(c.device, c.current, c.tf32)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s with %q: error %v, want %q", c.device, c.current, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s with %q (tf32 %v): %q, %v; want %q", c.device, c.current, c.tf32, got, err, c.want)
		}
	}
}

func TestCUDAPluginAndPython(t *testing.T) {
	plugins := []struct {
		sel  backend.Selection
		want string
	}{
		{backend.Selection{Name: "go", Config: "ops_sequential"}, ""},
		{backend.Selection{Name: "xla", Config: "/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so,tf32=false,preallocate=false"}, "/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so"},
		{backend.Selection{Name: "xla", Config: "/usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so"}, ""}, // XLA on the CPU: PyTorch on the CPU
	}
	for _, c := range plugins {
		if got := cudaPlugin(c.sel); got != c.want {
			t.Errorf("cudaPlugin(%+v) = %q, want %q", c.sel, got, c.want)
		}
	}
	have := map[string]bool{"/opt/torch/.venv/bin/python3": true, "/venv/bin/python3": true, "/home/u/bench/bin/python3": true}
	exists := func(p string) bool { return have[p] }
	pythons := []struct {
		flag, device, pluginPy, venv, bench, want string
	}{
		{"auto", "cuda", "/opt/torch/.venv/bin/python3", "/venv", "/home/u/bench", "/opt/torch/.venv/bin/python3"}, // the plugin's environment first
		{"auto", "cuda", "", "/venv", "/home/u/bench", "/venv/bin/python3"},
		{"auto", "cuda", "", "", "/home/u/bench", "/home/u/bench/bin/python3"}, // then make bench's venv
		{"auto", "cuda", "", "", "", defaultPython},
		{"auto", "cpu", "/opt/torch/.venv/bin/python3", "/venv", "/home/u/bench", "/home/u/bench/bin/python3"}, // on the CPU: make bench's venv,
		{"auto", "cpu", "/opt/torch/.venv/bin/python3", "/venv", "/home/u/none", defaultPython},                // else Debian's torch
		{"/my/python", "cuda", "/opt/torch/.venv/bin/python3", "", "/home/u/bench", "/my/python"},
		{"", "cuda", "/opt/torch/.venv/bin/python3", "", "/home/u/bench", ""}, // "" skips PyTorch
		{"skip: no network", "cpu", "", "", "/home/u/bench", "skip: no network"},
	}
	for _, c := range pythons {
		if got := pythonFor(c.flag, c.device, c.pluginPy, c.venv, c.bench, exists); got != c.want {
			t.Errorf("pythonFor(%q, %q, %q, %q, %q) = %q, want %q", c.flag, c.device, c.pluginPy, c.venv, c.bench, got, c.want)
		}
	}
	venvs := []struct{ env, home, want string }{
		{"/data/venv", "/root", "/data/venv"}, // $GOFM_BENCH_VENV wins, as in scripts/bench-venv.sh
		{"", "/root", "/root/.local/share/gofm/bench-venv"},
		{"", "", ""}, // no home: no bench venv to look for
	}
	for _, c := range venvs {
		if got := benchVenvDir(c.env, c.home); got != c.want {
			t.Errorf("benchVenvDir(%q, %q) = %q, want %q", c.env, c.home, got, c.want)
		}
	}
}

func TestPythonSkip(t *testing.T) {
	cases := []struct{ python, want string }{
		{"/root/.local/share/gofm/bench-venv/bin/python3", ""}, // an interpreter: PyTorch runs
		{"", `-python ""`},
		// What scripts/bench-venv.sh hands over when pip fails.
		{"skip: pip could not install torch==2.11.0 (PyPI unreachable: no network?)", "pip could not install torch==2.11.0 (PyPI unreachable: no network?)"},
		{"skip:", `-python "skip:"`}, // no reason given: name the flag
		{"/opt/skip: odd/python3", ""},
	}
	for _, c := range cases {
		if got := pythonSkip(c.python); got != c.want {
			t.Errorf("pythonSkip(%q) = %q, want %q", c.python, got, c.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	secs := []struct {
		sec  float64
		want string
	}{
		{0.00912, "9.12 ms"}, // the MLP's train step on 2 cores
		{0.0456, "45.6 ms"},
		{0.4567, "457 ms"},
		{0.9996, "1.00 s"}, // would round to "1000 ms"
		{9.3, "9.30 s"},    // a 10k-point solve
		{55.04, "55.0 s"},  // the solve with the old library
		{123.4, "123 s"},
	}
	for _, c := range secs {
		if got := formatSeconds(c.sec); got != c.want {
			t.Errorf("formatSeconds(%g) = %q, want %q", c.sec, got, c.want)
		}
	}
	kibs := []struct {
		kib  int64
		want string
	}{
		{69836, "68.2 MiB (72 MB)"},         // the MLP run
		{976562, "953.7 MiB (1000 MB)"},     // 1 GB exactly: the U-Net target
		{1 << 20, "1.00 GiB (1.07 GB)"},     // from 1 GiB on: GiB
		{3 * 1 << 20, "3.00 GiB (3.22 GB)"}, // 3 GiB
		{512, "0.5 MiB (1 MB)"},             // tiny: still MiB
		{1<<20 - 1, "1024.0 MiB (1074 MB)"}, // just below 1 GiB
		{1536 * 1024, "1.50 GiB (1.61 GB)"}, // 1.5 GiB
	}
	for _, c := range kibs {
		if got := formatKiB(c.kib); got != c.want {
			t.Errorf("formatKiB(%d) = %q, want %q", c.kib, got, c.want)
		}
	}
	peaks := []struct {
		kib  int64
		err  error
		nets []string
		want string // substring
	}{
		{69836, nil, nil, "so far: 68.2 MiB (72 MB) (a running maximum"},
		{69836, nil, []string{"mlp", "unet"}, "memory: 68.2 MiB (72 MB) (the whole Go process: both networks, all graphs"},
		{69836, nil, []string{"unet"}, "(the whole Go process: the unet only, all graphs"},
		{0, errors.New("no getrusage"), []string{"mlp"}, "unknown (no getrusage)"},
	}
	for _, c := range peaks {
		if got := peakLine(c.kib, c.err, c.nets); !strings.Contains(got, c.want) {
			t.Errorf("peakLine(%d, %v, %v) = %q, want it to contain %q", c.kib, c.err, c.nets, got, c.want)
		}
	}
	rows := []struct {
		row              benchRow
		goC, pyC, ratioC string
	}{
		{benchRow{goSec: 0.0091, pySec: 0.0075}, "9.10 ms", "7.50 ms", "1.21x"},
		{benchRow{goSec: 1.86, pySec: 2.27, goNFE: 230, pyNFE: 254}, "1.86 s, NFE 230", "2.27 s, NFE 254", "0.82x"},
		{benchRow{goSec: 0.5}, "500 ms", "-", "-"}, // PyTorch skipped
	}
	for _, c := range rows {
		g, p, r := c.row.cells()
		if g != c.goC || p != c.pyC || r != c.ratioC {
			t.Errorf("%+v.cells() = %q, %q, %q; want %q, %q, %q", c.row, g, p, r, c.goC, c.pyC, c.ratioC)
		}
	}
}

func TestParseSolve(t *testing.T) {
	cases := []struct {
		line    string
		want    torchSolve
		wantErr string
	}{
		// 254 = 2 (k1 and the initial-step probe) + 6 * (37 + 5) steps.
		{"2.269600000 254 37 5", torchSolve{sec: 2.2696, nfe: 254, accepted: 37, rejected: 5}, ""},
		{"0.5 253 37 5", torchSolve{}, "want 2 + 6 per step"}, // a count that is not fmlib/ode's
		{"2.2696", torchSolve{}, "bad answer"},                // the answer to train/forward
		{"error: unknown request 'solve 1' for --net unet", torchSolve{}, "bad answer"},
		{"nan 8 1 0", torchSolve{}, "bad answer"},
		{"0.1 8 -1 2", torchSolve{}, "bad answer"},
	}
	for _, c := range cases {
		got, err := parseSolve(c.line)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseSolve(%q): error %v, want one containing %q", c.line, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseSolve(%q) = %+v, %v; want %+v", c.line, got, err, c.want)
		}
	}
}

func TestParseReady(t *testing.T) {
	cases := []struct {
		line    string
		params  int
		info    string
		wantErr bool
	}{
		{"ready 41858 torch 1.13 on cpu, 2 threads", 41858, "torch 1.13 on cpu, 2 threads", false},
		{"ready torch 1.13", 0, "", true}, // the old protocol: no count
		{"Traceback (most recent call last):", 0, "", true},
	}
	for _, c := range cases {
		p, info, err := parseReady(c.line)
		if (err != nil) != c.wantErr || p != c.params || info != c.info {
			t.Errorf("parseReady(%q) = %d, %q, %v", c.line, p, info, err)
		}
	}
}

func TestTorchArgs(t *testing.T) {
	o, err := parseFlags([]string{"-net", "mlp,unet", "-hidden", "128,128,128", "-tf32=false", "-unet-batch", "32"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	mlpCfg := models.MLPConfig{Hidden: o.hidden, Activation: o.act}
	cases := []struct {
		net  string
		want []string // consecutive pairs that must appear
	}{
		{"mlp", []string{"--net mlp", "--hidden 128,128,128", "--batch 256", "--device cuda", "--tf32 0", "--embed 64", "--tol 1e-05"}},
		// The resolved defaults of UNetConfig{28, 28, 1}: patch 2, 32 channels, levels x1 x2, 8 groups, time MLP 4*32.
		{"unet", []string{"--net unet", "--batch 32", "--patch 2", "--base 32", "--mult 1,2", "--groups 8", "--time-hidden 128", "--res-blocks 1"}},
	}
	for _, c := range cases {
		spec, err := newSpec(c.net, mlpCfg, o)
		if err != nil {
			t.Fatal(err)
		}
		line := strings.Join(torchArgs("ref.py", o, spec, "cuda"), " ")
		for _, w := range c.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", c.net, line, w)
			}
		}
	}
}

// testPython returns an interpreter that imports torch (make bench's venv,
// then defaultPython), or skips the test.
func testPython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	home, _ := os.UserHomeDir()
	var tried []string
	for _, p := range []string{pythonFor("auto", "cpu", "", "", benchVenvDir(os.Getenv(benchVenvEnv), home), fileExists), defaultPython} {
		if exec.Command(p, "-c", "import torch").Run() == nil {
			return p
		}
		tried = append(tried, p)
	}
	t.Skipf("no Python with torch (tried %v; scripts/bench-venv.sh makes one)", tried)
	return ""
}

// TestTorchReferenceMatchesGo starts torch_ref.py for both networks (where
// PyTorch is installed) and checks that it builds networks with exactly the
// parameter counts of models.MLP and models.UNet: the cheapest evidence that
// the two sides benchmark the same architecture. It also runs each request
// once: train, and for the MLP forward and solve.
func TestTorchReferenceMatchesGo(t *testing.T) {
	python := testPython(t)
	// Batches of 2 and 100 points: the check is about shapes, not speed.
	o, err := parseFlags([]string{"-net", "mlp,unet", "-hidden", "128,128,128", "-batch", "2", "-unet-batch", "2", "-points", "100"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.python = python
	for _, net := range o.nets {
		spec, err := newSpec(net, models.MLPConfig{Hidden: o.hidden, Activation: o.act}, o)
		if err != nil {
			t.Fatal(err)
		}
		p, err := startTorch(o, spec, "cpu")
		if err != nil {
			t.Fatalf("%s: %v", net, err)
		}
		if p.params != spec.params {
			t.Errorf("%s: PyTorch has %d parameters, Go %d", net, p.params, spec.params)
		}
		if sec, err := p.call("train", 1); err != nil || sec <= 0 {
			t.Errorf("%s: train step: %g s, %v", net, sec, err)
		}
		if net == "mlp" {
			if sec, err := p.call("forward", 1); err != nil || sec <= 0 {
				t.Errorf("%s: forward: %g s, %v", net, sec, err)
			}
			if r, err := p.solve(); err != nil || r.sec <= 0 || r.accepted < 1 {
				t.Errorf("%s: solve: %+v, %v", net, r, err)
			}
		} else if _, err := p.solve(); err == nil || !strings.Contains(err.Error(), "unknown request") {
			t.Errorf("%s: solve: error %v, want torch_ref.py to refuse it (the U-Net has no solve)", net, err)
		}
		p.close()
	}
}

// TestTorchDopri5MatchesGo integrates two closed-form problems with fmlib/ode's
// Dopri5 and torch_ref.py's dopri5 at the benchmark's tolerance and checks
// that both take the same steps (NFE, accepted, rejected) and land on the
// same state: the two sides of the solve benchmark run the same algorithm.
func TestTorchDopri5MatchesGo(t *testing.T) {
	python := testPython(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "torch_ref.py"), torchRef, 0o644); err != nil {
		t.Fatal(err)
	}
	// Start points: 5 rows spread over [-1, 1]^2 (any start away from 0 works).
	x0 := [][]float32{{1, 0}, {0.3, -0.8}, {-0.5, 0.25}, {0.9, 0.9}, {-1, -0.1}}
	cases := []struct {
		name   string
		t0, t1 float64
		goF    func(t *graph.Node, x *graph.Node) *graph.Node
		pyF    string // a Python lambda (t: float, x: tensor [N, 2]) -> tensor
	}{
		// A damped rotation (decay 0.1, angular speed 1), forwards in time.
		{"rotation", 0, 1, func(_ *graph.Node, x *graph.Node) *graph.Node {
			return graph.MatMul(x, graph.Const(x.Graph(), [][]float32{{-0.1, 1}, {-1, -0.1}}))
		}, "lambda t, x: x @ torch.tensor([[-0.1, 1.0], [-1.0, -0.1]])"},
		// x' = cos(10 t) x: a time-dependent field (several step-size changes), backwards in time.
		{"oscillating growth, backwards", 1, 0, func(t *graph.Node, x *graph.Node) *graph.Node {
			return graph.Mul(x, graph.Cos(graph.MulScalar(t, 10)))
		}, "lambda t, x: x * math.cos(10 * t)"},
		// x' = -20 exp(-((t - 0.5) / 0.05)^2) x: a sudden decay around t = 0.5,
		// which the controller meets with rejected steps.
		{"bump, with rejections", 0, 1, func(t *graph.Node, x *graph.Node) *graph.Node {
			bump := graph.Exp(graph.Neg(graph.Square(graph.DivScalar(graph.AddScalar(t, -0.5), 0.05))))
			return graph.Mul(x, graph.MulScalar(bump, -20))
		}, "lambda t, x: x * (-20 * math.exp(-(((t - 0.5) / 0.05) ** 2)))"},
	}
	// One Python process for all cases (starting torch takes seconds): one
	// line per case, "NFE accepted rejected x...".
	script := fmt.Sprintf("import math, sys\nsys.path.insert(0, %q)\nimport torch\nimport torch_ref as R\ntorch.set_num_threads(1)\n", dir)
	for _, c := range cases {
		script += fmt.Sprintf("x, nfe, acc, rej = R.dopri5(%s, torch.tensor(%s), %v, %v, %v, %v)\nprint(nfe, acc, rej, *x.reshape(-1).tolist())\n",
			c.pyF, pyList(x0), c.t0, c.t1, solveTol, solveTol)
	}
	out, err := exec.Command(python, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("torch: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("torch printed %d lines for %d cases:\n%s", len(lines), len(cases), out)
	}
	for k, c := range cases {
		field := func(_ *model.Scope, x []*graph.Node, t *graph.Node, _ []*graph.Node) []*graph.Node {
			return []*graph.Node{c.goF(t, x[0])}
		}
		s, err := ode.New(testbe.Go(t), nil, field, ode.Options{Method: ode.Dopri5, Atol: solveTol, Rtol: solveTol})
		if err != nil {
			t.Fatal(err)
		}
		sol, err := s.Solve(c.t0, c.t1, []*tensors.Tensor{tensors.FromValue(x0)})
		if err != nil {
			t.Fatalf("%s: go: %v", c.name, err)
		}
		goX, err := tensors.CopyFlatData[float32](sol.X[0])
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(lines[k])
		if len(f) != 3+len(goX) {
			t.Fatalf("%s: torch printed %q", c.name, lines[k])
		}
		got := fmt.Sprintf("NFE %s, %s accepted, %s rejected", f[0], f[1], f[2])
		want := fmt.Sprintf("NFE %d, %d accepted, %d rejected", sol.Stats.NFE, sol.Stats.Accepted, sol.Stats.Rejected)
		if got != want {
			t.Errorf("%s: torch %s; go %s", c.name, got, want)
		} else {
			t.Logf("%s: both %s", c.name, got)
		}
		for i, g := range goX {
			v, err := strconv.ParseFloat(f[3+i], 64)
			// 1e-5, the solve's tolerance: with the same steps the two states
			// differ by float32 rounding only (order 1e-7 on values of order 1).
			if err != nil || math.Abs(v-float64(g)) > 1e-5 {
				t.Errorf("%s: x[%d]: torch %s, go %g", c.name, i, f[3+i], g)
			}
		}
	}
}

func pyList(x [][]float32) string {
	rows := make([]string, len(x))
	for i, r := range x {
		rows[i] = fmt.Sprintf("[%g, %g]", r[0], r[1])
	}
	return "[" + strings.Join(rows, ", ") + "]"
}
