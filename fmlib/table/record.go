package table

import (
	"encoding/json"
	"fmt"
	"math"
)

// RecordDecimals is the precision of the samples in a recorded copy: three
// decimals are finer than what a plot shows (a scatter point's radius, or
// one 8-bit grey level of an image, 2/255 ≈ 0.008 on [-1, 1]).
const RecordDecimals = 3

// Recorded returns the copy of r that Record writes: every measurement,
// setting and claim unchanged, and each row's kept samples cut to the first
// keep (0 keeps all) with every value rounded to RecordDecimals decimals.
// The samples of a results file are for plots only (every metric was
// computed from all samples at full precision before it was written), so
// the copy shows the same figures at a fraction of the size: the mnist
// scale's file is 4.8 MB as Write formats it (64 images per row), its
// recorded copy 0.66 MB.
func (r *Results) Recorded(keep int) *Results {
	c := *r
	c.Rows = make([]Row, len(r.Rows))
	scale := math.Pow(10, RecordDecimals)
	for i, row := range r.Rows {
		c.Rows[i] = row
		n := len(row.Samples)
		if keep > 0 {
			n = min(n, keep)
		}
		s := make([][]float64, n)
		for j := range s {
			s[j] = make([]float64, len(row.Samples[j]))
			for k, v := range row.Samples[j] {
				s[j][k] = math.Round(v*scale) / scale
			}
		}
		c.Rows[i].Samples = s
	}
	return &c
}

// RecordImages is how many samples per row a recorded image scale keeps:
// the 32 that notebook 10 shows (2D scales keep all their samples, which
// its scatter plots show).
const RecordImages = 32

// Record writes the recorded copy of r (see Recorded; RecordImages samples
// per row for images, all for 2D) to dir as results-<scale>.json, in
// compact JSON (Read reads it like any results file), and the Markdown
// report beside it. It is how full-scale runs are kept with the code, in
// RecordedDir.
func (r *Results) Record(dir string) error {
	keep := 0
	if r.Scale.IsImage() {
		keep = RecordImages
	}
	c := r.Recorded(keep)
	if err := c.Validate(); err != nil {
		return fmt.Errorf("table: not recording an invalid results file: %w", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("table: encoding the recorded results: %w", err)
	}
	if err := writeAtomic(ResultsPath(dir, r.Scale.Name), append(b, '\n')); err != nil {
		return err
	}
	return writeAtomic(MarkdownPath(dir, r.Scale.Name), []byte(Markdown(c)))
}
