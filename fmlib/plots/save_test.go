package plots

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofm/gofm/internal/fslimit"
)

// TestSaveKeepsPreviousFile: a save that fails part-way (the file size limit
// stops the write at byte 64, as a full disk would) returns an error and
// leaves the file that was there before byte for byte, with no temporary
// file beside it. The new images are all larger than 64 bytes.
func TestSaveKeepsPreviousFile(t *testing.T) {
	p, err := Scatter(Options{Title: "saved"}, PointSet{Points: gaussCloud(100, 0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	frames := []image.Image{solidNRGBA(30, 30, color.NRGBA{R: 1, A: 255}), solidNRGBA(30, 30, color.NRGBA{G: 2, A: 255})}
	imgs := [][]float64{make([]float64, 28*28)}
	for i := range imgs[0] {
		imgs[0][i] = float64(i%7)/3 - 1
	}
	for _, c := range []struct {
		name string
		save func(path string) error
	}{
		{"SavePNG", func(path string) error { return SavePNG(p, path, 320, 240) }},
		{"SaveGrid", func(path string) error { return SaveGrid(path, 2, 160, 120, p, p) }},
		{"SaveImages", func(path string) error { return SaveImages(path, imgs, 28, 28, 1, 1, GridOptions{}) }},
		{"SaveAPNG", func(path string) error { return SaveAPNG(path, frames, time.Second, 0) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "plot.png")
			old := []byte("the previous plot")
			if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Fatal(err)
			}
			fslimit.Limit(t, 64)
			if err := c.save(path); err == nil {
				t.Fatal("a save past the file size limit returned no error")
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, old) {
				t.Errorf("after the failed save the file holds %d bytes (%v), want the previous %d", len(got), err, len(old))
			}
			if es, _ := os.ReadDir(dir); len(es) != 1 {
				t.Errorf("the folder holds %d entries, want only plot.png", len(es))
			}
		})
	}
}
