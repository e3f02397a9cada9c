package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestLogoUpToDate checks that the committed logo files are what the drawing makes:
// an edit to the drawing without `go run ./kernel/logo -out kernel/logo` fails here.
func TestLogoUpToDate(t *testing.T) {
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"logo-svg.svg", "logo-32x32.png", "logo-64x64.png"} {
		want, ok := files[name]
		if !ok {
			t.Errorf("render made no %s", name)
			continue
		}
		got, err := os.ReadFile(filepath.Join(".", name))
		if err != nil {
			t.Errorf("%v: run go run ./kernel/logo -out kernel/logo", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the drawing in main.go: run go run ./kernel/logo -out kernel/logo", name)
		}
	}
	if len(files) != 3 {
		t.Errorf("render made %d files, want the 3 a kernelspec uses", len(files))
	}
}
