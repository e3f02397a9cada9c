package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/table"
)

// TestUsage covers the exits that run nothing: help, bad flags and
// arguments, an unknown scale, cifar10's explanation, and -record without a
// finished run (it must say how to make one, and write nothing).
func TestUsage(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"help", []string{"-help"}, 0, "-record"},
		{"help on resuming", []string{"-help"}, 0, "-resume"},
		{"record and resume", []string{"-out", dir, "-record", rec, "-resume", dir}, 2, "give one of them"},
		{"resume from nothing", []string{"-scale", "2d-quick", "-out", dir, "-resume", filepath.Join(dir, "none")}, 1, "do not exist"},
		{"bad flag", []string{"-nope"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"mnist"}, 2, "unexpected arguments: mnist"},
		{"unknown scale", []string{"-scale", "huge"}, 2, "unknown scale"},
		{"cifar10", []string{"-scale", "cifar10"}, 2, "GPU"},
		{"record without results", []string{"-scale", "mnist", "-out", dir, "-record", rec}, 1, "make table"},
		{"list", []string{"-list"}, 0, "mnist-quick"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		all := out.String() + errb.String()
		if code != tc.code || !strings.Contains(all, tc.want) {
			t.Errorf("%s: exit %d, want %d; output lacks %q:\n%s", tc.name, code, tc.code, tc.want, all)
		}
	}
	if _, err := os.Stat(rec); !os.IsNotExist(err) {
		t.Errorf("-record without results created %s (%v)", rec, err)
	}
}

// fakePartial writes a partial results file of the 2d-quick scale to dir
// with the first n of its models finished (made-up numbers: -record copies
// them, it does not judge them) and returns it.
func fakePartial(t *testing.T, dir string, n int) *table.Results {
	t.Helper()
	s, err := table.ScaleByName("2d-quick")
	if err != nil {
		t.Fatal(err)
	}
	r := &table.Results{Format: table.Format, Scale: s}
	for i, id := range table.Models(s) {
		if i >= n {
			r.Pending = append(r.Pending, id)
			continue
		}
		m, _ := table.MethodByKey(id.Method)
		sr := table.SeedResult{Seed: id.Seed, NFE: 100, NLL: 2}
		for _, nfe := range s.Fixed.NFE {
			sr.Fixed = append(sr.Fixed, table.FixedSeed{NFE: nfe, Quality: 0.1, Error: 0.1})
		}
		r.Rows = append(r.Rows, table.Row{Data: id.Data, Method: m, Seeds: []table.SeedResult{sr}})
	}
	r.Claims = table.Claims(r)
	if err := r.Write(table.ResultsPath(dir, s.Name)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRecordPartial: -record keeps a partial run as it is and says so; it
// refuses one whose FM w/ OT is finished without a checkpoint to take its
// weights from while 2-RF, which trains on them, is still to run.
func TestRecordPartial(t *testing.T) {
	for _, tc := range []struct {
		name string
		done int // models finished, of 2d-quick's 6 (ddpm, sm, fm-diff, fm-ot, ot-cfm, 2-rf)
		code int
		want string
	}{
		{"one model", 1, 0, "Partial run: 1 of 6 models finished; still to run: Score Matching on 8gaussians, seed 1"},
		{"FM w/ OT without checkpoint", 4, 1, "cannot record the weights of FM w/ OT on 8gaussians, seed 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rec := t.TempDir(), filepath.Join(t.TempDir(), "rec")
			fakePartial(t, out, tc.done)
			var stdout, stderr bytes.Buffer
			code := run([]string{"-scale", "2d-quick", "-out", out, "-record", rec}, &stdout, &stderr)
			all := stdout.String() + stderr.String()
			if code != tc.code || !strings.Contains(all, tc.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s", code, tc.code, tc.want, all)
			}
			back, err := table.Read(table.ResultsPath(rec, "2d-quick"))
			if tc.code != 0 {
				if err == nil {
					t.Error("a failed -record wrote the results")
				}
				return
			}
			if err != nil || back.Complete() || len(back.Pending) != 6-tc.done {
				t.Fatalf("the recorded copy: %v, pending %v", err, back.Pending)
			}
			if md, err := os.ReadFile(table.MarkdownPath(rec, "2d-quick")); err != nil || !strings.HasPrefix(string(md), "**"+tc.want) {
				t.Errorf("the recorded report does not open with the partial-run line (%v):\n%s", err, md)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-scale", "mnist", "-out", "out/table"}, "fmtable -scale mnist -out out/table"},
		{[]string{"-out", "my runs", "-resume", ""}, `fmtable -out "my runs" -resume ""`},
	} {
		if got := command(tc.args); got != tc.want {
			t.Errorf("command(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}
