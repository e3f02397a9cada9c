package fmloss_test

import (
	"fmt"
	"math"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/fmloss"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Theorem 2 on 40 moons points: after 30 CFM steps, the CFM and FM losses of
// a small network differ by the theta-independent C_N = mean(|c|^2 - |m|^2)
// up to a cross term within 4 standard errors of zero, and their gradients
// agree within 4 standard errors. With the prior-average target in place of
// the marginal field neither holds.
func Example() {
	path, err := probpath.New(schedule.CondOT{SigmaMin: 0.02})
	if err != nil {
		panic(err)
	}
	pts, err := data.Generate("moons", 40, 1)
	if err != nil {
		panic(err)
	}
	cfg := models.MLPConfig{Hidden: []int{32, 32}}
	prob := fmloss.Problem{
		Data: probpath.Empirical{Path: path, Points: pts},
		Net:  func(s *model.Scope, x, t *graph.Node) *graph.Node { return models.MLP(s.In("mlp"), x, t, cfg) },
	}
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(1)
	ev, err := prob.NewEvaluator(backend, store, 256)
	if err != nil {
		panic(err)
	}
	s, err := prob.Draw(2048, 7)
	if err != nil {
		panic(err)
	}
	if _, err := ev.Velocity(s.Xt[:1], s.T[0]); err != nil { // initializes the weights from the store's seed
		panic(err)
	}
	tr, err := prob.NewTrainer(backend, store, fmloss.Conditional, 1e-3, 1)
	if err != nil {
		panic(err)
	}
	if _, err := tr.Train(30, 128); err != nil {
		panic(err)
	}
	for _, b := range []fmloss.Target{fmloss.Marginal, fmloss.PriorAverage} {
		c, err := ev.Compare(s, fmloss.Conditional, b)
		if err != nil {
			panic(err)
		}
		fmt.Printf("conditional vs %s: C_N = %.1f, loss difference - C_N within 4 SE: %v, gradients within 4 SE: %v\n",
			b, c.Predicted().Mean, math.Abs(c.Cross().Z()) <= 4, c.Gradients().Z() <= 4)
	}
	// Output:
	// conditional vs marginal: C_N = 3.5, loss difference - C_N within 4 SE: true, gradients within 4 SE: true
	// conditional vs prior average: C_N = -201.6, loss difference - C_N within 4 SE: false, gradients within 4 SE: false
}
