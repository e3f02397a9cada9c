package plots

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg/draw"
)

// gaussCloud returns n points from N(center, s^2 I) with a fixed seed.
func gaussCloud(n int, cx, cy, s float64, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = []float64{cx + s*r.NormFloat64(), cy + s*r.NormFloat64()}
	}
	return pts
}

// spiralTrajs returns k paths of m steps rotating and contracting towards
// the origin.
func spiralTrajs(k, m int) [][][]float64 {
	start := gaussCloud(k, 0, 0, 2, 7)
	out := make([][][]float64, m) // time-major: out[i][j] is path j at step i
	for i := range out {
		out[i] = make([][]float64, k)
		for j := range k {
			t := float64(i) / float64(m-1)
			a, s := 1.5*t, 1-0.7*t
			x, y := start[j][0], start[j][1]
			out[i][j] = []float64{s * (x*math.Cos(a) - y*math.Sin(a)), s * (x*math.Sin(a) + y*math.Cos(a))}
		}
	}
	return out
}

// errorSeries returns error curves e(h) = C h^p for p = 1, 2, 4.
func errorSeries() []Series {
	hs := []float64{0.2, 0.1, 0.05, 0.025, 0.0125}
	var out []Series
	for _, m := range []struct {
		name string
		p, c float64
	}{{"Euler", 1, 0.5}, {"Midpoint", 2, 0.3}, {"RK4", 4, 0.05}} {
		s := Series{Name: m.name, X: hs}
		for _, h := range hs {
			s.Y = append(s.Y, m.c*math.Pow(h, m.p))
		}
		out = append(out, s)
	}
	return out
}

func gaussDensity(x, y float64) float64 { return math.Exp(-(x*x+y*y)/2) / (2 * math.Pi) }

// checkImage decodes b and checks its size and that it is not blank: at
// least minInk of the pixels differ from white and there are at least
// minColors distinct colours. Returns the image.
func checkImage(t *testing.T, b []byte, w, h int, minInk float64, minColors int) image.Image {
	img, _ := checkImageInk(t, b, w, h, minInk, minColors)
	return img
}

// checkImageInk is checkImage that also returns the non-white fraction.
func checkImageInk(t *testing.T, b []byte, w, h int, minInk float64, minColors int) (image.Image, float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("image size %v, want %dx%d", got, w, h)
	}
	colors := map[[4]uint32]bool{}
	ink := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bb, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, bb, a}] = true
			if r < 0xf000 || g < 0xf000 || bb < 0xf000 {
				ink++
			}
		}
	}
	frac := float64(ink) / float64(w*h)
	if frac < minInk {
		t.Errorf("only %.4f of pixels are non-white, want >= %.4f (blank image?)", frac, minInk)
	}
	if len(colors) < minColors {
		t.Errorf("%d distinct colours, want >= %d", len(colors), minColors)
	}
	return img, frac
}

func TestBuildersRender(t *testing.T) {
	// minInk is the fraction of pixels that must be non-white beyond what
	// the same plot without data (title, axes, ticks, labels: about 1.2% at
	// 600x400) has: each case's data covers at least this much, judged from
	// its size (e.g. 1000 dots of ~12 pixels each on 240000 pixels is ~5%;
	// a heat map fills most of the data area) with a margin of about 2x.
	// minColors: anti-aliased text and data give well over 20 distinct
	// colours in any real plot; a blank image has one.
	cases := []struct {
		name      string
		build     func() (*plot.Plot, error)
		w, h      int
		minInk    float64
		minColors int
	}{
		{"scatter-two-sets", func() (*plot.Plot, error) {
			return Scatter(Options{Title: "two clouds", XLabel: "x", YLabel: "y", Equal: true},
				PointSet{"data", gaussCloud(500, -1, 0, 0.5, 1)}, PointSet{"model", gaussCloud(500, 1, 0, 0.5, 2)})
		}, 600, 400, 0.03, 20}, // 1000 dots of ~12 px, some overlap: ~4%
		{"scatter-fixed-range", func() (*plot.Plot, error) {
			return Scatter(Options{XRange: Range{-3, 3}, YRange: Range{-3, 3}}, PointSet{Points: gaussCloud(2000, 0, 0, 1, 3)})
		}, 400, 400, 0.05, 20}, // 2000 dots on 160000 px, heavy overlap in the centre
		{"lines-loglog", func() (*plot.Plot, error) {
			return Lines(Options{Title: "global error", XLabel: "h", YLabel: "error", LogX: true, LogY: true, Markers: true}, errorSeries()...)
		}, 600, 400, 0.008, 20}, // 3 lines of ~400 px x 2 px + markers: ~1.2%
		{"lines-linear", func() (*plot.Plot, error) {
			x := make([]float64, 200)
			y := make([]float64, 200)
			for i := range x {
				x[i] = float64(i)
				y[i] = math.Exp(-x[i] / 50)
			}
			return Lines(Options{Title: "loss", XLabel: "step"}, Series{Name: "train", X: x, Y: y})
		}, 600, 400, 0.005, 20}, // one ~600 px x 2 px curve + grid lines
		{"hist2d", func() (*plot.Plot, error) {
			return Hist2D(Options{Title: "samples", Equal: true}, gaussCloud(5000, 0, 0, 1, 4), 40, 40)
		}, 600, 400, 0.2, 50}, // the grid fills about half the image
		{"heatfunc", func() (*plot.Plot, error) {
			return HeatFunc(Options{Title: "p(x)", ZLabel: "p"}, gaussDensity, Range{-3, 3}, Range{-3, 3}, 60, 60)
		}, 600, 400, 0.3, 50}, // the grid fills most of the image
		{"heatmap-diverging", func() (*plot.Plot, error) {
			v := [][]float64{{-1, 0, 1}, {0.5, math.NaN(), -0.5}}
			return HeatMap(Options{ColorMap: moreland.SmoothBlueRed(), ZRange: Range{-1, 1}}, v, Range{0, 3}, Range{0, 2})
		}, 500, 400, 0.3, 20}, // 5 of 6 cells filled, one light grey; NaN cell blank
		{"trajectories", func() (*plot.Plot, error) {
			return Trajectories(Options{Title: "paths", Equal: true}, spiralTrajs(100, 30))
		}, 600, 400, 0.025, 20}, // 200 dots (~2.4%) + 100 faint arcs
		{"quiver", func() (*plot.Plot, error) {
			return QuiverFunc(Options{Title: "rotation", Equal: true}, func(x, y float64) (float64, float64) { return -y, x }, Range{-2, 2}, Range{-2, 2}, 15, 15)
		}, 600, 400, 0.012, 20}, // 225 arrows, ~30 px of ink each: ~2.8%
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			b, err := PNG(p, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			_, ink := checkImageInk(t, b, tc.w, tc.h, 0, tc.minColors)
			// Baseline: same styling and ranges, no data.
			opts := Options{Title: p.Title.Text, XLabel: p.X.Label.Text, YLabel: p.Y.Label.Text}
			base := newPlot(opts)
			base.X.Min, base.X.Max, base.Y.Min, base.Y.Max = p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
			base.X.Scale, base.Y.Scale = p.X.Scale, p.Y.Scale
			base.X.Tick.Marker, base.Y.Tick.Marker = p.X.Tick.Marker, p.Y.Tick.Marker
			bb, err := PNG(base, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			_, baseInk := checkImageInk(t, bb, tc.w, tc.h, 0, 0)
			if ink-baseInk < tc.minInk {
				t.Errorf("data adds %.4f of non-white pixels (%.4f vs %.4f without data), want >= %.4f", ink-baseInk, ink, baseInk, tc.minInk)
			}
			if dir := os.Getenv("PLOTS_DEMO_DIR"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.name+".png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestGrid(t *testing.T) {
	var ps []*plot.Plot
	for i, tt := range []float64{0, 0.25, 0.5, 0.75, 1} {
		p, err := Scatter(Options{Title: "t = " + strconvF(tt), XRange: Range{-4, 4}, YRange: Range{-4, 4}, Equal: true},
			PointSet{Points: gaussCloud(1000, 2*tt, 0, 1-0.7*tt, uint64(i))})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	// 5 panels, 3 per row: 2 rows; image 3*250 x 2*240.
	b, err := Grid(3, 250, 240, ps...)
	if err != nil {
		t.Fatal(err)
	}
	img := checkImage(t, b, 750, 480, 0.05, 20)
	// The sixth panel (bottom right) is empty: all white.
	for y := 250; y < 470; y += 7 {
		for x := 510; x < 745; x += 7 {
			if r, g, bb, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || bb != 0xffff {
				t.Fatalf("empty panel has a non-white pixel at (%d, %d)", x, y)
			}
		}
	}
	// Fewer plots than columns: the width shrinks to the number of plots.
	b, err = Grid(5, 200, 200, ps[:2]...)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, b, 400, 200, 0.05, 20)
	if os.Getenv("PLOTS_DEMO_DIR") != "" {
		if err := SaveGrid(filepath.Join(os.Getenv("PLOTS_DEMO_DIR"), "grid.png"), 5, 300, 300, ps...); err != nil {
			t.Fatal(err)
		}
	}
}

func strconvF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestValidation(t *testing.T) {
	good := gaussCloud(10, 0, 0, 1, 1)
	cases := []struct {
		name string
		err  func() error
		want string // a piece of the message the user needs to act on
	}{
		{"scatter no sets", func() error { _, err := Scatter(Options{}); return err }, "no point sets"},
		{"scatter empty", func() error { _, err := Scatter(Options{}, PointSet{Name: "a"}); return err }, "empty"},
		{"scatter 3 columns", func() error {
			_, err := Scatter(Options{}, PointSet{Points: [][]float64{{1, 2, 3}}})
			return err
		}, "want 2"},
		{"scatter NaN", func() error {
			_, err := Scatter(Options{}, PointSet{Points: [][]float64{{1, 2}, {math.NaN(), 0}}})
			return err
		}, "finite"},
		{"scatter log of negative", func() error {
			_, err := Scatter(Options{LogX: true}, PointSet{Points: [][]float64{{-1, 2}}})
			return err
		}, "LogX needs x > 0"},
		{"lines mismatched", func() error {
			_, err := Lines(Options{}, Series{X: []float64{1, 2}, Y: []float64{1}})
			return err
		}, "len(X) = 2 but len(Y) = 1"},
		{"lines empty", func() error { _, err := Lines(Options{}, Series{Name: "e"}); return err }, "empty"},
		{"lines inf", func() error {
			_, err := Lines(Options{}, Series{X: []float64{1, 2}, Y: []float64{1, math.Inf(1)}})
			return err
		}, "finite"},
		{"lines logy zero", func() error {
			_, err := Lines(Options{LogY: true}, Series{X: []float64{1, 2}, Y: []float64{1, 0}})
			return err
		}, "LogY needs y > 0"},
		{"bad range", func() error {
			_, err := Scatter(Options{XRange: Range{1, 1}}, PointSet{Points: good})
			return err
		}, "Min < Max"},
		{"equal with log", func() error {
			_, err := Lines(Options{Equal: true, LogX: true}, Series{X: []float64{1}, Y: []float64{1}})
			return err
		}, "Equal aspect"},
		{"bad alpha", func() error { _, err := Scatter(Options{Alpha: 2}, PointSet{Points: good}); return err }, "Alpha"},
		{"heatmap ragged", func() error {
			_, err := HeatMap(Options{}, [][]float64{{1, 2}, {3}}, Range{0, 1}, Range{0, 1})
			return err
		}, "row 1 has 1 columns"},
		{"heatmap empty", func() error { _, err := HeatMap(Options{}, nil, Range{0, 1}, Range{0, 1}); return err }, "empty"},
		{"heatmap no extent", func() error { _, err := HeatMap(Options{}, [][]float64{{1}}, Range{}, Range{0, 1}); return err }, "extent"},
		{"heatmap all NaN", func() error {
			_, err := HeatMap(Options{}, [][]float64{{math.NaN()}}, Range{0, 1}, Range{0, 1})
			return err
		}, "all 1 values are NaN"},
		{"heatfunc nil", func() error { _, err := HeatFunc(Options{}, nil, Range{0, 1}, Range{0, 1}, 2, 2); return err }, "nil"},
		{"hist2d bins", func() error { _, err := Hist2D(Options{}, good, 0, 5); return err }, "bins"},
		{"hist2d empty", func() error { _, err := Hist2D(Options{}, nil, 5, 5); return err }, "empty"},
		{"traj none", func() error { _, err := Trajectories(Options{}, nil); return err }, "no trajectories"},
		{"traj bad step", func() error {
			_, err := Trajectories(Options{}, [][][]float64{{{0, 0}, {1}}})
			return err
		}, "step 0 row 1 has 1 columns"},
		{"traj unequal steps", func() error {
			_, err := Trajectories(Options{}, [][][]float64{{{0, 0}, {1, 1}}, {{0, 1}}})
			return err
		}, "step 1 has 1 points, step 0 has 2"},
		{"quiver mismatch", func() error { _, err := Quiver(Options{}, good, good[:3]); return err }, "10 points but 3 vectors"},
		{"quiver NaN", func() error {
			_, err := Quiver(Options{}, [][]float64{{0, 0}}, [][]float64{{math.NaN(), 0}})
			return err
		}, "finite"},
		{"png size", func() error {
			p, _ := Scatter(Options{}, PointSet{Points: good})
			_, err := PNG(p, 10, 400)
			return err
		}, "must be in [50"},
		{"png nil", func() error { _, err := PNG(nil, 100, 100); return err }, "nil"},
		{"grid cols", func() error {
			p, _ := Scatter(Options{}, PointSet{Points: good})
			_, err := Grid(0, 100, 100, p)
			return err
		}, "cols"},
		{"grid none", func() error { _, err := Grid(2, 100, 100); return err }, "no plots"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestSavePNG(t *testing.T) {
	p, err := Scatter(Options{Title: "saved"}, PointSet{Points: gaussCloud(100, 0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.png")
	if err := SavePNG(p, path, 320, 240); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, b, 320, 240, 0.01, 10)
	// A directory that does not exist gives an error, not a panic.
	if err := SavePNG(p, filepath.Join(t.TempDir(), "no", "such", "dir.png"), 320, 240); err == nil {
		t.Error("SavePNG into a missing directory: no error")
	}
}

func TestDisplayOutsideNotebook(t *testing.T) {
	old := gonbui.IsNotebook
	gonbui.IsNotebook = false // tests never run under a GoNB kernel; make it explicit
	defer func() { gonbui.IsNotebook = old }()
	p, err := Scatter(Options{}, PointSet{Points: gaussCloud(10, 0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Display":      Display(p, 300, 200),
		"DisplayGrid":  DisplayGrid(2, 300, 200, p, p),
		"DisplayBytes": DisplayBytes([]byte{1}),
	} {
		if !errors.Is(err, ErrNotNotebook) {
			t.Errorf("%s outside a notebook: err = %v, want ErrNotNotebook", name, err)
		} else if !strings.Contains(err.Error(), "SavePNG") {
			t.Errorf("%s: error %q does not suggest SavePNG", name, err)
		}
	}
}

// TestEqualAspect checks that one x unit and one y unit have the same length
// in the rendered data area, and that rendering leaves the plot unchanged.
func TestEqualAspect(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		pts  [][]float64
	}{
		{"wide image, tall data", 600, 300, [][]float64{{0, 0}, {1, 10}}},
		{"tall image, wide data", 300, 600, [][]float64{{0, 0}, {10, 1}}},
		{"square image, square data", 400, 400, [][]float64{{-1, -1}, {1, 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Scatter(Options{Equal: true}, PointSet{Points: tc.pts})
			if err != nil {
				t.Fatal(err)
			}
			before := [4]float64{p.X.Min, p.X.Max, p.Y.Min, p.Y.Max}
			c := draw.New(newCanvas(tc.w, tc.h))
			x0, x1, y0, y1 := equalRanges(p, c, before[0], before[1], before[2], before[3])
			da := p.DataCanvas(c)
			ux := float64(da.Max.X-da.Min.X) / (x1 - x0)
			uy := float64(da.Max.Y-da.Min.Y) / (y1 - y0)
			// The data area is recomputed from the final ranges; tick label
			// widths can change by a fraction of a point between the last
			// two rounds, so allow 1% relative difference.
			if math.Abs(ux/uy-1) > 0.01 {
				t.Errorf("length per unit: x %g, y %g (ratio %g), want equal", ux, uy, ux/uy)
			}
			// The data must stay inside the ranges.
			if x0 > before[0] || x1 < before[1] || y0 > before[2] || y1 < before[3] {
				t.Errorf("ranges [%g,%g]x[%g,%g] do not contain the data [%g,%g]x[%g,%g]", x0, x1, y0, y1, before[0], before[1], before[2], before[3])
			}
			// Restore and render: PNG must leave the ranges as they were.
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = before[0], before[1], before[2], before[3]
			if _, err := PNG(p, tc.w, tc.h); err != nil {
				t.Fatal(err)
			}
			if after := [4]float64{p.X.Min, p.X.Max, p.Y.Min, p.Y.Max}; after != before {
				t.Errorf("ranges changed by rendering: %v -> %v", before, after)
			}
		})
	}
}

// TestLegendOutsideData checks that the legend strip is reserved: the data
// area ends left of the legend's left edge.
func TestLegendOutsideData(t *testing.T) {
	named, err := Scatter(Options{}, PointSet{"a fairly long name", gaussCloud(10, 0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := draw.New(newCanvas(600, 400))
	da := named.DataCanvas(c)
	lw := named.Legend.Rectangle(c).Size().X
	if lw <= 0 {
		t.Fatal("legend has no width")
	}
	if legendLeft := c.Max.X + named.Legend.XOffs - lw; da.Max.X > legendLeft {
		t.Errorf("data area right edge %v is right of the legend's left edge %v", da.Max.X, legendLeft)
	}
}

func TestHist2DIsDensity(t *testing.T) {
	cases := []struct {
		name   string
		xr, yr Range
		want   float64 // integral of the density over the grid
		tol    float64
	}{
		// All points inside: integrates to 1 up to rounding (sums of 1e4
		// terms of size ~1e-4: 1e-12 is generous).
		{"all inside", Range{-10, 10}, Range{-10, 10}, 1, 1e-12},
		// Half-plane x > 0 of a centred Gaussian cloud: the mass is the
		// fraction of points with x > 0, counted directly below.
		{"half plane", Range{0, 10}, Range{-10, 10}, -1, 1e-12},
	}
	pts := gaussCloud(10000, 0, 0, 1, 9)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want < 0 {
				n := 0
				for _, r := range pts {
					if r[0] >= 0 {
						n++
					}
				}
				want = float64(n) / float64(len(pts))
			}
			g := binDensity(pts, tc.xr, tc.yr, 25, 30)
			area := (tc.xr.Max - tc.xr.Min) * (tc.yr.Max - tc.yr.Min) / (25 * 30)
			sum := 0.0
			for _, row := range g.z {
				for _, v := range row {
					sum += v * area
				}
			}
			if math.Abs(sum-want) > tc.tol {
				t.Errorf("integral %g, want %g", sum, want)
			}
		})
	}
}

func TestLogTicks(t *testing.T) {
	cases := []struct {
		min, max float64
		labels   []string
	}{
		{0.001, 10, []string{"0.001", "0.01", "0.1", "1", "10"}},
		{3e-6, 2e-4, []string{"5e-06", "1e-05", "2e-05", "5e-05", "0.0001", "0.0002"}},
		{3e-6, 2e-3, []string{"1e-05", "0.0001", "0.001"}},
		{3e-6, 1e-4, []string{"5e-06", "1e-05", "2e-05", "5e-05", "0.0001"}},
		{2, 60, []string{"2", "5", "10", "20", "50"}},
	}
	for _, tc := range cases {
		var got []string
		for _, tk := range (logTicks{}).Ticks(tc.min, tc.max) {
			if tk.Value < tc.min || tk.Value > tc.max {
				t.Errorf("[%g, %g]: tick %g outside the range", tc.min, tc.max, tk.Value)
			}
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.labels, " ") {
			t.Errorf("[%g, %g]: labels %q, want %q", tc.min, tc.max, got, tc.labels)
		}
	}
}

func TestColorMapNotChanged(t *testing.T) {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-3)
	cm.SetMax(7)
	if _, err := HeatFunc(Options{ColorMap: cm}, gaussDensity, Range{-1, 1}, Range{-1, 1}, 4, 4); err != nil {
		t.Fatal(err)
	}
	if cm.Min() != -3 || cm.Max() != 7 {
		t.Errorf("colour map range changed to [%g, %g], want [-3, 7]", cm.Min(), cm.Max())
	}
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		min, max float64
		labels   string
	}{
		{0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{-5.4, 5.4, "-5.0 -2.5 0.0 2.5 5.0"},
		{0, 199, "0 50 100 150"},
		{-0.013, 0.012, "-0.010 -0.005 0.000 0.005 0.010"},
		{1e6, 5e6, "1e+06 2e+06 3e+06 4e+06 5e+06"},
	}
	for _, tc := range cases {
		var got []string
		for _, tk := range (niceTicks{}).Ticks(tc.min, tc.max) {
			if tk.Value < tc.min || tk.Value > tc.max {
				t.Errorf("[%g, %g]: tick %g outside the range", tc.min, tc.max, tk.Value)
			}
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.labels {
			t.Errorf("[%g, %g]: labels %q, want %q", tc.min, tc.max, strings.Join(got, " "), tc.labels)
		}
	}
}

func TestMovingAverage(t *testing.T) {
	got := MovingAverage([]float64{1, 2, 3, 4, 5}, 2)
	want := []float64{1, 1.5, 2.5, 3.5, 4.5} // the first value averages only itself
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 { // sums of small integers: exact up to rounding
			t.Fatalf("MovingAverage = %v, want %v", got, want)
		}
	}
	if got := MovingAverage([]float64{3, 5}, 0); got[1] != 5 {
		t.Errorf("window 0 should act as 1: %v", got)
	}
}

func TestLossCurveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs []Series
		opts Options
		want string
	}{
		{"none", nil, Options{}, "no runs"},
		{"empty", []Series{{Name: "a"}}, Options{}, "no losses"},
		{"mismatch", []Series{{X: []float64{1}, Y: []float64{1, 2}}}, Options{}, "1 steps but 2 losses"},
		{"nan", []Series{{Y: []float64{1, math.NaN()}}}, Options{}, "diverged"},
		{"log of negative", []Series{{Y: []float64{1, -1}}}, Options{LogY: true}, "LossCurve"},
	} {
		_, err := LossCurve(tc.opts, 0, tc.runs...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := LossCurve(Options{LogY: true}, 10, Series{Name: "run", Y: []float64{3, 2, 1.5, 1.2}}); err != nil {
		t.Errorf("valid curve: %v", err)
	}
}
