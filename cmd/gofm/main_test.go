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
		"sample": {"-preset", "-dir", "-n", "-solver", "-nfe", "-tol", "-out", "-csv", "-pretrained", "-raw", "-label", "-guidance"},
		"export": {"-dir", "-name", "-out", "-command", "-n", "-classifier", "-replace"},
		"eval":   {"-preset", "-dir", "-n", "-nll-points", "-k", "-tol", "-eval-seed", "-classifier", "-label", "-guidance"},
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

// A class-conditional preset end to end: train, sample one class with
// guidance and every class in turn, evaluate one class; and every bad
// -label or -guidance is an error that says what to do.
func TestConditional(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cond")
	code, out, errOut := runCmd(t, "train", "-preset", "8gaussians-cond", "-dir", dir, "-hidden", "16,16", "-batch", "64", "-steps", "20")
	if code != 0 || !strings.Contains(out, "conditional on 8 classes (label dropout 0.1)") {
		t.Fatalf("train: code %d\n%s\n%s", code, out, errOut)
	}
	png := filepath.Join(t.TempDir(), "s.png")
	code, out, errOut = runCmd(t, "sample", "-dir", dir, "-n", "40", "-solver", "midpoint", "-nfe", "4", "-label", "3", "-guidance", "2", "-out", png)
	if code != 0 || !strings.Contains(out, "label 3, guidance 2") {
		t.Fatalf("sample -label 3 -guidance 2: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "sample", "-dir", dir, "-n", "40", "-solver", "euler", "-nfe", "2", "-label", "all", "-out", png)
	if code != 0 || !strings.Contains(out, "every class in turn") {
		t.Fatalf("sample -label all: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "eval", "-dir", dir, "-n", "50", "-nll-points", "10", "-tol", "1e-3", "-label", "5")
	if code != 0 || !strings.Contains(out, "label 5, guidance 0 (against held-out data of the class)") {
		t.Fatalf("eval -label 5: code %d\n%s\n%s", code, out, errOut)
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if code, out, errOut := runCmd(t, "train", "-preset", "moons", "-dir", plain, "-hidden", "8", "-steps", "2", "-no-images"); code != 0 {
		t.Fatalf("train moons: code %d\n%s\n%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sample", "-dir", plain, "-label", "1"}, "moons is unconditional: train a conditional preset (gofm train -preset mnist-cond"},
		{[]string{"eval", "-dir", plain, "-label", "1", "-guidance", "1"}, "moons is unconditional"},
		{[]string{"sample", "-dir", dir, "-label", "8", "-guidance", "1"}, ""}, // the null label: allowed
		{[]string{"sample", "-dir", dir, "-label", "9"}, "label 9 is outside the model's classes; use 0 to 7"},
		{[]string{"sample", "-dir", dir, "-label", "-1"}, "label -1 is outside"},
		{[]string{"sample", "-dir", dir, "-label", "seven"}, `-label "seven": give a class 0 to 7`},
		{[]string{"sample", "-dir", dir, "-label", "3", "-guidance", "-1"}, "-guidance -1: give a finite scale w >= 0"},
		{[]string{"sample", "-dir", dir, "-label", "3", "-guidance", "NaN"}, "-guidance NaN: give a finite scale w >= 0"},
		{[]string{"sample", "-dir", dir, "-guidance", "2"}, "give the class with -label too"},
		{[]string{"eval", "-dir", dir, "-label", "all"}, "give one class"},
	} {
		args := append(c.args, "-n", "10", "-out", png)
		if c.args[0] == "eval" {
			args = append(c.args, "-n", "10", "-nll-points", "2", "-tol", "1e-2")
		}
		code, _, errOut := runCmd(t, args...)
		if c.want == "" {
			if code != 0 {
				t.Errorf("%v: code %d, stderr %q", c.args, code, errOut)
			}
			continue
		}
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, stderr %q; want code 1 and %q", c.args, code, errOut, c.want)
		}
	}
}
