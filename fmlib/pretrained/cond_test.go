package pretrained_test

import (
	"context"
	"testing"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/pretrained"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/internal/testbe"
)

// A class-conditional model exported and loaded again: its manifest
// records the conditional set-up (and its fingerprint checks against the
// preset), and guided samples of a class are bit for bit the original's.
func TestConditionalExportLoad(t *testing.T) {
	c, err := recipe.Preset("8gaussians-cond")
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden, c.Steps, c.Batch, c.EMA = []int{16, 16}, 30, 32, 0.9
	m, err := recipe.Open(testbe.Go(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		t.Fatal(err)
	}
	dir := export(t, m)
	got, man, err := pretrained.LoadDir(testbe.Go(t), dir, "toy")
	if err != nil {
		t.Fatal(err)
	}
	if !man.Config.Conditional || man.Config.LabelDropout != 0.1 || man.Config.Classes() != 8 {
		t.Errorf("manifest set-up %+v: want conditional, 8 classes, label dropout 0.1", man.Config)
	}
	cond := guidance.Label(6, 2)
	for _, mm := range []*recipe.Model{m, got} {
		if err := mm.SetCondition(cond); err != nil {
			t.Fatal(err)
		}
	}
	opts := ode.Options{Method: ode.Midpoint, Steps: 4}
	want, err := m.Sample(20, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	have, err := got.Sample(20, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.X {
		for j := range want.X[i] {
			if want.X[i][j] != have.X[i][j] {
				t.Fatalf("%v: sample %d differs after export and load: %v vs %v", cond, i, want.X[i], have.X[i])
			}
		}
	}
}
