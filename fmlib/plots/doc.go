// Package plots draws the figures of the gofm notebooks with gonum.org/v1/plot
// and renders them as PNG images.
//
// # Why PNG
//
// A PNG is plain bytes inside the notebook file. It shows up offline (no
// JavaScript library to fetch from a CDN), in HTML exported by nbconvert, and
// in notebooks that Jupyter does not trust (which strip SVG/JS outputs). SVG or
// plotly figures fail at least one of these, so every figure here is a PNG of a
// size given in pixels.
//
// # Use
//
// Builders return a *plot.Plot (so callers can still tweak it with the gonum
// API) or an error when the data is unusable (empty, ragged, NaN/Inf, mismatched
// lengths, non-positive values on a log axis):
//
//	Scatter(opts, sets...)          named 2D point clouds
//	Lines(opts, series...)          named curves, optionally log-log;
//	                                RefSlope adds a dashed guide of a given slope
//	Hist2D(opts, points, nx, ny)    2D histogram normalised as a density
//	HeatMap(opts, values, xr, yr)   values[iy][ix] on a regular grid
//	HeatFunc(opts, f, xr, yr, nx, ny)
//	Trajectories(opts, trajs)       trajs[k][i] = (x, y) of path i at step k
//	Quiver(opts, points, vectors)   arrows v at points x
//	QuiverFunc(opts, f, xr, yr, nx, ny)
//
// Output:
//
//	PNG(p, w, h)                    bytes of a w x h pixel PNG
//	SavePNG(p, path, w, h)          same, written to a file (works anywhere)
//	Display(p, w, h)                shows it in a GoNB cell
//	Grid / SaveGrid / DisplayGrid   several plots side by side, in rows of cols panels
//	DisplayBytes(png)               shows PNG bytes made elsewhere
//
// Animations and sample images (same PNG route):
//
//	PlotFrames(plots, w, h)         renders plots to images, one frame each
//	APNG / SaveAPNG / DisplayAnimation(frames, delay, loops, opts...)
//	                                an animated PNG (APNG): browsers play it,
//	                                other viewers show frame 0; HoldLast and
//	                                FrameDelays change the timing
//	ImageGrid(images, h, w, c, cols, opts)
//	                                flattened (H, W, C) images in [-1, 1] as
//	                                tiles; ImageGridPNG / SaveImages /
//	                                DisplayImages
//
// Display sends the image with gonbui and then waits with gonbui.Sync until
// GoNB has taken it: a display sent right before a cell's program exits can
// otherwise be lost. Outside a GoNB kernel Display returns an error that points
// to SavePNG.
//
// Sizes are pixels. Images are drawn at 96 dots per inch, so a 12 point font is
// 16 pixels high; the default fonts stay readable at 600 x 400 pixels and at
// panels of about 300 x 300 pixels in a grid.
//
// Legends are drawn in a strip to the right of the axes, and colour bars of
// heat maps likewise, so they never cover data. Options.Equal makes one unit
// on x as long as one unit on y (the ranges are widened at render time to fit
// the panel), which is what 2D point clouds and vector fields need;
// SetEqualAspect asks the same for a plot built with the gonum API.
//
// Rendering widens the ranges of an equal-aspect plot for the duration of the
// draw and restores them afterwards, so one *plot.Plot must not be rendered
// from two goroutines at once (gonum/plot's Draw is not safe for that
// either). Distinct plots can be rendered concurrently.
package plots
