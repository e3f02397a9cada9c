package table

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gomlx/compute"
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
// RecordedDir; a partial file is recorded as it is (its Pending says what
// is still to run). RecordRun also keeps the weights a resumed 2-RF needs.
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

// RecordRun is Record for the results of a run in outDir, partial or
// complete (a run that spans several sittings is recorded after each, and
// continued from the recorded copy: RunOptions.Resume). Before the copy it
// writes beside it, at WeightsPath, the weights of every finished model
// that another method of the scale trains from (2-RF's FM w/ OT base: the
// weights it samples with, about 1.5 MB for the mnist-unet U-Net), so that
// a run resumed from dir can make 2-RF's pairs without that model's
// checkpoint. They are exported from the model's checkpoint in outDir; a
// model that was reused from another results file and has no checkpoint
// there keeps the weights already recorded in dir, or gets those recorded
// beside the file it was reused from. Weights that are nowhere are an error
// only while a 2-RF model that needs them is still to run.
func (r *Results) RecordRun(be compute.Backend, outDir, dir string) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("table: not recording an invalid results file: %w", err)
	}
	s := r.Scale
	for _, key := range s.Methods {
		m, _ := MethodByKey(key)
		if m.ReflowOf == "" {
			continue
		}
		for _, data := range s.Data {
			for _, seed := range s.Seeds {
				base := ModelID{Data: data, Method: m.ReflowOf, Seed: seed}
				if err := r.recordBase(be, outDir, dir, base, ModelID{Data: data, Method: key, Seed: seed}); err != nil {
					return err
				}
			}
		}
	}
	return r.Record(dir)
}

// recordBase records the weights of base, which user trains from (see RecordRun).
func (r *Results) recordBase(be compute.Backend, outDir, dir string, base, user ModelID) error {
	row := r.Row(base.Data, base.Method)
	if row == nil {
		return nil
	}
	i := slices.IndexFunc(row.Seeds, func(sr SeedResult) bool { return sr.Seed == base.Seed })
	if i < 0 {
		return nil // not finished: nothing to record
	}
	sr := row.Seeds[i]
	s := r.Scale
	cfg := s.Config(base.Data, base.Method, base.Seed)
	dst := WeightsPath(dir, s.Name, base.Data, base.Method, base.Seed)
	ckpt := ModelDir(outDir, s.Name, base.Data, base.Method, base.Seed)
	if m, err := recipe.Load(be, cfg, ckpt); err == nil && m.Run().Step() >= s.Steps {
		return writeWeights(m, dst, sr.Commit)
	}
	if _, _, err := checkWeights(dst, cfg, s.Steps); err == nil {
		return nil // recorded already (the model was reused from this folder's results)
	}
	var src string
	if sr.Reused != "" {
		src = WeightsPath(filepath.Dir(sr.Reused), s.Name, base.Data, base.Method, base.Seed)
		if b, _, err := checkWeights(src, cfg, s.Steps); err == nil {
			man, err := os.ReadFile(manifestPath(src))
			if err != nil {
				return fmt.Errorf("table: %w", err)
			}
			if err := writeAtomic(dst, b); err != nil {
				return err
			}
			return writeAtomic(manifestPath(dst), man)
		}
	}
	if !r.isPending(user.Data, user.Method, user.Seed) {
		return nil // user has its result: the weights are no longer needed to resume
	}
	where := ""
	if src != "" {
		where = ", nor beside " + sr.Reused + " (" + src + "), which it was reused from"
	}
	return fmt.Errorf("table: cannot record the weights of %s, which %s (still to run) trains from: it has no trained checkpoint in %s, no weights are recorded in %s%s. "+
		"Record from the -out folder that trained it, or let the run finish 2-RF first",
		base, user, ckpt, dst, where)
}
