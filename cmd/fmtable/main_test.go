package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
