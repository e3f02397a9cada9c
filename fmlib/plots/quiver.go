package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Quiver draws an arrow from each point points[i] = (x, y) along
// vectors[i] = (u, v), both N x 2. Arrows are multiplied by opts.ArrowScale,
// or by default scaled so that the longest arrow is 0.9 times the typical
// spacing of the points (sqrt(area of their bounding box / N)). Zero
// vectors are drawn as dots. Use Equal: true so directions are not skewed.
func Quiver(opts Options, points, vectors [][]float64) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.Quiver: %w", err)
	}
	if opts.LogX || opts.LogY {
		return nil, fmt.Errorf("plots.Quiver: log axes are not supported")
	}
	if err := checkPoints2D("Quiver", "points", points); err != nil {
		return nil, err
	}
	if len(vectors) != len(points) {
		return nil, fmt.Errorf("plots.Quiver: %d points but %d vectors; need one vector per point", len(points), len(vectors))
	}
	if err := checkPoints2D("Quiver", "vectors", vectors); err != nil {
		return nil, err
	}
	scale := opts.ArrowScale
	if scale == 0 {
		xr, yr := bounds(points, 0), bounds(points, 1)
		spacing := math.Sqrt((xr.Max - xr.Min) * (yr.Max - yr.Min) / float64(len(points)))
		maxLen := 0.0
		for _, v := range vectors {
			maxLen = math.Max(maxLen, math.Hypot(v[0], v[1]))
		}
		scale = 1
		if maxLen > 0 {
			scale = 0.9 * spacing / maxLen
		}
	}
	q := &quiver{pts: points, vecs: vectors, scale: scale,
		sty: draw.LineStyle{Color: Color(0, 0.9), Width: vg.Points(0.9)}}
	p := newPlot(opts)
	p.Add(q)
	finish(p, opts)
	return p, nil
}

// QuiverFunc evaluates the vector field f at the centres of an nx x ny grid
// of cells tiling xr x yr and draws it with Quiver.
func QuiverFunc(opts Options, f func(x, y float64) (u, v float64), xr, yr Range, nx, ny int) (*plot.Plot, error) {
	if f == nil {
		return nil, fmt.Errorf("plots.QuiverFunc: f is nil")
	}
	if nx < 1 || ny < 1 || nx*ny > 100_000 {
		return nil, fmt.Errorf("plots.QuiverFunc: grid %d x %d: need nx, ny >= 1 and at most 1e5 arrows", nx, ny)
	}
	if xr.IsZero() || yr.IsZero() || xr.check("xr") != nil || yr.check("yr") != nil {
		return nil, fmt.Errorf("plots.QuiverFunc: need finite ranges with Min < Max, got xr = %v, yr = %v", xr, yr)
	}
	pts := make([][]float64, 0, nx*ny)
	vecs := make([][]float64, 0, nx*ny)
	for iy := range ny {
		y := yr.Min + (float64(iy)+0.5)*(yr.Max-yr.Min)/float64(ny)
		for ix := range nx {
			x := xr.Min + (float64(ix)+0.5)*(xr.Max-xr.Min)/float64(nx)
			u, v := f(x, y)
			pts = append(pts, []float64{x, y})
			vecs = append(vecs, []float64{u, v})
		}
	}
	p, err := Quiver(opts, pts, vecs)
	if err != nil {
		return nil, fmt.Errorf("plots.QuiverFunc: %w", err)
	}
	return p, nil
}

type quiver struct {
	pts, vecs [][]float64
	scale     float64
	sty       draw.LineStyle
}

func (q *quiver) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i, p := range q.pts {
		for _, x := range []float64{p[0], p[0] + q.scale*q.vecs[i][0]} {
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		}
		for _, y := range []float64{p[1], p[1] + q.scale*q.vecs[i][1]} {
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	return
}

func (q *quiver) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	c.SetLineStyle(q.sty)
	for i, p := range q.pts {
		a := vg.Point{X: trX(p[0]), Y: trY(p[1])}
		b := vg.Point{X: trX(p[0] + q.scale*q.vecs[i][0]), Y: trY(p[1] + q.scale*q.vecs[i][1])}
		if !c.Contains(a) {
			continue
		}
		dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
		l := math.Hypot(dx, dy)
		if l < 0.5 { // shorter than half a point: a dot
			c.DrawGlyph(draw.GlyphStyle{Color: q.sty.Color, Radius: vg.Points(0.8), Shape: draw.CircleGlyph{}}, a)
			continue
		}
		for _, seg := range c.ClipLinesXY([]vg.Point{a, b}) {
			c.StrokeLines(q.sty, seg)
		}
		if !c.Contains(b) {
			continue
		}
		// Head: filled triangle, size proportional to the arrow but bounded.
		hl := math.Min(math.Max(0.3*l, 2), 6)
		hw := 0.45 * hl
		ux, uy := dx/l, dy/l
		base := vg.Point{X: b.X - vg.Length(hl*ux), Y: b.Y - vg.Length(hl*uy)}
		left := vg.Point{X: base.X - vg.Length(hw*uy), Y: base.Y + vg.Length(hw*ux)}
		right := vg.Point{X: base.X + vg.Length(hw*uy), Y: base.Y - vg.Length(hw*ux)}
		var path vg.Path
		path.Move(b)
		path.Line(left)
		path.Line(right)
		path.Close()
		c.SetColor(q.sty.Color)
		c.Fill(path)
	}
}

// GlyphBoxes keeps arrow heads at the edges from being clipped by the
// plot border.
func (q *quiver) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	r := vg.Points(3)
	return []plot.GlyphBox{
		{X: 0, Y: 0, Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}},
		{X: 1, Y: 1, Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}},
	}
}
