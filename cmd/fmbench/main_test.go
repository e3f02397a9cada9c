package main

import (
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/models"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		nets    []string
		hidden  []int
		device  string
		steps   int
		wantErr string // substring; "" = success
	}{
		{name: "defaults: the CPU benchmark as before", nets: []string{"mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 20},
		{name: "the GPU run of issue #8", args: []string{"-device", "cuda", "-net", "mlp,unet", "-hidden", "128,128,128"},
			nets: []string{"mlp", "unet"}, hidden: []int{128, 128, 128}, device: "cuda", steps: 20},
		{name: "spaces, case and repeats", args: []string{"-net", " UNet , mlp,unet"}, nets: []string{"unet", "mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 20},
		{name: "quick", args: []string{"-quick", "-steps", "50"}, nets: []string{"mlp"}, hidden: []int{256, 256, 256}, device: "auto", steps: 3},
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
		if !slices.Equal(o.nets, c.nets) || !slices.Equal(o.hidden, c.hidden) || o.device != c.device || o.steps != c.steps {
			t.Errorf("%s: nets %v hidden %v device %q steps %d; want %v %v %q %d", c.name, o.nets, o.hidden, o.device, o.steps, c.nets, c.hidden, c.device, c.steps)
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
	have := map[string]bool{"/opt/torch/.venv/bin/python3": true, "/venv/bin/python3": true}
	exists := func(p string) bool { return have[p] }
	pythons := []struct {
		flag, device, pluginPy, venv, want string
	}{
		{"auto", "cuda", "/opt/torch/.venv/bin/python3", "/venv", "/opt/torch/.venv/bin/python3"}, // the plugin's environment first
		{"auto", "cuda", "", "/venv", "/venv/bin/python3"},
		{"auto", "cuda", "", "", defaultPython},
		{"auto", "cpu", "/opt/torch/.venv/bin/python3", "/venv", defaultPython}, // Debian's torch on the CPU, as before
		{"/my/python", "cuda", "/opt/torch/.venv/bin/python3", "", "/my/python"},
		{"", "cuda", "/opt/torch/.venv/bin/python3", "", ""}, // "" skips PyTorch
	}
	for _, c := range pythons {
		if got := pythonFor(c.flag, c.device, c.pluginPy, c.venv, exists); got != c.want {
			t.Errorf("pythonFor(%q, %q, %q, %q) = %q, want %q", c.flag, c.device, c.pluginPy, c.venv, got, c.want)
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
		{"mlp", []string{"--net mlp", "--hidden 128,128,128", "--batch 256", "--device cuda", "--tf32 0", "--embed 64"}},
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

// TestTorchReferenceMatchesGo starts torch_ref.py for both networks (where
// PyTorch is installed) and checks that it builds networks with exactly the
// parameter counts of models.MLP and models.UNet: the cheapest evidence that
// the two sides benchmark the same architecture.
func TestTorchReferenceMatchesGo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	if err := exec.Command(defaultPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch", defaultPython)
	}
	// Batches of 2 and 100 points: the check is about shapes, not speed.
	o, err := parseFlags([]string{"-net", "mlp,unet", "-hidden", "128,128,128", "-batch", "2", "-unet-batch", "2", "-points", "100"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.python = defaultPython
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
		p.close()
	}
}
