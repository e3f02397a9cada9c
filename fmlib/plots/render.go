package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"os"
	"path/filepath"

	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution used for all images: sizes are given in pixels and
// fonts in points, 1 point = dpi/72 pixels.
const dpi = 96

// maxPixels bounds the image size (per side) to catch unit mix-ups such as
// passing inches or points as pixels to a very large value.
const maxPixels = 20000

func checkSize(fn string, w, h int) error {
	if w < 50 || h < 50 || w > maxPixels || h > maxPixels {
		return fmt.Errorf("plots.%s: image size %d x %d pixels: each side must be in [50, %d] (e.g. 600 x 400)", fn, w, h, maxPixels)
	}
	return nil
}

// newCanvas returns an image canvas of exactly w x h pixels.
func newCanvas(w, h int) *vgimg.Canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	stddraw.Draw(img, img.Bounds(), &image.Uniform{C: color.White}, image.Point{}, stddraw.Src)
	return vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))
}

// drawPlot draws p into c, honouring an equal-aspect request. The axis
// ranges of p are restored afterwards, so rendering does not change p.
func drawPlot(p *plot.Plot, c draw.Canvas) (err error) {
	defer func() {
		// gonum/plot panics on some invalid states (e.g. non-positive values
		// on a log axis set up by hand); report them as errors.
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing failed: %v", r)
		}
	}()
	if isEqual(p) {
		x0, x1, y0, y1 := p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
		defer func() { p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1 }()
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = equalRanges(p, c, x0, x1, y0, y1)
	}
	p.Draw(c)
	return nil
}

func encode(c *vgimg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// PNG renders p as a PNG image of widthPx x heightPx pixels.
func PNG(p *plot.Plot, widthPx, heightPx int) ([]byte, error) {
	if p == nil {
		return nil, errors.New("plots.PNG: plot is nil")
	}
	if err := checkSize("PNG", widthPx, heightPx); err != nil {
		return nil, err
	}
	c := newCanvas(widthPx, heightPx)
	if err := drawPlot(p, draw.New(c)); err != nil {
		return nil, err
	}
	return encode(c)
}

// panelGap is the space left on each side of an inner border between grid
// panels.
var panelGap = vg.Points(6)

// Grid renders plots in one PNG, cols panels per row (rows as needed), each
// panel widthPx x heightPx pixels: the image is cols*widthPx wide (fewer
// columns if there are fewer plots) and rows*heightPx high. Nil entries leave
// an empty panel.
func Grid(cols, widthPx, heightPx int, plots ...*plot.Plot) ([]byte, error) {
	if len(plots) == 0 {
		return nil, errors.New("plots.Grid: no plots given")
	}
	if cols < 1 {
		return nil, fmt.Errorf("plots.Grid: cols = %d, need >= 1", cols)
	}
	if err := checkSize("Grid", widthPx, heightPx); err != nil {
		return nil, err
	}
	cols = min(cols, len(plots))
	rows := (len(plots) + cols - 1) / cols
	if cols*widthPx > maxPixels || rows*heightPx > maxPixels {
		return nil, fmt.Errorf("plots.Grid: image of %d x %d pixels is too large (max %d per side)", cols*widthPx, rows*heightPx, maxPixels)
	}
	c := newCanvas(cols*widthPx, rows*heightPx)
	dc := draw.New(c)
	pw := vg.Length(widthPx) * vg.Inch / dpi
	ph := vg.Length(heightPx) * vg.Inch / dpi
	for i, p := range plots {
		if p == nil {
			continue
		}
		col, row := i%cols, i/cols
		sub := draw.Crop(dc, 0, 0, 0, 0)
		sub.Min = vg.Point{X: dc.Min.X + vg.Length(col)*pw, Y: dc.Max.Y - vg.Length(row+1)*ph}
		sub.Max = vg.Point{X: sub.Min.X + pw, Y: sub.Min.Y + ph}
		// A gap between neighbouring panels, so that a colour bar label or
		// legend never touches the next panel's tick labels.
		if col < cols-1 {
			sub.Max.X -= panelGap
		}
		if col > 0 {
			sub.Min.X += panelGap
		}
		if err := drawPlot(p, sub); err != nil {
			return nil, fmt.Errorf("plots.Grid: panel %d: %w", i, err)
		}
	}
	return encode(c)
}

func writeFile(fn, path string, data []byte) error {
	if path == "" {
		return fmt.Errorf("plots.%s: empty file path", fn)
	}
	// The folder must exist (as with os.WriteFile): a save never creates
	// folders, so a mistyped path is an error.
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("plots.%s: open %s: the folder %s does not exist; create it first", fn, path, dir)
	}
	// Atomic: a failed write (a full disk) keeps the previous file.
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("plots.%s: %w", fn, err)
	}
	return nil
}

// SavePNG renders p (see PNG) and writes it to path. It works anywhere, in or
// outside a notebook.
func SavePNG(p *plot.Plot, path string, widthPx, heightPx int) error {
	b, err := PNG(p, widthPx, heightPx)
	if err != nil {
		return err
	}
	return writeFile("SavePNG", path, b)
}

// SaveGrid renders plots with Grid and writes the PNG to path.
func SaveGrid(path string, cols, widthPx, heightPx int, plots ...*plot.Plot) error {
	b, err := Grid(cols, widthPx, heightPx, plots...)
	if err != nil {
		return err
	}
	return writeFile("SaveGrid", path, b)
}

// ErrNotNotebook is returned (wrapped) by the Display functions when the
// program was not started by a GoNB kernel.
var ErrNotNotebook = errors.New("not running in a GoNB notebook (gonbui.IsNotebook is false): use SavePNG / SaveGrid to write a file instead")

// DisplayBytes shows an already encoded PNG in the current GoNB cell and
// waits until GoNB has received it.
func DisplayBytes(pngBytes []byte) error {
	if !gonbui.IsNotebook {
		return fmt.Errorf("plots.Display: %w", ErrNotNotebook)
	}
	if len(pngBytes) == 0 {
		return errors.New("plots.Display: empty image")
	}
	gonbui.DisplayPng(pngBytes)
	// Without Sync a display sent right before the cell's program exits can be
	// lost (seen with gonb v0.11.3).
	gonbui.Sync()
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("plots.Display: GoNB communication failed: %w", err)
	}
	return nil
}

// Display renders p (see PNG) and shows it in the current GoNB cell. Outside
// GoNB it returns an error wrapping ErrNotNotebook.
func Display(p *plot.Plot, widthPx, heightPx int) error {
	if !gonbui.IsNotebook {
		return fmt.Errorf("plots.Display: %w", ErrNotNotebook)
	}
	b, err := PNG(p, widthPx, heightPx)
	if err != nil {
		return err
	}
	return DisplayBytes(b)
}

// DisplayGrid renders plots with Grid and shows the image in the current
// GoNB cell. Outside GoNB it returns an error wrapping ErrNotNotebook.
func DisplayGrid(cols, widthPx, heightPx int, plots ...*plot.Plot) error {
	if !gonbui.IsNotebook {
		return fmt.Errorf("plots.DisplayGrid: %w", ErrNotNotebook)
	}
	b, err := Grid(cols, widthPx, heightPx, plots...)
	if err != nil {
		return err
	}
	return DisplayBytes(b)
}

// equalRanges returns axis ranges containing [x0, x1] x [y0, y1] and centred
// on it, such that one x unit and one y unit have the same length in the
// data area of p drawn on c. It leaves the ranges of p set to the result.
func equalRanges(p *plot.Plot, c draw.Canvas, x0, x1, y0, y1 float64) (float64, float64, float64, float64) {
	// The data area depends on tick labels, which depend on the ranges:
	// a few rounds settle it.
	for range 3 {
		da := p.DataCanvas(c)
		w, h := float64(da.Max.X-da.Min.X), float64(da.Max.Y-da.Min.Y)
		dx, dy := x1-x0, y1-y0
		if w <= 0 || h <= 0 || dx <= 0 || dy <= 0 {
			break
		}
		if dx/w > dy/h { // x needs more units per length: widen y
			ndy := dx / w * h
			cy := (y0 + y1) / 2
			p.Y.Min, p.Y.Max = cy-ndy/2, cy+ndy/2
			p.X.Min, p.X.Max = x0, x1
		} else {
			ndx := dy / h * w
			cx := (x0 + x1) / 2
			p.X.Min, p.X.Max = cx-ndx/2, cx+ndx/2
			p.Y.Min, p.Y.Max = y0, y1
		}
	}
	return p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
}
