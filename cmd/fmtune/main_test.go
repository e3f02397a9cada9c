package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every variant is a valid set-up that differs from the preset (except base).
func TestVariantsAreValid(t *testing.T) {
	base, err := config(variants[0])
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range variants {
		c, err := config(v)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if seen[c.ID()] {
			t.Errorf("%s: the same set-up as another variant", v.name)
		}
		seen[c.ID()] = true
		if v.name != "base" && c.String() == base.String() && c.UNet.Attention == base.UNet.Attention && c.UNet.BaseChannels == base.UNet.BaseChannels {
			t.Errorf("%s changes nothing visible", v.name)
		}
	}
}

// The variants that change only the learning rate or the time sampling
// share the base's timing; the ones that change the network or the batch
// are timed on their own.
func TestCostKey(t *testing.T) {
	shared := map[string]bool{"base": true, "lr-1e-3": true, "lr-4e-3": true, "logit-normal": true}
	base, err := config(variants[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants {
		c, err := config(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := costKey(c) == costKey(base); got != shared[v.name] {
			t.Errorf("%s: same cost as base = %v, want %v", v.name, got, shared[v.name])
		}
	}
}

func TestPick(t *testing.T) {
	all, err := pick("")
	if err != nil || len(all) != len(variants) {
		t.Fatalf("pick(\"\") = %d variants, %v", len(all), err)
	}
	two, err := pick("wide, base")
	if err != nil || len(two) != 2 || two[0].name != "wide" || two[1].name != "base" {
		t.Fatalf("pick(\"wide, base\") = %v, %v", two, err)
	}
	if _, err := pick("base,huge"); err == nil || !strings.Contains(err.Error(), "choose from") {
		t.Errorf("unknown variant: err = %v", err)
	}
}

func TestStepsFor(t *testing.T) {
	for _, c := range []struct {
		budget time.Duration
		sec    float64
		want   int64
	}{{10 * time.Minute, 0.3, 2000}, {time.Minute, 0.7, 85}, {time.Second, 5, 1}} {
		if got := stepsFor(c.budget, c.sec); got != c.want {
			t.Errorf("stepsFor(%v, %g) = %d, want %d", c.budget, c.sec, got, c.want)
		}
	}
}

func TestMarkdownBestFirst(t *testing.T) {
	md := markdown([]result{{Variant: "a", FID: 30, Floor: 10}, {Variant: "b", FID: 20, Floor: 10}})
	if strings.Index(md, "| b |") > strings.Index(md, "| a |") || !strings.Contains(md, "| 2.00 |") {
		t.Errorf("table not sorted best first or ratio missing:\n%s", md)
	}
}

// A variant with a result.json is neither trained nor scored again (tune
// returns before touching the backend, which is nil here).
func TestFinishedVariantIsSkipped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "result.json"), []byte(`{"variant":"base","fid_mnist":12,"fid_floor":6}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tune(context.Background(), nil, variants[0], time.Minute, 100, dir, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "done before") {
		t.Errorf("output %q", out.String())
	}
}

func TestBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"-variants", "nope"}, {"-budget", "10s"}, {"-n", "5"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
	if code := run([]string{"-list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "logit-normal") {
		t.Errorf("-list: exit %d, output %q", code, out.String())
	}
}
