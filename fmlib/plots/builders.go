package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PointSet is a named 2D point cloud: Points is N x 2 (x, y).
type PointSet struct {
	Name   string
	Points [][]float64
}

// Scatter draws one or more point clouds, each in its own colour, with small
// round markers. Sets with a non-empty Name get a legend entry.
func Scatter(opts Options, sets ...PointSet) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.Scatter: %w", err)
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("plots.Scatter: no point sets given")
	}
	for k, s := range sets {
		name := fmt.Sprintf("set %d (%q)", k, s.Name)
		if err := checkPoints2D("Scatter", name, s.Points); err != nil {
			return nil, err
		}
		for i, r := range s.Points {
			if err := checkLogData("Scatter", opts, r[0], r[1], fmt.Sprintf("%s row %d", name, i)); err != nil {
				return nil, err
			}
		}
	}
	p := newPlot(opts)
	radius := opts.MarkerRadius
	if radius == 0 {
		radius = 1.5
	}
	for k, s := range sets {
		alpha := opts.Alpha
		if alpha == 0 {
			alpha = 0.8
			if len(s.Points) > 1000 {
				alpha = 0.4
			}
		}
		xys := make(plotter.XYs, len(s.Points))
		for i, r := range s.Points {
			xys[i] = plotter.XY{X: r[0], Y: r[1]}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("plots.Scatter: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: Color(k, alpha), Radius: vg.Points(radius), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		if s.Name != "" && !opts.NoLegend {
			// Legend marker: bigger and opaque, so it is visible.
			p.Legend.Add(s.Name, legendGlyph{draw.GlyphStyle{Color: Color(k, 1), Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}})
		}
	}
	finish(p, opts)
	return p, nil
}

// legendGlyph draws one glyph centred in a legend thumbnail.
type legendGlyph struct{ sty draw.GlyphStyle }

func (g legendGlyph) Thumbnail(c *draw.Canvas) { c.DrawGlyph(g.sty, c.Center()) }

// Series is a named curve: Y[i] at X[i]. A Guide series (such as those
// made by RefSlope) is drawn as a thin dashed line without markers.
type Series struct {
	Name  string
	X, Y  []float64
	Guide bool
}

// RefSlope returns a guide line y = anchorY * (x / anchorX)^slope over
// x in [xmin, xmax] (two points, straight on log-log axes), e.g. to show the
// expected order p of a solver next to measured errors: the line through the
// first measured point with slope p.
func RefSlope(name string, xmin, xmax, anchorX, anchorY, slope float64) Series {
	f := func(x float64) float64 { return anchorY * math.Pow(x/anchorX, slope) }
	return Series{Name: name, X: []float64{xmin, xmax}, Y: []float64{f(xmin), f(xmax)}, Guide: true}
}

// Lines draws curves with distinct colours (and dash patterns after the
// colours run out), light grid lines and a legend for named series. With
// LogX/LogY it makes log-log plots such as global error against step size,
// where an order-p method shows as a straight line of slope p.
func Lines(opts Options, series ...Series) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.Lines: %w", err)
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("plots.Lines: no series given")
	}
	for k, s := range series {
		name := fmt.Sprintf("series %d (%q)", k, s.Name)
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plots.Lines: %s has len(X) = %d but len(Y) = %d; they must match", name, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return nil, fmt.Errorf("plots.Lines: %s is empty", name)
		}
		for i := range s.X {
			if err := checkFinite(s.X[i], "%s X[%d]", name, i); err != nil {
				return nil, fmt.Errorf("plots.Lines: %w", err)
			}
			if err := checkFinite(s.Y[i], "%s Y[%d]", name, i); err != nil {
				return nil, fmt.Errorf("plots.Lines: %w", err)
			}
			if err := checkLogData("Lines", opts, s.X[i], s.Y[i], fmt.Sprintf("%s point %d", name, i)); err != nil {
				return nil, err
			}
		}
	}
	p := newPlot(opts)
	p.Add(lightGrid())
	for k, s := range series {
		xys := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xys[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		ls := draw.LineStyle{
			Color:  Color(k, 1),
			Width:  vg.Points(1.6),
			Dashes: dashPatterns[(k/len(seriesColors))%len(dashPatterns)],
		}
		if s.Guide {
			ls.Width = vg.Points(1)
			ls.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		gs := draw.GlyphStyle{Color: Color(k, 1), Radius: vg.Points(2.5), Shape: glyphShapes[k%len(glyphShapes)]}
		var thumbs []plot.Thumbnailer
		if len(xys) > 1 {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("plots.Lines: %w", err)
			}
			l.LineStyle = ls
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		if (opts.Markers && !s.Guide) || len(xys) == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("plots.Lines: %w", err)
			}
			sc.GlyphStyle = gs
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if s.Name != "" && !opts.NoLegend {
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	finish(p, opts)
	return p, nil
}

var glyphShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// Trajectories draws many 2D paths from time-major snapshots, the layout of
// ode.PointsSolution.Trajectory and sde.Path.Trajectory: trajs[k][i] is the
// (x, y) point of path i at step k. Every step holds the same number of
// paths. Lines are thin and semi-transparent; start points (step 0) are
// marked with blue dots and end points (the last step) with red dots.
func Trajectories(opts Options, trajs [][][]float64) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.Trajectories: %w", err)
	}
	if len(trajs) == 0 {
		return nil, fmt.Errorf("plots.Trajectories: no trajectories given")
	}
	for k, step := range trajs {
		if err := checkPoints2D("Trajectories", fmt.Sprintf("step %d", k), step); err != nil {
			return nil, err
		}
		if len(step) != len(trajs[0]) {
			return nil, fmt.Errorf("plots.Trajectories: step %d has %d points, step 0 has %d; give every path at every step (trajs[k][i] is path i at step k)", k, len(step), len(trajs[0]))
		}
		for i, r := range step {
			if err := checkLogData("Trajectories", opts, r[0], r[1], fmt.Sprintf("path %d at step %d", i, k)); err != nil {
				return nil, err
			}
		}
	}
	n, last := len(trajs[0]), len(trajs)-1
	alpha := opts.Alpha
	if alpha == 0 {
		// Fainter as paths pile up: 0.35 up to 50 paths, then ~1/sqrt(n),
		// never below 0.06.
		alpha = math.Max(0.06, math.Min(0.35, 0.35*math.Sqrt(50/float64(n))))
	}
	p := newPlot(opts)
	lineColor := color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: uint8(math.Round(255 * alpha))}
	starts := make(plotter.XYs, n)
	ends := make(plotter.XYs, n)
	for i := range n {
		xys := make(plotter.XYs, len(trajs))
		for k, step := range trajs {
			xys[k] = plotter.XY{X: step[i][0], Y: step[i][1]}
		}
		starts[i] = xys[0]
		ends[i] = xys[last]
		if len(xys) > 1 {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("plots.Trajectories: %w", err)
			}
			l.LineStyle = draw.LineStyle{Color: lineColor, Width: vg.Points(0.6)}
			p.Add(l)
		}
	}
	r := opts.MarkerRadius
	if r == 0 {
		r = 1.5
	}
	for _, m := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
	}{{"start", starts, Color(0, 0.8)}, {"end", ends, Color(3, 0.8)}} {
		sc, err := plotter.NewScatter(m.xys)
		if err != nil {
			return nil, fmt.Errorf("plots.Trajectories: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: m.c, Radius: vg.Points(r), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		if !opts.NoLegend {
			sty := sc.GlyphStyle
			sty.Radius = vg.Points(3.5)
			p.Legend.Add(m.name, legendGlyph{sty})
		}
	}
	finish(p, opts)
	return p, nil
}
