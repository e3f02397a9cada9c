package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MovingAverage returns the trailing mean of y over window values (fewer
// at the start): out[i] = mean(y[max(0, i-window+1) .. i]). A window < 1
// is taken as 1.
func MovingAverage(y []float64, window int) []float64 {
	window = max(window, 1)
	out := make([]float64, len(y))
	sum := 0.0
	for i, v := range y {
		sum += v
		if i >= window {
			sum -= y[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

// LossCurve draws training losses against the step: each run's raw loss as
// a faint line and its moving average over window steps (0: a 50th of the
// longest run, at least 1) in the same colour on top. Series.X may be nil
// (steps 1, 2, ...). Minibatch losses are noisy; the average shows the trend.
func LossCurve(opts Options, window int, runs ...Series) (*plot.Plot, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("plots.LossCurve: %w", err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots.LossCurve: no runs given")
	}
	longest := 0
	for k, r := range runs {
		if len(r.Y) == 0 {
			return nil, fmt.Errorf("plots.LossCurve: run %d (%q) has no losses", k, r.Name)
		}
		if r.X != nil && len(r.X) != len(r.Y) {
			return nil, fmt.Errorf("plots.LossCurve: run %d (%q) has %d steps but %d losses", k, r.Name, len(r.X), len(r.Y))
		}
		for i, v := range r.Y {
			if err := checkFinite(v, "run %d (%q) loss %d", k, r.Name, i); err != nil {
				return nil, fmt.Errorf("plots.LossCurve: %w (the run diverged?)", err)
			}
			if err := checkLogData("LossCurve", opts, 1, v, fmt.Sprintf("run %q loss %d", r.Name, i)); err != nil {
				return nil, err
			}
		}
		longest = max(longest, len(r.Y))
	}
	if window <= 0 {
		window = max(1, longest/50)
	}
	p := newPlot(opts)
	p.Add(lightGrid())
	for k, r := range runs {
		xs := r.X
		if xs == nil {
			xs = make([]float64, len(r.Y))
			for i := range xs {
				xs[i] = float64(i + 1)
			}
		}
		for pass, ys := range [][]float64{r.Y, MovingAverage(r.Y, window)} {
			xys := make(plotter.XYs, len(ys))
			for i := range ys {
				xys[i] = plotter.XY{X: xs[i], Y: ys[i]}
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("plots.LossCurve: %w", err)
			}
			l.LineStyle = draw.LineStyle{Color: Color(k, 0.18), Width: vg.Points(0.8)}
			if pass == 1 {
				l.LineStyle = draw.LineStyle{Color: Color(k, 1), Width: vg.Points(1.8)}
				if r.Name != "" && !opts.NoLegend {
					p.Legend.Add(r.Name, l)
				}
			}
			p.Add(l)
		}
	}
	finish(p, opts)
	return p, nil
}
