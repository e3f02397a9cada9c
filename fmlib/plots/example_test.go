package plots_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gofm/gofm/fmlib/plots"
)

// A log-log plot of global error against step size for methods of order 1,
// 2 and 4, saved as a PNG file.
func Example() {
	hs := []float64{0.1, 0.05, 0.025, 0.0125}
	var series []plots.Series
	for _, p := range []float64{1, 2, 4} {
		s := plots.Series{Name: fmt.Sprintf("order %g", p), X: hs}
		for _, h := range hs {
			s.Y = append(s.Y, math.Pow(h, p))
		}
		series = append(series, s)
	}
	p, err := plots.Lines(plots.Options{Title: "global error", XLabel: "step size h", YLabel: "error",
		LogX: true, LogY: true, Markers: true}, series...)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "plots-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "error.png")
	if err := plots.SavePNG(p, path, 600, 400); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ok: %d x %d\n", cfg.Width, cfg.Height)
	// Output: ok: 600 x 400
}

// Bad input gives an error that says what to fix.
func ExampleLines_mismatch() {
	_, err := plots.Lines(plots.Options{}, plots.Series{Name: "loss", X: []float64{1, 2, 3}, Y: []float64{1, 2}})
	fmt.Println(err)
	// Output: plots.Lines: series 0 ("loss") has len(X) = 3 but len(Y) = 2; they must match
}

// Three solid frames as an animated PNG, each shown for 0.2 s and the last
// for 1 s, looping forever. A plain PNG decoder sees the first frame; the
// acTL chunk after the header holds the frame count.
func ExampleAPNG() {
	var frames []image.Image
	for _, c := range []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}} {
		m := image.NewRGBA(image.Rect(0, 0, 4, 4))
		for i := 0; i < len(m.Pix); i += 4 {
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
		}
		frames = append(frames, m)
	}
	b, err := plots.APNG(frames, 200*time.Millisecond, 0, plots.HoldLast(time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	img, _ := png.Decode(bytes.NewReader(b))
	actl := b[bytes.Index(b, []byte("acTL"))+4:]
	fmt.Println("first frame:", img.At(0, 0), "frames:", binary.BigEndian.Uint32(actl))

	_, err = plots.APNG(frames, 0, 0)
	fmt.Println(err)
	// Output:
	// first frame: {255 0 0 255} frames: 3
	// plots.APNG: frame 0: delay 0s is too short: need at least 1ms (e.g. 100*time.Millisecond for 10 frames per second)
}

// Two 2 x 2 grey images in data scale [-1, 1] side by side, each pixel
// drawn 2 x 2 with 1 pixel gaps: 2*4 + 3*1 = 11 by 4 + 2*1 = 6 pixels.
// -1 is black, 0 mid grey, 1 white; 1.5 is clipped to white.
func ExampleImageGrid() {
	imgs := [][]float64{
		{-1, 0, 1, 1.5}, // rows (-1, 0) and (1, 1.5)
		{1, 1, -1, -1},
	}
	g, err := plots.ImageGrid(imgs, 2, 2, 1, 2, plots.GridOptions{Scale: 2, Pad: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("size:", g.Bounds().Size())
	fmt.Println("gap:", g.At(0, 0))
	fmt.Println("tile 0:", g.At(1, 1), g.At(3, 1), g.At(4, 4)) // values -1, 0, 1.5
	fmt.Println("tile 1:", g.At(6, 1), g.At(6, 3))             // values 1, -1

	_, err = plots.ImageGrid([][]float64{{0, 0, 0}}, 2, 2, 1, 2, plots.GridOptions{})
	fmt.Println(err)
	// Output:
	// size: (11,6)
	// gap: {255 255 255 255}
	// tile 0: {0 0 0 255} {128 128 128 255} {255 255 255 255}
	// tile 1: {255 255 255 255} {0 0 0 255}
	// plots.ImageGrid: image 0 has 3 values, expected height*width*channels = 2*2*1 = 4 (flattened channels-last (H, W, C))
}
