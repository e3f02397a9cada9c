package plots_test

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"

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
