package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// paletteColors is the number of colours sampled from a colour map.
const paletteColors = 256

// grid is a regular grid of values z[iy][ix] whose cells tile
// [x0, x1] x [y0, y1].
type grid struct {
	z              [][]float64
	x0, x1, y0, y1 float64
}

func (g grid) Dims() (c, r int)   { return len(g.z[0]), len(g.z) }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64 {
	return g.x0 + (float64(c)+0.5)*(g.x1-g.x0)/float64(len(g.z[0]))
}
func (g grid) Y(r int) float64 {
	return g.y0 + (float64(r)+0.5)*(g.y1-g.y0)/float64(len(g.z))
}

// HeatMap draws values on a regular grid as coloured cells with a colour
// bar. values[iy][ix] is the value of the cell in row iy (iy = 0 at the
// bottom, y near yr.Min) and column ix (ix = 0 at the left, x near xr.Min);
// the cells tile xr x yr exactly, so cell (ix, iy) has centre
// (xr.Min + (ix+0.5)*(xr.Max-xr.Min)/nx, yr.Min + (iy+0.5)*(yr.Max-yr.Min)/ny).
// NaN cells are left blank (e.g. outside a domain).
func HeatMap(opts Options, values [][]float64, xr, yr Range) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.HeatMap: %w", err)
	}
	if opts.LogX || opts.LogY {
		return nil, fmt.Errorf("plots.HeatMap: log axes are not supported for heat maps")
	}
	if xr.IsZero() || yr.IsZero() {
		return nil, fmt.Errorf("plots.HeatMap: the grid extent xr and yr must be given (got %v, %v)", xr, yr)
	}
	if err := xr.check("xr"); err != nil {
		return nil, fmt.Errorf("plots.HeatMap: %w", err)
	}
	if err := yr.check("yr"); err != nil {
		return nil, fmt.Errorf("plots.HeatMap: %w", err)
	}
	if len(values) == 0 || len(values[0]) == 0 {
		return nil, fmt.Errorf("plots.HeatMap: values is empty; want values[iy][ix] with at least one row and column")
	}
	nx := len(values[0])
	zmin, zmax := math.Inf(1), math.Inf(-1)
	for iy, row := range values {
		if len(row) != nx {
			return nil, fmt.Errorf("plots.HeatMap: values row %d has %d columns, row 0 has %d; rows must have equal length", iy, len(row), nx)
		}
		for ix, v := range row {
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("plots.HeatMap: values[%d][%d] is %g; use NaN for cells to leave blank", iy, ix, v)
			}
			if !math.IsNaN(v) {
				zmin, zmax = math.Min(zmin, v), math.Max(zmax, v)
			}
		}
	}
	if math.IsInf(zmin, 1) {
		return nil, fmt.Errorf("plots.HeatMap: all %d values are NaN", nx*len(values))
	}
	return heatPlot(opts, grid{z: values, x0: xr.Min, x1: xr.Max, y0: yr.Min, y1: yr.Max}, zmin, zmax)
}

// HeatFunc evaluates f at the centres of an nx x ny grid of cells tiling
// xr x yr and draws the values with HeatMap, e.g. a density p_t(x, y) or a
// residual.
func HeatFunc(opts Options, f func(x, y float64) float64, xr, yr Range, nx, ny int) (*plot.Plot, error) {
	if f == nil {
		return nil, fmt.Errorf("plots.HeatFunc: f is nil")
	}
	if nx < 1 || ny < 1 || nx*ny > 4_000_000 {
		return nil, fmt.Errorf("plots.HeatFunc: grid %d x %d: need nx, ny >= 1 and at most 4e6 cells", nx, ny)
	}
	if xr.IsZero() || yr.IsZero() || xr.check("xr") != nil || yr.check("yr") != nil {
		return nil, fmt.Errorf("plots.HeatFunc: need finite ranges with Min < Max, got xr = %v, yr = %v", xr, yr)
	}
	g := grid{x0: xr.Min, x1: xr.Max, y0: yr.Min, y1: yr.Max, z: make([][]float64, ny)}
	for iy := range g.z {
		g.z[iy] = make([]float64, nx)
	}
	for iy := range g.z {
		for ix := range g.z[iy] {
			g.z[iy][ix] = f(g.X(ix), g.Y(iy))
		}
	}
	p, err := HeatMap(opts, g.z, xr, yr)
	if err != nil {
		return nil, fmt.Errorf("plots.HeatFunc: %w", err)
	}
	return p, nil
}

// Hist2D bins points (N x 2) on an nx x ny grid and draws the histogram
// normalised as a density: count / (N * cell area), so that it is comparable
// with a heat map of a probability density. The grid covers opts.XRange x
// opts.YRange when given (points outside are not drawn but still count in
// N), else the bounding box of the points. ZLabel defaults to "density".
func Hist2D(opts Options, points [][]float64, nx, ny int) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.Hist2D: %w", err)
	}
	if opts.LogX || opts.LogY {
		return nil, fmt.Errorf("plots.Hist2D: log axes are not supported")
	}
	if nx < 1 || ny < 1 || nx*ny > 4_000_000 {
		return nil, fmt.Errorf("plots.Hist2D: %d x %d bins: need nx, ny >= 1 and at most 4e6 bins", nx, ny)
	}
	if err := checkPoints2D("Hist2D", "points", points); err != nil {
		return nil, err
	}
	xr, yr := opts.XRange, opts.YRange
	if xr.IsZero() {
		xr = bounds(points, 0)
	}
	if yr.IsZero() {
		yr = bounds(points, 1)
	}
	g := binDensity(points, xr, yr, nx, ny)
	zmin, zmax := math.Inf(1), math.Inf(-1)
	for _, row := range g.z {
		for _, v := range row {
			zmin, zmax = math.Min(zmin, v), math.Max(zmax, v)
		}
	}
	if opts.ZLabel == "" {
		opts.ZLabel = "density"
	}
	p, err := heatPlot(opts, g, zmin, zmax)
	if err != nil {
		return nil, fmt.Errorf("plots.Hist2D: %w", err)
	}
	return p, nil
}

// bounds returns [min, max] of column j, widened when degenerate.
func bounds(pts [][]float64, j int) Range {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range pts {
		lo, hi = math.Min(lo, r[j]), math.Max(hi, r[j])
	}
	if hi-lo <= 1e-12*math.Max(1, math.Abs(lo)) {
		lo, hi = lo-0.5, hi+0.5
	}
	return Range{lo, hi}
}

func heatPlot(opts Options, g grid, zmin, zmax float64) (*plot.Plot, error) {
	if !opts.ZRange.IsZero() {
		zmin, zmax = opts.ZRange.Min, opts.ZRange.Max
	}
	if zmax-zmin <= 1e-300 {
		// Constant field: centre the colour scale on it.
		d := math.Max(0.5*math.Abs(zmin), 0.5)
		zmin, zmax = zmin-d, zmax+d
	}
	pal, err := samplePalette(opts.ColorMap)
	if err != nil {
		return nil, err
	}
	p := newPlot(opts)
	cols := pal.Colors()
	p.Add(&rasterHeat{g: g, colors: cols, min: zmin, max: zmax})
	p.Add(&colorBar{colors: cols, min: zmin, max: zmax, label: opts.ZLabel})
	// A heat map fills its grid: no padding around the data.
	p.X.Padding, p.Y.Padding = 0, 0
	finish(p, opts)
	return p, nil
}

// samplePalette returns paletteColors colours of cm (default Kindlmann)
// without leaving cm's range changed.
func samplePalette(cm palette.ColorMap) (pal palette.Palette, err error) {
	if cm == nil {
		cm = moreland.Kindlmann()
	}
	oldMin, oldMax := cm.Min(), cm.Max()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("colour map failed: %v", r)
		}
		cm.SetMin(oldMin)
		cm.SetMax(oldMax)
	}()
	cm.SetMin(0)
	cm.SetMax(1)
	pal = cm.Palette(paletteColors)
	if len(pal.Colors()) == 0 {
		return nil, fmt.Errorf("colour map gave no colours")
	}
	return pal, nil
}

// colorBar draws a vertical colour scale to the right of the data area,
// reserving room for itself through its glyph box.
type colorBar struct {
	colors   []color.Color
	min, max float64
	label    string
}

var (
	barGap   = vg.Points(10)
	barWidth = vg.Points(12)
	barTick  = vg.Points(3)
)

func (b *colorBar) tickStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(sansFont, tickSize), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
}

func (b *colorBar) labelStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(sansFont, labelSize), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YTop, Rotation: math.Pi / 2}
}

func (b *colorBar) ticks() []plot.Tick {
	var out []plot.Tick
	for _, t := range (niceTicks{}).Ticks(b.min, b.max) {
		if t.Label != "" && t.Value >= b.min && t.Value <= b.max {
			out = append(out, t)
		}
	}
	return out
}

func (b *colorBar) width() vg.Length {
	sty := b.tickStyle()
	var lw vg.Length
	for _, t := range b.ticks() {
		lw = max(lw, sty.Width(t.Label))
	}
	w := barGap + barWidth + barTick + vg.Points(2) + lw
	if b.label != "" {
		w += vg.Points(4) + b.labelStyle().Height(b.label)
	}
	return w + vg.Points(4)
}

func (b *colorBar) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: b.width()}}}}
}

func (b *colorBar) Plot(c draw.Canvas, _ *plot.Plot) {
	x0 := c.Max.X + barGap
	x1 := x0 + barWidth
	y0, y1 := c.Min.Y, c.Max.Y
	// Raster at the output resolution: a smooth scale without seams.
	dpi := 2 * 72.0
	if d, ok := c.Canvas.(interface{ DPI() float64 }); ok {
		dpi = d.DPI()
	}
	wpx := max(1, int(math.Round((x1 - x0).Dots(dpi))))
	hpx := max(1, int(math.Round((y1 - y0).Dots(dpi))))
	img := image.NewNRGBA(image.Rect(0, 0, wpx, hpx))
	n := len(b.colors)
	for j := range hpx {
		// Row 0 is the top of the bar (the maximum).
		k := int((1 - (float64(j)+0.5)/float64(hpx)) * float64(n))
		col := b.colors[min(max(k, 0), n-1)]
		for i := range wpx {
			img.Set(i, j, col)
		}
	}
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}, img)
	ls := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(ls, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	sty := b.tickStyle()
	var lw vg.Length
	for _, t := range b.ticks() {
		y := y0 + vg.Length((t.Value-b.min)/(b.max-b.min))*(y1-y0)
		c.StrokeLine2(ls, x1, y, x1+barTick, y)
		c.FillText(sty, vg.Point{X: x1 + barTick + vg.Points(2), Y: y}, t.Label)
		lw = max(lw, sty.Width(t.Label))
	}
	if b.label != "" {
		x := x1 + barTick + vg.Points(2) + lw + vg.Points(4)
		c.FillText(b.labelStyle(), vg.Point{X: x, Y: (y0 + y1) / 2}, b.label)
	}
}

// binDensity bins points on an nx x ny grid tiling xr x yr; each bin holds
// count / (N * bin area). Points outside the grid are dropped but counted in N.
func binDensity(points [][]float64, xr, yr Range, nx, ny int) grid {
	g := grid{x0: xr.Min, x1: xr.Max, y0: yr.Min, y1: yr.Max, z: make([][]float64, ny)}
	for iy := range g.z {
		g.z[iy] = make([]float64, nx)
	}
	dx, dy := (xr.Max-xr.Min)/float64(nx), (yr.Max-yr.Min)/float64(ny)
	w := 1 / (float64(len(points)) * dx * dy)
	for _, r := range points {
		ix := int(math.Floor((r[0] - xr.Min) / dx))
		iy := int(math.Floor((r[1] - yr.Min) / dy))
		// A point exactly on the upper edge belongs to the last bin.
		if r[0] == xr.Max {
			ix = nx - 1
		}
		if r[1] == yr.Max {
			iy = ny - 1
		}
		if ix < 0 || ix >= nx || iy < 0 || iy >= ny {
			continue
		}
		g.z[iy][ix] += w
	}
	return g
}

// rasterHeat draws a grid as an image with one image pixel per output pixel
// and nearest-cell colours: crisp cells without the hairline seams that
// anti-aliased cell polygons leave. Values outside [min, max] are clamped to
// the end colours; NaN cells stay transparent.
type rasterHeat struct {
	g        grid
	colors   []color.Color
	min, max float64
}

func (h *rasterHeat) DataRange() (xmin, xmax, ymin, ymax float64) {
	return h.g.x0, h.g.x1, h.g.y0, h.g.y1
}

func (h *rasterHeat) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	// The drawn rectangle: the grid intersected with the data area.
	r := vg.Rectangle{
		Min: vg.Point{X: max(trX(h.g.x0), c.Min.X), Y: max(trY(h.g.y0), c.Min.Y)},
		Max: vg.Point{X: min(trX(h.g.x1), c.Max.X), Y: min(trY(h.g.y1), c.Max.Y)},
	}
	if r.Max.X <= r.Min.X || r.Max.Y <= r.Min.Y {
		return
	}
	dpi := 2 * 72.0 // 2 pixels per point when the canvas does not say
	if d, ok := c.Canvas.(interface{ DPI() float64 }); ok {
		dpi = d.DPI()
	}
	wpx := max(1, int(math.Round(r.Size().X.Dots(dpi))))
	hpx := max(1, int(math.Round(r.Size().Y.Dots(dpi))))
	img := image.NewNRGBA(image.Rect(0, 0, wpx, hpx))
	nx, ny := h.g.Dims()
	scale := float64(len(h.colors)-1) / (h.max - h.min)
	// Data coordinates of a pixel centre: invert the linear transforms.
	ax0, ax1 := float64(trX(h.g.x0)), float64(trX(h.g.x1))
	ay0, ay1 := float64(trY(h.g.y0)), float64(trY(h.g.y1))
	for j := range hpx {
		// Image row 0 is the top.
		yv := float64(r.Max.Y) - (float64(j)+0.5)/float64(hpx)*float64(r.Size().Y)
		iy := int(math.Floor((yv - ay0) / (ay1 - ay0) * float64(ny)))
		iy = min(max(iy, 0), ny-1)
		for i := range wpx {
			xv := float64(r.Min.X) + (float64(i)+0.5)/float64(wpx)*float64(r.Size().X)
			ix := int(math.Floor((xv - ax0) / (ax1 - ax0) * float64(nx)))
			ix = min(max(ix, 0), nx-1)
			v := h.g.Z(ix, iy)
			if math.IsNaN(v) {
				continue
			}
			k := int((v-h.min)*scale + 0.5)
			k = min(max(k, 0), len(h.colors)-1)
			img.Set(i, j, h.colors[k])
		}
	}
	c.DrawImage(r, img)
}
