package table

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/plots"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The figures of a results file, as gonum plots for plots.DisplayGrid or
// plots.SaveGrid. Image samples are not plotted here: a row's Samples are
// flattened images for plots.DisplayImages.

// rowsOf returns the rows of data in table order: every method's in a
// complete file; in a partial one, those with a finished seed (the figures
// show what there is). No row at all is an error naming what is missing.
func (r *Results) rowsOf(data string) ([]*Row, error) {
	var rows []*Row
	for _, k := range r.Scale.Methods {
		if row := r.Row(data, k); row != nil {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("table: no row for %s in the %s results", data, r.Scale.Name)
	}
	return rows, nil
}

// NFEBars is a bar chart of every method's mean Dopri5 NFE per solve on
// data, in table order (of a partial file: the methods with a result).
func NFEBars(r *Results, data string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Dopri5 NFE (tol %g), %s", r.Scale.Eval.Tol, data)
	p.Y.Label.Text = "function evaluations per solve"
	var vals plotter.Values
	var names []string
	rows, err := r.rowsOf(data)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		vals = append(vals, float64(row.NFE.Mean))
		names = append(names, row.Method.Name)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(30))
	if err != nil {
		return nil, fmt.Errorf("table: NFE bars of %s: %w", data, err)
	}
	bars.Color = plots.Color(0, 1)
	p.Add(bars)
	p.NominalX(names...)
	return p, nil
}

// SampleBox is the square the 2D sample plots show: [-3.2, 3.2]². It holds
// the checkerboard ([-2, 2)²) and the 8 Gaussians (centres at radius 2, sd
// 0.2: within 2 + 4 sd = 2.8) with a margin for a model's stray samples.
var SampleBox = plots.Range{Min: -3.2, Max: 3.2}

// SamplePlots is one scatter plot per method of the kept Dopri5 samples
// (Row.Samples, first seed) of a 2D data set, titled with the method's
// NFE (of a partial file: per method with a result). Image scales are an error: show their Samples with
// plots.DisplayImages.
func SamplePlots(r *Results, data string) ([]*plot.Plot, error) {
	if r.Scale.IsImage() {
		return nil, fmt.Errorf("table: SamplePlots draws 2D points; the %s samples are images (use plots.DisplayImages on Row.Samples)", r.Scale.Name)
	}
	var figs []*plot.Plot
	rows, err := r.rowsOf(data)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		title := fmt.Sprintf("%s (NFE %.0f)", row.Method.Name, float64(row.NFE.Mean))
		p, err := plots.Scatter(plots.Options{Title: title, Equal: true, XRange: SampleBox, YRange: SampleBox, MarkerRadius: 1},
			plots.PointSet{Points: row.Samples})
		if err != nil {
			return nil, fmt.Errorf("table: samples of %s on %s: %w", row.Method.Name, data, err)
		}
		figs = append(figs, p)
	}
	return figs, nil
}

// FixedPlots are the two panels of the fixed-step curve of data against
// NFE (log axis): the sample quality (energy distance, or FID-MNIST on a
// log axis) with the floor of two held-out samples as a flat line where
// the file has one, and the RMS distance to the model's own Dopri5 samples
// (log axis), the solver's error, which is lower for straighter flows.
func FixedPlots(r *Results, data string) ([]*plot.Plot, error) {
	var q, e []plots.Series
	rows, err := r.rowsOf(data)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		var xs, qs, es []float64
		for _, fp := range row.Fixed {
			xs, qs, es = append(xs, float64(fp.NFE)), append(qs, float64(fp.Quality.Mean)), append(es, float64(fp.Error.Mean))
		}
		q = append(q, plots.Series{Name: row.Method.Name, X: xs, Y: qs})
		e = append(e, plots.Series{Name: row.Method.Name, X: xs, Y: es})
	}
	what, logQ := "energy distance to held-out data", false
	fl := r.Floor(data).Energy
	if r.Scale.IsImage() {
		what, logQ, fl = "FID-MNIST to held-out data", true, r.Floor(data).FID
	}
	if fl.OK() && len(q) > 0 {
		ys := make([]float64, len(q[0].X))
		for i := range ys {
			ys[i] = float64(fl)
		}
		q = append(q, plots.Series{Name: "two held-out samples", X: q[0].X, Y: ys, Guide: true})
	}
	s := r.Scale.Fixed.Solver
	qp, err := plots.Lines(plots.Options{Title: "sample quality, " + s + ", " + data, XLabel: "NFE", YLabel: what, LogX: true, LogY: logQ, Markers: true}, q...)
	if err != nil {
		return nil, fmt.Errorf("table: quality against NFE on %s: %w", data, err)
	}
	ep, err := plots.Lines(plots.Options{Title: "distance to the exact flow, " + s + ", " + data, XLabel: "NFE", YLabel: "RMS |x_N - x_dopri5|", LogX: true, LogY: true, Markers: true}, e...)
	if err != nil {
		return nil, fmt.Errorf("table: solver error against NFE on %s: %w", data, err)
	}
	return []*plot.Plot{qp, ep}, nil
}
