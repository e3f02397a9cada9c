// Package warm imports the heavy dependencies so that `go build ./...` compiles them once.
package warm

import (
	_ "github.com/gomlx/compute/gobackend"
	_ "github.com/gomlx/gomlx/core/graph"
	_ "github.com/gomlx/gomlx/ml/layers/fnn"
	_ "github.com/gomlx/gomlx/ml/model"
	_ "github.com/gomlx/gomlx/ml/train"
	_ "github.com/gomlx/gomlx/ml/train/loss"
	_ "github.com/gomlx/gomlx/ml/train/optimizer"
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
	_ "gonum.org/v1/plot/plotter"
	_ "gonum.org/v1/plot/vg"
)
