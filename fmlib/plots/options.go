package plots

import (
	"fmt"
	"image/color"
	"math"
	"runtime"
	"strconv"
	"sync"
	"weak"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Range is a closed interval [Min, Max]. The zero value means "automatic"
// (taken from the data).
type Range struct{ Min, Max float64 }

// IsZero reports whether r is the zero value (automatic range).
func (r Range) IsZero() bool { return r.Min == 0 && r.Max == 0 }

func (r Range) check(name string) error {
	if r.IsZero() {
		return nil
	}
	if math.IsNaN(r.Min) || math.IsNaN(r.Max) || math.IsInf(r.Min, 0) || math.IsInf(r.Max, 0) {
		return fmt.Errorf("%s = [%g, %g] must be finite", name, r.Min, r.Max)
	}
	if !(r.Min < r.Max) {
		return fmt.Errorf("%s = [%g, %g] needs Min < Max (leave it zero for an automatic range)", name, r.Min, r.Max)
	}
	return nil
}

// Options are the settings shared by all builders. The zero value gives a
// plot with no title, no axis labels, linear axes and automatic ranges.
// Fields that only some builders use say so.
type Options struct {
	Title, XLabel, YLabel string

	// LogX, LogY use logarithmic axes (all data on that axis must be > 0).
	LogX, LogY bool

	// XRange, YRange fix the axis ranges; zero values mean automatic.
	// Data outside a fixed range is clipped.
	XRange, YRange Range

	// Equal makes one unit on x as long as one unit on y: the ranges are
	// widened at render time to fill the panel. Not allowed with log axes.
	Equal bool

	// NoLegend hides the legend (which is otherwise drawn to the right of the
	// axes whenever a series or point set has a non-empty name).
	NoLegend bool

	// MarkerRadius is the radius of scatter markers in points (1/72 inch).
	// Zero means 1.5 (about 2 pixels). Scatter only.
	MarkerRadius float64

	// Alpha is the opacity of scatter markers or trajectory lines in (0, 1].
	// Zero means automatic: scatter 0.8 up to 1000 points per set, 0.4
	// above; trajectories 0.35 up to 50 paths, then 0.35*sqrt(50/k) for k
	// paths (at least 0.06).
	Alpha float64

	// Markers draws a marker at every data point of Lines (useful for
	// convergence plots with few step sizes). Lines only.
	Markers bool

	// ColorMap colours heat maps; nil means moreland.Kindlmann (dark = low).
	// Use a diverging map (e.g. moreland.SmoothBlueRed) with a symmetric
	// ZRange for signed values such as residuals. Hist2D and heat maps only.
	ColorMap palette.ColorMap

	// ZRange fixes the colour scale of heat maps; zero means [min, max] of
	// the values. Hist2D and heat maps only.
	ZRange Range

	// ZLabel is written above the colour bar. Hist2D and heat maps only.
	ZLabel string

	// ArrowScale multiplies vectors before drawing them as arrows; zero means
	// automatic (the longest arrow is 0.9 times the typical point spacing).
	// Quiver only.
	ArrowScale float64
}

func (o Options) check() error {
	if err := o.XRange.check("XRange"); err != nil {
		return err
	}
	if err := o.YRange.check("YRange"); err != nil {
		return err
	}
	if err := o.ZRange.check("ZRange"); err != nil {
		return err
	}
	if o.Equal && (o.LogX || o.LogY) {
		return fmt.Errorf("Equal aspect cannot be combined with log axes")
	}
	if o.LogX && !o.XRange.IsZero() && o.XRange.Min <= 0 {
		return fmt.Errorf("LogX needs XRange.Min > 0, got %g", o.XRange.Min)
	}
	if o.LogY && !o.YRange.IsZero() && o.YRange.Min <= 0 {
		return fmt.Errorf("LogY needs YRange.Min > 0, got %g", o.YRange.Min)
	}
	if o.Alpha < 0 || o.Alpha > 1 || math.IsNaN(o.Alpha) {
		return fmt.Errorf("Alpha = %g must be in (0, 1] (0 = automatic)", o.Alpha)
	}
	if o.MarkerRadius < 0 || math.IsNaN(o.MarkerRadius) || math.IsInf(o.MarkerRadius, 0) {
		return fmt.Errorf("MarkerRadius = %g must be >= 0 (0 = default)", o.MarkerRadius)
	}
	if o.ArrowScale < 0 || math.IsNaN(o.ArrowScale) || math.IsInf(o.ArrowScale, 0) {
		return fmt.Errorf("ArrowScale = %g must be >= 0 (0 = automatic)", o.ArrowScale)
	}
	return nil
}

// Font sizes in points; at 96 dpi a point is 4/3 pixel.
const (
	titleSize  = 13
	labelSize  = 12
	tickSize   = 10
	legendSize = 10
)

var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot styled by opts. Ranges are applied later by
// finish, after the plotters have been added.
func newPlot(opts Options) *plot.Plot {
	p := plot.New()
	p.Title.Text = opts.Title
	p.Title.TextStyle.Font = font.From(sansFont, titleSize)
	p.Title.Padding = vg.Points(6)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, labelSize)
		ax.Tick.Label.Font = font.From(sansFont, tickSize)
		ax.Label.Padding = vg.Points(2)
	}
	p.X.Label.Text = opts.XLabel
	p.Y.Label.Text = opts.YLabel
	p.Legend.TextStyle.Font = font.From(sansFont, legendSize)
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.XOffs = -vg.Points(4) // not flush with the image border
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	if opts.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if opts.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	return p
}

// finish applies fixed ranges, pads automatic log ranges, reserves room for
// the legend and registers the equal-aspect request.
func finish(p *plot.Plot, opts Options) {
	if !opts.XRange.IsZero() {
		p.X.Min, p.X.Max = opts.XRange.Min, opts.XRange.Max
	} else if opts.LogX {
		p.X.Min, p.X.Max = p.X.Min/1.15, p.X.Max*1.15 // a little room for end markers
	}
	if !opts.YRange.IsZero() {
		p.Y.Min, p.Y.Max = opts.YRange.Min, opts.YRange.Max
	} else if opts.LogY {
		p.Y.Min, p.Y.Max = p.Y.Min/1.15, p.Y.Max*1.15
	}
	if opts.Equal {
		setEqual(p)
	}
	reserveLegend(p)
}

// reserveLegend adds room to the right of the axes for the legend, so that
// it never covers the data. Must be called after all legend entries exist.
func reserveLegend(p *plot.Plot) {
	r := p.Legend.Rectangle(draw.Canvas{})
	if w := r.Max.X - r.Min.X; w > 0 {
		p.Add(rightStrip{width: w + vg.Points(10)})
	}
}

// rightStrip is an invisible plotter whose glyph box makes gonum/plot leave
// a strip of the given width to the right of the data area.
type rightStrip struct{ width vg.Length }

func (rightStrip) Plot(draw.Canvas, *plot.Plot) {}

func (s rightStrip) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: s.width}}}}
}

// Equal-aspect requests, keyed weakly by plot so that dropped plots are
// forgotten.
var (
	equalMu  sync.Mutex
	equalSet = map[weak.Pointer[plot.Plot]]bool{}
)

func setEqual(p *plot.Plot) {
	k := weak.Make(p)
	equalMu.Lock()
	defer equalMu.Unlock()
	if equalSet[k] {
		return
	}
	equalSet[k] = true
	runtime.AddCleanup(p, func(k weak.Pointer[plot.Plot]) {
		equalMu.Lock()
		delete(equalSet, k)
		equalMu.Unlock()
	}, k)
}

func isEqual(p *plot.Plot) bool {
	equalMu.Lock()
	defer equalMu.Unlock()
	return equalSet[weak.Make(p)]
}

// SetEqualAspect asks that p be rendered (by PNG, Grid and friends) with one
// unit on x as long as one unit on y; the axis ranges are widened to fill the
// panel. Use it on plots built with the gonum API directly.
func SetEqualAspect(p *plot.Plot) { setEqual(p) }

// seriesColors is the colour cycle of series and point sets: ten
// well-separated hues of similar weight on white.
var seriesColors = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xd6, 0x5f, 0x00, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xc0, 0x1c, 0x28, 0xff}, // red
	{0x75, 0x50, 0x9b, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xd0, 0x4e, 0xa6, 0xff}, // pink
	{0x50, 0x50, 0x50, 0xff}, // grey
	{0x9a, 0x9a, 0x00, 0xff}, // olive
	{0x00, 0x9a, 0xb0, 0xff}, // cyan
}

// Color returns the i-th colour of the series cycle with opacity alpha in
// [0, 1].
func Color(i int, alpha float64) color.Color {
	c := seriesColors[((i%len(seriesColors))+len(seriesColors))%len(seriesColors)]
	a := math.Max(0, math.Min(1, alpha))
	// color.NRGBA is non-premultiplied: only A changes.
	c.A = uint8(math.Round(255 * a))
	return c
}

// dashPatterns change after each full cycle of colours, so that series 11+
// still differ from series 1-10.
var dashPatterns = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)},
}

// logTicks labels each decade ("0.01", "1", "1e-05") with unlabelled minor
// ticks at 2..9; when the range spans less than two decades the 2 and 5
// multiples are labelled too.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	// The 1e-9 slack keeps exact powers of ten (whose log10 may be off by
	// an ulp) on the right side of floor/ceil.
	lo := int(math.Floor(math.Log10(min) + 1e-9))
	hi := int(math.Ceil(math.Log10(max) - 1e-9))
	few := math.Log10(max/min) <= 2+1e-9
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, float64(e))
		for m := 1; m <= 9; m++ {
			v := base * float64(m)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = formatLogLabel(v, e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func formatLogLabel(v float64, e int) string {
	if e >= -4 && e <= 4 {
		return strconv.FormatFloat(v, 'f', max(0, -e), 64)
	}
	return strconv.FormatFloat(v, 'e', 0, 64) // e.g. 1e-05, 2e+06
}

// checkFinite returns an error naming what when v is NaN or infinite.
func checkFinite(v float64, what string, args ...any) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %g: all values must be finite", fmt.Sprintf(what, args...), v)
	}
	return nil
}

// checkPoints2D validates an N x 2 point set.
func checkPoints2D(fn, name string, pts [][]float64) error {
	if len(pts) == 0 {
		return fmt.Errorf("plots.%s: %s is empty: need at least one (x, y) point", fn, name)
	}
	for i, row := range pts {
		if len(row) != 2 {
			return fmt.Errorf("plots.%s: %s row %d has %d columns, want 2 (x, y); project higher-dimensional points to 2D first", fn, name, i, len(row))
		}
		for j, v := range row {
			if err := checkFinite(v, "%s[%d][%d]", name, i, j); err != nil {
				return fmt.Errorf("plots.%s: %w", fn, err)
			}
		}
	}
	return nil
}

// checkLogData returns an error when a log axis would receive v <= 0.
func checkLogData(fn string, opts Options, x, y float64, where string) error {
	if opts.LogX && x <= 0 {
		return fmt.Errorf("plots.%s: %s has x = %g but LogX needs x > 0", fn, where, x)
	}
	if opts.LogY && y <= 0 {
		return fmt.Errorf("plots.%s: %s has y = %g but LogY needs y > 0", fn, where, y)
	}
	return nil
}

// lightGrid returns light grey grid lines.
func lightGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	return g
}

// niceTicks places about five labelled ticks at multiples of 1, 2, 2.5 or 5
// times a power of ten, with unlabelled minor ticks halfway between.
type niceTicks struct{}

func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return nil
	}
	step := niceStep((max - min) / 5)
	// Fewest decimals that write every multiple of step exactly.
	dec := 0
	for dec < 15 {
		r := step * math.Pow(10, float64(dec))
		if math.Abs(r-math.Round(r)) <= 1e-6*r {
			break
		}
		dec++
	}
	useExp := step < 1e-4 || math.Max(math.Abs(min), math.Abs(max)) >= 1e6
	var ticks []plot.Tick
	first := math.Ceil(min/step - 1e-9)
	for i := first; i*step <= max*(1+1e-12)+1e-12*step; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0 // no "-0"
		}
		label := strconv.FormatFloat(v, 'f', dec, 64)
		if useExp {
			label = strconv.FormatFloat(v, 'g', 4, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		if m := v + step/2; m <= max {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first*step - step/2; m >= min {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

// niceStep rounds raw up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}
