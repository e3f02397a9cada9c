package plots

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
)

func TestTileValue(t *testing.T) {
	// Expected bytes are worked out by hand from round(255 u); they are
	// integers, so the comparison is exact.
	cases := []struct {
		v       float64
		zeroOne bool
		want    uint8
	}{
		{-1, false, 0},
		{-0.5, false, 64},  // 255 * 0.25 = 63.75
		{0, false, 128},    // 127.5 rounds half up
		{0.5, false, 191},  // 255 * 0.75 = 191.25
		{1, false, 255},    // top of the range
		{1.7, false, 255},  // clipped
		{-3, false, 0},     // clipped
		{-1e308, false, 0}, // clipped without overflow
		{0, true, 0},
		{0.5, true, 128}, // 127.5 rounds half up
		{1, true, 255},
		{-0.2, true, 0},  // clipped
		{1.5, true, 255}, // clipped
	}
	for _, tc := range cases {
		if got := tileValue(tc.v, tc.zeroOne); got != tc.want {
			t.Errorf("tileValue(%g, zeroOne=%v) = %d, want %d", tc.v, tc.zeroOne, got, tc.want)
		}
	}
}

func TestImageGrid(t *testing.T) {
	magenta := color.RGBA{R: 255, B: 255, A: 255}
	white := color.RGBA{R: 255, G: 255, B: 255, A: 255}
	cases := []struct {
		name                    string
		images                  [][]float64
		height, width, channels int
		cols                    int
		opts                    GridOptions
		// want[i] are the expected 8-bit values of images[i], worked out by
		// hand (round(255 (v+1)/2), or round(255 v) with ZeroOne): compared
		// exactly, since both sides are integers.
		want [][]uint8
		// Layout: columns and rows of tiles, scale and gap in pixels, and
		// the gap colour, as ImageGrid should use them.
		gridCols, gridRows, scale, pad int
		padColor                       color.RGBA
	}{
		{
			// Three 2 x 3 grey images in rows of 2: the 4th tile is gap
			// colour.
			name: "grey 2x2 grid with clipping",
			images: [][]float64{
				{-1, -0.5, 0, 0.5, 1, 1.7},
				{-3, 1, -1, 1, -1, 1},
				{0, 0, 0, 0, 0, -0.5},
			},
			height: 2, width: 3, channels: 1, cols: 2,
			opts: GridOptions{Pad: 1, PadColor: magenta},
			want: [][]uint8{
				{0, 64, 128, 191, 255, 255},
				{0, 255, 0, 255, 0, 255},
				{128, 128, 128, 128, 128, 64},
			},
			gridCols: 2, gridRows: 2, scale: 1, pad: 1, padColor: magenta,
		},
		{
			// Two 1 x 2 RGB images in one column, scale 2, default gap.
			name: "RGB scaled, default gap",
			images: [][]float64{
				{1, -1, -1, -1, 1, -1},
				{-1, -1, 1, 0, 0.5, 2},
			},
			height: 1, width: 2, channels: 3, cols: 1,
			opts: GridOptions{Scale: 2},
			want: [][]uint8{
				{255, 0, 0, 0, 255, 0},
				{0, 0, 255, 128, 191, 255},
			},
			gridCols: 1, gridRows: 2, scale: 2, pad: 2, padColor: white,
		},
		{
			// cols larger than the number of images shrinks to it; no gap.
			name: "ZeroOne, no gap, cols shrinks",
			images: [][]float64{
				{0, 0.5, 1, -0.2},
				{1.5, 0.25, 0.75, 1},
			},
			height: 2, width: 2, channels: 1, cols: 5,
			opts: GridOptions{ZeroOne: true, Pad: -1, Scale: 3},
			want: [][]uint8{
				{0, 128, 255, 0},
				{255, 64, 191, 255}, // 63.75 -> 64, 191.25 -> 191
			},
			gridCols: 2, gridRows: 1, scale: 3, pad: 0, padColor: white,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := ImageGrid(tc.images, tc.height, tc.width, tc.channels, tc.cols, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			tw, th := tc.width*tc.scale, tc.height*tc.scale
			W := tc.gridCols*tw + (tc.gridCols+1)*tc.pad
			H := tc.gridRows*th + (tc.gridRows+1)*tc.pad
			if img.Bounds() != image.Rect(0, 0, W, H) {
				t.Fatalf("bounds %v, want %d x %d", img.Bounds(), W, H)
			}
			// Map every output pixel back to its tile (the inverse of the
			// layout ImageGrid documents) and compare.
			bad := 0
			for Y := range H {
				for X := range W {
					want := tc.padColor
					cx, cy := X-tc.pad, Y-tc.pad
					col, row := cx/(tw+tc.pad), cy/(th+tc.pad)
					x, y := cx%(tw+tc.pad), cy%(th+tc.pad)
					i := row*tc.gridCols + col
					if cx >= 0 && cy >= 0 && x < tw && y < th && col < tc.gridCols && row < tc.gridRows && i < len(tc.want) {
						k := ((y/tc.scale)*tc.width + x/tc.scale) * tc.channels
						v := tc.want[i][k:]
						if tc.channels == 1 {
							want = color.RGBA{R: v[0], G: v[0], B: v[0], A: 255}
						} else {
							want = color.RGBA{R: v[0], G: v[1], B: v[2], A: 255}
						}
					}
					if got := color.RGBAModel.Convert(img.At(X, Y)); got != want {
						if bad < 5 {
							t.Errorf("pixel (%d, %d) = %v, want %v", X, Y, got, want)
						}
						bad++
					}
				}
			}
			// The PNG holds exactly the same pixels.
			b, err := ImageGridPNG(tc.images, tc.height, tc.width, tc.channels, tc.cols, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			samePixels(t, "ImageGridPNG", dec, img)
		})
	}
}

// TestImageGridLayout spot-checks the documented layout on one case by
// hand: 28 x 28 grey digits, scale 3, gap 2, 4 per row.
func TestImageGridLayout(t *testing.T) {
	const h, w = 28, 28 // MNIST digit size
	imgs := make([][]float64, 6)
	for i := range imgs {
		imgs[i] = make([]float64, h*w)
		for j := range imgs[i] {
			imgs[i][j] = -1 // black background
		}
		imgs[i][0] = 1 // white top-left pixel
	}
	gap := color.RGBA{60, 60, 200, 255} // unlike any tile pixel
	g, err := ImageGrid(imgs, h, w, 1, 4, GridOptions{Scale: 3, PadColor: gap})
	if err != nil {
		t.Fatal(err)
	}
	// 4*84 + 5*2 = 346 wide, 2*84 + 3*2 = 174 high.
	if g.Bounds() != image.Rect(0, 0, 346, 174) {
		t.Fatalf("bounds %v, want 346 x 174", g.Bounds())
	}
	white, black := color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}
	for _, c := range []struct {
		x, y int
		want color.RGBA
		why  string
	}{
		{1, 1, gap, "gap around the edge"},
		{2, 2, white, "tile 0's top-left pixel, scaled to (2..4, 2..4)"},
		{4, 4, white, "last copy of that pixel"},
		{5, 2, black, "tile 0's second pixel"},
		{85, 2, black, "tile 0's last column: x = 2+83"},
		{86, 2, gap, "gap between tiles 0 and 1: x = 86, 87"},
		{87, 2, gap, "gap between tiles 0 and 1: x = 86, 87"},
		{88, 2, white, "tile 1 starts at x = 2 + 1*(84+2) = 88"},
		{91, 2, black, "tile 1's second pixel"},
		{2, 86, gap, "gap between the rows: y = 86, 87"},
		{2, 88, white, "tile 4 (second row) starts at y = 88"},
		{2, 91, black, "below it"},
		{88, 88, white, "tile 5 starts at (88, 88)"},
		{174, 88, gap, "unused tile 6 is gap colour"},
		{300, 120, gap, "unused tile 7 is gap colour"},
		{345, 173, gap, "bottom-right corner"},
	} {
		if got := color.RGBAModel.Convert(g.At(c.x, c.y)); got != c.want {
			t.Errorf("pixel (%d, %d) = %v, want %v: %s", c.x, c.y, got, c.want, c.why)
		}
	}
	if dir := os.Getenv("PLOTS_DEMO_DIR"); dir != "" {
		digits := make([][]float64, 12)
		for i := range digits {
			digits[i] = make([]float64, h*w*3)
			for y := range h {
				for x := range w {
					r := math.Hypot(float64(x)-13.5, float64(y)-13.5)
					ring := math.Exp(-(r - 4 - float64(i)/2) * (r - 4 - float64(i)/2) / 3)
					p := digits[i][(y*w+x)*3:]
					p[0], p[1], p[2] = 2*ring-1, float64(x)/14-1, float64(i)/6-1
				}
			}
		}
		if err := SaveImages(filepath.Join(dir, "images.png"), digits, h, w, 3, 6, GridOptions{Scale: 3}); err != nil {
			t.Error(err)
		}
	}
}

func TestImageGridErrors(t *testing.T) {
	ok := [][]float64{{0, 0, 0, 0}} // one 2 x 2 grey image
	nan := [][]float64{{0, 0, 0, 0}, {0, 0, 0, math.NaN()}}
	inf := [][]float64{{0, 0, 0, 0, 0, math.Inf(-1)}}
	cases := []struct {
		name                    string
		images                  [][]float64
		height, width, channels int
		cols                    int
		opts                    GridOptions
		want                    string // part of the error message
	}{
		{"no images", nil, 2, 2, 1, 1, GridOptions{}, "no images given"},
		{"row length", [][]float64{{0, 0, 0, 0}, {0, 0, 0}}, 2, 2, 1, 1, GridOptions{},
			"image 1 has 3 values, expected height*width*channels = 2*2*1 = 4 (flattened channels-last (H, W, C))"},
		{"channels 2", ok, 2, 1, 2, 1, GridOptions{}, "channels = 2: must be 1 (grey) or 3 (RGB)"},
		{"channels 0", ok, 2, 2, 0, 1, GridOptions{}, "channels = 0: must be 1 (grey) or 3 (RGB)"},
		{"channels 4", ok, 1, 1, 4, 1, GridOptions{}, "channels = 4"},
		{"cols 0", ok, 2, 2, 1, 0, GridOptions{}, "cols = 0: need >= 1"},
		{"height 0", ok, 0, 4, 1, 1, GridOptions{}, "height x width = 0 x 4"},
		{"NaN", nan, 2, 2, 1, 1, GridOptions{}, "image 1, pixel (row 1, column 1, channel 0) is NaN: the model produced non-finite values"},
		{"-Inf in RGB", inf, 1, 2, 3, 1, GridOptions{}, "image 0, pixel (row 0, column 1, channel 2) is -Inf"},
		{"negative scale", ok, 2, 2, 1, 1, GridOptions{Scale: -2}, "Scale = -2: must be in [1, 20000]"},
		{"huge pad", ok, 2, 2, 1, 1, GridOptions{Pad: 30000}, "Pad = 30000 pixels is too large"},
		{"too large", ok, 2, 2, 1, 1, GridOptions{Scale: 10001}, "is too large: max 20000 pixels per side"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ImageGrid(tc.images, tc.height, tc.width, tc.channels, tc.cols, tc.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "plots.ImageGrid: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want plots.ImageGrid: ...%s...", err, tc.want)
			}
			if _, err := ImageGridPNG(tc.images, tc.height, tc.width, tc.channels, tc.cols, tc.opts); err == nil ||
				!strings.HasPrefix(err.Error(), "plots.ImageGridPNG: ") {
				t.Errorf("ImageGridPNG: err = %v, want a plots.ImageGridPNG error", err)
			}
		})
	}
}

func TestSaveImages(t *testing.T) {
	imgs := [][]float64{{-1, 1, 1, -1}}
	path := filepath.Join(t.TempDir(), "g.png")
	if err := SaveImages(path, imgs, 2, 2, 1, 1, GridOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ImageGridPNG(imgs, 2, 2, 1, 1, GridOptions{})
	if !bytes.Equal(b, want) {
		t.Error("file differs from ImageGridPNG's bytes")
	}
	for _, tc := range []struct {
		path string
		imgs [][]float64
		want string
	}{
		{"", imgs, "plots.SaveImages: empty file path"},
		{path, nil, "plots.SaveImages: no images given"},
		{filepath.Join(t.TempDir(), "no", "dir", "g.png"), imgs, "plots.SaveImages: open"},
	} {
		if err := SaveImages(tc.path, tc.imgs, 2, 2, 1, 1, GridOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SaveImages(%q): err = %v, want one containing %q", tc.path, err, tc.want)
		}
	}
}

func TestDisplayImagesOutsideNotebook(t *testing.T) {
	old := gonbui.IsNotebook
	gonbui.IsNotebook = false // tests never run under a GoNB kernel; make it explicit
	defer func() { gonbui.IsNotebook = old }()
	err := DisplayImages([][]float64{{0}}, 1, 1, 1, 1, GridOptions{})
	if !errors.Is(err, ErrNotNotebook) || !strings.Contains(err.Error(), "SaveImages") {
		t.Errorf("err = %v, want ErrNotNotebook suggesting SaveImages", err)
	}
}
