package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"math"

	"github.com/janpfeifer/gonb/gonbui"
)

// GridOptions controls ImageGrid. The zero value gives tiles at their own
// size, 2 white pixels between them and data in [-1, 1].
type GridOptions struct {
	// Scale repeats every pixel Scale x Scale times (nearest neighbour, no
	// smoothing), so that small images are big enough to see: with 3 a
	// 28 x 28 digit becomes 84 x 84 pixels. 0 means 1.
	Scale int
	// Pad is the gap in output pixels (not scaled) between neighbouring
	// tiles and around the edge of the grid. 0 means 2; a negative value
	// means no gap.
	Pad int
	// PadColor fills the gaps and the unused tiles of an incomplete last
	// row. nil means white.
	PadColor color.Color
	// ZeroOne says the values are in [0, 1] instead of [-1, 1].
	ZeroOne bool
}

const (
	defaultImagePad = 2 // pixels: enough to tell tiles apart at any scale
	// maxChannels is the largest supported channel count (RGB).
	maxChannels = 3
)

// tileValue maps a finite data value to an 8-bit intensity: u = (v+1)/2
// (u = v with zeroOne) is clipped to [0, 1] and scaled to [0, 255],
// rounding to nearest with halves away from zero: v = -1 -> 0, 0 -> 128
// (127.5 rounded up), 1 -> 255.
func tileValue(v float64, zeroOne bool) uint8 {
	u := v
	if !zeroOne {
		u = (v + 1) / 2
	}
	return uint8(math.Round(255 * min(max(u, 0), 1)))
}

// ImageGrid lays out images as tiles of a grid with cols tiles per row
// (fewer if there are fewer images; rows as needed), for looking at MNIST or
// CIFAR samples. images[i] is image i flattened in channels-last order: the
// value of row y, column x, channel c is images[i][(y*width+x)*channels+c],
// so each has height*width*channels values. channels is 1 (grey) or 3
// (RGB).
//
// Values are the model's data scale, [-1, 1] (or [0, 1] with
// opts.ZeroOne): -1 is black and 1 is full intensity, mapped linearly to
// 8 bits as round(255 (v+1)/2) (round(255 v) with ZeroOne). Values outside the range are clipped to
// it, since samples of a generative model often overshoot a little. NaN and
// ±Inf are errors: they mean the model or sampler diverged.
//
// Tile i goes to row i/cols and column i%cols. With Scale s and Pad p (see
// GridOptions) the image is cols*width*s + (cols+1)*p pixels wide and
// rows*height*s + (rows+1)*p high; tile (r, c) has its top-left pixel at
// (p + c*(width*s+p), p + r*(height*s+p)). The result is an opaque
// *image.RGBA unless PadColor is translucent.
func ImageGrid(images [][]float64, height, width, channels, cols int, opts GridOptions) (image.Image, error) {
	img, err := imageGrid(images, height, width, channels, cols, opts)
	if err != nil {
		return nil, fmt.Errorf("plots.ImageGrid: %w", err)
	}
	return img, nil
}

func imageGrid(images [][]float64, height, width, channels, cols int, opts GridOptions) (*image.RGBA, error) {
	if len(images) == 0 {
		return nil, errors.New("no images given")
	}
	if channels != 1 && channels != maxChannels {
		return nil, fmt.Errorf("channels = %d: must be 1 (grey) or 3 (RGB), with images flattened channels-last (H, W, C)", channels)
	}
	if height < 1 || width < 1 || height > maxPixels || width > maxPixels {
		return nil, fmt.Errorf("image size height x width = %d x %d: each must be in [1, %d]", height, width, maxPixels)
	}
	if cols < 1 {
		return nil, fmt.Errorf("cols = %d: need >= 1 tiles per row", cols)
	}
	scale := opts.Scale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || scale > maxPixels {
		return nil, fmt.Errorf("Scale = %d: must be in [1, %d] (0 means 1)", opts.Scale, maxPixels)
	}
	pad := opts.Pad
	switch {
	case pad == 0:
		pad = defaultImagePad
	case pad < 0:
		pad = 0
	case pad > maxPixels:
		return nil, fmt.Errorf("Pad = %d pixels is too large (max %d)", pad, maxPixels)
	}
	padColor := opts.PadColor
	if padColor == nil {
		padColor = color.White
	}

	n := height * width * channels
	for i, im := range images {
		if len(im) != n {
			return nil, fmt.Errorf("image %d has %d values, expected height*width*channels = %d*%d*%d = %d (flattened channels-last (H, W, C))",
				i, len(im), height, width, channels, n)
		}
		for j, v := range im {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				y, x, c := j/(width*channels), j/channels%width, j%channels
				return nil, fmt.Errorf("image %d, pixel (row %d, column %d, channel %d) is %v: the model produced non-finite values (check the training loss and the sampler's step size)",
					i, y, x, c, v)
			}
		}
	}

	cols = min(cols, len(images))
	rows := (len(images) + cols - 1) / cols
	tw, th := width*scale, height*scale // both <= maxPixels^2, no overflow
	W, H := cols*tw+(cols+1)*pad, rows*th+(rows+1)*pad
	if cols*tw > maxPixels || rows*th > maxPixels || W > maxPixels || H > maxPixels {
		return nil, fmt.Errorf("grid of %d rows x %d columns of tiles of height x width = %d x %d pixels (scale %d) is too large: max %d pixels per side; use a smaller Scale or fewer images",
			rows, cols, height, width, scale, maxPixels)
	}
	out := image.NewRGBA(image.Rect(0, 0, W, H))
	stddraw.Draw(out, out.Bounds(), &image.Uniform{C: padColor}, image.Point{}, stddraw.Src)
	for i, im := range images {
		x0 := pad + (i%cols)*(tw+pad)
		y0 := pad + (i/cols)*(th+pad)
		for y := range height {
			for x := range width {
				p := im[(y*width+x)*channels:]
				var c color.RGBA
				if channels == 1 {
					g := tileValue(p[0], opts.ZeroOne)
					c = color.RGBA{R: g, G: g, B: g, A: 255}
				} else {
					c = color.RGBA{R: tileValue(p[0], opts.ZeroOne), G: tileValue(p[1], opts.ZeroOne), B: tileValue(p[2], opts.ZeroOne), A: 255}
				}
				for dy := range scale {
					row := out.Pix[out.PixOffset(x0+x*scale, y0+y*scale+dy):]
					for dx := range scale {
						row[4*dx], row[4*dx+1], row[4*dx+2], row[4*dx+3] = c.R, c.G, c.B, c.A
					}
				}
			}
		}
	}
	return out, nil
}

// ImageGridPNG lays out images with ImageGrid and returns them as PNG bytes.
func ImageGridPNG(images [][]float64, height, width, channels, cols int, opts GridOptions) ([]byte, error) {
	b, err := imageGridPNG(images, height, width, channels, cols, opts)
	if err != nil {
		return nil, fmt.Errorf("plots.ImageGridPNG: %w", err)
	}
	return b, nil
}

func imageGridPNG(images [][]float64, height, width, channels, cols int, opts GridOptions) ([]byte, error) {
	img, err := imageGrid(images, height, width, channels, cols, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SaveImages lays out images with ImageGrid and writes the PNG to path. It
// works anywhere, in or outside a notebook.
func SaveImages(path string, images [][]float64, height, width, channels, cols int, opts GridOptions) error {
	if path == "" {
		return errors.New("plots.SaveImages: empty file path")
	}
	b, err := imageGridPNG(images, height, width, channels, cols, opts)
	if err != nil {
		return fmt.Errorf("plots.SaveImages: %w", err)
	}
	return writeFile("SaveImages", path, b)
}

// DisplayImages lays out images with ImageGrid and shows the PNG in the
// current GoNB cell. Outside GoNB it returns an error wrapping
// ErrNotNotebook.
func DisplayImages(images [][]float64, height, width, channels, cols int, opts GridOptions) error {
	if !gonbui.IsNotebook {
		return fmt.Errorf("plots.DisplayImages: %w (use SaveImages to write a file)", ErrNotNotebook)
	}
	b, err := imageGridPNG(images, height, width, channels, cols, opts)
	if err != nil {
		return fmt.Errorf("plots.DisplayImages: %w", err)
	}
	return DisplayBytes(b)
}
