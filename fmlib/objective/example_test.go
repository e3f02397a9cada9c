package objective_test

import (
	"fmt"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The three losses for one sample and a network that predicts 0, on the
// CondOT path with sigma_min = 0.5 at t = 0.5 (alpha = 0.5, sigma = 0.75,
// dAlpha = 1, dSigma = -0.5):
//
//	CFM:  target x1 - 0.5 x0 = (1.5, 2)       loss (1.5^2 + 2^2)/2 = 3.125
//	DSM:  sigma^2 |0 + x0/sigma|^2 / 2 = |x0|^2 / 2 = 0.5
//	DDPM: |x0|^2 / 2 = 0.5
func ExamplePredictionLoss() {
	path, err := probpath.New(schedule.CondOT{SigmaMin: 0.5})
	if err != nil {
		panic(err)
	}
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	for _, kind := range []objective.Kind{objective.CFM, objective.DSM, objective.DDPM} {
		exec := graph.MustNewExec(backend, func(x0, x1, t *graph.Node) (*graph.Node, *graph.Node) {
			s := path.Sample(x0, x1, t)
			target, _ := objective.Target(kind, path, s)
			return objective.PredictionLoss(kind, path, graph.ZerosLike(s.Xt), s),
				objective.PredictionLoss(kind, path, target, s)
		})
		zero, exact := exec.MustCall2([][]float32{{1, 0}}, [][]float32{{2, 2}}, []float32{0.5})
		fmt.Printf("%-4s loss(0) = %.4f  loss(target) = %g\n", kind,
			tensors.ToScalar[float32](zero), tensors.ToScalar[float32](exact))
	}
	// Output:
	// CFM  loss(0) = 3.1250  loss(target) = 0
	// DSM  loss(0) = 0.5000  loss(target) = 0
	// DDPM loss(0) = 0.5000  loss(target) = 0
}
