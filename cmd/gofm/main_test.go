package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndUsage(t *testing.T) {
	if code, out, _ := runCmd(t, "help"); code != 0 || !strings.Contains(out, "train") || !strings.Contains(out, "eval") {
		t.Errorf("help: code %d, output %q", code, out)
	}
	if code, _, errOut := runCmd(t, "fly"); code != 2 || !strings.Contains(errOut, `unknown command "fly"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, errOut)
	}
	// Every command documents each of its flags.
	for cmd, flags := range map[string][]string{
		"train":  {"-preset", "-dir", "-steps", "-batch", "-lr", "-seed", "-quick", "-objective", "-path", "-coupling", "-hidden", "-no-images"},
		"sample": {"-preset", "-dir", "-n", "-solver", "-nfe", "-tol", "-out", "-csv", "-pretrained", "-raw"},
		"export": {"-dir", "-name", "-out", "-command", "-n", "-classifier", "-replace"},
		"eval":   {"-preset", "-dir", "-n", "-nll-points", "-k", "-tol", "-eval-seed", "-classifier"},
	} {
		code, _, errOut := runCmd(t, cmd, "-help")
		if code != 0 {
			t.Errorf("%s -help: code %d", cmd, code)
		}
		for _, f := range flags {
			if !strings.Contains(errOut, "  "+f+" ") && !strings.Contains(errOut, "  "+f+"\n") {
				t.Errorf("%s -help does not document %s:\n%s", cmd, f, errOut)
			}
		}
	}
	if code, _, errOut := runCmd(t, "train", "-preset", "nope"); code != 1 || !strings.Contains(errOut, "unknown preset") {
		t.Errorf("bad preset: code %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "train", "-bogus"); code != 2 {
		t.Errorf("bad flag: code %d, want 2", code)
	}
	if code, _, errOut := runCmd(t, "sample", "-dir", t.TempDir()); code != 1 || !strings.Contains(errOut, "no run.json") {
		t.Errorf("sample from an empty dir: code %d, stderr %q", code, errOut)
	}
}

// End to end on a tiny model: train, resume to more steps, sample, evaluate.
func TestTrainSampleEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	base := []string{"-preset", "moons", "-dir", dir, "-hidden", "16,16", "-batch", "64"}
	code, out, errOut := runCmd(t, append([]string{"train", "-steps", "20"}, base...)...)
	if code != 0 {
		t.Fatalf("train: code %d\n%s\n%s", code, out, errOut)
	}
	for _, f := range []string{"loss.png", "samples.png", "run.json", "history.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("train did not write %s: %v", f, err)
		}
	}
	code, out, errOut = runCmd(t, append([]string{"train", "-steps", "30", "-no-images"}, base...)...)
	if code != 0 || !strings.Contains(out, "resuming from") || !strings.Contains(out, "steps 20-30") {
		t.Fatalf("resume: code %d\n%s\n%s", code, out, errOut)
	}
	png, csv := filepath.Join(t.TempDir(), "s.png"), filepath.Join(t.TempDir(), "s.csv")
	code, out, errOut = runCmd(t, "sample", "-dir", dir, "-n", "50", "-solver", "midpoint", "-nfe", "8", "-out", png, "-csv", csv)
	if code != 0 || !strings.Contains(out, "NFE 8") {
		t.Fatalf("sample: code %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(csv)
	if err != nil || strings.Count(string(b), "\n") != 50 {
		t.Errorf("csv: %v, %d lines, want 50", err, strings.Count(string(b), "\n"))
	}
	if code, _, errOut := runCmd(t, "sample", "-dir", dir, "-solver", "rk4", "-nfe", "6"); code != 1 || !strings.Contains(errOut, "multiple of 4") {
		t.Errorf("bad -nfe: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "sample", "-dir", dir, "-solver", "rk45"); code != 1 || !strings.Contains(errOut, "euler, midpoint, heun, rk4, dopri5") {
		t.Errorf("unknown -solver: code %d, stderr %q, want the valid names", code, errOut)
	}
	exp := t.TempDir()
	code, out, errOut = runCmd(t, "export", "-dir", dir, "-out", exp, "-name", "tiny")
	if code != 0 || !strings.Contains(out, "raw weights of 30 steps") {
		t.Fatalf("export: code %d\n%s\n%s", code, out, errOut)
	}
	for _, f := range []string{"tiny.json", "tiny.weights"} {
		if _, err := os.Stat(filepath.Join(exp, f)); err != nil {
			t.Errorf("export did not write %s: %v", f, err)
		}
	}
	if code, _, errOut := runCmd(t, "export", "-dir", dir, "-out", exp, "-name", "tiny"); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("export over an export: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "sample", "-pretrained", "no-such-model"); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("unknown -pretrained: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "sample", "-pretrained", "mnist-unet", "-dir", dir); code != 1 || !strings.Contains(errOut, "leave out -dir") {
		t.Errorf("-pretrained with -dir: code %d, stderr %q", code, errOut)
	}
	code, out, errOut = runCmd(t, "eval", "-dir", dir, "-n", "100", "-nll-points", "20", "-tol", "1e-3")
	if code != 0 || !strings.Contains(out, "at step 30") || !strings.Contains(out, "energy distance") || !strings.Contains(out, "nats") {
		t.Fatalf("eval: code %d\n%s\n%s", code, out, errOut)
	}
}
