package pretrained_test

import (
	"context"
	"fmt"
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
	sameSamples(t, m, got, 20, ode.Options{Method: ode.Midpoint, Steps: 4}, fmt.Sprintf("%v after export and load", cond))
}
